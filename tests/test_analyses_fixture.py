"""A small processed folder for the analysis, chart and notebook tests.

:func:`build_processed` writes a tiny synthetic city (示例数据（合成）) as core tables through
:func:`analysis.tables.write_tables`: three counties (one with per-school teacher counts instead of a roster), three years,
eight schools each with
enrolment by grade, classes, a teacher roster and the sections derived from them with
:mod:`analysis.sections`, plus real published figures (长治市 2021, 万盛经开区 2025) in
core_published. :func:`processed_dir` prefers the shared ``sample_processed`` fixture (the
generated and cleaned sample) once its generator and cleaner exist.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.sections import build_school_sections, teacher_counts_from_roster
from analysis.tables import read_table, write_tables

CITY = "示例市"
COUNTIES = {
    "城东区": ["111", "111", "112", "112", "121", "210"],
    "河西县": ["112", "121", "122", "123", "210", "220"],
    "山北县": ["121", "122", "210", "210", "220", "220"],
}
#: a county that hands in per-school teacher counts instead of a roster
COUNTS_ONLY = "山北县"
YEARS = (2022, 2023, 2024)
#: school types of each county's schools (same order as the codes above), then extra kinds
TYPES = ["primary", "primary", "nine_year", "junior", "primary", "primary"]

CHANGZHI = "长治市人民政府, 长治市人民政府办公室关于长治市履行教育职责的自评报告, 2021-11-15"
WANSHENG = "重庆市万盛经开区, 万盛经开区创建全国义务教育优质均衡发展区自查自评报告, 2025-04-01"
SUBJECTS = [
    "chinese",
    "math",
    "english",
    "science",
    "morality",
    "pe",
    "music",
    "fine_art",
    "ict",
    "psychology",
]
SUBJECT_P = [0.30, 0.26, 0.12, 0.06, 0.06, 0.08, 0.045, 0.045, 0.02, 0.01]


def published_frame() -> pd.DataFrame:
    """Real figures of two source documents, as core_published rows."""
    rows = []
    for sec, series in {
        "小学": [42971, 46014, 52579, 52656],
        "初中": [21966, 22352, 21601, 23336],
    }.items():
        for year, v in zip(range(2018, 2022), series, strict=True):
            rows.append(("长治市", "在校生数", sec, "主城区", year, v, "人", CHANGZHI))
    rows += [
        ("长治市", "在校生3年增长", "小学", "主城区", 2021, 9685, "人", CHANGZHI),
        ("长治市", "在校生年均增长", "小学", "主城区", 2021, 3228, "人", CHANGZHI),
        ("长治市", "在校生3年增长", "初中", "主城区", 2021, 1370, "人", CHANGZHI),
        ("长治市", "在校生年均增长", "初中", "主城区", 2021, 457, "人", CHANGZHI),
        ("长治市", "在校生3年增长", "义务教育", "主城区", 2021, 11055, "人", CHANGZHI),
    ]
    cvs = {
        "小学": [0.491, 0.269, 0.503, 0.379, 0.671, 0.124, 0.545],
        "初中": [0.229, 0.185, 0.452, 0.269, 0.294, 0.086, 0.253],
    }
    for sec, vals in cvs.items():
        for i, v in enumerate(vals, start=1):
            rows.append(
                ("重庆市万盛经开区", f"L{i}校际差异系数", sec, "全部", 2024, v, "", WANSHENG)
            )
    df = pd.DataFrame(
        rows,
        columns=[
            "region",
            "indicator",
            "published_section",
            "area",
            "year",
            "value",
            "unit",
            "source",
        ],
    )
    return df.assign(
        source_file="published/公开数据_published_figures.csv",
        source_sheet=None,
        source_row=np.arange(2, len(df) + 2),
    )


def build_tables(seed: int = 7) -> dict[str, pd.DataFrame]:
    """The core tables of the small synthetic city."""
    rng = np.random.default_rng(seed)
    schools, enrol, classes, teachers = [], [], [], []
    sid = 1400000000
    for county, codes in COUNTIES.items():
        kinds = [*TYPES, "teaching_point", "special"]
        kcodes = [*codes, "220", "111"]
        for si, (stype, code) in enumerate(zip(kinds, kcodes, strict=True)):
            sid += 1
            area = {"1": "urban", "2": "rural"}[code[0]] if code[:2] != "12" else "town"
            grades = {
                "primary": range(1, 7),
                "teaching_point": range(1, 4),
                "junior": range(7, 10),
                "nine_year": range(1, 10),
                "special": range(1, 10),
            }[stype]
            size = (
                {"urban": 50, "town": 42, "rural": 28}[area]
                if stype not in ("teaching_point", "special")
                else 8
            )
            per_grade = {
                g: int(size * rng.integers(2, 5 if area == "urban" else 3)) for g in grades
            }
            for yi, year in enumerate(YEARS):
                if yi:  # cohorts move up a grade; a new grade-1 intake
                    per_grade = {
                        g: int(round(per_grade.get(g - 1, per_grade[g]) * rng.uniform(0.96, 1.04)))
                        for g in grades
                    }
                stu = {"primary": 0, "junior": 0}
                cls = {"primary": 0, "junior": 0}
                for g, n in per_grade.items():
                    sec = "primary" if g <= 6 else "junior"
                    stu[sec] += n
                    k = max(1, int(np.ceil(n / (size + 4))))
                    sizes = np.full(k, n // k)
                    sizes[: n % k] += 1
                    if area == "urban" and g == 1 and si == 0:
                        sizes[0] += 15  # one oversized class (超大班额), for the bands
                        sizes[-1] -= 15 if k > 1 else 0
                    cls[sec] += k
                    for c, m in enumerate(sizes, start=1):
                        classes.append((year, str(sid), sec, g, f"{g}年级{c}班", int(m)))
                    enrol.append((year, str(sid), sec, g, n, int(n * 0.05), 0))
                schools.append(
                    {
                        "year": year,
                        "school_id": str(sid),
                        "school_name": f"{county}第{si + 1}学校",
                        "city": CITY,
                        "county": county,
                        "urban_rural_code": code,
                        "area_type": area,
                        "school_type": stype,
                        "is_private": False,
                        "is_boarding": None,
                        "is_counted_school": stype != "teaching_point",
                        "parent_school_id": str(sid - 1) if stype == "teaching_point" else None,
                        "students_primary": stu["primary"] if stype != "junior" else None,
                        "students_junior": stu["junior"]
                        if stype in ("junior", "nine_year", "special")
                        else None,
                        "classes_primary": cls["primary"] if stype != "junior" else None,
                        "classes_junior": cls["junior"]
                        if stype in ("junior", "nine_year", "special")
                        else None,
                        "teaching_area_m2": float(
                            (stu["primary"] + stu["junior"]) * rng.uniform(3.5, 7.5)
                        ),
                        "indoor_sports_area_m2": float(rng.uniform(0, 300)),
                        "sports_ground_area_m2": float(
                            (stu["primary"] + stu["junior"]) * rng.uniform(4, 12)
                        ),
                        "equipment_value_yuan": float(
                            (stu["primary"] + stu["junior"]) * rng.uniform(1500, 4000)
                        ),
                        "multimedia_rooms": int(
                            cls["primary"] + cls["junior"] + rng.integers(0, 4)
                        ),
                        "music_room_area_m2": np.nan,
                        "art_room_area_m2": np.nan,
                        "public_funds_budget_yuan": np.nan,
                        "teacher_training_funds_yuan": np.nan,
                        "daily_hours_in_school": np.nan,
                        "source_file": f"sample/{county}/{county}_学校基本情况_示例.xlsx",
                        "source_sheet": f"{year}年",
                        "source_row": si + 4,
                    }
                )
                n_teachers = max(2, (stu["primary"] + stu["junior"]) // 15)
                for t in range(n_teachers):
                    g = rng.choice(list(grades))
                    born = pd.Timestamp(
                        int(rng.integers(1963, 2001)),
                        int(rng.integers(1, 13)),
                        int(rng.integers(1, 28)),
                    )
                    degree = rng.choice(
                        [
                            "postgraduate",
                            "bachelor",
                            "associate",
                            "senior_secondary",
                            "below_senior_secondary",
                        ],
                        p=[0.05, 0.65, 0.25, 0.04, 0.01]
                        if area == "urban"
                        else [0.0, 0.55, 0.38, 0.05, 0.02],
                    )
                    teachers.append(
                        {
                            "year": year,
                            "school_id": str(sid),
                            "teacher_id": f"T{sid}{t:03d}",
                            "gender": rng.choice(["male", "female"]),
                            "birth_date": born,
                            "degree": degree,
                            "teaching_section": "primary" if g <= 6 else "junior",
                            "main_subject": None,
                            "subject_group": rng.choice(SUBJECTS, p=SUBJECT_P),
                            "backbone_level": rng.choice(
                                ["none", "school", "county", "city"], p=[0.7, 0.1, 0.15, 0.05]
                            ),
                            "has_teacher_certificate": True,
                            "is_exchange_eligible": None,
                            "is_exchanged": None,
                            "training_hours_5y": 360.0,
                            "is_on_quota": True,
                            "source_file": f"sample/{county}/{county}_专任教师_示例.xlsx",
                            "source_sheet": f"{year}年",
                            "source_row": t + 2,
                        }
                    )
    schools = pd.DataFrame(schools)
    teachers = pd.DataFrame(teachers)
    enrol = pd.DataFrame(
        enrol,
        columns=[
            "year",
            "school_id",
            "section",
            "grade",
            "students",
            "migrant_students",
            "disabled_students",
        ],
    )
    enrol = enrol.assign(
        source_file="sample/enrolment_示例.csv",
        source_sheet=None,
        source_row=np.arange(2, len(enrol) + 2),
    )
    classes = pd.DataFrame(
        classes, columns=["year", "school_id", "section", "grade", "class_name", "students"]
    )
    classes = classes.assign(
        source_file="sample/classes_示例.csv",
        source_sheet=None,
        source_row=np.arange(2, len(classes) + 2),
    )
    counts = teacher_counts_from_roster(teachers).assign(teacher_count_source="roster")
    counts_only = schools.loc[schools["county"] == COUNTS_ONLY, ["year", "school_id"]]
    is_counts = counts.set_index(["year", "school_id"]).index.isin(
        pd.MultiIndex.from_frame(counts_only)
    )
    counts.loc[is_counts, "teacher_count_source"] = "counts"
    teachers = teachers.loc[~teachers["school_id"].isin(set(counts_only["school_id"]))]
    sections = build_school_sections(schools, counts)
    return {
        "core_schools": schools,
        "core_teachers": teachers,
        "core_enrolment": enrol,
        "core_classes": classes,
        "core_school_sections": sections,
        "core_published": published_frame(),
    }


def build_processed(out_dir: Path, seed: int = 7) -> Path:
    """Write the small city's core tables to ``out_dir`` (validated); return the folder."""
    write_tables(build_tables(seed), out_dir)
    return Path(out_dir)


def pipeline_available() -> bool:
    """True once the sample generator and the cleaner exist (the shared fixtures work)."""
    try:
        sample = importlib.import_module("analysis.sample")
        clean = importlib.import_module("analysis.clean")
    except ImportError:
        return False
    return hasattr(sample, "generate_sample") and hasattr(clean, "clean")


@pytest.fixture(scope="session")
def small_processed(tmp_path_factory) -> Path:
    """The small synthetic city of this module, written once per session."""
    return build_processed(tmp_path_factory.mktemp("analyses_processed"))


def test_small_city_is_valid_and_consistent(small_processed):
    schools = read_table("core_schools", small_processed)
    enrol = read_table("core_enrolment", small_processed)
    classes = read_table("core_classes", small_processed)
    assert set(schools["county"]) == set(COUNTIES)
    assert sorted(schools["year"].unique()) == list(YEARS)
    # grade enrolment equals the students of its classes
    by_class = classes.groupby(["year", "school_id", "grade"])["students"].sum()
    by_grade = enrol.set_index(["year", "school_id", "grade"])["students"]
    pd.testing.assert_series_equal(by_class.sort_index(), by_grade.sort_index(), check_names=False)
    assert (classes["students"] >= 66).any()  # at least one 超大班额 class
    sections = read_table("core_school_sections", small_processed)
    teachers = read_table("core_teachers", small_processed)
    counts_only = set(schools.loc[schools["county"] == COUNTS_ONLY, "school_id"])
    assert not teachers["school_id"].isin(counts_only).any()  # no roster for that county
    assert sections.loc[sections["school_id"].isin(counts_only), "teachers"].notna().all()
