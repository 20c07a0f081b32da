"""The data-entry template (填报模板): generated from the dictionary, filled in code, cleaned back.

Everything is synthetic (示例数据（合成）): the prefilled schools are those of
``example_inputs``; the values filled in are made up.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.clean import clean
from analysis.clean.header import load_synonyms
from analysis.entry_template import (
    INSTRUCTIONS_MARK,
    INSTRUCTIONS_SHEET,
    template_sheets,
    write_template,
)
from analysis.indicators import evaluate, load_inputs
from analysis.indicators.evaluation import example_inputs
from analysis.tables import write_tables

#: Warnings about the mapping files themselves (synonyms never used in a run, kinds absent),
#: not about the data: a run over any one workbook has them.
MAPPING_WARNINGS = ("synonyms.yaml", "school_types.yaml", "subjects.yaml")
COUNTY, YEAR = "示例县", 2025


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("processed")
    write_tables({"core_schools": example_inputs(2024)["core_schools"]}, d)
    return d


def headers(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[2] if c.value}


def fill(ws, rows: list[dict[str, object]], start: int = 3) -> None:
    """Write rows (header -> value) below the header; cells of prefilled rows are kept."""
    cols = headers(ws)
    for i, rec in enumerate(rows, start=start):
        for h, v in rec.items():
            ws.cell(row=i, column=cols[h], value=v)


def test_sheets_follow_the_synonyms_and_dictionary():
    syn = load_synonyms()
    sheets = {s.kind: s for s in template_sheets()}
    assert set(sheets) == set(syn.kinds) - {"published"}
    for kind, s in sheets.items():
        fields = list(dict.fromkeys(c.field.split("@")[0] for c in s.columns if ":" not in c.field))
        assert fields == list(syn.kinds[kind].fields), kind
        assert {c.field for c in s.columns if c.required} >= set(syn.kinds[kind].required), kind
    county = {c.field: c for c in sheets["county_figures"].columns}
    assert county["item:V1:is_met"].header.startswith("V1 ") and county["item:G1:note"].header == "G1 说明"
    assert sheets["quality_monitoring"].label == "质量监测"


def test_workbook_has_dropdowns_instructions_and_the_school_list(processed, tmp_path):
    path = write_template(tmp_path / "填报模板.xlsx", COUNTY, YEAR, processed)
    wb = load_workbook(path)
    assert wb.sheetnames[0] == INSTRUCTIONS_SHEET
    assert wb[INSTRUCTIONS_SHEET]["A1"].value == INSTRUCTIONS_MARK
    assert "学校基本情况" in wb.sheetnames and "质量监测" in wb.sheetnames and "公开数据" not in wb.sheetnames
    ws = wb["学校基本情况"]
    cols = headers(ws)
    assert "教学仪器设备资产值（万元）" in cols and "运动场地面积（平方米）" in cols
    # dropdowns of coded fields point at the lists on the instructions sheet
    by_col = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_col[rng.min_col] = dv.formula1
    for h in ("办学类型", "城乡分类代码", "举办者", "是否寄宿制"):
        assert by_col[cols[h]].startswith(f"='{INSTRUCTIONS_SHEET}'!$"), h
    lists = wb[INSTRUCTIONS_SHEET]

    def values(formula: str) -> list[str]:
        rng = formula.split("!")[1].replace("$", "")
        return [c.value for row in lists[rng] for c in row]

    assert values(by_col[cols["办学类型"]])[:2] == ["小学", "初中"]
    assert values(by_col[cols["城乡分类代码"]]) == ["111", "112", "121", "122", "123", "210", "220"]
    teachers = wb["专任教师名册"]
    tcols = headers(teachers)
    tv = {rng.min_col: dv.formula1 for dv in teachers.data_validations.dataValidation for rng in dv.sqref.ranges}
    assert values(tv[tcols["最高学历"]]) == ["研究生", "本科", "专科", "高中阶段", "高中以下"]
    assert values(tv[tcols["骨干教师级别"]])[:3] == ["无", "校级", "县级"]
    assert values(tv[tcols["任教学段"]]) == ["小学", "初中", "高中"]
    # the school list, prefilled for the year being filled in
    rows = list(ws.iter_rows(min_row=3, max_row=5, values_only=True))
    assert [r[cols["学校名称"] - 1] for r in rows] == ["示例一小", "示例二小", "示例中学"]
    assert {r[cols["年份"] - 1] for r in rows} == {YEAR}
    assert [r[cols["办学类型"] - 1] for r in rows] == ["小学", "小学", "初中"]
    assert ws.cell(row=6, column=cols["学校名称"]).value is None


def filled_template(processed: Path, out: Path) -> Path:
    path = write_template(out, COUNTY, YEAR, processed)
    wb = load_workbook(path)
    ids = ["1000000001", "1000000002", "1000000003"]
    fill(wb["学校基本情况"], [
        {"小学在校生数（人）": 450, "小学班数（个）": 10, "招生数（人）": 80, "就近划片入学人数（人）": 80,
         "随迁子女数（人）": 5, "教学及辅助用房面积（平方米）": 2700, "其中室内体育用房面积（平方米）": 0,
         "运动场地面积（平方米）": 4500, "教学仪器设备资产值（万元）": 120, "网络多媒体教室数（间）": 12,
         "音乐专用教室数（间）": 1, "音乐专用教室面积（平方米）": 100, "美术专用教室数（间）": 1,
         "美术专用教室面积（平方米）": 95, "公用经费预算（万元）": 50, "教师培训经费（万元）": 3,
         "学生每日在校时间（小时）": 6},
        {"小学在校生数（人）": 300, "小学班数（个）": 7, "教学及辅助用房面积（平方米）": 1500,
         "运动场地面积（平方米）": 1800, "教学仪器设备资产值（万元）": 63, "网络多媒体教室数（间）": 7},
        {"初中在校生数（人）": 500, "初中班数（个）": 10, "教学及辅助用房面积（平方米）": 3500,
         "运动场地面积（平方米）": 6000, "教学仪器设备资产值（万元）": 150, "网络多媒体教室数（间）": 13},
    ])
    teachers = []
    for k, sid in enumerate(ids[:2]):
        for i in range(4):
            teachers.append({"年份": YEAR, "学校标识码": sid, "教师编号": f"T{k}{i:02d}", "性别": "女" if i % 2 else "男",
                             "出生年月": "1986-09", "最高学历": "本科", "任教学段": "小学",
                             "主要任教课程": ["语文", "数学", "体育", "音乐"][i], "骨干教师级别": "县级" if i == 0 else "无",
                             "是否持有教师资格证": "是", "是否符合交流条件": "是", "本年是否交流轮岗": "否",
                             "近五年培训学时（学时）": 380, "编制": "在编"})
    fill(wb["专任教师名册"], teachers)
    fill(wb["分校教师汇总"], [{"年份": YEAR, "学校标识码": ids[2], "学段": "初中", "专任教师数（人）": 40,
                              "高于规定学历教师数（人）": 30, "骨干教师数（人）": 6, "体育艺术专任教师数（人）": 5}])
    fill(wb["分学段设施"], [{"年份": YEAR, "学校标识码": ids[0], "学段": "小学", "教学及辅助用房面积（平方米）": 2700,
                             "运动场地面积（平方米）": 4500, "教学仪器设备资产值（万元）": 120, "网络多媒体教室数（间）": 12}])
    fill(wb["班级"], [{"年份": YEAR, "学校标识码": sid, "学段": sec, "年级": grade, "班级名称": f"{n}班", "学生数（人）": 44}
                      for sid, sec, grade in ((ids[0], "小学", "一年级"), (ids[1], "小学", "二年级"), (ids[2], "初中", "七年级"))
                      for n in (1, 2)])
    fill(wb["在校生分年级"], [{"年份": YEAR, "学校标识码": ids[0], "学段": "小学", "年级": "一年级", "学生数（人）": 80,
                               "其中随迁子女（人）": 2, "其中残疾学生（人）": 1}])
    fill(wb["学生变动"], [{"县": COUNTY, "毕业年份": YEAR, "三年前初一在校生数（人）": 170, "转入（人）": 3, "转出（人）": 4,
                           "死亡（人）": 0, "休学（人）": 1, "复学（人）": 1, "毕业生数（人）": 166}])
    county = {"县": COUNTY, "年份": YEAR}
    ws = wb["县级保障"]
    for h in headers(ws):
        if h in county:
            continue
        if h.endswith("说明"):
            county[h] = "见佐证材料"
        elif h[:2].rstrip(" ") in {f"V{i}" for i in range(1, 7)}:
            county[h] = "否"
        elif h[0] in "GQ" and h[1].isdigit():
            county[h] = "是"
    county.update({"教师年平均工资（万元）": 9.8, "公务员年平均工资（万元）": 9.75, "优质高中招生名额总数（个）": 300,
                   "分配到初中名额（个）": 160, "符合条件随迁子女数（人）": 40, "在公办及购买服务学校就读随迁子女数（人）": 38,
                   "残疾儿童少年数（人）": 12, "残疾儿童少年入学数（人）": 12, "符合交流条件教师数（人）": 100,
                   "交流轮岗教师数（人）": 12, "其中骨干教师数（人）": 3, "特殊教育学校生均公用经费（元）": 6000,
                   "特殊教育学校公用经费拨付总额（万元）": 12, "特殊教育学生数（人）": 20,
                   "义务教育阶段学校教师数（人）": 90, "完成5年360学时培训教师数（人）": 90,
                   "义务教育阶段专任教师数（人）": 85, "持教师资格证专任教师数（人）": 85,
                   "特殊教育学校就读残疾儿童少年数（人）": 4, "随班就读残疾儿童少年数（人）": 6,
                   "送教上门残疾儿童少年数（人）": 2})
    fill(ws, [county])
    fill(wb["质量监测"], [{"县": COUNTY, "监测年份": 2024, "学段": sec, "学科": subj, "校际差异率": 0.08,
                           "学业水平等级": "水平Ⅲ"} for sec in ("小学", "初中") for subj in ("语文", "数学", "英语", "科学")])
    if "出生人口" in wb.sheetnames:
        fill(wb["出生人口"], [{"县": COUNTY, "年份": y, "城乡": "全部", "出生人口": 1200 - 10 * i}
                              for i, y in enumerate(range(2015, 2020))])
    fill(wb["社会认可度问卷"], [{"县": COUNTY, "年份": YEAR, "问卷编号": f"{i:03d}", "调查对象": "家长",
                                 "总体满意度": "满意", **{f"第{q}题": "满意" for q in range(1, 11)}} for i in range(5)])
    wb.save(path)
    return path


def test_a_filled_template_cleans_without_warnings_or_rejects(processed, tmp_path):
    raw = tmp_path / "raw"
    filled_template(processed, raw / "填报模板.xlsx")
    report = clean(raw, tmp_path / "out")
    assert report.rejects.empty, report.rejects.to_string()
    assert [w for w in report.warnings if not w.startswith(MAPPING_WARNINGS)] == []
    assert report.notes == ["填报模板.xlsx [填表说明]: instructions of the data-entry template (填表说明); skipped"]
    f = report.frames
    assert len(f["core_schools"]) == 3 and (f["core_schools"]["year"] == YEAR).all()
    assert f["core_schools"]["equipment_value_yuan"].tolist() == [1_200_000.0, 630_000.0, 1_500_000.0]
    assert len(f["core_teachers"]) == 8 and len(f["core_classes"]) == 6 and len(f["core_enrolment"]) == 1
    assert len(f["core_quality_monitoring"]) == 8 and len(f["core_survey"]) == 5
    if "core_births" in f:
        assert len(f["core_births"]) == 5
    assert len(f["core_attestations"]) == 14 and f["core_attestations"]["note"].eq("见佐证材料").all()
    fig = f["core_county_figures"].iloc[0]
    assert fig["special_school_public_funds_yuan"] == 120_000.0 and fig["teacher_avg_salary_yuan"] == 98_000.0
    sections = f["core_school_sections"].set_index("school_id")
    assert sections.loc["1000000003", "teacher_count_source"] == "counts"
    assert sections.loc["1000000001", "teacher_count_source"] == "roster"
    assert (report.accounting["rows_rejected"] == 0).all()
    # and it evaluates: every part computed from what was entered
    ev = evaluate(load_inputs(tmp_path / "out", year=YEAR), year=YEAR)
    ci = ev.county_indicators.set_index("indicator")
    assert ci.loc["Q9", "status"] == "met" and not ci.loc["Q9", "is_attested"]
    assert ci.loc["Q2", "detail"].startswith("残疾儿童少年12人，入学12人（特殊教育学校就读4人")
    assert ci.loc["R", "status"] == "met"


def test_an_unfilled_template_cleans_to_the_school_list_only(processed, tmp_path):
    raw = tmp_path / "raw"
    write_template(raw / "模板.xlsx", COUNTY, YEAR, processed)
    report = clean(raw, tmp_path / "out")
    assert report.rejects.empty
    assert [w for w in report.warnings if not w.startswith(MAPPING_WARNINGS)] == []
    assert len(report.frames["core_schools"]) == 3


def test_cli_writes_the_template(processed, tmp_path):
    out = tmp_path / "填报模板.xlsx"
    run = subprocess.run([sys.executable, "-m", "analysis", "template", "--out", str(out), "--county", COUNTY,
                          "--year", str(YEAR), "--processed", str(processed)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert out.exists() and f"wrote {out}" in run.stdout
    wb = load_workbook(out)
    assert wb["学校基本情况"]["A1"].value == f"{COUNTY}{YEAR}年学校基本情况"
    bad = subprocess.run([sys.executable, "-m", "analysis", "template", "--out", str(out), "--county", "南山县",
                          "--processed", str(processed)], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "no school of '南山县'" in bad.stderr
    plain = subprocess.run([sys.executable, "-m", "analysis", "template", "--out", str(tmp_path / "空白.xlsx")],
                           capture_output=True, text=True, timeout=300)
    assert plain.returncode == 0, plain.stderr
    assert pd.read_excel(tmp_path / "空白.xlsx", sheet_name="学校基本情况", header=1, engine="openpyxl").empty


def test_teacher_counts_on_the_school_sheet_clean_without_warnings(processed, tmp_path):
    """Where the school sheet has per-section teacher-count columns (小学专任教师数 …), a school
    without a roster may give its counts there instead of the 分校教师汇总 sheet."""
    raw = tmp_path / "raw"
    path = filled_template(processed, raw / "填报模板.xlsx")
    wb = load_workbook(path)
    cols = headers(wb["学校基本情况"])
    if "初中专任教师数（人）" not in cols:
        pytest.skip("the school sheet has no per-section teacher-count columns")
    for c in wb["分校教师汇总"][3]:
        c.value = None
    for h, v in {"初中专任教师数（人）": 40, "初中高于规定学历教师数（人）": 30, "初中骨干教师数（人）": 6,
                 "初中体育艺术专任教师数（人）": 5}.items():
        wb["学校基本情况"].cell(row=5, column=cols[h], value=v)
    wb.save(path)
    report = clean(raw, tmp_path / "out")
    assert report.rejects.empty
    assert [w for w in report.warnings if not w.startswith(MAPPING_WARNINGS)] == []
    sections = report.frames["core_school_sections"].set_index("school_id")
    assert sections.loc["1000000003", "teachers"] == 40
    assert sections.loc["1000000003", "teacher_count_source"] == "school_table"
