"""Education quality (教育质量): Q1-Q9.

Q1 (junior three-year retention) and Q2 (disabled children's enrolment) are county rates;
Q4 (training funds >= 5 % of the public-funds budget) and Q8 (daily hours in school) are
per school; Q3, Q5-Q7 and Q9 are attested.

Examples
--------
The 2024 figures of 重庆万盛经开区 (seeds/002): 2026 graduates from 2046 grade-7 students,
47 transferred in, 49 out, 2 deaths:

>>> keys = pd.DataFrame({"year": [2024], "county": ["万盛经开区"]})
>>> flows = pd.DataFrame({"county": ["万盛经开区"], "graduation_year": [2024],
...     "grade7_students_3y_before": [2046], "transfers_in": [47], "transfers_out": [49],
...     "deaths": [2], "suspended": [35], "resumed": [19], "graduates": [2026]})
>>> q1 = q1_retention(keys, flows, load_standards())
>>> round(float(q1["value"].iloc[0]), 1), q1["status"].iloc[0]
(99.2, 'met')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.indicators._base import MISSING, fmt, ge, le, to_float
from analysis.indicators._rows import (
    aggregate_schools,
    county_rows,
    measure_rows,
    rate_rows,
    school_rows,
)
from analysis.indicators.guarantee import PartFrames, _col, _in_keys, _types, attested_rows
from analysis.standards import Standards, load_standards  # noqa: F401  (doctest)

#: School types whose budgets Q4 looks at (compulsory-education schools).
_Q4_EXCLUDED_TYPES = ("vocational",)


def retention_rate(graduates, grade7, transfers_in, transfers_out, deaths) -> np.ndarray:
    """Junior three-year retention in percent: graduates ÷ (grade 7 + in − out − deaths).

    >>> round(float(retention_rate(2026, 2046, 47, 49, 2)), 2)
    99.22
    """
    den = np.asarray(grade7, dtype="float64") + np.asarray(transfers_in, dtype="float64") \
        - np.asarray(transfers_out, dtype="float64") - np.asarray(deaths, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 100.0 * np.asarray(graduates, dtype="float64") / np.where(den > 0, den, 1.0), np.nan)


def q1_retention(keys: pd.DataFrame, flows: pd.DataFrame | None, std: Standards) -> pd.DataFrame:
    """Q1 from core_cohort_flows: the cohort graduating in the evaluated year.

    Missing transfers or deaths count as 0 (and the detail says so); a missing graduate or
    grade-7 count leaves the indicator missing.
    """
    f = _in_keys(flows, keys, year_col="graduation_year")
    missing = f"{MISSING}：无当年初中毕业生及三年前初一在校生数"
    if f is None:
        return county_rows(keys, "Q1", None, missing_detail=missing)
    f = f.loc[f["graduates"].notna() & f["grade7_students_3y_before"].notna()].reset_index(drop=True)
    grads = to_float(f["graduates"])
    g7 = to_float(f["grade7_students_3y_before"])
    parts = {c: to_float(f[c]) if c in f else np.full(len(f), np.nan) for c in ("transfers_in", "transfers_out", "deaths")}
    gaps_filled = np.isnan(parts["transfers_in"]) | np.isnan(parts["transfers_out"]) | np.isnan(parts["deaths"])
    tin, tout, dead = (np.nan_to_num(parts[c]) for c in ("transfers_in", "transfers_out", "deaths"))
    den = g7 + tin - tout - dead
    data = rate_rows(f, grads, den, float(std.get("quality.Q1.min_rate_pct")), gap_unit="students",
                     describe="毕业生{num}人 ÷ 应巩固学生{den}人 = {rate}", zero_denominator="missing")
    data["detail"] = [f"{y}年初中毕业生{fmt(a, 0)}人 ÷（三年前初一在校生{fmt(b, 0)} + 转入{fmt(c, 0)} − 转出{fmt(d, 0)} − 死亡{fmt(e, 0)}）= {fmt(r, 1, '%')}"
                      + ("；转入/转出/死亡缺失按0计" if gf else "")
                      for y, a, b, c, d, e, r, gf in zip(f["year"], grads, g7, tin, tout, dead, data["value"], gaps_filled, strict=True)]
    return county_rows(keys, "Q1", data, missing_detail=missing)


def q2_disabled_enrolment(keys: pd.DataFrame, figures: pd.DataFrame | None, std: Standards) -> pd.DataFrame:
    """Q2: disabled children enrolled ÷ disabled children of school age.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> q2_disabled_enrolment(keys, inp["core_county_figures"], load_standards())[["value", "status"]].values.tolist()
    [[100.0, 'met']]
    """
    fig = _in_keys(figures, keys)
    if fig is None or "disabled_children" not in fig or "disabled_children_enrolled" not in fig:
        return county_rows(keys, "Q2", None)
    fig = fig.loc[fig["disabled_children"].notna() & fig["disabled_children_enrolled"].notna()]
    data = rate_rows(fig, to_float(fig["disabled_children_enrolled"]), to_float(fig["disabled_children"]),
                     float(std.get("quality.Q2.min_rate_pct")), gap_unit="children",
                     describe="残疾儿童少年{den}人，入学（含特教学校、随班就读、送教上门）{num}人，入学率{rate}")
    return county_rows(keys, "Q2", data, missing_detail=f"{MISSING}：无残疾儿童少年入学数据")


def q4_training_funds(keys: pd.DataFrame, schools: pd.DataFrame | None, std: Standards) -> PartFrames:
    """Q4: every school spends >= 5 % of its public-funds budget on teacher training.

    Teaching points reported under a parent school without a budget of their own are
    funded through the parent and left out.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> q4_training_funds(keys, inp["core_schools"], load_standards()).county[0][["n_schools_met", "status"]].values.tolist()
    [[3, 'met']]
    """
    res = PartFrames()
    if schools is None or "public_funds_budget_yuan" not in schools:
        res.county.append(county_rows(keys, "Q4", None))
        return res
    minimum = float(std.get("quality.Q4.min_share_pct"))
    budget_all = _col(schools, "public_funds_budget_yuan")
    counted = schools["is_counted_school"].astype("boolean").fillna(True).to_numpy(dtype=bool) \
        if "is_counted_school" in schools else np.ones(len(schools), bool)
    keep = ~np.isin(_types(schools), _Q4_EXCLUDED_TYPES) & (counted | ~np.isnan(budget_all))
    scope = schools.loc[keep].reset_index(drop=True)
    budget = _col(scope, "public_funds_budget_yuan")
    training = _col(scope, "teacher_training_funds_yuan")
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(budget > 0, 100.0 * training / np.where(budget > 0, budget, 1.0), np.nan)
    met = ge(share, minimum)
    detail = [f"公用经费预算{fmt(b / 1e4, 2)}万元，教师培训经费{fmt(t / 1e4, 2)}万元，占{fmt(s, 1, '%')}"
              for b, t, s in zip(budget, training, share, strict=True)]
    frame = school_rows(scope, "Q4", "training_funds_share", value=share, standard=minimum, is_met=met,
                        gap=np.where(met == 0.0, minimum / 100.0 * budget - training, np.nan), gap_unit="yuan",
                        unit="%", detail=detail)
    res.schools.append(frame)
    res.county.append(aggregate_schools(keys, "Q4", frame, gap_unit="yuan"))
    known = ~np.isnan(budget) & ~np.isnan(training)
    if known.any():
        tmp = pd.DataFrame({"year": scope["year"].astype("int64").to_numpy(), "county": scope["county"].astype("object").to_numpy(),
                            "b": np.where(known, budget, 0.0), "t": np.where(known, training, 0.0)})
        agg = tmp.groupby(["year", "county"], sort=True).sum().reset_index()
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.where(agg["b"] > 0, 100.0 * agg["t"] / agg["b"].where(agg["b"] > 0, 1.0), np.nan)
        res.measures.append(measure_rows(agg, "Q4", "training_funds_share", value=v, standard=minimum, unit="%",
                                         numerator=agg["t"], denominator=agg["b"], is_met=ge(v, minimum),
                                         detail="全县合计（参考）"))
    return res


def q8_daily_hours(keys: pd.DataFrame, schools: pd.DataFrame | None, std: Standards) -> PartFrames:
    """Q8: students' daily hours in school within 6 h (primary) / 7 h (junior), per school.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> q8_daily_hours(keys, inp["core_schools"], load_standards()).county[0]["status"].tolist()
    ['met']
    """
    res = PartFrames()
    if schools is None or "daily_hours_in_school" not in schools:
        res.county.append(county_rows(keys, "Q8", None))
        return res
    cfg = std.get("quality.Q8")
    sec_of = cfg["section_of_type"]
    scope = schools.loc[np.isin(_types(schools), list(sec_of))].reset_index(drop=True)
    limit = np.array([float(cfg["max_daily_hours"][sec_of[t]]) for t in _types(scope)]) if len(scope) else np.zeros(0)
    hours = _col(scope, "daily_hours_in_school")
    met = le(hours, limit)
    detail = [f"每日在校{fmt(h, 1)}小时，上限{fmt(m, 0)}小时" for h, m in zip(hours, limit, strict=True)]
    frame = school_rows(scope, "Q8", "daily_hours", value=hours, standard=limit, is_met=met,
                        gap=np.where(met == 0.0, hours - limit, np.nan), gap_unit="hours", unit="小时", detail=detail)
    res.schools.append(frame)
    res.county.append(aggregate_schools(keys, "Q8", frame, gap_unit="hours"))
    return res


def evaluate_quality(keys: pd.DataFrame, inputs: dict[str, pd.DataFrame | None], std: Standards) -> PartFrames:
    """All of Q1-Q9 for the counties of ``keys``.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> tables = {"schools": inp["core_schools"], "core_cohort_flows": inp["core_cohort_flows"],
    ...           "core_county_figures": inp["core_county_figures"], "core_attestations": inp["core_attestations"]}
    >>> pd.concat(evaluate_quality(keys, tables, load_standards()).county)["status"].eq("met").all()
    np.True_
    """
    schools = inputs.get("schools")
    att = inputs.get("core_attestations")
    res = PartFrames()
    res.county.append(q1_retention(keys, inputs.get("core_cohort_flows"), std))
    res.county.append(q2_disabled_enrolment(keys, inputs.get("core_county_figures"), std))
    res.county.extend(attested_rows(keys, att, ["Q3"]))
    res.extend(q4_training_funds(keys, schools, std))
    res.county.extend(attested_rows(keys, att, ["Q5", "Q6", "Q7"]))
    res.extend(q8_daily_hours(keys, schools, std))
    res.county.extend(attested_rows(keys, att, ["Q9"]))
    return res
