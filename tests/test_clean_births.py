"""The 出生人口 kind: births / registered births / age-specific population, read from messy sheets."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from analysis.clean import clean
from analysis.dictionary import table_columns, validate

GBK_SHEET = (
    "2015-2024年甲县出生人口统计表\r\n"
    "单位：人\r\n"
    "县（市、区）,年份,城乡,出生人口,户籍出生人口\r\n"
    '甲县,2016,城区,"1,234",1200\r\n'
    "甲县,2016,乡村,８００,—\r\n"
    "甲县,2017,,2100,\r\n"
    "合计,,,4134,\r\n"
    "甲县,2018,城区,约三百,\r\n"
    "甲县,2019,,,\r\n"
    "注：数据来源于县统计局、公安局户籍登记\r\n"
)


def _clean(tmp_path: Path, files: dict[str, bytes]):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, data in files.items():
        (raw / name).write_bytes(data)
    return clean(raw, tmp_path / "out")


def _rows(report) -> list[tuple]:
    b = report.frames["core_births"]
    return sorted(
        b[["county", "year", "area_group", "population_measure", "age", "birth_year", "population"]]
        .astype(object)
        .itertuples(index=False, name=None)
    )


def test_gbk_births_sheet_with_title_total_and_bad_rows(tmp_path):
    report = _clean(tmp_path, {"甲县出生人口.csv": GBK_SHEET.encode("gbk")})
    assert _rows(report) == [
        ("甲县", 2016, "rural", "births", 0, 2016, 800),
        ("甲县", 2016, "urban", "births", 0, 2016, 1234),
        ("甲县", 2016, "urban", "registered_births", 0, 2016, 1200),
        ("甲县", 2017, "all", "births", 0, 2017, 2100),
    ]
    rej = report.rejects.set_index("source_row")
    assert rej.loc[7, "reason"].startswith("合计")
    assert rej.loc[8, ["source_column", "raw_value", "reason"]].tolist() == ["出生人口", "约三百", "无法识别的数值"]
    assert rej.loc[9, "reason"] == "整行无有效数据"
    assert rej.loc[10, "reason"].startswith("注释")
    acc = report.accounting.iloc[0]
    assert (acc["table_kind"], acc["rows_read"], acc["rows_kept"], acc["rows_skipped"], acc["rows_rejected"]) == (
        "births", 7, 3, 2, 2)
    validate(report.frames["core_births"], "core_births")


def test_age_specific_population_needs_its_age(tmp_path):
    text = ("县,年份,年龄,人口数\n甲县,2024,6岁,900\n甲县,2024,５,950\n甲县,2024,,990\n甲县,2023,七,1\n"
            "甲县,2023,3,-12\n甲县,2023,30,500\n")
    report = _clean(tmp_path, {"分年龄人口.csv": text.encode("utf-8-sig")})
    assert _rows(report) == [
        ("甲县", 2024, "all", "age_population", 5, 2019, 950),
        ("甲县", 2024, "all", "age_population", 6, 2018, 900),
    ]
    reasons = report.rejects.set_index("source_row")["reason"].to_dict()
    assert reasons[4] == "分年龄人口缺少年龄"
    assert reasons[5] == "无法识别的数值"  # 七: not a number; the row is not kept with a guessed age
    assert reasons[6] == "数值为负"
    assert report.rejects.set_index("source_row").loc[7, ["source_column", "reason"]].tolist() == ["年龄", "超出取值范围"]


def test_xlsx_births_with_synonyms_and_a_duplicate_key(tmp_path):
    path = tmp_path / "births.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("出生人口")
    rows = [
        ["乙县历年出生人口（户籍）"],
        ["区县", "出生年份", "户籍出生人数(人)", "出生人数"],
        ["乙县", 2018, 3000, 3100],
        ["乙县", 2019, 2900, None],
        ["乙县", 2019, 2950, None],
        ["总计", None, 5900, 3100],
    ]
    for r, cells in enumerate(rows):
        for c, v in enumerate(cells):
            if v is not None:
                ws.write(r, c, v)
    wb.close()
    report = _clean(tmp_path, {"乙县.xlsx": path.read_bytes()})
    assert _rows(report) == [
        ("乙县", 2018, "all", "births", 0, 2018, 3100),
        ("乙县", 2018, "all", "registered_births", 0, 2018, 3000),
        ("乙县", 2019, "all", "registered_births", 0, 2019, 2900),
    ]
    reasons = report.rejects.set_index("source_row")["reason"]
    assert reasons[5].startswith("重复键") and reasons[6].startswith("合计")
    assert report.accounting["rows_read"].sum() == 4


def test_births_beside_other_kinds_is_not_confused(tmp_path):
    figures = "县,年份,教师年平均工资(万元),公务员年平均工资(万元)\n甲县,2024,9.5,9.1\n"
    report = _clean(tmp_path, {
        "县级保障.csv": figures.encode("utf-8-sig"),
        "出生.csv": "县,年份,出生人口\n甲县,2018,2000\n".encode("gbk"),
    })
    kinds = report.accounting.set_index("source_file")["table_kind"].to_dict()
    assert kinds == {"县级保障.csv": "county_figures", "出生.csv": "births"}
    assert len(report.frames["core_births"]) == 1 and len(report.frames["core_county_figures"]) == 1


def test_a_births_sheet_without_a_count_column_is_unusable(tmp_path):
    from analysis.errors import InputError

    with pytest.raises(InputError, match="出生"):
        _clean(tmp_path, {"出生人口.csv": "县,年份,城乡\n甲县,2018,城区\n".encode("gbk")})


def test_no_births_table_gives_an_empty_valid_core_births(tmp_path):
    report = _clean(tmp_path, {"县级保障.csv": "县,年份,教师年平均工资(万元)\n甲县,2024,9.5\n".encode("utf-8-sig")})
    b = report.frames["core_births"]
    assert b.empty and list(b.columns) == table_columns("core_births")
    validate(b, "core_births")


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(["县,年份,城区出生人口,镇区出生人口,乡村出生人口"], id="prefixed"),
        pytest.param(["县,年份,出生人口（城区）,出生人口（镇区）,出生人口（乡村）"], id="brackets"),
        pytest.param(["县,年份,出生人口,,", ",,城区,镇区,乡村"], id="two-row"),
    ],
)
def test_births_split_by_area_in_columns(tmp_path, header):
    text = "甲县出生人口分城乡统计\r\n" + "\r\n".join(header) + "\r\n甲县,2018,1200,800,500\r\n甲县,2019,1100,—,480\r\n"
    report = _clean(tmp_path, {"出生.csv": text.encode("gbk")})
    assert _rows(report) == [
        ("甲县", 2018, "rural", "births", 0, 2018, 500),
        ("甲县", 2018, "town", "births", 0, 2018, 800),
        ("甲县", 2018, "urban", "births", 0, 2018, 1200),
        ("甲县", 2019, "rural", "births", 0, 2019, 480),
        ("甲县", 2019, "urban", "births", 0, 2019, 1100),
    ]
    assert not [w for w in report.warnings if "; ignored" in w]


def test_two_row_area_columns_with_a_total_column(tmp_path):
    rows = ["县,年份,出生人口,,,户籍出生人口", ",,合计,城区,乡村,", "甲县,2018,1700,1200,500,1650"]
    report = _clean(tmp_path, {"出生.csv": "\r\n".join(rows).encode("utf-8-sig")})
    assert _rows(report) == [
        ("甲县", 2018, "all", "births", 0, 2018, 1700),
        ("甲县", 2018, "all", "registered_births", 0, 2018, 1650),
        ("甲县", 2018, "rural", "births", 0, 2018, 500),
        ("甲县", 2018, "urban", "births", 0, 2018, 1200),
    ]
    assert not [w for w in report.warnings if "; ignored" in w]
