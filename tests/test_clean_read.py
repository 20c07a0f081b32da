"""Reading raw files: CSV encodings, workbooks (xlsx, xls), merged cells, skipped files."""

from __future__ import annotations

import datetime as dt

import pytest
import xlsxwriter

from analysis.clean.read import list_inputs, read_file
from analysis.errors import InputError

ROWS = ["学校标识码,学校名称,县", "4101020001,城东区第一小学（北校区）,城东区", "4101020002,䶮山小学,城东区"]


@pytest.mark.parametrize(
    "encoding",
    [pytest.param("utf-8-sig", id="utf8-bom"), pytest.param("utf-8", id="utf8"),
     pytest.param("gb18030", id="gb18030"), pytest.param("utf-16", id="utf16-bom")],
)
def test_csv_encodings(tmp_path, encoding):
    text = "\r\n".join(ROWS)
    if encoding == "utf-16":
        text = text.replace(",", "\t")  # Excel's "Unicode text" export
    path = tmp_path / "学校.csv"
    path.write_bytes(text.encode(encoding))
    (sheet,) = read_file(path, "学校.csv")
    assert sheet.sheet is None
    assert sheet.cells.values.tolist() == [r.split(",") for r in ROWS]


def test_csv_in_gbk(tmp_path):
    rows = ROWS[:2]
    path = tmp_path / "gbk.csv"
    path.write_bytes("\n".join(rows).encode("gbk"))
    assert read_file(path, "gbk.csv")[0].cells.values.tolist() == [r.split(",") for r in rows]


def test_ragged_csv_rows_are_padded(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("2021年学校表\n\n学校标识码,学校名称\n4101020001,一小,多余\n", encoding="utf-8")
    cells = read_file(path, "a.csv")[0].cells
    assert cells.shape == (4, 3)
    assert cells.iloc[0].tolist() == ["2021年学校表", "", ""]
    assert cells.iloc[1].tolist() == ["", "", ""]


def test_undecodable_csv_is_an_input_error_naming_the_file(tmp_path):
    path = tmp_path / "坏文件.csv"
    path.write_bytes(b"\xd1\xa7\xd0\xa3,\xff\xfe\xfd\n\x81\x30\xff\xff\n")
    with pytest.raises(InputError, match=r"^坏文件\.csv: cannot decode bytes as UTF-8 or GB18030") as err:
        read_file(path, "坏文件.csv")
    assert err.value.file == "坏文件.csv"


def test_unreadable_workbook_is_an_input_error(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(InputError, match=r"^broken\.xlsx: unreadable workbook"):
        read_file(path, "broken.xlsx")


def test_xlsx_merged_cells_are_filled_and_rows_keep_their_numbers(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("2021年")
    ws.merge_range(1, 0, 1, 3, "2021年城东区学校基本情况表")
    ws.merge_range(2, 0, 3, 0, "学校标识码")
    ws.merge_range(2, 1, 2, 3, "在校生数")
    ws.write_row(3, 1, ["小学", "初中", "高中"])
    ws.merge_range(4, 0, 5, 0, "城东区")  # a county merged down two schools
    ws.write_row(4, 1, [100, 0, 0])
    ws.write_datetime(5, 1, dt.datetime(1975, 3, 1), wb.add_format({"num_format": "yyyy-mm"}))
    wb.add_worksheet("空表")
    wb.close()
    first, empty = read_file(path, "t.xlsx")
    assert (first.sheet, empty.sheet) == ("2021年", "空表")
    cells = first.cells
    assert cells.iloc[0].tolist() == ["", "", "", ""]  # row 1 stays row 1
    assert cells.iloc[1].tolist() == ["2021年城东区学校基本情况表"] * 4
    assert cells.iloc[2].tolist() == ["学校标识码", "在校生数", "在校生数", "在校生数"]
    assert cells.iloc[3].tolist() == ["学校标识码", "小学", "初中", "高中"]
    assert cells.iloc[5, 0] == "城东区"
    assert cells.iloc[5, 1] == dt.date(1975, 3, 1)
    assert empty.cells.size == 0


def test_legacy_xls(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("2022年")
    ws.write_merge(0, 0, 0, 2, "2022年城西区学校基本情况表")
    ws.write_merge(1, 2, 0, 0, "学校标识码")
    ws.write_merge(1, 1, 1, 2, "在校生数")
    ws.write(2, 1, "小学")
    ws.write(2, 2, "初中")
    ws.write(3, 0, "4101020001")
    ws.write(3, 1, 100)
    ws.write(3, 2, 0)
    path = tmp_path / "old.xls"
    wb.save(str(path))
    (sheet,) = read_file(path, "old.xls")
    assert sheet.cells.values.tolist() == [
        ["2022年城西区学校基本情况表"] * 3,
        ["学校标识码", "在校生数", "在校生数"],
        ["学校标识码", "小学", "初中"],
        ["4101020001", 100, 0],
    ]


def test_list_inputs_skips_non_tables_and_the_output_folder(tmp_path):
    raw = tmp_path / "raw"
    for name in ["a/学校.xlsx", "a/~$学校.xlsx", "a/.hidden.csv", "README.md", "b/名册.CSV", "b/notes.txt",
                 ".cache/x.csv", "out/core.csv", "c/old.xls"]:
        p = raw / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    files, skipped = list_inputs(raw, exclude=[raw / "out"])
    rel = lambda ps: [p.relative_to(raw).as_posix() for p in ps]  # noqa: E731
    assert rel(files) == ["a/学校.xlsx", "b/名册.CSV", "c/old.xls"]
    assert rel(skipped) == ["README.md", "a/.hidden.csv", "a/~$学校.xlsx", "b/notes.txt"]
