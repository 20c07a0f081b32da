"""Government guarantee G1-G15 against hand-computed values and the published figures of
重庆万盛经开区's 2025 self-evaluation (seeds/002)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.indicators.guarantee import (
    class_band,
    exchange_gap,
    g3_music_art_rooms,
    g4_school_size,
    g5_class_size,
    g6_small_school_funds,
    g7_special_school_funds,
    g8_teacher_pay,
    g9_training,
    g11_exchange,
    g12_certificates,
    g13_nearby_enrolment,
    g14_quota,
    g15_migrant_children,
)
from analysis.indicators.parts import attested_rows, teachers_with_schools
from analysis.standards import load_standards

NAT = load_standards("national")
KEYS = pd.DataFrame({"year": [2024], "county": ["甲县"]})


def school(sid: int, stype: str = "primary", *, county: str = "甲县", **over) -> dict:
    row = {"year": 2024, "school_id": f"{1_000_000_000 + sid}", "school_name": f"学校{sid}", "county": county,
           "area_type": "urban", "school_type": stype, "is_private": False, "is_boarding": False,
           "is_counted_school": True, "students_primary": 600 if stype != "junior" else None,
           "students_junior": 400 if stype in ("junior", "nine_year") else None, "students_senior": None,
           "classes_primary": 12, "classes_junior": None, "new_entrants": 100, "nearby_enrolled_students": 100,
           "music_rooms": 1, "music_room_area_m2": 100.0, "art_rooms": 1, "art_room_area_m2": 95.0,
           "public_funds_budget_yuan": 500_000.0, "teacher_training_funds_yuan": 30_000.0, "daily_hours_in_school": 6.0}
    row.update(over)
    return row


def schools(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def one(frame: pd.DataFrame) -> pd.Series:
    assert len(frame) == 1
    return frame.iloc[0]


# ---------------------------------------------------------------------------- G3


def test_g3_rooms_per_12_classes_rounded_up_and_area_per_room():
    res = g3_music_art_rooms(KEYS, schools(
        school(1, classes_primary=24, music_rooms=2, music_room_area_m2=200.0, art_rooms=2, art_room_area_m2=180.0),
        school(2, classes_primary=25, music_rooms=2, music_room_area_m2=200.0, art_rooms=3, art_room_area_m2=285.0),
        school(3, classes_primary=12, music_rooms=1, music_room_area_m2=95.0, art_rooms=1, art_room_area_m2=90.0),
    ), NAT)
    rows = res.schools[0].set_index(["school_id", "measure"])
    # 24 classes need 2 of each; 25 classes need 3
    assert rows.loc[("1000000001", "music_rooms"), "standard"] == 2
    assert bool(rows.loc[("1000000001", "music_rooms"), "is_met"]) is True
    assert rows.loc[("1000000002", "music_rooms"), "standard"] == 3
    assert rows.loc[("1000000002", "music_rooms"), "gap"] == 1 and rows.loc[("1000000002", "music_rooms"), "gap_unit"] == "rooms"
    assert bool(rows.loc[("1000000002", "art_rooms"), "is_met"]) is True
    # 95 m² music room < 96: 1 m² short; art room of exactly 90 m² is enough
    assert rows.loc[("1000000003", "music_room_area"), "value"] == 95.0
    assert rows.loc[("1000000003", "music_room_area"), "gap"] == pytest.approx(1.0)
    assert bool(rows.loc[("1000000003", "art_room_area"), "is_met"]) is True
    county = one(res.county[0])
    assert county["status"] == "not_met"
    assert county["n_schools"] == 3 and county["n_schools_met"] == 1
    assert county["value"] == pytest.approx(100 / 3)


def test_g3_without_schools_table_is_missing_and_without_schools_in_scope_not_applicable():
    assert one(g3_music_art_rooms(KEYS, None, NAT).county[0])["status"] == "missing"
    # the special school counts for G3 (2024 procedure, 万盛 2025 prints 24/26 incl. it); a
    # vocational school does not
    only_vocational = schools(school(1, "vocational"))
    assert one(g3_music_art_rooms(KEYS, only_vocational, NAT).county[0])["status"] == "not_applicable"
    assert one(g3_music_art_rooms(KEYS, schools(school(1, "special")), NAT).county[0])["n_schools"] == 1


# ---------------------------------------------------------------------------- G4, G5


def test_g4_school_size_caps_by_type():
    res = g4_school_size(KEYS, schools(
        school(1, students_primary=2000),
        school(2, students_primary=2001),
        school(3, "nine_year", students_primary=1500, students_junior=1000),
        school(4, "nine_year", students_primary=1600, students_junior=1000),
    ), NAT)
    rows = res.schools[0].set_index("school_id")
    assert rows["is_met"].tolist() == [True, False, True, False]
    assert rows.loc["1000000002", "gap"] == 1 and rows.loc["1000000004", "gap"] == 100
    assert rows.loc["1000000004", "standard"] == 2500
    assert one(res.county[0])["gap"] == 101


def test_class_bands():
    edges = NAT.get("guarantee.G5.band_edges")
    assert class_band(np.array([45, 46, 55, 56, 65, 66]), edges).tolist() == [
        "normal", "above_normal", "above_normal", "large", "large", "very_large"]


def test_g5_every_class_within_the_cap_per_section():
    sch = schools(school(1, "nine_year"), school(2))
    classes = pd.DataFrame({
        "year": 2024, "school_id": ["1000000001"] * 4 + ["1000000002"] * 2,
        "section": ["primary", "primary", "junior", "junior", "primary", "primary"],
        "grade": [1, 2, 7, 8, 1, 2], "class_name": ["1班", "1班", "1班", "1班", "1班", "1班"],
        "students": [45, 58, 50, 67, 44, 40]})
    res = g5_class_size(KEYS, classes, sch, NAT)
    excess = res.class_excess[0].set_index(["section", "grade"])
    assert excess["gap"].to_dict() == {("primary", 2): 13.0, ("junior", 8): 17.0}
    assert excess["class_size_band"].to_dict() == {("primary", 2): "large", ("junior", 8): "very_large"}
    sf = res.shortfalls[0].set_index("section")
    assert sf.loc["primary", "value"] == 58 and sf.loc["primary", "standard"] == 45 and sf.loc["primary", "gap"] == 13
    assert sf.loc["junior", "gap"] == 17 and sf.loc["junior", "gap_unit"] == "students"
    county = one(res.county[0])
    assert county["status"] == "not_met" and county["n_schools"] == 2 and county["n_schools_met"] == 1
    assert county["gap"] == 30
    m = pd.concat(res.measures).set_index("measure")["value"]
    assert m["classes"] == 6 and m["classes_over_cap"] == 2 and m["band_very_large"] == 1 and m["band_large"] == 1
    assert m["class_over_cap_pct"] == pytest.approx(100 * 2 / 6)


def test_g5_school_without_class_rows_is_missing_data():
    sch = schools(school(1), school(2))
    classes = pd.DataFrame({"year": [2024], "school_id": ["1000000001"], "section": ["primary"], "grade": [1],
                            "class_name": ["1班"], "students": [40]})
    county = one(g5_class_size(KEYS, classes, sch, NAT).county[0])
    assert county["status"] == "missing"
    assert "数据缺失1所" in county["detail"]


# ---------------------------------------------------------------------------- G6, G7, G8


def test_g6_small_village_schools_funded_as_100_students():
    sch = schools(
        school(1, area_type="rural", students_primary=80, public_funds_budget_yuan=72_000.0),   # 100 x 720 = 72 000
        school(2, area_type="rural", students_primary=60, public_funds_budget_yuan=43_200.0),   # funded as 60 only
        school(3, area_type="urban", students_primary=60, public_funds_budget_yuan=10.0),       # urban: out of scope
        school(4, "teaching_point", area_type="town", students_primary=30, public_funds_budget_yuan=None),
    )
    res = g6_small_school_funds(KEYS, sch, NAT)
    rows = res.schools[0].set_index("school_id")
    assert list(rows.index) == ["1000000001", "1000000002", "1000000004"]
    assert rows.loc["1000000001", "standard"] == 72_000 and bool(rows.loc["1000000001", "is_met"]) is True
    assert rows.loc["1000000002", "gap"] == pytest.approx(72_000 - 43_200)
    assert pd.isna(rows.loc["1000000004", "is_met"])
    assert one(res.county[0])["status"] == "not_met"


def test_g7_special_school_funds_per_student():
    sch = schools(school(1, "special", students_primary=40, students_junior=20, public_funds_budget_yuan=330_000.0))
    res = g7_special_school_funds(KEYS, sch, None, NAT)
    row = one(res.county[0])
    assert row["value"] == pytest.approx(5500.0) and row["status"] == "not_met"
    assert row["gap"] == pytest.approx(500 * 60)
    # no special school in core_schools: the county's reported figure decides
    fig = pd.DataFrame({"county": ["甲县"], "year": [2024], "special_school_funds_per_student_yuan": [6000.0]})
    row = one(g7_special_school_funds(KEYS, schools(school(2)), fig, NAT).county[0])
    assert row["value"] == 6000 and row["status"] == "met"
    assert one(g7_special_school_funds(KEYS, schools(school(2)), None, NAT).county[0])["status"] == "missing"


def test_g8_wansheng_teacher_pay_2023():
    """2023: teachers 15.4203 万元 vs civil servants 15.3549 万元, 0.0654 万元 more."""
    keys = pd.DataFrame({"year": [2023], "county": ["万盛经开区"]})
    fig = pd.DataFrame({"county": ["万盛经开区"], "year": [2023], "teacher_avg_salary_yuan": [154_203.0],
                        "civil_servant_avg_salary_yuan": [153_549.0]})
    row = one(g8_teacher_pay(keys, fig, NAT))
    assert row["status"] == "met"
    assert round((row["value"] - row["standard"]) / 1e4, 4) == 0.0654
    below = fig.assign(teacher_avg_salary_yuan=150_000.0)
    row = one(g8_teacher_pay(keys, below, NAT))
    assert row["status"] == "not_met" and row["gap"] == pytest.approx(3549.0) and row["gap_unit"] == "yuan_per_teacher"


# ---------------------------------------------------------------------------- G9, G12 (roster)


def roster(hours: list, certs: list, sids: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"year": 2024, "school_id": [f"{1_000_000_000 + s}" for s in sids],
                         "teaching_section": "primary", "backbone_level": "none",
                         "has_teacher_certificate": pd.array(certs, dtype="boolean"),
                         "is_exchange_eligible": pd.array([None] * len(sids), dtype="boolean"),
                         "is_exchanged": pd.array([None] * len(sids), dtype="boolean"),
                         "training_hours_5y": hours})


def test_g9_training_and_g12_certificates_from_the_roster():
    sch = schools(school(1), school(2))
    t = teachers_with_schools(roster([400, 360, 359, 500], [True, True, True, False], [1, 1, 2, 2]), sch)
    g9 = g9_training(KEYS, t, sch, NAT)
    row = one(g9.county[0])
    assert row["value"] == pytest.approx(75.0) and row["status"] == "not_met" and row["gap"] == 1
    per = g9.schools[0].set_index("school_id")
    assert bool(per.loc["1000000001", "is_met"]) is True and per.loc["1000000002", "gap"] == 1
    g12 = one(g12_certificates(KEYS, t, sch, NAT).county[0])
    assert g12["numerator"] == 3 and g12["denominator"] == 4 and g12["status"] == "not_met"


def test_g9_unknown_hours_leave_a_full_pass_undecided():
    sch = schools(school(1))
    t = teachers_with_schools(roster([400, None], [True, True], [1, 1]), sch)
    row = one(g9_training(KEYS, t, sch, NAT).county[0])
    assert row["status"] == "missing" and "1人无数据" in row["detail"]
    assert one(g9_training(KEYS, None, sch, NAT).county[0])["status"] == "missing"


# ---------------------------------------------------------------------------- G11


@pytest.mark.parametrize(
    ("year", "eligible", "exchanged", "backbone", "rate", "share"),
    [
        # 2022-2024 as printed: 94 of 436 = 21.56 %, 123 of 449 = 27.39 %; backbone 35.11 %, 39.84 %
        pytest.param(2023, 436, 94, 33, 21.56, 35.11, id="wansheng-2022-23"),
        pytest.param(2024, 449, 123, 49, 27.39, 39.84, id="wansheng-2023-24"),
    ],
)
def test_g11_wansheng_exchange_rates(year, eligible, exchanged, backbone, rate, share):
    keys = pd.DataFrame({"year": [year], "county": ["万盛经开区"]})
    fig = pd.DataFrame({"county": ["万盛经开区"], "year": [year], "exchange_eligible_teachers": [eligible],
                        "exchanged_teachers": [exchanged], "exchanged_backbone_teachers": [backbone]})
    res = g11_exchange(keys, fig, None, NAT)
    row = one(res.county[0])
    assert round(row["value"], 2) == rate and row["status"] == "met"
    m = pd.concat(res.measures).set_index("measure")
    assert round(m.loc["backbone_share", "value"], 2) == share


def test_g11_first_year_backbone_share_as_printed():
    # 2021-22: 32 backbone of 102 exchanged = 31.37 % (the printed 21.528 % exchange rate cannot
    # be reproduced from a whole number of eligible teachers: 102/474 = 21.52 %, 102/473 = 21.56 %)
    assert round(100 * 32 / 102, 2) == 31.37
    keys = pd.DataFrame({"year": [2022], "county": ["万盛经开区"]})
    fig = pd.DataFrame({"county": ["万盛经开区"], "year": [2022], "exchange_eligible_teachers": [474],
                        "exchanged_teachers": [102], "exchanged_backbone_teachers": [32]})
    res = g11_exchange(keys, fig, None, NAT)
    assert round(pd.concat(res.measures).set_index("measure").loc["backbone_share", "value"], 2) == 31.37


def test_g11_gap_and_roster_fallback():
    assert exchange_gap(449, 40, 5, 10, 20) == 5  # ceil(44.9 - 40) = 5; backbone (8 - 5) / 0.8 -> 4
    assert exchange_gap(100, 10, 0, 10, 20) == 3  # backbone: ceil(2 / 0.8) = 3
    sch = schools(school(1), school(2, is_private=True))
    t = pd.DataFrame({"year": 2024, "school_id": ["1000000001"] * 10 + ["1000000002"] * 10,
                      "teaching_section": "primary",
                      "backbone_level": (["county"] + ["none"] * 9) * 2,
                      "has_teacher_certificate": True, "training_hours_5y": 400.0,
                      "is_exchange_eligible": pd.array([True] * 20, dtype="boolean"),
                      "is_exchanged": pd.array([True, False, False, False, False, False, False, False, False, False] * 2,
                                               dtype="boolean")})
    res = g11_exchange(KEYS, None, teachers_with_schools(t, sch), NAT)
    row = one(res.county[0])
    # the private school's teachers are left out: 1 of 10 exchanged, and it is a backbone teacher
    assert row["value"] == pytest.approx(10.0) and row["status"] == "met"
    assert "教师名册统计" in row["detail"]
    assert one(g11_exchange(KEYS, None, None, NAT).county[0])["status"] == "missing"


def test_g11_roster_counts_only_eligible_teachers_as_exchanged():
    sch = schools(school(1))
    t = pd.DataFrame({"year": 2024, "school_id": ["1000000001"] * 11, "teaching_section": "primary",
                      "backbone_level": "none", "has_teacher_certificate": True, "training_hours_5y": 400.0,
                      "is_exchange_eligible": pd.array([True] * 10 + [False], dtype="boolean"),
                      "is_exchanged": pd.array([False] * 10 + [True], dtype="boolean")})
    row = one(g11_exchange(KEYS, None, teachers_with_schools(t, sch), NAT).county[0])
    assert row["value"] == 0.0 and row["status"] == "not_met"


# ---------------------------------------------------------------------------- G13, G14, G15


def test_g13_nearby_enrolment_primary_100_junior_95():
    sch = schools(
        school(1, new_entrants=100, nearby_enrolled_students=100),
        school(2, "junior", new_entrants=200, nearby_enrolled_students=189),   # 94.5 % < 95 %
        school(3, area_type="rural", new_entrants=100, nearby_enrolled_students=10),  # rural: out of scope
        school(4, is_boarding=True, new_entrants=100, nearby_enrolled_students=10),   # boarding: out of scope
        school(5, is_private=True, new_entrants=100, nearby_enrolled_students=10),    # private: out of scope
    )
    res = g13_nearby_enrolment(KEYS, sch, NAT)
    row = one(res.county[0])
    assert row["status"] == "not_met" and row["gap"] == 1  # ceil(0.95 x 200) - 189 = 1
    m = pd.concat(res.measures).set_index("measure")
    assert m.loc["primary", "value"] == 100 and bool(m.loc["primary", "is_met"]) is True
    assert m.loc["junior", "value"] == pytest.approx(94.5)
    assert row["detail"].startswith("小学")


def test_g14_wansheng_quota_and_shanxi_70_percent():
    """2024: 1400 quality high-school places, 835 allocated to junior schools = 59.6 %."""
    keys = pd.DataFrame({"year": [2024], "county": ["万盛经开区"]})
    fig = pd.DataFrame({"county": ["万盛经开区"], "year": [2024], "hs_quota_total": [1400], "hs_quota_to_junior": [835]})
    nat = one(g14_quota(keys, fig, NAT))
    assert round(nat["value"], 1) == 59.6 and nat["status"] == "met"
    sx = one(g14_quota(keys, fig, load_standards("shanxi")))
    assert sx["standard"] == 70 and sx["status"] == "not_met"
    assert sx["gap"] == 980 - 835 and sx["gap_unit"] == "places"


def test_g15_migrant_children_and_missing_figures():
    keys = pd.DataFrame({"year": [2024, 2024], "county": ["万盛经开区", "乙县"]})
    fig = pd.DataFrame({"county": ["万盛经开区"], "year": [2024], "eligible_migrant_children": [1505],
                        "migrant_children_in_public": [1505]})
    out = g15_migrant_children(keys, fig, NAT).set_index("county")
    assert out.loc["万盛经开区", "value"] == 100 and out.loc["万盛经开区", "status"] == "met"
    assert out.loc["乙县", "status"] == "missing" and pd.isna(out.loc["乙县", "is_met"])


# ---------------------------------------------------------------------------- attested


def test_attested_items_and_veto_semantics():
    att = pd.DataFrame({"county": "甲县", "year": 2024, "item": ["G1", "G2", "V1", "V3"],
                        "is_met": pd.array([True, False, False, True]), "note": ["已批复", None, None, "存在重点班"]})
    rows = pd.concat(attested_rows(KEYS, att, ["G1", "G2", "G10", "V1", "V3"])).set_index("indicator")
    assert rows["is_attested"].all()
    assert rows.loc["G1", "status"] == "met" and rows.loc["G2", "status"] == "not_met"
    assert rows.loc["G10", "status"] == "missing"
    # V items: is_met in core_attestations says the violation exists; out rows say "no veto"
    assert rows.loc["V1", "status"] == "met" and rows.loc["V3", "status"] == "not_met"
    assert "存在重点班" in rows.loc["V3", "detail"]
