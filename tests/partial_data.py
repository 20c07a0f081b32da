"""Partial processed datasets, built in code: counties that lack whole table kinds.

Real counties send partial data: a school table and nothing else, a roster but no classes,
only the county-level figures. :func:`partial_datasets` derives one processed folder per
case from the small synthetic city of :mod:`test_analyses_fixture` (示例数据（合成）): one
county (``PARTIAL_COUNTY``) with its tables cut the way the case says, and every core table
written (empty where the county sent nothing), as ``python -m analysis clean`` writes them.

Each case also names the Chinese "missing" sentences a report on it must show
(:data:`EXPECTED`), so the notebook test checks what the reader is told, not only that
nothing crashed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from test_analyses_fixture import build_tables

from analysis.dictionary import empty_frame
from analysis.sections import build_school_sections, teacher_counts_from_roster
from analysis.tables import write_tables

#: the county every partial case keeps (its schools cover 城区, 镇区 and 乡村)
PARTIAL_COUNTY = "城东区"

#: every core table cleaning writes (empty when no file supplied it)
CORE_TABLES = (
    "core_schools",
    "core_school_sections",
    "core_teachers",
    "core_classes",
    "core_enrolment",
    "core_cohort_flows",
    "core_county_figures",
    "core_attestations",
    "core_survey",
    "core_published",
)

CASES = (
    "schools_only",
    "no_roster",
    "no_enrolment",
    "no_classes",
    "one_area",
    "zero_students",
    "one_school",
    "no_junior",
    "county_figures_only",
)

#: fragments of the "missing" sentences each case must show (in some notebook)
EXPECTED: dict[str, tuple[str, ...]] = {
    "schools_only": ("缺少专任教师名册", "缺少分年级在校生数", "缺少班级数据"),
    "no_roster": ("缺少专任教师名册",),
    "no_enrolment": ("缺少分年级在校生数",),
    "no_classes": ("缺少班级数据",),
    "one_area": ("只有城区学校",),
    "zero_students": ("在校生数为0",),
    "one_school": (),
    "no_junior": ("没有初中",),
    "county_figures_only": ("缺少学校基本情况",),
}


def _county_tables() -> dict[str, pd.DataFrame]:
    """The full tables of PARTIAL_COUNTY (roster, classes, enrolment, county figures)."""
    from analysis.indicators.evaluation import example_inputs

    full = build_tables()
    schools = full["core_schools"].loc[lambda d: d["county"] == PARTIAL_COUNTY]
    ids = set(schools["school_id"])
    out = {k: v.loc[v["school_id"].isin(ids)] for k, v in full.items() if "school_id" in v and k != "core_schools"}
    out["core_schools"] = schools
    out["core_published"] = full["core_published"]
    example = example_inputs(2024)
    for name in ("core_county_figures", "core_attestations", "core_survey", "core_cohort_flows"):
        frame = example[name].assign(county=PARTIAL_COUNTY)
        out[name] = frame
    return out


def _sections(schools: pd.DataFrame, roster: pd.DataFrame | None) -> pd.DataFrame:
    counts = None if roster is None or roster.empty else teacher_counts_from_roster(roster)
    if schools.empty:
        return empty_frame("core_school_sections")
    return build_school_sections(schools, counts)


def case_tables(case: str) -> dict[str, pd.DataFrame]:
    """The core tables of one partial case (missing tables as empty frames)."""
    if case not in CASES:
        raise ValueError(f"unknown case {case!r}; choose one of: {', '.join(CASES)}")
    t = _county_tables()
    schools, roster = t["core_schools"], t["core_teachers"]
    drop: set[str] = set()
    if case == "schools_only":
        drop |= {"core_teachers", "core_enrolment", "core_classes", "core_cohort_flows",
                 "core_county_figures", "core_attestations", "core_survey"}
    elif case == "no_roster":
        drop.add("core_teachers")
    elif case == "no_enrolment":
        drop.add("core_enrolment")
    elif case == "no_classes":
        drop.add("core_classes")
    elif case == "one_area":  # a district with 城区 schools only
        schools = schools.assign(urban_rural_code="111", area_type="urban")
    elif case == "zero_students":  # the school table is there, every count is 0
        cols = ["students_primary", "students_junior", "classes_primary", "classes_junior"]
        schools = schools.assign(**{c: schools[c].where(schools[c].isna(), 0) for c in cols})
        drop |= {"core_enrolment", "core_classes"}
    elif case == "one_school":
        keep = schools["school_id"].iloc[0]
        schools = schools.loc[schools["school_id"] == keep]
    elif case == "no_junior":
        schools = schools.loc[schools["school_type"].isin(["primary", "teaching_point"])]
    elif case == "county_figures_only":
        drop |= {"core_teachers", "core_enrolment", "core_classes"}
        schools = schools.iloc[0:0]
    ids = set(schools["school_id"])
    for name in ("core_teachers", "core_enrolment", "core_classes"):
        t[name] = t[name].loc[t[name]["school_id"].isin(ids)]
    if case == "no_junior":
        t["core_teachers"] = t["core_teachers"].assign(teaching_section="primary")
        t["core_enrolment"] = t["core_enrolment"].loc[t["core_enrolment"]["section"] == "primary"]
        t["core_classes"] = t["core_classes"].loc[t["core_classes"]["section"] == "primary"]
    t["core_schools"] = schools
    for name in drop:
        t[name] = empty_frame(name)
    roster = t["core_teachers"]
    t["core_school_sections"] = _sections(schools, roster)
    return {name: t.get(name, empty_frame(name)) for name in CORE_TABLES}


def write_case(case: str, out_dir: Path) -> Path:
    """Write one partial case as a processed folder; return the folder."""
    write_tables(case_tables(case), out_dir)
    return Path(out_dir)


def partial_datasets(root: Path) -> dict[str, Path]:
    """Every case of :data:`CASES` as a processed folder under ``root``."""
    return {case: write_case(case, Path(root) / case) for case in CASES}


if __name__ == "__main__":  # a quick look: python tests/partial_data.py /tmp/partial
    import sys

    for case, path in partial_datasets(Path(sys.argv[1])).items():
        sizes = {n: len(pd.read_parquet(path / f"{n}.parquet")) for n in CORE_TABLES}
        print(case, np.array(list(sizes.values())))
