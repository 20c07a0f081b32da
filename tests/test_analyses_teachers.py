"""Teacher structure: ages at the reference date, report groups, degrees, retirements, subjects."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.dictionary import validate
from analysis.studies import teachers as tch


def _roster(rows) -> pd.DataFrame:
    df = pd.DataFrame(
        rows,
        columns=[
            "school_id",
            "birth_date",
            "gender",
            "degree",
            "teaching_section",
            "subject_group",
        ],
    )
    return df.assign(
        year=2021,
        birth_date=pd.to_datetime(df["birth_date"]),
        teacher_id=[f"T{i}" for i in range(len(df))],
    )


SCHOOLS = pd.DataFrame(
    {
        "year": [2021, 2021, 2021],
        "school_id": ["R", "U", "S"],
        "county": ["长治示例县"] * 3,
        "area_type": ["rural", "urban", "urban"],
    }
)


def _born(age: int, year: int = 2021) -> str:
    """A birth date giving ``age`` at 31 August ``year`` (born in January)."""
    return f"{year - age}-01-15"


def changzhi_like_rural() -> pd.DataFrame:
    """100 rural teachers shaped like the 长治市 2021 figures: 50岁以上 27 %, 51-55 18 %,
    56-60 9 %, below bachelor 34 % (高中以下 3 %)."""
    ages = [53] * 18 + [58] * 9 + [50] * 3 + [35] * 70
    degrees = (
        ["associate"] * 28
        + ["senior_secondary"] * 3
        + ["below_senior_secondary"] * 3
        + ["bachelor"] * 66
    )
    return _roster(
        [
            ("R", _born(a), "female", d, "primary", "math")
            for a, d in zip(ages, degrees, strict=True)
        ]
    )


def test_age_is_completed_years_at_the_reference_date():
    t = pd.DataFrame(
        {
            "year": [2024] * 4,
            "birth_date": pd.to_datetime(["1970-08-31", "1970-09-01", "2000-02-29", None]),
        }
    )
    assert tch.age_at_reference(t).tolist() == [54, 53, 24, pd.NA]
    assert tch.age_at_reference(t, month=12, day=31).tolist()[:2] == [54, 54]
    assert tch.age_at_reference(t, month=1, day=1).tolist()[:3] == [53, 53, 23]


def test_report_age_groups_reproduce_the_published_shares():
    prep = tch.prepare_teachers(changzhi_like_rural(), SCHOOLS)
    groups = tch.age_groups(prep)
    validate(groups, "out_teacher_age_groups")
    rural = groups.query("area_group == 'rural' and section_group == 'primary'").set_index(
        "age_group"
    )
    # the report's "50岁以上" counts 51-60 (3710 = 2453 + 1257): the 50-year-olds are not in it
    assert rural.loc["50岁以上", ["teachers", "share_pct"]].tolist() == [27, 27.0]
    assert rural.loc["51-55岁", ["teachers", "share_pct"]].tolist() == [18, 18.0]
    assert rural.loc["56-60岁", ["teachers", "share_pct"]].tolist() == [9, 9.0]
    custom = tch.age_groups(
        prep, groups={"x": {"label": "50岁及以上", "min_age": 50, "max_age": None}}
    )
    assert custom.query("area_group == 'rural' and section_group == 'primary'")[
        "teachers"
    ].tolist() == [30]


def test_age_bands_are_the_statistics_bands_with_every_band_listed():
    prep = tch.prepare_teachers(changzhi_like_rural(), SCHOOLS)
    bands = tch.age_bands(prep)
    validate(bands, "out_teacher_age_bands")
    rural = bands.query("area_group == 'rural' and section_group == 'primary'")
    assert rural["age_band"].tolist() == [
        "24岁及以下",
        "25-29岁",
        "30-34岁",
        "35-39岁",
        "40-44岁",
        "45-49岁",
        "50-54岁",
        "55-59岁",
        "60岁及以上",
    ]
    counts = dict(zip(rural["age_band"], rural["teachers"], strict=True))
    assert counts["35-39岁"] == 70 and counts["50-54岁"] == 3 + 18 and counts["55-59岁"] == 9
    assert rural["share_pct"].sum() == pytest.approx(100)


def test_degree_structure_and_below_bachelor():
    prep = tch.prepare_teachers(changzhi_like_rural(), SCHOOLS)
    deg = tch.degree_structure(prep)
    validate(deg, "out_teacher_degrees")
    rural = deg.query("area_group == 'rural' and section_group == 'compulsory'").set_index(
        "degree"
    )["share_pct"]
    assert rural[
        ["associate", "senior_secondary", "below_senior_secondary"]
    ].sum() == pytest.approx(34)
    assert rural["below_senior_secondary"] == pytest.approx(3)
    assert rural["postgraduate"] == 0


def test_groups_split_areas_and_sections_and_drop_senior_and_unknown_schools():
    roster = _roster(
        [
            ("U", _born(30), "male", "bachelor", "primary", "pe"),
            ("U", _born(40), "female", "bachelor", "junior", "music"),
            ("S", _born(45), "male", "master", "senior", "math"),  # senior section: not compulsory
            ("X", _born(45), "male", "bachelor", "primary", "math"),  # school not in core_schools
            ("R", _born(50), "female", "associate", "primary", "math"),
        ]
    )
    prep = tch.prepare_teachers(roster, SCHOOLS)
    sizes = prep.groupby(["area_group", "section_group"]).size().to_dict()
    assert sizes == {
        ("all", "compulsory"): 3,
        ("all", "junior"): 1,
        ("all", "primary"): 2,
        ("rural", "compulsory"): 1,
        ("rural", "primary"): 1,
        ("urban", "compulsory"): 2,
        ("urban", "junior"): 1,
        ("urban", "primary"): 1,
    }
    assert len(roster) == 5 and "age" not in roster  # input untouched


def test_retirements_by_gender_within_5_and_10_years():
    roster = _roster(
        [
            ("U", _born(56), "male", "bachelor", "primary", "math"),  # 60 in 4 years
            ("U", _born(54), "male", "bachelor", "primary", "math"),  # 60 in 6 years
            ("U", _born(50), "female", "bachelor", "primary", "math"),  # 55 in 5 years
            ("U", _born(44), "female", "bachelor", "primary", "math"),  # 55 in 11 years
            ("U", _born(61), "male", "bachelor", "primary", "math"),  # already past
            ("U", _born(52), None, "bachelor", "primary", "math"),  # default 60: in 8 years
        ]
    )
    prep = tch.prepare_teachers(roster, SCHOOLS)
    out = (
        tch.retirements(prep)
        .query("area_group == 'urban' and section_group == 'primary'")
        .set_index("horizon_years")
    )
    validate(tch.retirements(prep), "out_teacher_retirements")
    assert out.loc[5, "retiring_teachers"] == 3 and out.loc[10, "retiring_teachers"] == 5
    assert out.loc[5, "retiring_share_pct"] == pytest.approx(50)
    same_age = tch.retirements(prep, retirement_age=60, horizons=[5]).query(
        "area_group == 'urban' and section_group == 'primary'"
    )
    assert same_age["retiring_teachers"].tolist() == [
        2
    ]  # 56 and 61 (the woman of 50 now retires at 60)
    with pytest.raises(ValueError, match="default"):
        tch.retirements(prep, retirement_age={"male": 60, "female": 55})


def test_subject_staffing_against_target_shares():
    roster = _roster(
        [
            ("U", _born(30), "male", "bachelor", "primary", s)
            for s in ["pe"] + ["math"] * 18 + ["psychology"]
        ]
    )
    prep = tch.prepare_teachers(roster, SCHOOLS)
    out = tch.subject_staffing(prep)
    validate(out, "out_subject_staffing")
    row = out.query("area_group == 'urban' and section_group == 'primary'").set_index("subject")
    # 20 teachers: PE 1 (5 %) against 10 % -> ceil(2.0) - 1 = 1 more
    assert row.loc[
        "pe", ["subject_teachers", "share_pct", "target_share_pct", "teachers_needed"]
    ].tolist() == [1, 5.0, 10.0, 1]
    assert row.loc["music", "teachers_needed"] == 1  # ceil(20 x 4.5 % = 0.9)
    assert row.loc["psychology", "teachers_needed"] == 0  # 1 of 20 = 5 % >= 1 %
    assert row.loc["arts_psychology", "teachers_needed"] == 2  # ceil(3.0) - 1
    with pytest.raises(ValueError, match="target_share must be 0-1"):
        tch.subject_staffing(
            prep, targets={"pe": {"label": "体育", "subject_groups": ["pe"], "target_share": 10}}
        )


def test_section_teacher_counts_work_without_a_roster():
    sections = pd.DataFrame(
        {
            "year": [2024] * 4,
            "county": ["甲县"] * 4,
            "area_type": ["urban", "rural", "rural", "urban"],
            "section": ["primary", "primary", "junior", "senior"],
            "students": [900, 100, 80, 500],
            "teachers": pd.array([50, 9, None, 40], dtype="Int64"),
            "above_degree_teachers": [48, 7, None, 30],
            "backbone_teachers": [5, 1, None, 2],
            "pe_art_teachers": [6, 1, None, 3],
        }
    )
    out = tch.section_teacher_counts(sections)
    validate(out, "out_teacher_counts")
    got = out.set_index(["area_group", "section_group"])
    assert got.loc[
        ("all", "compulsory"), ["students", "teachers", "above_degree_teachers"]
    ].tolist() == [1080, 59, 55]
    assert pd.isna(got.loc[("rural", "junior"), "teachers"])  # a section without counts
