"""Builders of the engine's county, measure and per-school rows.

Every county-level indicator yields exactly one row per evaluated ``(year, county)``:
:func:`county_rows` left-joins whatever an indicator could compute onto the county keys, so
a county without data gets status ``missing`` (数据缺失) and a reason, never a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.dictionary import table_columns
from analysis.indicators.common import (
    MISSING,
    ceil_count,
    fmt,
    ge,
    indicator_info,
    join_names,
    key_positions,
    measure_label,
    status_of,
    to_float,
    tri,
)

COUNTY_COLUMNS = tuple(table_columns("out_county_indicators"))
MEASURE_COLUMNS = tuple(table_columns("out_indicator_measures"))
SCHOOL_COLUMNS = tuple(table_columns("out_school_indicators"))
_SCHOOL_ID_COLUMNS = ("year", "county", "school_id", "school_name", "school_type", "area_type")


def _as_boolean(values: Any, n: int) -> pd.arrays.BooleanArray:
    if values is None:
        return pd.array([pd.NA] * n, dtype="boolean")
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return tri(values)
    return pd.array(values, dtype="boolean")


def county_rows(
    keys: pd.DataFrame,
    indicator: str,
    data: pd.DataFrame | None = None,
    *,
    missing_detail: str = MISSING,
) -> pd.DataFrame:
    """One row per ``(year, county)`` of ``keys`` for ``indicator``.

    ``data`` holds the computed rows (``year``, ``county`` and any of the columns of
    out_county_indicators); counties it lacks get status ``missing`` and ``missing_detail``.
    Unless given, ``status`` follows ``is_met`` and ``unit``, ``part`` and ``is_attested``
    come from indicators.yaml.

    >>> keys = pd.DataFrame({"year": [2024, 2024], "county": ["甲县", "乙县"]})
    >>> data = pd.DataFrame({"year": [2024], "county": ["甲县"], "value": [99.2],
    ...                      "standard": [95.0], "is_met": [True]})
    >>> county_rows(keys, "Q1", data)[["county", "value", "status"]].values.tolist()
    [['甲县', 99.2, 'met'], ['乙县', nan, 'missing']]
    """
    info = indicator_info(indicator)
    n = len(keys)
    years = keys["year"].to_numpy(dtype="int64")
    counties = keys["county"].astype("object").to_numpy()
    pos = np.full(n, -1, dtype=np.int64)
    d = None
    if data is not None and len(data):
        d = data.reset_index(drop=True)
        mine = pd.MultiIndex.from_arrays([years, counties])
        theirs = pd.MultiIndex.from_arrays([d["year"].to_numpy(dtype="int64"), d["county"].astype("object").to_numpy()])
        if theirs.has_duplicates:
            raise ValueError(f"{indicator}: more than one row per county and year")
        pos = theirs.get_indexer(mine)
    has = pos >= 0
    take = np.maximum(pos, 0)

    def column(name: str) -> np.ndarray | None:
        if d is None or name not in d:
            return None
        return d[name].to_numpy(dtype=object)[take]

    def floats(name: str) -> np.ndarray:
        if d is None or name not in d:
            return np.full(n, np.nan)
        out = to_float(d[name])[take]
        return np.where(has, out, np.nan)

    def objects(name: str, default: object) -> np.ndarray:
        v = column(name)
        if v is None:
            return np.full(n, default, dtype=object)
        ok = has & pd.notna(v)
        return np.where(ok, v, default).astype(object)

    met_raw = column("is_met")
    if met_raw is None:
        is_met = pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    else:
        known = has & pd.notna(met_raw)
        vals = np.array([bool(x) if k else False for x, k in zip(met_raw, known, strict=True)], dtype=bool)
        is_met = pd.arrays.BooleanArray(vals, ~known)
    status = objects("status", None)
    status = np.where(pd.notna(status), status, status_of(is_met)).astype(object)
    detail = objects("detail", None)
    detail = np.where(has, detail, missing_detail).astype(object)
    attested = bool(info.get("attested"))
    att = column("is_attested")
    is_attested = np.full(n, attested) if att is None else np.where(has & pd.notna(att), att, attested).astype(bool)

    def ints(name: str) -> pd.arrays.IntegerArray:
        f = floats(name)
        return pd.arrays.IntegerArray(np.nan_to_num(f).astype("int64"), np.isnan(f))

    out = {
        "year": years,
        "county": counties,
        "part": np.full(n, info["part"], dtype=object),
        "indicator": np.full(n, indicator, dtype=object),
        "value": floats("value"),
        "standard": floats("standard"),
        "unit": objects("unit", info.get("unit")),
        "numerator": floats("numerator"),
        "denominator": floats("denominator"),
        "n_schools": ints("n_schools"),
        "n_schools_met": ints("n_schools_met"),
        "is_met": is_met,
        "status": status,
        "is_attested": is_attested,
        "gap": floats("gap"),
        "gap_unit": objects("gap_unit", None),
        "detail": detail,
    }
    # judgement columns are filled later (analysis.indicators.judgement)
    return pd.DataFrame({c: out[c] if c in out else np.full(n, None, dtype=object) for c in COUNTY_COLUMNS})


def measure_rows(
    frame: pd.DataFrame,
    indicator: str,
    measure: str,
    *,
    value: Any,
    standard: Any = np.nan,
    unit: str | None = None,
    numerator: Any = np.nan,
    denominator: Any = np.nan,
    is_met: Any = None,
    detail: Any = None,
) -> pd.DataFrame:
    """Rows of out_indicator_measures for the ``(year, county)`` rows of ``frame``.

    >>> f = pd.DataFrame({"year": [2024], "county": ["甲县"]})
    >>> measure_rows(f, "G11", "backbone_share", value=[39.84], standard=20, unit="%",
    ...              is_met=np.array([1.0]))[["measure_label", "is_met"]].values.tolist()
    [['骨干教师占交流轮岗教师比例（%）', True]]
    """
    n = len(frame)
    out = pd.DataFrame({"year": frame["year"].to_numpy(), "county": frame["county"].to_numpy()})
    out["part"] = indicator_info(indicator)["part"]
    out["indicator"] = indicator
    out["measure"] = measure
    out["measure_label"] = measure_label(indicator, measure)
    out["value"] = np.broadcast_to(np.asarray(value, dtype="float64"), (n,)).copy() if n else np.zeros(0)
    out["standard"] = np.broadcast_to(np.asarray(standard, dtype="float64"), (n,)).copy() if n else np.zeros(0)
    out["unit"] = unit
    out["numerator"] = np.broadcast_to(np.asarray(numerator, dtype="float64"), (n,)).copy() if n else np.zeros(0)
    out["denominator"] = np.broadcast_to(np.asarray(denominator, dtype="float64"), (n,)).copy() if n else np.zeros(0)
    out["is_met"] = _as_boolean(is_met if is_met is not None else None, n) if n else pd.array([], dtype="boolean")
    out["detail"] = detail if detail is not None else None
    return out[list(MEASURE_COLUMNS)]


def school_rows(
    schools: pd.DataFrame,
    indicator: str,
    measure: str,
    *,
    value: Any,
    standard: Any,
    is_met: Any,
    gap: Any = np.nan,
    gap_unit: str | None = None,
    unit: str | None = None,
    detail: Any = None,
) -> pd.DataFrame:
    """Rows of out_school_indicators, one per row of ``schools`` (core_schools columns).

    >>> s = pd.DataFrame({"year": [2024], "county": ["甲县"], "school_id": ["1000000001"],
    ...     "school_name": ["一小"], "school_type": ["primary"], "area_type": ["rural"]})
    >>> school_rows(s, "G4", "school_size", value=[2100], standard=2000,
    ...             is_met=np.array([0.0]), gap=[100], gap_unit="students")[["gap", "is_met"]].values.tolist()
    [[100.0, False]]
    """
    n = len(schools)
    out = pd.DataFrame({c: (schools[c].to_numpy() if c in schools else np.full(n, None, dtype=object))
                        for c in _SCHOOL_ID_COLUMNS})
    out["indicator"] = indicator
    out["measure"] = measure
    out["measure_label"] = measure_label(indicator, measure)

    def arr(x: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype="float64"), (n,)).copy() if n else np.zeros(0)

    out["value"] = arr(value)
    out["standard"] = arr(standard)
    out["unit"] = unit
    out["is_met"] = tri(arr(is_met)) if n else pd.array([], dtype="boolean")
    out["gap"] = arr(gap)
    out["gap_unit"] = gap_unit
    out["detail"] = detail if detail is not None else None
    for c in SCHOOL_COLUMNS:  # judgement columns are filled later (analysis.indicators.judgement)
        if c not in out:
            out[c] = None
    return out[list(SCHOOL_COLUMNS)]


def school_overall(rows: pd.DataFrame) -> pd.DataFrame:
    """Per school, all measures of one indicator together (tri-state) and the gaps summed.

    >>> rows = pd.DataFrame({"year": 2024, "county": "甲县", "school_id": ["1", "1", "2"],
    ...     "school_name": ["一小", "一小", "二小"], "is_met": pd.array([True, False, None]),
    ...     "gap": [0.0, 2.0, None]})
    >>> school_overall(rows)[["school_id", "met", "gap"]].values.tolist()
    [['1', 0.0, 2.0], ['2', nan, 0.0]]
    """
    met = rows["is_met"].astype("boolean")
    tmp = pd.DataFrame({
        "year": rows["year"].to_numpy(), "county": rows["county"].to_numpy(),
        "school_id": rows["school_id"].to_numpy(), "school_name": rows["school_name"].to_numpy(),
        "fail": np.asarray(met.fillna(True) == False, dtype=bool),  # noqa: E712
        "unknown": np.asarray(met.isna(), dtype=bool),
        "gap": np.where(np.asarray(met.fillna(True) == False, dtype=bool), to_float(rows["gap"]), 0.0),  # noqa: E712
    })
    g = tmp.groupby(["year", "county", "school_id"], sort=True, observed=True).agg(
        school_name=("school_name", "first"), fail=("fail", "any"), unknown=("unknown", "any"),
        gap=("gap", "sum"))
    g = g.reset_index()
    g["met"] = np.where(g["fail"], 0.0, np.where(g["unknown"], np.nan, 1.0))
    return g[["year", "county", "school_id", "school_name", "met", "gap"]]


def aggregate_schools(
    keys: pd.DataFrame,
    indicator: str,
    rows: pd.DataFrame,
    *,
    gap_unit: str | None = None,
    has_data: bool = True,
    not_applicable_detail: str = "无适用学校（不适用）",
    missing_detail: str = MISSING,
    scope_note: str = "",
) -> pd.DataFrame:
    """County rows of a per-school indicator: share of schools that meet it (all must).

    ``has_data`` False (the table the indicator needs is absent) gives status missing;
    a county with no school in scope is not applicable (met).

    >>> keys = pd.DataFrame({"year": [2024, 2024], "county": ["甲县", "乙县"]})
    >>> rows = pd.DataFrame({"year": 2024, "county": "甲县", "school_id": ["1", "2"],
    ...     "school_name": ["一小", "二小"], "is_met": pd.array([True, False]), "gap": [0.0, 30.0]})
    >>> out = aggregate_schools(keys, "G4", rows, gap_unit="students")
    >>> out[["county", "value", "n_schools", "is_met", "status", "gap"]].values.tolist()
    [['甲县', 50.0, 2, False, 'not_met', 30.0], ['乙县', nan, 0, True, 'not_applicable', nan]]
    """
    if not has_data:
        return county_rows(keys, indicator, None, missing_detail=missing_detail)
    per_school = school_overall(rows) if len(rows) else pd.DataFrame(
        columns=["year", "county", "school_id", "school_name", "met", "gap"])
    frame = None
    if len(per_school):
        met = per_school["met"].to_numpy(dtype="float64")
        key = pd.DataFrame({"year": per_school["year"].astype("int64").to_numpy(),
                            "county": per_school["county"].astype("object").to_numpy()})
        names = per_school["school_name"].astype(str).to_numpy()
        flags = key.assign(n=1, met=met == 1.0, fail=met == 0.0, unknown=np.isnan(met),
                           gap=np.where(met == 0.0, per_school["gap"].to_numpy(dtype="float64"), 0.0))
        agg = flags.groupby(["year", "county"], sort=True).sum()
        fail_names = key.loc[met == 0.0].assign(_t=names[met == 0.0]).groupby(["year", "county"], sort=False)["_t"].agg(
            lambda x: join_names(list(x))).reindex(agg.index)
        unk_names = key.loc[np.isnan(met)].assign(_t=names[np.isnan(met)]).groupby(["year", "county"], sort=False)["_t"].agg(
            lambda x: join_names(list(x))).reindex(agg.index)
        n_met = agg["met"].to_numpy(dtype="int64")
        n_fail = agg["fail"].to_numpy(dtype="int64")
        n_unknown = agg["unknown"].to_numpy(dtype="int64")
        decided = n_met + n_fail
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(decided > 0, 100.0 * n_met / np.where(decided > 0, decided, 1), np.nan)
        details = []
        for n_all, nm, v, nf, fn, nu, un in zip(agg["n"], n_met, value, n_fail, fail_names, n_unknown, unk_names, strict=True):
            parts = [f"{scope_note}适用学校{n_all}所，达标{nm}所（{fmt(v, 1, '%')}）"]
            if nf:
                parts.append(f"未达标：{fn}")
            if nu:
                parts.append(f"数据缺失{nu}所：{un}")
            details.append("；".join(parts))
        frame = agg.reset_index()[["year", "county"]]
        frame["value"] = value
        frame["standard"] = 100.0
        frame["unit"] = "%"
        frame["numerator"] = n_met.astype("float64")
        frame["denominator"] = decided.astype("float64")
        frame["n_schools"] = agg["n"].to_numpy(dtype="int64")
        frame["n_schools_met"] = n_met
        frame["is_met"] = pd.arrays.BooleanArray(n_fail == 0, (n_fail == 0) & (n_unknown > 0))
        frame["gap"] = np.where(n_fail > 0, agg["gap"].to_numpy(dtype="float64"), np.nan)
        frame["gap_unit"] = np.where(n_fail > 0, gap_unit, None)
        frame["detail"] = details
    out = county_rows(keys, indicator, frame, missing_detail=missing_detail)
    # counties that have the table but no school in scope: not applicable (met)
    no_school = _not_in(out, frame)
    if no_school.any():
        out.loc[no_school, "is_met"] = True
        out.loc[no_school, "status"] = "not_applicable"
        out.loc[no_school, "detail"] = not_applicable_detail
        out.loc[no_school, "n_schools"] = 0
        out.loc[no_school, "n_schools_met"] = 0
    return out


def _not_in(out: pd.DataFrame, frame: pd.DataFrame | None) -> np.ndarray:
    if frame is None or not len(frame):
        return np.ones(len(out), dtype=bool)
    return key_positions(out, frame[["year", "county"]].drop_duplicates()) < 0


def rate_rows(
    frame: pd.DataFrame,
    numerator: Sequence[float] | np.ndarray,
    denominator: Sequence[float] | np.ndarray,
    standard_pct: float,
    *,
    gap_unit: str,
    describe: str,
    zero_denominator: str = "not_applicable",
) -> pd.DataFrame:
    """County rows of a rate ``numerator / denominator × 100`` against ``standard_pct``.

    The gap is what must be added to the numerator: ``ceil(standard × denominator) −
    numerator``. A zero denominator is not applicable (met) unless ``zero_denominator`` is
    ``missing``. ``describe`` is a format string with ``{num}``, ``{den}`` and ``{rate}``.

    >>> f = pd.DataFrame({"year": [2024], "county": ["甲县"]})
    >>> r = rate_rows(f, [835], [1400], 50, gap_unit="places", describe="{num}/{den}={rate}")
    >>> r[["value", "is_met", "detail"]].values.tolist()
    [[59.642857142857146, True, '835/1400=59.6%']]
    """
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(den > 0, 100.0 * num / np.where(den > 0, den, 1.0), np.nan)
    met = ge(value, standard_pct)
    zero = ~np.isnan(den) & (den == 0) & ~np.isnan(num)
    gap = np.where(met == 0.0, ceil_count(standard_pct / 100.0 * den - num), np.nan)
    details = [describe.format(num=fmt(a, 0), den=fmt(b, 0), rate=fmt(v, 1, "%")) for a, b, v in zip(num, den, value, strict=True)]
    out = pd.DataFrame({"year": frame["year"].to_numpy(), "county": frame["county"].to_numpy()})
    out["value"] = value
    out["standard"] = float(standard_pct)
    out["unit"] = "%"
    out["numerator"] = num
    out["denominator"] = den
    out["is_met"] = tri(met)
    out["gap"] = gap
    out["gap_unit"] = np.where(met == 0.0, gap_unit, None)
    out["detail"] = details
    if zero.any():
        if zero_denominator == "not_applicable":
            out.loc[zero, "is_met"] = True
            out.loc[zero, "status"] = "not_applicable"
            out.loc[zero, "detail"] = "分母为0（不适用）"
        else:
            out.loc[zero, "detail"] = "分母为0，无法计算"
    return out
