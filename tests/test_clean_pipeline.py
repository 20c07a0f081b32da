"""End-to-end cleaning of tiny, realistically messy bureau exports."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from analysis.clean import CleanReport, clean
from analysis.errors import InputError

TITLE = "2023年城东区中小学基本情况表（示例数据（合成））"


# ------------------------------------------------------------------ writing raw files


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([["" if v is None else v for v in r] for r in rows])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def plain(df: pd.DataFrame) -> list[list]:
    """Rows as lists with every kind of missing value as None."""
    return [[None if pd.isna(v) else v for v in row] for row in df.astype(object).values.tolist()]


def write_xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[tuple]] | None = None) -> Path:
    """Rows of cells per sheet; ``merges``: (first_row, first_col, last_row, last_col, value)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(path)
    datefmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), datefmt)
                else:
                    ws.write(r, c, v)
        for m in (merges or {}).get(name, []):
            ws.merge_range(*m)
    wb.close()
    return path


SCHOOL_ROWS = [
    [TITLE, None, None, None, None, None, None, None, None, None, None, None],
    ["单位：人、平方米、万元"],
    # row 3-4: two-row header, merged (see SCHOOL_MERGES)
    [None, None, None, None, None, None, "在校生数", None, None, None, None, None],
    [None, None, None, None, None, None, "小学", "初中", "高中", None, None, None],
    ["4101020001", "城东区第一小学", "城东区", "111", "小学", "公办", "1,200", 0, None, "１２.５", 30, "5,000"],
    ["４１０１０２０００２", "城东区实验学校 ", "城东区", 121, "九年一贯制学校", "民办", 600, "400", "—", 32.5, "—", 4000],
    ["4101020003", "城东区三里村教学点", "城东区", "220", "教学点", "公办", 35, None, None, "0.8", 1, "300"],
    ["410102004", "错码小学", "城东区", "111", "小学", "公办", 100, 0, 0, 1, 1, 1],
    ["4101020005", "负数小学", "城东区", "111", "小学", "公办", -5, 0, 0, 1, 1, 1],
    ["4101020006", "文字小学", "城东区", "111", "小学", "公办", "约三百", 0, 0, 1, 1, 1],
    ["4101020007", "幼儿园", "城东区", "111", "幼儿园", "公办", 100, 0, 0, 1, 1, 1],
    [None, "合计", None, None, None, None, 1940, 400, 0, 47, 33, 10301],
    [None] * 12,
    ["4101020001", "城东区第一小学（重复）", "城东区", "111", "小学", "公办", 1, 0, 0, 1, 1, 1],
    ["注：本表为示例数据（合成），非真实统计。"],
    ["填表人：张三", None, None, "审核人：李四"],
]
SCHOOL_HEADER = ["学校代码", "校名", "县（市、区）", "城乡代码", "办学类型", "举办者", None, None, None,
                 "教学仪器设备值（万元）", "多媒体教室(间)", "教学及辅助用房面积"]
SCHOOL_MERGES = {"2023年": [(2, c, 3, c, h) for c, h in enumerate(SCHOOL_HEADER) if h] + [(2, 6, 2, 8, "在校生数")]}


@pytest.fixture()
def schools_raw(tmp_path) -> Path:
    raw = tmp_path / "raw"
    write_xlsx(raw / "城东区" / "城东区_学校基本情况_示例.xlsx", {"2023年": SCHOOL_ROWS, "空白页": []}, SCHOOL_MERGES)
    (raw / "README.md").write_text("示例数据（合成）", encoding="utf-8")
    return raw


def test_schools_from_a_messy_workbook(schools_raw, tmp_path):
    report = clean(schools_raw, tmp_path / "out", write=False)
    schools = report.frames["core_schools"]
    expected = pd.DataFrame(
        {
            "year": [2023, 2023, 2023],
            "school_id": ["4101020001", "4101020002", "4101020003"],
            "school_name": ["城东区第一小学", "城东区实验学校", "城东区三里村教学点"],
            "county": ["城东区"] * 3,
            "urban_rural_code": ["111", "121", "220"],
            "area_type": ["urban", "town", "rural"],
            "school_type": ["primary", "nine_year", "teaching_point"],
            "is_private": [False, True, False],
            "is_counted_school": [True, True, False],
            "students_primary": pd.array([1200, 600, 35], dtype="Int64"),
            "students_junior": pd.array([0, 400, pd.NA], dtype="Int64"),
            "students_senior": pd.array([pd.NA, pd.NA, pd.NA], dtype="Int64"),
            "teaching_area_m2": [5000.0, 4000.0, 300.0],
            "equipment_value_yuan": [125000.0, 325000.0, 8000.0],
            "multimedia_rooms": [30.0, np.nan, 1.0],
            "source_row": [5, 6, 7],
        }
    )
    got = schools[expected.columns].astype({"school_id": object, "school_name": object, "county": object,
                                            "urban_rural_code": object, "area_type": object, "school_type": object})
    pd.testing.assert_frame_equal(got, expected.astype({c: object for c in expected.columns if expected[c].dtype == "str"}),
                                  check_dtype=False)
    assert schools["source_file"].unique().tolist() == ["城东区/城东区_学校基本情况_示例.xlsx"]
    assert schools["source_sheet"].unique().tolist() == ["2023年"]

    rejects = report.rejects[["source_row", "source_column", "raw_value", "reason"]]
    expected_rejects = pd.DataFrame(
        [
            [8, "学校代码", "410102004", "学校标识码不是10位数字"],
            [9, "在校生数/小学", "-5", "数值为负"],
            [10, "在校生数/小学", "约三百", "无法识别的数值"],
            [11, "办学类型", "幼儿园", "未知办学类型"],
            [12, None, "合计", "合计行（非数据）"],
            [14, None, "year / school_id = 2023 / 4101020001",
             "重复键：与 城东区/城东区_学校基本情况_示例.xlsx [2023年] 第5行 重复（保留首次出现的记录）"],
            [15, None, "注：本表为示例数据（合成），非真实统计。", "注释行（非数据）"],
            [16, None, "填表人：张三", "注释行（非数据）"],
        ],
        columns=["source_row", "source_column", "raw_value", "reason"],
    )
    pd.testing.assert_frame_equal(rejects.astype(object), expected_rejects.astype(object), check_dtype=False)
    # total and note rows are skipped (not problems), flagged as such in qa_rejects
    assert report.rejects["is_skipped_row"].tolist() == [False, False, False, False, True, False, True, True]
    # the blank row 13 is not counted; everything else is kept, skipped or rejected
    assert report.accounting[["source_sheet", "table_kind", "rows_read", "rows_kept", "rows_skipped",
                              "rows_rejected"]].values.tolist() == [["2023年", "schools", 11, 3, 3, 5]]
    assert "城东区/城东区_学校基本情况_示例.xlsx [空白页]: empty sheet; skipped" in report.warnings
    assert any("no 年份 column; year 2023 taken from the title rows" in w for w in report.warnings)
    assert any("teaching point 4101020003" in w and "no parent school id" in w for w in report.warnings)
    assert report.skipped == ["README.md"]


def test_rejects_total_row_marker_when_the_total_is_not_in_the_first_cell(schools_raw, tmp_path):
    report = clean(schools_raw, tmp_path / "out", write=False)
    row12 = report.rejects.loc[report.rejects["source_row"] == 12]
    assert row12["reason"].tolist() == ["合计行（非数据）"]


ROSTER = [
    ["2023年城东区专任教师名册（示例数据（合成））"],
    ["年份", "学校识别码", "教师编号", "性别", "出生日期", "学历", "任教学段", "任教学科", "骨干级别", "教师资格证",
     "是否符合交流条件", "本年是否交流轮岗", "近五年培训学时", "编制", "姓名"],
    [2023, "4101020001", "T0001", "男", "1975-03", "本科", "小学", "语文", "县级", "是", "是", "否", "360", "在编", "某"],
    [2023, "4101020001", "T0002", "女", "197503", "大专", "小学", "体育与健康", "", "是", "否", "否", "１２０", "编外", "某"],
    [2023, "4101020001", "T0003", "女", "1980.11", "中师", "小学", "音乐", "无", "√", "", "", "", "", "某"],
    [2023, "4101020002", "T0004", "男", "1985年3月", "硕士研究生", "初中", "初中数学", "市级骨干", "Y", "Y", "Y", "—", "在编", "某"],
    [2023, "4101020002", "T0005", "女", "1968/7/15", "大学本科", "初中", "天文", "省级", "否", "否", "否", 200.5, "在编", "某"],
    [2023, "4101020002", "T0006", "男", "2-1975", "本科", "初中", "美术", "无", "是", "否", "否", 80, "在编", "某"],
    [2023, "4101020002", "T0007", "男", "1990-01", "本科", "大学", "美术", "无", "是", "否", "否", 80, "在编", "某"],
    [2023, "4101020002", "T0004", "男", "1990-01", "本科", "初中", "英语", "无", "是", "否", "否", 80, "在编", "某"],
    ["小计", None, None, None, None, None, None, None, None, None, None, None, None, None, None],
]


def test_teacher_roster_in_gbk_csv(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw / "城东区_专任教师_2023_示例.csv", ROSTER, encoding="gbk")
    report = clean(raw, tmp_path / "out", write=False)
    t = report.frames["core_teachers"]
    assert t["teacher_id"].tolist() == ["T0001", "T0002", "T0003", "T0004", "T0005"]
    assert t["gender"].tolist() == ["male", "female", "female", "male", "female"]
    assert t["birth_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "1975-03-01", "1975-03-01", "1980-11-01", "1985-03-01", "1968-07-15"]
    assert t["degree"].tolist() == ["bachelor", "associate", "senior_secondary", "postgraduate", "bachelor"]
    assert t["teaching_section"].tolist() == ["primary", "primary", "primary", "junior", "junior"]
    assert t["main_subject"].tolist() == ["语文", "体育与健康", "音乐", "初中数学", "天文"]
    assert t["subject_group"].tolist() == ["chinese", "pe", "music", "math", "other"]
    assert t["backbone_level"].tolist() == ["county", "none", "none", "city", "province"]
    assert t["has_teacher_certificate"].tolist() == [True, True, True, True, False]
    assert t["is_exchange_eligible"].tolist() == [True, False, pd.NA, True, False]
    assert t["training_hours_5y"].tolist()[:2] == [360.0, 120.0]
    assert t["is_on_quota"].tolist() == [True, False, pd.NA, True, True]
    assert t["source_row"].tolist() == [3, 4, 5, 6, 7]
    rej = report.rejects
    assert plain(rej[["source_row", "source_column", "raw_value", "reason"]]) == [
        [8, "出生日期", "2-1975", "无法识别的日期"],
        [9, "任教学段", "大学", "未知取值"],
        [10, None, "year / school_id / teacher_id = 2023 / 4101020002 / T0004",
         "重复键：与 城东区_专任教师_2023_示例.csv 第6行 重复（保留首次出现的记录）"],
        [11, None, "小计", "合计行（非数据）"],
    ]
    assert rej["source_sheet"].isna().all()
    assert any("subjects not in subjects.yaml (subject_group other): 天文" in w for w in report.warnings)
    # 姓名 is dropped on purpose (ignore list): no unmapped-column warning for it
    assert not any("'姓名'" in w for w in report.warnings)


def _sections_raw(raw: Path) -> Path:
    write_csv(raw / "schools.csv", [
        ["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者", "是否计校数", "所属学校标识码",
         "小学在校生数", "初中在校生数", "教学及辅助用房面积", "教学仪器设备资产值(万元)"],
        [2023, "4101020001", "一小", "城东区", 111, "小学", "公办", "是", None, 800, None, 4000, 40],
        [2023, "4101020002", "实验学校", "城东区", 121, "九年一贯制学校", "公办", "是", None, 600, 400, 5000, 50],
        [2023, "4101020003", "教学点", "城东区", 220, "教学点", "公办", "否", "4101020002", 30, None, 200, 1],
        [2023, "4101020004", "二小", "城东区", 111, "小学", "公办", "是", None, 500, None, 3000, 30],
    ])
    # per-school counts with a 学段 column under a two-row header (GBK)
    write_csv(raw / "teacher_counts.csv", [
        ["2023年分校专任教师汇总（示例数据（合成））"],
        ["年份", "学校标识码", "学段", "专任教师", "", "", ""],
        ["", "", "", "计", "高于规定学历", "骨干", "体育艺术"],
        [2023, "4101020002", "小学", 40, 38, 5, 4],
        [2023, "4101020002", "初中", 25, 22, 3, 3],
        [2023, "4101020002", "高中", 5, 5, 0, 0],
        [2023, "4101099999", "小学", 10, 10, 1, 1],
        ["合计", "", "", 80, 75, 9, 8],
    ], encoding="gbk")
    # per-section column groups, no 学段 column
    write_csv(raw / "teacher_counts_wide.csv", [
        ["年份", "学校标识码", "小学", "", "", "", "初中", "", "", ""],
        ["", "", "专任教师数", "高于规定学历教师数", "骨干教师数", "体育艺术专任教师数",
         "专任教师数", "高于规定学历教师数", "骨干教师数", "体育艺术专任教师数"],
        [2023, "4101020001", 50, 49, 6, 5, "", "", "", ""],
        [2023, "4101020003", 3, 2, 0, 0, "", "", "", ""],
        [2023, "4101020004", "", "", "", "", "", "", "", ""],
    ])
    write_csv(raw / "section_facilities.csv", [
        ["年份", "学校标识码", "学段", "教学及辅助用房面积", "教学仪器设备资产值(万元)"],
        [2023, "4101020002", "小学", 3200, 30],
        [2023, "4101020002", "初中", 1800, "—"],
    ])
    write_csv(raw / "roster.csv", [
        ["年份", "学校标识码", "教师编号", "最高学历", "任教学段", "主要任教课程", "骨干教师级别"],
        [2023, "4101020004", "T1", "本科", "小学", "体育", "县级"],
        [2023, "4101020004", "T2", "高中", "小学", "语文", "无"],
    ])
    return raw


def test_anonymised_teacher_ids_repeat_across_county_exports(tmp_path):
    # each bureau numbers its teachers T001 …: the key is the school's id plus the teacher's
    raw = tmp_path / "raw"
    header = ["年份", "学校标识码", "教师编号", "性别", "出生年月", "最高学历", "任教学段", "主要任教课程"]
    write_csv(raw / "城东区" / "专任教师.csv", [header, [2023, "3301020001", "T001", "女", "1975-03", "本科", "小学", "语文"],
                                             [2023, "3301020001", "T002", "男", "1980-01", "本科", "小学", "数学"]])
    write_csv(raw / "城西区" / "专任教师.csv", [header, [2023, "3301030001", "T001", "男", "1985-06", "本科", "小学", "语文"],
                                             [2023, "3301030001", "T001", "女", "1990-09", "专科", "小学", "英语"]])
    report = clean(raw, tmp_path / "out", write=False)
    assert report.frames["core_teachers"][["school_id", "teacher_id"]].values.tolist() == [
        ["3301020001", "T001"], ["3301020001", "T002"], ["3301030001", "T001"]]
    assert plain(report.rejects[["source_file", "source_row", "raw_value"]]) == [
        ["城西区/专任教师.csv", 3, "year / school_id / teacher_id = 2023 / 3301030001 / T001"]]


def test_school_sections_from_counts_roster_and_section_facilities(tmp_path):
    raw = _sections_raw(tmp_path / "raw")
    report = clean(raw, tmp_path / "out", write=False)
    s = report.frames["core_school_sections"]
    got = s[["school_id", "section", "students", "teachers", "above_degree_teachers", "backbone_teachers",
             "pe_art_teachers", "teacher_count_source", "is_facility_reported", "teaching_area_m2",
             "equipment_value_yuan", "is_indicator_school", "exclusion_reason"]]
    expected = pd.DataFrame(
        [
            ["4101020001", "primary", 800, 50, 49, 6, 5, "counts", False, 4000.0, 400000.0, True, None],
            ["4101020002", "junior", 400, 25, 22, 3, 3, "counts", True, 1800.0, 500000.0 * 440 / 1040, True, None],
            ["4101020002", "primary", 600, 40, 38, 5, 4, "counts", True, 3200.0, 300000.0, True, None],
            ["4101020003", "primary", 30, 3, 2, 0, 0, "counts", False, 200.0, 10000.0, False, "教学点在校生不足50人"],
            ["4101020004", "primary", 500, 2, 1, 1, 1, "roster", False, 3000.0, 300000.0, True, None],
        ],
        columns=got.columns,
    )
    pd.testing.assert_frame_equal(got.astype(object), expected.astype(object), check_exact=False)
    rej = report.rejects.set_index(["source_file", "source_row"])["reason"]
    assert rej[("teacher_counts.csv", 6)] == "该学校没有此学段（按办学类型）"
    assert rej[("teacher_counts.csv", 7)] == "同年学校基本情况表中没有该学校"
    assert rej[("teacher_counts.csv", 8)] == "合计行（非数据）"
    assert rej[("teacher_counts_wide.csv", 5)] == "整行无有效数据"
    acc = report.accounting.set_index("source_file")
    assert acc.loc["teacher_counts.csv", ["rows_read", "rows_kept", "rows_skipped", "rows_rejected"]].tolist() == [
        5, 2, 1, 2]
    assert acc.loc["teacher_counts_wide.csv", "table_kind"] == "teacher_counts"
    assert acc.loc["section_facilities.csv", "table_kind"] == "section_facilities"


def test_group_header_over_total_and_parts_counts_only_the_data_rows(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw / "学校.csv", [["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者"],
                                [2023, "4101020001", "一小", "城东区", 111, "小学", "公办"],
                                [2023, "4101020002", "实验学校", "城东区", 111, "小学", "公办"]])
    write_xlsx(raw / "教师汇总.xlsx", {"教师汇总": [
        ["2023年分校教师汇总表（示例数据（合成））"],
        ["学校标识码", "学校名称", "年份", "专任教师", None, None, "骨干教师数"],
        [None, None, None, "计", "本科", "专科", None],
        ["4101020001", "一小", 2023, 20, 15, 5, 3],
        ["4101020002", "实验学校", 2023, "１８", 10, 8, "-"],
        ["合  计", None, None, 38, 25, 13, 3],
    ]}, {"教师汇总": [(1, 3, 1, 5, "专任教师")] + [(1, c, 2, c, h) for c, h in [(0, "学校标识码"), (1, "学校名称"),
                                                                               (2, "年份"), (6, "骨干教师数")]]})
    write_csv(raw / "在校生.csv", [
        ["学校标识码", "年份", "年级", "在校生数", "", ""],
        ["", "", "", "计", "其中：随迁子女", "其中：残疾学生"],
        ["4101020001", 2023, "一年级", 50, 3, 1],
    ], encoding="gbk")
    report = clean(raw, tmp_path / "out", write=False)
    assert plain(report.accounting[["source_file", "rows_read", "rows_kept", "rows_skipped", "rows_rejected"]]) == [
        ["在校生.csv", 1, 1, 0, 0], ["学校.csv", 2, 2, 0, 0], ["教师汇总.xlsx", 3, 2, 1, 0]]
    assert plain(report.rejects[["source_row", "raw_value", "reason"]]) == [[6, "合  计", "合计行（非数据）"]]
    assert plain(report.frames["core_enrolment"][["grade", "students", "migrant_students", "disabled_students"]]) == [
        [1, 50, 3, 1]]
    assert plain(report.frames["core_school_sections"][["school_id", "teachers", "backbone_teachers"]]) == [
        ["4101020001", 20, 3], ["4101020002", 18, None]]


def test_roster_wins_over_counts_for_the_same_school_and_year(tmp_path):
    raw = _sections_raw(tmp_path / "raw")
    write_csv(raw / "zz_more_counts.csv", [
        ["年份", "学校标识码", "学段", "专任教师数"],
        [2023, "4101020004", "小学", 99],
    ])
    report = clean(raw, tmp_path / "out", write=False)
    sec = report.frames["core_school_sections"].set_index("school_id")
    assert sec.loc["4101020004", "teachers"] == 2
    assert report.rejects.loc[report.rejects["source_file"] == "zz_more_counts.csv", "reason"].tolist() == [
        "该校该年已有教师名册，分校汇总数未采用"]


def _classes_raw(raw: Path) -> Path:
    write_csv(raw / "classes.csv", [
        ["年份", "学校标识码", "学段", "年级", "班级名称", "班额"],
        [2023, "4101020001", "", "一年级", "一(1)班", 45],
        [2023, "4101020001", "", "1", "一(2)班", "４６"],
        [2023, "4101020002", "初中", "初一", "七(1)班", 50],
        [2023, "4101020002", "", "八年级", "八(1)班", "x"],
        [2023, "4101020002", "", "十三年级", "八(2)班", 40],
        [2023, "4101020002", "", "八年级", "八(3)班", "-"],  # no class size: not a usable class row
    ])
    write_csv(raw / "enrolment.csv", [
        ["年份", "学校标识码", "年级", "学生数", "其中随迁子女", "其中残疾学生"],
        [2023, "4101020001", 1, "135", 10, 1],
        [2023, "4101020001", "二年级", 130, "—", 0],
        [2023, "4101020002", "初三", "1,100", 5, ""],
    ], encoding="gb18030")
    return raw


def test_classes_and_enrolment(tmp_path):
    raw = _classes_raw(tmp_path / "raw")
    report = clean(raw, tmp_path / "out", write=False)
    classes = report.frames["core_classes"]
    expected = pd.DataFrame({
        "year": [2023, 2023, 2023], "school_id": ["4101020001", "4101020001", "4101020002"],
        "section": ["primary", "primary", "junior"], "grade": [1, 1, 7],
        "class_name": ["一(1)班", "一(2)班", "七(1)班"], "students": pd.array([45, 46, 50], dtype="Int64"),
    })
    pd.testing.assert_frame_equal(classes[expected.columns].astype({c: object for c in ["school_id", "section", "class_name"]}),
                                  expected.astype({c: object for c in ["school_id", "section", "class_name"]}))
    enrol = report.frames["core_enrolment"]
    assert plain(enrol[["grade", "section", "students", "migrant_students", "disabled_students"]]) == [
        [1, "primary", 135, 10, 1], [2, "primary", 130, None, 0], [9, "junior", 1100, 5, None]]
    assert report.rejects[["source_row", "source_column", "reason"]].values.tolist() == [
        [5, "班额", "无法识别的数值"], [6, "年级", "无法识别的年级"], [7, "班额", "必填值缺失"]]
    assert any("core_classes: 3 rows refer to schools missing from core_schools" in w for w in report.warnings)


def _county_raw(raw: Path) -> Path:
    write_csv(raw / "monitoring.csv", [
        ["县", "监测年份", "学段", "学科", "校际差异率", "学业水平等级"],
        ["城东区", 2022, "小学", "语文", "0.06", "Ⅲ"],
        ["城东区", 2022, "初中", "数学", 0.10, "水平Ⅱ"],
    ])
    write_csv(raw / "cohort.csv", [
        ["县", "毕业年份", "三年前初一在校生数", "转入", "转出", "死亡", "休学", "复学", "毕业生数"],
        ["城东区", 2023, "1,000", 12, 8, 0, 1, 1, 985],
        ["城东区", "2022年", 980, 10, 5, 1, "-", "-", 970],
    ])
    write_xlsx(raw / "county.xlsx", {"县级保障": [
        ["2023年县级保障情况（示例数据（合成））"],
        ["县", "年份", "教师年平均工资(万元)", "公务员年平均工资（万元）", "优质高中招生名额总数", "分配到初中名额",
         "特殊教育学校生均公用经费(元)", "G1 学校规划布局合理", "G1 说明", "V3 存在重点学校或重点班", "V3 说明",
         "城乡学校建设、编制、生均公用经费、装备配置实行统一标准"],
        ["城东区", 2023, 9.8, "9.5", "2,000", "1,100", "6,500", "是", "规划已批复", "否", None, "是"],
        ["城西区", 2023, "8.8", 9.5, 1000, 400, 7000, "否", "未完成", "否", "无", None],
        ["城南区", 2023, None, None, None, None, None, None, None, None, None, None],
    ]})
    return raw


def test_cohort_flows_county_figures_and_attestations(tmp_path):
    raw = _county_raw(tmp_path / "raw")
    report = clean(raw, tmp_path / "out", write=False)
    cf = report.frames["core_county_figures"]
    assert cf[["county", "year", "teacher_avg_salary_yuan", "civil_servant_avg_salary_yuan", "hs_quota_total",
               "hs_quota_to_junior", "special_school_funds_per_student_yuan"]].astype(object).values.tolist() == [
        ["城东区", 2023, 98000.0, 95000.0, 2000, 1100, 6500.0], ["城西区", 2023, 88000.0, 95000.0, 1000, 400, 7000.0]]
    att = report.frames["core_attestations"]
    expected = pd.DataFrame({
        "county": ["城东区", "城东区", "城东区", "城西区", "城西区"],
        "year": [2023] * 5,
        "item": ["G1", "G2", "V3", "G1", "V3"],
        "is_met": pd.array([True, True, False, False, False], dtype="boolean"),
        "note": ["规划已批复", None, None, "未完成", None],
        "source_row": [3, 3, 3, 4, 4],
    })
    pd.testing.assert_frame_equal(att[expected.columns].astype({"county": object, "item": object, "note": object}),
                                  expected.astype({"county": object, "item": object, "note": object}))
    flows = report.frames["core_cohort_flows"]
    assert plain(flows[["graduation_year", "grade7_students_3y_before", "suspended", "graduates"]]) == [
        [2022, 980, None, 970], [2023, 1000, 1, 985]]
    assert report.rejects[["source_file", "source_row", "reason"]].values.tolist() == [
        ["county.xlsx", 5, "整行无有效数据"]]


@pytest.mark.parametrize(
    "label",
    [
        pytest.param("共计", id="gongji"),
        pytest.param("全市", id="quanshi"),
        pytest.param("全 县", id="quanxian-spaced"),
        pytest.param("全区", id="quanqu"),
        pytest.param("全县（市、区）", id="quanxian-shiqu"),
        pytest.param("全县合计", id="quanxian-heji"),
        pytest.param("全市小计：", id="quanshi-xiaoji"),
    ],
)
def test_aggregate_rows_labelled_by_area_are_total_rows(tmp_path, label):
    raw = tmp_path / "raw"
    write_csv(raw / "学生变动.csv", [
        ["县", "毕业年份", "三年前初一在校生数", "转入", "转出", "毕业生数"],
        ["城东区", 2023, 2000, 30, 25, 1990],
        ["城西区", 2023, 1500, 10, 12, 1480],
        [label, 2023, 3500, 40, 37, 3470],
    ])
    report = clean(raw, tmp_path / "out", write=False)
    assert report.frames["core_cohort_flows"]["county"].tolist() == ["城东区", "城西区"]
    assert plain(report.rejects[["source_row", "raw_value", "reason"]]) == [[4, label, "合计行（非数据）"]]


def test_area_words_in_school_names_and_published_areas_are_data(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw / "学校.csv", [
        ["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者"],
        [2023, "4101020001", "全市第一小学", "城东区", 111, "小学", "公办"],
        [2023, "4101020002", "全区实验学校", "城东区", 111, "小学", "公办"],
    ])
    write_csv(raw / "公开数据.csv", [
        ["地区", "指标", "学段", "城乡", "年份", "数值", "单位", "来源"],
        ["长治市", "在校生数", "小学", "全市", 2021, "42,971", "人", "公报"],
    ])
    report = clean(raw, tmp_path / "out", write=False)
    assert report.frames["core_schools"]["school_name"].tolist() == ["全市第一小学", "全区实验学校"]
    assert report.frames["core_published"]["area"].tolist() == ["全市"]
    assert report.rejects.empty


def _survey_raw(raw: Path) -> Path:
    write_csv(raw / "城东区_社会认可度问卷_2023_示例.csv", [
        ["2023年城东区社会认可度调查问卷（示例数据（合成））"],
        ["县", "问卷编号", "调查对象", "1", "2", "3", "总体满意度"],
        ["城东区", "Q001", "家长", "满意", "基本满意", "满意", "满意"],
        ["城东区", "Q002", "学生", "不满意", "满意", "", "基本满意"],
        ["城东区", "Q003", "教师", "满意", "满意", "满意", ""],
        ["城东区", "Q004", "人大代表", "满意", "很好", "满意", "满意"],
        ["城东区", "Q005", "路人", "满意", "满意", "满意", "满意"],
    ], encoding="gbk")
    return raw


def test_survey(tmp_path):
    raw = _survey_raw(tmp_path / "raw")
    report = clean(raw, tmp_path / "out", write=False)
    survey = report.frames["core_survey"]
    expected = pd.DataFrame({
        "county": ["城东区"] * 3, "year": [2023] * 3, "questionnaire_id": ["Q001", "Q002", "Q003"],
        "respondent_group": ["parent", "student", "teacher"], "n_questions": [3, 3, 3], "n_answered": [3, 2, 3],
        "n_satisfied_answers": [3, 1, 3], "overall_answer": ["satisfied", "basically_satisfied", None],
    })
    pd.testing.assert_frame_equal(survey[expected.columns].astype({c: object for c in ["county", "questionnaire_id", "respondent_group", "overall_answer"]}),
                                  expected.astype({c: object for c in ["county", "questionnaire_id", "respondent_group", "overall_answer"]}))
    assert report.rejects[["source_row", "source_column", "raw_value", "reason"]].values.tolist() == [
        [6, "2", "很好", "未知答案（应为满意/基本满意/不满意）"], [7, "调查对象", "路人", "未知取值"]]
    assert any("year 2023 taken from the title rows" in w for w in report.warnings)


def _published_raw(raw: Path) -> Path:
    write_csv(raw / "published" / "公开数据.csv", [
        ["地区", "指标", "学段", "城乡", "年份", "数值", "单位", "来源"],
        ["长治市", "在校生数", "小学", "主城区", 2018, "42,971", "人", "长治市人民政府, 长治市2021年度履行教育职责自评报告, 2021"],
        ["长治市", "50岁以上教师占比", "", "农村", 2021, "27%", "%", "同上"],
        ["长治市", "在校生数", "小学", "主城区", 2018, 1, "人", "重复"],
    ])
    (raw / "published" / "SOURCES.md").write_text("sources", encoding="utf-8")
    return raw


def _births_raw(raw: Path) -> Path:
    write_csv(raw / "births" / "出生人口.csv", [
        ["2016-2018年城东区出生人口"],
        ["县", "年份", "城乡", "出生人口"],
        ["城东区", 2016, "城区", "1,200"],
        ["城东区", 2017, "乡村", "８００"],
    ], encoding="gbk")
    return raw


def _plan_raw(raw: Path) -> Path:
    """An edited 整改方案 (analysis.plan's export) as an analyst might save it: CSV, GBK, title
    rows, a unit typed in a cell, a blank planned quantity (keeps the default)."""
    write_csv(raw / "plan" / "整改方案_已修改.csv", [
        ["城东区义务教育优质均衡发展整改方案（依据2024年数据）"],
        ["年份", "县（区）", "整改事项编号", "指标", "需要数量", "计划数量", "完成时间", "责任单位", "整改措施说明"],
        [2024, "城东区", "L5-1000000001-primary-build_sports_ground", "L5", "450", "300平方米", "2027年", "县教育局", "租用场地"],
        [2024, "城东区", "G14-县-rectify", "G14", "", "", 2025, "县教育局、县政府", ""],
    ], encoding="gbk")
    return raw


def test_plan_edits_are_read_back(tmp_path):
    report = clean(_plan_raw(tmp_path / "raw"), tmp_path / "out", write=False)
    e = report.frames["core_plan_edits"]
    assert plain(e[["action_id", "quantity", "target_year", "offices", "plan_note"]]) == [
        ["G14-县-rectify", None, 2025, "县教育局、县政府", None],
        ["L5-1000000001-primary-build_sports_ground", 300.0, 2027, "县教育局", "租用场地"],
    ]
    assert len(report.rejects) == 0


def test_published_figures(tmp_path):
    raw = _published_raw(tmp_path / "raw")
    report = clean(raw, tmp_path / "out", write=False)
    pub = report.frames["core_published"]
    assert plain(pub[["region", "indicator", "published_section", "area", "year", "value", "unit"]]) == [
        ["长治市", "50岁以上教师占比", None, "农村", 2021, 27.0, "%"],
        ["长治市", "在校生数", "小学", "主城区", 2018, 42971.0, "人"],
    ]
    assert report.rejects["source_row"].tolist() == [4]
    assert report.skipped == ["published/SOURCES.md"]


def test_a_unit_written_in_the_cell_wins_over_the_header_and_percent_is_no_count(tmp_path):
    raw = tmp_path / "raw"
    write_xlsx(raw / "学校情况2023.xlsx", {"学校": [
        [None, "２０２３年某县学校情况"],
        [None, "学校标识码", "学校名称", "县区", "城乡代码", "学校类型", "举办者", "教学仪器设备资产值", "公用经费预算",
         "小学在校生数", "教学及辅助用房面积"],
        [None, None, None, None, None, None, None, "（万元）", "(万元)", "（人）", None],
        [None, "3301030001", "西城小学", "城西区", 111, "小学", "公办", "12万元", "30000元", 450, "1,200㎡"],
        [None, "3301030002", "西城二小", "城西区", 112, "小学", "公办", 10, "2", "400人", "800平方米"],
        [None, "3301030003", "西城三小", "城西区", 112, "小学", "公办", "3公斤", 2, "45%", 600],
    ]})
    report = clean(raw, tmp_path / "out", write=False)
    assert plain(report.frames["core_schools"][["school_id", "equipment_value_yuan", "public_funds_budget_yuan",
                                                "students_primary", "teaching_area_m2"]]) == [
        ["3301030001", 120000.0, 30000.0, 450, 1200.0], ["3301030002", 100000.0, 20000.0, 400, 800.0]]
    assert plain(report.rejects[["source_row", "source_column", "raw_value", "reason"]]) == [
        [6, "小学在校生数/（人）", "45%", "百分数不能用于人数/数量/面积/金额字段"],
        [6, "教学仪器设备资产值/（万元）", "3公斤", "无法识别的单位"]]


def test_duplicates_across_files_keep_the_first_file(tmp_path):
    raw = tmp_path / "raw"
    header = ["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者"]
    write_csv(raw / "a_2023.csv", [header, [2023, "4101020001", "一小", "城东区", 111, "小学", "公办"]])
    write_csv(raw / "b_2023.csv", [header, [2023, "4101020001", "一小（更名）", "城东区", 111, "小学", "公办"],
                                   [2024, "4101020001", "一小（更名）", "城东区", 111, "小学", "公办"]])
    report = clean(raw, tmp_path / "out", write=False)
    schools = report.frames["core_schools"]
    assert schools[["year", "school_name", "source_file"]].values.tolist() == [
        [2023, "一小", "a_2023.csv"], [2024, "一小（更名）", "b_2023.csv"]]
    assert report.rejects["reason"].tolist() == ["重复键：与 a_2023.csv 第2行 重复（保留首次出现的记录）"]


def test_unmapped_columns_and_unused_synonyms_are_warned(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw / "a.csv", [["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者", "校训"],
                              [2023, "4101020001", "一小", "城东区", 111, "小学", "公办", "勤学"]])
    report = clean(raw, tmp_path / "out", write=False)
    assert "a.csv: column '校训' is not in synonyms.yaml for schools (学校基本情况); ignored" in report.warnings
    # the notes about the mapping files are kept apart from the warnings about the data
    assert not any(w.startswith(("synonyms.yaml", "school_types.yaml")) for w in report.warnings)
    unused = next(w for w in report.mapping_notes if w.startswith("synonyms.yaml [schools]"))
    assert "school_id: 学校代码, 学校识别码" in unused and "学校标识码" not in unused.split("school_id: ")[1].split(";")[0]
    assert any(w.startswith("synonyms.yaml: no sheet of kind teachers") for w in report.mapping_notes)
    assert any(w.startswith("school_types.yaml: names never used in this run: 完全小学") for w in report.mapping_notes)


def test_sheet_year_from_the_sheet_name_and_missing_year_is_an_error(tmp_path):
    raw = tmp_path / "raw"
    rows = [["学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者"],
            ["4101020001", "一小", "城东区", 111, "小学", "公办"]]
    write_xlsx(raw / "学校.xlsx", {"2022年": rows, "2023年": rows})
    report = clean(raw, tmp_path / "out", write=False)
    assert report.frames["core_schools"][["year", "source_sheet"]].values.tolist() == [[2022, "2022年"], [2023, "2023年"]]
    assert "学校.xlsx [2022年]: no 年份 column; year 2022 taken from the sheet name" in report.warnings
    write_xlsx(raw / "学校.xlsx", {"Sheet1": rows})
    with pytest.raises(InputError, match=r"学校\.xlsx \[Sheet1\]: required column 年份 \(year\) is missing"):
        clean(raw, tmp_path / "out", write=False)


# ------------------------------------------------------------------ whole-file errors


def _good_run(tmp_path) -> tuple[Path, Path, dict[str, bytes]]:
    raw = tmp_path / "raw"
    write_csv(raw / "a.csv", [["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者"],
                              [2023, "4101020001", "一小", "城东区", 111, "小学", "公办"]])
    out = tmp_path / "out"
    clean(raw, out)
    before = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    return raw, out, before


def _xlsx_without_cells() -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.add_worksheet("Sheet1")
    wb.close()
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param("f.csv", b"", r"^f\.csv: empty file", id="zero-byte-csv"),
        pytest.param("g.csv", b"\xef\xbb\xbf\r\n\r\n", r"^g\.csv: empty file", id="bom-and-blank-lines-csv"),
        pytest.param("h.xlsx", _xlsx_without_cells(), r"^h\.xlsx: empty file", id="xlsx-without-cells"),
        pytest.param("b.csv", "年份,学校名称,县,城乡分类代码,办学类型,举办者\n2023,一小,城东区,111,小学,公办\n".encode("gbk"),
                     r"^b\.csv: required column\(s\) missing for a 学校基本情况 \(schools\) table: 学校标识码 \(school_id\)$",
                     id="missing-required-column"),
        pytest.param("c.csv", b"\xd1\xa7\xd0\xa3,\xff\xfe\n", r"^c\.csv: cannot decode bytes as UTF-8 or GB18030", id="undecodable"),
        pytest.param("d.xlsx", b"not a workbook", r"^d\.xlsx: unreadable workbook", id="unreadable-workbook"),
        pytest.param("e.csv", "学校名称,县\n一小,城东区\n二小,城东区\n".encode(),
                     r"^e\.csv: required column\(s\) missing for a ", id="too-few-columns"),
        pytest.param("k.csv", "名称,数量,金额\n甲,1,2\n乙,3,4\n丙,5,6\n".encode(),
                     r"^k\.csv: no recognisable header row in the first 20 rows", id="figures-without-header"),
    ],
)
def test_unusable_file_is_listed_and_the_others_are_written(tmp_path, name, content, message):
    raw, out, before = _good_run(tmp_path)
    (raw / name).write_bytes(content)
    # --strict: the first unusable file stops the run and nothing is written
    with pytest.raises(InputError, match=message):
        clean(raw, out, strict=True)
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == before
    # default: the good file is cleaned and written, the bad one listed with its reason
    report = clean(raw, out)
    assert len(report.failures) == 1 and re_match(message, str(report.failures[0]))
    assert report.frames["core_schools"]["school_id"].tolist() == ["4101020001"]
    acc = pd.read_parquet(out / "qa_accounting.parquet")
    failed = acc.loc[acc["file_status"] == "failed"]
    assert failed["source_file"].tolist() == [name] and failed["rows_read"].tolist() == [0]
    assert failed["file_problem"].iloc[0] == report.failures[0].problem
    assert acc.loc[acc["file_status"] == "ok", "source_file"].tolist() == ["a.csv"]
    assert json.loads((out / "manifest.json").read_text())["failed"][0]["file"] == name
    # and when it is the only file, the run fails as before and the output stays
    (raw / "a.csv").unlink()
    before = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    with pytest.raises(InputError, match=message):
        clean(raw, out)
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == before


def re_match(pattern: str, text: str) -> bool:
    import re

    return re.search(pattern, text) is not None


def test_a_text_only_file_of_instructions_is_skipped_not_failed(tmp_path):
    raw, out, _ = _good_run(tmp_path)
    (raw / "e.csv").write_bytes("填表说明\n1. 本表由各县填报\n2. 金额单位为万元\n".encode())
    report = clean(raw, out, write=False)
    assert not report.failures and "e.csv" in report.skipped
    assert any(w.startswith("e.csv: not a table (text only") and w.endswith("; skipped") for w in report.warnings)


def test_a_raw_folder_without_tables_fails_and_keeps_the_previous_output(tmp_path, capsys):
    from analysis.__main__ import main

    raw, out, before = _good_run(tmp_path)
    (raw / "a.csv").unlink()
    (raw / "README.md").write_text("示例数据（合成）", encoding="utf-8")
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {raw}: no table found (no workbook or CSV file in it)"]
    # a workbook whose only sheet is a hidden dropdown list holds data, but no table
    wb = xlsxwriter.Workbook(raw / "学校.xlsx")
    wb.add_worksheet("Sheet1")
    wb.add_worksheet("下拉").write_column(0, 0, ["是", "否"])
    wb.worksheets()[1].hide()
    wb.close()
    with pytest.raises(InputError, match=r"no table found \(none of its 1 workbook/CSV files holds a table\)"):
        clean(raw, out)
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == before


def test_instructions_cover_and_contents_sheets_are_skipped_with_a_warning(tmp_path):
    raw = tmp_path / "raw"
    write_xlsx(raw / "学校.xlsx", {
        "封面": [["2023年城东区教育事业统计（示例数据（合成））"], [None], ["填报单位：城东区教育局"]],
        "目录": [["一、学校基本情况"], ["二、专任教师"]],
        "2023年": [["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者"],
                  [2023, "4101020001", "一小", "城东区", 111, "小学", "公办"]],
        # instructions that name columns (学校标识码 / 学校名称 …) side by side: still notes, by the name
        "填表说明": [["填表说明"], ["学校标识码", "学校名称", "县"], ["10位数字", "全称", "县名"], [1, 2, 3], [4, 5, 6]],
    })
    for strict in (False, True):
        report = clean(raw, tmp_path / "out", strict=strict)
        assert not report.failures
        assert report.frames["core_schools"]["school_id"].tolist() == ["4101020001"]
        for sheet in ("封面", "目录", "填表说明"):
            assert any(w.startswith(f"学校.xlsx [{sheet}]: not a table (") and w.endswith("; skipped")
                       for w in report.warnings), sheet


def test_a_bad_sheet_fails_alone_and_the_other_sheets_are_kept(tmp_path):
    raw = tmp_path / "raw"
    write_xlsx(raw / "学校.xlsx", {
        "2023年": [["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者"],
                  [2023, "4101020001", "一小", "城东区", 111, "小学", "公办"]],
        "Sheet2": [["学校名称", "县", "数量"], ["一小", "城东区", 3], ["二小", "城东区", 4]],
    })
    report = clean(raw, tmp_path / "out", write=False)
    assert [(f.file, f.sheet) for f in report.failures] == [("学校.xlsx", "Sheet2")]
    assert "required column(s) missing" in report.failures[0].problem
    assert len(report.frames["core_schools"]) == 1


def test_cli_exit_status_and_one_line_error(tmp_path, capsys):
    from analysis.__main__ import main

    raw, out, before = _good_run(tmp_path)
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "读取文件 1 个（files read），工作表 1 张（sheets）" in printed and "保留 1 行（rows kept）" in printed
    assert "因数据有问题剔除 0 行" in printed and "文件 (file)" not in printed  # no table when nothing went wrong
    before = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    (raw / "b.csv").write_bytes("年份,学校名称\n2023,一小\n".encode("gbk"))
    assert main(["clean", "--raw", str(raw), "--out", str(out), "--strict"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: b.csv: ")
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == before
    # without --strict: a.csv is cleaned and written, b.csv listed on stderr, exit status 2
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 2
    printed = capsys.readouterr()
    assert "无法使用的文件 1 个（files that could not be used）" in printed.out
    assert printed.err.splitlines()[0] == (
        "无法使用的文件 1 个，未进入数据表，退出状态 2（1 file could not be used; not in the tables; exit status 2）：")
    assert printed.err.splitlines()[1].startswith("  b.csv: ")
    assert pd.read_parquet(out / "core_schools.parquet")["school_id"].tolist() == ["4101020001"]


# ------------------------------------------------------------------ outputs


def _judgements_raw(raw: Path) -> Path:
    return write_csv(raw / "评估认定.csv", [
        ["县", "年份", "指标", "学校名称", "认定结论", "认定理由", "佐证材料", "认定人", "认定日期"],
        ["城东区", 2023, "L4", None, "综合评估认定达标", "实用、够用、管用", "课程开设情况", "区教育督导室", "2024-03-01"],
    ])


def test_outputs_are_complete_valid_and_byte_identical_on_rerun(schools_raw, tmp_path):
    write_csv(schools_raw / "roster.csv", ROSTER, encoding="gbk")
    for writer in (_sections_raw, _classes_raw, _county_raw, _survey_raw, _published_raw, _judgements_raw):
        writer(schools_raw / writer.__name__.strip("_"))
    _births_raw(schools_raw / "population")
    _plan_raw(schools_raw / "plan")
    out = tmp_path / "out"
    report = clean(schools_raw, out)  # validated against the dictionary schemas on write
    assert isinstance(report, CleanReport)
    first = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    from analysis.dictionary import tables

    assert {f"{t}.parquet" for t in tables() if t.startswith(("core_", "qa_"))} <= set(first)
    assert {"qa_rejects.csv", "qa_accounting.csv", "qa_warnings.txt", "manifest.json"} <= set(first)
    clean(schools_raw, out)
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == first
    manifest = json.loads(first["manifest.json"])
    # the workbook repeats three schools of sections_raw/schools.csv (read first): rejected as duplicates
    assert manifest["tables"]["core_schools"]["rows"] == len(report.frames["core_schools"]) == 4
    assert manifest["tables"]["core_schools"]["sha256"] == hashlib.sha256(first["core_schools.parquet"]).hexdigest()
    assert [i["file"] for i in manifest["inputs"]][:2] == ["classes_raw/classes.csv", "classes_raw/enrolment.csv"]
    assert set(report.accounting["table_kind"]) == {
        "schools", "teachers", "teacher_counts", "section_facilities", "classes", "enrolment", "cohort_flows",
        "county_figures", "survey", "published", "judgements", "quality_monitoring", "births", "plan_edits"}
    for name, frame in report.frames.items():
        if name.startswith("core_") and name != "core_school_sections":
            assert len(frame), name
    assert first["qa_rejects.csv"].startswith(b"\xef\xbb\xbf")
    rejects = pd.read_csv(out / "qa_rejects.csv", encoding="utf-8-sig")
    assert len(rejects) == len(report.rejects)
    notes = first["qa_warnings.txt"].decode("utf-8")
    assert all(m in notes for m in report.mapping_notes) and all(w in notes for w in report.warnings)


def test_accounting_invariant_holds_per_sheet(schools_raw, tmp_path):
    _sections_raw(schools_raw / "more")
    write_csv(schools_raw / "roster.csv", ROSTER, encoding="gbk")
    report = clean(schools_raw, tmp_path / "out", write=False)
    acc = report.accounting
    assert (acc["rows_read"] == acc["rows_kept"] + acc["rows_skipped"] + acc["rows_rejected"]).all()
    assert acc["rows_skipped"].sum() > 0 and acc["rows_rejected"].sum() > 0
    for col, skipped in (("rows_rejected", False), ("rows_skipped", True)):
        sub = report.rejects.loc[report.rejects["is_skipped_row"] == skipped]
        rows = sub.groupby(["source_file", "source_sheet"], dropna=False)["source_row"].nunique()
        assert acc[col].sum() == rows.sum(), col


def test_hidden_list_sheets_and_chart_sheets_are_skipped_with_a_warning(tmp_path):
    raw = tmp_path / "raw"
    path = raw / "学校.xlsx"
    path.parent.mkdir(parents=True)
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("2023年")
    ws.write_row(0, 0, ["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者"])
    ws.write_row(1, 0, [2023, "4101020001", "一小", "城东区", "111", "小学", "公办"])
    lists = wb.add_worksheet("下拉选项")
    lists.write_column(0, 0, ["是", "否"])
    lists.hide()
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "='2023年'!$B$2:$B$2"})
    wb.add_chartsheet("图表").set_chart(chart)
    wb.close()
    report = clean(raw, tmp_path / "out", write=False)
    assert len(report.frames["core_schools"]) == 1
    assert "学校.xlsx [下拉选项]: hidden sheet without a table header (e.g. dropdown lists); skipped" in report.warnings
    assert "学校.xlsx [图表]: chart sheet; skipped" in report.warnings


def test_survey_without_questionnaire_ids_is_not_mistaken_for_county_figures(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw / "问卷.csv", [["县", "年份", "调查对象", "Q1", "Q2", "Q3", "Q5", "Q6", "Q7", "Q9"],
                                 ["城东区", 2023, "家长"] + ["满意"] * 7])
    with pytest.raises(InputError, match=r"问卷\.csv: required column\(s\) missing for a 社会认可度问卷 \(survey\) table: 问卷编号"):
        clean(raw, tmp_path / "out", write=False)


def test_blank_rows_and_row_numbers_in_csv_with_quoted_line_breaks(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw / "county.csv", [
        ["县", "年份", "G1 学校规划布局合理", "G1 说明"],
        ["城东区", 2023, "是", "第一行\n第二行"],
        ["", "", "", ""],
        ["城西区", 2023, "否", "合计投入不足"],
    ])
    report = clean(raw, tmp_path / "out", write=False)
    att = report.frames["core_attestations"]
    # a note may say 合计 without making its row a total row; rows are records, as Excel shows them
    assert plain(att[["county", "is_met", "note", "source_row"]]) == [
        ["城东区", True, "第一行\n第二行", 2], ["城西区", False, "合计投入不足", 4]]
    assert report.accounting[["rows_read", "rows_kept", "rows_skipped", "rows_rejected"]].values.tolist() == [[2, 2, 0, 0]]


def test_empty_year_cells_take_the_year_of_the_title(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw / "survey.csv", [
        ["2024年城东区社会认可度调查问卷（示例数据（合成））"],
        ["县", "年份", "问卷编号", "调查对象", "第1题", "第2题"],
        ["城东区", 2024, "A1", "家长", "满意", "满意"],
        ["城东区", "", "A2", "学生", "满意", "不满意"],
    ])
    report = clean(raw, tmp_path / "out", write=False)
    assert report.frames["core_survey"]["year"].tolist() == [2024, 2024]
    assert "survey.csv: 1 rows with an empty 年份 took year 2024 from the title rows" in report.warnings
