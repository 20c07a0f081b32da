"""Value parsing of the cleaner: numbers, codes, booleans, ids, years, grades, dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.clean import kinds as K
from analysis.clean import parse as P
from analysis.clean.header import Match
from analysis.clean.kinds import category_table, school_types, subject_groups

NAN = float("nan")


def _values(parsed: P.Parsed) -> list:
    return [None if (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))) else v for v in parsed.values]


@pytest.mark.parametrize(
    ("raw", "kwargs", "value", "problem"),
    [
        pytest.param("1,234", {}, 1234.0, None, id="thousands-separator"),
        pytest.param("１２３", {}, 123.0, None, id="full-width-digits"),
        pytest.param("１，２３４．５", {}, 1234.5, None, id="full-width-separator-and-point"),
        pytest.param(" 45 ", {}, 45.0, None, id="surrounding-spaces"),
        pytest.param("45\u3000", {}, 45.0, None, id="ideographic-space"),
        pytest.param("1 234", {}, 1234.0, None, id="space-separator"),
        pytest.param("96.5%", {}, 96.5, None, id="percent-kept-as-written"),
        pytest.param("120平方米", {}, 120.0, None, id="unit-word"),
        pytest.param(7.0, {}, 7.0, None, id="numeric-cell"),
        pytest.param(7, {}, 7.0, None, id="int-cell-from-xls"),
        pytest.param("", {}, None, None, id="blank"),
        pytest.param("-", {}, None, None, id="hyphen"),
        pytest.param("—", {}, None, None, id="em-dash"),
        pytest.param("－", {}, None, None, id="full-width-hyphen"),
        pytest.param("/", {}, None, None, id="slash"),
        pytest.param("无", {}, None, None, id="wu"),
        pytest.param("NULL", {}, None, None, id="null"),
        pytest.param(None, {}, None, None, id="none"),
        pytest.param("abc", {}, None, P.BAD_NUMBER, id="text"),
        pytest.param("12..5", {}, None, P.BAD_NUMBER, id="two-points"),
        pytest.param("-3", {}, None, P.NEGATIVE, id="negative"),
        pytest.param("-3", {"ge": None}, -3.0, None, id="negative-allowed"),
        pytest.param("12.5", {"integer": True}, None, P.NOT_INTEGER, id="not-integer"),
        pytest.param("25", {"le": 24}, None, P.OUT_OF_RANGE, id="above-maximum"),
        pytest.param("12.3456", {"factor": 10000, "decimals": 2}, 123456.0, None, id="wan-yuan"),
        pytest.param("0.5", {"factor": 10000, "decimals": 2}, 5000.0, None, id="wan-yuan-fraction"),
        pytest.param(True, {}, None, P.BAD_NUMBER, id="boolean-cell"),
    ],
)
def test_parse_number(raw, kwargs, value, problem):
    p = P.parse_number(pd.Series([raw], dtype=object), **kwargs)
    assert _values(p) == [value]
    assert p.problem.tolist() == [problem]


@pytest.mark.parametrize(
    ("field", "raw", "factor", "value", "problem"),
    [
        pytest.param("equipment_value_yuan", "1.5", 10000, 15000.0, None, id="header-unit"),
        pytest.param("equipment_value_yuan", "30000元", 10000, 30000.0, None, id="yuan-in-cell-wins-over-wan-yuan-header"),
        pytest.param("public_funds_budget_yuan", "12万元", 1, 120000.0, None, id="wan-yuan-in-cell-wins-over-yuan-header"),
        pytest.param("equipment_value_yuan", "１２．５ 万元", 10000, 125000.0, None, id="full-width-wan-yuan-in-cell"),
        pytest.param("teaching_area_m2", "120㎡", 1, 120.0, None, id="square-metre-sign"),
        pytest.param("teaching_area_m2", "120m²", 1, 120.0, None, id="m-squared"),
        pytest.param("teaching_area_m2", "1,200平方米", 1, 1200.0, None, id="pingfangmi"),
        pytest.param("equipment_value_yuan", "5平方米", 10000, None, P.WRONG_UNIT, id="area-unit-in-money-field"),
        pytest.param("students_primary", "30000元", 1, None, P.WRONG_UNIT, id="money-unit-in-count-field"),
        pytest.param("equipment_value_yuan", "12美元", 10000, None, P.UNKNOWN_UNIT, id="unknown-unit"),
        pytest.param("students_primary", "45人", 1, 45.0, None, id="count-unit"),
        pytest.param("students_primary", "45%", 1, None, P.PERCENT_NOT_ALLOWED, id="percent-in-count-field"),
        pytest.param("teaching_area_m2", "45%", 1, None, P.PERCENT_NOT_ALLOWED, id="percent-in-area-field"),
        pytest.param("value", "27%", 1, 27.0, None, id="percent-in-published-value"),
    ],
)
def test_numbers_by_field_units_in_cells_and_percent(field, raw, factor, value, problem):
    p = K.parse_field(Match(field, field), pd.Series([raw], dtype=object), factor)
    assert _values(p) == [value]
    assert p.problem.tolist() == [problem]


def test_parse_number_keeps_index_and_broadcasts_distinct_values():
    s = pd.Series(["1,000", "x", "1,000", None, "x"], index=[10, 11, 12, 13, 14], dtype=object)
    p = P.parse_number(s)
    pd.testing.assert_series_equal(p.values, pd.Series([1000.0, NAN, 1000.0, NAN, NAN], index=s.index))
    assert p.problem.tolist() == [None, P.BAD_NUMBER, None, None, P.BAD_NUMBER]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("1975-03", "1975-03-01", id="iso-month"),
        pytest.param("1975.03", "1975-03-01", id="dotted"),
        pytest.param("1975.3", "1975-03-01", id="dotted-one-digit"),
        pytest.param("197503", "1975-03-01", id="yyyymm-text"),
        pytest.param(197503.0, "1975-03-01", id="yyyymm-number"),
        pytest.param("1975/3", "1975-03-01", id="slash"),
        pytest.param("1975年3月", "1975-03-01", id="chinese"),
        pytest.param("1975年03月", "1975-03-01", id="chinese-padded"),
        pytest.param("１９７５－０３", "1975-03-01", id="full-width"),
        pytest.param(27454.0, "1975-03-01", id="excel-serial"),
        pytest.param("27454", "1975-03-01", id="excel-serial-text"),
        pytest.param(1975.03, "1975-03-01", id="year-dot-month-number"),
        pytest.param(1975.1, "1975-10-01", id="year-dot-october-number"),
        pytest.param(dt.datetime(1975, 3, 15, 0, 0), "1975-03-15", id="datetime-cell"),
        pytest.param(dt.date(1975, 3, 15), "1975-03-15", id="date-cell"),
        pytest.param("1975-03-15", "1975-03-15", id="full-date-keeps-day"),
        pytest.param("1975-03-15 00:00:00", "1975-03-15", id="full-date-with-time"),
        pytest.param("19750315", "1975-03-15", id="yyyymmdd"),
        pytest.param("", None, id="blank"),
        pytest.param("—", None, id="dash"),
    ],
)
def test_parse_date(raw, expected):
    p = P.parse_date(pd.Series([raw], dtype=object))
    got = p.values.iloc[0]
    assert (None if pd.isna(got) else got.strftime("%Y-%m-%d")) == expected
    assert p.problem.tolist() == [None]
    assert str(p.values.dtype) == "datetime64[ms]"


@pytest.mark.parametrize("raw", ["1975-13", "75年", "1975", "abc", "1975-02-30", 197513.0])
def test_parse_date_rejects_impossible_dates(raw):
    p = P.parse_date(pd.Series([raw], dtype=object))
    assert p.problem.tolist() == [P.BAD_DATE]
    assert pd.isna(p.values.iloc[0])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("一年级", 1, id="yi-nianji"),
        pytest.param("六年级", 6, id="liu-nianji"),
        pytest.param("七年级", 7, id="qi-nianji"),
        pytest.param("初一", 7, id="chu-yi"),
        pytest.param("初三", 9, id="chu-san"),
        pytest.param("九年级", 9, id="jiu-nianji"),
        pytest.param("3", 3, id="digit-text"),
        pytest.param(8.0, 8, id="digit-number"),
        pytest.param("５年级", 5, id="full-width-with-nianji"),
        pytest.param("高一", 10, id="gao-yi"),
    ],
)
def test_parse_grade(raw, expected):
    p = P.parse_grade(pd.Series([raw], dtype=object))
    assert p.values.tolist() == [float(expected)]
    assert p.problem.tolist() == [None]


@pytest.mark.parametrize("raw", ["十三年级", "0", "13", "大班"])
def test_parse_grade_problems(raw):
    assert P.parse_grade(pd.Series([raw])).problem.tolist() == [P.BAD_GRADE]


@pytest.mark.parametrize(
    ("raw", "expected", "problem"),
    [
        pytest.param(2021.0, 2021, None, id="number"),
        pytest.param("2021", 2021, None, id="text"),
        pytest.param("２０２１年", 2021, None, id="full-width-nian"),
        pytest.param("2021年度", 2021, None, id="niandu"),
        pytest.param("2021-2022学年", 2021, None, id="school-year"),
        pytest.param("2018-2021", None, P.BAD_YEAR, id="plain-range"),
        pytest.param("1890", None, P.BAD_YEAR, id="out-of-range"),
        pytest.param("", None, None, id="blank"),
    ],
)
def test_parse_year(raw, expected, problem):
    p = P.parse_year(pd.Series([raw], dtype=object))
    assert _values(p) == [None if expected is None else float(expected)]
    assert p.problem.tolist() == [problem]


@pytest.mark.parametrize(
    ("raw", "expected", "problem"),
    [
        pytest.param("4101020001", "4101020001", None, id="text"),
        pytest.param(4101020001.0, "4101020001", None, id="number"),
        pytest.param(4101020001, "4101020001", None, id="int-from-xls"),
        pytest.param("４１０１０２０００１", "4101020001", None, id="full-width"),
        pytest.param(" 4101020001 ", "4101020001", None, id="spaces"),
        pytest.param("'4101020001", "4101020001", None, id="excel-apostrophe"),
        pytest.param("410102001", None, P.BAD_SCHOOL_ID, id="nine-digits"),
        pytest.param("41010200011", None, P.BAD_SCHOOL_ID, id="eleven-digits"),
        pytest.param("4.10102E+09", None, P.BAD_SCHOOL_ID, id="scientific"),
        pytest.param("41010A0001", None, P.BAD_SCHOOL_ID, id="letter"),
        pytest.param("", None, None, id="blank"),
    ],
)
def test_parse_school_id(raw, expected, problem):
    p = P.parse_school_id(pd.Series([raw], dtype=object))
    assert _values(p) == [expected]
    assert p.problem.tolist() == [problem]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("是", True), ("否", False), ("Y", True), ("n", False), ("√", True), ("×", False),
     ("TRUE", True), (True, True), (False, False), (1.0, True), ("0", False), ("", None), ("—", None)],
)
def test_parse_bool(raw, expected):
    p = P.parse_bool(pd.Series([raw], dtype=object))
    assert _values(p) == [expected]
    assert p.problem.tolist() == [None]
    assert str(p.values.dtype) == "boolean"


@pytest.mark.parametrize(
    ("column", "raw", "expected"),
    [
        pytest.param("gender", "男", "male", id="gender-nan"),
        pytest.param("gender", "女性", "female", id="gender-nvxing"),
        pytest.param("degree", "大学本科", "bachelor", id="degree-bachelor"),
        pytest.param("degree", "大专", "associate", id="degree-dazhuan"),
        pytest.param("degree", "硕士研究生", "postgraduate", id="degree-master"),
        pytest.param("degree", "中师", "senior_secondary", id="degree-zhongshi"),
        pytest.param("degree", "初中及以下", "below_senior_secondary", id="degree-below"),
        pytest.param("teaching_section", "初中", "junior", id="section"),
        pytest.param("backbone_level", "县级骨干教师", "county", id="backbone-county"),
        pytest.param("backbone_level", "区级", "county", id="backbone-district"),
        pytest.param("backbone_level", "无", "none", id="backbone-wu-is-a-value"),
        pytest.param("respondent_group", "其他群众", "resident", id="respondent"),
        pytest.param("is_private", "民办", True, id="private"),
        pytest.param("is_private", "教育部门", False, id="public-by-sponsor"),
        pytest.param("is_on_quota", "编外", False, id="off-quota"),
    ],
)
def test_category_maps(column, raw, expected):
    p = P.parse_category(pd.Series([raw]), category_table(column))
    assert p.values.tolist() == [expected]
    assert p.problem.tolist() == [None]


def test_category_unknown_value_is_a_problem_and_blank_means_default():
    p = P.parse_category(pd.Series(["特级", ""]), category_table("backbone_level"), blank="none")
    assert p.values.tolist() == [None, "none"]
    assert p.problem.tolist() == [P.UNKNOWN_VALUE, None]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("小学", "primary"), ("城关镇中心小学", "primary"), ("初级中学", "junior"), ("九年一贯制学校", "nine_year"),
     ("九年一贯制", "nine_year"), ("十二年一贯制学校", "twelve_year"), ("完全中学", "complete_secondary"),
     ("教学点", "teaching_point"), ("特殊教育学校", "special"), ("培智学校", "special"),
     ("职业高中", "vocational"), ("中等职业学校", "vocational")],
)
def test_school_types(raw, expected):
    assert school_types(pd.Series([raw])).values.tolist() == [expected]


def test_unknown_school_type_is_a_problem():
    assert school_types(pd.Series(["幼儿园"])).problem.tolist() == ["未知办学类型"]


def test_subject_groups():
    subjects = pd.Series(["语文", "初中数学", "体育与健康", "体育", "音乐", "美术", "艺术", "道德与法治", "书法", "天文", None])
    assert subject_groups(subjects).tolist() == [
        "chinese", "math", "pe", "pe", "music", "fine_art", "art", "morality", "other", "other", "other"]


def test_urban_rural_code_from_labels():
    from analysis.dictionary import value_labels

    p = P.parse_urban_rural_code(pd.Series(["111", 121.0, "镇乡结合区", "220村庄", "130"]), value_labels("urban_rural_code"))
    assert p.values.tolist() == ["111", "121", "122", "220", None]
    assert p.problem.tolist() == [None, None, None, None, P.UNKNOWN_VALUE]


def test_missing_tokens_and_blank_cells():
    s = pd.Series(["", "  ", "-", "—", "/", "无", "NULL", "0", 0.0, None], dtype=object)
    assert P.is_missing(s).tolist() == [True] * 7 + [False, False, True]
    assert P.is_blank(s).tolist() == [True, True] + [False] * 7 + [True]
