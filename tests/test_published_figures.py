"""The real published figures (公开数据, table kind 8) transcribed from the source documents."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "data" / "raw" / "published" / "公开数据_published_figures.csv"
SOURCES = ROOT / "data" / "raw" / "published" / "SOURCES.md"
HEADER = ["地区", "指标", "学段", "城乡", "年份", "数值", "单位", "来源"]


@pytest.fixture(scope="module")
def figures() -> pd.DataFrame:
    return pd.read_csv(CSV, encoding="utf-8-sig", dtype={"单位": "str"}, keep_default_na=False)


def value(
    df: pd.DataFrame, region: str, indicator: str, section: str, area: str, year: int
) -> float:
    hit = df[
        (df["地区"] == region)
        & (df["指标"] == indicator)
        & (df["学段"] == section)
        & (df["城乡"] == area)
        & (df["年份"] == year)
    ]
    assert len(hit) == 1, (region, indicator, section, area, year)
    return float(hit["数值"].iloc[0])


def test_file_parses_with_the_exact_header():
    raw = CSV.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == HEADER
    assert all(len(r) == len(HEADER) for r in rows)
    assert len(rows) > 100


def test_rows_are_complete_typed_and_unique(figures):
    assert list(figures.columns) == HEADER
    for col in ("地区", "指标", "学段", "城乡", "来源"):
        assert (figures[col].str.strip() != "").all(), col
    assert (
        pd.api.types.is_integer_dtype(figures["年份"]) and figures["年份"].between(2000, 2035).all()
    )
    assert pd.api.types.is_float_dtype(figures["数值"]) or pd.api.types.is_integer_dtype(
        figures["数值"]
    )
    assert not figures.duplicated(["地区", "指标", "学段", "城乡", "年份"]).any()


def test_main_district_series_2018_2021(figures):
    primary = [value(figures, "长治市", "在校生数", "小学", "主城区", y) for y in range(2018, 2022)]
    junior = [value(figures, "长治市", "在校生数", "初中", "主城区", y) for y in range(2018, 2022)]
    assert primary == [42971, 46014, 52579, 52656]
    assert junior == [21966, 22352, 21601, 23336]


def test_derived_figures_reproduce_from_the_series(figures):
    p = {y: value(figures, "长治市", "在校生数", "小学", "主城区", y) for y in (2018, 2021)}
    j = {y: value(figures, "长治市", "在校生数", "初中", "主城区", y) for y in (2018, 2021)}
    growth_p, growth_j = p[2021] - p[2018], j[2021] - j[2018]
    assert growth_p == value(figures, "长治市", "在校生3年增长人数", "小学", "主城区", 2021) == 9685
    assert growth_j == value(figures, "长治市", "在校生3年增长人数", "初中", "主城区", 2021) == 1370
    assert (
        growth_p + growth_j
        == value(figures, "长治市", "在校生合计增长人数", "义务教育", "主城区", 2021)
        == 11055
    )
    # Annual average = 3-year growth / 3 years elapsed, as printed (rounded to whole pupils).
    assert (
        round(growth_p / 3)
        == value(figures, "长治市", "在校生年均增长人数", "小学", "主城区", 2021)
        == 3228
    )
    assert (
        round(growth_j / 3)
        == value(figures, "长治市", "在校生年均增长人数", "初中", "主城区", 2021)
        == 457
    )


def test_rural_teacher_structure(figures):
    v = {
        i: value(figures, "长治市", i, "全部", "农村", 2021)
        for i in (
            "50岁以上教师人数",
            "51—55岁教师人数",
            "56—60岁教师人数",
            "本科学历以下教师人数",
            "高中以下学历教师人数",
        )
    }
    assert v["51—55岁教师人数"] + v["56—60岁教师人数"] == v["50岁以上教师人数"] == 3710
    assert (v["本科学历以下教师人数"], v["高中以下学历教师人数"]) == (4699, 393)
    shares = [
        value(figures, "长治市", i, "全部", "农村", 2021)
        for i in ("50岁以上教师占比", "51—55岁教师占比", "56—60岁教师占比", "本科学历以下教师占比")
    ]
    assert shares == [27, 18, 9, 34]
    # The printed shares agree with one teacher total (about 13,800 rural teachers).
    total = v["50岁以上教师人数"] / 0.27
    assert abs(v["本科学历以下教师人数"] / total - 0.34) < 0.005


def test_wansheng_figures_agree_with_each_other(figures):
    R = "重庆市万盛经开区"
    q = {
        n: value(figures, R, f"Q1 {n}", "初中", "全部", 2024)
        for n in ("毕业生数", "三年前初一在校生数", "转入学生数", "转出学生数", "死亡学生数")
    }
    retention = (
        q["毕业生数"]
        / (q["三年前初一在校生数"] + q["转入学生数"] - q["转出学生数"] - q["死亡学生数"])
        * 100
    )
    assert (
        round(retention, 1) == value(figures, R, "Q1 初中三年巩固率", "初中", "全部", 2024) == 99.2
    )
    survey = value(figures, R, "社会认可度调查满意问卷", "义务教育", "全部", 2025) / value(
        figures, R, "社会认可度调查有效问卷", "义务教育", "全部", 2025
    )
    assert (
        round(survey * 100, 1)
        == value(figures, R, "社会认可度调查综合满意度", "义务教育", "全部", 2025)
        == 88.9
    )
    quota = value(figures, R, "G14 分配到初中名额", "初中", "全部", 2024) / value(
        figures, R, "G14 优质高中招生名额总数", "初中", "全部", 2024
    )
    assert (
        round(quota * 100, 1)
        == value(figures, R, "G14 优质高中招生名额分配比例", "初中", "全部", 2024)
        == 59.6
    )
    pay = value(figures, R, "G8 教师年平均工资收入", "义务教育", "全部", 2023) - value(
        figures, R, "G8 公务员年平均工资收入", "全部", "全部", 2023
    )
    assert round(pay, 4) == value(
        figures, R, "G8 教师年平均工资高于公务员", "义务教育", "全部", 2023
    )
    assert value(figures, R, "在校学生数", "小学", "全部", 2024) + value(
        figures, R, "在校学生数", "初中", "全部", 2024
    ) == value(figures, R, "在校学生数", "义务教育", "全部", 2024)
    cv = figures[
        (figures["地区"] == R)
        & figures["指标"].str.endswith("校际差异系数")
        & figures["指标"].str.match(r"^L[1-7] ")
    ]
    assert len(cv) == 14 and cv["数值"].between(0, 1).all()
    assert value(figures, R, "L5 生均体育运动场馆面积 校际差异系数", "小学", "全部", 2024) == 0.671
    n3 = value(
        figures, R, "L3 每百名学生拥有体育艺术专任教师数 达标学校数", "义务教育", "全部", 2024
    )
    assert round(n3 / (n3 + 1) * 100, 1) == value(
        figures, R, "L3 每百名学生拥有体育艺术专任教师数 达标比例", "义务教育", "全部", 2024
    )


def test_class_sizes_of_shangdang(figures):
    assert value(figures, "长治市上党区", "平均班额", "小学", "城区", 2024) == 48
    assert value(figures, "长治市上党区", "热点学校班额", "小学", "城区", 2024) == 55


def test_sources_are_named_and_documented(figures):
    text = SOURCES.read_text(encoding="utf-8")
    for source in figures["来源"].unique():
        publisher, title, date = (s.strip() for s in source.split(", "))
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", date), source
        assert title in text and date in text, source
    assert set(figures["地区"]) == {
        "长治市",
        "长治市上党区",
        "重庆市万盛经开区",
        "潜江市",
        "长治市平顺县",
    }


def test_real_figures_are_not_labelled_synthetic():
    text = CSV.read_text(encoding="utf-8-sig") + SOURCES.read_text(encoding="utf-8")
    assert "示例数据" not in text and "合成" not in text
