"""Scorecard, CSV/XLSX export (formula injection neutralised) and the ``indicators`` CLI."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest
from test_indicators_evaluate import YEAR, build_tables

from analysis.__main__ import main
from analysis.indicators import evaluate, load_inputs
from analysis.indicators.export import (
    DETAIL_SHEETS,
    SCORECARD_COLUMNS,
    export,
    neutralise,
    scorecard,
)
from analysis.tables import read_table, write_tables

EVIL_SCHOOL = '=HYPERLINK("http://example.invalid/x","点我")'
EVIL_COUNTY = "=HYPERLINK(1)县"


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "processed"
    write_tables(build_tables(school_name_1=EVIL_SCHOOL, county_1=EVIL_COUNTY), out)
    return out


@pytest.fixture(scope="module")
def ev(processed):
    return evaluate(load_inputs(processed, year=YEAR))


@pytest.mark.parametrize(
    ("text", "expected"),
    [pytest.param("=1+1", "'=1+1", id="equals"), pytest.param("+86", "'+86", id="plus"),
     pytest.param("-2", "'-2", id="minus"), pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
     pytest.param("\t=1", "'\t=1", id="tab"), pytest.param("城东区", "城东区", id="plain"),
     pytest.param(-2.5, -2.5, id="number-untouched")],
)
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def test_scorecard_is_chinese_and_complete(ev):
    card = scorecard(ev, "河西县")
    assert list(card.columns) == list(SCORECARD_COLUMNS)
    assert set(card["评估内容"]) == {"资源配置", "政府保障程度", "教育质量", "社会认可度", "一票否决", "评估结论"}
    assert "每百名学生拥有高于规定学历教师数（校际差异系数）" in set(card["指标名称"])
    g14 = card.loc[card["指标"] == "G14"].iloc[0]
    assert g14["达标情况"] == "数据缺失"
    school_rule = card.loc[card["指标"] == "学校达标"].iloc[0]
    assert school_rule["数值"] == "1/2所" and school_rule["达标情况"] == "未达标"
    assert "河西一小（L3,L5）" in school_rule["说明"]
    assert card.iloc[-1]["指标"] == "综合结论"
    with pytest.raises(ValueError, match="counties evaluated"):
        scorecard(ev, "南山县")


def test_scorecard_of_a_recognised_county_shows_the_published_figures(ev):
    card = ev.scorecard(EVIL_COUNTY).set_index("指标")
    assert card.loc["Q1", "数值"] == "99.2%" and card.loc["Q1", "标准"] == "≥95%"
    assert card.loc["R", "数值"] == "88.9%"
    assert card.loc["G14", "数值"] == "59.6%"
    assert card.loc["G11", "数值"] == "27.39%"
    assert card.loc["V1", "数值"] == "不存在"
    assert card.loc["综合结论", "达标情况"] == "达标"


def _all_cells(path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                yield ws.title, v


def test_xlsx_export_has_every_sheet_and_never_a_formula(ev, tmp_path):
    path = export(ev, tmp_path / "评估.xlsx", EVIL_COUNTY)[0]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["评估结果", *[name for name, _ in DETAIL_SHEETS], "评估标准"]
    texts = [(sheet, v) for sheet, v in _all_cells(path) if isinstance(v, str)]
    assert not [v for _, v in texts if v.startswith(("=", "+", "-", "@"))]
    assert any(v == "'" + EVIL_SCHOOL for _, v in texts)
    assert any(v == "'" + EVIL_COUNTY for _, v in texts)
    assert "【示例数据（合成）】" in wb["评估结果"]["A1"].value
    # numbers stay numbers
    header = [c.value for c in wb["差异系数"][1]]
    first = [c.value for c in wb["差异系数"][2]]
    assert isinstance(first[header.index("差异系数")], float)


def test_csv_export_writes_scorecard_and_details_neutralised(ev, tmp_path):
    files = export(ev, tmp_path / "card.csv", EVIL_COUNTY)
    assert files[0].name == "card.csv" and len(files) == 2 + len(DETAIL_SHEETS)
    for f in files:
        raw = f.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
        with open(f, encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh):
                assert not [c for c in row if c.startswith(("=", "+", "@"))], (f.name, row)
    schools = pd.read_csv(tmp_path / "card_学校达标情况.csv", encoding="utf-8-sig")
    assert "'" + EVIL_SCHOOL in set(schools["学校名称"])


def test_export_rejects_unknown_format(ev, tmp_path):
    with pytest.raises(ValueError, match=r"allowed: \.xlsx, \.csv"):
        export(ev, tmp_path / "x.pdf", EVIL_COUNTY)


# ---------------------------------------------------------------------------- CLI


def test_cli_prints_the_scorecard_and_exports(processed, tmp_path, capsys):
    out = tmp_path / "out.xlsx"
    assert main(["indicators", "--processed", str(processed), "--county", "河西县", "--year", str(YEAR),
                 "--standards", "shanxi", "--export", str(out)]) == 0
    text = capsys.readouterr().out
    assert "河西县2024年义务教育优质均衡发展评估结果（山西省标准）" in text
    assert "每百名学生拥有县级及以上骨干教师数" in text
    assert out.exists()


def test_cli_lists_verdicts_and_writes_out_tables(processed, capsys):
    assert main(["indicators", "--processed", str(processed), "--write"]) == 0
    text = capsys.readouterr().out
    assert "河西县" in text and "wrote out_county_verdict" in text
    assert len(read_table("out_county_verdict", processed)) == 12


@pytest.mark.parametrize(
    ("args", "message"),
    [pytest.param(["--county", "南山县"], "unknown county 南山县 in 2024; counties available:", id="county"),
     pytest.param(["--year", "2019"], "no data for year 2019; years available: 2024", id="year"),
     pytest.param(["--standards", "nope"], "available: national, shanxi", id="standards"),
     pytest.param(["--export", "x.xlsx"], "--export needs --county", id="export-without-county")],
)
def test_cli_errors_are_one_clear_line(processed, capsys, args, message):
    assert main(["indicators", "--processed", str(processed), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
