"""The rectification plan (analysis.plan): quantities, costs, the optimiser, the round trip."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analysis.indicators.evaluation import Inputs, evaluate, example_inputs
from analysis.plan import build_plan
from analysis.plan.actions import split_hires
from analysis.plan.optimise import CODES, apply_actions, optimise

TEACHER_YUAN = 154203  # plan_costs.yaml hire_teachers


def _sections(rows: list[dict]) -> pd.DataFrame:
    base = {"year": 2024, "county": "甲县", "section": "primary", "school_type": "primary", "area_type": "rural",
            "is_private": False, "is_indicator_school": True, "exclusion_reason": None, "indoor_sports_area_m2": 0.0}
    return pd.DataFrame([{**base, **r} for r in rows])


def _school(sid: str, name: str, **kw) -> dict:
    """A primary section of 400 students meeting every standard unless overridden."""
    row = {"school_id": sid, "school_name": name, "students": 400, "teachers": 30, "above_degree_teachers": 18,
           "backbone_teachers": 5, "pe_art_teachers": 4, "teaching_area_m2": 1900.0, "sports_ground_area_m2": 3200.0,
           "equipment_value_yuan": 8.4e5, "multimedia_rooms": 10.0}
    row.update(kw)
    return row


def _inputs(rows: list[dict]) -> Inputs:
    out = Inputs(core_school_sections=_sections(rows))
    return out


# ---------------------------------------------------------------------------- plan quantities


def test_plan_quantities_hand_checked():
    # 400 students: L3 needs 3.6 teachers, has 1 -> 3 hires (体育1, 音乐1, 美术1);
    # L1 needs 16.8, has 12 -> 5, of which the 3 L3 hires count -> 2 more;
    # L5 needs 3000 m², has 2000.5 -> 999.5 m² rounded up to 1000 m² (step 1);
    # L6 needs 800 000 元, has 799 950 -> 50 元, rounded up to 100 元 (step 100)
    inp = _inputs([_school("1000000001", "一小", pe_art_teachers=1, above_degree_teachers=12,
                           sports_ground_area_m2=2000.5, equipment_value_yuan=799_950.0),
                   _school("1000000002", "二小")])
    plan = build_plan(evaluate(inp, year=2024), "甲县", 2024, inputs=inp)
    got = {(r.indicator, r.action, r.hire_group if isinstance(r.hire_group, str) else None): r.quantity
           for r in plan.itertuples()}
    assert got == {("L1", "hire_teachers", "other"): 2.0, ("L3", "hire_teachers", "pe"): 1.0,
                   ("L3", "hire_teachers", "music"): 1.0, ("L3", "hire_teachers", "fine_art"): 1.0,
                   ("L5", "build_sports_ground", None): 1000.0, ("L6", "buy_equipment", None): 100.0}
    l5 = plan.set_index("indicator").loc["L5"]
    assert l5["unit_cost_yuan"] == 200 and l5["cost_10k_yuan"] == pytest.approx(20.0)
    assert bool(l5["is_reference_cost"]) and "万盛" in l5["cost_source"]
    assert l5["offices"].startswith("县发改局") and l5["target_year"] == 2024 + 2029 - 2023
    l1 = plan.loc[plan["indicator"] == "L1"].iloc[0]
    assert l1["cost_10k_yuan"] == pytest.approx(2 * TEACHER_YUAN / 1e4) and "计入" in l1["detail"]
    assert l1["offices"] == "县委编办、县人社局、县教育局" and l1["target_year"] == 2027
    assert plan["action_id"].is_unique


def test_l3_split_follows_the_roster():
    # the school has 3 PE teachers and 1 fine-art: both hires go to music
    assert split_hires(2, {"pe": 3, "music": 0, "fine_art": 1}, {"pe": 0.5, "music": 0.25, "fine_art": 0.25}) == \
        {"pe": 0, "music": 2, "fine_art": 0}


def test_plan_guarantee_items_classrooms_per_grade_and_school_size():
    inp = example_inputs()
    schools = inp["core_schools"].copy()
    schools.loc[schools["school_id"] == "1000000001", ["students_primary", "music_rooms"]] = [2100, 0]
    classes = inp["core_classes"]
    keep = classes.loc[classes["school_id"] != "1000000001"]
    # grade 1: 3 classes of 50 (150 students, cap 45 -> 4 classes: 1 classroom more);
    # grade 2: 46 + 40 = 86 students in 2 classes (2 suffice: move a pupil, no new room)
    new = pd.DataFrame({"year": 2024, "school_id": "1000000001", "section": "primary",
                        "grade": [1, 1, 1, 2, 2], "class_name": ["1班", "2班", "3班", "1班", "2班"],
                        "students": [50, 50, 50, 46, 40], "source_file": "示例", "source_sheet": None, "source_row": 1})
    inp = Inputs({**inp, "core_schools": schools, "core_classes": pd.concat([keep, new], ignore_index=True)})
    inp.data_label = "示例数据（合成）"
    plan = build_plan(evaluate(inp, year=2024), "示例县", 2024, inputs=inp)
    one = plan.loc[plan["action_school_id"] == "1000000001"].set_index("action")
    assert one.loc["add_classrooms", "quantity"] == 1.0
    assert "1年级150人3个班需4个班" in one.loc["add_classrooms", "detail"]
    assert one.loc["reduce_enrolment", "quantity"] == 100.0  # 2100 against the 2000 cap
    assert one.loc["add_music_rooms", "quantity"] == 1.0 and one.loc["add_music_rooms", "cost_10k_yuan"] == pytest.approx(43.6)
    # county-level failure of the sample (G14 places, Shanxi standards not applied here) has no cost
    assert plan.loc[plan["action"] == "rectify", "cost_10k_yuan"].isna().all()


def test_plan_without_classes_counts_oversized_classes():
    inp = example_inputs()
    classes = inp["core_classes"].copy()
    classes.loc[classes.index[:2], "students"] = 60  # two classes of 60 at 示例一小: 1 more room each
    ev = evaluate(Inputs({**inp, "core_classes": classes}), year=2024)
    plan = build_plan(ev, "示例县", 2024)  # no inputs: from the oversized classes alone
    row = plan.loc[plan["action"] == "add_classrooms"].iloc[0]
    assert row["quantity"] == 2.0 and "逐班拆分" in row["detail"]


# ---------------------------------------------------------------------------- optimiser


def _cheapest_county() -> Inputs:
    # 一小 fails L1 (16 of 16.8 needed: 95 %) and L4 (4.05 of 4.5 m²: 90 %): it must fix one.
    # One teacher (15.4 万元) is far cheaper than 180 m² of rooms (63 万元).
    return _inputs([_school("1000000001", "一小", above_degree_teachers=16, teaching_area_m2=1620.0),
                    _school("1000000002", "二小"), _school("1000000003", "三小", students=500, teachers=36,
                                                             above_degree_teachers=22, backbone_teachers=6,
                                                             pe_art_teachers=5, teaching_area_m2=2300.0,
                                                             sports_ground_area_m2=3800.0, equipment_value_yuan=1.0e6,
                                                             multimedia_rooms=12.0)])


def test_optimiser_finds_the_known_cheapest_action_and_the_engine_agrees():
    inp = _cheapest_county()
    res = optimise(inp, "甲县", 2024)
    assert res.status == "optimal" and res.passes is True
    assert res.actions[["action_school_id", "action", "hire_group", "quantity"]].values.tolist() == \
        [["1000000001", "hire_teachers", "other", 1.0]]
    assert res.cost_10k_yuan == pytest.approx(TEACHER_YUAN / 1e4)
    # baseline: both shortfalls to the standard (1 teacher + 180 m²)
    assert res.baseline_cost_10k_yuan == pytest.approx(TEACHER_YUAN / 1e4 + 180 * 3500 / 1e4)
    assert res.saving_10k_yuan == pytest.approx(63.0) and res.baseline_passes is True
    # applying the actions by hand and re-running the engine: the county passes
    q = pd.DataFrame({"school_id": ["1000000001"], "section": ["primary"], "hire_degree": [1.0]})
    done = apply_actions(inp["core_school_sections"], q)
    ev = evaluate(Inputs(core_school_sections=done), year=2024)
    assert ev.verdict.set_index("part").loc["resource", "status"] == "met"


def test_optimiser_reduces_a_difference_coefficient():
    # L7 multimedia rooms: every school meets 2.3 per 100 students but one has 30 rooms for 400:
    # the CV (> 0.5) can only come down by adding rooms to the others
    rows = [_school(f"10000000{i:02d}", f"{i}小", multimedia_rooms=10.0) for i in range(1, 5)]
    rows.append(_school("1000000009", "九小", multimedia_rooms=60.0))
    inp = _inputs(rows)
    before = evaluate(inp, year=2024).cv.set_index(["section", "indicator"]).loc[("primary", "L7")]
    assert before["is_met"] is np.False_ or not bool(before["is_met"])
    res = optimise(inp, "甲县", 2024)
    assert res.status == "optimal" and res.passes is True
    cv = res.cv_after.set_index("indicator").loc["L7", "cv"]
    assert cv <= 0.5 and set(res.actions["action"]) == {"add_multimedia_rooms"}
    assert "1000000009" not in set(res.actions["action_school_id"])


def test_optimiser_names_the_blocking_indicator_when_there_is_no_land():
    # 一小 has 6 m² of sports ground per student (80 % of 7.5): without land it cannot reach 85 %
    inp = _inputs([_school("1000000001", "一小", sports_ground_area_m2=2400.0), _school("1000000002", "二小")])
    ok = optimise(inp, "甲县", 2024)
    assert ok.status == "optimal" and ok.actions["action"].tolist() == ["build_sports_ground"]
    assert ok.actions["quantity"].tolist() == [150.0]  # to 85 %: 0.85 * 3000 - 2400
    res = optimise(inp, "甲县", 2024, caps={"build_sports_ground": 0})
    assert res.status == "infeasible" and res.passes is False
    assert res.blocking[["school_id", "indicator"]].values.tolist() == [["1000000001", "L5"]]
    assert "L5 生均体育运动场馆" in res.message
    # a cap on one school only (the plan's max_quantity column) blocks the same way
    caps = pd.DataFrame({"action_school_id": ["1000000001"], "action_section": ["primary"],
                         "action": ["build_sports_ground"], "max_quantity": [100.0]})
    assert optimise(inp, "甲县", 2024, caps=caps).blocking["indicator"].tolist() == ["L5"]


def test_optimiser_missing_data_is_undecided_not_a_crash():
    inp = _inputs([_school("1000000001", "一小", sports_ground_area_m2=2400.0),
                   _school("1000000002", "二小", equipment_value_yuan=None)])
    res = optimise(inp, "甲县", 2024)
    assert res.status == "undecided" and res.passes is None
    assert res.blocking["school_id"].tolist() == ["1000000002"] and "数据缺失" in res.message


def test_optimiser_already_passing():
    res = optimise(_inputs([_school("1000000001", "一小"), _school("1000000002", "二小")]), "甲县", 2024)
    assert res.status == "already_passing" and len(res.actions) == 0 and list(CODES)


# ---------------------------------------------------------------------------- round trip


def _edit(path, changes: dict[str, dict[str, object]], out) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["整改方案"]
    header_row = next(r for r in range(1, 10) if ws.cell(r, 1).value == "年份")
    cols = {ws.cell(header_row, c).value: c for c in range(1, ws.max_column + 1)}
    for r in range(header_row + 1, ws.max_row + 1):
        aid = ws.cell(r, cols["整改事项编号"]).value
        for col, value in changes.get(aid, {}).items():
            ws.cell(r, cols[col]).value = value
    wb.save(out)


def test_round_trip_keeps_the_analysts_edits(tmp_path):
    from analysis.clean.pipeline import clean
    from analysis.plan.report import export_plan

    inp = _cheapest_county()
    ev = evaluate(inp, year=2024)
    plan = build_plan(ev, "甲县", 2024, inputs=inp)
    files = export_plan(plan, tmp_path / "out" / "整改方案.xlsx", "甲县", 2024, result=optimise(inp, "甲县", 2024))
    assert [f.name for f in files] == ["整改方案.xlsx", "整改方案_汇总.xlsx"]
    l4 = "L4-1000000001-primary-build_teaching_rooms"
    l1 = "L1-1000000001-primary-hire_teachers-other"
    raw = tmp_path / "raw" / "甲县"
    raw.mkdir(parents=True)
    # the analyst: fewer m² and no more than 100 (little land), later year, other offices, a note;
    # 计划数量 of L1 left as is; a unit typed into a cell; a blank cell keeps the default
    _edit(files[0], {l4: {"计划数量": "120平方米", "可实施上限": 100, "完成时间": "2030年", "责任单位": "县教育局、县财政局",
                          "整改措施说明": "利用闲置村小校舍"},
                     l1: {"完成时间": None}}, raw / "整改方案_已修改.xlsx")
    report = clean(tmp_path / "raw", tmp_path / "processed")  # validated on write
    from analysis.plan.actions import load_edits

    edits = load_edits(tmp_path / "processed")
    assert len(edits) == len(plan) and len(report.rejects) == 0
    again = build_plan(ev, "甲县", 2024, inputs=inp, edits=edits).set_index("action_id")
    row = again.loc[l4]
    assert (row["quantity"], row["required_quantity"], row["max_quantity"], row["target_year"]) == (120.0, 180.0, 100.0, 2030)
    assert row["offices"] == "县教育局、县财政局" and row["plan_note"] == "利用闲置村小校舍" and bool(row["is_edited"])
    assert row["cost_10k_yuan"] == pytest.approx(120 * 3500 / 1e4)
    assert not bool(again.loc[l1, "is_edited"]) and again.loc[l1, "target_year"] == 2027
    # planned vs required in the report
    from analysis.plan.report import plan_summary

    s = plan_summary(again.reset_index()).set_index("指标")
    assert s.loc["L4", "需要费用（万元）"] == pytest.approx(63.0) and s.loc["L4", "计划费用（万元）"] == pytest.approx(42.0)
    assert s.loc["L4", "已调整事项数"] == 1
    # the data change: 一小 gets its teacher, the L1 action disappears; its edit is not lost
    fixed = _inputs([_school("1000000001", "一小", above_degree_teachers=17, teaching_area_m2=1620.0),
                     *[r for r in _cheapest_county()["core_school_sections"].to_dict("records")[1:]]])
    edits2 = edits.copy()
    edits2.loc[edits2["action_id"] == l1, "quantity"] = 1.0
    later = build_plan(evaluate(fixed, year=2024), "甲县", 2024, edits=edits2).set_index("action_id")
    assert later.loc[l1, "required_quantity"] == 0.0 and later.loc[l1, "quantity"] == 1.0
    assert "已无此缺口" in later.loc[l1, "detail"]


def test_plan_cli(tmp_path, capsys):
    from analysis.__main__ import main
    from analysis.tables import write_tables

    write_tables(dict(example_inputs()), tmp_path)
    code = main(["plan", "--county", "示例县", "--year", "2024", "--processed", str(tmp_path),
                 "--export", str(tmp_path / "p.xlsx"), "--write"])
    out = capsys.readouterr().out
    assert code == 0 and "整改方案" in out and "最低费用" in out and "示例数据（合成）" in out
    assert (tmp_path / "p.xlsx").exists() and (tmp_path / "out_plan.parquet").exists()
    assert main(["plan", "--county", "示例县", "--processed", str(tmp_path), "--cap", "bogus=1"]) == 2
    # no land at all: exit 1 and the blocking indicator is printed
    assert main(["plan", "--county", "示例县", "--processed", str(tmp_path), "--cap", "build_sports_ground=0"]) == 1
    assert "L5" in capsys.readouterr().out


@pytest.mark.parametrize(("cost", "baseline", "label", "amount"),
                         [(416.85, 77.6, "最低费用方案比逐校补足多需", 339.25),
                          (5256.6, 8230.96, "最低费用方案比逐校补足少用", 2974.36)])
def test_a_failing_baseline_is_compared_without_a_signed_amount(cost, baseline, label, amount):
    """Fixing every school does not pass; the passing plan may cost more or less: the row
    and the sentence say which, never a negative amount."""
    from analysis.plan.optimise import OptimResult, optimum_sentence

    empty = pd.DataFrame()
    result = OptimResult(year=2024, county="甲县", status="optimal", passes=True, actions=empty, cost_10k_yuan=cost,
                         baseline_cost_10k_yuan=baseline, baseline_passes=False, blocking=empty, iterations=1,
                         seconds=0.0, cv_after=empty)
    row = result.summary().iloc[-1]
    assert row["项目"] == label and row["金额（万元）"] == pytest.approx(amount)
    assert "-" not in optimum_sentence(cost, baseline, False)
