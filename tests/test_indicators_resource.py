"""Resource allocation (L1-L7), the per-school rule, difference coefficients and shortfalls,
against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.indicators.cv import difference_coefficient, unweighted_coefficient
from analysis.indicators.resource import (
    REASON_NO_STUDENTS,
    REASON_PRIVATE,
    attach_teacher_counts,
    evaluate_resource,
)
from analysis.sections import build_school_sections
from analysis.standards import load_standards

#: a primary section of 500 students that meets all 7 standards comfortably
GOOD_PRIMARY = {
    "students": 500, "above_degree_teachers": 25, "backbone_teachers": 6, "pe_art_teachers": 5,
    "teaching_area_m2": 2500.0, "indoor_sports_area_m2": 0.0, "sports_ground_area_m2": 4000.0,
    "equipment_value_yuan": 1_100_000.0, "multimedia_rooms": 13.0,
}


def section(sid: int, county: str = "甲县", section_: str = "primary", **over) -> dict:
    row = {"year": 2024, "county": county, "school_id": f"{1_000_000_000 + sid}", "school_name": f"学校{sid}",
           "section": section_, "school_type": "primary" if section_ == "primary" else "junior",
           "area_type": "urban", "is_private": False, "is_indicator_school": True, "exclusion_reason": None}
    row.update(GOOD_PRIMARY)
    row.update(over)
    return row


def scaled(sid: int, students: int, **over) -> dict:
    """A primary section of ``students`` at the per-student levels of GOOD_PRIMARY."""
    f = students / GOOD_PRIMARY["students"]
    row = {k: v * f for k, v in GOOD_PRIMARY.items() if k != "students"}
    row.update(over)
    return section(sid, students=students, **row)


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def value(res, sid: int, indicator: str, sec: str = "primary") -> float:
    v = res.values
    hit = v.loc[(v["school_id"] == f"{1_000_000_000 + sid}") & (v["indicator"] == indicator) & (v["section"] == sec)]
    assert len(hit) == 1
    return float(hit["value"].iloc[0])


# ---------------------------------------------------------------------------- values


def test_nine_year_school_split_gives_primary_57_7_percent_of_the_area():
    school = pd.DataFrame({
        "year": [2024], "school_id": ["1400000001"], "school_name": ["示例九年一贯制学校"], "city": ["示例市"],
        "county": ["城东区"], "area_type": ["urban"], "urban_rural_code": ["111"], "school_type": ["nine_year"],
        "is_private": [False], "parent_school_id": [None], "students_primary": [600], "students_junior": [400],
        "students_senior": [0], "classes_primary": [12], "classes_junior": [8], "teaching_area_m2": [10000.0],
        "indoor_sports_area_m2": [500.0], "sports_ground_area_m2": [8000.0], "equipment_value_yuan": [2_000_000.0],
        "multimedia_rooms": [26.0]})
    res = evaluate_resource(build_school_sections(school))
    primary_share = 600 / (600 + 1.1 * 400)
    assert primary_share == pytest.approx(0.5769, abs=1e-4)
    v = res.values.set_index(["section", "indicator"])["value"]
    # L4 takes the indoor sports rooms out of the teaching area
    assert v[("primary", "L4")] == pytest.approx((10000 - 500) * primary_share / 600)
    assert v[("junior", "L4")] == pytest.approx((10000 - 500) * (1 - primary_share) / 400)
    # L5 adds them to the sports ground
    assert v[("primary", "L5")] == pytest.approx((8000 + 500) * primary_share / 600)
    assert v[("primary", "L6")] == pytest.approx(2_000_000 * primary_share / 600)  # 1923.08 元 < 2000
    assert v[("junior", "L7")] == pytest.approx(26 * (1 - primary_share) / 400 * 100)  # 2.75 间/百生
    assert not res.values.set_index(["section", "indicator"]).loc[("primary", "L6"), "is_met"]


def test_indicator_formulas_per_hundred_and_per_student():
    res = evaluate_resource(frame(section(1, teaching_area_m2=3000.0, indoor_sports_area_m2=500.0,
                                          sports_ground_area_m2=3500.0)))
    assert value(res, 1, "L1") == pytest.approx(25 * 100 / 500)
    assert value(res, 1, "L2") == pytest.approx(6 * 100 / 500)
    assert value(res, 1, "L3") == pytest.approx(1.0)
    assert value(res, 1, "L4") == pytest.approx((3000 - 500) / 500)
    assert value(res, 1, "L5") == pytest.approx((3500 + 500) / 500)
    assert value(res, 1, "L6") == pytest.approx(2200.0)
    assert value(res, 1, "L7") == pytest.approx(13 * 100 / 500)


def test_missing_indoor_sports_area_counts_as_none_reported():
    res = evaluate_resource(frame(section(1, indoor_sports_area_m2=None)))
    assert value(res, 1, "L4") == pytest.approx(5.0)
    assert value(res, 1, "L5") == pytest.approx(8.0)


# ---------------------------------------------------------------------------- per-school rule


@pytest.mark.parametrize(
    ("ratio", "passes"),
    [pytest.param(0.86, True, id="one-unmet-at-86pct-passes"),
     pytest.param(0.85, True, id="one-unmet-at-exactly-85pct-passes"),
     pytest.param(0.84, False, id="one-unmet-at-84pct-fails")],
)
def test_school_failing_exactly_one_indicator(ratio, passes):
    res = evaluate_resource(frame(section(1, equipment_value_yuan=ratio * 2000 * 500)))
    row = res.schools.iloc[0]
    assert row["n_met"] == 6
    assert row["failed_indicators"] == "L6"
    assert row["min_ratio_unmet"] == pytest.approx(ratio)
    assert bool(row["is_passing"]) is passes


def test_two_unmet_indicators_fail_even_at_99_percent():
    res = evaluate_resource(frame(section(1, equipment_value_yuan=0.99 * 2000 * 500, multimedia_rooms=0.99 * 2.3 * 5)))
    row = res.schools.iloc[0]
    assert row["n_met"] == 5 and row["failed_indicators"] == "L6,L7"
    assert bool(row["is_passing"]) is False


def test_value_exactly_at_the_standard_meets_it_despite_float_noise():
    # 21 teachers x 100 / 500 = 4.2 exactly; 0.1 * 3 style float noise must not fail it
    res = evaluate_resource(frame(section(1, above_degree_teachers=21)))
    assert bool(res.values.query("indicator == 'L1'")["is_met"].iloc[0]) is True


def test_missing_teacher_counts_leave_the_school_undecided_not_failed():
    res = evaluate_resource(frame(section(1, above_degree_teachers=None, backbone_teachers=None,
                                          pe_art_teachers=None)))
    row = res.schools.iloc[0]
    assert row["n_missing"] == 3
    assert pd.isna(row["is_passing"])
    assert "数据缺失" in row["detail"]


def test_missing_data_with_two_known_failures_is_already_a_fail():
    res = evaluate_resource(frame(section(1, above_degree_teachers=None, equipment_value_yuan=1000.0 * 500,
                                          multimedia_rooms=1.0)))
    assert bool(res.schools.iloc[0]["is_passing"]) is False


# ---------------------------------------------------------------------------- exclusions


def test_zero_students_are_reported_not_counted_and_never_crash():
    res = evaluate_resource(frame(section(1, students=200, multimedia_rooms=6.0),
                                  section(2, students=0), section(3, students=None)))
    sch = res.schools.set_index("school_id")
    for sid in ("1000000002", "1000000003"):
        assert bool(sch.loc[sid, "is_counted"]) is False
        assert sch.loc[sid, "exclusion_reason"] == REASON_NO_STUDENTS
        assert pd.isna(sch.loc[sid, "is_passing"])
    cv = res.cv.set_index("indicator")
    assert cv.loc["L7", "n_schools"] == 1 and cv.loc["L7", "students"] == 200
    assert cv.loc["L7", "cv"] == 0.0


def test_county_without_any_counted_school_has_no_cv_and_no_crash():
    res = evaluate_resource(frame(section(1, students=0), section(2, students=0)))
    assert res.cv["n_schools"].eq(0).all()
    assert res.cv["cv"].isna().all()
    assert res.cv["is_met"].isna().all()


def test_excluded_sections_stay_in_the_output_with_their_reason():
    res = evaluate_resource(frame(section(1), section(2, school_type="special", is_indicator_school=False,
                                                      exclusion_reason="特殊教育学校不参与资源配置指标")))
    sch = res.schools.set_index("school_id")
    assert not sch.loc["1000000002", "is_counted"]
    assert sch.loc["1000000002", "exclusion_reason"] == "特殊教育学校不参与资源配置指标"
    assert res.cv["n_schools"].eq(1).all()
    assert len(res.values) == 14


def test_a_level_with_only_excluded_or_empty_sections_has_no_cv():
    # the county's only junior sections: a special school's and a 九年一贯制 school's with 0
    # junior students; the primary schools all pass, so nothing is undecided
    res = evaluate_resource(frame(
        section(1), section(2),
        section(3, section_="junior", school_type="special", is_indicator_school=False,
                exclusion_reason="特殊教育学校不参与资源配置指标", students=20),
        section(4, section_="junior", school_type="nine_year", students=0)))
    assert set(res.cv["section"].astype(str)) == {"primary"}
    assert res.cv["is_met"].eq(True).all()
    sch = res.schools.set_index("school_id")
    special = sch.loc["1000000003"]
    assert pd.isna(special["failed_indicators"]) and pd.isna(special["min_ratio_unmet"])
    assert "未达标" not in special["detail"]


def test_a_level_whose_sections_lack_student_counts_stays_undecided():
    res = evaluate_resource(frame(section(1), section(2, section_="junior", students=None)))
    junior = res.cv.loc[res.cv["section"].astype(str) == "junior"]
    assert len(junior) == 7 and junior["is_met"].isna().all()


def test_private_schools_follow_the_standards():
    rows = frame(section(1, students=100, multimedia_rooms=3.0), section(2, students=100, multimedia_rooms=9.0,
                                                                         is_private=True))
    included = evaluate_resource(rows).cv.set_index("indicator").loc["L7"]
    excluded_std = load_standards("national", {"resource": {"include_private": False}})
    excluded = evaluate_resource(rows, excluded_std)
    assert included["n_schools"] == 2
    l7 = excluded.cv.set_index("indicator").loc["L7"]
    assert l7["n_schools"] == 1 and l7["cv"] == 0.0
    assert excluded.schools.set_index("school_id").loc["1000000002", "exclusion_reason"] == REASON_PRIVATE


# ---------------------------------------------------------------------------- difference coefficients


def test_published_worked_example_of_the_method():
    """生均图书册数, five primary schools: printed CV 0.52 (差异情况 0.003, 0.85, 5.13, 4.50, 0.17)."""
    students = np.array([45, 37, 89, 76, 55])
    books = np.array([279, 137, 935, 160, 402])
    x = books / students
    assert round(difference_coefficient(x, students), 2) == 0.52
    mean = books.sum() / students.sum()
    assert round(mean, 2) == 6.33
    terms = students / students.sum() * (x - mean) ** 2
    assert [round(t, 2) for t in terms] == [0.00, 0.85, 5.13, 4.50, 0.17]
    assert round(math.sqrt(terms.sum()), 2) == 3.26


def test_small_county_cv_by_hand_is_weighted_and_population():
    # L7: A 200 students 6 rooms (3.0), B 500 students 10 rooms (2.0), C 300 students 12 rooms (4.0)
    res = evaluate_resource(frame(section(1, students=200, multimedia_rooms=6.0),
                                  section(2, students=500, multimedia_rooms=10.0),
                                  section(3, students=300, multimedia_rooms=12.0)), contributions="all")
    row = res.cv.set_index("indicator").loc["L7"]
    mean = 28 / 1000 * 100  # Σ numerators / Σ students
    var = (200 * (3.0 - mean) ** 2 + 500 * (2.0 - mean) ** 2 + 300 * (4.0 - mean) ** 2) / 1000
    assert row["mean"] == pytest.approx(2.8)
    assert row["sd"] == pytest.approx(math.sqrt(0.76))
    assert row["cv"] == pytest.approx(math.sqrt(var) / mean)
    assert row["cv"] == pytest.approx(0.311350, abs=1e-6)
    # the unweighted coefficient is a different number, and so is the sample (n-1) one
    assert unweighted_coefficient([3.0, 2.0, 4.0]) == pytest.approx(0.272166, abs=1e-6)
    assert abs(row["cv"] - unweighted_coefficient([3.0, 2.0, 4.0])) > 0.03
    assert abs(row["cv"] - np.std([3.0, 2.0, 4.0], ddof=1) / 3.0) > 0.02
    # contributions: P_i (X_i - X̄)^2 / P, their shares, and the CV without each school
    c = res.contributions.query("indicator == 'L7'").set_index("school_id")
    assert c.loc["1000000001", "contribution"] == pytest.approx(200 * 0.04 / 1000)
    assert c.loc["1000000003", "contribution_pct"] == pytest.approx(100 * 0.432 / 0.76)
    assert c["contribution_pct"].sum() == pytest.approx(100.0)
    assert c.loc["1000000003", "rank"] == 1 and c.loc["1000000001", "rank"] == 3
    assert c.loc["1000000003", "cv_without"] == pytest.approx(difference_coefficient([3.0, 2.0], [200, 500]))


@pytest.mark.parametrize(
    ("spread", "met"),
    [pytest.param(0.44, True, id="0.44-within"), pytest.param(0.45, True, id="0.45-at-limit"),
     pytest.param(0.46, False, id="0.46-over")],
)
def test_junior_cv_limit_is_045_inclusive(spread, met):
    # two equal junior schools at m(1 - c) and m(1 + c): the weighted CV is exactly c
    rooms = [3.0 * (1 - spread) * 5, 3.0 * (1 + spread) * 5]
    res = evaluate_resource(frame(section(1, "乙县", "junior", multimedia_rooms=rooms[0]),
                                  section(2, "乙县", "junior", multimedia_rooms=rooms[1])))
    row = res.cv.set_index("indicator").loc["L7"]
    assert row["threshold"] == 0.45
    assert row["cv"] == pytest.approx(spread)
    assert bool(row["is_met"]) is met


def test_composite_is_the_plain_mean_of_the_seven_cvs():
    # L7: 2.5 and 4.0 rooms per hundred (100 vs 300 students); L6: 2400 and 2200 元
    res = evaluate_resource(frame(scaled(1, 100, multimedia_rooms=2.5, equipment_value_yuan=240_000.0),
                                  scaled(2, 300, multimedia_rooms=12.0)))
    cv = res.cv
    assert cv["cv_composite"].iloc[0] == pytest.approx(cv["cv"].mean())
    assert cv["composite_threshold"].iloc[0] == 0.65
    failing = cv.loc[cv["is_met"] == False, "indicator"].tolist()  # noqa: E712
    assert failing == []
    l7 = cv.set_index("indicator").loc["L7"]
    assert l7["cv"] == pytest.approx(difference_coefficient([2.5, 4.0], [100, 300]))
    assert cv.set_index("indicator").loc["L1", "cv"] == pytest.approx(0.0)
    assert res.contributions.empty  # contributions only for failing CVs by default


def test_cv_over_the_primary_limit_fails_and_gets_contributions():
    # L7: 1.0 vs 9.0 rooms per hundred, 100 students each: mean 5, sd 4, CV 0.8
    res = evaluate_resource(frame(scaled(1, 100, multimedia_rooms=1.0), scaled(2, 100, multimedia_rooms=9.0)))
    l7 = res.cv.set_index("indicator").loc["L7"]
    assert l7["cv"] == pytest.approx(0.8)  # mean 5, sd 4
    assert bool(l7["is_met"]) is False and l7["threshold"] == 0.5
    contrib = res.contributions
    assert set(contrib["indicator"]) == {"L7"} and len(contrib) == 2
    assert contrib["contribution_pct"].tolist() == pytest.approx([50.0, 50.0])


def test_counties_are_evaluated_independently_in_one_call():
    a = frame(section(1, "甲县", students=200, multimedia_rooms=6.0), section(2, "甲县", students=500, multimedia_rooms=10.0))
    b = frame(section(3, "乙县", students=300, multimedia_rooms=12.0), section(4, "乙县", students=100, multimedia_rooms=2.0))
    assert evaluate_resource(a).cv["county"].dtype == "str"
    together = evaluate_resource(pd.concat([a, b], ignore_index=True)).cv.set_index(["county", "indicator"])["cv"]
    alone_a = evaluate_resource(a).cv.set_index(["county", "indicator"])["cv"]
    alone_b = evaluate_resource(b).cv.set_index(["county", "indicator"])["cv"]
    pd.testing.assert_series_equal(together.sort_index(), pd.concat([alone_a, alone_b]).sort_index())


def test_missing_school_data_makes_the_cv_undecided():
    res = evaluate_resource(frame(section(1), section(2, above_degree_teachers=None)))
    l1 = res.cv.set_index("indicator").loc["L1"]
    assert l1["n_schools"] == 1 and l1["n_missing"] == 1
    assert pd.isna(l1["is_met"])
    assert "数据缺失" in l1["detail"]


# ---------------------------------------------------------------------------- shortfalls


def test_shortfalls_in_the_unit_that_fixes_them():
    res = evaluate_resource(frame(
        section(1, above_degree_teachers=20),                     # L1 4.0 < 4.2 (95 %): 1 teacher, not blocking
        section(2, sports_ground_area_m2=0.84 * 7.5 * 500),        # L5 at 84 %: blocking
        section(3, multimedia_rooms=10.0, equipment_value_yuan=900_000.0),  # L6 and L7 short
    ))
    sf = res.shortfalls.set_index(["school_id", "indicator"])
    l1 = sf.loc[("1000000001", "L1")]
    assert l1["gap"] == 1 and l1["gap_unit"] == "teachers" and l1["gap_to_pass"] == 0
    assert bool(l1["is_blocking"]) is False
    l5 = sf.loc[("1000000002", "L5")]
    assert l5["gap"] == pytest.approx(7.5 * 500 - 3150) and l5["gap_unit"] == "m2"
    assert l5["gap_to_pass"] == pytest.approx(0.85 * 3750 - 3150)
    assert bool(l5["is_blocking"]) is True
    l6 = sf.loc[("1000000003", "L6")]
    assert l6["gap"] == pytest.approx(100_000.0) and l6["gap_unit"] == "yuan"
    l7 = sf.loc[("1000000003", "L7")]
    assert l7["gap"] == 2 and l7["gap_unit"] == "rooms"  # needs 11.5 rooms: 2 more
    assert len(res.shortfalls) == 4


def test_teacher_gap_is_rounded_up_without_float_noise():
    # 4.2 x 500 / 100 = 21.000000000000004 in floating point: 21 teachers are enough
    res = evaluate_resource(frame(section(1, above_degree_teachers=19)))
    assert res.shortfalls["gap"].tolist() == [2.0]


def test_attach_teacher_counts_joins_on_integer_ids():
    secs = frame(section(1), section(2), section(3, section_="junior"))
    counts = pd.DataFrame({"year": [2024, 2024], "school_id": ["1000000003", "1000000001"], "section": ["junior", "primary"],
                           "teachers": [40, 30], "above_degree_teachers": [38, 29], "backbone_teachers": [5, 4],
                           "pe_art_teachers": [3, 2]})
    out = attach_teacher_counts(secs.astype({"school_id": "category"}), counts)
    assert out["above_degree_teachers"].astype("Float64").fillna(-1).tolist() == [29, -1, 38]
    # non-numeric ids fall back to a merge
    counts2 = counts.assign(school_id=["x3", "x1"])
    out2 = attach_teacher_counts(secs.assign(school_id=["x1", "x2", "x3"]), counts2)
    assert out2["teachers"].astype("Float64").fillna(-1).tolist() == [30, -1, 40]
