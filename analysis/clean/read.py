"""Reading raw files (xlsx, xls, csv) into grids of cells, untouched.

A grid is a DataFrame of ``object`` cells with integer column positions; row ``i`` of the
grid is spreadsheet row ``i + 1`` (grids always start at cell A1, so row numbers are those
Excel shows, title rows included). Workbooks are read with python-calamine (xlsx, xlsm, xlsb,
xls, ods); merged ranges are filled with their top-left value (calamine only returns it in
the first cell), so a 县 merged down a block of schools, or a group header merged across
columns, reads as if every cell held it. CSV files are decoded as UTF-8 (with or without
BOM), UTF-16 (with BOM) or GB18030 (a superset of GBK), in that order.

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     p = pathlib.Path(d) / "学校.csv"
...     _ = p.write_bytes("标题\\n学校标识码,学校名称\\n4101020001,一小\\n".encode("gbk"))
...     [(s.sheet, s.cells.shape) for s in read_file(p, "学校.csv")]
[(None, (3, 2))]
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.clean.parse import _key_of
from analysis.errors import InputError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
CSV_SUFFIXES = (".csv",)
#: Encodings tried for CSV files, in order (GB18030 is a superset of GBK and GB2312).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class RawSheet:
    """One sheet (or CSV file) as read: ``cells`` row ``i`` is spreadsheet row ``i + 1``."""

    file: str
    sheet: str | None
    cells: pd.DataFrame
    #: a hidden (or very hidden) worksheet: often dropdown lists, read only if it holds a table
    hidden: bool = False
    #: "worksheet", or "chart sheet" / "dialog sheet" / "macro sheet" (never tables)
    sheet_type: str = "worksheet"

    @property
    def where(self) -> str:
        """``file [sheet]`` for messages."""
        return f"{self.file} [{self.sheet}]" if self.sheet else self.file

    @property
    def has_data(self) -> bool:
        """True for a worksheet with at least one non-blank cell (stops at the first one).

        >>> RawSheet("a.csv", None, _grid([["", " \ufeff"], [None, "县"]])).has_data
        True
        >>> RawSheet("a.csv", None, _grid([["\ufeff", ""], []])).has_data
        False
        """
        if self.sheet_type != "worksheet":
            return False
        return any(v is not None and _key_of(v) for v in self.cells.to_numpy(dtype=object).ravel())


def is_input_file(path: Path) -> bool:
    """True for a workbook or CSV file that is not hidden or an Excel lock file (``~$``).

    >>> is_input_file(Path("a/学校.xlsx")), is_input_file(Path("a/~$学校.xlsx")), is_input_file(Path("README.md"))
    (True, False, False)
    """
    name = path.name
    if name.startswith((".", "~$")):
        return False
    return path.suffix.lower() in WORKBOOK_SUFFIXES + CSV_SUFFIXES


def list_inputs(raw_dir: str | os.PathLike, exclude: Iterable[Path] = ()) -> tuple[list[Path], list[Path]]:
    """Files under ``raw_dir`` to read and files skipped, both sorted by relative path.

    Hidden folders (``.cache``, ``.git``) are not entered; anything under ``exclude`` (e.g. the
    output folder when it sits inside the raw folder) is left out entirely.
    """
    root = Path(raw_dir)
    excluded = [Path(e).resolve() for e in exclude]
    files: list[Path] = []
    skipped: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (here / d).resolve() not in excluded
        )
        for name in filenames:
            path = here / name
            (files if is_input_file(path) else skipped).append(path)
    key = lambda p: p.relative_to(root).as_posix()  # noqa: E731
    return sorted(files, key=key), sorted(skipped, key=key)


def read_file(path: str | os.PathLike, rel: str) -> list[RawSheet]:
    """Every sheet of a workbook, or the one grid of a CSV file.

    Raises :class:`InputError` naming ``rel`` for an unreadable workbook or undecodable CSV.
    """
    path = Path(path)
    if path.suffix.lower() in CSV_SUFFIXES:
        return [read_csv(path, rel)]
    return read_workbook(path, rel)


def _grid(rows: list[list], merged: Iterable = ()) -> pd.DataFrame:
    """A rectangular object grid from rows of cells, merged ranges filled."""
    width = max((len(r) for r in rows), default=0)
    if rows and any(len(r) != width for r in rows):
        rows = [list(r) + [""] * (width - len(r)) for r in rows]
    arr = np.empty((len(rows), width), dtype=object)
    if rows and width:
        arr[:, :] = rows
    for (r0, c0), (r1, c1) in merged:
        if r0 >= arr.shape[0] or c0 >= arr.shape[1]:
            continue
        arr[r0 : r1 + 1, c0 : c1 + 1] = arr[r0, c0]
    return pd.DataFrame(arr, dtype=object)


def read_workbook(path: Path, rel: str) -> list[RawSheet]:
    """All sheets of a workbook (xlsx, xlsm, xlsb, xls, ods) via python-calamine."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken files
        raise InputError(rel, f"unreadable workbook ({_one_line(exc)})") from None
    sheets = []
    try:
        for meta in wb.sheets_metadata:
            name = meta.name
            typ = str(meta.typ).rsplit(".", 1)[-1]
            if typ != "WorkSheet":
                label = {"ChartSheet": "chart sheet", "DialogSheet": "dialog sheet"}.get(typ, typ.lower())
                sheets.append(RawSheet(rel, name, _grid([]), sheet_type=label))
                continue
            try:
                sh = wb.get_sheet_by_name(name)
                rows = sh.to_python(skip_empty_area=False)
                merged = sh.merged_cell_ranges or []
            except Exception as exc:
                raise InputError(rel, f"unreadable sheet ({_one_line(exc)})", sheet=name) from None
            hidden = str(meta.visible).rsplit(".", 1)[-1] != "Visible"
            sheets.append(RawSheet(rel, name, _grid(rows, merged), hidden=hidden))
    finally:
        wb.close()
    return sheets


def decode_text(data: bytes, rel: str) -> str:
    """Decode CSV bytes: UTF-8 (BOM optional), UTF-16 with BOM, else GB18030.

    >>> decode_text("县".encode("gbk"), "a.csv"), decode_text("\\ufeff县".encode("utf-8"), "a.csv")
    ('县', '县')
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(rel, f"cannot decode bytes as UTF-16 ({exc.reason} at byte {exc.start})") from None
    errors = []
    for enc in CSV_ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError as exc:
            errors.append(f"{enc}: {exc.reason} at byte {exc.start}")
    raise InputError(rel, "cannot decode bytes as UTF-8 or GB18030/GBK (" + "; ".join(errors) + ")")


def _delimiter(text: str) -> str:
    """The field delimiter of a CSV text: comma unless tabs or semicolons clearly dominate."""
    head = text[:20000]
    counts = {d: head.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def read_csv(path: Path, rel: str) -> RawSheet:
    """One CSV file as a grid of strings (empty cells are ``""``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(rel, f"cannot read file ({exc.strerror})") from None
    text = decode_text(data, rel)
    if "\x00" in text:
        raise InputError(rel, "cannot decode: the file holds NUL bytes (binary, or an unknown encoding)")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as exc:
        raise InputError(rel, f"malformed CSV ({exc})") from None
    return RawSheet(rel, None, _grid(rows))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
