"""Vectorised parsing of raw cell values into typed columns.

Raw cells arrive as Python objects (``str``, ``float``, ``int``, ``bool``, ``datetime``,
``None``) exactly as a workbook or CSV gave them. Every parser here works column-wise: it
factorises the column and parses each *distinct* value once (:func:`on_uniques`), so a
400,000-row roster with a few hundred distinct values per column costs a few hundred Python
calls, not 400,000. String work on the distinct values uses pandas ``.str`` methods.

Each parser returns a :class:`Parsed` pair: the typed values and a ``problem`` Series holding
a Chinese reason where a non-empty cell could not be read (``None`` elsewhere). Empty cells
(blank, ``-``, ``—``, ``/``, ``无``, ``NULL`` …; see ``analysis/data/clean_values.yaml``) give
missing values, not problems; whether a missing value is allowed is decided by the caller.
An Excel error cell (:class:`ExcelError`: a formula's cached ``#DIV/0!``, ``#REF!`` …) is a
problem in every parser, free text included, so it is never read as an empty cell.

Examples
--------
>>> raw = pd.Series(["1,234", "１２３", " 45 ", "—", "abc", 7.0, None])
>>> p = parse_number(raw)
>>> p.values.tolist()
[1234.0, 123.0, 45.0, nan, nan, 7.0, nan]
>>> p.problem.tolist()
[None, None, None, None, '无法识别的数值', None, None]
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from analysis.config import load_yaml

#: Reasons written to qa_rejects (Chinese, like every reason of the cleaner).
BAD_NUMBER = "无法识别的数值"
NEGATIVE = "数值为负"
NOT_INTEGER = "不是整数"
OUT_OF_RANGE = "超出取值范围"
BAD_DATE = "无法识别的日期"
BAD_YEAR = "无法识别的年份"
BAD_GRADE = "无法识别的年级"
BAD_SCHOOL_ID = "学校标识码不是10位数字"
BAD_BOOLEAN = "无法识别的是/否值"
UNKNOWN_VALUE = "未知取值"
PERCENT_NOT_ALLOWED = "百分数不能用于人数/数量/面积/金额字段"
UNKNOWN_UNIT = "无法识别的单位"
WRONG_UNIT = "单位与字段不符"
#: An Excel error cell (a formula's cached error, or an error typed in): the code in brackets.
EXCEL_ERROR = "Excel公式错误（{code}）"

#: Error codes Excel shows in a cell (the seven classic ones and the newer ones).
EXCEL_ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#UNKNOWN!", "#BUSY!")

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SPACE_RE = r"[\s\u200b\ufeff\u3000]+"


class ExcelError:
    """An error cell of a workbook (``#DIV/0!``, ``#REF!``, ``#N/A`` …) as read: ``code`` is
    the text Excel shows. Not a string, so a text cell that happens to read ``#N/A`` (a
    missing-value token of a CSV export) stays a text cell; every parser rejects an error
    cell with :data:`EXCEL_ERROR` (see :func:`excel_error_reason`).

    >>> e = ExcelError("#DIV/0!")
    >>> str(e), e == ExcelError("#DIV/0!"), e == "#DIV/0!", cell_text(e)
    ('#DIV/0!', True, False, '#DIV/0!')
    """

    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        self.code = code

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExcelError) and other.code == self.code

    def __hash__(self) -> int:
        return hash((ExcelError, self.code))

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return f"ExcelError({self.code!r})"

    def __reduce__(self) -> tuple:
        return ExcelError, (self.code,)


def excel_error_reason(v: Any) -> str | None:
    """The qa_rejects reason of an Excel error cell, None for any other value.

    >>> excel_error_reason(ExcelError("#REF!")), excel_error_reason("#REF!")
    ('Excel公式错误（#REF!）', None)
    """
    return EXCEL_ERROR.format(code=v.code) if isinstance(v, ExcelError) else None


class Parsed(NamedTuple):
    """Typed values and, per cell, the reason it could not be read (``None`` when fine).

    ``own_unit`` (numbers read with ``units``, else None): True where the cell wrote its own
    unit (``30000元``), already applied, so the column's unit must not be applied again.
    """

    values: pd.Series
    problem: pd.Series
    own_unit: pd.Series | None = None


@functools.cache
def value_maps(path: str | None = None) -> dict[str, Any]:
    """The value maps of ``analysis/data/clean_values.yaml`` (or ``path``)."""
    return load_yaml(Path(path).resolve() if path else "clean_values.yaml")


def norm_key(text: str) -> str:
    """Normalise one lookup key: NFKC, no whitespace, Latin letters upper-cased.

    >>> norm_key(" 本　科 "), norm_key("ｙｅｓ")
    ('本科', 'YES')
    """
    return re.sub(_SPACE_RE, "", unicodedata.normalize("NFKC", str(text))).upper()


def lookup_table(mapping: Mapping[Any, list]) -> dict[str, Any]:
    """Invert ``{code: [spellings]}`` into ``{normalised spelling: code}``.

    Raises ValueError when one spelling is listed under two codes.

    >>> lookup_table({"male": ["男", "M"], "female": ["女"]})
    {'男': 'male', 'M': 'male', '女': 'female'}
    """
    out: dict[str, Any] = {}
    for code, spellings in mapping.items():
        for s in spellings:
            key = norm_key(s)
            if key in out and out[key] != code:
                raise ValueError(f"value {s!r} is listed under both {out[key]!r} and {code!r}")
            out[key] = code
    return out


@functools.cache
def missing_tokens() -> frozenset[str]:
    """Normalised tokens that mean "no value"."""
    return frozenset(norm_key(t) for t in value_maps()["missing"])


# ------------------------------------------------------------------ distinct-value machinery


class Coded:
    """A column held as codes into its distinct values (the last value is ``None``, code -1
    points at it): what the parsers work on, without a Python object per cell.

    >>> c = Coded.from_array(np.array(["a", None, "b", "a"], dtype=object))
    >>> c.codes.tolist(), c.values.tolist(), c.to_numpy().tolist()
    ([0, -1, 1, 0], ['a', 'b', None], ['a', None, 'b', 'a'])
    >>> Coded.concat([c, Coded.from_array(np.array(["b", "c"], dtype=object))]).to_numpy().tolist()
    ['a', None, 'b', 'a', 'b', 'c']
    """

    __slots__ = ("codes", "values")

    def __init__(self, codes: np.ndarray, values: np.ndarray) -> None:
        self.codes = codes
        self.values = values

    @classmethod
    def from_array(cls, arr: np.ndarray) -> Coded:
        codes, uniques = pd.factorize(np.asarray(arr, dtype=object), use_na_sentinel=True)
        return cls(codes, np.append(np.asarray(uniques, dtype=object), [None]))

    @classmethod
    def empty(cls, n: int) -> Coded:
        return cls(np.full(n, -1, dtype=np.intp), np.array([None], dtype=object))

    @classmethod
    def concat(cls, parts: list[Coded]) -> Coded:
        """One column from several, distinct values merged."""
        if len(parts) == 1:
            return parts[0]
        values = np.concatenate([p.values[:-1] for p in parts])
        merged, uniques = pd.factorize(values, use_na_sentinel=True) if len(values) else (np.empty(0, np.intp), [])
        codes = []
        offset = 0
        for p in parts:
            n = len(p.values) - 1
            remap = np.append(merged[offset : offset + n], -1)
            codes.append(remap[p.codes])
            offset += n
        return cls(np.concatenate(codes), np.append(np.asarray(uniques, dtype=object), [None]))

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def index(self) -> pd.RangeIndex:
        return pd.RangeIndex(len(self.codes))

    def __getitem__(self, mask: Any) -> Coded:
        return Coded(self.codes[np.asarray(mask)], self.values)

    def to_numpy(self, dtype: Any = object) -> np.ndarray:
        return self.values[self.codes]


def factorize(s: pd.Series | Coded) -> tuple[np.ndarray, pd.Series]:
    """Codes and distinct values of ``s``; the distinct values end with one ``None`` slot
    that the code -1 (a missing cell) indexes."""
    if isinstance(s, Coded):
        return s.codes, pd.Series(s.values, dtype=object)
    codes, uniques = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    values = pd.Series(np.append(np.asarray(uniques, dtype=object), [None]), dtype=object)
    return codes, values


def on_uniques(s: pd.Series, func: Callable[[pd.Series], Any], dtype: Any = object) -> pd.Series:
    """Apply ``func`` to the distinct values of ``s`` and broadcast the result back.

    ``func`` receives a Series of the distinct values (object dtype, ending with ``None``
    for missing cells) and returns an array-like of the same length.

    >>> on_uniques(pd.Series(["a", "b", "a", None]), lambda u: u.str.upper()).tolist()
    ['A', 'B', 'A', None]
    """
    codes, values = factorize(s)
    result = np.asarray(func(values), dtype=dtype)
    return pd.Series(result[codes], index=s.index, dtype=dtype)


def parsed_on_uniques(
    s: pd.Series, func: Callable[[pd.Series], tuple[Any, Any]], dtype: Any = object
) -> tuple[np.ndarray, pd.Series]:
    """``func(distinct values) -> (values, problems)`` broadcast back to every cell."""
    codes, values = factorize(s)
    vals, probs = func(values)
    vals = np.asarray(vals, dtype=dtype)
    probs = np.asarray(probs, dtype=object)
    errors = [(i, r) for i, v in enumerate(values) if (r := excel_error_reason(v)) is not None]
    if errors:  # an error cell is never a value, whatever the parser made of its text
        vals, probs = vals.copy(), probs.copy()
        empty = {"f": np.nan, "M": np.datetime64("NaT")}.get(vals.dtype.kind)
        for i, r in errors:
            vals[i], probs[i] = empty, r
    vals = vals[codes]
    probs = probs[codes]
    return vals, pd.Series(probs, index=s.index, dtype=object)


def cell_text(v: Any) -> Any:
    """The text of one distinct raw value, as a spreadsheet would show it (None if empty)."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v != v:  # NaN
            return None
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else format(v, ".15g")
    if isinstance(v, _dt.datetime):
        return v.strftime("%Y-%m-%d") if v.time() == _dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, _dt.date):
        return v.isoformat()
    return str(v)


def raw_text(s: pd.Series) -> pd.Series:
    """Raw cells as text for qa_rejects (numbers without a trailing ``.0``; None if empty).

    >>> raw_text(pd.Series([4101020001.0, " x ", None, 1.5])).tolist()
    ['4101020001', ' x ', None, '1.5']
    """
    return on_uniques(s, lambda u: [cell_text(v) for v in u])


def norm_text(s: pd.Series) -> pd.Series:
    """Normalised text of each cell: NFKC, whitespace removed at both ends (None if empty).

    >>> norm_text(pd.Series(["　城东区 ", "１２", 3.0, "", None])).tolist()
    ['城东区', '12', '3', None, None]
    """

    def f(u: pd.Series) -> Any:
        t = pd.Series([cell_text(v) for v in u], dtype=object)
        t = t.str.normalize("NFKC").str.replace(r"^[\s\u200b\ufeff']+|[\s\u200b\ufeff]+$", "", regex=True)
        return t.where(t.fillna("") != "", None)

    return on_uniques(s, f)


_WS_RE = re.compile(_SPACE_RE)


def key_of(v: Any) -> Any:
    """Lookup key of one distinct raw value (see :func:`norm_key`); None for an empty cell."""
    t = cell_text(v)
    if t is None:
        return None
    if not t.isascii():
        t = unicodedata.normalize("NFKC", t)
    return _WS_RE.sub("", t).upper()


def lookup_keys(u: pd.Series) -> pd.Series:
    """Lookup keys of distinct values (see :func:`norm_key`); None for empty cells."""
    return pd.Series([key_of(v) for v in u], dtype=object, index=u.index)


def is_blank(s: pd.Series) -> pd.Series:
    """True where a cell is empty or only whitespace (not the ``-``/``无`` tokens).

    >>> is_blank(pd.Series(["", "  ", None, "-", 0.0])).tolist()
    [True, True, True, False, False]
    """

    def f(u: pd.Series) -> Any:
        k = lookup_keys(u)
        return k.isna() | (k == "")

    return on_uniques(s, f, dtype=bool)


def is_missing(s: pd.Series) -> pd.Series:
    """True where a cell is empty or one of the missing-value tokens.

    >>> is_missing(pd.Series(["", "—", "／", "无", "NULL", "0", None])).tolist()
    [True, True, True, True, True, False, True]
    """
    tokens = missing_tokens()

    def f(u: pd.Series) -> Any:
        k = lookup_keys(u)
        return k.isna() | k.isin(tokens)

    return on_uniques(s, f, dtype=bool)


# ------------------------------------------------------------------ numbers

_UNIT_SUFFIX_RE = r"(万元|千元|亿元|元|平方米|平米|M2|人次|人|个|间|所|名|学时|小时)$"


#: a number followed by a unit word (which may hold digits: "M2", "米2")
_NUMBER_UNIT_RE = re.compile(r"\+?(-?(?:\d+\.?\d*|\.\d+)(?:E[+-]?\d+)?)([^\d.,+\-%][^.,+\-%]*)?")
_UNIT_SUFFIX = re.compile(_UNIT_SUFFIX_RE)


@functools.cache
def known_units() -> frozenset[str]:
    """Every unit word the cleaner knows (the unit groups of clean_values.yaml and the unit
    words stripped from plain numbers), normalised."""
    words = {norm_key(u) for us in value_maps()["units"].values() for u in us}
    return frozenset(words | set(_UNIT_SUFFIX_RE.strip("()$").split("|")))


def _number_of(
    v: Any, tokens: frozenset[str], units: Mapping[str, float] | None = None, percent: bool = True
) -> tuple[float, str | None, float | None]:
    """(value, problem, factor of the cell's own unit or None) of one distinct raw value;
    empty cells and missing tokens give NaN without a problem."""
    if v is None:
        return np.nan, None, None
    if isinstance(v, bool):
        return np.nan, BAD_NUMBER, None
    if isinstance(v, (int, float)):
        return float(v), None, None
    if isinstance(v, ExcelError):
        return np.nan, excel_error_reason(v), None
    key = key_of(v)
    if key is None or key in tokens:
        return np.nan, None, None
    t = key.replace(",", "").replace("'", "")
    is_percent = t.endswith("%")
    if is_percent:
        t = t[:-1]
    m = _NUMBER_UNIT_RE.fullmatch(t)
    if not m:
        return np.nan, BAD_NUMBER, None
    number, unit = float(m.group(1)), m.group(2)
    if is_percent and not percent:
        return np.nan, PERCENT_NOT_ALLOWED, None
    if not unit:
        return number, None, None
    if units is None:  # no unit rules: a known unit word is dropped, the number kept as written
        return (number, None, None) if _UNIT_SUFFIX.fullmatch(unit) else (np.nan, BAD_NUMBER, None)
    if unit in units:
        return number, None, units[unit]
    return np.nan, WRONG_UNIT if unit in known_units() else UNKNOWN_UNIT, None


def parse_number(
    s: pd.Series,
    *,
    factor: float = 1.0,
    ge: float | None = 0.0,
    le: float | None = None,
    integer: bool = False,
    decimals: int | None = None,
    units: Mapping[str, float] | None = None,
    percent: bool = True,
) -> Parsed:
    """Numbers from text or numeric cells.

    Reads thousands separators, full-width digits, surrounding spaces, a trailing ``%`` (the
    number is kept as written: ``95%`` gives 95; a problem when not ``percent``) or unit word
    (``120平方米``), and numbers stored as text. ``factor`` converts units (10 000 for 万元 into
    元); ``decimals`` rounds after the conversion. Values below ``ge`` (default 0: counts, areas
    and money are never negative) or above ``le`` are problems, and so are non-integers when
    ``integer``. A cell with a problem gets NaN.

    ``units`` (normalised unit word -> factor, e.g. the ``yuan`` group of clean_values.yaml)
    are the units a cell may write: a cell's own unit replaces ``factor`` (``30000元`` is 30 000
    under a 万元 header) and is flagged in ``own_unit``; any other unit word is a problem.
    Without ``units``, a known unit word is dropped and the number kept as written.

    >>> p = parse_number(pd.Series(["12.5", "-3", "4", "95%"]), integer=True)
    >>> p.values.tolist(), p.problem.tolist()
    ([nan, nan, 4.0, 95.0], ['不是整数', '数值为负', None, None])
    >>> parse_number(pd.Series(["1.23"]), factor=10000, decimals=2).values.tolist()
    [12300.0]
    >>> p = parse_number(pd.Series(["3", "30000元", "1.2万元", "5平方米", "2公斤", "9%"]), factor=10000,
    ...                  units={"元": 1, "万元": 10000}, percent=False)
    >>> p.values.tolist(), p.own_unit.tolist()
    ([30000.0, 30000.0, 12000.0, nan, nan, nan], [False, True, True, False, False, False])
    >>> p.problem.tolist()[3:]
    ['单位与字段不符', '无法识别的单位', '百分数不能用于人数/数量/面积/金额字段']
    """
    # one call per distinct value (see on_uniques), then broadcast back by the codes
    tokens = missing_tokens()
    codes, distinct = factorize(s)
    res = [_number_of(v, tokens, units, percent) for v in distinct]
    own_factor = np.array([np.nan if r[2] is None else r[2] for r in res], dtype=float)
    own = ~np.isnan(own_factor)
    value = np.array([r[0] for r in res], dtype=float) * np.where(own, own_factor, factor)
    if decimals is not None:
        value = np.round(value, decimals)
    elif (own_factor[own] != 1).any():  # a cell's 万元 rounds like a header's (see parse_field)
        value = np.where(own & (own_factor != 1), np.round(value, 2), value)
    problem = np.array([r[1] for r in res], dtype=object)
    valid = ~np.isnan(value)
    checks: list[tuple[np.ndarray, str]] = []
    if integer:
        checks.append((valid & (np.abs(value - np.round(value)) > 1e-9), NOT_INTEGER))
    if ge is not None:
        checks.append((valid & (value < ge), NEGATIVE if ge == 0 else OUT_OF_RANGE))
    if le is not None:
        checks.append((valid & (value > le), OUT_OF_RANGE))
    for mask, reason in checks:
        problem = np.where((problem == None) & mask, reason, problem)  # noqa: E711
    value = np.where(problem == None, value, np.nan)  # noqa: E711
    return Parsed(pd.Series(value[codes], index=s.index, dtype="float64"),
                  pd.Series(problem[codes], index=s.index, dtype=object),
                  pd.Series(own[codes], index=s.index, dtype=bool) if units is not None else None)


def to_int(values: pd.Series) -> pd.Series:
    """Float Series of whole numbers (NaN = missing) as nullable ``Int64``.

    >>> to_int(pd.Series([3.0, float("nan")])).tolist()
    [3, <NA>]
    """
    return values.round().astype("Int64")


# ------------------------------------------------------------------ categories and booleans


def parse_category(
    s: pd.Series,
    mapping: Mapping[str, Any],
    *,
    blank: Any = None,
    reason: str = UNKNOWN_VALUE,
) -> Parsed:
    """Map cells through ``{normalised spelling: code}``; ``blank`` for empty cells.

    Explicit spellings win over the missing-value tokens (``无`` can be a value).

    >>> table = lookup_table({"bachelor": ["本科", "大学本科"], "associate": ["大专"]})
    >>> p = parse_category(pd.Series(["本科 ", "大学本科", "大专", "—", "小学"]), table)
    >>> p.values.tolist(), p.problem.tolist()
    (['bachelor', 'bachelor', 'associate', None, None], [None, None, None, None, '未知取值'])
    """
    tokens = missing_tokens()

    def f(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        vals = np.empty(len(u), dtype=object)
        probs = np.empty(len(u), dtype=object)
        for i, v in enumerate(u):
            k = key_of(v)
            if k is not None and k in mapping:
                vals[i], probs[i] = mapping[k], None
            elif k is None or k in tokens:
                vals[i], probs[i] = blank, None
            else:
                vals[i], probs[i] = None, reason
        return vals, probs

    values, problem = parsed_on_uniques(s, f)
    return Parsed(pd.Series(values, index=s.index, dtype=object), problem)


@functools.cache
def boolean_table() -> dict[str, bool]:
    """Normalised yes/no spellings -> bool."""
    return lookup_table(value_maps()["boolean"])


def parse_bool(s: pd.Series, mapping: Mapping[str, Any] | None = None) -> Parsed:
    """Yes/no cells (是/否, Y/N, √/×, TRUE/FALSE, 1/0, workbook booleans) as nullable booleans.

    >>> p = parse_bool(pd.Series(["是", "否", "√", "Y", True, None, "也许"]))
    >>> p.values.tolist(), p.problem.tolist()[-1]
    ([True, False, True, True, True, <NA>, <NA>], '无法识别的是/否值')
    """
    table = dict(mapping) if mapping is not None else boolean_table()
    p = parse_category(s, table, reason=BAD_BOOLEAN)
    return Parsed(p.values.astype("boolean"), p.problem)


# ------------------------------------------------------------------ identifiers and codes


def parse_school_id(s: pd.Series) -> Parsed:
    """National 10-digit school identifiers (学校标识码) as text.

    Numbers stored as numbers (``4101020001.0``), full-width digits, spaces and a leading
    apostrophe are read; anything that is not 10 digits is a problem.

    >>> p = parse_school_id(pd.Series([4101020001.0, "４１０１０２０００２", "4101020003.0", "410102003", ""]))
    >>> p.values.tolist(), p.problem.tolist()
    (['4101020001', '4101020002', '4101020003', None, None], [None, None, None, '学校标识码不是10位数字', None])
    """
    tokens = missing_tokens()

    def f(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        vals = np.empty(len(u), dtype=object)
        probs = np.empty(len(u), dtype=object)
        for i, v in enumerate(u):
            k = key_of(v)
            if k is not None and k.startswith("'"):
                k = k[1:]
            if k is not None and k.endswith(".0") and len(k) == 12:
                k = k[:-2]  # "4101020001.0": a number re-exported as text
            if k is not None and len(k) == 10 and k.isdigit() and k.isascii():
                vals[i] = k
            elif k is not None and k not in tokens:
                probs[i] = BAD_SCHOOL_ID
        return vals, probs

    values, problem = parsed_on_uniques(s, f)
    return Parsed(pd.Series(values, index=s.index, dtype=object), problem)


def parse_text(s: pd.Series) -> Parsed:
    """Free text (names), surrounding whitespace removed, otherwise as written; the
    missing-value tokens give None.

    >>> parse_text(pd.Series([" 城东区", "—", 12.0, "第一小学（北校区）\u3000"])).values.tolist()
    ['城东区', None, '12', '第一小学（北校区）']
    """
    tokens = missing_tokens()

    def f(u: pd.Series) -> tuple[Any, Any]:
        vals = np.empty(len(u), dtype=object)
        for i, v in enumerate(u):
            k = key_of(v)
            if k is not None and k not in tokens:
                vals[i] = cell_text(v).strip(" \t\r\n\u200b\ufeff\u3000\xa0")
        return vals, np.full(len(u), None)

    values, problem = parsed_on_uniques(s, f)
    return Parsed(pd.Series(values, index=s.index, dtype=object), problem)


def parse_id(s: pd.Series) -> Parsed:
    """Identifiers (teacher, questionnaire): NFKC text without spaces; numbers without ``.0``.

    >>> parse_id(pd.Series(["Ｔ００１ ", 12.0, "—"])).values.tolist()
    ['T001', '12', None]
    """
    tokens = missing_tokens()

    def f(u: pd.Series) -> tuple[Any, Any]:
        vals = np.empty(len(u), dtype=object)
        for i, v in enumerate(u):
            t = cell_text(v)
            if t is None:
                continue
            if not t.isascii():
                t = unicodedata.normalize("NFKC", t)
            t = _WS_RE.sub("", t)
            if t.upper() not in tokens:
                vals[i] = t
        return vals, np.full(len(u), None)

    values, problem = parsed_on_uniques(s, f)
    return Parsed(pd.Series(values, index=s.index, dtype=object), problem)


def parse_urban_rural_code(s: pd.Series, codes: Mapping[str, str]) -> Parsed:
    """Urban-rural classification codes (111 … 220) from numbers, text or Chinese labels.

    ``codes`` is ``{code: label}`` (``value_labels("urban_rural_code")``); a label such as
    ``主城区`` gives its code, ``"121镇中心区"`` its leading code.

    >>> labels = {"111": "主城区", "121": "镇中心区", "220": "村庄"}
    >>> p = parse_urban_rural_code(pd.Series([111.0, "121镇中心区", "村庄", "999", ""]), labels)
    >>> p.values.tolist(), p.problem.tolist()
    (['111', '121', '220', None, None], [None, None, None, '未知取值', None])
    """
    by_label = {norm_key(v): k for k, v in codes.items()}
    tokens = missing_tokens()

    def f(u: pd.Series) -> tuple[Any, Any]:
        k = lookup_keys(u)
        lead = k.str.extract(r"^(\d{3})(?:\D.*)?$", expand=False)
        code = lead.where(lead.isin(list(codes)), k.map(by_label))
        found = code.notna().to_numpy()
        missing = ~found & (k.isna() | k.isin(tokens)).to_numpy()
        return np.where(found, code.to_numpy(dtype=object), None), np.where(~found & ~missing, UNKNOWN_VALUE, None)

    values, problem = parsed_on_uniques(s, f)
    return Parsed(pd.Series(values, index=s.index, dtype=object), problem)


# ------------------------------------------------------------------ years, grades, dates

_YEAR_TEXT = re.compile(r"^((?:19|20)\d{2})(?:\.0+)?(?:年|年度)?(?:[-~至/]((?:19|20)\d{2})(?:年)?)?(学年|学年度)?$")


def _year_of(v: Any) -> tuple[float, bool]:
    """(year or NaN, is_problem) of one distinct raw value."""
    if v is None:
        return np.nan, False
    if isinstance(v, bool):
        return np.nan, True
    if isinstance(v, (int, float)):
        if v != v:
            return np.nan, False
        return (float(v), False) if float(v).is_integer() else (np.nan, True)
    if isinstance(v, _dt.date):
        return float(v.year), False
    key = norm_key(v)
    if key == "" or key in missing_tokens():
        return np.nan, False
    m = _YEAR_TEXT.match(key.replace("—", "-").replace("–", "-"))
    if not m or (m.group(2) and not m.group(3)):  # a plain range "2018-2021" is not one year
        return np.nan, True
    return float(m.group(1)), False


def parse_year(s: pd.Series, *, ge: int = 1990, le: int = 2100) -> Parsed:
    """Statistics years: ``2021``, ``2021.0``, ``２０２１年``, ``2021年度``; a school year
    ``2021-2022学年`` gives its first year (the statistics year of 教育事业统计).

    >>> p = parse_year(pd.Series([2021.0, "2022年", "2021-2022学年", "2023.0", "2018-2021", "abc"]))
    >>> p.values.tolist(), p.problem.tolist()
    ([2021.0, 2022.0, 2021.0, 2023.0, nan, nan], [None, None, None, None, '无法识别的年份', '无法识别的年份'])
    """

    def f(u: pd.Series) -> tuple[Any, Any]:
        res = [_year_of(v) for v in u]
        vals = np.array([r[0] for r in res], dtype=float)
        bad = np.array([r[1] for r in res], dtype=bool)
        bad |= ~np.isnan(vals) & ((vals < ge) | (vals > le))
        return np.where(bad, np.nan, vals), np.where(bad, BAD_YEAR, None)

    values, problem = parsed_on_uniques(s, f, dtype=float)
    return Parsed(pd.Series(values, index=s.index, dtype="float64"), problem)


@functools.cache
def grade_table() -> dict[str, int]:
    """Normalised grade spellings -> grade number."""
    return lookup_table({int(k): v for k, v in value_maps()["grades"].items()})


def parse_grade(s: pd.Series) -> Parsed:
    """Grades: 一年级 … 九年级, 初一 … 初三, 七年级, ``1``–``12``, ``3年级``.

    >>> p = parse_grade(pd.Series(["一年级", "初二", 7.0, "3年级", "七年级（初一）", "十三年级"]))
    >>> p.values.tolist(), p.problem.tolist()[-1]
    ([1.0, 8.0, 7.0, 3.0, 7.0, nan], '无法识别的年级')
    """
    table = grade_table()
    tokens = missing_tokens()

    def f(u: pd.Series) -> tuple[Any, Any]:
        # "七年级(初一)": the bracketed part repeats the grade
        k = lookup_keys(u).str.replace(r"\(.*\)$", "", regex=True)
        digits = pd.to_numeric(k.str.extract(r"^(\d{1,2})(?:\.0+)?(?:年级)?$", expand=False), errors="coerce")
        val = digits.where(digits.notna(), k.map(table)).astype(float)
        val = val.where((val >= 1) & (val <= 12))
        missing = (val.isna() & (k.isna() | k.isin(tokens))).to_numpy()
        bad = val.isna().to_numpy() & ~missing
        return val.to_numpy(dtype=float), np.where(bad, BAD_GRADE, None)

    values, problem = parsed_on_uniques(s, f, dtype=float)
    return Parsed(pd.Series(values, index=s.index, dtype="float64"), problem)


_DATE_TEXT = re.compile(
    r"^((?:19|20)\d{2})[-./年](\d{1,2})(?:[-./月](?:(\d{1,2})日?)?)?(?:\d{1,2}:\d{2}(?::\d{2})?)?$"
)


def _make_date(y: int, m: int, d: int | None) -> Any:
    try:
        return pd.Timestamp(_dt.date(y, m, d or 1))
    except ValueError:
        return None


def _date_of(v: Any) -> tuple[Any, bool]:
    """(Timestamp or None, is_problem) of one distinct raw value."""
    if v is None:
        return None, False
    if isinstance(v, bool):
        return None, True
    if isinstance(v, _dt.datetime):
        return pd.Timestamp(v.date()), False
    if isinstance(v, _dt.date):
        return pd.Timestamp(v), False
    if isinstance(v, (int, float)):
        x = float(v)
        return (None, False) if x != x else _date_of_number(x)
    key = norm_key(v)
    if key == "" or key in missing_tokens():
        return None, False
    m = _DATE_TEXT.match(key)
    if m:
        d = _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None)
        return d, d is None
    if re.fullmatch(r"\d{5,8}", key):
        return _date_of_number(float(key))
    return None, True


def _date_of_number(x: float) -> tuple[Any, bool]:
    if x.is_integer():
        n = int(x)
        if 190001 <= n <= 210012:
            d = _make_date(n // 100, n % 100, None) if 1 <= n % 100 <= 12 else None
            return d, d is None
        if 19000101 <= n <= 21001231:
            d = _make_date(n // 10000, n // 100 % 100, n % 100)
            return d, d is None
        if 367 <= n <= 73050:  # Excel serial day (1900 system): 1901 ... 2099
            return _EXCEL_EPOCH + pd.Timedelta(days=n), False
        return None, True
    if 1900 <= x < 2101:  # a number typed as 1975.03 (year.month)
        y = int(x)
        month = int(round((x - y) * 100))
        if not 1 <= month <= 12 and month % 10 == 0:
            # one decimal: 1975.1 is October (a spreadsheet shows 1975.10 as 1975.1), but
            # 1975.3 can only be March (month 30 does not exist)
            month //= 10
        d = _make_date(y, month, None) if 1 <= month <= 12 else None
        return d, d is None
    if 367 <= x <= 73051:  # Excel serial date with a time of day
        return _EXCEL_EPOCH + pd.Timedelta(days=int(x)), False
    return None, True


def parse_date(s: pd.Series) -> Parsed:
    """Dates of birth: ``1975-03``, ``1975.03``, ``197503``, ``1975/3``, ``1975年3月``, Excel
    serial numbers, workbook dates and full dates. Year and month only give the first of the
    month; a full date keeps its day.

    >>> p = parse_date(pd.Series(["1975-03", "1975.03", 197503.0, "1975/3", "1975年3月",
    ...                           27454.0, "1975-03-15", 1975.03, 1975.3, 1975.1, "75年", None]))
    >>> [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in p.values]  # doctest: +NORMALIZE_WHITESPACE
    ['1975-03-01', '1975-03-01', '1975-03-01', '1975-03-01', '1975-03-01', '1975-03-01', '1975-03-15',
     '1975-03-01', '1975-03-01', '1975-10-01', None, None]
    >>> p.problem.tolist()[-2:]
    ['无法识别的日期', None]
    """

    def f(u: pd.Series) -> tuple[Any, Any]:
        res = [_date_of(v) for v in u]
        vals = pd.to_datetime(pd.Series([r[0] for r in res], dtype=object)).to_numpy(dtype="datetime64[ms]")
        return vals, np.where(np.array([r[1] for r in res], dtype=bool), BAD_DATE, None)

    values, problem = parsed_on_uniques(s, f, dtype="datetime64[ms]")
    return Parsed(pd.Series(values, index=s.index, dtype="datetime64[ms]"), problem)
