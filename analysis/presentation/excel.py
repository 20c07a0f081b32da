"""Report tables written to a workbook the way an analyst expects to find them in Excel.

One sheet per table (its title and data source above it), numbers stored as numbers with
the number format of their kind (:mod:`analysis.presentation.kinds`: years without
separators, counts as integers with separators, money and areas to 2 decimals, shares with
%, coefficients to 3 decimals), identifiers as text, a bold frozen header with an
autofilter, column widths fitted to the content, and the figures of a row that does not
meet its standard in the "未达标" cell style. A 说明 sheet opens the workbook: the report,
place, year, source (published real figures keep theirs; synthetic data says it is
synthetic), standards, time, and the list of sheets.

Examples
--------
>>> import io, pandas as pd
>>> from openpyxl import load_workbook
>>> from analysis.presentation.report_table import table
>>> t = table(pd.DataFrame({"year": [2024], "students": [1105], "cv": [0.5191], "is_met": [False]}))
>>> wb = load_workbook(io.BytesIO(workbook([("差异系数", t)], {"title": "县域报告"})))
>>> ws = wb["表01 差异系数"]
>>> [c.value for c in ws[4]], [c.value for c in ws[5]]
(['年份', '学生数（人）', '差异系数', '是否达标'], [2024, 1105, 0.5191, '否'])
>>> ws["B5"].number_format, ws["C5"].number_format, ws.auto_filter.ref, ws.freeze_panes
('#,##0', '0.000', 'A4:D5', 'A5')
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from analysis.presentation.kinds import KINDS, MISSING_TEXT, fmt
from analysis.presentation.report_table import ReportTable

__all__ = ["SYNTHETIC_LABEL", "sheet_name", "workbook"]

SYNTHETIC_LABEL = "示例数据（合成）"
#: characters Excel refuses in sheet names
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
#: columns whose figure is marked when its row does not meet the standard
_FIGURE_COLUMNS = ("value", "cv", "cv_composite", "pass_pct", "pass_pct_final", "min_ratio_unmet",
                   "ratio_to_standard", "n_met", "gap")
#: columns that say whether a row meets its standard
_STATUS_COLUMNS = ("is_met", "passes", "is_met_final")
HEADER_ROW = 3  # 0-based: title, source, blank, header


def sheet_name(n: int, title: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name (≤ 31 characters) for table ``n``.

    >>> sheet_name(3, "资源配置：未达标学校与缺口/明细[1]", set())
    '表03 资源配置：未达标学校与缺口_明细_1_'
    """
    base = _BAD_SHEET.sub("_", f"表{n:02d} {title}".strip())[:31].rstrip("'")
    name, i = base, 2
    while name.casefold() in used:
        suffix = f"（{i}）"
        name, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(name.casefold())
    return name


def _cell_value(value: Any, kind: str) -> Any:
    """What goes in the cell: a number for numeric kinds, text otherwise, None when missing."""
    text = fmt(value, kind)
    if text == MISSING_TEXT:
        return None
    spec = KINDS.get(kind)
    if spec is not None and spec.decimals is not None and not isinstance(value, str | bool):
        try:
            v = float(value)
        except (TypeError, ValueError):
            return text
        if math.isinf(v):
            return text
        return int(round(v)) if spec.decimals == 0 else v
    if kind == "date" and isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return text


def _width(texts: Sequence[str]) -> float:
    """Column width in Excel units: CJK characters count double."""
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in t) for t in texts), default=4)
    return min(max(longest + 2, 6), 60)


def _failing_rows(t: ReportTable) -> list[bool]:
    cols = [c for c in _STATUS_COLUMNS if c in t.frame.columns]
    if not cols:
        return [False] * len(t.frame)
    s = t.frame[cols[0]]
    return [v is False or (isinstance(v, str) and v == "否") or (not isinstance(v, str) and v is not None
            and not pd.isna(v) and not bool(v)) for v in s]


def _write_sheet(wb: Any, ws: Any, title: str, t: ReportTable, line: str, formats: dict[str, Any]) -> None:
    ws.write(0, 0, title, formats["title"])
    ws.write(1, 0, line, formats["note"])
    ncol = len(t.headers)
    for j, h in enumerate(t.headers):
        ws.write_string(HEADER_ROW, j, str(h), formats["header"])
    failing = _failing_rows(t)
    figure_cols = {j for j, c in enumerate(t.frame.columns) if c in _FIGURE_COLUMNS or c in _STATUS_COLUMNS}
    texts: list[list[str]] = [[str(h)] for h in t.headers]
    for i, row in enumerate(t.frame.itertuples(index=False)):
        r = HEADER_ROW + 1 + i
        for j, v in enumerate(row):
            kind = t.cell_kind(j, i)
            value = _cell_value(v, kind)
            mark = failing[i] and j in figure_cols
            key = ("bad_" if mark else "") + kind
            cell_format = formats.get(key) or formats.setdefault(key, wb.add_format(
                {"num_format": KINDS[kind].excel if kind in KINDS else "General",
                 **({"bg_color": "#F8D7DA", "font_color": "#842029"} if mark else {})}))
            if value is None:
                ws.write_blank(r, j, None, cell_format)
            elif isinstance(value, str):
                ws.write_string(r, j, value, cell_format)
            else:
                ws.write(r, j, value, cell_format)
            if i < 300:
                texts[j].append(fmt(v, kind))
    for j in range(ncol):
        ws.set_column(j, j, _width(texts[j]))
    if ncol:
        ws.autofilter(HEADER_ROW, 0, HEADER_ROW + max(len(t.frame), 1), ncol - 1)
    ws.freeze_panes(HEADER_ROW + 1, 0)


def workbook(tables: Sequence[tuple[str, ReportTable]], meta: Mapping[str, Any]) -> bytes:
    """The ``.xlsx`` of a report: a 说明 sheet, then one sheet per ``(title, table)``.

    ``meta``: title, county, year, source, standards, run_date and ``synthetic`` (True only
    for synthetic data: published real figures are never labelled synthetic).
    """
    import xlsxwriter

    source = str(meta.get("source") or "")
    synthetic = bool(meta.get("synthetic"))
    line = f"数据来源：{source}" + (f"　{SYNTHETIC_LABEL}" if synthetic and "示例" not in source else "")
    used: set[str] = {"说明"}
    names = [sheet_name(i, t, used) for i, (t, _) in enumerate(tables, start=1)]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    formats: dict[str, Any] = {
        "title": wb.add_format({"bold": True, "font_size": 12}),
        "note": wb.add_format({"font_color": "#555555"}),
        "header": wb.add_format({"bold": True, "bg_color": "#E9EEF5", "border": 1, "text_wrap": True,
                                 "valign": "vcenter"}),
        "label": wb.add_format({"bold": True}),
    }
    about = wb.add_worksheet("说明")
    rows = [("报告", meta.get("title")), ("县（区）/地区", meta.get("county")), ("年份", meta.get("year")),
            ("数据来源", source), ("评估标准", meta.get("standards")), ("生成时间", meta.get("run_date"))]
    if synthetic:
        rows.append(("说明", f"{SYNTHETIC_LABEL}：示例数据，合成，非真实统计"))
    r = 0
    for label, value in rows:
        about.write_string(r, 0, label, formats["label"])
        if isinstance(value, int):
            about.write_number(r, 1, value, wb.add_format({"num_format": "0", "align": "left"}))
        else:
            about.write_string(r, 1, "" if value is None else str(value))
        r += 1
    r += 1
    about.write_string(r, 0, "工作表", formats["label"])
    about.write_string(r, 1, "表格", formats["label"])
    for name, (title, _) in zip(names, tables, strict=True):
        r += 1
        about.write_url(r, 0, f"internal:'{name}'!A1", string=name)
        about.write_string(r, 1, title)
    about.set_column(0, 0, 24)
    about.set_column(1, 1, 70)
    for name, (title, t) in zip(names, tables, strict=True):
        ws = wb.add_worksheet(name)
        _write_sheet(wb, ws, title, t, line, formats)
    wb.close()
    return buf.getvalue()
