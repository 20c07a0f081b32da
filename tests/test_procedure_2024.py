"""The 2024 procedure, judgements and pass counts on a crafted county shaped like 万盛.

万盛经开区's 2025 self-evaluation (seeds/002) counts 26 units (13 primaries, 5 juniors, one
九年一贯制 school as 小学部 + 初中部, one special school, 5 teaching points of which 2 under 50
students): L1-L7 over 23, G3/G5/G9/Q4 over 26; L3 22/23 = 95.7 %, L4 20/23, L5 18/23 = 78.3 %,
G3 24/26 = 92.3 %, G5 22/26 = 84.6 %. The county below (示例数据（合成）) is built to fail
exactly those schools, plus the issue's cases for the 2024 rules: a school built in 2010
with one 60 m² music room, a rural small teaching point whose largest class has 14 pupils,
and a centre-city school that rents sports space by contract.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.dictionary import coerce
from analysis.indicators.evaluation import evaluate, example_inputs
from analysis.sections import build_school_sections
from analysis.standards import load_standards

YEAR = 2024
COUNTY = "万盛示例区"
SRC = {"source_file": "示例/万盛形合成.csv", "source_sheet": None, "source_row": 2}

# per-100 / per-student rates a passing school gets (above every standard)
PASS_P = dict(above=5.0, backbone=1.5, pe_art=1.5, area=6.0, sports=9.0, equip=2500.0, mm=3.0)
PASS_J = dict(above=6.0, backbone=1.5, pe_art=1.5, area=7.0, sports=12.0, equip=3000.0, mm=3.0)


def _school(sid: int, name: str, stype: str, sp: int | None, sj: int | None, cp: int | None, cj: int | None,
            area_type: str = "urban", **over) -> dict:
    code = {"urban": "111", "town": "121", "rural": "220"}[area_type]
    n = (sp or 0) + (sj or 0)
    rate = PASS_J if stype == "junior" else PASS_P
    classes = (cp or 0) + (cj or 0)
    rooms = max(1, int(np.ceil(classes / 12)))
    row = dict(year=YEAR, school_id=f"{5_000_000_000 + sid}", school_name=name, city="示例市", county=COUNTY,
               urban_rural_code=code, area_type=area_type, school_type=stype, is_private=False, is_boarding=False,
               is_counted_school=stype != "teaching_point", parent_school_id=None,
               students_primary=sp, students_junior=sj, students_senior=None, classes_primary=cp, classes_junior=cj,
               new_entrants=100, nearby_enrolled_students=100, migrant_students=0,
               teaching_area_m2=n * rate["area"], indoor_sports_area_m2=0.0, sports_ground_area_m2=n * rate["sports"],
               equipment_value_yuan=n * rate["equip"], multimedia_rooms=float(np.ceil(n * rate["mm"] / 100)),
               music_rooms=rooms, music_room_area_m2=100.0 * rooms, art_rooms=rooms, art_room_area_m2=95.0 * rooms,
               public_funds_budget_yuan=8e5, teacher_training_funds_yuan=5e4, daily_hours_in_school=6.0,
               built_year=2018, ordinary_classroom_area_m2=None, is_central_city=False, rented_sports_area_m2=None,
               converted_sports_area_m2=None, sports_space_contract_note=None, max_class_size=None, **SRC)
    row.update(over)
    return row


def wansheng_like() -> dict[str, pd.DataFrame]:
    """The crafted county: core_schools, core_school_sections (teacher counts per section), core_classes."""
    rows, teachers, class_sizes = [], [], {}
    for i in range(1, 14):  # 13 primaries
        over: dict = {}
        if i in (1, 2):  # L4 fails (4.0 < 4.5 m², ratio 0.89: the school still passes 6 of 7)
            over["teaching_area_m2"] = 600 * 4.0
        if i in (3, 4, 5, 6):  # L5 fails (7.0 < 7.5 m²)
            over["sports_ground_area_m2"] = 600 * 7.0
        if i == 7:  # G3: one music room where 14 classes need 2
            over.update(music_rooms=1, music_room_area_m2=100.0)
        if i == 8:  # G3: two art rooms of 75 m² (< 90)
            over["art_room_area_m2"] = 150.0
        if i == 12:  # built 2010, 12 classes, one music room of 60 m² (2024 rule: count only)
            over.update(built_year=2010, music_rooms=1, music_room_area_m2=60.0)
        if i == 13:  # centre-city school: 7.0 m² own ground + 1200 m² rented by contract (2024 rule)
            over.update(is_central_city=True, sports_ground_area_m2=600 * 7.0, rented_sports_area_m2=1200.0,
                        sports_space_contract_note="区教育局与体育中心租赁合同（2024-2027），上课时间专用")
        cp = 12 if i == 12 else 14
        rows.append(_school(i, f"示例第{i}小学", "primary", 600, None, cp, None, **over))
        sizes = [43] * cp
        if i in (9, 10, 11):  # G5: one class of 50 > 45
            sizes[0] = 50
        class_sizes[rows[-1]["school_id"]] = [("primary", s) for s in sizes]
    for i in range(1, 6):  # 5 juniors
        rows.append(_school(20 + i, f"示例第{i}中学", "junior", None, 600, None, 13))
        class_sizes[rows[-1]["school_id"]] = [("junior", 46)] * 13
    rows.append(_school(30, "示例九年制学校", "nine_year", 600, 400, 14, 9,
                        teaching_area_m2=7000.0, sports_ground_area_m2=12000.0, equipment_value_yuan=3.0e6,
                        multimedia_rooms=30.0))
    class_sizes[rows[-1]["school_id"]] = [("primary", 43)] * 14 + [("junior", 44)] * 9
    rows.append(_school(40, "示例特殊教育学校", "special", 40, 20, 6, 3))
    class_sizes[rows[-1]["school_id"]] = [("primary", 7)] * 6 + [("junior", 7)] * 3
    for i in range(1, 6):  # 5 teaching points, the last two under 50 students
        n = 80 if i <= 3 else 30
        over = {}
        if i == 1:
            over["teaching_area_m2"] = 80 * 4.0  # L4 fails
        if i == 2:
            over["sports_ground_area_m2"] = 80 * 7.0  # L5 fails
        if i == 5:  # rural small school, largest class 14, rooms of 50 m² >= its 48 m² classrooms
            over.update(music_room_area_m2=50.0, art_room_area_m2=50.0, ordinary_classroom_area_m2=48.0)
        rows.append(_school(50 + i, f"示例教学点{i}", "teaching_point", n, None, 6 if n == 80 else 3, None,
                            area_type="rural", parent_school_id=rows[0]["school_id"], **over))
        sizes = [14, 13, 13, 13, 14, 13] if n == 80 else [14, 8, 8]
        if i == 3:
            sizes[0] = 47  # G5: a class of 47 > 45
        class_sizes[rows[-1]["school_id"]] = [("primary", s) for s in sizes]
    schools = coerce(pd.DataFrame(rows), "core_schools")

    for r in rows:
        for sec, n in (("primary", r["students_primary"]), ("junior", r["students_junior"])):
            if not n:
                continue
            rate = PASS_J if sec == "junior" else PASS_P
            pe = rate["pe_art"]
            if r["school_name"] == "示例第1中学":
                pe = 0.5  # L3 fails (0.5 < 0.9, ratio 0.56: the school fails the 6-of-7 rule)
            teachers.append(dict(year=YEAR, school_id=r["school_id"], section=sec, teachers=int(n / 12),
                                 above_degree_teachers=int(np.ceil(n * rate["above"] / 100)),
                                 backbone_teachers=int(np.ceil(n * rate["backbone"] / 100)),
                                 pe_art_teachers=int(np.ceil(n * pe / 100))))
    sections = build_school_sections(schools, pd.DataFrame(teachers))
    classes = []
    for sid, items in class_sizes.items():
        for k, (sec, size) in enumerate(items):
            grade = (k % 6) + 1 if sec == "primary" else 7 + k % 3
            classes.append(dict(year=YEAR, school_id=sid, section=sec, grade=grade, class_name=f"{k + 1}班",
                                students=size, **SRC))
    return {"core_schools": schools, "core_school_sections": sections,
            "core_classes": coerce(pd.DataFrame(classes), "core_classes")}


@pytest.fixture(scope="module")
def county() -> dict[str, pd.DataFrame]:
    return wansheng_like()


@pytest.fixture(scope="module")
def ev(county):
    return evaluate(county, year=YEAR)


def share(ev, indicator: str, level: str = "all") -> tuple[int, int, float]:
    pc = ev.pass_counts.set_index(["indicator", "level"])
    r = pc.loc[(indicator, level)]
    return int(r["n_units_met"]), int(r["n_units"]), round(float(r["pass_pct"]), 1)


# ---------------------------------------------------------------------------- counts (item 5)


def test_unit_counts_are_23_for_resource_and_26_for_all_units(ev):
    for key in ("L1", "L2", "L6", "L7"):
        assert share(ev, key) == (23, 23, 100.0), key
    assert share(ev, "G3")[1] == 26 and share(ev, "G5")[1] == 26 and share(ev, "Q4")[1] == 26
    assert share(ev, "G4")[1] == 23  # not in counting.all_units: the resource units
    pc = ev.pass_counts.set_index(["indicator", "level"])
    assert pc.loc[("G3", "all"), "unit_scope"] == "all_units"
    assert pc.loc[("L3", "all"), "unit_scope"] == "resource_units"


def test_per_indicator_pass_shares_as_wansheng_prints_them(ev):
    assert share(ev, "L3") == (22, 23, 95.7)
    assert share(ev, "L4") == (20, 23, 87.0)
    assert share(ev, "L5") == (18, 23, 78.3)
    assert share(ev, "G3") == (24, 26, 92.3)
    assert share(ev, "G5") == (22, 26, 84.6)
    # per level: 13 primaries + 小学部 + 3 teaching points of 50 or more; 5 juniors + 初中部
    assert share(ev, "L5", "primary") == (12, 17, 70.6)
    assert share(ev, "L3", "junior") == (5, 6, 83.3)


def test_which_units_count_is_a_standards_parameter(county):
    std = load_standards("national", {"counting": {"all_units": ["G5"]}})
    ev = evaluate(county, year=YEAR, standards=std)
    assert share(ev, "G3") == (21, 23, 91.3)  # resource units: no special school, no small teaching points
    assert share(ev, "G5") == (22, 26, 84.6)


# ---------------------------------------------------------------------------- 2024 rules (item 2)


def _g3_status(ev) -> pd.Series:
    si = ev.school_indicators
    g3 = si.loc[si["indicator"] == "G3"]
    return g3.groupby("school_name")["is_met"].agg(lambda s: bool(s.astype("boolean").fillna(False).all()))


def _l5_status(ev) -> pd.Series:
    v = ev.resource_values
    return v.loc[(v["indicator"] == "L5") & v["is_counted"]].set_index(["school_name", "section"])["is_met"].astype(bool)


@pytest.mark.parametrize("rule, school", [
    pytest.param("g3_count_only_built_before", "示例第12小学", id="built-before-2016"),
    pytest.param("g3_small_rural_schools", "示例教学点5", id="rural-small-school"),
])
def test_each_g3_rule_flips_its_school_and_no_other(ev, county, rule, school):
    off = evaluate(county, year=YEAR, standards=load_standards("national", {"procedure": {rule: {"enabled": False}}}))
    on_, off_ = _g3_status(ev), _g3_status(off)
    changed = sorted(on_.index[on_ != off_.reindex(on_.index)])
    assert changed == [school]
    assert bool(on_[school]) is True and bool(off_[school]) is False
    row = ev.school_indicators.loc[(ev.school_indicators["school_name"] == school)
                                   & (ev.school_indicators["measure"] == "music_room_area")].iloc[0]
    assert row["detail"].startswith("按2024年规程：")


def test_built_2010_school_without_the_rule_is_36_m2_short(county):
    off = evaluate(county, year=YEAR, standards=load_standards(
        "national", {"procedure": {"g3_count_only_built_before": {"enabled": False}}}))
    si = off.school_indicators
    row = si.loc[(si["school_name"] == "示例第12小学") & (si["measure"] == "music_room_area")].iloc[0]
    assert row["gap"] == pytest.approx(36.0) and row["gap_unit"] == "m2"
    on = evaluate(county, year=YEAR)
    detail = on.school_indicators.loc[(on.school_indicators["school_name"] == "示例第12小学")
                                      & (on.school_indicators["measure"] == "music_room_area"), "detail"].iloc[0]
    assert "按2024年规程：2016年前建成（2010年），只核数量" in detail


def test_l5_centre_city_rule_flips_its_school_and_no_other(ev, county):
    off = evaluate(county, year=YEAR, standards=load_standards(
        "national", {"procedure": {"l5_central_city_space": {"enabled": False}}}))
    on_, off_ = _l5_status(ev), _l5_status(off)
    changed = sorted({name for name, _ in on_.index[on_ != off_]})
    assert changed == ["示例第13小学"]
    assert share(off, "L5") == (17, 23, 73.9)
    v = ev.resource_values
    note = v.loc[(v["school_name"] == "示例第13小学") & (v["indicator"] == "L5"), "rule_applied"].iloc[0]
    assert note.startswith("按2024年规程：中心城区学校") and "租赁合同" in note


def test_rented_space_without_a_contract_note_does_not_count(county):
    c = dict(county)
    s = c["core_schools"].copy()
    s.loc[s["school_name"] == "示例第13小学", "sports_space_contract_note"] = None
    c["core_schools"] = s
    ev = evaluate(c, year=YEAR)
    assert not bool(_l5_status(ev)[("示例第13小学", "primary")])
    note = ev.resource_values.loc[(ev.resource_values["school_name"] == "示例第13小学")
                                  & (ev.resource_values["indicator"] == "L5"), "rule_applied"].iloc[0]
    assert "无租赁合同说明，未计入" in note


def test_largest_class_comes_from_the_classes_table_else_the_column(county):
    c = dict(county)
    tp5 = c["core_schools"].loc[c["core_schools"]["school_name"] == "示例教学点5", "school_id"].iloc[0]
    c["core_classes"] = c["core_classes"].loc[c["core_classes"]["school_id"] != tp5]
    ev = evaluate(c, year=YEAR)  # no classes and no 最大班额: the rural rule cannot apply
    assert not _g3_status(ev)["示例教学点5"]
    s = c["core_schools"].copy()
    s.loc[s["school_id"] == tp5, "max_class_size"] = 14
    c["core_schools"] = s
    assert _g3_status(evaluate(c, year=YEAR))["示例教学点5"]


# ---------------------------------------------------------------------------- shortfalls in own units (item 6)


def test_g3_gap_counts_rooms_and_m2_apart(ev):
    g3 = ev.county_indicators.set_index("indicator").loc["G3"]
    assert g3["gap_unit"] == "rooms" and g3["gap"] == 1.0  # one music room (示例第7小学); m² apart
    m = ev.indicator_measures.set_index(["indicator", "measure"])
    assert m.loc[("G3", "rooms_short"), "value"] == 1.0
    assert m.loc[("G3", "area_short_m2"), "value"] == pytest.approx(2 * 90 - 150.0)
    assert "面积缺口30.0平方米（另计" in g3["detail"]
    t = ev.shortfall_totals
    g3t = t.loc[t["indicator"] == "G3"].set_index("measure")
    assert g3t.loc["music_rooms", "gap_unit"] == "rooms" and g3t.loc["art_room_area", "gap_unit"] == "m2"


def test_g5_shortfall_gives_classes_over_cap_and_classrooms_to_split_them(ev):
    sf = ev.shortfalls.loc[ev.shortfalls["indicator"] == "G5"]
    by = sf.groupby("measure")["gap"].sum()
    assert by["classes_over_cap"] == 4  # 3 primaries + 1 teaching point
    # grade 1 of 示例第9小学: 50 + 43 + 43 = 136 students in 3 classes -> ceil(136/45) = 4: one more
    assert by["extra_classrooms"] == 4
    assert by["class_size"] == 3 * 5 + 2
    assert set(sf.loc[sf["measure"] == "extra_classrooms", "gap_unit"]) == {"rooms"}
    tot = ev.shortfall_totals.loc[ev.shortfall_totals["indicator"] == "G5"].set_index("measure")
    assert tot.loc["classes_over_cap", "gap_unit"] == "classes"


def test_g4_gap_is_students_over_the_cap(county):
    c = dict(county)
    s = c["core_schools"].copy()
    s.loc[s["school_name"] == "示例第1小学", "students_primary"] = 2150
    c["core_schools"] = s
    ev = evaluate(c, year=YEAR)
    g4 = ev.county_indicators.set_index("indicator").loc["G4"]
    assert g4["gap"] == 150 and g4["gap_unit"] == "students"


# ---------------------------------------------------------------------------- judgements (item 3)


def judgements(rows: list[dict]) -> pd.DataFrame:
    base = dict(county=COUNTY, year=YEAR, judged_school_id=None, judged_school_name=None, judgement_reason=None,
                judgement_evidence=None, judged_by="区教育督导室", judged_on=pd.Timestamp("2025-03-20"), **SRC)
    return coerce(pd.DataFrame([{**base, **r} for r in rows]), "core_judgements")


def test_judgements_change_the_final_verdict_as_recorded_and_keep_the_computed(county, ev):
    j = judgements([
        dict(indicator="L3", judged_status="met_after_rectification", judgement_reason="2025年秋季学期招聘、交流轮岗补足"),
        dict(indicator="L4", judged_status="met_by_judgement", judgement_reason="实用、够用、管用，能开齐开足课程"),
        dict(indicator="L5", judged_status="met_after_rectification"),
        dict(indicator="G3", judged_status="met_after_rectification"),
        dict(indicator="G5", judged_status="met_after_rectification", judgement_evidence="扩优提质行动计划"),
    ])
    judged = evaluate({**county, "core_judgements": j}, year=YEAR)
    # computed results unchanged
    pd.testing.assert_series_equal(judged.verdict["status"], ev.verdict["status"])
    assert judged.verdict.set_index("part").loc["resource", "status"] == "not_met"
    v = judged.verdict.set_index("part")
    assert v.loc["resource", "final_status"] == "met_after_rectification"
    assert "L3" in v.loc["resource", "judgement_note"] and "整改后达标" in v.loc["resource", "judgement_note"]
    ci = judged.county_indicators.set_index("indicator")
    assert ci.loc["G3", "status"] == "not_met" and ci.loc["G3", "final_status"] == "met_after_rectification"
    assert ci.loc["G5", "final_status"] == "met_after_rectification"
    assert "扩优提质行动计划" in ci.loc["G5", "judgement_detail"]
    assert ci.loc["G4", "final_status"] == "met"  # no judgement: computed
    # pass shares: computed and final side by side
    pc = judged.pass_counts.set_index(["indicator", "level"])
    assert (pc.loc[("L5", "all"), "n_units_met"], pc.loc[("L5", "all"), "n_units_met_final"]) == (18, 23)
    # the judgement table shows each judgement beside the computed result
    jt = judged.judgements.set_index("indicator")
    assert jt.loc["L4", "computed_status"] == "not_met" and jt.loc["L4", "final_status"] == "met_by_judgement"
    assert jt.loc["G3", "computed_status"] == "not_met"


def test_a_school_judgement_and_a_judged_failure(county):
    sid = county["core_schools"].loc[county["core_schools"]["school_name"] == "示例第7小学", "school_id"].iloc[0]
    j = judgements([
        dict(indicator="G3", judged_school_id=sid, judged_status="met_by_judgement"),
        dict(indicator="G3", judged_school_name="示例第8小学", judged_status="met_by_judgement"),
        dict(indicator="G4", judged_status="not_met", judgement_reason="第一小学超规模（督导核查）"),
        dict(indicator="G5", judged_school_name="不存在的学校", judged_status="met"),
    ])
    ev = evaluate({**county, "core_judgements": j}, year=YEAR)
    ci = ev.county_indicators.set_index("indicator")
    assert ci.loc["G3", "final_status"] == "met_by_judgement"
    assert "示例第7小学（综合评估认定达标）" in ci.loc["G3", "judgement_detail"]
    assert ci.loc["G4", "status"] == "met" and ci.loc["G4", "final_status"] == "judged_not_met"
    assert ci.loc["G5", "final_status"] == "not_met"  # unmatched school: nothing applied
    jt = ev.judgements
    assert jt.loc[jt["judged_school_name"] == "不存在的学校", "computed_status"].iloc[0] == "unmatched"
    assert ev.verdict.set_index("part").loc["guarantee", "final_status"] == "not_met"


def test_a_jurisdiction_may_refuse_rectification_judgements(county):
    j = judgements([dict(indicator="G3", judged_status="met_after_rectification")])
    std = load_standards("national", {"judgement": {"accepted": ["met", "met_by_judgement"]}})
    ev = evaluate({**county, "core_judgements": j}, year=YEAR, standards=std)
    assert ev.county_indicators.set_index("indicator").loc["G3", "final_status"] == "not_met"
    assert "不采纳" in ev.judgements["detail"].iloc[0]


def test_overall_verdict_passes_only_by_judgement_and_says_so():
    inp = example_inputs()
    j = judgements([dict(county="示例县", indicator="L5", judged_school_name="示例二小",
                         judged_status="met_by_judgement", judgement_reason="生源下降，实用够用")])
    ev = evaluate({**inp, "core_judgements": j})
    v = ev.verdict.set_index("part")
    assert v.loc["overall", "status"] == "not_met"
    assert v.loc["overall", "final_status"] == "met_by_judgement"
    assert "资源配置（综合评估认定达标）" in v.loc["overall", "judgement_note"]
    card = ev.scorecard("示例县")
    final = card.loc[(card["评估内容"] == "评估结论") & (card["指标"] == "综合结论")]
    assert final["达标情况"].iloc[0].startswith("未达标") and "综合评估认定达标" in final["达标情况"].iloc[0]


# ---------------------------------------------------------------------------- standards by year (item 4)


def test_the_evaluation_year_picks_the_public_funds_benchmark():
    old, new = example_inputs(2020), example_inputs(2024)
    both = {k: pd.concat([old[k], new[k]], ignore_index=True) for k in new}
    ev = evaluate(both)
    assert ev.years == (2020, 2024)
    periods = ev.verdict.set_index(["year", "part"])["standards_periods"]
    assert "2016–2023年（小学600、初中800" in periods[(2020, "overall")]
    assert "2024年起（小学720、初中940" in periods[(2024, "overall")]
    card = ev.scorecard("示例县", 2020)
    assert "2016–2023年" in card.iloc[-1]["说明"]


def test_g6_required_funds_follow_the_year():
    inp = example_inputs(2020)
    s = inp["core_schools"].copy()
    s.loc[s["school_name"] == "示例二小", ["students_primary", "area_type", "public_funds_budget_yuan"]] = [80, "rural", 65_000.0]
    for year, budget_ok in ((2020, True), (2024, False)):
        si = s.assign(year=year)
        ev = evaluate({"core_schools": si}, year=year)
        row = ev.school_indicators.loc[ev.school_indicators["indicator"] == "G6"].iloc[0]
        assert row["standard"] == (60_000.0 if year == 2020 else 72_000.0)
        assert bool(row["is_met"]) is budget_ok


def test_a_jurisdiction_file_with_periods_is_checked(tmp_path):
    from analysis.errors import InputError

    f = tmp_path / "bad.yaml"
    f.write_text("extends: national\nguarantee:\n  G7:\n    min_per_student_yuan:\n      by_year:\n"
                 "        - {from: 2017, until: 2022, value: 6000}\n        - {from: 2020, value: 8000}\n", encoding="utf-8")
    with pytest.raises(InputError, match="overlap"):
        load_standards(f)
    f.write_text("extends: national\nguarantee:\n  G7:\n    min_per_student_yuan:\n      by_year:\n"
                 "        - {from: 2017, until: 2022, value: 6000}\n        - {from: 2023, value: 8000}\n", encoding="utf-8")
    std = load_standards(f)
    assert std.for_year(2021).get("guarantee.G7.min_per_student_yuan") == 6000
    assert std.for_year(2024).get("guarantee.G7.min_per_student_yuan") == 8000


# ---------------------------------------------------------------------------- shown everywhere


def _judged_example():
    inp = example_inputs()
    j = judgements([dict(county="示例县", indicator="L5", judged_school_name="示例二小",
                         judged_status="met_by_judgement", judgement_reason="生源下降，实用够用")])
    return {**inp, "core_judgements": j}


def test_cli_scorecard_and_export_show_the_judgement_beside_the_computed(tmp_path, capsys):
    from analysis.__main__ import main
    from analysis.tables import write_tables

    processed = tmp_path / "processed"
    write_tables(_judged_example(), processed)
    assert main(["indicators", "--processed", str(processed), "--county", "示例县",
                 "--export", str(tmp_path / "示例县.csv")]) == 0
    out = capsys.readouterr().out
    assert "评估认定：1条" in out and "未达标（认定：综合评估认定达标）" in out
    assert "适用标准（按评估年份2024年）" in out
    sheet = pd.read_csv(tmp_path / "示例县_评估认定.csv", encoding="utf-8-sig")
    assert sheet["认定结论"].tolist() == ["综合评估认定达标"] and sheet["计算结论"].tolist() == ["未达标"]
    passes = pd.read_csv(tmp_path / "示例县_达标比例.csv", encoding="utf-8-sig")
    assert any(c.startswith("达标比例") for c in passes.columns)
    assert any(c.startswith("认定后达标比例") for c in passes.columns)
    verdict = pd.read_csv(tmp_path / "示例县_结论.csv", encoding="utf-8-sig")
    assert set(verdict["认定后结论"]) >= {"综合评估认定达标", "达标"}
    # the verdict list of every county shows the judged result too
    assert main(["indicators", "--processed", str(processed)]) == 0
    assert "经评估认定后" in capsys.readouterr().out


def test_out_tables_with_judgements_validate_on_write(tmp_path):
    ev = evaluate(_judged_example())
    written = ev.write(tmp_path)
    assert {"out_judgements", "out_pass_counts"} <= set(written)
    back = pd.read_parquet(written["out_county_verdict"])
    assert back.set_index("part").loc["overall", "final_status"] == "met_by_judgement"


def test_index_page_shows_both(tmp_path):
    from analysis.publish.index import county_summary

    ev = evaluate(_judged_example())
    row = county_summary(ev.verdict).iloc[0]
    assert row["overall_final"] == "met_by_judgement" and bool(row["overall"]) is False
    assert "【认定】" in row["overall_reason"]


@pytest.mark.parametrize("tables", [
    pytest.param(("core_schools",), id="schools-only"),
    pytest.param(("core_school_sections",), id="sections-only"),
    pytest.param(("core_schools", "core_classes"), id="schools-and-classes"),
])
def test_partial_counties_with_judgements_do_not_crash(county, tables):
    j = judgements([dict(indicator="L5", judged_status="met_by_judgement"),
                    dict(indicator="G3", judged_school_name="示例第7小学", judged_status="met_after_rectification"),
                    dict(indicator="G8", judged_status="met")])
    ev = evaluate({**{t: county[t] for t in tables}, "core_judgements": j}, year=YEAR)
    ci = ev.county_indicators.set_index("indicator")
    assert ci.loc["G8", "status"] == "missing" and ci.loc["G8", "final_status"] == "judged_met"
    assert len(ev.judgements) == 3
    assert set(ev.verdict["final_status"]) <= {"met", "not_met", "missing", "judged_met", "met_by_judgement",
                                               "met_after_rectification", "judged_not_met"}
    # names are matched against core_schools, else core_school_sections
    assert ev.judgements.set_index("indicator").loc["G3", "school_id_matched"] == county["core_schools"].set_index(
        "school_name").loc["示例第7小学", "school_id"]


def test_a_named_school_without_any_school_table_is_never_a_county_judgement():
    from analysis.indicators.judgement import prepare

    j = judgements([dict(indicator="G3", judged_school_name="示例第7小学", judged_status="met")])
    jd = prepare(j, pd.DataFrame({"year": [YEAR], "county": [COUNTY]}), None, ("met",))
    assert jd.county == {} and jd.school == {}
    assert jd.frame["school_id_matched"].tolist() == [""]


def test_a_nine_year_school_with_one_oversized_section_is_one_failing_unit(county):
    c = dict(county)
    cls = c["core_classes"].copy()
    nine = c["core_schools"].loc[c["core_schools"]["school_name"] == "示例九年制学校", "school_id"].iloc[0]
    first_primary = cls.index[(cls["school_id"] == nine) & (cls["section"] == "primary")][0]
    cls.loc[first_primary, "students"] = 52
    c["core_classes"] = cls
    ev = evaluate(c, year=YEAR)
    assert share(ev, "G5") == (21, 26, 80.8)  # 小学部 fails, 初中部 still passes
    # both sections over the cap: two failing units
    first_junior = cls.index[(cls["school_id"] == nine) & (cls["section"] == "junior")][0]
    cls.loc[first_junior, "students"] = 55
    ev = evaluate({**c, "core_classes": cls}, year=YEAR)
    assert share(ev, "G5") == (20, 26, 76.9)
