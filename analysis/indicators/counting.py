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

import re

import numpy as np
import pandas as pd

from analysis.dictionary import empty_frame, table_columns
from analysis.indicators.common import (
    RESOURCE_KEYS,
    indicator_info,
    indicators,
    key_positions,
    to_float,
)
from analysis.indicators.judgement import FAILS
from analysis.presentation.kinds import pass_text
from analysis.sections import load_rules
from analysis.standards import Standards

COLUMNS = tuple(table_columns("out_pass_counts"))
SCOPE_TEXT = {"all_units": "含特殊教育学校、教学点", "resource_units": "不含特殊教育学校、50人以下教学点"}


_STATES = ("met", "not_met", "missing")


def pass_sentence(n_met: int, n_units: int, n_not_met: int = 0, n_missing: int = 0,
                  scope: str = "resource_units", n_met_final: int | None = None) -> str:
    """The one sentence of an indicator's pass count, with its denominator said.

    Units without data stay in the denominator (a self-evaluation counts its schools); the
    units left out of the count are named by the scope.

    >>> pass_sentence(22, 31, 2, 7, "all_units")
    '达标22/31（71.0%），计入学校（学段）31个（含特殊教育学校、教学点）；未达标2个；数据缺失7个（计入分母）'
    >>> pass_sentence(22, 23, 1, 0, "resource_units", 23)
    '达标22/23（95.7%），计入学校（学段）23个（不含特殊教育学校、50人以下教学点）；未达标1个；认定后达标23/23（100.0%）'
    """
    text = f"达标{pass_text(n_met, n_units)}，计入学校（学段）{int(n_units):,}个（{SCOPE_TEXT[scope]}）"
    if n_not_met:
        text += f"；未达标{int(n_not_met):,}个"
    if n_missing:
        text += f"；数据缺失{int(n_missing):,}个（计入分母）"
    if n_met_final is not None and n_met_final != n_met:
        text += f"；认定后达标{pass_text(n_met_final, n_units)}"
    return text


def _codes(state: np.ndarray) -> np.ndarray:
    """0 met / 1 not met / 2 missing."""
    return np.where(state == "met", 0, np.where(state == "not_met", 1, 2)).astype(np.int64)


def _tally(keys: pd.DataFrame, pos: np.ndarray, group: np.ndarray, groups: list[tuple[str, str, str]],
           weight: np.ndarray, state: np.ndarray, final: np.ndarray) -> pd.DataFrame:
    """Units per (key, group) with bincount: ``groups[g]`` = (indicator, level, unit scope)."""
    k, g = len(keys), len(groups)
    ok = (pos >= 0) & (group >= 0)
    code = (pos * g + group)[ok]
    w = weight[ok].astype("float64")
    size = k * g
    st, fi = state[ok], final[ok]
    by_state = np.bincount(code * 3 + st, weights=w, minlength=size * 3).reshape(size, 3)
    met, fail, miss = by_state[:, 0], by_state[:, 1], by_state[:, 2]
    n = met + fail + miss
    met_f = np.bincount(code, weights=w * (fi == 0), minlength=size)
    present = np.flatnonzero(n > 0)
    kp, gp = np.divmod(present, g)
    out = pd.DataFrame({"year": keys["year"].to_numpy(dtype="int64")[kp],
                        "county": keys["county"].astype("object").to_numpy()[kp]})
    out["part"] = [indicator_info(groups[j][0])["part"] for j in gp]
    out["indicator"] = [groups[j][0] for j in gp]
    out["level"] = [groups[j][1] for j in gp]
    out["unit_scope"] = [groups[j][2] for j in gp]
    nn = n[present].astype("int64")
    out["n_units"] = nn
    out["n_units_met"] = met[present].astype("int64")
    out["n_units_not_met"] = fail[present].astype("int64")
    out["n_units_missing"] = miss[present].astype("int64")
    out["pass_pct"] = 100.0 * met[present] / nn
    out["n_units_met_final"] = met_f[present].astype("int64")
    out["pass_pct_final"] = 100.0 * met_f[present] / nn
    out["detail"] = [
        pass_sentence(m, t, f, u, sc, mf)
        for m, t, f, u, mf, sc in zip(out["n_units_met"], nn, out["n_units_not_met"], out["n_units_missing"],
                                      out["n_units_met_final"], out["unit_scope"], strict=True)]
    return out


def _state_codes(is_met: pd.Series) -> np.ndarray:
    b = is_met.astype("boolean")
    return np.where(np.asarray(b.isna(), dtype=bool), 2, np.where(np.asarray(b.fillna(False), dtype=bool), 0, 1)).astype(np.int64)


def _resource_counts(keys: pd.DataFrame, values: pd.DataFrame, all_units: set[str],
                     coded: pd.DataFrame | None = None) -> list[pd.DataFrame]:
    """``coded``: the same rows with county / section / indicator still categorical (cheap codes)."""
    if not len(values):
        return []
    src = coded if coded is not None and len(coded) == len(values) else values
    pos = key_positions(src, keys)
    ind = src["indicator"]
    ind_codes = (ind.cat.codes.to_numpy() if isinstance(ind.dtype, pd.CategoricalDtype) else None)
    cats = list(ind.cat.categories) if ind_codes is not None else None
    if ind_codes is None:
        ind_codes, uniq = pd.factorize(ind.astype("object"))
        cats = list(uniq)
    ind_codes = np.asarray(ind_codes, dtype=np.int64)
    sec = src["section"]
    if isinstance(sec.dtype, pd.CategoricalDtype):
        lut = np.array([1 if c == "primary" else 2 if c == "junior" else -1 for c in sec.cat.categories] + [-1])
        lvl = lut[sec.cat.codes.to_numpy()]
    else:
        sec = sec.astype("object").to_numpy()
        lvl = np.where(sec == "primary", 1, np.where(sec == "junior", 2, -1))
    counted = values["is_counted"].astype(bool).to_numpy()
    students = np.nan_to_num(to_float(values["students"]))
    state = _state_codes(values["is_met"])
    final = _state_codes(values["is_met_final"] if "is_met_final" in values else values["is_met"])
    groups: list[tuple[str, str, str]] = []
    code_of: dict[tuple[int, int], int] = {}
    for key in RESOURCE_KEYS:
        if key not in cats:
            continue
        scope = "all_units" if key in all_units else "resource_units"
        for li, level in enumerate(("all", "primary", "junior")):
            code_of[(cats.index(key), li)] = len(groups)
            groups.append((key, level, scope))
    every_unit = np.array([c in all_units for c in cats], dtype=bool)[ind_codes]
    use = np.where(every_unit, students > 0, counted)
    lut_all = np.full(len(cats), -1, dtype=np.int64)
    lut_lvl = np.full((len(cats), 3), -1, dtype=np.int64)
    for (ci, li), gi in code_of.items():
        lut_lvl[ci, li] = gi
    lut_all[:] = lut_lvl[:, 0]
    w = use.astype(np.int64)
    g_all = np.where(use, lut_all[ind_codes], -1)
    g_lvl = np.where(use & (lvl > 0), lut_lvl[ind_codes, np.maximum(lvl, 0)], -1)
    both_pos = np.concatenate([pos, pos])
    both_g = np.concatenate([g_all, g_lvl])
    return [_tally(keys, both_pos, both_g, groups, np.concatenate([w, w]), np.concatenate([state, state]),
                   np.concatenate([final, final]))]


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
    rules = load_rules()
    types = schools["school_type"].astype("object").to_numpy()
    p = np.nan_to_num(to_float(schools["students_primary"])) if "students_primary" in schools else 0
    j = np.nan_to_num(to_float(schools["students_junior"])) if "students_junior" in schools else 0
    small_tp = (types == "teaching_point") & ((p + j) < rules["teaching_point_min_students"])
    return ~np.isin(types, list(rules["excluded_types"])) & ~small_tp


def _school_counts(keys: pd.DataFrame, rows: pd.DataFrame, schools: pd.DataFrame | None, std: Standards,
                   all_units: set[str], section_fails: pd.DataFrame | None = None) -> list[pd.DataFrame]:
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
    final = (rows["final_status"].astype("object").to_numpy() if "final_status" in rows
             else np.where(met.isna(), "missing", np.where(met.fillna(False), "met", "not_met")))
    tmp = pd.DataFrame({"year": rows["year"].astype("int64").to_numpy(), "county": rows["county"].astype("object").to_numpy(),
                        "school_id": rows["school_id"].astype("object").to_numpy(), "indicator": ind,
                        "fail": np.asarray(met.fillna(True) == False, dtype=bool),  # noqa: E712
                        "unk": np.asarray(met.isna(), dtype=bool),
                        "ffail": np.isin(final, list(FAILS)), "funk": final == "missing"})
    g = tmp.groupby(["year", "county", "school_id", "indicator"], sort=True).any().reset_index()
    pos = sch_idx.get_indexer(pd.MultiIndex.from_arrays([g["year"].to_numpy(), g["school_id"].to_numpy()]))
    g["units"] = np.where(pos >= 0, units[np.maximum(pos, 0)], 1)
    g["resource_ok"] = np.where(pos >= 0, resource_ok[np.maximum(pos, 0)], True)
    if section_fails is not None and len(section_fails):
        # G5 is decided per section: a 九年一贯制 school with one failing section is one failing
        # unit (its 小学部 or 初中部) and one passing unit, not two failing ones
        sf = section_fails
        sec_fail = sf.loc[(sf["indicator"].astype("object") == "G5") & (sf["measure"].astype("object") == "class_size")]
        n_fail_sec = sec_fail.assign(year=sec_fail["year"].astype("int64")).groupby(
            ["year", "school_id"], observed=True)["section"].nunique()
        split = (g["indicator"] == "G5").to_numpy() & (g["units"].to_numpy() > 1) & g["fail"].to_numpy(dtype=bool)
        if split.any():
            idx = pd.MultiIndex.from_arrays([g["year"].to_numpy()[split], g["school_id"].to_numpy()[split]])
            nf = n_fail_sec.reindex(idx).fillna(0).to_numpy(dtype="int64")
            units_s = g["units"].to_numpy()[split]
            nf = np.clip(np.where(nf > 0, nf, units_s), 1, units_s)
            passing = g.loc[split].copy()
            passing["units"] = units_s - nf
            passing["fail"] = False
            passing["unk"] = False
            passing["ffail"] = False
            passing["funk"] = False
            g.loc[split, "units"] = nf
            g = pd.concat([g, passing.loc[passing["units"] > 0]], ignore_index=True)
    groups = [(key, "all", "all_units" if key in all_units else "resource_units") for key in per_school]
    gi = {key: i for i, key in enumerate(per_school)}
    group = np.array([gi.get(x, -1) for x in g["indicator"]], dtype=np.int64)
    scope_res = np.array([groups[i][2] == "resource_units" if i >= 0 else False for i in group], dtype=bool)
    group = np.where(scope_res & ~g["resource_ok"].to_numpy(dtype=bool), -1, group)
    state = np.where(g["fail"], 1, np.where(g["unk"], 2, 0)).astype(np.int64)
    fstate = np.where(g["ffail"], 1, np.where(g["funk"], 2, 0)).astype(np.int64)
    out.append(_tally(keys, key_positions(g, keys), group, groups, g["units"].to_numpy(dtype="int64"), state, fstate))
    return out


def count_passes(keys: pd.DataFrame, values: pd.DataFrame, school_rows: pd.DataFrame, schools: pd.DataFrame | None,
                 std: Standards, coded_values: pd.DataFrame | None = None,
                 section_shortfalls: pd.DataFrame | None = None) -> pd.DataFrame:
    """out_pass_counts: per county, indicator and level, the units that pass (computed and final)."""
    all_units = set(std.get("counting.all_units"))
    parts = _resource_counts(keys, values, all_units, coded_values) + _school_counts(
        keys, school_rows, schools, std, all_units, section_shortfalls)
    if not parts:
        return empty_frame("out_pass_counts")
    out = pd.concat(parts, ignore_index=True)
    out = out.loc[key_positions(out, keys) >= 0]
    rank = {k: i for i, k in enumerate(indicators())}
    lvl = {"all": 0, "primary": 1, "junior": 2}
    out = out.assign(_a=out["indicator"].map(rank), _b=out["level"].map(lvl)).sort_values(
        ["year", "county", "_a", "_b"], kind="stable").drop(columns=["_a", "_b"])
    return out[list(COLUMNS)].reset_index(drop=True)


def with_pass_counts(county_indicators: pd.DataFrame, pass_counts: pd.DataFrame) -> pd.DataFrame:
    """County rows of the per-school indicators restated from their pass count.

    A per-school indicator (G3, G5, Q4 …) is one figure wherever it is printed: its value is
    the pass share of out_pass_counts (all counted units in the denominator, units without
    data included), its numerator and denominator the units met and counted, and its detail
    opens with :func:`pass_sentence`; the names of failing and undecided schools follow.
    Status and shortfalls are unchanged.

    >>> ci = pd.DataFrame({"year": [2024], "county": ["甲县"], "indicator": ["G3"], "value": [91.3],
    ...     "numerator": [21.0], "denominator": [23.0], "n_schools": pd.array([29], dtype="Int64"),
    ...     "n_schools_met": pd.array([21], dtype="Int64"),
    ...     "detail": ["适用学校29所，达标21所（91.3%）；未达标：一中；数据缺失6所：二小等6所"]})
    >>> pc = pd.DataFrame({"year": [2024], "county": ["甲县"], "indicator": ["G3"], "level": ["all"],
    ...     "unit_scope": ["all_units"], "n_units": [31], "n_units_met": [22], "n_units_not_met": [2],
    ...     "n_units_missing": [7], "pass_pct": [100 * 22 / 31], "n_units_met_final": [22],
    ...     "detail": ["…"]})
    >>> out = with_pass_counts(ci, pc)
    >>> out.loc[0, ["value", "numerator", "denominator", "n_schools"]].round(1).tolist()
    [71.0, 22.0, 31.0, 31.0]
    >>> out.loc[0, "detail"].split("；")[0]
    '达标22/31（71.0%），计入学校（学段）31个（含特殊教育学校、教学点）'
    >>> out.loc[0, "detail"].split("；")[3:]
    ['未达标：一中', '数据缺失：二小等6所']
    """
    if not len(county_indicators) or not len(pass_counts) or "n_schools" not in county_indicators:
        return county_indicators
    top = pass_counts.loc[pass_counts["level"] == "all"]
    by_key = {(int(r.year), str(r.county), str(r.indicator)): r for r in top.itertuples(index=False)}
    out = county_indicators.copy()
    for i, row in enumerate(out.itertuples(index=False)):
        pc = by_key.get((int(row.year), str(row.county), str(row.indicator)))
        if pc is None or pd.isna(row.n_schools) or not indicator_info(str(row.indicator)).get("per_school"):
            continue
        rest = [seg for seg in str(row.detail).split("；") if "适用学校" not in seg]
        rest = [re.sub(r"^数据缺失\d+所：", "数据缺失：", seg) for seg in rest]
        sentence = pass_sentence(pc.n_units_met, pc.n_units, pc.n_units_not_met, pc.n_units_missing,
                                 pc.unit_scope, pc.n_units_met_final)
        out.iloc[i, out.columns.get_loc("value")] = float(pc.pass_pct)
        out.iloc[i, out.columns.get_loc("numerator")] = float(pc.n_units_met)
        out.iloc[i, out.columns.get_loc("denominator")] = float(pc.n_units)
        out.iloc[i, out.columns.get_loc("n_schools")] = int(pc.n_units)
        out.iloc[i, out.columns.get_loc("n_schools_met")] = int(pc.n_units_met)
        out.iloc[i, out.columns.get_loc("detail")] = "；".join([sentence, *rest])
    return out
