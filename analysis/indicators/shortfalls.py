"""What is missing to pass: county totals of the shortfalls.

The per-school shortfalls themselves are produced where each standard is evaluated
(:mod:`analysis.indicators.resource` for L1-L7, :mod:`analysis.indicators.guarantee` and
:mod:`analysis.indicators.quality` for the per-school guarantee and quality measures). This
module adds them up per county, indicator and unit, and adds the county-level gaps (teacher
pay, exchange, high-school places, migrant children, retention, survey).

Examples
--------
>>> sf = pd.DataFrame({"year": 2024, "county": "甲县", "school_id": ["1", "2", "2"],
...     "indicator": ["L1", "L1", "L5"], "measure": "value", "gap": [2.0, 3.0, 150.5],
...     "gap_unit": ["teachers", "teachers", "m2"], "is_blocking": pd.array([True, False, False])})
>>> t = shortfall_totals(sf, None, None)
>>> t[["indicator", "n_schools", "n_blocking", "gap"]].values.tolist()
[['L1', 2, 1, 5.0], ['L5', 1, 0, 150.5]]
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from analysis.dictionary import empty_frame, table_columns, value_label
from analysis.indicator_catalog import on_reload
from analysis.indicators.common import indicator_label, indicators

TOTAL_COLUMNS = tuple(table_columns("out_shortfall_totals"))


def _order(frame: pd.DataFrame) -> pd.DataFrame:
    rank = {k: i for i, k in enumerate(indicators())}
    f = frame.assign(_o=frame["indicator"].astype("object").map(rank))
    return f.sort_values(["year", "county", "_o", "measure", "gap_unit"], kind="stable").drop(columns="_o")


def _school_totals(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    if frame is None or not len(frame):
        return None
    f = frame[["year", "county", "indicator", "measure", "gap_unit"]].assign(
        gap=pd.to_numeric(frame["gap"], errors="coerce"),
        blocking=(frame["is_blocking"].astype("boolean").fillna(False).to_numpy(dtype=bool)
                  if "is_blocking" in frame else np.ones(len(frame), dtype=bool)))
    f["gap_unit"] = f["gap_unit"].fillna("")
    keys = ["year", "county", "indicator", "measure", "gap_unit"]
    # one row per school (section) and measure: counting rows counts schools (sections)
    out = f.assign(n_schools=1).groupby(keys, sort=True, observed=True).agg(
        n_schools=("n_schools", "sum"), n_blocking=("blocking", "sum"), gap=("gap", "sum")).reset_index()
    out["n_blocking"] = out["n_blocking"].astype("int64")
    out["gap_unit"] = out["gap_unit"].replace("", None)
    return out


def shortfall_totals(
    shortfalls: pd.DataFrame | None,
    school_shortfalls: pd.DataFrame | None,
    county_indicators: pd.DataFrame | None,
) -> pd.DataFrame:
    """out_shortfall_totals from the section-level and school-level shortfalls and the
    county indicators' own gaps (for indicators without per-school rows).

    Parameters
    ----------
    shortfalls : out_shortfalls rows (L1-L7, G5).
    school_shortfalls : out_school_shortfalls rows (G3, G4, G6, G7, G9, G12, Q4, Q8).
    county_indicators : out_county_indicators rows.
    """
    parts = [p for p in (_school_totals(shortfalls), _school_totals(school_shortfalls)) if p is not None]
    schools = pd.concat(parts, ignore_index=True) if parts else None
    rows = [schools] if schools is not None else []
    if county_indicators is not None and len(county_indicators):
        ci = county_indicators.loc[county_indicators["gap"].notna()]
        if schools is not None and len(ci):
            have = pd.MultiIndex.from_frame(schools[["year", "county", "indicator"]].astype({"county": "object"}))
            mine = pd.MultiIndex.from_frame(ci[["year", "county", "indicator"]].astype({"county": "object", "indicator": "object"}))
            ci = ci.loc[~np.asarray(mine.isin(have))]
        if len(ci):
            rows.append(pd.DataFrame({
                "year": ci["year"].to_numpy(), "county": ci["county"].astype("object").to_numpy(),
                "indicator": ci["indicator"].astype("object").to_numpy(), "measure": "value",
                "gap_unit": ci["gap_unit"].astype("object").to_numpy(), "n_schools": pd.NA, "n_blocking": pd.NA,
                "gap": ci["gap"].to_numpy(dtype="float64")}))
    if not rows:
        return empty_frame("out_shortfall_totals")
    out = pd.concat(rows, ignore_index=True)
    parts = {k: v["part"] for k, v in indicators().items()}
    out["part"] = out["indicator"].astype("object").map(parts)
    out["n_schools"] = pd.array(pd.to_numeric(out["n_schools"]), dtype="Int64")
    out["n_blocking"] = pd.array(pd.to_numeric(out["n_blocking"]), dtype="Int64")
    out["detail"] = [_describe(k, u, n, b, g) for k, u, n, b, g in
                     zip(out["indicator"].tolist(), out["gap_unit"].tolist(),
                         out["n_schools"].astype("float64").tolist(), out["n_blocking"].astype("float64").tolist(),
                         out["gap"].tolist(), strict=True)]
    return _order(out)[list(TOTAL_COLUMNS)].reset_index(drop=True)


@functools.cache
def _unit_text(unit: str) -> str:
    return value_label("gap_unit", unit)


@on_reload
@functools.cache
def _head(indicator: str) -> str:
    return f"{indicator} {indicator_label(indicator, short=True)}"


_WHOLE_UNITS = ("teachers", "rooms", "students", "children", "places", "questionnaires", "yuan", "yuan_per_teacher")


def _describe(indicator: str, unit: object, n: float, blocking: float, gap: float) -> str:
    unit_text = _unit_text(unit) if isinstance(unit, str) else ""
    amount = f"{gap:,.0f}" if unit in _WHOLE_UNITS else f"{gap:,.1f}"
    head = _head(indicator)
    if n != n:  # county-level gap (no schools)
        return f"{head}：缺口{amount}（{unit_text}）"
    text = f"{head}：{int(n)}所学校（学段）未达标，合计缺口{amount}（{unit_text}）"
    if blocking == blocking and int(blocking) != int(n):
        text += f"，其中{int(blocking)}所影响达标"
    return text
