"""Kinds of displayed values and the one formatter per kind.

Every column a report shows has a *kind* that decides how its values print, the same way in
the HTML page, the Excel workbook and the Word document:

========== ===================================== ============== ==================
kind       meaning                               page / Word    Excel number format
========== ===================================== ============== ==================
year       a calendar year                       2024           0
id         an identifier (学校标识码, codes)      2010000005     @ (text)
count      people, schools, rooms, classes …     1,105          #,##0
number     a quantity in the row's own unit      1,234.57       #,##0.00
yuan       money in 元                            6,796.26       #,##0.00
wan        money in 万元                          339.25         #,##0.00
area       m²                                    12,345.68      #,##0.00
per        per student / per 100 students        4.50           #,##0.00
share      a percentage stored as 0-100          72.4%          0.0"%"
coef       a coefficient (CV, ratios to 1)        0.519          0.000
ratio      a ratio (城乡比, 达标程度)              0.85           0.00
hours      hours, 学时                            1.5            0.0
bool       yes / no                              是 / 否         text
text       anything else                         as it is       text
========== ===================================== ============== ==================

A column's kind comes from the column dictionary (``kind:`` of ``analysis/data/columns*.yaml``
where given, else its unit and name), and is declared by the caller for columns the
dictionary does not know. Missing values print as ``—`` everywhere.

Examples
--------
>>> fmt(2024, "year"), fmt(1105.0, "count"), fmt(6796.256, "yuan"), fmt(72.4138, "share")
('2024', '1,105', '6,796.26', '72.4%')
>>> fmt(0.51912, "coef"), fmt(None, "count"), fmt(True, "bool"), fmt("2010000005", "id")
('0.519', '—', '是', '2010000005')
>>> kind_of_unit("人/百生"), kind_of_unit("万元"), kind_of_unit("所")
('per', 'wan', 'count')
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.dictionary import columns

__all__ = [
    "KINDS",
    "MISSING_TEXT",
    "Kind",
    "column_kind",
    "fmt",
    "kind_of_unit",
    "pass_text",
]

#: what a missing value prints as, in every output
MISSING_TEXT = "—"


@dataclass(frozen=True)
class Kind:
    """How values of one kind print: decimals, thousands separators, a suffix, Excel format."""

    name: str
    decimals: int | None  # None: not a number
    separators: bool = True
    suffix: str = ""
    excel: str = "General"


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("year", 0, separators=False, excel="0"),
    Kind("id", None, excel="@"),
    Kind("count", 0, excel="#,##0"),
    Kind("number", 2, excel="#,##0.00"),
    Kind("yuan", 2, excel="#,##0.00"),
    Kind("wan", 2, excel="#,##0.00"),
    Kind("area", 2, excel="#,##0.00"),
    Kind("per", 2, excel="#,##0.00"),
    Kind("share", 1, suffix="%", excel='0.0"%"'),
    Kind("coef", 3, excel="0.000"),
    Kind("ratio", 2, excel="0.00"),
    Kind("hours", 1, excel="#,##0.0"),
    Kind("bool", None),
    Kind("text", None),
    Kind("date", None, excel="yyyy-mm-dd"),
)}

#: units and the kind of the values measured in them
_UNIT_KINDS = {
    "人": "count", "个": "count", "间": "count", "所": "count", "班": "count", "名": "count",
    "台": "count", "册": "count", "项": "count", "年": "year", "岁": "count", "次": "count",
    "元": "yuan", "万元": "wan", "平方米": "area", "m²": "area", "㎡": "area",
    "%": "share", "％": "share", "小时": "hours", "学时": "hours",
    "差异系数": "coef", "系数": "coef",
}


def kind_of_unit(unit: Any) -> str:
    """The kind of values measured in ``unit`` (a count for 人, money for 元, …).

    Units per student or per 100 students (``m²/生``, ``人/百生``, ``元/生``) are ``per``;
    an unknown or empty unit gives ``number``.

    >>> kind_of_unit("m²/生"), kind_of_unit("元/生"), kind_of_unit(None), kind_of_unit("学时")
    ('per', 'per', 'number', 'hours')
    >>> kind_of_unit("教师（人）"), kind_of_unit("体育运动场馆（m²）"), kind_of_unit("间（教室）")
    ('count', 'area', 'count')
    """
    if unit is None or (isinstance(unit, float) and math.isnan(unit)):
        return "number"
    text = str(unit).strip()
    if "/" in text or "／" in text or "每" in text:
        return "per"
    candidates = [text]
    if "（" in text.replace("(", "（"):  # a label like 教师（人） or 间（教室）
        head, _, tail = text.replace("(", "（").partition("（")
        candidates += [tail.rstrip("）)"), head]
    for cand in candidates:
        if cand.strip() in _UNIT_KINDS:
            return _UNIT_KINDS[cand.strip()]
    return "number"


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt(value: Any, kind: str, unit: Any = None) -> str:
    """``value`` as report text, by its kind (``unit`` decides for kind ``unit``).

    Kind ``unit`` is a column whose rows each carry their own unit (an indicator table's
    ``value`` and ``standard``): the row's unit picks the kind.

    >>> fmt(3710.0, "count"), fmt(-146.25, "number"), fmt(0.5, "unit", unit="%")
    ('3,710', '-146.25', '0.5%')
    >>> fmt("甲", "count"), fmt(float("nan"), "share"), fmt(2.0, "unit", unit="m²/生")
    ('甲', '—', '2.00')
    """
    if _is_missing(value):
        return MISSING_TEXT
    if kind == "unit":
        kind = kind_of_unit(unit)
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}, unit")
    if spec.name == "bool":
        if isinstance(value, bool | int) or hasattr(value, "__bool__") and not isinstance(value, str):
            return "是" if bool(value) else "否"
        return str(value)
    if spec.name == "date":
        if isinstance(value, dt.date | pd.Timestamp):
            return value.strftime("%Y-%m-%d")
        return str(value)
    if spec.decimals is None or isinstance(value, str | bool):
        return str(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    sep = "," if spec.separators else ""
    if spec.decimals == 0:
        text = f"{round(v):{sep}d}" if sep else str(round(v))
    else:
        text = f"{v:{sep}.{spec.decimals}f}"
    if text.startswith("-") and float(text.replace(",", "").replace("-", "")) == 0:
        text = text[1:]  # -0.00 prints as 0.00
    return text + spec.suffix


def pass_text(n_met: int, n_units: int, pct: float | None = None) -> str:
    """``N/M（P%）``, the one way a pass count prints; P is computed from N and M.

    >>> pass_text(21, 29)
    '21/29（72.4%）'
    >>> pass_text(0, 0)
    '0/0（—）'
    """
    share = 100.0 * n_met / n_units if n_units else None
    return f"{int(n_met):,}/{int(n_units):,}（{fmt(share, 'share')}）"


#: names that are years (besides ``year`` and ``*_year`` columns)
_YEAR_NAMES = {"year", "年份", "年度", "统计年份", "完成时间", "完成年份", "计划完成年份"}


def column_kind(name: Any, values: pd.Series | None = None) -> str:
    """The kind of column ``name``: the dictionary's ``kind``, else its unit, dtype and name.

    Columns the dictionary does not know: years by name, booleans and text by dtype, and
    numbers as ``number`` (2 decimals) — declare their kind where they are shown.

    >>> column_kind("year"), column_kind("target_year"), column_kind("school_id")
    ('year', 'year', 'id')
    >>> column_kind("students"), column_kind("pass_pct"), column_kind("cv")
    ('count', 'share', 'coef')
    >>> column_kind("gap"), column_kind("is_met"), column_kind("school_name")
    ('unit', 'bool', 'text')
    """
    col = columns().get(name) if isinstance(name, str) else None
    if col is not None:
        if col.kind:
            return col.kind
        if col.dtype in ("bool", "boolean"):
            return "bool"
        if col.dtype == "date":
            return "date"
        if name == "year" or name.endswith("_year"):
            return "year"
        if col.dtype == "str":
            return "id" if name.endswith(("_id", "_code")) else "text"
        if col.unit:
            return kind_of_unit(col.unit)
        if col.dtype in ("int64", "Int64"):
            return "count"
        return "number"
    if isinstance(name, str) and (name in _YEAR_NAMES or name.endswith(("_year", "年份", "年度"))):
        return "year"
    if values is None:
        return "text"
    if pd.api.types.is_bool_dtype(values.dtype):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return "date"
    if pd.api.types.is_integer_dtype(values.dtype):
        return "count"
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "number"
    nonnull = values.dropna()
    if len(nonnull) and nonnull.map(type).eq(bool).all():
        return "bool"
    return "text"
