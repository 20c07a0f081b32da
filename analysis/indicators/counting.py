"""Pass counts as self-evaluations print them: units that meet each indicator.

The 万盛 2025 self-evaluation (seeds/002) prints, per indicator, how many of its units pass:
L1-L7 over 23 units "不含1所特殊教育学校、2个50人以下教学点" (L3 22/23 = 95.7 %, L5 18/23 =
78.3 %), G3 / G5 / G9 / Q4 over all 26 units "包含1所特殊教育学校、2个50人以下教学点" (G3 24/26,
G5 22/26). A unit is a school, except that a 九年一贯制 school counts as its 小学部 and 初中部.

Which indicators count every unit is ``counting.all_units`` of the standards; the others count
the resource units (the school sections counted for L1-L7). Pass shares are over all units
counted, undecided ones included (a self-evaluation's denominator is its number of schools).

Examples
--------
>>> from analysis.indicators.evaluation import evaluate, example_inputs
>>> pc = evaluate(example_inputs()).pass_counts
>>> pc.loc[pc["indicator"] == "L5", ["level", "n_units", "n_units_met", "pass_pct"]].values.tolist()[0]
['all', 3, 2, 66.66666666666667]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.dictionary import empty_frame, table_columns
from analysis.indicators._base import RESOURCE_KEYS, fmt, indicator_info, indicators, key_positions, to_float
from analysis.indicators.judgement import FAILS
from analysis.standards import Standards

COLUMNS = tuple(table_columns("out_pass_counts"))
SCOPE_TEXT = {"all_units": "含特殊教育学校、教学点", "resource_units": "不含特殊教育学校、50人以下教学点"}


def _rows(frame: pd.DataFrame, indicator: str, level: str, scope: str, weight: np.ndarray,
          state: np.ndarray, final: np.ndarray) -> pd.DataFrame:
    """Sum units per (year, county): state / final are 'met' / 'not_met' / 'missing'."""
    tmp = pd.DataFrame({"year": frame["year"].astype("int64").to_numpy(),
                        "county": frame["county"].astype("object").to_numpy(),
                        "n": weight, "met": weight * (state == "met"), "fail": weight * (state == "not_met"),
                        "miss": weight * (state == "missing"), "met_f": weight * (final == "met")})
    g = tmp.groupby(["year", "county"], sort=True).sum().reset_index()
    n = g["n"].to_numpy(dtype="int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(n > 0, 100.0 * g["met"].to_numpy(dtype="float64") / np.where(n > 0, n, 1), np.nan)
        pct_f = np.where(n > 0, 100.0 * g["met_f"].to_numpy(dtype="float64") / np.where(n > 0, n, 1), np.nan)
    out = g[["year", "county"]].copy()
    out["part"] = indicator_info(indicator)["part"]
    out["indicator"] = indicator
    out["level"] = level
    out["unit_scope"] = scope
    out["n_units"] = n
    out["n_units_met"] = g["met"].to_numpy(dtype="int64")
    out["n_units_not_met"] = g["fail"].to_numpy(dtype="int64")
    out["n_units_missing"] = g["miss"].to_numpy(dtype="int64")
    out["pass_pct"] = pct
    out["n_units_met_final"] = g["met_f"].to_numpy(dtype="int64")
    out["pass_pct_final"] = pct_f
    out["detail"] = [
        f"达标{m}个/共{t}个（{fmt(p, 1, '%')}，{SCOPE_TEXT[scope]}）"
        + (f"；未达标{f}个" if f else "") + (f"；数据缺失{u}个" if u else "")
        + (f"；认定后达标{mf}个（{fmt(pf, 1, '%')}）" if mf != m else "")
        for m, t, p, f, u, mf, pf in zip(out["n_units_met"], n, pct, out["n_units_not_met"], out["n_units_missing"],
                                         out["n_units_met_final"], pct_f, strict=True)]
    return out


def _state(is_met: pd.Series) -> np.ndarray:
    b = is_met.astype("boolean")
    return np.where(b.isna(), "missing", np.where(b.fillna(False), "met", "not_met")).astype(object)


def _resource_counts(values: pd.DataFrame, all_units: set[str]) -> list[pd.DataFrame]:
    out = []
    if not len(values):
        return out
    ind = values["indicator"].astype("object").to_numpy()
    counted = values["is_counted"].astype(bool).to_numpy()
    students = to_float(values["students"])
    final_col = values["is_met_final"] if "is_met_final" in values else values["is_met"]
    for key in RESOURCE_KEYS:
        scope = "all_units" if key in all_units else "resource_units"
        mask = (ind == key) & (counted if scope == "resource_units" else np.nan_to_num(students) > 0)
        if not mask.any():
            continue
        sub = values.loc[mask]
        state, final = _state(sub["is_met"]), _state(final_col.loc[mask])
        w = np.ones(len(sub), dtype="int64")
        out.append(_rows(sub, key, "all", scope, w, state, final))
        secs = sub["section"].astype("object").to_numpy()
        for lvl in ("primary", "junior"):
            m = secs == lvl
            if m.any():
                out.append(_rows(sub.loc[m], key, lvl, scope, w[m], state[m], final[m]))
    return out


def school_units(schools: pd.DataFrame, std: Standards) -> np.ndarray:
    """Units each school counts as: its compulsory sections with students for the types of
    ``counting.per_section_types`` (九年一贯制: 小学部 + 初中部), else 1.

    >>> from analysis.standards import load_standards
    >>> s = pd.DataFrame({"school_type": ["nine_year", "primary", "nine_year"],
    ...     "students_primary": [600, 300, 200], "students_junior": [400, None, 0]})
    >>> school_units(s, load_standards()).tolist()
    [2, 1, 1]
    """
    types = schools["school_type"].astype("object").to_numpy() if "school_type" in schools else np.full(len(schools), None)
    split = np.isin(types, std.get("counting.per_section_types"))
    p = np.nan_to_num(to_float(schools["students_primary"])) if "students_primary" in schools else np.zeros(len(schools))
    j = np.nan_to_num(to_float(schools["students_junior"])) if "students_junior" in schools else np.zeros(len(schools))
    n_sec = (p > 0).astype("int64") + (j > 0).astype("int64")
    return np.where(split, np.maximum(n_sec, 1), 1).astype("int64")


def _resource_unit_school(schools: pd.DataFrame) -> np.ndarray:
    """Schools counted for L1-L7 (no special / vocational schools, no teaching points under 50)."""
    from analysis.sections import load_rules

    rules = load_rules()
    types = schools["school_type"].astype("object").to_numpy()
    p = np.nan_to_num(to_float(schools["students_primary"])) if "students_primary" in schools else 0
    j = np.nan_to_num(to_float(schools["students_junior"])) if "students_junior" in schools else 0
    small_tp = (types == "teaching_point") & ((p + j) < rules["teaching_point_min_students"])
    return ~np.isin(types, list(rules["excluded_types"])) & ~small_tp


def _school_counts(rows: pd.DataFrame, schools: pd.DataFrame | None, std: Standards, all_units: set[str]) -> list[pd.DataFrame]:
    out = []
    if not len(rows) or schools is None or not len(schools):
        return out
    sch = schools.assign(year=schools["year"].astype("int64"))
    sch_idx = pd.MultiIndex.from_arrays([sch["year"].to_numpy(), sch["school_id"].astype("object").to_numpy()])
    units = school_units(sch, std)
    resource_ok = _resource_unit_school(sch)
    present = set(rows["indicator"].astype("object"))
    per_school = [k for k, v in indicators().items() if k in present and v["part"] != "resource"]
    ind = rows["indicator"].astype("object").to_numpy()
    met = rows["is_met"].astype("boolean")
    final = rows["final_status"].astype("object").to_numpy() if "final_status" in rows else _state(met)
    tmp = pd.DataFrame({"year": rows["year"].astype("int64").to_numpy(), "county": rows["county"].astype("object").to_numpy(),
                        "school_id": rows["school_id"].astype("object").to_numpy(), "indicator": ind,
                        "fail": np.asarray(met.fillna(True) == False, dtype=bool),  # noqa: E712
                        "unk": np.asarray(met.isna(), dtype=bool),
                        "ffail": np.isin(final, list(FAILS)), "funk": final == "missing"})
    g = tmp.groupby(["year", "county", "school_id", "indicator"], sort=True).any().reset_index()
    pos = sch_idx.get_indexer(pd.MultiIndex.from_arrays([g["year"].to_numpy(), g["school_id"].to_numpy()]))
    g["units"] = np.where(pos >= 0, units[np.maximum(pos, 0)], 1)
    g["resource_ok"] = np.where(pos >= 0, resource_ok[np.maximum(pos, 0)], True)
    for key in per_school:
        sub = g.loc[g["indicator"] == key]
        if not len(sub):
            continue
        scope = "all_units" if key in all_units else "resource_units"
        if scope == "resource_units":
            sub = sub.loc[sub["resource_ok"].to_numpy(dtype=bool)]
            if not len(sub):
                continue
        state = np.where(sub["fail"], "not_met", np.where(sub["unk"], "missing", "met")).astype(object)
        fstate = np.where(sub["ffail"], "not_met", np.where(sub["funk"], "missing", "met")).astype(object)
        out.append(_rows(sub, key, "all", scope, sub["units"].to_numpy(dtype="int64"), state, fstate))
    return out


def count_passes(keys: pd.DataFrame, values: pd.DataFrame, school_rows: pd.DataFrame, schools: pd.DataFrame | None,
                 std: Standards) -> pd.DataFrame:
    """out_pass_counts: per county, indicator and level, the units that pass (computed and final)."""
    all_units = set(std.get("counting.all_units"))
    parts = _resource_counts(values, all_units) + _school_counts(school_rows, schools, std, all_units)
    if not parts:
        return empty_frame("out_pass_counts")
    out = pd.concat(parts, ignore_index=True)
    out = out.loc[key_positions(out, keys) >= 0]
    rank = {k: i for i, k in enumerate(indicators())}
    lvl = {"all": 0, "primary": 1, "junior": 2}
    out = out.assign(_a=out["indicator"].map(rank), _b=out["level"].map(lvl)).sort_values(
        ["year", "county", "_a", "_b"], kind="stable").drop(columns=["_a", "_b"])
    return out[list(COLUMNS)].reset_index(drop=True)
