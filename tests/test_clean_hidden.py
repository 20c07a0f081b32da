"""Hidden columns and rows: a visible column or row wins over a hidden one giving the same
field or key, and the warning names both.

Every workbook here is built in code (synthetic data): .xlsx with xlsxwriter, .xls with xlwt.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter
import xlwt

from analysis.clean import clean
from analysis.clean.read import read_file

HEADER = ["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者", "小学在校生数(上年)", "小学在校生数"]
HIDDEN_WARNING = ("{where}: hidden column '小学在校生数(上年)' (column H) and visible column '小学在校生数' (column I) "
                  "both give field students_primary; the visible one is read, the hidden one ignored")


def school(i: int, stale: int, current: int, name: str | None = None) -> list:
    return [2023, f"41010200{i:02d}", name or f"第{i}小学", "城东区", "111", "小学", "公办", stale, current]


def write(path: Path, rows: list[list], *, hidden_columns=(), hidden_rows=()) -> Path:
    """Rows from A1, with the given 0-based columns and rows hidden (xlsx or xls by suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".xlsx":
        wb = xlsxwriter.Workbook(path)
        ws = wb.add_worksheet("学校")
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
        for c in hidden_columns:
            ws.set_column(c, c, None, None, {"hidden": True})
        for r in hidden_rows:
            ws.set_row(r, None, None, {"hidden": True})
        wb.close()
    else:
        wb = xlwt.Workbook(encoding="utf-8")
        ws = wb.add_sheet("学校")
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                ws.write(r, c, v)
        for c in hidden_columns:
            ws.col(c).hidden = True
        for r in hidden_rows:
            ws.row(r).hidden = True
        wb.save(str(path))
    return path


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_reader_gives_hidden_rows_and_columns(tmp_path, suffix):
    path = write(tmp_path / f"a{suffix}", [HEADER, school(1, 111, 555), school(2, 1, 2)],
                 hidden_columns=[7], hidden_rows=[2])
    (sheet,) = read_file(path, path.name)
    assert sheet.hidden_columns == {7}
    assert sheet.hidden_rows == {2}
    assert sheet.cells.iat[1, 7] == 111  # hidden cells are read all the same


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_visible_column_wins_over_a_hidden_stale_one(tmp_path, suffix):
    raw = tmp_path / "raw"
    write(raw / f"学校{suffix}", [HEADER, school(1, 111, 555)], hidden_columns=[7])
    report = clean(raw, tmp_path / "out", write=False)
    assert report.frames["core_schools"]["students_primary"].tolist() == [555]
    assert HIDDEN_WARNING.format(where=f"学校{suffix} [学校]") in report.warnings
    assert not any("repeats field students_primary" in w for w in report.warnings)


def test_hidden_column_after_the_visible_one_is_named_too(tmp_path):
    raw = tmp_path / "raw"
    header = HEADER[:7] + ["小学在校生数", "小学在校生数(上年)"]
    write(raw / "学校.xlsx", [header, school(1, 555, 111)], hidden_columns=[8])
    report = clean(raw, tmp_path / "out", write=False)
    assert report.frames["core_schools"]["students_primary"].tolist() == [555]
    assert ("学校.xlsx [学校]: hidden column '小学在校生数(上年)' (column I) and visible column '小学在校生数' "
            "(column H) both give field students_primary; the visible one is read, the hidden one ignored"
            in report.warnings)


def test_without_hidden_columns_the_first_column_is_read_as_before(tmp_path):
    raw = tmp_path / "raw"
    write(raw / "学校.xlsx", [HEADER, school(1, 111, 555)])
    report = clean(raw, tmp_path / "out", write=False)
    assert report.frames["core_schools"]["students_primary"].tolist() == [111]
    assert ("学校.xlsx [学校]: column '小学在校生数' repeats field students_primary of an earlier column; ignored"
            in report.warnings)


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_visible_row_wins_over_a_hidden_duplicate(tmp_path, suffix):
    raw = tmp_path / "raw"
    rows = [HEADER[:7] + ["小学在校生数"]]
    rows.append(school(1, 0, 111, "旧一小")[:7] + [111])  # row 2, hidden: last year's figures
    rows.append(school(1, 0, 555, "一小")[:7] + [555])  # row 3, visible
    rows.append(school(2, 0, 20)[:7] + [20])  # row 4, hidden, no visible twin: read
    rows.append(school(3, 0, 30)[:7] + [30])  # row 5, visible
    rows.append(school(3, 0, 31, "旧三小")[:7] + [31])  # row 6, hidden after its visible twin
    write(raw / f"学校{suffix}", rows, hidden_rows=[1, 3, 5])
    report = clean(raw, tmp_path / "out", write=False)
    schools = report.frames["core_schools"].set_index("school_id")
    assert schools["students_primary"].to_dict() == {"4101020001": 555, "4101020002": 20, "4101020003": 30}
    assert schools["school_name"].to_dict() == {"4101020001": "一小", "4101020002": "第2小学", "4101020003": "第3小学"}
    where = f"学校{suffix} [学校]"
    rej = report.rejects.sort_values("source_row")
    assert rej[["source_row", "raw_value", "reason"]].values.tolist() == [
        [2, "year / school_id = 2023 / 4101020001", f"重复键：隐藏行，与可见行 {where} 第3行 重复（保留可见行）"],
        [6, "year / school_id = 2023 / 4101020003", f"重复键：隐藏行，与可见行 {where} 第5行 重复（保留可见行）"],
    ]
    assert (f"{where}: 2 hidden rows repeat the key of a visible row (e.g. row 2, year / school_id = 2023 / "
            f"4101020001, as {where} 第3行); the visible rows are read, the hidden ones rejected (see qa_rejects)"
            in report.warnings)
    acc = report.accounting
    assert acc[["rows_read", "rows_kept", "rows_rejected"]].values.tolist() == [[5, 3, 2]]


def test_two_visible_duplicates_keep_the_first_as_before(tmp_path):
    raw = tmp_path / "raw"
    rows = [HEADER[:7] + ["小学在校生数"], school(1, 0, 0)[:7] + [111], school(1, 0, 0)[:7] + [555]]
    write(raw / "学校.xlsx", rows)
    report = clean(raw, tmp_path / "out", write=False)
    assert report.frames["core_schools"]["students_primary"].tolist() == [111]
    assert report.rejects["reason"].tolist() == ["重复键：与 学校.xlsx [学校] 第2行 重复（保留首次出现的记录）"]
    assert not any("hidden" in w for w in report.warnings)
