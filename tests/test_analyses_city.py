"""City and province analyses (analysis.studies.city) on small hand-built multi-county frames.

The frames are synthetic (示例数据（合成）): three counties of 甲市, one of 乙市, with a county
that sends no school table, one without a roster and one without junior schools.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from analysis.studies import city


def _groups(tmp_path, text: str, name: str = "groups.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return city.load_groups(path)


GROUPS = """
cities:
  甲市:
    province: 甲省
    groups:
      主城区: [东区, 西区]
      县: [北县, 南县]
  乙市:
    province: 甲省
    counties: [河县]
"""


@pytest.fixture
def groups(tmp_path):
    return _groups(tmp_path, GROUPS)


def _sections() -> pd.DataFrame:
    rows = []
    # 东区 and 西区 every year; 北县 only 2022-2023 (missing 2024); 河县 in 乙市
    for county, years, primary, junior, area in [
        ("东区", (2022, 2023, 2024), (1000, 1100, 1210), (500, 520, 540), "urban"),
        ("西区", (2022, 2023, 2024), (400, 420, 440), (200, 210, 220), "urban"),
        ("北县", (2022, 2023), (300, 290), (0, 0), "rural"),
        ("河县", (2022, 2023, 2024), (50, 50, 50), (20, 20, 20), "rural"),
    ]:
        for y, p, j in zip(years, primary, junior, strict=True):
            rows.append({"year": y, "county": county, "area_type": area, "section": "primary", "students": p})
            if j:
                rows.append({"year": y, "county": county, "area_type": area, "section": "junior", "students": j})
    return pd.DataFrame(rows)


def test_groups_file_yaml_and_csv_agree(tmp_path, groups):
    csv = _groups(tmp_path, "省,市,分组,县\n甲省,甲市,主城区,东区\n甲省,甲市,主城区,西区\n甲省,甲市,县,北县\n"
                            "甲省,甲市,县,南县\n甲省,乙市,,河县\n", "groups.csv")
    for g in (groups, csv):
        assert g.cities["甲市"]["groups"] == {"主城区": ("东区", "西区"), "县": ("北县", "南县")}
        assert g.province_of("乙市") == "甲省" and g.city_of("河县") == "乙市"


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        pytest.param("cities:\n  甲市:\n    provinc: 甲省\n", "g.yaml", "unknown keys", id="unknown-key"),
        pytest.param("cities:\n  甲市:\n    groups:\n      主城区: []\n", "g.yaml", "at least one county", id="empty-group"),
        pytest.param("cities:\n  甲市:\n    counties: [东区]\n  乙市:\n    counties: [东区]\n", "g.yaml",
                     "two cities", id="county-in-two-cities"),
        pytest.param("cities:\n  甲市:\n    counties: [东区, 东区]\n", "g.yaml", "listed twice", id="duplicate"),
        pytest.param("省,市,县\n甲省,甲市,东区\n乙省,甲市,西区\n", "g.csv", "row 3, column 省", id="csv-two-provinces"),
        pytest.param("省,市,县\n甲省,,东区\n", "g.csv", "row 2, column 市", id="csv-empty-city"),
        pytest.param("a,b\n1,2\n", "g.csv", "header needs", id="csv-header"),
    ],
)
def test_bad_groups_file_names_file_and_place(tmp_path, text, name, message):
    with pytest.raises(city.GroupsFileError, match=message) as err:
        _groups(tmp_path, text, name)
    assert name in str(err.value)


def test_places_and_regions_keep_absent_counties(groups):
    # 北县 has no city column in its data: the groups file says 甲市; 丁县 is nowhere
    frame = pd.DataFrame({"county": ["东区", "西区", "北县", "河县", "丁县"],
                          "city": ["甲市", "甲市", None, "乙市", None]})
    places = city.county_places(frame, groups)
    assert places.set_index("county")["city"].to_dict() == {
        "东区": "甲市", "西区": "甲市", "北县": "甲市", "河县": "乙市", "丁县": city.UNKNOWN_CITY}
    regs = city.regions(places, groups)
    jia = regs["甲市"]
    assert set(jia.counties) == {"东区", "西区", "北县"}
    assert jia.groups == {"主城区": ("东区", "西区"), "县": ("北县",)}
    assert jia.absent == {"甲市": ("南县",), "县": ("南县",)}
    note = city.region_note(jia)
    assert "分组文件列出的南县未报送数据" in note and "分组“县”：北县（所列的南县未报送数据）。" in note
    prov = city.regions(places, groups, scope="province")
    assert set(prov) == {"甲省", city.UNKNOWN_PROVINCE}
    assert set(prov["甲省"].groups) == {"甲市", "乙市"}


def test_group_series_sum_members_and_skip_incomplete_years(groups):
    members = {"甲市": ("东区", "西区", "北县"), "主城区": ("东区", "西区"), "县": ("北县",)}
    t = city.region_enrolment(_sections(), members)
    allp = t.query("area_group == 'all' and section_group == 'primary'").set_index(["region", "year"])
    assert allp.loc[("甲市", 2022), "students"] == 1700
    assert allp.loc[("主城区", 2024), "students"] == 1650
    # 北县 sent nothing for 2024: the city's 2024 is incomplete, not a fall
    assert not allp.loc[("甲市", 2024), "is_complete"]
    assert allp.loc[("甲市", 2024), "n_counties_reporting"] == 2
    assert pd.isna(allp.loc[("甲市", 2024), "yoy_change"])
    assert allp.loc[("主城区", 2024), "yoy_change"] == 130
    s = city.region_enrolment_summary(t).query("area_group == 'all'").set_index(["region", "section_group"])
    assert s.loc[("甲市", "primary"), "end_year"] == 2023  # last complete year
    assert s.loc[("甲市", "primary"), "total_change"] == (1100 + 420 + 290) - 1700
    r = s.loc[("主城区", "primary")]
    assert r["total_change"] == 250 and r["avg_annual_change"] == 125
    assert r["cagr_pct"] == pytest.approx(((1650 / 1400) ** 0.5 - 1) * 100)
    # 县 (北县 only) has no junior section at all: no junior row, primary over 2 years
    assert ("县", "junior") not in s.index and ("县", "primary") in s.index


def test_region_with_no_sections_gives_empty_frames():
    t = city.region_enrolment(_sections().iloc[0:0], {"甲市": ("东区",)})
    assert t.empty and city.region_enrolment_summary(t).empty


def test_published_figures_beside_computed_keep_their_source():
    members = {"甲市": ("东区", "西区"), "主城区": ("东区", "西区")}
    t = city.region_enrolment(_sections(), members)
    pub = pd.DataFrame({
        "region": ["甲市", "甲市", "乙市"], "indicator": ["在校生数", "在校生数", "在校生数"],
        "published_section": ["小学", "小学", "小学"], "area": ["主城区", "全部", "全部"],
        "year": [2024, 2021, 2024], "value": [1600.0, 1000.0, 9.0], "unit": ["人"] * 3,
        "source": ["甲市人民政府, 自评报告, 2025-01-01"] * 3})
    region = city.Region("city", "甲市", ("东区", "西区"), {"主城区": ("东区", "西区")})
    b = city.published_beside(t, pub, region)
    got = b.set_index(["region", "year"])
    assert sorted(got.index) == sorted([("甲市", 2021), ("主城区", 2024)])
    assert got.loc[("主城区", 2024), ["students", "published_students", "difference"]].tolist() == [1650, 1600, 50]
    assert pd.isna(got.loc[("甲市", 2021), "students"])  # no data for that year: shown, not dropped
    assert set(b["source"]) == {"甲市人民政府, 自评报告, 2025-01-01"}
    assert "乙市" not in set(b["region"])


def _roster():
    schools = pd.DataFrame({"year": 2024, "school_id": ["1", "2", "3"], "county": ["东区", "北县", "北县"],
                            "area_type": ["urban", "rural", "rural"]})
    teachers = pd.DataFrame({
        "year": 2024, "school_id": ["1", "1", "2", "2", "3", "3"], "teaching_section": "primary",
        "birth_date": pd.to_datetime(["1990-01-01", "1970-01-01", "1968-01-01", "1972-01-01", "1995-01-01",
                                      "1960-01-01"]),
        "degree": ["bachelor", "bachelor", "associate", "below_senior_secondary", "bachelor", "associate"],
        "gender": "female"})
    return teachers, schools


def test_teacher_shares_by_area_over_all_teachers_of_the_city():
    teachers, schools = _roster()
    prep = city.region_teachers(teachers, schools, {"甲市": ("东区", "北县"), "主城区": ("东区",)})
    s = city.region_teacher_shares(prep).set_index(["region", "area_group", "category"])
    # rural 北县: ages 56, 52, 29, 64 at 2024-08-31 -> 50岁以上 (51+) 3 of 4
    assert s.loc[("甲市", "rural", "50岁以上"), "teachers"] == 3
    assert s.loc[("甲市", "rural", "50岁以上"), "share_pct"] == 75.0
    assert s.loc[("甲市", "rural", "本科以下"), "share_pct"] == 75.0
    assert s.loc[("甲市", "all", "本科以下"), "share_pct"] == 50.0
    assert ("主城区", "rural", "50岁以上") not in s.index
    assert s.loc[("主城区", "urban", "50岁以上"), "share_pct"] == 50.0


def test_coverage_names_the_counties_without_a_roster():
    teachers, schools = _roster()
    region = city.Region("city", "甲市", ("东区", "北县", "西区"))
    covered = schools.loc[schools["school_id"].isin(set(teachers["school_id"]))]
    text = city.coverage(covered, region, what="教师结构", kind="专任教师名册（表2）")
    assert text == "教师结构按2个县（区）计算（东区、北县）；西区未提供专任教师名册（表2），未计入。"


def test_region_gaps_are_city_wide_weighted_levels():
    sec = pd.DataFrame({"year": 2024, "county": ["东区", "北县", "北县"], "school_id": ["1", "2", "3"],
                        "section": "primary", "area_type": ["urban", "rural", "rural"],
                        "students": [900, 60, 40], "multimedia_rooms": [18, 3, 1], "teachers": [50, 6, 4],
                        "is_indicator_school": True})
    levels, gap = city.region_gaps(sec, {"甲市": ("东区", "北县"), "县": ("北县",)})
    g = gap.loc[(gap["county"] == "甲市") & (gap["section_group"] == "primary")].set_index("indicator")
    assert g.loc["L7", "urban_level"] == 2.0 and g.loc["L7", "rural_level"] == 4.0
    assert g.loc["L7", "all_level"] == pytest.approx(22 / 1000 * 100)
    assert set(gap["county"]) == {"甲市", "县"}


def _engine():
    cv = pd.DataFrame({
        "county": ["东区"] * 3 + ["北县"],
        "section": ["primary", "primary", "junior", "primary"],
        "indicator": ["L4", "L5", "L5", "L5"], "cv": [0.3, 0.78, 0.2, 0.4],
        "threshold": [0.5, 0.5, 0.45, 0.5], "is_met": [True, False, True, True]})
    parts = ["resource", "guarantee", "quality", "recognition", "veto", "overall"]
    verdict = pd.DataFrame({
        "county": ["东区"] * 6 + ["北县"] * 6, "part": parts * 2,
        "status": ["not_met", "met", "met", "met", "met", "not_met",
                   "met", "met", "met", "missing", "met", "missing"],
        "is_met": [False, True, True, True, True, False, True, True, True, None, True, None],
        "reason": ""})
    totals = pd.DataFrame({"county": ["东区", "东区", "北县"], "part": ["resource", "guarantee", "guarantee"],
                           "indicator": ["L5", "G9", "G5"], "gap_unit": ["m2", "teachers", "students"],
                           "gap": [28614.8, 130.0, 4.0], "n_schools": [8, 31, 2]})
    return SimpleNamespace(cv=cv, verdict=verdict, shortfall_totals=totals)


def test_comparison_table_with_a_county_lacking_parts():
    t = city.comparison_table(_engine(), ["东区", "北县", "西区"], notes={"西区": "未提供学校基本情况表（表1）"})
    rows = t.set_index("县（区）")
    assert rows.loc["东区", "资源配置"] == "未达标" and rows.loc["东区", "小学L5"] == 0.78
    assert "小学L5" in rows.loc["东区", "超过上限的差异系数"]
    assert rows.loc["东区", "小学L4"] == 0.3 and pd.isna(rows.loc["东区", "小学L1"])
    assert rows.loc["东区", "主要缺口"] == "L5缺28,615平方米"  # G9 is not a key shortfall
    # 北县: no survey (recognition missing), no junior schools
    assert rows.loc["北县", "社会认可度"] == "数据缺失" and rows.loc["北县", "综合结论"] == "数据缺失"
    assert pd.isna(rows.loc["北县", "初中L5"]) and "无初中差异系数" in rows.loc["北县", "说明"]
    assert rows.loc["北县", "主要缺口"] == "G5缺4人"
    # 西区 was not evaluated at all: every cell —, the reason given
    west = rows.loc["西区"].drop(["说明"])
    assert all(v == "—" or pd.isna(v) for v in west)
    assert rows.loc["西区", "说明"].startswith("未提供学校基本情况表（表1）")
    assert len(t) == 3


def test_comparison_without_engine_shows_dashes():
    t = city.comparison_table(None, ["东区"])
    assert t.loc[0, "综合结论"] == "—" and "未能评估" in t.loc[0, "说明"]
    s = city.status_long(None, ["东区"])
    assert set(s["status"]) == {"missing"} and len(s) == 6


def test_small_multiples_draw_every_county_even_without_values():
    import matplotlib.pyplot as plt

    from analysis import region_plots as rp

    ev = _engine()
    fig = rp.cv_small_multiples(ev.cv, section="junior", counties=["东区", "北县", "西区"], source="示例",
                                synthetic=True, thresholds={"junior": 0.45})
    labels = [t.get_text() for t in fig.axes[4].texts]  # L5 panel
    assert labels == [" 0.20", " —", " —"]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["东区", "北县", "西区"]
    plt.close(fig)
    fig = rp.status_grid(city.status_long(ev, ["东区", "北县", "西区"]), counties=["东区", "北县", "西区"],
                         source="示例", synthetic=True)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("—") == 6 + 2 and "未达标" in texts
    assert fig.texts[-1].get_text().endswith("示例数据（合成）")
    plt.close(fig)


def test_real_changzhi_figures_sit_beside_a_computed_main_district_series():
    """The 长治市 2021 self-evaluation's 主城区 series (real, with its source) next to a series
    computed from hand-built district rows (synthetic) whose 2018 and 2021 match it."""
    from test_analyses_fixture import CHANGZHI, published_frame

    pub = published_frame()
    sec = pd.DataFrame({"year": [2018, 2021, 2018, 2021], "county": ["潞州区"] * 4, "area_type": "urban",
                        "section": ["primary", "primary", "junior", "junior"],
                        "students": [42971, 52656, 21966, 23336]})
    region = city.Region("city", "长治市", ("潞州区",), {"主城区": ("潞州区",)})
    trends = city.region_enrolment(sec, region.members())
    beside = city.published_beside(trends, pub, region).set_index(["region", "section_group", "year"])
    assert beside.loc[("主城区", "primary", 2021), "difference"] == 0
    assert pd.isna(beside.loc[("主城区", "primary", 2019), "students"])  # not in the data: shown as missing
    assert set(beside["source"]) == {CHANGZHI}
    derived = city.published_derived(pub, region)
    assert {"在校生3年增长", "在校生年均增长"} <= set(derived["indicator"])
    summary = city.region_enrolment_summary(trends).set_index(["region", "area_group", "section_group"])
    assert summary.loc[("主城区", "all", "primary"), "total_change"] == 9685  # as printed
    assert round(summary.loc[("主城区", "all", "junior"), "avg_annual_change"]) == 457


def test_region_chart_titles_sit_where_the_automatic_placement_would_put_them():
    """As the county charts (tests/test_plotting.py): the house style's fixed axes titles
    give the pixels of matplotlib's automatic placement, the status grid's top tick labels
    included (it has no axes title)."""
    import io

    import matplotlib as mpl
    import matplotlib.pyplot as plt
    import numpy as np

    from analysis import region_plots as rp
    from analysis.chart_png import decoded

    ev = _engine()
    names = ["东区", "北县", "西区"]
    charts = [
        lambda: rp.cv_small_multiples(ev.cv, section="junior", counties=names, source="示例", synthetic=True,
                                      thresholds={"junior": 0.45}),
        lambda: rp.status_grid(city.status_long(ev, names), counties=names, source="示例", synthetic=True),
    ]

    def pixels(fig):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=120)
        plt.close(fig)
        return decoded(buffer.getvalue())

    for make in charts:
        fixed = pixels(make())
        with mpl.rc_context({"axes.titley": None}):
            automatic = pixels(make())
        assert np.array_equal(fixed, automatic)
