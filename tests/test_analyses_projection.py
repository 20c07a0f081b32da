"""Grade-progression projection: ratios, intake assumptions, capacity and places needed."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.dictionary import validate
from analysis.studies.projection import grade_section, project_enrolment

# students by (school, year) for grades 1, 2, 3
GRID = {
    ("A", 2022): (100, 90, 80),
    ("A", 2023): (110, 99, 90),
    ("A", 2024): (120, 110, 97),
    ("B", 2022): (20, 20, 20),
    ("B", 2023): (10, 20, 20),
    ("B", 2024): (30, 10, 20),
    # 乙县: C has no grade-2 students at all, so its ratio into grade 3 is undefined
    ("C", 2022): (15, 0, 12),
    ("C", 2023): (14, 0, 11),
    ("C", 2024): (13, 0, 10),
    ("D", 2022): (40, 40, 40),
    ("D", 2023): (40, 38, 40),
    ("D", 2024): (40, 40, 36),
}
INFO = {
    "A": ("甲县", "urban"),
    "B": ("甲县", "rural"),
    "C": ("乙县", "rural"),
    "D": ("乙县", "town"),
}


def _frames():
    enrol = pd.DataFrame(
        [(y, s, g, n) for (s, y), ns in GRID.items() for g, n in zip((1, 2, 3), ns, strict=True)],
        columns=["year", "school_id", "grade", "students"],
    )
    schools = pd.DataFrame(
        [(y, s, *INFO[s]) for s in INFO for y in (2022, 2023, 2024)],
        columns=["year", "school_id", "county", "area_type"],
    )
    sections = pd.DataFrame(
        {
            "year": [2024] * 4 + [2023],
            "school_id": ["A", "B", "C", "D", "A"],
            "county": ["甲县", "甲县", "乙县", "乙县", "甲县"],
            "area_type": ["urban", "rural", "rural", "town", "urban"],
            "section": ["primary"] * 5,
            "classes": pd.array([8, 3, 1, 3, 99], dtype="Int64"),
        }
    )
    return enrol, schools, sections


def _proj(**kw):
    enrol, schools, sections = _frames()
    defaults = dict(
        horizon=2, ratio_years=2, intake_method="mean", intake_years=2, grades=[1, 2, 3]
    )
    return project_enrolment(enrol, schools, sections, **{**defaults, **kw})


def _ratio(p, county, area, grade):
    r = p.ratios.set_index(["county", "area_group", "grade"])
    return r.loc[(county, area, grade), "progression_ratio"], r.loc[
        (county, area, grade), "ratio_source"
    ]


def test_pooled_progression_ratios():
    p = _proj()
    assert _ratio(p, "甲县", "urban", 2) == (pytest.approx(209 / 210), "observed")
    assert _ratio(p, "甲县", "urban", 3) == (pytest.approx(187 / 189), "observed")
    assert _ratio(p, "甲县", "all", 2) == (pytest.approx(239 / 240), "observed")
    assert _ratio(p, "甲县", "all", 3) == (pytest.approx(227 / 229), "observed")
    # ratio_years=1 uses only the last pair
    assert _ratio(_proj(ratio_years=1), "甲县", "all", 2)[0] == pytest.approx(120 / 120)


def test_undefined_ratio_falls_back_to_the_county_then_one():
    p = _proj()
    assert _ratio(p, "乙县", "rural", 2) == (0.0, "observed")  # 0 students moved into grade 2
    # no grade-2 students in 乙县 rural: the county's pooled ratio (C + D) is used
    assert _ratio(p, "乙县", "rural", 3) == (
        pytest.approx((11 + 40 + 10 + 36) / (0 + 40 + 0 + 38)),
        "pooled",
    )
    enrol, schools, sections = _frames()
    only_c = enrol.loc[enrol["school_id"] == "C"]
    alone = project_enrolment(only_c, schools, sections, horizon=1, grades=[1, 2, 3])
    assert _ratio(alone, "乙县", "all", 3) == (1.0, "assumed")


def test_projected_students_follow_cohorts_with_mean_intake():
    p = _proj()
    s = p.students.set_index(["county", "area_group", "year", "grade"])["students_projected"]
    assert s[("甲县", "all", 2024, 1)] == 150  # observed
    assert s[("甲县", "all", 2025, 1)] == pytest.approx((120 + 150) / 2)  # mean of last 2 intakes
    assert s[("甲县", "all", 2025, 2)] == pytest.approx(150 * 239 / 240)
    assert s[("甲县", "all", 2025, 3)] == pytest.approx(120 * 227 / 229)
    assert s[("甲县", "all", 2026, 3)] == pytest.approx(150 * 239 / 240 * 227 / 229)
    assert s[("甲县", "urban", 2025, 1)] == pytest.approx(115)
    assert p.base_year == 2024
    assert p.students.query("year <= 2024")["is_projected"].eq(False).all()
    assert p.students.query("year > 2024")["is_projected"].all()
    assert set(p.students["year"]) == {2022, 2023, 2024, 2025, 2026}
    validate(p.students, "out_enrolment_projection")
    validate(p.ratios, "out_progression_ratios")


@pytest.mark.parametrize(
    ("method", "extra", "expected"),
    [
        pytest.param("last", {}, [150.0, 150.0], id="last"),
        pytest.param("growth", {"intake_growth": 0.1}, [165.0, 181.5], id="growth+10%"),
        pytest.param("growth", {"intake_growth": -0.2}, [120.0, 96.0], id="growth-20%"),
        pytest.param(
            "mean", {"intake_years": 3}, [130.0, 130.0], id="mean-3y"
        ),  # (120 + 120 + 150) / 3
    ],
)
def test_intake_assumptions(method, extra, expected):
    p = _proj(intake_method=method, **extra)
    g1 = p.students.query(
        "county == '甲县' and area_group == 'all' and grade == 1 and is_projected"
    )
    assert g1["students_projected"].tolist() == pytest.approx(expected)


def test_places_needed_against_base_year_capacity():
    p = _proj(intake_method="growth", intake_growth=0.5)
    pl = p.places.set_index(["county", "area_group", "section", "year"])
    cap = (8 + 3) * 45  # 2024 classes only (the 2023 row is ignored) x primary cap 45
    row = pl.loc[("甲县", "all", "primary", 2026)]
    students = 225 * 1.5 + 225 * 239 / 240 + 150 * 239 / 240 * 227 / 229
    assert row["classes"] == 11 and row["capacity_places"] == cap
    assert row["students_projected"] == pytest.approx(students)
    assert row["places_needed"] == pytest.approx(students - cap)
    assert row["capacity_use_pct"] == pytest.approx(students / cap * 100)
    assert (
        pl.loc[("甲县", "all", "primary", 2024), "places_needed"] == 0
    )  # 387 students, 495 places
    assert pl.loc[("甲县", "urban", "primary", 2024), "capacity_places"] == 8 * 45
    validate(p.places, "out_places_needed")
    # caps are a parameter
    small = _proj(class_size_cap={"primary": 30, "junior": 35})
    assert (
        small.places.query("county == '甲县' and area_group == 'all' and year == 2024")[
            "capacity_places"
        ].iloc[0]
        == 330
    )


def test_method_text_states_the_assumptions():
    p = _proj(intake_method="growth", intake_growth=0.02, horizon=2, ratio_years=2)
    assert "年级递进" in p.method and "每年增长2.0%" in p.method
    # ratios from the year pairs 2022→2023 and 2023→2024; projected years 2025-2026
    assert "2025—2026" in p.method and "小学45人" in p.method and "2022—2024年相邻年份" in p.method


def test_bad_options_are_rejected():
    enrol, schools, sections = _frames()
    with pytest.raises(ValueError, match="choose one of: 'mean', 'last', 'growth'"):
        project_enrolment(enrol, schools, sections, intake_method="median")
    with pytest.raises(ValueError, match="choose 1 to 20"):
        project_enrolment(enrol, schools, sections, horizon=30)
    with pytest.raises(ValueError, match="two consecutive years"):
        project_enrolment(enrol.query("year == 2024"), schools, sections)
    with pytest.raises(ValueError, match="consecutive"):
        project_enrolment(enrol, schools, sections, grades=[1, 3])


def test_grade_sections():
    assert grade_section(pd.Series([1, 6, 7, 9, 12])).tolist() == [
        "primary",
        "primary",
        "junior",
        "junior",
        "senior",
    ]
