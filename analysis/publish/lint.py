"""A lint of what is published: what a county analyst must never see in a page or workbook.

:func:`lint_folder` reads every page (``*.html``) and workbook (``*.xlsx``) under a published
folder and returns one line per problem, naming the file (and sheet, cell or table header):

- a year printed with a thousands separator (``2,024``), in a year column or before 年;
- pandas' leftovers: a ``...`` column or cell, a ``12 rows × 23 columns`` footer, an
  ``index`` / ``level_0`` / English key as a table header, ``nan`` / ``None`` / ``<NA>``;
- a number with a trailing ``.000`` (``3,710.000``);
- an internal key or English id in visible text (``analysis_params``,
  ``guarantee.G6.per_student_yuan``, ``L3-2010000005-primary-hire_teachers-music``);
- an ``N/M（P%）`` whose P is not N/M;
- a report page without its workbook;
- a workbook cell holding a number as text.

``python -m analysis.publish.lint FOLDER`` prints the problems and exits 1 when there are any.

Examples
--------
>>> visible_problems("达标21/29（91.3%）；2,024年；guarantee.G6.per_student_yuan", "a.html")[:2]
['a.html: N/M（P%） does not add up: 21/29（91.3%） (21/29 = 72.4%)', 'a.html: year with a separator: 2,024年']
>>> visible_problems("达标22/31（71.0%），2024年", "a.html")
[]
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["lint_folder", "lint_page", "lint_workbook", "visible_problems"]

_PASS = re.compile(r"(\d[\d,]*)/(\d[\d,]*)（(\d+(?:\.\d+)?)%")
_YEAR_BEFORE_NIAN = re.compile(r"(?<![\d,.])(1,9\d\d|2,[01]\d\d)(?=\s*年)")
_YEAR_CELL = re.compile(r"^(1,9\d\d|2,[01]\d\d)$")
_TRAILING_000 = re.compile(r"(?<![\d.])[1-9][\d,]*\.000(?!\d)")
_ROWS_COLS = re.compile(r"\d+\s+rows\s+×\s+\d+\s+columns")
_SNAKE = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])")
_DOTTED_KEY = re.compile(r"\b[a-z]+\.[A-Z]?\d*[A-Za-z]*\.[a-z_]+\b")
_PACKAGE_PATH = re.compile(r"\banalysis/[\w./-]+")
#: a minus after a word that already says the direction ("节约-339.25万元")
_SIGNED_AMOUNT = re.compile(r"(?:多需|少用|少需|节约|增加|减少)\s*-\s*\d[\d,.]*")
_BAD_CELLS = {"nan", "NaN", "None", "<NA>", "NaT", "...", "…"}
_INTERNAL_HEADERS = re.compile(r"^(index|level_\d+|Unnamed: \d+|[a-z][a-z0-9]*(_[a-z0-9]+)*)$")
_NUMBER_TEXT = re.compile(r"^[-+]?\d[\d,]*(\.\d+)?%?$")
#: long digit strings are identifiers (学校标识码), text on purpose
_IDENTIFIER = re.compile(r"^\d{6,}$")
_YEAR_HEADER = re.compile(r"年份|年度|年$|完成时间|学年")


def visible_problems(text: str, where: str) -> list[str]:
    """Problems of the visible text ``text`` (a page's or a cell's)."""
    out = []
    for m in _PASS.finditer(text):
        n, d, p = int(m.group(1).replace(",", "")), int(m.group(2).replace(",", "")), float(m.group(3))
        if d and abs(round(100 * n / d, 1) - p) > 0.051:
            out.append(f"{where}: N/M（P%） does not add up: {m.group(0)}） ({n}/{d} = {100 * n / d:.1f}%)")
    out += [f"{where}: year with a separator: {m.group(0)}年" for m in _YEAR_BEFORE_NIAN.finditer(text)]
    out += [f"{where}: trailing .000: {m.group(0)}" for m in _TRAILING_000.finditer(text)]
    out += [f"{where}: pandas footer: {m.group(0)}" for m in _ROWS_COLS.finditer(text)]
    out += [f"{where}: internal key in visible text: {m.group(0)}" for m in _SNAKE.finditer(text)]
    out += [f"{where}: internal key in visible text: {m.group(0)}" for m in _DOTTED_KEY.finditer(text)]
    out += [f"{where}: file of the package in visible text: {m.group(0)}" for m in _PACKAGE_PATH.finditer(text)]
    out += [f"{where}: negative amount after a word of direction: {m.group(0)}"
            for m in _SIGNED_AMOUNT.finditer(text)]
    return out


class _Page(HTMLParser):
    """Visible text, table headers and cells of a page (scripts, styles and code left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        #: text shown as code (Markdown backticks): no prose checks, but a reader still sees it
        self.code: list[str] = []
        self.tables: list[dict[str, list]] = []
        self._skip = 0
        self._code = 0
        self._cell: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        if tag in ("code", "pre"):
            self._code += 1
        if tag in ("script", "style", "code", "pre", "template", "noscript"):
            self._skip += 1
        elif tag == "table":
            self.tables.append({"headers": [], "rows": []})
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("code", "pre"):
            self._code = max(0, self._code - 1)
        if tag in ("script", "style", "code", "pre", "template", "noscript"):
            self._skip = max(0, self._skip - 1)
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self.tables:
            text = " ".join("".join(self._cell).split())
            t = self.tables[-1]
            if tag == "th" and (self._in_head or not t["rows"] or len(t["rows"]) <= 1):
                t["headers"].append(text)
            elif t["rows"]:
                t["rows"][-1].append(text)
            self._cell = None

    def handle_data(self, data):
        if self._code and self._skip == self._code:  # code, not inside a script or style
            self.code.append(data)
        if self._skip:
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def lint_page(path: Path, root: Path | None = None) -> list[str]:
    """Problems of one published page."""
    where = str(path.relative_to(root)) if root else str(path)
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    out = visible_problems(" ".join(" ".join(page.text).split()), where)
    out += [f"{where}: file of the package in visible text: {m.group(0)}"
            for m in _PACKAGE_PATH.finditer(" ".join(page.code))]
    for k, t in enumerate(page.tables, start=1):
        headers = [h for h in t["headers"] if h]
        for h in headers:
            if _INTERNAL_HEADERS.match(h) or h in _BAD_CELLS:
                out.append(f"{where}: table {k}: internal or pandas header: {h!r}")
        year_cols = [j for j, h in enumerate(t["headers"]) if _YEAR_HEADER.search(h)]
        for row in t["rows"]:
            for j, cell in enumerate(row):
                if cell in _BAD_CELLS:
                    out.append(f"{where}: table {k}: cell {cell!r} under {t['headers'][j] if j < len(t['headers']) else '?'}")
                elif j in year_cols and _YEAR_CELL.match(cell):
                    out.append(f"{where}: table {k}: year with a separator: {cell}")
    if page.tables and path.name != "index.html" and path.parent.name != "_assets":
        xlsx = path.with_suffix(".xlsx")
        if not xlsx.is_file() and path.stem not in ("index",) and "_charts" not in str(path.parent):
            out.append(f"{where}: report without its workbook ({xlsx.name})")
    return out


def lint_workbook(path: Path, root: Path | None = None) -> list[str]:
    """Problems of one published workbook: numbers stored as text, pandas leftovers, bad figures."""
    from openpyxl import load_workbook

    where = str(path.relative_to(root)) if root else str(path)
    out = []
    wb = load_workbook(path, read_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if not isinstance(v, str):
                    continue
                at = f"{where} [{ws.title}!{cell.coordinate}]"
                if v.strip() in _BAD_CELLS:
                    out.append(f"{at}: cell {v!r}")
                elif _NUMBER_TEXT.match(v.strip()) and not _IDENTIFIER.match(v.strip()):
                    out.append(f"{at}: number stored as text: {v!r}")
                else:
                    out += visible_problems(v, at)
    wb.close()
    return out


def lint_folder(folder: str | Path) -> list[str]:
    """Every problem of the pages and workbooks under ``folder``."""
    root = Path(folder)
    out: list[str] = []
    for page in sorted(root.rglob("*.html")):
        out += lint_page(page, root)
    for book in sorted(root.rglob("*.xlsx")):
        out += lint_workbook(book, root)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m analysis.publish.lint PUBLISHED_FOLDER", file=sys.stderr)
        return 2
    problems = lint_folder(args[0])
    for p in problems:
        print(p)
    print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''}")
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
