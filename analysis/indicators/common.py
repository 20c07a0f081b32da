"""Shared helpers of the indicator engine: indicator metadata, tri-state results, numbers.

Results are tri-state: met, not met, or undecided because data are missing (pandas
``boolean`` with ``<NA>``). Comparisons with a standard allow for floating-point
representation only (a relative 1e-9), never for rounding: values are compared unrounded.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis.indicator_catalog import MISSING, PARTS, codes, entries, on_reload  # noqa: F401  (MISSING, PARTS: re-exported to the engine)

#: Relative tolerance of comparisons with a standard: float representation only
#: (e.g. 0.1 * 450 = 45.00000000000001), far below any rounding a report applies.
REL_TOL = 1e-9
SECTION_LABELS = {"primary": "小学", "junior": "初中", "senior": "高中"}


def indicators() -> dict[str, dict[str, Any]]:
    """All indicators of ``analysis/data/indicators.yaml`` by key (L1 ... V6), in the method's
    order: the entries of :mod:`analysis.indicator_catalog`."""
    return entries()


def indicator_info(key: str) -> dict[str, Any]:
    """Metadata of one indicator; unknown keys raise KeyError listing the known ones.

    >>> indicator_info("L6")["unit"]
    '元'
    """
    try:
        return indicators()[key]
    except KeyError:
        raise KeyError(f"unknown indicator {key!r}; known: {', '.join(indicators())}") from None


def indicator_key(text: Any) -> str | None:
    """The indicator key a person wrote: ``L4``, ``l4``, ``Ｌ４``, ``L4 生均…``, ``L4生均…`` or the
    Chinese name (full or short); None when it names no indicator.

    >>> indicator_key("l4"), indicator_key("G5 班额"), indicator_key("生均体育运动场馆面积"), indicator_key("X9")
    ('L4', 'G5', 'L5', None)
    """
    if not isinstance(text, str) or not text.strip():
        return None
    t = unicodedata.normalize("NFKC", text).strip()
    m = re.match(r"^([LGQVlgqv]\d{1,2}|[Rr])(?![0-9])", t)
    table = indicators()
    if m and m.group(1).upper() in table:
        return m.group(1).upper()
    plain = re.sub(r"\s+", "", t)
    for key, info in table.items():
        if plain in (re.sub(r"\s+", "", str(info["name"])), re.sub(r"\s+", "", str(info["short"]))):
            return key
    return None


def indicator_label(key: str, short: bool = False) -> str:
    """Chinese name of an indicator (``short=True`` for the short chart name).

    >>> indicator_label("L1")
    '每百名学生拥有高于规定学历教师数'
    >>> indicator_label("Q1", short=True)
    '初中三年巩固率'
    """
    info = indicator_info(key)
    return str(info["short"] if short else info["name"])


def measure_label(indicator: str, measure: str) -> str:
    """Chinese name of a sub-measure of an indicator (the key itself when unnamed).

    >>> measure_label("G11", "backbone_share")
    '骨干教师占交流轮岗教师比例（%）'
    """
    return str((indicator_info(indicator).get("measures") or {}).get(measure, measure))


def keys_of_part(part: str) -> list[str]:
    """Indicator keys of one part, in order.

    >>> keys_of_part("recognition")
    ['R']
    """
    return codes(part)


RESOURCE_KEYS: tuple[str, ...] = tuple(keys_of_part("resource"))


# ---------------------------------------------------------------------------- numbers


def to_float(values: Any) -> np.ndarray:
    """A float64 numpy array with NaN for missing values (from Int64, object, ...).

    >>> to_float(pd.Series([1, None], dtype="Int64")).tolist()
    [1.0, nan]
    """
    if isinstance(values, pd.Series | pd.Index):
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype("object")
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return np.asarray(values, dtype="float64")


def to_bool(values: Any, default: bool = False) -> np.ndarray:
    """A numpy bool array, missing values replaced by ``default``.

    >>> to_bool(pd.Series([True, None, False], dtype="boolean")).tolist()
    [True, False, False]
    """
    s = pd.Series(values)
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype("object")
    return s.astype("boolean").fillna(default).to_numpy(dtype=bool)


def ge(value: Any, standard: Any) -> np.ndarray:
    """``value >= standard`` allowing for float representation; NaN where unknown.

    Returns a float array: 1.0 met, 0.0 not met, NaN undecided.

    >>> ge(np.array([4.2, 4.19, np.nan, 0.1 * 450]), np.array([4.2, 4.2, 4.2, 45])).tolist()
    [1.0, 0.0, nan, 1.0]
    """
    v = np.asarray(value, dtype="float64")
    s = np.asarray(standard, dtype="float64")
    out = (v >= s - REL_TOL * np.abs(s)).astype("float64")
    return np.where(np.isnan(v) | np.isnan(s), np.nan, out)


def le(value: Any, standard: Any) -> np.ndarray:
    """``value <= standard`` allowing for float representation; NaN where unknown.

    >>> le(np.array([0.5, 0.5000001, np.nan]), 0.5).tolist()
    [1.0, 0.0, nan]
    """
    v = np.asarray(value, dtype="float64")
    s = np.asarray(standard, dtype="float64")
    out = (v <= s + REL_TOL * np.abs(s)).astype("float64")
    return np.where(np.isnan(v) | np.isnan(s), np.nan, out)


def ceil_count(x: Any) -> np.ndarray:
    """Round a needed count up to whole units, ignoring float noise (21.000000000000004 → 21).

    >>> ceil_count(np.array([21.000000000000004, 20.2, -0.5, np.nan])).tolist()
    [21.0, 21.0, -0.0, nan]
    """
    x = np.asarray(x, dtype="float64")
    return np.ceil(x - REL_TOL * np.maximum(1.0, np.abs(x)))


def tri(values: Any) -> pd.arrays.BooleanArray:
    """Float tri-state (1.0 / 0.0 / NaN) or bools/None to a pandas ``boolean`` array.

    >>> tri(np.array([1.0, 0.0, np.nan])).tolist()
    [True, False, <NA>]
    """
    if isinstance(values, pd.Series | pd.arrays.BooleanArray):
        return pd.array(values, dtype="boolean")
    arr = np.asarray(values)
    if arr.dtype == bool:
        return pd.arrays.BooleanArray(arr.copy(), np.zeros(len(arr), dtype=bool))
    if arr.dtype == object:
        return pd.array(list(arr), dtype="boolean")
    f = arr.astype("float64")
    mask = np.isnan(f)
    return pd.arrays.BooleanArray(np.where(mask, False, f == 1.0), mask)


def status_of(is_met: Any, not_applicable: Any = None) -> np.ndarray:
    """Status codes (met / not_met / missing / not_applicable) of tri-state results.

    >>> status_of(pd.array([True, False, None], dtype="boolean")).tolist()
    ['met', 'not_met', 'missing']
    """
    b = pd.array(is_met, dtype="boolean")
    na = np.asarray(b.isna())
    val = np.asarray(b.fillna(False), dtype=bool)
    out = np.where(na, "missing", np.where(val, "met", "not_met")).astype(object)
    if not_applicable is not None:
        out = np.where(np.asarray(not_applicable, dtype=bool), "not_applicable", out)
    return out


def all_met(flags: Iterable[Any]) -> Any:
    """Combine tri-state results: False if any is False, NA if any is NA, else True.

    >>> all_met([True, None]), all_met([True, False, None]), all_met([True, True])
    (<NA>, False, True)
    """
    seen_na = False
    for f in flags:
        if f is None or f is pd.NA or (isinstance(f, float) and math.isnan(f)):
            seen_na = True
        elif not bool(f):
            return False
    return pd.NA if seen_na else True


# ---------------------------------------------------------------------------- text


def fmt(x: Any, decimals: int = 2, unit: str = "") -> str:
    """A number for Chinese report text (``—`` when missing), with trailing zeros kept.

    >>> fmt(88.918, 1, "%"), fmt(float("nan")), fmt(2026, 0, "人")
    ('88.9%', '—', '2026人')
    """
    if x is None or x is pd.NA:
        return "—"
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(xf):
        return "—"
    text = f"{xf:,.{decimals}f}" if abs(xf) >= 100000 else f"{xf:.{decimals}f}"
    if text in ("-0", "-0.0", "-0.00", "-0.000"):
        text = text[1:]
    return f"{text}{unit}"


def join_labels(keys: Sequence[str], limit: int = 6) -> str:
    """``"L3 体育艺术专任教师、L5 生均体育运动场馆"`` (at most ``limit``, then 等N项).

    >>> join_labels(["L3", "L5"])
    'L3 体育艺术专任教师、L5 生均体育运动场馆'
    """
    return _join_labels(tuple(keys), limit)


@on_reload
@functools.lru_cache(maxsize=4096)
def _join_labels(keys: tuple[str, ...], limit: int) -> str:
    names = [f"{k} {indicator_label(k, short=True)}" if k in indicators() else str(k) for k in keys]
    if len(names) > limit:
        return "、".join(names[:limit]) + f"等{len(names)}项"
    return "、".join(names)


def join_names(names: Sequence[str], limit: int = 5, unit: str = "所") -> str:
    """``"甲小学、乙小学等7所"``.

    >>> join_names(["甲", "乙", "丙"], limit=2)
    '甲、乙等3所'
    """
    names = [str(n) for n in names]
    if len(names) > limit:
        return "、".join(names[:limit]) + f"等{len(names)}{unit}"
    return "、".join(names)


# ---------------------------------------------------------------------------- frames


def arrow_take(values: Any, indices: np.ndarray) -> Any:
    """``values[indices]`` for a string column through Arrow's ``take`` (several times
    faster than pandas' own on millions of rows); other columns through numpy / pandas.

    >>> arrow_take(pd.Series(["a", "b", "c"], dtype="str"), np.array([2, 2, 0])).tolist()
    ['c', 'c', 'a']
    """
    arr = values.array if isinstance(values, pd.Series) else values
    if isinstance(arr, pd.arrays.ArrowStringArray):
        return pd.array(pa.array(arr).take(pa.array(np.asarray(indices))), dtype="str")
    return arr.take(np.asarray(indices))


def categorical_to_plain(values: pd.Series) -> pd.Series:
    """A categorical column as plain values: strings through an Arrow ``take`` of the
    categories (much faster than ``astype("str")`` on millions of rows).

    >>> categorical_to_plain(pd.Series(pd.Categorical(["x", None, "y"]))).tolist()
    ['x', nan, 'y']
    """
    cats = values.cat.categories
    codes = values.array.codes
    if pd.api.types.is_string_dtype(cats.dtype) or cats.dtype == object:
        dictionary = pa.array(np.asarray(cats, dtype=object), type=pa.large_string())
        missing = codes < 0
        index = pa.array(codes, mask=missing) if missing.any() else pa.array(codes)
        plain = pd.array(dictionary.take(index), dtype="str")
    else:
        plain = pd.array(cats).take(codes, allow_fill=True)
    return pd.Series(plain, index=values.index, name=values.name)


def decategorize(df: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain strings / values (for output frames).

    >>> decategorize(pd.DataFrame({"a": pd.Categorical(["x"])})).dtypes.astype(str).tolist()
    ['str']
    """
    cats = [c for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)]
    if not cats:
        return df
    out = df.copy(deep=False)
    for c in cats:
        out[c] = categorical_to_plain(df[c])
    return out


def group_texts(keys: Iterable[tuple], texts: Iterable[str]) -> dict[tuple, list[str]]:
    """Texts collected per key, in order (plain Python: fast for many small groups).

    >>> group_texts([(1, "a"), (1, "a"), (2, "b")], ["x", "y", "z"])
    {(1, 'a'): ['x', 'y'], (2, 'b'): ['z']}
    """
    out: dict[tuple, list[str]] = {}
    for k, t in zip(keys, texts, strict=True):
        lst = out.get(k)
        if lst is None:
            out[k] = [t]
        else:
            lst.append(t)
    return out


def key_positions(frame: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
    """Position of each row's ``(year, county)`` in ``keys`` (-1 when absent), by hashing
    the few distinct counties once instead of building tuples per row.

    >>> keys = pd.DataFrame({"year": [2024, 2024], "county": ["甲县", "乙县"]})
    >>> key_positions(pd.DataFrame({"year": [2024, 2023, 2024], "county": ["乙县", "乙县", "丙县"]}), keys).tolist()
    [1, -1, -1]
    """
    if not len(keys):
        return np.full(len(frame), -1, dtype=np.int64)
    k_year = keys["year"].to_numpy(dtype="int64")
    k_cty = keys["county"].astype("object").to_numpy()
    years = pd.Index(pd.unique(k_year))
    counties = pd.Index(pd.unique(k_cty))
    table = np.full((len(years), len(counties)), -1, dtype=np.int64)
    table[years.get_indexer(k_year), counties.get_indexer(k_cty)] = np.arange(len(keys))
    fy = years.get_indexer(frame["year"].to_numpy(dtype="int64"))
    county = frame["county"]
    if isinstance(county.dtype, pd.CategoricalDtype):  # look up the categories, then the codes
        lookup = np.append(counties.get_indexer(np.asarray(county.cat.categories, dtype=object)), -1)
        fc = lookup[county.array.codes]
    else:
        fc = counties.get_indexer(county)
    ok = (fy >= 0) & (fc >= 0)
    return np.where(ok, table[np.maximum(fy, 0), np.maximum(fc, 0)], -1)


def first_per_group(codes: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the first ``limit`` rows of each group code (in row order).

    >>> first_per_group(np.array([3, 1, 3, 3, 1]), 2).tolist()
    [0, 1, 2, 4]
    """
    order = np.argsort(codes, kind="stable")
    c = codes[order]
    starts = np.r_[True, c[1:] != c[:-1]] if len(c) else np.zeros(0, bool)
    start_pos = np.maximum.accumulate(np.where(starts, np.arange(len(c)), 0)) if len(c) else np.zeros(0, int)
    keep = (np.arange(len(c)) - start_pos) < limit
    return np.sort(order[keep])


def key_tuples(frame: pd.DataFrame, cols: Sequence[str]) -> list[tuple]:
    """Row keys as plain Python tuples (``year`` as int, the rest as str).

    >>> key_tuples(pd.DataFrame({"year": [2024], "county": ["甲县"]}), ["year", "county"])
    [(2024, '甲县')]
    """
    arrays = [frame[c].astype("int64").tolist() if c == "year" else frame[c].astype("object").tolist() for c in cols]
    return list(zip(*arrays, strict=True)) if arrays else []


def county_keys_frame(pairs: pd.DataFrame) -> pd.DataFrame:
    """Unique, sorted ``(year, county)`` pairs as plain columns.

    >>> county_keys_frame(pd.DataFrame({"year": [2024, 2024], "county": ["乙县", "甲县"]})).county.tolist()
    ['乙县', '甲县']
    """
    out = decategorize(pairs[["year", "county"]].drop_duplicates())
    out = out.astype({"year": "int64"})
    return out.sort_values(["year", "county"], kind="stable").reset_index(drop=True)
