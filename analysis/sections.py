"""School sections (学段): the weighted facility split and section teacher counts.

The 2017 method computes the resource indicators per section: a 九年一贯制 school is a
primary and a junior section, a 完全中学 a junior and a senior one. Teachers are reported by
the section they teach; shared facilities are split by weighted enrolment (primary 1 :
junior 1.1 : senior 1.32; 完全中学 junior 1 : senior 1.2) unless the bureau reports them per
section. The rules live in ``analysis/data/sections.yaml``.

Examples
--------
>>> shares = facility_shares(pd.DataFrame({
...     "school_type": ["nine_year"], "students_primary": [600], "students_junior": [400],
...     "students_senior": [0]}))
>>> round(float(shares.loc[0, "primary"]), 4), round(float(shares.loc[0, "junior"]), 4)
(0.5769, 0.4231)
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.dictionary import coerce

RULES_PATH = Path(__file__).parent / "data" / "sections.yaml"
SECTIONS = ("primary", "junior", "senior")
#: Facility columns of core_schools that are split across sections.
FACILITY_COLUMNS = (
    "teaching_area_m2",
    "indoor_sports_area_m2",
    "sports_ground_area_m2",
    "equipment_value_yuan",
    "multimedia_rooms",
)
TEACHER_COUNT_COLUMNS = ("teachers", "above_degree_teachers", "backbone_teachers", "pe_art_teachers")
_SCHOOL_COLUMNS = (
    "school_name", "city", "county", "area_type", "urban_rural_code", "school_type",
    "is_private", "parent_school_id",
)


@functools.cache
def load_rules(path: str | None = None) -> dict[str, Any]:
    """The section rules (``analysis/data/sections.yaml`` unless ``path`` is given)."""
    return yaml.safe_load(Path(path or RULES_PATH).read_text(encoding="utf-8"))


def area_type_from_code(codes: pd.Series) -> pd.Series:
    """Map statistics urban-rural codes to ``urban`` (11x), ``town`` (12x) or ``rural`` (2xx).

    >>> area_type_from_code(pd.Series(["111", "123", "220", None])).tolist()
    ['urban', 'town', 'rural', nan]
    """
    s = codes.astype("str").str.strip()
    out = pd.Series(np.nan, index=codes.index, dtype="object")
    out[s.str.match(r"^11\d$", na=False)] = "urban"
    out[s.str.match(r"^12\d$", na=False)] = "town"
    out[s.str.match(r"^2\d\d$", na=False)] = "rural"
    return out


def _students(schools: pd.DataFrame, section: str) -> pd.Series:
    col = f"students_{section}"
    if col not in schools:
        return pd.Series(0.0, index=schools.index)
    return pd.to_numeric(schools[col], errors="coerce").fillna(0).astype("float64")


def facility_shares(schools: pd.DataFrame, rules: dict[str, Any] | None = None) -> pd.DataFrame:
    """Share of each school's shared facilities attributed to each section.

    Returns a frame indexed like ``schools`` with one float column per section (0 where the
    school has no such section). A school whose sections have no students at all gives its
    whole facility to its first section (so nothing is lost).
    """
    rules = rules or load_rules()
    types = schools["school_type"].astype("str")
    weights = pd.DataFrame(0.0, index=schools.index, columns=list(SECTIONS))
    for stype, secs in rules["sections_of_type"].items():
        w = rules["section_weights"].get(stype, rules["section_weights"]["default"])
        mask = types == stype
        if not mask.any():
            continue
        for sec in secs:
            weights.loc[mask, sec] = _students(schools.loc[mask], sec) * w[sec]
    total = weights.sum(axis=1)
    shares = weights.div(total.where(total > 0), axis=0)
    # No students anywhere: the first section of the type carries the whole facility.
    empty = total <= 0
    for stype, secs in rules["sections_of_type"].items():
        mask = empty & (types == stype)
        if mask.any():
            shares.loc[mask, :] = 0.0
            shares.loc[mask, secs[0]] = 1.0
    return shares.fillna(0.0)


def teacher_counts_from_roster(
    teachers: pd.DataFrame, rules: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Per-section teacher counts of each school and year from the teacher roster.

    Counts teachers, teachers above the section's required degree (L1), backbone teachers
    of county level or higher (L2) and PE/music/art teachers (L3).

    >>> roster = pd.DataFrame({
    ...     "year": [2024] * 4, "school_id": ["1234567890"] * 4,
    ...     "teaching_section": ["primary", "primary", "junior", "junior"],
    ...     "degree": ["associate", "senior_secondary", "associate", "bachelor"],
    ...     "backbone_level": ["county", "none", "school", "province"],
    ...     "subject_group": ["pe", "math", "music", "chinese"]})
    >>> counts = teacher_counts_from_roster(roster)
    >>> counts[["section", "teachers", "above_degree_teachers", "backbone_teachers",
    ...         "pe_art_teachers"]].values.tolist()
    [['junior', 2, 1, 1, 1], ['primary', 2, 1, 1, 1]]
    """
    rules = rules or load_rules()
    section = teachers["teaching_section"].astype("str")
    degree = teachers["degree"].astype("str")
    above = pd.Series(False, index=teachers.index)
    for sec, degrees in rules["above_required_degree"].items():
        above |= (section == sec) & degree.isin(degrees)
    flags = pd.DataFrame(
        {
            "year": teachers["year"],
            "school_id": teachers["school_id"],
            "section": section,
            "teachers": 1,
            "above_degree_teachers": above.astype("int64"),
            "backbone_teachers": teachers["backbone_level"].isin(rules["backbone_levels"]).astype("int64"),
            "pe_art_teachers": teachers["subject_group"].isin(rules["pe_art_subject_groups"]).astype("int64"),
        }
    )
    counts = flags.groupby(["year", "school_id", "section"], sort=True, observed=True).sum().reset_index()
    return counts.astype({c: "Int64" for c in TEACHER_COUNT_COLUMNS})


def build_school_sections(
    schools: pd.DataFrame,
    teacher_counts: pd.DataFrame | None = None,
    *,
    teacher_count_source: str = "roster",
    section_facilities: pd.DataFrame | None = None,
    rules: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Split core_schools rows into core_school_sections rows.

    Parameters
    ----------
    schools : core_schools frame.
    teacher_counts : per (year, school_id, section) counts with the columns of
        :data:`TEACHER_COUNT_COLUMNS` (from :func:`teacher_counts_from_roster` or a bureau's
        per-school counts table). Its ``teacher_count_source`` column, if present, wins over
        the ``teacher_count_source`` argument. Sections without counts get ``none``.
    section_facilities : optional per (year, school_id, section) facility figures reported
        by the bureau; where present they replace the weighted split.
    rules : section rules; default ``analysis/data/sections.yaml``.

    Returns
    -------
    pandas.DataFrame with the columns of ``core_school_sections``.
    """
    rules = rules or load_rules()
    shares = facility_shares(schools, rules)
    parts = []
    for sec in SECTIONS:
        has = pd.Series(
            [sec in rules["sections_of_type"].get(t, ()) for t in schools["school_type"].astype("str")],
            index=schools.index,
        )
        sub = schools.loc[has]
        if sub.empty:
            continue
        part = sub[["year", "school_id", *_SCHOOL_COLUMNS]].copy()
        part["section"] = sec
        part["students"] = sub.get(f"students_{sec}")
        part["classes"] = sub.get(f"classes_{sec}") if f"classes_{sec}" in sub else pd.NA
        part["facility_share"] = shares.loc[has, sec]
        for col in FACILITY_COLUMNS:
            part[col] = pd.to_numeric(sub[col], errors="coerce").astype("float64") * shares.loc[has, sec]
        part["is_facility_reported"] = False
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)

    if section_facilities is not None and not section_facilities.empty:
        key = ["year", "school_id", "section"]
        rep = section_facilities.set_index(key)
        idx = pd.MultiIndex.from_frame(out[key])
        hit = idx.isin(rep.index)
        for col in FACILITY_COLUMNS:
            if col in rep:
                vals = rep[col].reindex(idx[hit]).to_numpy(dtype="float64", na_value=np.nan)
                cur = out.loc[hit, col].to_numpy(dtype="float64")
                out.loc[hit, col] = np.where(np.isnan(vals), cur, vals)
        out.loc[hit, "is_facility_reported"] = True

    if teacher_counts is not None and not teacher_counts.empty:
        tc = teacher_counts.copy()
        if "teacher_count_source" not in tc:
            tc["teacher_count_source"] = teacher_count_source
        cols = ["year", "school_id", "section", *TEACHER_COUNT_COLUMNS, "teacher_count_source"]
        out = out.merge(tc[cols], on=["year", "school_id", "section"], how="left", validate="one_to_one")
    else:
        for col in TEACHER_COUNT_COLUMNS:
            out[col] = pd.NA
        out["teacher_count_source"] = None
    out["teacher_count_source"] = out["teacher_count_source"].fillna("none")

    reason = pd.Series(None, index=out.index, dtype="object")
    types = out["school_type"].astype("str")
    tp_total = (
        _students(schools, "primary") + _students(schools, "junior") + _students(schools, "senior")
    ).groupby([schools["year"], schools["school_id"]]).sum()
    tp_students = pd.MultiIndex.from_frame(out[["year", "school_id"]]).map(tp_total.to_dict().get)
    small_tp = (types == "teaching_point") & (
        pd.Series(tp_students, index=out.index).astype("float64") < rules["teaching_point_min_students"]
    )
    reason[small_tp] = rules["teaching_point_reason"]
    for sec, why in rules["excluded_sections"].items():
        reason[out["section"] == sec] = why
    for stype, why in rules["excluded_types"].items():
        reason[types == stype] = why
    out["exclusion_reason"] = reason
    out["is_indicator_school"] = reason.isna()
    out = out.sort_values(["year", "school_id", "section"], kind="stable")
    return coerce(out, "core_school_sections")
