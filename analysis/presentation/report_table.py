"""Report tables: a frame whose every column has a Chinese header and a kind.

:func:`table` turns an analysis frame into a :class:`ReportTable`: codes become their
Chinese labels, headers come from the column dictionary (with units), every column gets a
kind (:mod:`analysis.presentation.kinds`) and prints through that kind's one formatter. The same
object renders the page's HTML (every row and column; long tables folded in ``<details>``),
plain text, and the workbook sheet (numbers stay numbers, formatted by kind:
:mod:`analysis.presentation.excel`).

Examples
--------
>>> import pandas as pd
>>> t = table(pd.DataFrame({"year": [2024], "students": [1105.0], "pass_pct": [72.41]}))
>>> t.headers
['年份', '学生数（人）', '达标比例（%）']
>>> t.text_rows()
[['2024', '1,105', '72.4%']]
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analysis.dictionary import column_label, columns, value_label
from analysis.dictionary import columns as dict_columns
from analysis.missing import report_params
from analysis.presentation.kinds import MISSING_TEXT, column_kind, fmt, kind_of_unit

__all__ = ["ReportTable", "UNIT_COLUMNS", "table", "collapse_rows"]

#: columns that carry the unit of a ``unit``-kind column's row, in the order they are looked for
UNIT_COLUMNS = ("unit", "gap_unit", "quantity_unit")
#: header of the row-number column of the page (not written to the workbook)
ROW_NUMBER = "序号"
#: header of an unnamed row index that carried data (a pivot's row labels)
INDEX_HEADER = "项目"
_NUMERIC = {"year", "count", "number", "yuan", "wan", "area", "per", "share", "coef", "ratio", "hours"}


def collapse_rows() -> int:
    """Tables with more rows than this are folded (``collapse_rows`` of report.yaml)."""
    return int(report_params()["collapse_rows"])


@dataclass
class ReportTable:
    """A table as the reader gets it.

    Attributes
    ----------
    frame : the values (codes replaced by labels; numbers still numbers), columns as in the
        analysis frame.
    headers : the Chinese header of each column, in order.
    kinds : the kind of each column (``unit``: each row's own unit, see ``units``).
    units : for ``unit``-kind columns, the unit of each row.
    title : an optional title (the workbook sheet's caption).
    collapse_rows : row count above which the page folds the table.
    """

    frame: pd.DataFrame
    headers: list[str]
    kinds: list[str]
    units: dict[int, list[Any]] = field(default_factory=dict)
    title: str | None = None
    collapse_rows: int = 15
    source: str | None = None

    # ------------------------------------------------------------------ values
    def cell_kind(self, j: int, i: int) -> str:
        """The kind of cell (row ``i``, column ``j``): a ``unit`` column takes its row's unit."""
        kind = self.kinds[j]
        if kind == "unit":
            return kind_of_unit(self.units.get(j, [None] * (i + 1))[i])
        return kind

    def text_rows(self) -> list[list[str]]:
        """Every cell as report text."""
        out = []
        for i, row in enumerate(self.frame.itertuples(index=False)):
            out.append([fmt(v, self.cell_kind(j, i)) for j, v in enumerate(row)])
        return out

    def text_frame(self) -> pd.DataFrame:
        """A frame of report text with the Chinese headers (rows numbered from 1)."""
        out = pd.DataFrame(self.text_rows(), columns=self.headers)
        out.index = pd.RangeIndex(1, len(out) + 1)
        return out

    @property
    def is_collapsed(self) -> bool:
        return len(self.frame) > self.collapse_rows

    def __len__(self) -> int:
        return len(self.frame)

    # ------------------------------------------------------------------ rendering
    def to_html(self) -> str:
        """The page's table: a header row, every row, numbers right-aligned with a sort key."""
        e = html_lib.escape
        head = "".join(f"<th>{e(h)}</th>" for h in [ROW_NUMBER, *self.headers])
        body = []
        for i, row in enumerate(self.frame.itertuples(index=False)):
            cells = [f'<td class="edu-num">{i + 1}</td>']
            for j, v in enumerate(row):
                kind = self.cell_kind(j, i)
                text = e(fmt(v, kind))
                if kind in _NUMERIC and text != MISSING_TEXT and not isinstance(v, str):
                    cells.append(f'<td class="edu-num" data-sort="{float(v)!r}">{text}</td>')
                else:
                    cells.append(f"<td>{text}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        return (f'<table class="dataframe edu-report-table">\n<thead><tr>{head}</tr></thead>\n'
                f"<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>")

    def _repr_html_(self) -> str:
        body = self.to_html()
        if not self.is_collapsed:
            return body
        summary = f"共 {len(self.frame):,} 行（点击展开）"
        return f'<details class="edu-table"><summary>{html_lib.escape(summary)}</summary>\n{body}\n</details>'

    def to_string(self) -> str:
        """Plain text for a terminal: the same cells as the page, columns aligned."""
        return self.text_frame().to_string() if len(self.frame) else "（无数据）"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # the plain-text form of a notebook output: every cell, tab-separated (cheap; the
        # page and Lab show the HTML form, ``print(t)`` the aligned one)
        lines = ["\t".join(self.headers), *("\t".join(r) for r in self.text_rows())]
        p.text("\n".join(lines) if len(self.frame) else "（无数据）")

    def __repr__(self) -> str:
        return self.to_string()

    #: the recorder of published reports writes this table to the report's workbook
    @property
    def _edu_table(self) -> ReportTable:
        return self


def _flat_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Row labels that carry data become columns; multi-level headers are joined."""
    out = df
    named = any(n is not None for n in out.index.names)
    if not named and not isinstance(out.index, pd.MultiIndex) and pd.api.types.is_integer_dtype(out.index.dtype):
        out = out.reset_index(drop=True)  # row positions of a filtered frame: not data
    elif not isinstance(out.index, pd.RangeIndex) or named:
        names = [n if n is not None else INDEX_HEADER for n in out.index.names]
        out = out.copy()
        out.index = out.index.set_names(names)
        out = out.reset_index()
    if isinstance(out.columns, pd.MultiIndex):
        out = out.copy()
        out.columns = [" ".join(str(p) for p in c if str(p) != "") for c in out.columns]
    elif out.columns.name is not None:
        out = out.copy()
        out.columns.name = None
    return out


def _header(name: Any, kind: str) -> str:
    if not isinstance(name, str):
        return str(name)
    col = columns().get(name)
    if col is None:
        return name
    return column_label(name, with_unit=kind != "unit")


def table(
    df: pd.DataFrame,
    columns: Mapping[str, str] | None = None,
    kinds: Mapping[str, str] | None = None,
    *,
    title: str | None = None,
    collapse_rows: int | None = None,
    source: str | None = None,
) -> ReportTable:
    """The report table of ``df``.

    Parameters
    ----------
    df : an analysis frame (a pivot's row labels are kept as columns).
    columns : Chinese headers for columns the dictionary does not name (or to override it).
    kinds : the kind of columns the dictionary does not know (``{"2023": "count"}``), beside
        those the analysis declared in ``df.attrs["kinds"]``; others come from
        :func:`~analysis.presentation.kinds.column_kind`.
    title, source : the table's caption and data source (the workbook prints them).
    collapse_rows : fold the page's table above this many rows (default: report.yaml).

    >>> t = table(pd.DataFrame({"section": ["junior", None], "students": [1105.0, None],
    ...                         "is_met": [True, None]}))
    >>> t.headers, t.text_rows()
    (['学段', '学生数（人）', '是否达标'], [['初中', '1,105', '是'], ['—', '—', '—']])
    >>> table(pd.DataFrame({"indicator": ["G1"], "value": [3.456], "unit": ["%"]})).text_rows()
    [['G1', '3.5%', '%']]
    """
    flat = _flat_columns(df)
    known = dict_columns()
    declared = {**dict(getattr(df, "attrs", {}).get("kinds") or {}), **dict(kinds or {})}
    kinds_out, values = [], {}
    for c in flat.columns:
        col = known.get(c) if isinstance(c, str) else None
        s = flat[c]
        kind = declared.get(c) or column_kind(c, s)
        if col is not None and col.values and kind in ("text", "id"):
            s = s.map(lambda v, c=c: value_label(c, v) if pd.notna(v) else v)
            kind = "text"
        kinds_out.append(kind)
        values[c] = s
    frame = pd.DataFrame(values, index=flat.index).reset_index(drop=True)
    frame.columns = list(flat.columns)
    units: dict[int, list[Any]] = {}
    for j, (c, kind) in enumerate(zip(frame.columns, kinds_out, strict=True)):
        if kind != "unit":
            continue
        unit_col = next((u for u in (f"{c}_unit", *UNIT_COLUMNS) if u in frame.columns and u != c), None)
        if unit_col is None:
            kinds_out[j] = "number"
        else:
            units[j] = frame[unit_col].tolist()
    headers = [(columns or {}).get(c) or _header(c, k) for c, k in zip(frame.columns, kinds_out, strict=True)]
    limit = globals()["collapse_rows"]() if collapse_rows is None else int(collapse_rows)
    return ReportTable(frame, headers, kinds_out, units, title, limit, source)
