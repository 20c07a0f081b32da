"""Reading raw files (xlsx, xls, csv) into grids of cells, untouched.

A grid is a DataFrame of ``object`` cells with integer column positions; row ``i`` of the
grid is spreadsheet row ``i + 1`` (grids always start at cell A1, so row numbers are those
Excel shows, title rows included). Workbooks are read with python-calamine (xlsx, xlsm, xlsb,
xls, ods); merged ranges are filled with their top-left value (calamine only returns it in
the first cell), so a 县 merged down a block of schools, or a group header merged across
columns, reads as if every cell held it. Error cells (a formula's cached ``#DIV/0!``, which
calamine returns as an empty string) and hidden rows and columns are read from xlsx/xlsm and
xls files themselves (:func:`workbook_extras`). CSV files are decoded as UTF-8 (with or
without BOM), UTF-16 (with BOM) or GB18030 (a superset of GBK), in that order.

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
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.clean.parse import ExcelError, key_of
from analysis.errors import InputError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
CSV_SUFFIXES = (".csv",)
#: Read only when their bytes are a SpreadsheetML workbook or an HTML table (else skipped).
MARKUP_SUFFIXES = (".xml", ".htm", ".html")
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
    #: grid columns (0-based) hidden in the workbook (xlsx, xlsm, xls)
    hidden_columns: frozenset[int] = frozenset()
    #: grid rows (0-based) hidden in the workbook (xlsx, xlsm, xls)
    hidden_rows: frozenset[int] = frozenset()

    @property
    def where(self) -> str:
        """``file [sheet]`` for messages."""
        return f"{self.file} [{self.sheet}]" if self.sheet else self.file

    @property
    def has_data(self) -> bool:
        """True for a worksheet with at least one non-blank cell (stops at the first one).

        >>> RawSheet("a.csv", None, grid([["", " \ufeff"], [None, "县"]])).has_data
        True
        >>> RawSheet("a.csv", None, grid([["\ufeff", ""], []])).has_data
        False
        """
        if self.sheet_type != "worksheet":
            return False
        return any(v is not None and key_of(v) for v in self.cells.to_numpy(dtype=object).ravel())


def is_input_file(path: Path) -> bool:
    """True for a workbook or CSV file that is not hidden or an Excel lock file (``~$``); an
    ``.xml`` or ``.htm(l)`` file only when it is a SpreadsheetML workbook or an HTML table.

    >>> is_input_file(Path("a/学校.xlsx")), is_input_file(Path("a/~$学校.xlsx")), is_input_file(Path("README.md"))
    (True, False, False)
    """
    name = path.name
    if name.startswith((".", "~$")):
        return False
    suffix = path.suffix.lower()
    if suffix in MARKUP_SUFFIXES:
        try:
            with open(path, "rb") as fh:
                return sniff(fh.read(_SNIFF_BYTES)) in ("spreadsheetml", "html")
        except OSError:
            return False
    return suffix in WORKBOOK_SUFFIXES + CSV_SUFFIXES


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


#: What a file's bytes say it is (see :func:`sniff`), for messages.
FORMAT_NAMES = {
    "zip": "an Excel workbook (xlsx/ods)", "ole": "an Excel 97-2003 workbook (xls)",
    "spreadsheetml": "a SpreadsheetML 2003 XML workbook", "html": "an HTML table (web-system export)",
    "text": "a text (CSV) file",
}
#: The formats each file name suffix promises.
_SUFFIX_FORMATS = {".xlsx": {"zip"}, ".xlsm": {"zip"}, ".xlsb": {"zip"}, ".ods": {"zip"}, ".xls": {"ole"},
                   ".csv": {"text"}, ".xml": {"spreadsheetml"}, ".htm": {"html"}, ".html": {"html"}}
_SNIFF_BYTES = 1 << 16
_SPREADSHEETML_NS = "urn:schemas-microsoft-com:office:spreadsheet"


def sniff(head: bytes) -> str:
    r"""What the first bytes of a file say it is: ``zip`` (xlsx, xlsm, xlsb, ods), ``ole``
    (xls), ``spreadsheetml`` (Excel 2003 XML), ``html`` (a web page holding a table) or
    ``text`` (anything else: read as CSV).

    >>> sniff(b"PK\x03\x04..."), sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), sniff("学校,县".encode("gbk"))
    ('zip', 'ole', 'text')
    >>> sniff(b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">')
    'spreadsheetml'
    >>> sniff(b"\xef\xbb\xbf <html><body><table><tr><td>1</td></tr></table>"), sniff(b"<TABLE border=1>")
    ('html', 'html')
    """
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("latin-1")  # markup is ASCII; only the tags matter here
    text = text.lstrip("\ufeff\xef\xbb\xbf \t\r\n").lower()
    if not text.startswith("<"):
        return "text"
    if _SPREADSHEETML_NS in text or "<ss:workbook" in text:
        return "spreadsheetml"
    if re.search(r"<(html|table|!doctype\s+html|body|meta|head)\b", text):
        return "html"
    return "text"


def read_file(path: str | os.PathLike, rel: str, warnings: list[str] | None = None) -> list[RawSheet]:
    """Every sheet of a workbook, or the one grid of a CSV file, by what the bytes are.

    The file name's suffix is only a hint: an HTML table saved as ``.xls`` (web-system
    exports), a SpreadsheetML 2003 XML file, an ``.xlsx`` renamed ``.csv`` or a CSV renamed
    ``.xls`` is read as what it is, with a warning (appended to ``warnings``) saying so.

    Raises :class:`InputError` naming ``rel`` for an unreadable workbook or undecodable CSV.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(rel, f"cannot read file ({exc.strerror})") from None
    fmt = sniff(head) if head else "text"
    suffix = path.suffix.lower()
    renamed = bool(head) and fmt not in _SUFFIX_FORMATS.get(suffix, {fmt})
    if fmt == "text" and renamed:
        # a CSV saved as .xls reads as a table; other bytes under a workbook name are a broken workbook
        try:
            sheet = read_csv(path, rel)
        except InputError:
            sheet = None
        if sheet is None or sheet.cells.shape[1] < 2:
            raise InputError(rel, f"unreadable workbook (the bytes are no {suffix} workbook, SpreadsheetML, "
                             "HTML table or delimited text)")
    if renamed and warnings is not None:
        warnings.append(f"{rel}: the file is {FORMAT_NAMES[fmt]} although named {suffix}; read as such")
    if fmt == "text":
        return [read_csv(path, rel)]
    if fmt == "html":
        return read_html_tables(path, rel)
    if fmt == "spreadsheetml":
        return read_spreadsheetml(path, rel)
    return read_workbook(path, rel, warnings)


def grid(rows: list[list], merged: Iterable = ()) -> pd.DataFrame:
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


def read_workbook(path: Path, rel: str, warnings: list[str] | None = None) -> list[RawSheet]:
    """All sheets of a workbook (xlsx, xlsm, xlsb, xls, ods) via python-calamine.

    calamine returns an empty string for an error cell (a formula's cached ``#DIV/0!``), and
    nothing about hidden rows and columns; for xlsx/xlsm and xls files both are read from
    the file itself (see :func:`workbook_extras`): error cells become
    :class:`~analysis.clean.parse.ExcelError` values, hidden rows and columns are listed in
    :attr:`RawSheet.hidden_rows` / :attr:`RawSheet.hidden_columns`.
    """
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken files
        raise InputError(rel, f"unreadable workbook ({_one_line(exc)})") from None
    try:
        extras = workbook_extras(path)
    except Exception as exc:  # noqa: BLE001 - calamine read it; say what could not be checked
        extras = {}
        if warnings is not None:
            warnings.append(f"{rel}: could not check the workbook for Excel error cells and hidden rows or "
                            f"columns ({_one_line(exc)}); error cells may read as empty")
    sheets = []
    try:
        for meta in wb.sheets_metadata:
            name = meta.name
            typ = str(meta.typ).rsplit(".", 1)[-1]
            if typ != "WorkSheet":
                label = {"ChartSheet": "chart sheet", "DialogSheet": "dialog sheet"}.get(typ, typ.lower())
                sheets.append(RawSheet(rel, name, grid([]), sheet_type=label))
                continue
            try:
                sh = wb.get_sheet_by_name(name)
                rows = sh.to_python(skip_empty_area=False)
                merged = sh.merged_cell_ranges or []
            except Exception as exc:
                raise InputError(rel, f"unreadable sheet ({_one_line(exc)})", sheet=name) from None
            hidden = str(meta.visible).rsplit(".", 1)[-1] != "Visible"
            extra = extras.get(name)
            if extra is None:
                sheets.append(RawSheet(rel, name, grid(rows, merged), hidden=hidden))
                continue
            for (r, c), code in extra.errors.items():
                while len(rows) <= r:
                    rows.append([])
                row = rows[r]
                if len(row) <= c:
                    row.extend([""] * (c + 1 - len(row)))
                row[c] = ExcelError(code)
            sheets.append(RawSheet(rel, name, grid(rows, merged), hidden=hidden,
                                   hidden_columns=frozenset(extra.hidden_columns),
                                   hidden_rows=frozenset(extra.hidden_rows)))
    finally:
        wb.close()
    return sheets


# ------------------------------------------------------------------ error cells, hidden rows and columns


@dataclass
class SheetExtras:
    """What calamine does not give of a sheet: error cells ``{(row, column): code}`` and the
    hidden rows and columns (all 0-based grid positions)."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_columns: set[int] = field(default_factory=set)
    hidden_rows: set[int] = field(default_factory=set)


def workbook_extras(path: Path) -> dict[str, SheetExtras]:
    """Error cells and hidden rows and columns of the sheets of an xlsx/xlsm or xls workbook
    that have any, by sheet name (other formats: nothing).

    An xlsx sheet's XML is only parsed when a quick scan of its bytes finds an error cell
    (``t="e"``) or a hidden row or column; an xls workbook's record stream is walked once.

    >>> import tempfile, pathlib, xlsxwriter
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "a.xlsx"
    ...     wb = xlsxwriter.Workbook(p); ws = wb.add_worksheet("学校")
    ...     _ = ws.write_formula("B2", "=1/0", None, "#DIV/0!")
    ...     _ = ws.set_column("C:C", None, None, {"hidden": True})
    ...     wb.close()
    ...     workbook_extras(p)["学校"]
    SheetExtras(errors={(1, 1): '#DIV/0!'}, hidden_columns={2}, hidden_rows=set())
    """
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _xlsx_extras(path)
    if head == _OLE_MAGIC:
        stream = _ole_stream(Path(path).read_bytes(), "Workbook")
        return _biff8_extras(stream) if stream is not None else {}
    return {}


#: bytes that may mean an error cell (t="e") or a hidden row or column; a false alarm (hidden="0")
#: only costs a parse of the sheet's XML (three plain searches are the fastest test)
_XLSX_MARKERS = (b"hidden=", b'="e"', b"='e'")
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def _xlsx_sheet_parts(zf: Any) -> dict[str, str]:
    """``{sheet name: zip member of its XML}`` from the workbook part and its relationships."""
    import posixpath
    import xml.etree.ElementTree as ET

    names = set(zf.namelist())
    book = "xl/workbook.xml"
    if "_rels/.rels" in names:
        for rel in ET.fromstring(zf.read("_rels/.rels")):
            if rel.get("Type", "").endswith("/officeDocument"):
                book = rel.get("Target", book).lstrip("/")
    rels_part = posixpath.join(posixpath.dirname(book), "_rels", posixpath.basename(book) + ".rels")
    if book not in names or rels_part not in names:
        return {}
    targets = {}
    for rel in ET.fromstring(zf.read(rels_part)):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(posixpath.dirname(book), target))
        targets[rel.get("Id")] = target
    out = {}
    for el in ET.fromstring(zf.read(book)).iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet":
            part = targets.get(el.get(f"{{{_REL_NS}}}id"))
            if part in names:
                out[el.get("name")] = part
    return out


def _has_markers(fh: Any) -> bool:
    """True when the bytes of a sheet's XML hold an error cell or hidden-row/column marker."""
    tail = b""
    while chunk := fh.read(1 << 22):
        buf = tail + chunk
        if any(m in buf for m in _XLSX_MARKERS):
            return True
        tail = buf[-16:]
    return False


def _xlsx_extras(path: Path) -> dict[str, SheetExtras]:
    import xml.etree.ElementTree as ET
    import zipfile

    out: dict[str, SheetExtras] = {}
    with zipfile.ZipFile(path) as zf:
        for name, part in _xlsx_sheet_parts(zf).items():
            with zf.open(part) as fh:
                if not _has_markers(fh):
                    continue
            extra = SheetExtras()
            row = col = -1
            with zf.open(part) as fh:
                for event, el in ET.iterparse(fh, events=("start", "end")):
                    tag = el.tag.rsplit("}", 1)[-1]
                    if event == "start":
                        if tag == "row":
                            r = el.get("r")
                            row = int(r) - 1 if r and r.isdigit() else row + 1
                            col = -1
                            if el.get("hidden") in ("1", "true"):
                                extra.hidden_rows.add(row)
                        elif tag == "col" and el.get("hidden") in ("1", "true"):
                            first, last = int(el.get("min", "1")), int(el.get("max", el.get("min", "1")))
                            extra.hidden_columns.update(range(first - 1, min(last, 16384)))
                        continue
                    if tag == "c":
                        m = _CELL_REF.fullmatch(el.get("r") or "")
                        if m:
                            col = _column_index(m.group(1))
                            row = int(m.group(2)) - 1
                        else:
                            col += 1
                        if el.get("t") == "e":
                            v = next((x.text for x in el if x.tag.rsplit("}", 1)[-1] == "v"), None)
                            extra.errors[(row, col)] = (v or "").strip() or "#ERROR"
                        el.clear()
                    elif tag == "row":
                        el.clear()
            out[name] = extra
    return out


def _column_index(letters: str) -> int:
    """0-based column of Excel column letters.

    >>> _column_index("A"), _column_index("Z"), _column_index("AA")
    (0, 25, 26)
    """
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENDOFCHAIN = 0xFFFFFFFA  # and above: free, end of chain, FAT and DIFAT sectors


def _ole_stream(data: bytes, name: str) -> bytes | None:
    """The stream ``name`` of an OLE2 compound file (an xls workbook), None when absent."""
    import struct
    from array import array

    u16 = lambda o: struct.unpack_from("<H", data, o)[0]  # noqa: E731
    u32 = lambda o: struct.unpack_from("<I", data, o)[0]  # noqa: E731
    ssz, mssz = 1 << u16(0x1E), 1 << u16(0x20)
    n_sectors = max(0, (len(data) - ssz) // ssz)

    def sector(i: int) -> bytes:
        return data[(i + 1) * ssz : (i + 2) * ssz]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    s, guard = u32(0x44), 0
    while s < _ENDOFCHAIN and guard < n_sectors:
        ids = struct.unpack(f"<{ssz // 4}I", sector(s))
        difat += ids[:-1]
        s, guard = ids[-1], guard + 1
    fat = array("I")
    for fs in difat[: u32(0x2C)]:
        if fs < _ENDOFCHAIN:
            fat.frombytes(sector(fs))

    def chain(start: int, table: array, limit: int) -> list[int]:
        out = []
        while start < _ENDOFCHAIN and start < len(table) and len(out) <= limit:
            out.append(start)
            start = table[start]
        return out

    def read(start: int) -> bytes:
        return b"".join(sector(i) for i in chain(start, fat, n_sectors))

    directory = read(u32(0x30))
    entries = {}
    root = (_ENDOFCHAIN,)
    for k in range(len(directory) // 128):
        e = directory[k * 128 : (k + 1) * 128]
        n = struct.unpack_from("<H", e, 0x40)[0]
        ename = e[: max(0, n - 2)].decode("utf-16-le", errors="replace")
        entries.setdefault(ename.lower(), (e[0x42], *struct.unpack_from("<II", e, 0x74)))
        if k == 0:
            root = (struct.unpack_from("<I", e, 0x74)[0],)
    found = entries.get(name.lower())
    if found is None or found[0] != 2:
        return None
    _, start, size = found
    if size >= u32(0x38):
        return read(start)[:size]
    minifat = array("I", read(u32(0x3C)))
    mini = read(root[0])
    return b"".join(mini[i * mssz : (i + 1) * mssz] for i in chain(start, minifat, len(mini) // mssz))[:size]


#: BIFF8 error codes (BOOLERR and FORMULA records)
_BIFF_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?", 0x24: "#NUM!",
                0x2A: "#N/A", 0x2B: "#GETTING_DATA"}


def _biff_error(code: int) -> str:
    """The text of a BIFF8 error code (an unknown code as ``#ERROR(0x..)``).

    >>> _biff_error(0x07), _biff_error(0x99)
    ('#DIV/0!', '#ERROR(0x99)')
    """
    return _BIFF_ERRORS.get(code, f"#ERROR({code:#04x})")


def _biff8_extras(stream: bytes) -> dict[str, SheetExtras]:
    """Error cells (BOOLERR and cached FORMULA results), hidden rows (ROW) and hidden columns
    (COLINFO) of each worksheet of a BIFF8 workbook stream (Excel 97-2003; older BIFF
    versions give nothing)."""
    import struct

    unpack = struct.unpack_from
    n = len(stream)
    if n < 8 or unpack("<HH", stream, 0)[0] != 0x0809 or unpack("<H", stream, 4)[0] != 0x0600:
        return {}
    sheets = []
    pos = 0
    while pos + 4 <= n:
        typ, ln = unpack("<HH", stream, pos)
        if typ == 0x0085 and ln >= 8:  # BOUNDSHEET: offset of the sheet's BOF, type, name
            offset, kind, cch, high = unpack("<I", stream, pos + 4)[0], stream[pos + 9], stream[pos + 10], stream[pos + 11]
            raw = stream[pos + 12 : pos + 12 + cch * (2 if high & 1 else 1)]
            name = raw.decode("utf-16-le") if high & 1 else raw.decode("latin-1")
            if kind == 0:  # worksheet (not a macro sheet, chart or VB module)
                sheets.append((name, offset))
        elif typ == 0x000A:  # EOF of the workbook globals
            break
        pos += 4 + ln
    out = {}
    for name, pos in sheets:
        extra = SheetExtras()
        depth = 0
        while pos + 4 <= n:
            typ, ln = unpack("<HH", stream, pos)
            body = pos + 4
            pos = body + ln
            if typ == 0x0809:  # BOF (embedded charts nest their own BOF ... EOF)
                depth += 1
            elif typ == 0x000A:
                depth -= 1
                if depth <= 0:
                    break
            elif depth != 1:
                continue
            elif typ == 0x0006 and ln >= 14:  # FORMULA: a cached error result
                if stream[body + 12 : body + 14] == b"\xff\xff" and stream[body + 6] == 2:
                    row, col = unpack("<HH", stream, body)
                    extra.errors[(row, col)] = _biff_error(stream[body + 8])
            elif typ == 0x0205 and ln >= 8:  # BOOLERR: an error constant
                if stream[body + 7]:
                    row, col = unpack("<HH", stream, body)
                    extra.errors[(row, col)] = _biff_error(stream[body + 6])
            elif typ == 0x0208 and ln >= 16:  # ROW: fDyZero (hidden)
                if unpack("<H", stream, body + 12)[0] & 0x20:
                    extra.hidden_rows.add(unpack("<H", stream, body)[0])
            elif typ == 0x007D and ln >= 10:  # COLINFO: fHidden
                first, last = unpack("<HH", stream, body)
                if unpack("<H", stream, body + 8)[0] & 1:
                    extra.hidden_columns.update(range(first, min(last, 255) + 1))
        if extra.errors or extra.hidden_rows or extra.hidden_columns:
            out[name] = extra
    return out


# ------------------------------------------------------------------ HTML tables


class _TableParser(HTMLParser):
    """Rows of cell texts of every ``<table>`` of a page (nested tables apart), with
    ``colspan`` / ``rowspan`` ranges filled like merged cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._stack: list[dict] = []  # open tables: rows, the current row, the current cell

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self._stack.append({"rows": [], "row": None, "cell": None, "spans": {}})
            return
        if not self._stack:
            return
        t = self._stack[-1]
        if tag == "tr":
            self._end_row(t)
            t["row"] = []
        elif tag in ("td", "th"):
            self._end_cell(t)
            if t["row"] is None:
                t["row"] = []
            a = dict(attrs)
            t["cell"] = {"text": [], "colspan": _span(a.get("colspan")), "rowspan": _span(a.get("rowspan"))}
        elif tag == "br" and t["cell"] is not None:
            t["cell"]["text"].append(" ")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        t = self._stack[-1]
        if tag in ("td", "th"):
            self._end_cell(t)
        elif tag == "tr":
            self._end_row(t)
        elif tag == "table":
            self._end_row(t)
            self._stack.pop()
            if t["rows"]:
                self.tables.append(t["rows"])

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1]["cell"] is not None:
            self._stack[-1]["cell"]["text"].append(data)

    def close(self) -> None:
        super().close()
        while self._stack:
            self.handle_endtag("table")

    @staticmethod
    def _end_cell(t: dict) -> None:
        cell = t["cell"]
        if cell is None:
            return
        t["cell"] = None
        text = " ".join("".join(cell["text"]).replace("\xa0", " ").split())
        row, r = t["row"], len(t["rows"])
        pending = t["spans"].get(r, {})  # spans: row -> {column: text of a rowspan from above}
        col = len(row)
        while col in pending:
            row.append(pending.pop(col))
            col += 1
        for dc in range(cell["colspan"]):
            row.append(text)
            for dr in range(1, cell["rowspan"]):
                t["spans"].setdefault(r + dr, {})[col + dc] = text

    @staticmethod
    def _end_row(t: dict) -> None:
        _TableParser._end_cell(t)
        if t["row"] is None:
            return
        row, r = t["row"], len(t["rows"])
        pending = t["spans"].pop(r, {})
        col = len(row)
        while pending:  # rowspans from above at the end of the row (or after a gap)
            row.append(pending.pop(col, ""))
            col += 1
        t["rows"].append(row)
        t["row"] = None


def _span(value: Any) -> int:
    try:
        return max(1, min(int(str(value).strip()), 1000))
    except (TypeError, ValueError):
        return 1


def _decode_markup(data: bytes, rel: str) -> str:
    """Decode a web page: BOM, else the charset its ``<meta>`` names, else like a CSV file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return decode_text(data, rel)
    m = re.search(rb"""charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", data[:4096])
    if m:
        enc = m.group(1).decode("ascii").lower()
        enc = "gb18030" if enc in ("gb2312", "gbk", "gb18030", "cp936") else enc
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data, rel)


def read_html_tables(path: Path, rel: str) -> list[RawSheet]:
    """The tables of an HTML page (a web system's "Excel" export): one grid per ``<table>``,
    named ``表1``, ``表2`` … when there are several, cell texts as strings.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "a.xls"
    ...     _ = p.write_text('<table><tr><td rowspan="2">县</td><td colspan="2">在校生数</td></tr>'
    ...                      '<tr><td>小学</td><td>初中</td></tr></table>', encoding="utf-8")
    ...     read_html_tables(p, "a.xls")[0].cells.values.tolist()
    [['县', '在校生数', '在校生数'], ['县', '小学', '初中']]
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(rel, f"cannot read file ({exc.strerror})") from None
    parser = _TableParser()
    try:
        parser.feed(_decode_markup(data, rel))
        parser.close()
    except Exception as exc:  # noqa: BLE001 - html.parser is lenient; anything else is a broken file
        raise InputError(rel, f"unreadable HTML table ({_one_line(exc)})") from None
    tables = [t for t in parser.tables if any(any(c for c in r) for r in t)]
    if not tables:
        raise InputError(rel, "an HTML page without any table")
    if len(tables) == 1:
        return [RawSheet(rel, None, grid(tables[0]))]
    return [RawSheet(rel, f"表{i}", grid(t)) for i, t in enumerate(tables, 1)]


# ------------------------------------------------------------------ SpreadsheetML 2003


def read_spreadsheetml(path: Path, rel: str) -> list[RawSheet]:
    """The worksheets of an Excel 2003 XML workbook (SpreadsheetML), with the stdlib XML
    parser: ``ss:Index`` gaps, ``ss:MergeAcross`` / ``ss:MergeDown`` ranges (filled like
    merged cells), numbers, dates and booleans typed, error cells as
    :class:`~analysis.clean.parse.ExcelError`, hidden sheets flagged.

    >>> import tempfile, pathlib
    >>> xml = ('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
    ...        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="学校"><Table>'
    ...        '<Row><Cell ss:MergeAcross="1"><Data ss:Type="String">在校生数</Data></Cell></Row>'
    ...        '<Row><Cell ss:Index="2"><Data ss:Type="Number">300</Data></Cell></Row>'
    ...        '</Table></Worksheet></Workbook>')
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "a.xml"
    ...     _ = p.write_text(xml, encoding="utf-8")
    ...     [(s.sheet, s.cells.values.tolist()) for s in read_spreadsheetml(p, "a.xml")]
    [('学校', [['在校生数', '在校生数'], ['', 300]])]
    """
    import datetime as dt
    import xml.etree.ElementTree as ET

    ns = "{" + _SPREADSHEETML_NS + "}"
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise InputError(rel, f"unreadable SpreadsheetML workbook ({_one_line(exc)})") from None

    def attr(el: Any, name: str, default: Any = None) -> Any:
        return el.get(ns + name, el.get(name, default))

    def value(data: Any) -> Any:
        if data is None:
            return ""
        text = "".join(data.itertext())
        typ = attr(data, "Type", "String")
        try:
            if typ == "Number":
                f = float(text)
                return int(f) if f.is_integer() and abs(f) < 2**53 else f
            if typ == "DateTime":
                return dt.datetime.fromisoformat(text.rstrip("Z")[:26])
            if typ == "Boolean":
                return text.strip() in ("1", "true", "TRUE")
            if typ == "Error":
                return ExcelError(text.strip() or "#ERROR")
        except ValueError:
            pass
        return text

    sheets = []
    for ws in root.iter(ns + "Worksheet"):
        name = attr(ws, "Name") or f"Sheet{len(sheets) + 1}"
        rows: list[list] = []
        merged: list[tuple[tuple[int, int], tuple[int, int]]] = []
        table = ws.find(ns + "Table")
        for row in (table.findall(ns + "Row") if table is not None else []):
            r = int(attr(row, "Index", len(rows) + 1)) - 1
            while len(rows) <= r:
                rows.append([])
            cells = rows[r]
            for cell in row.findall(ns + "Cell"):
                c = int(attr(cell, "Index", len(cells) + 1)) - 1
                while len(cells) < c:
                    cells.append("")
                cells.append(value(cell.find(ns + "Data")))
                across, down = int(attr(cell, "MergeAcross", 0)), int(attr(cell, "MergeDown", 0))
                if across or down:
                    merged.append(((r, c), (r + down, c + across)))
                cells.extend([""] * across)
        height = max([len(rows)] + [m[1][0] + 1 for m in merged])
        rows += [[] for _ in range(height - len(rows))]
        width = max([len(x) for x in rows] + [m[1][1] + 1 for m in merged] + [0])
        rows = [x + [""] * (width - len(x)) for x in rows]
        options = ws.find(ns.replace("spreadsheet", "excel") + "WorksheetOptions")
        hidden = options is not None and any(
            (el.text or "").strip() in ("SheetHidden", "SheetVeryHidden") for el in options.iter() if el.tag.endswith("Visible"))
        sheets.append(RawSheet(rel, name, grid(rows, merged), hidden=hidden))
    if not sheets:
        raise InputError(rel, "a SpreadsheetML workbook without any worksheet")
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
    return RawSheet(rel, None, grid(rows))


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
