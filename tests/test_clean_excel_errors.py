"""Excel error cells (#DIV/0!, #REF! …) are rejected with the raw error, never read as empty.

Every workbook here is built in code (synthetic data): .xlsx with xlsxwriter (a formula with
a cached error result) and openpyxl (an error value), .xls with xlwt (error constants, and
formulas whose cached result is an error), and a SpreadsheetML 2003 XML file.
"""

from __future__ import annotations

import struct
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
import xlwt
import xlwt.BIFFRecords

from analysis.clean import clean
from analysis.clean.parse import ExcelError, parse_date, parse_number, parse_text
from analysis.clean.read import read_file, workbook_extras

CODES = ["#DIV/0!", "#REF!", "#N/A", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"]
#: BIFF8 codes of the seven errors
BIFF = {"#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17, "#NAME?": 0x1D, "#NUM!": 0x24, "#N/A": 0x2A}
HEADER = ["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者", "小学在校生数"]
TITLE = "2023年城东区学校基本情况（示例数据（合成））"


def school(i: int, students=300) -> list:
    return [2023, f"41010200{i:02d}", f"第{i}小学", "城东区", "111", "小学", "公办", students]


def reason(code: str) -> str:
    return f"Excel公式错误（{code}）"


def check_rejects(report, file: str, sheet: str, first_row: int) -> None:
    """One school per code, in rows first_row …, its students an error: each rejected with
    the code as the value, the file, sheet, row and column named; the good school kept."""
    rej = report.rejects
    got = rej.loc[rej["reason"].str.startswith("Excel公式错误")].sort_values("source_row")
    assert got["raw_value"].tolist() == CODES
    assert got["reason"].tolist() == [reason(c) for c in CODES]
    assert got["source_row"].tolist() == list(range(first_row, first_row + len(CODES)))
    assert set(got["source_file"]) == {file}
    assert set(got["source_sheet"]) == {sheet}
    assert set(got["source_column"]) == {"小学在校生数"}
    schools = report.frames["core_schools"]
    assert schools["school_id"].tolist() == ["4101020099"]
    acc = report.accounting
    assert acc["rows_read"].tolist() == [len(CODES) + 1]
    assert acc["rows_rejected"].tolist() == [len(CODES)]


def test_parsers_reject_error_cells_whatever_the_field():
    values = [ExcelError("#DIV/0!"), 5.0, "#N/A", None]
    p = parse_number(pd.Series(values, dtype=object))
    assert p.problem.tolist() == [reason("#DIV/0!"), None, None, None]  # text "#N/A" is a missing token
    assert p.values.isna().tolist() == [True, False, True, True]
    t = parse_text(pd.Series([ExcelError("#REF!"), "一小"], dtype=object))
    assert t.values.tolist() == [None, "一小"] and t.problem.tolist() == [reason("#REF!"), None]
    d = parse_date(pd.Series([ExcelError("#VALUE!"), "1975-03"], dtype=object))
    assert d.problem.tolist() == [reason("#VALUE!"), None] and d.values.isna().tolist() == [True, False]


def test_xlsx_cached_formula_errors_are_rejected_with_the_raw_error(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    wb = xlsxwriter.Workbook(raw / "学校.xlsx")
    ws = wb.add_worksheet("基本情况")
    ws.write_row(0, 0, [TITLE])
    ws.write_row(1, 0, HEADER)
    for i, code in enumerate(CODES):
        ws.write_row(2 + i, 0, school(i + 1, None))
        ws.write_formula(2 + i, 7, "=1/0", None, code)
    ws.write_row(2 + len(CODES), 0, school(99))
    wb.close()
    report = clean(raw, tmp_path / "out", write=False)
    check_rejects(report, "学校.xlsx", "基本情况", first_row=3)


def test_xlsx_error_values_of_openpyxl_and_in_a_text_column(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "学校"
    ws.append(HEADER)
    for i, code in enumerate(CODES):
        ws.append(school(i + 1, code))  # openpyxl writes these strings as error cells
    ws.append(school(99))
    ws.append([*school(98)[:2], "#REF!", *school(98)[3:]])  # an error in the name column
    wb.save(raw / "学校.xlsx")
    sheet = read_file(raw / "学校.xlsx", "学校.xlsx")[0]
    assert sheet.cells.iat[1, 7] == ExcelError("#DIV/0!")
    assert sheet.cells.iat[9, 2] == ExcelError("#REF!")
    report = clean(raw, tmp_path / "out", write=False)
    name = report.rejects.loc[report.rejects["source_column"] == "学校名称"]
    assert name[["source_row", "raw_value", "reason"]].values.tolist() == [[10, "#REF!", reason("#REF!")]]
    rest = report.rejects.loc[report.rejects["source_column"] == "小学在校生数"].sort_values("source_row")
    assert rest["raw_value"].tolist() == CODES
    assert report.frames["core_schools"]["school_id"].tolist() == ["4101020099"]


def test_an_error_cell_merged_over_rows_and_the_text_na_of_a_csv(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    wb = xlsxwriter.Workbook(raw / "学校.xlsx")
    ws = wb.add_worksheet("学校")
    ws.write_row(0, 0, HEADER)
    ws.write_row(1, 0, school(1))
    ws.write_row(2, 0, school(2))
    ws.merge_range(1, 3, 2, 3, None)
    ws.write_formula(1, 3, "=#REF!", None, "#REF!")  # the 县 of both schools
    wb.close()
    # a CSV's text "#N/A" is what it always was: a missing value (no formula behind it)
    (raw / "学校2.csv").write_text(",".join(HEADER) + "\n" + ",".join(map(str, school(3, "#N/A"))) + "\n",
                                   encoding="utf-8-sig")
    report = clean(raw, tmp_path / "out", write=False)
    rej = report.rejects.sort_values("source_row")
    assert rej[["source_file", "source_row", "source_column", "raw_value"]].values.tolist() == [
        ["学校.xlsx", 2, "县", "#REF!"], ["学校.xlsx", 3, "县", "#REF!"]]
    schools = report.frames["core_schools"]
    assert schools["school_id"].tolist() == ["4101020003"]
    assert schools["students_primary"].isna().all()


def _xls(path: Path, *, formulas: bool) -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("基本情况")
    ws.write(0, 0, TITLE)
    for c, h in enumerate(HEADER):
        ws.write(1, c, h)
    for i, code in enumerate(CODES):
        for c, v in enumerate(school(i + 1, None)[:7]):
            ws.write(2 + i, c, v)
        if formulas:
            ws.write(2 + i, 7, xlwt.Formula(f"1/{i}"))
        else:
            ws.row(2 + i).set_cell_error(7, BIFF[code])
    for c, v in enumerate(school(99)):
        ws.write(2 + len(CODES), c, v)
    wb.save(str(path))


def test_xls_error_constants_are_rejected_with_the_raw_error(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _xls(raw / "学校.xls", formulas=False)
    report = clean(raw, tmp_path / "out", write=False)
    check_rejects(report, "学校.xls", "基本情况", first_row=3)


def test_xls_formulas_with_a_cached_error_are_rejected(tmp_path, monkeypatch):
    # xlwt writes no cached result; give each formula the cached error result Excel would
    codes = iter(CODES)

    def formula(self, row, col, xf_index, rpn, calc_flags=0):
        result = 0xFFFF000000000002 | (BIFF[next(codes)] << 16)  # type 2 (error), code in byte 2
        self._rec_data = struct.pack("<3HQHL", row, col, xf_index, result, calc_flags & 3, 0) + rpn

    monkeypatch.setattr(xlwt.BIFFRecords.FormulaRecord, "__init__", formula)
    raw = tmp_path / "raw"
    raw.mkdir()
    _xls(raw / "学校.xls", formulas=True)
    report = clean(raw, tmp_path / "out", write=False)
    check_rejects(report, "学校.xls", "基本情况", first_row=3)


def test_spreadsheetml_error_cells_are_rejected(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()

    def cell(v):
        if isinstance(v, str) and v.startswith("#"):
            return f'<Cell ss:Formula="=1/0"><Data ss:Type="Error">{v}</Data></Cell>'
        typ = "Number" if isinstance(v, int) else "String"
        return f'<Cell><Data ss:Type="{typ}">{v}</Data></Cell>'

    rows = [HEADER] + [school(i + 1, code) for i, code in enumerate(CODES)] + [school(99)]
    body = "".join("<Row>" + "".join(cell(v) for v in r) + "</Row>" for r in rows)
    (raw / "学校.xml").write_text(
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="基本情况"><Table>'
        f"{body}</Table></Worksheet></Workbook>", encoding="utf-8")
    report = clean(raw, tmp_path / "out", write=False)
    check_rejects(report, "学校.xml", "基本情况", first_row=2)


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_a_workbook_without_errors_or_hidden_cells_has_no_extras(tmp_path, suffix):
    path = tmp_path / f"a{suffix}"
    if suffix == ".xlsx":
        wb = xlsxwriter.Workbook(path)
        wb.add_worksheet("学校").write_row(0, 0, HEADER)
        wb.close()
    else:
        wb = xlwt.Workbook(encoding="utf-8")
        ws = wb.add_sheet("学校")
        for c, h in enumerate(HEADER):
            ws.write(0, c, h)
        wb.save(str(path))
    assert workbook_extras(path) == {}
    (sheet,) = read_file(path, path.name)
    assert sheet.cells.values.tolist() == [HEADER]
