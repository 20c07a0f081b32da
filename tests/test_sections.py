"""Section split (weighted enrolment) and teacher counts, against hand-computed values."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.dictionary import validate
from analysis.sections import (
    area_type_from_code,
    build_school_sections,
    facility_shares,
    teacher_counts_from_roster,
)


def _schools(**over):
    base = {
        "year": [2024], "school_id": ["1400000001"], "school_name": ["示例九年一贯制学校"],
        "city": ["示例市"], "county": ["城东区"], "area_type": ["urban"],
        "urban_rural_code": ["111"], "school_type": ["nine_year"], "is_private": [False],
        "parent_school_id": [None], "students_primary": [600], "students_junior": [400],
        "students_senior": [0], "classes_primary": [12], "classes_junior": [8],
        "teaching_area_m2": [10000.0], "indoor_sports_area_m2": [500.0],
        "sports_ground_area_m2": [8000.0], "equipment_value_yuan": [2_000_000.0],
        "multimedia_rooms": [26.0],
    }
    base.update(over)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("school_type", "students", "expected"),
    [
        pytest.param("nine_year", (600, 400, 0), {"primary": 600 / 1040, "junior": 440 / 1040}, id="nine-year"),
        pytest.param("twelve_year", (600, 300, 500),
                     {"primary": 600 / 1590, "junior": 330 / 1590, "senior": 660 / 1590}, id="twelve-year"),
        pytest.param("complete_secondary", (0, 500, 500), {"junior": 500 / 1100, "senior": 600 / 1100},
                     id="complete-secondary-1-to-1.2"),
        pytest.param("primary", (300, 0, 0), {"primary": 1.0}, id="single-section"),
        pytest.param("nine_year", (0, 0, 0), {"primary": 1.0}, id="no-students-first-section-keeps-all"),
    ],
)
def test_facility_shares(school_type, students, expected):
    s = _schools(school_type=[school_type], students_primary=[students[0]],
                 students_junior=[students[1]], students_senior=[students[2]])
    shares = facility_shares(s).iloc[0]
    for sec in ("primary", "junior", "senior"):
        assert shares[sec] == pytest.approx(expected.get(sec, 0.0))
    assert shares.sum() == pytest.approx(1.0)


def test_nine_year_school_split_gives_57_7_percent_to_primary():
    out = build_school_sections(_schools())
    validate(out, "core_school_sections")
    prim = out.set_index("section").loc["primary"]
    assert prim["facility_share"] == pytest.approx(0.5769, abs=1e-4)
    assert prim["teaching_area_m2"] == pytest.approx(10000 * 600 / 1040)
    # nothing lost: the sections add up to the school
    assert out["teaching_area_m2"].sum() == pytest.approx(10000)
    assert out["equipment_value_yuan"].sum() == pytest.approx(2_000_000)
    assert out["students"].tolist() == [400, 600]  # sorted by section: junior, primary


def test_reported_section_facilities_win_over_the_split():
    reported = pd.DataFrame({"year": [2024], "school_id": ["1400000001"], "section": ["junior"],
                             "teaching_area_m2": [5000.0]})
    out = build_school_sections(_schools(), section_facilities=reported).set_index("section")
    assert out.loc["junior", "teaching_area_m2"] == 5000.0
    assert bool(out.loc["junior", "is_facility_reported"]) is True
    assert out.loc["junior", "sports_ground_area_m2"] == pytest.approx(8000 * 440 / 1040)
    assert bool(out.loc["primary", "is_facility_reported"]) is False


@pytest.mark.parametrize(
    ("school_type", "students", "counted", "reason"),
    [
        pytest.param("teaching_point", 49, False, "教学点在校生不足50人", id="teaching-point-49"),
        pytest.param("teaching_point", 50, True, None, id="teaching-point-50"),
        pytest.param("special", 120, False, "特殊教育学校不参与资源配置指标", id="special"),
        pytest.param("primary", 0, True, None, id="zero-students-still-listed"),
    ],
)
def test_exclusions(school_type, students, counted, reason):
    s = _schools(school_type=[school_type], students_primary=[students], students_junior=[0])
    out = build_school_sections(s)
    row = out[out["section"] == "primary"].iloc[0]
    assert bool(row["is_indicator_school"]) is counted
    assert (row["exclusion_reason"] if isinstance(row["exclusion_reason"], str) else None) == reason


def test_senior_section_is_not_compulsory():
    s = _schools(school_type=["complete_secondary"], students_primary=[0], students_junior=[500],
                 students_senior=[500])
    out = build_school_sections(s).set_index("section")
    assert bool(out.loc["junior", "is_indicator_school"]) is True
    assert bool(out.loc["senior", "is_indicator_school"]) is False


def test_teacher_counts_from_roster_follow_the_degree_rule_per_section():
    roster = pd.DataFrame({
        "year": [2024] * 6, "school_id": ["1400000001"] * 6,
        "teaching_section": ["primary", "primary", "primary", "junior", "junior", "junior"],
        "degree": ["associate", "senior_secondary", "postgraduate", "associate", "bachelor", "postgraduate"],
        "backbone_level": ["school", "county", "national", "none", "city", "province"],
        "subject_group": ["art", "fine_art", "math", "music", "pe", "psychology"],
    })
    counts = teacher_counts_from_roster(roster).set_index("section")
    # primary: 专科 and above count; junior: 本科 and above
    assert counts.loc["primary", "above_degree_teachers"] == 2
    assert counts.loc["junior", "above_degree_teachers"] == 2
    # school-level backbone teachers do not count
    assert counts.loc["primary", "backbone_teachers"] == 2
    assert counts.loc["junior", "backbone_teachers"] == 2
    assert counts.loc["primary", "pe_art_teachers"] == 2
    assert counts.loc["junior", "pe_art_teachers"] == 2

    out = build_school_sections(_schools(), teacher_counts_from_roster(roster)).set_index("section")
    assert out.loc["junior", "teachers"] == 3
    assert out.loc["junior", "teacher_count_source"] == "roster"


def test_sections_without_teacher_data_say_so():
    out = build_school_sections(_schools())
    assert out["teacher_count_source"].eq("none").all()
    assert out["teachers"].isna().all()


def test_area_type_from_code():
    codes = pd.Series(["111", "112", "121", "122", "123", "210", "220"])
    assert area_type_from_code(codes).tolist() == ["urban", "urban", "town", "town", "town", "rural", "rural"]


def test_inputs_are_not_mutated():
    s = _schools()
    before = s.copy()
    build_school_sections(s)
    pd.testing.assert_frame_equal(s, before)
