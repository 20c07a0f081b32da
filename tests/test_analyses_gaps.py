"""Urban-rural gaps: weighted indicator levels, class-size bands, teacher measures, published CVs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.dictionary import validate
from analysis.studies import cv_thresholds, gaps
from analysis.studies.teachers import prepare_teachers


def _sections() -> pd.DataFrame:
    """Three primary sections (urban 1000, urban 500, rural 100 students) and a small teaching point."""
    return pd.DataFrame(
        {
            "year": [2024] * 4,
            "county": ["甲县"] * 4,
            "school_id": ["1", "2", "3", "4"],
            "school_name": ["一小", "二小", "三小", "某教学点"],
            "section": ["primary"] * 4,
            "area_type": ["urban", "urban", "rural", "rural"],
            "students": pd.array([1000, 500, 100, 30], dtype="Int64"),
            "teachers": pd.array([60, 30, 10, 3], dtype="Int64"),
            "above_degree_teachers": pd.array([50, 30, 3, 3], dtype="Int64"),
            "backbone_teachers": pd.array([10, 5, 1, 0], dtype="Int64"),
            "pe_art_teachers": pd.array([9, 6, 1, 0], dtype="Int64"),
            "teaching_area_m2": [5000.0, 2500.0, 600.0, 200.0],
            "indoor_sports_area_m2": [500.0, np.nan, 0.0, 0.0],
            "sports_ground_area_m2": [6000.0, 4000.0, 1000.0, 300.0],
            "equipment_value_yuan": [2.5e6, 1.0e6, 1.5e5, 1.0e4],
            "multimedia_rooms": pd.array([20, 12, 3, 1], dtype="Int64"),
            "is_indicator_school": [True, True, True, False],
        }
    )


def test_school_values_take_indoor_sports_rooms_out_of_l4_and_into_l5():
    v = gaps.school_resource_values(_sections()).set_index(["school_id", "indicator"])["value"]
    assert v[("1", "L4")] == pytest.approx((5000 - 500) / 1000)
    assert v[("1", "L5")] == pytest.approx((6000 + 500) / 1000)
    assert v[("2", "L4")] == pytest.approx(5.0)  # no indoor area reported: nothing taken out
    assert v[("2", "L5")] == pytest.approx(8.0)
    assert v[("3", "L1")] == pytest.approx(3.0)  # per 100 students
    assert v[("1", "L6")] == pytest.approx(2500)
    assert "4" not in v.index.get_level_values(0)  # teaching point under 50 students left out


def test_levels_are_student_weighted_and_match_the_engine_values():
    sections = _sections()
    levels = gaps.resource_levels(sections)
    lv = levels.set_index(["indicator", "area_group"])["value"]
    assert lv[("L1", "urban")] == pytest.approx((50 + 30) / 1500 * 100)
    assert lv[("L1", "rural")] == pytest.approx(3 / 100 * 100)
    assert lv[("L1", "all")] == pytest.approx(83 / 1600 * 100)
    assert lv[("L4", "all")] == pytest.approx((4500 + 2500 + 600) / 1600)
    # the same levels from the engine's per-school values (student-weighted mean)
    values = gaps.school_resource_values(sections)
    engine = values[["year", "school_id", "section", "indicator", "value"]].assign(is_counted=True)
    from_engine = gaps.resource_levels(sections, engine)
    pd.testing.assert_frame_equal(levels, from_engine)
    # sections the engine does not count are left out
    engine.loc[engine["school_id"] == "3", "is_counted"] = False
    no_rural = gaps.resource_levels(sections, engine)
    assert "rural" not in set(no_rural["area_group"])


def test_class_size_bands_edges_and_shares():
    sizes = pd.Series([45, 46, 55, 56, 65, 66, 30])
    assert gaps.class_size_band(sizes).tolist() == [
        "normal",
        "above_normal",
        "above_normal",
        "large",
        "large",
        "very_large",
        "normal",
    ]
    assert gaps.class_size_band(sizes, edges=[40, 50, 60]).tolist()[:2] == [
        "above_normal",
        "above_normal",
    ]
    with pytest.raises(ValueError, match="3 increasing numbers"):
        gaps.class_size_band(sizes, edges=[45, 55])
    classes = pd.DataFrame(
        {
            "year": 2024,
            "school_id": ["1"] * 5 + ["3"] * 2,
            "section": ["primary"] * 7,
            "students": [44, 50, 58, 70, 47, 20, 25],
        }
    )
    schools = _sections()[["year", "school_id", "county", "area_type"]]
    bands = gaps.class_size_bands(classes, schools)
    validate(bands, "out_class_size_bands")
    urban = bands.query("area_group == 'urban' and section_group == 'primary'").set_index(
        "class_size_band"
    )
    assert urban["classes"].tolist() == [1, 2, 1, 1]
    assert urban["students"].tolist() == [44, 97, 58, 70]
    assert urban["share_pct"].tolist() == [20.0, 40.0, 20.0, 20.0]
    m = gaps.class_measures(classes, schools).set_index(
        ["section_group", "area_group", "indicator"]
    )["value"]
    assert m[("primary", "urban", "avg_class_size")] == pytest.approx((44 + 50 + 58 + 70 + 47) / 5)
    assert m[("primary", "urban", "large_class_share")] == pytest.approx(40)  # 58 and 70
    assert m[("primary", "urban", "over_cap_class_share")] == pytest.approx(80)  # above 45
    assert m[("compulsory", "all", "avg_class_size")] == pytest.approx(314 / 7)


def test_area_gaps_difference_and_ratio():
    levels = pd.DataFrame(
        {
            "year": 2024,
            "county": "甲县",
            "section_group": "primary",
            "indicator": ["L1"] * 4 + ["L7"] * 2,
            "area_group": ["urban", "town", "rural", "all", "urban", "rural"],
            "value": [6.0, 5.0, 4.0, 5.5, 2.0, 0.0],
        }
    )
    validate(gaps.area_gaps(levels), "out_area_gaps")
    out = gaps.area_gaps(levels).set_index("indicator")
    assert out.loc["L1", ["urban_level", "town_level", "rural_level", "all_level"]].tolist() == [
        6,
        5,
        4,
        5.5,
    ]
    assert out.loc["L1", "urban_rural_diff"] == 2.0 and out.loc["L1", "urban_rural_ratio"] == 1.5
    assert np.isnan(out.loc["L7", "urban_rural_ratio"]) and np.isnan(out.loc["L7", "town_level"])
    other = gaps.area_gaps(levels, reference="town", compare="rural").set_index("indicator")
    assert other.loc["L1", "urban_rural_ratio"] == 1.25
    with pytest.raises(ValueError, match="must be among"):
        gaps.area_gaps(levels, compare="village")


def test_teacher_and_staffing_measures_in_one_levels_table():
    schools = _sections()[["year", "school_id", "county", "area_type"]]
    roster = pd.DataFrame(
        {
            "year": 2024,
            "school_id": ["1", "1", "3", "3"],
            "teaching_section": "primary",
            "birth_date": pd.to_datetime(["1990-01-01", "1970-01-01", "1965-01-01", "1994-01-01"]),
            "degree": ["postgraduate", "bachelor", "associate", "below_senior_secondary"],
        }
    )
    prep = prepare_teachers(roster, schools)
    levels = gaps.area_levels(_sections(), teachers=prep)
    validate(levels, "out_area_levels")
    lv = levels.set_index(["section_group", "indicator", "area_group"])["value"]
    assert (
        lv[("primary", "bachelor_share", "urban")] == 100
        and lv[("primary", "below_bachelor_share", "rural")] == 100
    )
    assert lv[("primary", "mean_age", "rural")] == pytest.approx((59 + 30) / 2)
    assert lv[("primary", "over_50_share", "all")] == pytest.approx(50)  # 54 and 59 of four
    assert lv[("primary", "student_teacher_ratio", "urban")] == pytest.approx(1500 / 90)
    assert lv[("primary", "student_teacher_ratio", "all")] == pytest.approx(1630 / 103)


def test_published_difference_coefficients_of_wansheng_against_the_limits():
    src = "重庆市万盛经开区, 万盛经开区创建全国义务教育优质均衡发展区自查自评报告, 2025-04-01"
    names = [
        "每百名学生拥有高于规定学历教师数",
        "每百名学生拥有县级以上骨干教师数",
        "每百名学生拥有体育、艺术专任教师数",
        "生均教学及辅助用房面积",
        "生均体育运动场馆面积",
        "生均教学仪器设备值",
        "每百名学生拥有网络多媒体教室数",
    ]
    primary = [0.491, 0.269, 0.503, 0.379, 0.671, 0.124, 0.545]
    junior = [0.229, 0.185, 0.452, 0.269, 0.294, 0.086, 0.253]
    rows = [
        ("万盛经开区", f"{n}校际差异系数", sec, "全部", 2024, v, None, src)
        for sec, vals in [("小学", primary), ("初中", junior)]
        for n, v in zip(names, vals, strict=True)
    ]
    rows.append(("万盛经开区", "达标学校比例", "小学", "全部", 2024, 95.7, "%", src))
    pub = pd.DataFrame(
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
    cvs = gaps.published_cvs(pub, thresholds=cv_thresholds("national"))
    assert len(cvs) == 14
    assert cvs.query("section == 'primary'")["indicator"].tolist() == [f"L{i}" for i in range(1, 8)]
    failed = cvs.loc[~cvs["is_met"].astype(bool), ["section", "indicator"]].values.tolist()
    # the district does not meet all limits: primary L3, L5, L7 above 0.50 and junior L3 above 0.45
    assert failed == [["primary", "L3"], ["primary", "L5"], ["primary", "L7"], ["junior", "L3"]]


def test_school_view_filters_and_ratio():
    values = gaps.school_resource_values(_sections())
    view = gaps.school_view(
        values, county="甲县", year=2024, indicator="L1", section="primary", standard=4.2
    )
    assert view["school_name"].tolist() == ["三小", "一小", "二小"]
    assert view["ratio_to_standard"].round(3).tolist() == [
        round(3 / 4.2, 3),
        round(5 / 4.2, 3),
        round(6 / 4.2, 3),
    ]
    rural = gaps.school_view(
        values, county="甲县", year=2024, indicator="L1", section="primary", area="rural"
    )
    assert rural["school_name"].tolist() == ["三小"]
    named = gaps.school_view(
        values, county="甲县", year=2024, indicator="L1", section="primary", name_contains="二"
    )
    assert named["school_name"].tolist() == ["二小"]
    with pytest.raises(ValueError, match="choose one of"):
        gaps.school_view(
            values, county="甲县", year=2024, indicator="L1", section="primary", area="village"
        )
    with pytest.raises(ValueError, match="unknown indicators"):
        gaps.school_view(values, county="甲县", year=2024, indicator="L9", section="primary")


def test_no_published_figures_give_no_published_cvs():
    from analysis.studies.gaps import published_cvs

    cols = ["region", "indicator", "published_section", "area", "unit", "source"]
    empty = pd.DataFrame({c: pd.Series(dtype="str") for c in cols}).assign(
        year=pd.Series(dtype="int64"), value=pd.Series(dtype="float64"))
    assert published_cvs(empty).empty
