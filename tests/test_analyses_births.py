"""Projection from births: entry ratio, intake from births six years earlier, band, peak,
places against capacity, areas, counties without births, gaps, age-specific population,
back-test. Every expected number is worked out by hand in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.dictionary import validate
from analysis.studies.births import backtest, cohorts, entry_ratio, has_births, project_from_births
from analysis.studies.projection import project_enrolment

# 甲县: school A (urban) and B (rural), grades 1-3, 2021-2024; every progression ratio is 1
GRID = {
    ("A", 2021): (100, 95, 90), ("A", 2022): (110, 100, 95),
    ("A", 2023): (120, 110, 100), ("A", 2024): (130, 120, 110),
    ("B", 2021): (50, 50, 50), ("B", 2022): (50, 50, 50),
    ("B", 2023): (40, 50, 50), ("B", 2024): (40, 40, 50),
}
AREA = {"A": "urban", "B": "rural"}
# births of the county (all) and of 城区 by birth year; intake year = birth year + 6
BIRTHS_ALL = {2015: 300, 2016: 320, 2017: 320, 2018: 340, 2019: 360, 2020: 380}
BIRTHS_URBAN = {2015: 200, 2016: 220, 2017: 240, 2018: 260, 2019: 250, 2020: 240}


def _frames():
    enrol = pd.DataFrame(
        [(y, s, g, n) for (s, y), ns in GRID.items() for g, n in zip((1, 2, 3), ns, strict=True)],
        columns=["year", "school_id", "grade", "students"],
    )
    schools = pd.DataFrame(
        [(y, s, "甲县", AREA[s]) for s in AREA for y in range(2021, 2025)],
        columns=["year", "school_id", "county", "area_type"],
    )
    sections = pd.DataFrame({
        "year": [2024, 2024, 2023], "school_id": ["A", "B", "A"], "county": ["甲县"] * 3,
        "area_type": ["urban", "rural", "urban"], "section": ["primary"] * 3,
        "classes": pd.array([8, 3, 99], dtype="Int64"),
    })
    return enrol, schools, sections


def _births(all_=BIRTHS_ALL, urban=BIRTHS_URBAN, measure="births"):
    rows = [("甲县", y, "all", measure, 0, n) for y, n in all_.items()]
    rows += [("甲县", y, "urban", measure, 0, n) for y, n in urban.items()]
    return pd.DataFrame(rows, columns=["county", "year", "area_group", "population_measure", "age", "population"])


def _proj(births=None, **kw):
    enrol, schools, sections = _frames()
    births = _births() if births is None else births
    args = dict(horizon=3, ratio_years=3, grades=[1, 2, 3], min_ratio_spread=0.02)
    return project_from_births(enrol, schools, births, sections, **{**args, **kw})


def _g1(p, area="all"):
    s = p.students.query("area_group == @area and grade == 1 and is_projected").set_index("year")
    return s


def test_entry_ratio_is_pooled_with_the_yearly_extremes_as_band():
    g1 = pd.Series({2021: 150.0, 2022: 160.0, 2023: 150.0})
    coh = pd.Series({2021: 300.0, 2022: 320.0, 2023: 250.0, 2024: 999.0})
    r, lo, hi, n = entry_ratio(g1, coh, min_spread=0.0)
    assert r == pytest.approx(460 / 870) and (lo, hi, n) == (pytest.approx(0.5), pytest.approx(0.6), 3)
    # the band is at least ± min_spread around the ratio; entry_years keeps the latest years
    r, lo, hi, n = entry_ratio(g1, coh, entry_years=2, min_spread=0.2)
    assert r == pytest.approx(310 / 570) and lo == pytest.approx(310 / 570 * 0.8) and hi == pytest.approx(310 / 570 * 1.2)  # 0.6 < r x 1.2
    assert n == 2
    assert np.isnan(entry_ratio(g1, pd.Series({2030: 1.0}))[0])


def test_intake_is_births_six_years_earlier_times_the_ratio():
    p = _proj()
    e = p.entry.set_index("area_group")
    # all: (150 + 160 + 160 + 170) / (300 + 320 + 320 + 340) = 640 / 1280
    assert e.loc["all", "entry_ratio"] == pytest.approx(0.5)
    assert (e.loc["all", "entry_ratio_source"], e.loc["all", "entry_years"]) == ("births", 4)
    assert e.loc["all", "last_cohort_year"] == 2026  # births known to 2020
    g1 = _g1(p)
    # 2025 = 0.5 x births 2019 (360); 2026 = 0.5 x 380; 2027 beyond the births: held at the last cohort
    assert g1["students_projected"].tolist() == pytest.approx([180, 190, 190])
    assert g1["intake_basis"].tolist() == ["births", "births", "extended"]
    # grades move up with ratio 1: grade 2 of 2025 is grade 1 of 2024 (170)
    g2 = p.students.query("area_group == 'all' and grade == 2 and year == 2025")["students_projected"]
    assert g2.item() == pytest.approx(170)
    for name, frame in (("out_births_projection", p.students), ("out_entry_ratios", p.entry),
                        ("out_level_projection", p.levels), ("out_level_outlook", p.outlook)):
        validate(frame, name)


def test_band_from_the_ratio_extremes_and_widening_beyond_the_births():
    g1 = _g1(_proj())
    # every yearly ratio is 0.5, so the band is the minimum ± 2 %
    assert g1.loc[2025, ["students_low", "students_high"]].tolist() == pytest.approx([0.49 * 360, 0.51 * 360])
    # 2027: one year beyond the last known cohort, widened by ± 5 %
    assert g1.loc[2027, ["students_low", "students_high"]].tolist() == pytest.approx(
        [0.49 * 380 * 0.95, 0.51 * 380 * 1.05])
    p = _proj()
    g2 = p.students.query("area_group == 'all' and grade == 2 and year == 2026")
    assert g2["students_low"].item() == pytest.approx(0.49 * 360)  # the low intake moved up a grade
    obs = p.students.query("not is_projected")
    assert (obs["students_low"] == obs["students_projected"]).all()
    assert (obs["students_high"] == obs["students_projected"]).all()


def test_extension_assumptions():
    g1 = _g1(_proj(extension="mean", extension_years=2, horizon=4))
    assert g1.loc[[2027, 2028], "students_projected"].tolist() == pytest.approx([0.5 * 370, 0.5 * 370])
    g1 = _g1(_proj(extension="trend", extension_years=2, horizon=4))
    assert g1.loc[[2027, 2028], "students_projected"].tolist() == pytest.approx(
        [0.5 * 380 * (380 / 360), 0.5 * 380 * (380 / 360) ** 2])
    with pytest.raises(ValueError, match="extension"):
        _proj(extension="guess")


def test_peak_year_and_places_against_capacity():
    p = _proj()
    lv = p.levels.query("area_group == 'all'").set_index("year")
    # primary (grades 1-3): 2024 490; 2025 180+170+160 = 510; 2026 190+180+170 = 540; 2027 190+190+180 = 560
    assert lv["students_projected"].loc[2024:].tolist() == pytest.approx([490, 510, 540, 560])
    assert lv["capacity_places"].iloc[0] == 11 * 45  # 2024 classes, not 2023's
    assert lv.loc[2027, "places_needed"] == pytest.approx(560 - 495)
    assert lv.loc[2027, "places_needed_high"] == pytest.approx(
        0.51 * 380 * 1.05 + 0.51 * 380 + 0.51 * 360 - 495)
    assert lv.loc[2027, "intake_basis"] == "extended" and lv.loc[2025, "intake_basis"] == "births"
    out = p.outlook.set_index(["area_group", "section"]).loc[("all", "primary")]
    assert (out["peak_year"], out["peak_students"], out["places_needed_peak"]) == (2027, pytest.approx(560), pytest.approx(65))
    assert np.isnan(out["students_5y"])  # horizon 3: no 5-year value
    out10 = _proj(horizon=10).outlook.set_index(["area_group", "section"]).loc[("all", "primary")]
    assert out10["students_5y"] == pytest.approx(570) and out10["students_10y"] == pytest.approx(570)
    assert out10["students_10y_low"] < out10["students_5y_low"] < 570 < out10["students_5y_high"] < out10["students_10y_high"]


def test_peak_is_the_base_year_when_numbers_only_fall():
    falling = {y: n for y, n in zip(range(2015, 2021), (300, 320, 320, 340, 200, 150), strict=True)}
    out = _proj(births=_births(falling, {})).outlook.set_index(["area_group", "section"])
    assert out.loc[("all", "primary"), "peak_year"] == 2024


def test_areas_with_own_births_or_by_share():
    p = _proj()
    e = p.entry.set_index("area_group")
    # urban: (100 + 110 + 120 + 130) / (200 + 220 + 240 + 260) = 0.5, its own births
    assert e.loc["urban", ["entry_ratio_source", "entry_ratio"]].tolist() == ["births", pytest.approx(0.5)]
    assert _g1(p, "urban")["students_projected"].tolist()[:2] == pytest.approx([125, 120])
    # rural has no births rows: the county's intake x its share (50+50+40+40) / 640
    assert e.loc["rural", "entry_ratio_source"] == "share"
    assert e.loc["rural", "intake_share_pct"] == pytest.approx(180 / 640 * 100)
    assert _g1(p, "rural")["students_projected"].tolist() == pytest.approx([180 * 0.28125, 190 * 0.28125, 190 * 0.28125])
    assert _g1(p, "rural")["intake_basis"].tolist() == ["births", "births", "extended"]
    rural = p.levels.query("area_group == 'rural'")
    assert rural["capacity_places"].iloc[0] == 3 * 45


def test_county_total_from_area_rows_only():
    urban = {y: n * 2 // 3 for y, n in BIRTHS_ALL.items()}
    rural = {y: n - urban[y] for y, n in BIRTHS_ALL.items()}
    b = pd.concat([_births({}, urban), _births({}, rural).assign(area_group="rural")], ignore_index=True)
    c = cohorts(b).query("area_group == 'all'").set_index("intake_year")["cohort"]
    assert c.to_dict() == {y + 6: float(n) for y, n in BIRTHS_ALL.items()}
    assert _g1(_proj(births=b))["students_projected"].tolist() == pytest.approx([180, 190, 190])


def test_a_county_without_births_falls_back_to_the_assumed_intake():
    enrol, schools, sections = _frames()
    for births in (None, _births().iloc[:0], _births().assign(county="乙县")):
        p = project_from_births(enrol, schools, births, sections, horizon=3, grades=[1, 2, 3],
                                fallback_method="mean")
        assert p.counties_without_births == ("甲县",)
        assert not has_births(births, "甲县")
        assert set(p.entry["entry_ratio_source"]) == {"none"}
        assert set(p.students.query("is_projected and grade == 1")["intake_basis"]) == {"assumed"}
        old = project_enrolment(enrol, schools, sections, horizon=3, grades=[1, 2, 3], intake_method="mean")
        pd.testing.assert_series_equal(p.students["students_projected"], old.students["students_projected"])
        assert "甲县无出生人口数据" in p.method
        assert (p.students["students_low"] == p.students["students_high"]).all()


def test_births_with_gaps():
    gappy = {y: n for y, n in BIRTHS_ALL.items() if y not in (2017, 2019)}
    p = _proj(births=_births(gappy, {}))
    e = p.entry.set_index("area_group").loc["all"]
    # intake 2023 has no cohort: the ratio uses 2021, 2022, 2024: 480 / 960
    assert (e["entry_ratio"], e["entry_years"]) == (pytest.approx(0.5), 3)
    g1 = _g1(p)
    # 2025's cohort (born 2019) is missing: interpolated between 2018 (340) and 2020 (380)
    assert g1.loc[2025, ["students_projected", "intake_basis"]].tolist() == [pytest.approx(180), "interpolated"]
    assert p.levels.query("area_group == 'all' and year == 2025")["intake_basis"].item() == "interpolated"


def test_births_that_stop_before_the_base_year_leave_every_year_extended():
    old = {y: n for y, n in BIRTHS_ALL.items() if y <= 2017}  # cohorts to intake 2023
    g1 = _g1(_proj(births=_births(old, {})))
    assert g1["intake_basis"].tolist() == ["extended"] * 3
    # ratio (150+160+160)/(300+320+320); last known cohort 320, widened ±5 % a year from 2023
    assert g1.loc[2025, "students_projected"] == pytest.approx(0.5 * 320)
    assert g1.loc[2025, "students_high"] == pytest.approx(0.51 * 320 * 1.05**2)


def test_age_specific_population_gives_the_cohorts():
    # residents aged 5 and 4 in 2024 enter grade 1 in 2025 and 2026; aged 6-9 in 2024 give the
    # ratio years 2021-2024 (born 2015-2018)
    rows = [("甲县", 2024, "all", "age_population", a, n)
            for a, n in ((9, 300), (8, 320), (7, 320), (6, 340), (5, 360), (4, 380))]
    b = pd.DataFrame(rows, columns=["county", "year", "area_group", "population_measure", "age", "population"])
    p = _proj(births=b)
    assert p.entry.set_index("area_group").loc["all", "population_measure"] == "age_population"
    assert _g1(p)["students_projected"].tolist() == pytest.approx([180, 190, 190])
    assert "分年龄人口" in p.method


def test_measure_priority_picks_births_over_registered_births():
    both = pd.concat([_births(urban={}), _births({y: 1 for y in BIRTHS_ALL}, {}, "registered_births")])
    assert _g1(_proj(births=both))["students_projected"].tolist() == pytest.approx([180, 190, 190])
    reg = _g1(_proj(births=both, measure_priority=["registered_births"]))
    assert reg["students_projected"].tolist() == pytest.approx([160, 160, 160])  # ratio 160, cohort 1


def _cohort_city():
    """One school, grades 1-9, 2011-2024: grade 1 of Y = 0.5 x births of Y - 6, ratios 1."""
    births = {y: 400 - 15 * (y - 2005) + (20 if y % 3 == 0 else 0) for y in range(2005, 2019)}
    g1 = {y + 6: 0.5 * n for y, n in births.items()}
    rows = [(y, "S", g, g1[y - g + 1]) for y in range(2019, 2025) for g in range(1, 10)]
    enrol = pd.DataFrame(rows, columns=["year", "school_id", "grade", "students"])
    schools = pd.DataFrame({"year": range(2019, 2025), "school_id": "S", "county": "甲县", "area_type": "town"})
    b = pd.DataFrame({"county": "甲县", "year": list(births), "area_group": "all",
                      "population_measure": "births", "age": 0, "population": list(births.values())})
    return enrol, schools, b


def test_backtest_reports_each_method_and_births_win_when_births_drive_intake():
    enrol, schools, b = _cohort_city()
    bt = backtest(enrol, schools, b, holdout=3)
    validate(bt, "out_projection_backtest")
    m = bt.set_index(["intake_method", "backtest_measure"])["mape_pct"]
    assert set(bt["intake_method"]) == {"births", "mean", "last", "growth"}
    assert (bt["base_year"] == 2021).all() and (bt["n_points"] == 3).all()
    assert m[("births", "grade1")] == pytest.approx(0, abs=1e-9)
    assert m[("births", "primary")] == pytest.approx(0, abs=1e-9)
    for method in ("mean", "last", "growth"):
        assert m[(method, "grade1")] > 1
    # births of the held-out cohorts (born 2016-2018, known at the base year 2021) drive it ...
    late = b.assign(population=np.where(b["year"] > 2015, 1, b["population"]))
    assert backtest(enrol, schools, late, holdout=3).set_index(
        ["intake_method", "backtest_measure"]).loc[("births", "grade1"), "mape_pct"] > 1
    # ... while births after the base year (not known then) are not used
    after = pd.concat([b, b.tail(3).assign(year=[2022, 2023, 2024], population=[1, 1, 1])], ignore_index=True)
    pd.testing.assert_frame_equal(backtest(enrol, schools, after, holdout=3), bt)
    with pytest.raises(ValueError, match="at least"):
        backtest(enrol.query("year >= 2022"), schools, b, holdout=3)


def test_chart_draws_the_band_peak_and_capacity():
    import matplotlib

    matplotlib.use("Agg")
    from analysis.plotting import births_projection_chart

    p = _proj(horizon=6)
    fig = births_projection_chart(p, county="甲县", source="测试", synthetic=True)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "小学预测区间" in labels and "预测期（出生人口外推假设）" in labels
    assert any(t.get_text().startswith("峰值 ") for t in ax.texts)
    assert any("现有学位容量 495" in label for label in labels)
    assert any("示例数据（合成）" in t.get_text() for t in fig.texts)
    births_projection_chart(p, county="甲县", area_group="rural", source="测试")
    with pytest.raises(ValueError, match="乙县"):
        births_projection_chart(p, county="乙县", source="测试")


def test_notebook_helpers_on_the_cleaned_sample(sample_processed, tmp_path):
    import shutil

    from analysis.presentation import load_context
    from analysis.studies.births import (
        NO_BIRTHS_NOTE,
        NO_ENROLMENT_NOTE,
        county_births_projection,
        outlook_table,
    )
    from analysis.tables import read_table

    counties = sorted(read_table("core_schools", sample_processed, columns=["county"])["county"].unique())
    with_births = set(read_table("core_births", sample_processed)["county"])
    assert 0 < len(with_births) < len(counties)  # the sample has a county without births
    for county in counties:
        ctx = load_context(sample_processed, county)
        sections = ctx.read("core_school_sections").query("year <= @ctx.year")
        bp, note = county_births_projection(ctx, sections)
        if county not in with_births:
            assert bp is None and note == NO_BIRTHS_NOTE
            continue
        assert note is None
        assert bp.counties_without_births == ()
        table = outlook_table(bp)
        assert set(table["section"]) == {"primary", "junior"} and "all" in set(table["area_group"])
        assert (table["peak_year"] >= bp.base_year).all()
        future = bp.levels.query("is_projected and area_group == 'all'").set_index(["section", "year"])["intake_basis"]
        first = bp.base_year + 1
        # primary rests on births at once; junior cohorts are still the enrolled pupils for a while
        assert future[("primary", first)] == "births" and future[("junior", first)] == "observed"
        assert future.isin(["observed", "births", "interpolated", "extended"]).all()
    # a processed folder made before the births kind existed: no births, no error
    old = tmp_path / "old"
    shutil.copytree(sample_processed, old)
    (old / "core_births.parquet").unlink()
    assert county_births_projection(load_context(old, sorted(with_births)[0])) == (None, NO_BIRTHS_NOTE)
    # births but no enrolment by grade (or one year only): a note, not an error
    (old / "core_enrolment.parquet").unlink()
    shutil.copy(sample_processed / "core_births.parquet", old / "core_births.parquet")
    assert county_births_projection(load_context(old, sorted(with_births)[0])) == (None, NO_ENROLMENT_NOTE)
    one_year = tmp_path / "one_year"
    shutil.copytree(sample_processed, one_year)
    ctx = load_context(one_year, sorted(with_births)[0])
    ctx = type(ctx)(**{**ctx.__dict__, "year": min(ctx.years)})
    assert county_births_projection(ctx) == (None, NO_ENROLMENT_NOTE)
    assert NO_BIRTHS_NOTE.count("。") == 1 and NO_ENROLMENT_NOTE.count("。") == 1


def test_an_implausible_entry_ratio_is_flagged_in_the_method_text():
    plausible = {y: n // 2 for y, n in BIRTHS_ALL.items()}  # entry ratio 1.0
    assert "注意" not in _proj(births=_births(plausible, {})).method
    city_births = {y: n * 10 for y, n in BIRTHS_ALL.items()}  # a city's births given for a county
    method = _proj(births=_births(city_births, {})).method
    assert "注意：甲县（0.05）的入学系数不在0.6—1.5之间" in method
    # the hand frames above (ratio 0.5 for the county and 城区) are flagged too
    assert "甲县城区（0.50）、甲县（0.50）" in _proj().method


def test_a_plain_births_frame_without_age_area_or_measure_columns():
    b = pd.DataFrame({"county": "甲县", "year": list(BIRTHS_ALL), "population": list(BIRTHS_ALL.values())})
    assert _g1(_proj(births=b))["students_projected"].tolist() == pytest.approx([180, 190, 190])
