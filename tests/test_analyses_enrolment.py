"""Enrolment trends: hand-computed expectations and the published 长治市 figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.dictionary import validate
from analysis.studies.enrolment import (
    add_compulsory_total,
    add_yoy_change,
    enrolment_summary,
    enrolment_trends,
    period_change,
    published_enrolment,
    students_by_level,
)

SOURCE = "长治市人民政府, 长治市人民政府办公室关于长治市履行教育职责的自评报告, 2021-11-15"
PRIMARY = [42971, 46014, 52579, 52656]
JUNIOR = [21966, 22352, 21601, 23336]


def _published() -> pd.DataFrame:
    """The 2018-2021 main-district series as core_published rows, plus printed derived figures."""
    rows = [
        ("长治市", "在校生数", "小学", "主城区", y, v, "人", SOURCE)
        for y, v in zip(range(2018, 2022), PRIMARY, strict=True)
    ]
    rows += [
        ("长治市", "在校生数", "初中", "主城区", y, v, "人", SOURCE)
        for y, v in zip(range(2018, 2022), JUNIOR, strict=True)
    ]
    rows += [
        ("长治市", "在校生3年增长", "小学", "主城区", 2021, 9685, "人", SOURCE),
        ("长治市", "在校生年均增长", "初中", "主城区", 2021, 457, "人", SOURCE),
        ("长治市", "农村学校50岁以上教师占比", "义务教育", "农村", 2021, 27, "%", SOURCE),
    ]
    return pd.DataFrame(
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


def test_published_series_reproduce_the_printed_derived_figures():
    series = published_enrolment(_published())
    assert len(series) == 8  # derived figures and the % row are not series
    series = add_compulsory_total(series, by=["region", "area"])
    ch = period_change(series, by=["section_group"]).set_index("section_group")
    # "3年增长9685人，年均增长3228人" / "3年增长1370人，年均增长457人" / "合计增长11055人"
    assert ch.loc["primary", "total_change"] == 9685
    assert ch.loc["primary", "years_elapsed"] == 3
    assert round(ch.loc["primary", "avg_annual_change"]) == 3228
    assert ch.loc["junior", "total_change"] == 1370
    assert round(ch.loc["junior", "avg_annual_change"]) == 457
    assert ch.loc["compulsory", "total_change"] == 11055
    # compound growth: (52656 / 42971) ** (1/3) - 1
    assert ch.loc["primary", "cagr_pct"] == pytest.approx(((52656 / 42971) ** (1 / 3) - 1) * 100)
    assert ch.loc["primary", "cagr_pct"] == pytest.approx(7.01, abs=0.01)


def test_yoy_change_per_group_and_against_previous_year_present():
    df = pd.DataFrame(
        {
            "g": ["a", "b", "a", "b", "a"],
            "year": [2019, 2019, 2020, 2020, 2022],
            "students": [100, 50, 120, 40, 150],
        }
    )
    out = add_yoy_change(df, by=["g"])
    assert out.index.tolist() == df.index.tolist()  # row order and index kept
    a = out.loc[out["g"] == "a"]
    assert a["yoy_change"].isna().tolist() == [True, False, False]
    assert a["yoy_change"].tolist()[1:] == [
        20.0,
        30.0,
    ]  # 2022 compares with 2020, the previous present
    assert a["yoy_change_pct"].tolist()[1:] == [20.0, 25.0]
    b = out.loc[out["g"] == "b"]
    assert b["yoy_change"].tolist()[1:] == [-10.0] and b["yoy_change_pct"].tolist()[1:] == [-20.0]
    assert "yoy_change" not in df  # input untouched


def test_period_change_with_a_window_and_zero_start():
    df = pd.DataFrame({"year": [2018, 2019, 2020, 2021], "students": [0, 10, 20, 40]})
    full = period_change(df).iloc[0]
    assert full["total_change"] == 40 and np.isnan(full["cagr_pct"])  # no growth rate from 0
    win = period_change(df, start=2019, end=2021).iloc[0]
    assert (win["start_year"], win["end_year"], win["years_elapsed"]) == (2019, 2021, 2)
    assert win["avg_annual_change"] == 15.0
    assert win["cagr_pct"] == pytest.approx(100.0)  # 10 -> 40 in two years doubles each year
    with pytest.raises(ValueError, match="no 'students' values"):
        period_change(df, start=2030)


def _sections() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": [2023, 2023, 2023, 2024, 2024, 2024, 2024],
            "county": ["甲县"] * 7,
            "area_type": ["urban", "rural", "urban", "urban", "rural", "urban", "town"],
            "section": ["primary", "primary", "junior", "primary", "primary", "junior", "senior"],
            "students": pd.array([500, 120, 300, 560, 100, 330, 999], dtype="Int64"),
        }
    )


def test_students_by_level_sums_areas_sections_and_totals():
    out = students_by_level(_sections())
    got = {(r.year, r.area_group, r.section_group): r.students for r in out.itertuples()}
    assert got[(2024, "urban", "primary")] == 560
    assert got[(2024, "all", "primary")] == 660
    assert got[(2024, "all", "junior")] == 330
    assert got[(2024, "all", "compulsory")] == 990  # senior students are not compulsory
    assert got[(2023, "rural", "compulsory")] == 120
    assert not any(k[2] == "senior" for k in got)
    with_senior = students_by_level(_sections(), sections_included=["primary", "junior", "senior"])
    assert with_senior.query("section_group == 'senior'")["students"].sum() == 999 * 2  # town + all
    with pytest.raises(ValueError, match="choose one of"):
        students_by_level(_sections(), sections_included=["kindergarten"])


def test_trends_and_summary_validate_against_their_schemas():
    trends = enrolment_trends(_sections())
    validate(trends, "out_enrolment_trends")
    row = trends.query(
        "area_group == 'all' and section_group == 'compulsory' and year == 2024"
    ).iloc[0]
    assert row["yoy_change"] == 990 - 920
    assert row["yoy_change_pct"] == pytest.approx(70 / 920 * 100)
    summary = enrolment_summary(trends)
    validate(summary, "out_enrolment_summary")
    s = summary.query("area_group == 'rural' and section_group == 'primary'").iloc[0]
    assert (s["start_value"], s["end_value"], s["total_change"]) == (120, 100, -20)


def test_compulsory_total_needs_both_sections():
    df = pd.DataFrame(
        {
            "r": ["x"] * 3,
            "section_group": ["primary", "junior", "primary"],
            "year": [2018, 2018, 2019],
            "students": [10.0, 5.0, 12.0],
        }
    )
    out = add_compulsory_total(df, by=["r"])
    comp = out.query("section_group == 'compulsory'")
    assert comp[["year", "students"]].values.tolist() == [[2018, 15.0]]
    # a printed compulsory figure is kept, not doubled
    printed = pd.concat(
        [
            df,
            pd.DataFrame(
                {"r": ["x"], "section_group": ["compulsory"], "year": [2018], "students": [16.0]}
            ),
        ]
    )
    again = add_compulsory_total(printed, by=["r"]).query("section_group == 'compulsory'")
    assert again["students"].tolist() == [16.0]


def test_published_enrolment_skips_single_year_headcounts():
    import pandas as pd

    from analysis.studies.enrolment import published_enrolment

    pub = pd.DataFrame({
        "region": ["长治市", "长治市", "万盛"], "indicator": ["在校生数"] * 3,
        "published_section": ["小学", "小学", "初中"], "area": ["主城区", "主城区", "全部"],
        "year": [2018, 2019, 2024], "value": [42971.0, 46014.0, 2046.0], "unit": ["人"] * 3,
        "source": ["s"] * 3,
    })
    out = published_enrolment(pub)
    assert out["region"].unique().tolist() == ["长治市"]
    assert len(published_enrolment(pub, min_years=1)) == 3


def test_no_published_figures_give_an_empty_series():
    # a processed folder cleaned from bureau files only has an empty core_published
    empty = pd.DataFrame({c: pd.Series(dtype="str") for c in ["region", "indicator", "published_section", "area",
                                                              "unit", "source"]})
    empty = empty.assign(year=pd.Series(dtype="int64"), value=pd.Series(dtype="float64"))
    from analysis.studies.enrolment import published_enrolment

    out = published_enrolment(empty)
    assert out.empty and "students" in out.columns
