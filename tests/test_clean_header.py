"""Header detection, synonym mapping and kind recognition; integrity of the mapping files."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.clean import kinds as K
from analysis.clean.header import (
    ATTESTED,
    QUESTION,
    find_header,
    load_synonyms,
    normalise_header,
    recognise_kind,
)
from analysis.clean.parse import value_maps
from analysis.config import load_yaml
from analysis.dictionary import columns, value_labels

SYN = load_synonyms()


def _kind(rows, data_rows=()):
    """(kind, {raw header: field}) of a header given as rows of cells."""
    header = find_header(rows, SYN)
    assert header is not None
    data = pd.DataFrame(list(data_rows), dtype=object) if data_rows else pd.DataFrame()
    km, ranked = recognise_kind(header, data, SYN)
    assert km is not None, ranked[0].missing
    return km.kind, {header.cells[p].raw: (m.field if m.field != ATTESTED else f"{m.item}:{m.part}")
                     for p, m in km.matches.items()}


@pytest.mark.parametrize(
    ("text", "key", "units"),
    [
        pytest.param("教学仪器设备资产值（万元）", "教学仪器设备资产值", ["万元"], id="full-width-brackets"),
        pytest.param("教学仪器设备资产值(万元)", "教学仪器设备资产值", ["万元"], id="ascii-brackets"),
        pytest.param("教学仪器设备资产值【单位：万元】", "教学仪器设备资产值", ["万元"], id="unit-prefix"),
        pytest.param(" 学校\n名称 ", "学校名称", [], id="line-break"),
        pytest.param("学校名称*", "学校名称", [], id="required-star"),
        pytest.param("其中：室内体育用房面积", "其中室内体育用房面积", [], id="colon"),
        pytest.param("县（市、区）", "县", ["市、区"], id="bracket-not-unit"),
        pytest.param("运动场地面积(m²)", "运动场地面积", ["m2"], id="m-squared"),
    ],
)
def test_normalise_header(text, key, units):
    assert normalise_header(text) == (key, units)


def test_title_rows_are_skipped():
    rows = [
        ["2021年城东区中小学基本情况表（示例数据，合成，非真实统计）", "", ""],
        ["单位：人、平方米、万元", "", ""],
        ["", "", ""],
        ["学校标识码", "学校名称", "办学类型"],
        ["4101020001", "一小", "小学"],
    ]
    h = find_header(rows, SYN)
    assert (h.top, h.bottom) == (3, 3)
    assert h.above == ["2021年城东区中小学基本情况表（示例数据，合成，非真实统计）", "单位：人、平方米、万元"]


def test_merged_two_row_header_from_a_workbook():
    # a workbook's merged cells arrive filled (analysis.clean.read fills merged ranges)
    rows = [
        ["学校标识码", "学校名称", "在校生数", "在校生数", "在校生数", "班数", "班数"],
        ["学校标识码", "学校名称", "小学", "初中", "高中", "小学", "初中"],
        ["4101020001", "一小", 300, 0, 0, 6, 0],
    ]
    h = find_header(rows, SYN)
    assert (h.top, h.bottom) == (0, 1)
    assert [c.raw for c in h.cells] == ["学校标识码", "学校名称", "在校生数/小学", "在校生数/初中", "在校生数/高中",
                                        "班数/小学", "班数/初中"]


def test_two_row_header_in_csv_fills_the_group_to_the_right():
    rows = [
        ["学校标识码", "学段", "专任教师", "", "", "", "备注"],
        ["", "", "计", "高于规定学历", "骨干", "体育艺术", ""],
        ["4101020001", "小学", 40, 38, 5, 4, ""],
    ]
    kind, fields = _kind(rows)
    assert kind == "teacher_counts"
    assert fields == {"学校标识码": "school_id", "学段": "section", "专任教师/计": "teachers",
                      "专任教师/高于规定学历": "above_degree_teachers", "专任教师/骨干": "backbone_teachers",
                      "专任教师/体育艺术": "pe_art_teachers", "备注": "_ignore"}


def test_lower_row_that_splits_a_group_is_part_of_the_header_even_without_new_fields():
    # 专任教师 merged over 计 | 本科 | 专科: 本科 and 专科 are not fields, but the row is no data row
    rows = [
        ["2023年分校教师汇总表"],
        ["学校标识码", "学校名称", "年份", "专任教师", "专任教师", "专任教师", "骨干教师数"],
        ["学校标识码", "学校名称", "年份", "计", "本科", "专科", "骨干教师数"],
        ["3301030001", "西城小学", 2023, 20, 15, 5, 3],
    ]
    h = find_header(rows, SYN)
    assert (h.top, h.bottom) == (1, 2)
    kind, fields = _kind(rows)
    assert kind == "teacher_counts"
    assert fields == {"学校标识码": "school_id", "学校名称": "school_name", "年份": "year", "专任教师/计": "teachers",
                      "骨干教师数": "backbone_teachers"}


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([["学校标识码", "年级", "在校生数", "在校生数", "在校生数"],
                      ["学校标识码", "年级", "计", "其中：随迁子女", "其中：残疾学生"],
                      ["3301040001", "一年级", 50, 3, 1]], id="merged-workbook"),
        pytest.param([["学校标识码", "年级", "在校生数", "", ""],
                      ["", "", "计", "其中随迁子女", "其中残疾学生"],
                      ["3301050001", "一年级", 200, 5, 1]], id="csv-without-merges"),
        pytest.param([["学校标识码", "年级", "在校生数", "", ""],
                      ["", "", "合计", "其中：随迁子女", "其中：残疾学生数"],
                      ["3301050001", "一年级", 200, 5, 1]], id="heji"),
    ],
)
def test_total_under_a_group_is_the_groups_own_field(rows):
    kind, fields = _kind(rows)
    assert kind == "enrolment"
    assert sorted(fields.values()) == ["disabled_students", "grade", "migrant_students", "school_id", "students"]
    assert fields[f"在校生数/{rows[1][2]}"] == "students"


def test_best_row_can_be_the_lower_row_of_a_two_row_header():
    rows = [
        ["基本信息", "", "在校生数", "", ""],
        ["学校标识码", "学校名称", "小学", "初中", "高中"],
        ["4101020001", "一小", 300, 0, 0],
    ]
    h = find_header(rows, SYN)
    assert (h.top, h.bottom) == (0, 1)
    assert [c.raw for c in h.cells][2:] == ["在校生数/小学", "在校生数/初中", "在校生数/高中"]


def test_a_data_row_under_the_header_is_not_a_second_header_row():
    rows = [["学校标识码", "学校名称", "办学类型", "小学在校生数"], ["4101020001", "小学", "小学", 300]]
    h = find_header(rows, SYN)
    assert (h.top, h.bottom) == (0, 0)


def test_units_row_under_the_header():
    rows = [["学校标识码", "教学仪器设备资产值", "教学及辅助用房面积"], ["", "(万元)", "(平方米)"], ["4101020001", 3, 400]]
    h = find_header(rows, SYN)
    assert (h.top, h.bottom) == (0, 1)
    assert h.cells[1].candidates[0] == ("教学仪器设备资产值", ("万元",))


def test_no_header_in_an_explanatory_sheet():
    rows = [["填表说明"], ["1. 本表由各县教育局填报。"], ["2. 金额单位为万元。"]]
    assert find_header(rows, SYN) is None


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        pytest.param(["年份", "学校代码", "校名", "区县", "城乡代码", "学校类型", "办学性质"], "schools", id="schools"),
        pytest.param(["年份", "学校标识码", "教师编号", "性别", "出生日期", "学历", "任教学段", "任教学科", "骨干级别"],
                     "teachers", id="teachers"),
        pytest.param(["年份", "学校标识码", "学段", "专任教师数", "高于规定学历教师数", "骨干教师数", "体育艺术专任教师数"],
                     "teacher_counts", id="teacher-counts"),
        pytest.param(["年份", "学校标识码", "学段", "教学及辅助用房面积", "运动场地面积", "教学仪器设备资产值(万元)"],
                     "section_facilities", id="section-facilities"),
        pytest.param(["年份", "学校标识码", "学段", "年级", "班级名称", "学生数"], "classes", id="classes"),
        pytest.param(["年份", "学校标识码", "年级", "学生数", "其中随迁子女", "其中残疾学生"], "enrolment", id="enrolment"),
        pytest.param(["县", "毕业年份", "三年前初一在校生数", "转入", "转出", "死亡", "休学", "复学", "毕业生数"],
                     "cohort_flows", id="cohort-flows"),
        pytest.param(["县", "年份", "教师年平均工资(万元)", "公务员年平均工资(万元)"], "county_figures", id="county-figures"),
        pytest.param(["县", "年份", "G1 学校规划布局合理", "G1 说明"], "county_figures", id="attestations-only"),
        pytest.param(["县", "问卷编号", "调查对象", "1", "2", "3", "总体满意度"], "survey", id="survey"),
        pytest.param(["县", "问卷编号", "调查对象", "Q1", "Q3", "Q5", "Q6", "Q7", "Q9"], "survey",
                     id="survey-with-q-numbers-like-item-keys"),
        pytest.param(["地区", "指标", "学段", "城乡", "年份", "数值", "单位", "来源"], "published", id="published"),
    ],
)
def test_recognise_kind(header, kind):
    assert _kind([header])[0] == kind


def test_attested_items_by_key_and_by_wording():
    kind, fields = _kind([["县", "年份", "G1 学校规划布局合理", "G1 说明", "G10统筹分配编制", "V3 说明",
                           "城乡学校建设、编制、生均公用经费、装备配置实行统一标准", "有弄虚作假行为", "弄虚作假行为说明"]])
    assert kind == "county_figures"
    assert fields == {"县": "county", "年份": "year", "G1 学校规划布局合理": "G1:is_met", "G1 说明": "G1:note",
                      "G10统筹分配编制": "G10:is_met", "V3 说明": "V3:note",
                      "城乡学校建设、编制、生均公用经费、装备配置实行统一标准": "G2:is_met",
                      "有弄虚作假行为": "V6:is_met", "弄虚作假行为说明": "V6:note"}


def test_survey_question_columns_recognised_by_their_answers():
    rows = [["县", "问卷编号", "调查对象", "您对学校办学条件是否满意", "您对教师队伍是否满意", "联系方式"]]
    data = [["城东区", "1", "家长", "满意", "", "138"], ["城东区", "2", "学生", "基本满意", "不满意", ""]]
    header = find_header(rows, SYN)
    km, _ = recognise_kind(header, pd.DataFrame(data, dtype=object), SYN)
    assert km.kind == "survey"
    assert [m.field for p, m in sorted(km.matches.items())] == [
        "county", "questionnaire_id", "respondent_group", QUESTION, QUESTION]


def test_missing_required_column_names_the_kind_and_column():
    header = find_header([["年份", "学校名称", "县", "城乡分类代码", "办学类型", "举办者", "小学在校生数"]], SYN)
    km, ranked = recognise_kind(header, pd.DataFrame(), SYN)
    assert km is None
    assert ranked[0].kind == "schools"
    assert ranked[0].missing == ["school_id"]


# ------------------------------------------------------------------ the mapping files themselves


def test_synonym_fields_are_dictionary_columns():
    cols = columns()
    for name, spec in SYN.kinds.items():
        targets = K.target_columns(spec.target)
        for fld in spec.fields:
            if fld in K.POPULATION_FIELDS and spec.target == "core_births":
                # a head-count column of the births kind: its name is a population_measure code
                assert fld in value_labels("population_measure"), fld
                continue
            if fld in K.AREA_POPULATION_FIELDS and spec.target == "core_births":
                measure, area = K.AREA_POPULATION_FIELDS[fld]
                assert measure in value_labels("population_measure") and area in value_labels("area_group")
                continue
            assert fld in cols, f"{name}: {fld} is not in the column dictionary"
            # sectioned_fields of an unsectioned kind feed an internal frame (teacher counts of the school sheet)
            assert fld in targets or fld in ("school_name", "county", "section", "year") or fld in spec.extra.get(
                "sectioned_fields", ()) or fld in spec.extra.get("recognised_only", ()), (name, fld)
        for fld in (*spec.required, *spec.extra.get("recognised_only", ())):
            assert fld in spec.fields, (name, fld)


def test_synonyms_file_has_no_conflicts_and_lists_the_spec_headers():
    raw = load_yaml("synonyms.yaml")
    spec_headers = {
        "schools": ["年份", "学校标识码", "学校名称", "市", "县", "城乡分类代码", "办学类型", "举办者", "是否寄宿制",
                    "小学在校生数", "初中在校生数", "高中在校生数", "小学班数", "初中班数", "教学及辅助用房面积",
                    "其中室内体育用房面积", "运动场地面积", "教学仪器设备资产值(万元)", "网络多媒体教室数", "音乐专用教室数",
                    "音乐专用教室面积", "美术专用教室数", "美术专用教室面积", "公用经费预算(万元)", "教师培训经费(万元)",
                    "随迁子女数", "就近划片入学人数", "是否计校数"],
        "teachers": ["年份", "学校标识码", "教师编号", "性别", "出生年月", "最高学历", "任教学段", "主要任教课程",
                     "骨干教师级别", "是否持有教师资格证", "是否符合交流条件", "本年是否交流轮岗", "近五年培训学时", "编制"],
        "classes": ["年份", "学校标识码", "学段", "年级", "班级名称", "学生数"],
        "enrolment": ["年份", "学校标识码", "年级", "学生数", "其中随迁子女", "其中残疾学生"],
        "cohort_flows": ["县", "毕业年份", "三年前初一在校生数", "转入", "转出", "死亡", "休学", "复学", "毕业生数"],
        "county_figures": ["县", "年份", "教师年平均工资(万元)", "公务员年平均工资(万元)", "优质高中招生名额总数",
                           "分配到初中名额", "符合条件随迁子女数", "在公办及购买服务学校就读随迁子女数", "残疾儿童少年数",
                           "残疾儿童少年入学数", "符合交流条件教师数", "交流轮岗教师数", "其中骨干教师数",
                           "特殊教育学校生均公用经费(元)"],
        "survey": ["县", "问卷编号", "调查对象", "总体满意度"],
        "published": ["地区", "指标", "学段", "城乡", "年份", "数值", "单位", "来源"],
    }
    for kind, headers in spec_headers.items():
        lookup = SYN.kinds[kind].lookup
        missing = [h for h in headers if normalise_header(h)[0] not in lookup]
        assert not missing, f"{kind}: spec headers without a synonym: {missing}"
    assert set(raw["kinds"]) == set(value_labels("table_kind"))


def test_value_maps_use_dictionary_codes():
    maps = value_maps()["values"]
    for name in maps:
        K.category_table(name)  # raises on a code the dictionary does not allow
    K.school_type_maps()
    K.subject_maps()
    assert set(value_maps()["grade_sections"]) <= set(value_labels("section"))
