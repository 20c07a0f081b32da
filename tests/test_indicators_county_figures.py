"""County figures of a self-evaluation: G7, G9, G12, Q2 by channel and Q9 per subject.

The figures are those 重庆万盛经开区 stated in its 2025 self-evaluation (seeds/002) unless
said otherwise; the rest is synthetic (示例数据（合成）). Files are built in code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.clean import clean
from analysis.indicators import evaluate, load_inputs
from analysis.indicators.evaluation import example_inputs
from analysis.indicators.guarantee import (
    g7_special_school_funds,
    g9_training,
    g12_certificates,
)
from analysis.indicators.parts import teachers_with_schools
from analysis.indicators.quality import q2_with_channels, q9_monitoring
from analysis.standards import load_standards

NAT = load_standards()
WS = "万盛经开区"
KEYS = pd.DataFrame({"year": [2024], "county": [WS]})


def figures(**kw) -> pd.DataFrame:
    return pd.DataFrame([{"county": WS, "year": 2024, **kw}])


def one(frame: pd.DataFrame) -> pd.Series:
    assert len(frame) == 1
    return frame.iloc[0]


# ---------------------------------------------------------------------------- G7


def test_g7_from_the_county_total_and_students():
    row = one(g7_special_school_funds(KEYS, None, figures(special_school_public_funds_yuan=1_080_000.0,
                                                          special_school_students=180), NAT).county[0])
    assert row["value"] == 6000.0 and row["status"] == "met"
    assert row["numerator"] == 1_080_000.0 and row["denominator"] == 180
    assert row["detail"] == "县级填报特殊教育公用经费108.00万元 ÷ 特殊教育学生180人 = 生均6000元"
    short = one(g7_special_school_funds(KEYS, None, figures(special_school_public_funds_yuan=900_000.0,
                                                            special_school_students=180), NAT).county[0])
    assert short["status"] == "not_met" and short["gap"] == pytest.approx(180_000.0) and short["gap_unit"] == "yuan"


def test_g7_school_figures_win_over_the_county_figure_with_a_note():
    inp = example_inputs()
    special = inp["core_schools"].iloc[[0]].assign(
        school_id="1000000009", school_name="示例特殊教育学校", school_type="special", students_primary=50,
        public_funds_budget_yuan=350_000.0)
    schools = pd.concat([inp["core_schools"], special], ignore_index=True)
    keys = pd.DataFrame({"year": [2024], "county": ["示例县"]})
    fig = inp["core_county_figures"].assign(special_school_funds_per_student_yuan=6500.0)
    row = one(g7_special_school_funds(keys, schools, fig, NAT).county[0])
    assert row["value"] == 7000.0 and row["status"] == "met"
    assert row["detail"].endswith("；县级填报特殊教育学校生均公用经费6500元（未采用，以学校数据为准）")


# ---------------------------------------------------------------------------- G9, G12


@pytest.mark.parametrize("func, num, den, text", [
    pytest.param(g9_training, "training_completed_teachers", "training_teachers",
                 "县级填报：义务教育阶段学校教师1593人，完成5年360学时培训1593人（100.0%）", id="G9"),
    pytest.param(g12_certificates, "certified_full_time_teachers", "full_time_teachers",
                 "县级填报：专任教师1593人，持有教师资格证1593人（100.0%）", id="G12"),
])
def test_g9_g12_from_county_figures(func, num, den, text):
    row = one(func(KEYS, None, None, NAT, figures(**{num: 1593, den: 1593})).county[0])
    assert (row["value"], row["status"], row["detail"]) == (100.0, "met", text)
    assert not row["is_attested"]
    short = one(func(KEYS, None, None, NAT, figures(**{num: 1590, den: 1593})).county[0])
    assert short["status"] == "not_met" and short["gap"] == 3 and short["gap_unit"] == "teachers"
    # only one of the two counts: still missing
    assert one(func(KEYS, None, None, NAT, figures(**{den: 1593})).county[0])["status"] == "missing"


@pytest.mark.parametrize("func, num, den, roster_text", [
    pytest.param(g9_training, "training_completed_teachers", "training_teachers", "完成360学时培训", id="G9"),
    pytest.param(g12_certificates, "certified_full_time_teachers", "full_time_teachers", "持有教师资格证", id="G12"),
])
def test_the_roster_wins_over_the_county_figure_with_a_note(func, num, den, roster_text):
    inp = example_inputs()
    keys = pd.DataFrame({"year": [2024], "county": ["示例县"]})
    t = teachers_with_schools(inp["core_teachers"], inp["core_schools"])
    fig = inp["core_county_figures"].assign(**{num: 10, den: 20})
    res = func(keys, t, inp["core_schools"], NAT, fig)
    row = one(res.county[0])
    assert row["value"] == 100.0 and row["status"] == "met"  # the roster's 83 of 83, not 10 of 20
    assert row["detail"].startswith(f"专任教师83人，{roster_text}83人")
    assert row["detail"].endswith("（50.0%）（未采用，以教师名册为准）")
    assert len(res.schools[0]) == 3  # per-school rows of the roster stay


def test_g9_county_figure_larger_numerator_is_pointed_out():
    row = one(g9_training(KEYS, None, None, NAT, figures(training_completed_teachers=1600, training_teachers=1593)).county[0])
    assert row["detail"].endswith("（分子大于分母，请核实）")


# ---------------------------------------------------------------------------- Q2


def test_q2_channels_shown_in_the_detail_and_as_measures():
    res = q2_with_channels(KEYS, figures(disabled_children=194, disabled_children_enrolled=194,
                                         disabled_in_special_schools=59, disabled_in_regular_classes=94,
                                         disabled_home_delivery=41), NAT)
    row = one(res.county[0])
    assert row["value"] == 100.0 and row["status"] == "met"
    assert "特殊教育学校就读59人、占30.4%，随班就读94人、占48.5%，送教上门41人、占21.1%" in row["detail"]
    m = pd.concat(res.measures).set_index("measure")
    assert m.loc[["special_school", "regular_class", "home_delivery"], "numerator"].tolist() == [59, 94, 41]
    assert m.loc["special_school", "measure_label"] == "特殊教育学校就读占入学残疾儿童少年比例（%）"


def test_q2_enrolled_from_the_channels_and_inconsistent_sums():
    only = one(q2_with_channels(KEYS, figures(disabled_children=200, disabled_in_special_schools=59,
                                               disabled_in_regular_classes=94, disabled_home_delivery=41), NAT).county[0])
    assert only["numerator"] == 194 and only["value"] == pytest.approx(97.0) and only["status"] == "met"
    off = one(q2_with_channels(KEYS, figures(disabled_children=194, disabled_children_enrolled=194,
                                              disabled_in_special_schools=59, disabled_in_regular_classes=90,
                                              disabled_home_delivery=41), NAT).county[0])
    assert off["detail"].endswith("三类就读方式合计190人，与入学数194人不一致，请核实")
    partial = one(q2_with_channels(KEYS, figures(disabled_children=194, disabled_in_special_schools=59), NAT).county[0])
    assert partial["status"] == "missing" and "三类就读方式未填全" in partial["detail"]


# ---------------------------------------------------------------------------- Q9


def monitoring(rows, year=2024) -> pd.DataFrame:
    return pd.DataFrame([{"county": WS, "year": year, "section": s, "monitored_subject": j, "difference_rate": r,
                          "achievement_level": lv} for s, j, r, lv in rows])


FULL = [("primary", "chinese", 0.06, "3"), ("primary", "math", 0.04, "4"), ("primary", "english", 0.10, "3"),
        ("primary", "science", 0.05, "3"), ("junior", "chinese", 0.04, "3"), ("junior", "math", 0.10, "3"),
        ("junior", "english", 0.03, "4"), ("junior", "science", 0.02, "3")]


def test_q9_all_subjects_within_the_limits():
    res = q9_monitoring(KEYS, monitoring(FULL), None, NAT)
    row = one(res.county[0])
    assert row["status"] == "met" and row["value"] == 0.10 and row["standard"] == 0.15 and not row["is_attested"]
    m = res.measures[0]
    assert len(m) == 8 and m["is_met"].all()
    assert m["measure"].tolist()[:2] == ["primary_chinese", "primary_math"]
    assert m["measure_label"].tolist()[:2] == ["小学语文校际差异率", "小学数学校际差异率"]


def test_q9_a_subject_at_016_fails():
    rows = [r if r[:2] != ("primary", "english") else ("primary", "english", 0.16, "3") for r in FULL]
    row = one(q9_monitoring(KEYS, monitoring(rows), None, NAT).county[0])
    assert row["status"] == "not_met" and row["value"] == 0.16
    assert "未达标：小学英语（差异率0.16，高于0.15）" in row["detail"]
    at_limit = [r if r[:2] != ("primary", "english") else ("primary", "english", 0.15, "3") for r in FULL]
    assert one(q9_monitoring(KEYS, monitoring(at_limit), None, NAT).county[0])["status"] == "met"


def test_q9_a_subject_at_level_ii_fails():
    rows = [r if r[:2] != ("junior", "math") else ("junior", "math", 0.10, "2") for r in FULL]
    res = q9_monitoring(KEYS, monitoring(rows), None, NAT)
    row = one(res.county[0])
    assert row["status"] == "not_met"
    assert "未达标：初中数学（水平Ⅱ，低于Ⅲ级）" in row["detail"]
    m = res.measures[0].set_index("measure")
    assert not m.loc["junior_math", "is_met"] and m.loc["junior_science", "is_met"]


def test_q9_missing_level_is_undecided_unless_something_fails():
    rows = [(s, j, r, None) for s, j, r, _ in FULL]
    row = one(q9_monitoring(KEYS, monitoring(rows), None, NAT).county[0])
    assert row["status"] == "missing" and pd.isna(row["is_met"]) and "待核实" in row["detail"]
    rows[2] = ("primary", "english", 0.21, None)  # 万盛's 2022 primary English
    assert one(q9_monitoring(KEYS, monitoring(rows), None, NAT).county[0])["status"] == "not_met"


def test_q9_latest_monitoring_up_to_the_year_and_the_attestation_noted():
    att = pd.DataFrame({"county": [WS], "year": [2024], "item": ["Q9"], "is_met": [True], "note": ["自评达标"]})
    mon = pd.concat([monitoring(FULL, 2019), monitoring([("primary", "english", 0.21, "3")], 2022),
                     monitoring([("primary", "english", 0.01, "4")], 2025)])
    row = one(q9_monitoring(KEYS, mon, att, NAT).county[0])
    assert row["detail"].startswith("2022年质量监测：未达标：小学英语")
    assert row["detail"].endswith("；县级认定：是。自评达标（未采用，以质量监测数据为准）")
    # another county without monitoring keeps its attestation
    keys = pd.DataFrame({"year": [2024, 2024], "county": [WS, "乙县"]})
    att2 = pd.concat([att, att.assign(county="乙县")])
    out = q9_monitoring(keys, mon, att2, NAT).county[0]
    assert out["status"].tolist() == ["not_met", "met"]
    assert out["is_attested"].tolist() == [False, True]
    assert out["detail"].iloc[1] == "县级认定：是。自评达标"
    none = q9_monitoring(pd.DataFrame({"year": [2024], "county": ["丙县"]}), mon, att2, NAT).county[0]
    assert none["status"].tolist() == ["missing"] and none["detail"].tolist() == ["数据缺失：需要质量监测或县级保障"]


# ---------------------------------------------------------------------------- through the cleaner


def test_self_evaluation_figures_as_a_county_writes_them(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "县级保障2024.csv").write_text(
        "县,年份,义务教育阶段学校教师数,完成360学时培训的教师数,专任教师数,持教师资格证专任教师数,"
        "残疾儿童少年数,其中：特殊教育学校就读,随班就读,送教上门,特殊教育学校公用经费拨付总额(万元),特殊教育学生数\n"
        f"{WS},2024,1593,1593,1493,1493,194,59,94,41,108,180\n", encoding="utf-8-sig")
    (raw / "质量监测结果.csv").write_text(
        "县,监测年份,学段,学科,校际差异系数,学业水平等级\n"
        f"{WS},2022,小学,语文,0.06,Ⅲ\n{WS},2022,小学,数学,0.04,水平Ⅳ\n{WS},2022,小学,英语,0.21,三级\n"
        f"{WS},2022,小学,科学,0.05,3\n{WS},2022,初中,语文,0.04,Ⅲ级\n{WS},2022,初中,数学,0.10,良好\n"
        f"{WS},2022,初中,英语,0.03,Ⅲ\n{WS},2022,初中,科学,0.02,Ⅲ\n{WS},2022,初中,物理,0.02,Ⅲ\n",
        encoding="utf-8-sig")
    report = clean(raw, tmp_path / "out")
    rej = report.rejects
    assert len(rej) == 1 and rej["raw_value"].iloc[0] == "物理" and rej["reason"].iloc[0] == "未知取值"
    data_warnings = [w for w in report.warnings if not w.startswith(("synonyms.yaml", "school_types.yaml", "subjects.yaml"))]
    assert data_warnings == []
    fig = one(report.frames["core_county_figures"])
    assert fig[["training_teachers", "training_completed_teachers", "full_time_teachers",
                "certified_full_time_teachers", "disabled_in_special_schools", "disabled_in_regular_classes",
                "disabled_home_delivery", "special_school_students"]].tolist() == [1593, 1593, 1493, 1493, 59, 94, 41, 180]
    assert fig["special_school_public_funds_yuan"] == 1_080_000.0
    mon = report.frames["core_quality_monitoring"]
    assert sorted(mon["achievement_level"]) == ["3"] * 7 + ["4"]
    ev = evaluate(load_inputs(tmp_path / "out", year=2024), year=2024)
    ci = ev.county_indicators.set_index("indicator")
    assert ci.loc[["G7", "G9", "G12", "Q2"], "status"].tolist() == ["met"] * 4
    assert ci.loc["Q9", "status"] == "not_met" and "小学英语（差异率0.21，高于0.15）" in ci.loc["Q9", "detail"]
    assert np.isclose(ci.loc["Q9", "value"], 0.21)
    q9 = ev.indicator_measures.query("indicator == 'Q9'")
    assert len(q9) == 8 and q9["measure_label"].str.endswith("校际差异率").all()


def test_a_self_evaluation_sheet_with_a_two_row_header(tmp_path):
    """县级保障 as a workbook with merged group headers (残疾儿童少年 over 计 / 其中：…), a title
    and a unit row, numbers with thousands separators and units in cells."""
    from tests.test_clean_pipeline import write_xlsx

    raw = tmp_path / "raw"
    write_xlsx(raw / "万盛自评数据.xlsx", {"县级保障": [
        [f"{WS}2024年义务教育优质均衡发展县级指标（示例数据（合成））"],
        ["县", "年份", "教师培训", None, "教师资格", None, "残疾儿童少年", None, None, None],
        [None, None, "义务教育阶段学校教师数", "完成360学时培训的教师数", "专任教师数", "持教师资格证专任教师数",
         "计", "其中：特殊教育学校就读", "其中：随班就读", "其中：送教上门"],
        [WS, "2024年", "1,593", "1593人", 1493, "1,493", 194, 59, 94, 41],
        ["合计", None, "1,593", None, None, None, None, None, None, None],
    ]}, merges={"县级保障": [(1, 2, 1, 3, "教师培训"), (1, 4, 1, 5, "教师资格"), (1, 6, 1, 9, "残疾儿童少年"),
                            (1, 0, 2, 0, "县"), (1, 1, 2, 1, "年份")]})
    report = clean(raw, tmp_path / "out")
    assert report.rejects["reason"].tolist() == ["合计行（非数据）"]
    assert [w for w in report.warnings if not w.startswith(("synonyms.yaml", "school_types.yaml", "subjects.yaml"))] == []
    fig = one(report.frames["core_county_figures"])
    assert fig[["training_teachers", "training_completed_teachers", "full_time_teachers", "certified_full_time_teachers",
                "disabled_children", "disabled_in_special_schools", "disabled_in_regular_classes",
                "disabled_home_delivery"]].tolist() == [1593, 1593, 1493, 1493, 194, 59, 94, 41]
    ev = evaluate(load_inputs(tmp_path / "out", year=2024), year=2024)
    ci = ev.county_indicators.set_index("indicator")
    assert ci.loc[["G9", "G12", "Q2"], "status"].tolist() == ["met", "met", "met"]
    assert "随班就读94人、占48.5%" in ci.loc["Q2", "detail"]
