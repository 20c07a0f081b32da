"""Education quality (教育质量): the Q indicators of ``analysis/data/indicators.yaml``.

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

from analysis.dictionary import value_labels
from analysis.indicator_catalog import indicator
from analysis.indicators.common import MISSING, SECTION_LABELS, fmt, ge, key_positions, le, to_float
from analysis.indicators.parts import (
    ATTESTATION_MISSING,
    PartFrames,
    attested_rows,
    column_values,
    rows_in_keys,
    school_type_codes,
)
from analysis.indicators.registry import evaluate_part, register
from analysis.indicators.rows import (
    aggregate_schools,
    county_rows,
    measure_rows,
    rate_rows,
    school_rows,
)
from analysis.indicators.sources import missing_text
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


@register("Q1")
def q1_retention(keys: pd.DataFrame, flows: pd.DataFrame | None, std: Standards) -> pd.DataFrame:
    """Q1 from core_cohort_flows: the cohort graduating in the evaluated year.

    Missing transfers or deaths count as 0 (and the detail says so); a missing graduate or
    grade-7 count leaves the indicator missing.
    """
    f = rows_in_keys(flows, keys, year_col="graduation_year")
    missing = indicator("Q1").missing_detail
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


#: Q2 channels: column of core_county_figures -> measure key and Chinese name.
Q2_CHANNELS: dict[str, tuple[str, str]] = {
    "disabled_in_special_schools": ("special_school", "特殊教育学校就读"),
    "disabled_in_regular_classes": ("regular_class", "随班就读"),
    "disabled_home_delivery": ("home_delivery", "送教上门"),
}


def q2_disabled_enrolment(keys: pd.DataFrame, figures: pd.DataFrame | None, std: Standards) -> pd.DataFrame:
    """Q2 county rows (see :func:`q2_with_channels`, which also gives the channel measures).

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> q2_disabled_enrolment(keys, inp["core_county_figures"], load_standards())[["value", "status"]].values.tolist()
    [[100.0, 'met']]
    """
    return q2_with_channels(keys, figures, std).county[0]


@register("Q2")
def q2_with_channels(keys: pd.DataFrame, figures: pd.DataFrame | None, std: Standards) -> PartFrames:
    """Q2: disabled children enrolled ÷ disabled children of school age.

    The enrolled count is the county's figure, or the sum of its three channels
    (特殊教育学校就读 / 随班就读 / 送教上门) when only those are given; the channels, with
    their shares of the enrolled, are shown in the detail and as measures, and a sum that
    differs from the enrolled figure is pointed out.

    The 2024 figures of 重庆万盛经开区 (seeds/002): 194 children, 59 + 94 + 41 enrolled:

    >>> keys = pd.DataFrame({"year": [2024], "county": ["万盛经开区"]})
    >>> fig = pd.DataFrame({"county": ["万盛经开区"], "year": [2024], "disabled_children": [194],
    ...     "disabled_in_special_schools": [59], "disabled_in_regular_classes": [94], "disabled_home_delivery": [41]})
    >>> res = q2_with_channels(keys, fig, load_standards())
    >>> res.county[0][["value", "status"]].values.tolist()
    [[100.0, 'met']]
    >>> print(res.county[0]["detail"].iloc[0])
    残疾儿童少年194人，入学194人（特殊教育学校就读59人、占30.4%，随班就读94人、占48.5%，送教上门41人、占21.1%），入学率100.0%
    """
    res = PartFrames()
    missing = indicator("Q2").missing_detail
    fig = rows_in_keys(figures, keys)
    if fig is None or "disabled_children" not in fig:
        res.county.append(county_rows(keys, "Q2", None, missing_detail=missing))
        return res
    chans = {c: column_values(fig, c) for c in Q2_CHANNELS}
    stacked = np.vstack(list(chans.values()))
    any_chan = ~np.isnan(stacked).all(axis=0)
    all_chan = ~np.isnan(stacked).any(axis=0)
    chan_sum = np.where(any_chan, np.nansum(stacked, axis=0), np.nan)
    given = column_values(fig, "disabled_children_enrolled")
    # the channels stand in for the enrolled count only when all three are given
    enrolled = np.where(np.isnan(given) & all_chan, chan_sum, given)
    total = column_values(fig, "disabled_children")
    keep = ~np.isnan(total) & ~np.isnan(enrolled)
    if not keep.any():
        partial = np.where(any_chan & ~all_chan & np.isnan(given))[0]
        detail = missing if not len(partial) else f"{MISSING}：无残疾儿童少年入学数（三类就读方式未填全）"
        res.county.append(county_rows(keys, "Q2", None, missing_detail=detail))
        return res
    f = fig.loc[keep].reset_index(drop=True)
    data = rate_rows(f, enrolled[keep], total[keep], float(std.get("quality.Q2.min_rate_pct")), gap_unit="children",
                     describe="")
    details = []
    for i, (t, e, g, s_, a_any) in enumerate(zip(total[keep], enrolled[keep], given[keep], chan_sum[keep], any_chan[keep],
                                                  strict=True)):
        words = []
        for c, (_, name) in Q2_CHANNELS.items():
            x = chans[c][keep][i]
            if not np.isnan(x):
                words.append(f"{name}{fmt(x, 0)}人、占{fmt(100.0 * x / e if e > 0 else np.nan, 1, '%')}")
            elif a_any:
                words.append(f"{name}未填")
        chan_text = f"（{'，'.join(words)}）" if a_any else "（含特教学校、随班就读、送教上门）"
        text = f"残疾儿童少年{fmt(t, 0)}人，入学{fmt(e, 0)}人{chan_text}，入学率{fmt(data['value'].iloc[i], 1, '%')}"
        if a_any and not np.isnan(g) and s_ != g:
            text += f"；三类就读方式合计{fmt(s_, 0)}人，与入学数{fmt(g, 0)}人不一致，请核实"
        details.append(text)
    data["detail"] = details
    zero = (total[keep] == 0)
    if zero.any():
        data.loc[zero, "detail"] = "无适龄残疾儿童少年（不适用）"
    res.county.append(county_rows(keys, "Q2", data, missing_detail=missing))
    for c, (measure, _) in Q2_CHANNELS.items():
        x = chans[c][keep]
        has = ~np.isnan(x)
        if has.any():
            e = enrolled[keep][has]
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(e > 0, 100.0 * x[has] / np.where(e > 0, e, 1.0), np.nan)
            res.measures.append(measure_rows(f.loc[has], "Q2", measure, value=share, unit="%",
                                             numerator=x[has], denominator=e))
    return res


@register("Q4")
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
    budget_all = column_values(schools, "public_funds_budget_yuan")
    counted = schools["is_counted_school"].astype("boolean").fillna(True).to_numpy(dtype=bool) \
        if "is_counted_school" in schools else np.ones(len(schools), bool)
    keep = ~np.isin(school_type_codes(schools), _Q4_EXCLUDED_TYPES) & (counted | ~np.isnan(budget_all))
    scope = schools.loc[keep].reset_index(drop=True)
    budget = column_values(scope, "public_funds_budget_yuan")
    training = column_values(scope, "teacher_training_funds_yuan")
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


@register("Q8")
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
    scope = schools.loc[np.isin(school_type_codes(schools), list(sec_of))].reset_index(drop=True)
    limit = np.array([float(cfg["max_daily_hours"][sec_of[t]]) for t in school_type_codes(scope)]) if len(scope) else np.zeros(0)
    hours = column_values(scope, "daily_hours_in_school")
    met = le(hours, limit)
    detail = [f"每日在校{fmt(h, 1)}小时，上限{fmt(m, 0)}小时" for h, m in zip(hours, limit, strict=True)]
    frame = school_rows(scope, "Q8", "daily_hours", value=hours, standard=limit, is_met=met,
                        gap=np.where(met == 0.0, hours - limit, np.nan), gap_unit="hours", unit="小时", detail=detail)
    res.schools.append(frame)
    res.county.append(aggregate_schools(keys, "Q8", frame, gap_unit="hours"))
    return res


_LEVEL_WORDS = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}


def _latest_monitoring(keys: pd.DataFrame, monitoring: pd.DataFrame | None) -> pd.DataFrame | None:
    """Per evaluated (year, county): the rows of the county's latest monitoring year up to the
    evaluated year (a county is not monitored every year), with ``eval_year``."""
    if monitoring is None or not len(monitoring):
        return None
    m = monitoring.assign(year=monitoring["year"].astype("int64"), county=monitoring["county"].astype("object"))
    parts = []
    for y, c in zip(keys["year"].to_numpy(dtype="int64"), keys["county"].astype("object"), strict=True):
        sub = m.loc[(m["county"] == c) & (m["year"] <= y)]
        if len(sub):
            parts.append(sub.loc[sub["year"] == sub["year"].max()].assign(eval_year=int(y)))
    return pd.concat(parts, ignore_index=True) if parts else None


@register("Q9")
def q9_monitoring(keys: pd.DataFrame, monitoring: pd.DataFrame | None, attestations: pd.DataFrame | None,
                  std: Standards) -> PartFrames:
    """Q9 from the quality monitoring (质量监测): every monitored subject of every section has
    an inter-school difference rate within 0.15 and an achievement level of III or above.

    The latest monitoring up to the evaluated year is used (the year is named in the detail).
    Counties without monitoring rows keep the attested yes/no; where both exist the
    monitoring wins and the attestation is noted. A subject without a level (or a rate) leaves
    Q9 undecided unless another subject fails. Each subject is a measure
    (``primary_english`` …: the difference rate, its level in the detail).

    重庆万盛经开区 (seeds/002) reported its 2022 monitoring in its 2025 self-evaluation:

    >>> keys = pd.DataFrame({"year": [2024], "county": ["万盛经开区"]})
    >>> mon = pd.DataFrame({"county": "万盛经开区", "year": 2022, "section": ["primary", "primary", "junior"],
    ...     "monitored_subject": ["chinese", "english", "math"], "difference_rate": [0.06, 0.21, 0.10],
    ...     "achievement_level": ["3", "3", "4"]})
    >>> res = q9_monitoring(keys, mon, None, load_standards())
    >>> res.county[0][["value", "status", "is_attested"]].values.tolist()
    [[0.21, 'not_met', False]]
    >>> print(res.county[0]["detail"].iloc[0])
    2022年质量监测：未达标：小学英语（差异率0.21，高于0.15）；小学语文差异率0.06、水平Ⅲ；小学英语差异率0.21、水平Ⅲ；初中数学差异率0.10、水平Ⅳ
    """
    res = PartFrames()
    cfg = std.get("quality.Q9")
    max_rate, min_level = float(cfg["max_difference_rate"]), float(cfg["min_level"])
    attested = attested_rows(keys, attestations, ["Q9"])[0]
    neither = (attested["status"] == "missing").to_numpy() & attested["detail"].eq(ATTESTATION_MISSING).to_numpy()
    attested.loc[neither, "detail"] = missing_text("Q9")  # 需要质量监测或县级保障
    m = _latest_monitoring(keys, monitoring)
    if m is None:
        res.county.append(attested)
        return res
    subjects = value_labels("monitored_subject")
    sec_order = {"primary": 0, "junior": 1, "senior": 2}
    sub_order = {k: i for i, k in enumerate(subjects)}
    m = m.assign(_s=m["section"].astype("object").map(sec_order).fillna(9),
                 _j=m["monitored_subject"].astype("object").map(sub_order).fillna(99))
    m = m.sort_values(["eval_year", "county", "_s", "_j"], kind="stable").reset_index(drop=True)
    rate = column_values(m, "difference_rate")
    level = pd.to_numeric(m["achievement_level"].astype("object"), errors="coerce").to_numpy(dtype="float64") \
        if "achievement_level" in m else np.full(len(m), np.nan)
    r_ok, l_ok = le(rate, max_rate), ge(level, min_level)
    met = np.where((r_ok == 0.0) | (l_ok == 0.0), 0.0, np.where(np.isnan(r_ok) | np.isnan(l_ok), np.nan, 1.0))
    secs = m["section"].astype("object").to_numpy()
    subs = m["monitored_subject"].astype("object").to_numpy()
    names = [f"{SECTION_LABELS.get(a, a)}{subjects.get(b, b)}" for a, b in zip(secs, subs, strict=True)]

    def one(name: str, r: float, lv: float, ro: float, lo: float) -> tuple[str, str]:
        rt = f"差异率{fmt(r, 2)}" if not np.isnan(r) else "差异率未填"
        lt = f"水平{_LEVEL_WORDS.get(int(lv), fmt(lv, 0))}" if not np.isnan(lv) else "学业水平未填"
        why = [w for w, bad in ((f"差异率{fmt(r, 2)}，高于{fmt(max_rate, 2)}", ro == 0.0),
                                (f"水平{_LEVEL_WORDS.get(int(lv), '') if not np.isnan(lv) else ''}，低于Ⅲ级"
                                 if min_level == 3 else f"学业水平低于{fmt(min_level, 0)}级", lo == 0.0)) if bad]
        return f"{name}{rt}、{lt}", f"{name}（{'；'.join(why)}）" if why else ""

    texts = [one(*a) for a in zip(names, rate, level, r_ok, l_ok, strict=True)]
    key = list(zip(m["eval_year"].to_numpy(dtype="int64"), m["county"].astype("object"), strict=True))
    rows = []
    att_text = dict(zip(zip(keys["year"].to_numpy(dtype="int64"), keys["county"].astype("object"), strict=True),
                        zip(attested["status"], attested["detail"], strict=True), strict=True))
    for k in dict.fromkeys(key):
        idx = [i for i, kk in enumerate(key) if kk == k]
        mm = met[idx]
        fail = (mm == 0.0).any()
        unknown = np.isnan(mm).any()
        parts = [f"{int(m['year'].iloc[idx[0]])}年质量监测："]
        fails = [texts[i][1] for i in idx if met[i] == 0.0]
        if fails:
            parts.append("未达标：" + "、".join(fails) + "；")
        parts.append("；".join(texts[i][0] for i in idx))
        if unknown and not fail:
            parts.append("；有学科差异率或学业水平未填，待核实")
        status, detail = att_text[k]
        if status != "missing":
            parts.append(f"；{detail}（未采用，以质量监测数据为准）")
        rates = rate[idx]
        rows.append({"year": k[0], "county": k[1],
                     "value": float(np.nanmax(rates)) if (~np.isnan(rates)).any() else np.nan,
                     "standard": max_rate, "n_schools": None, "is_attested": False,
                     "is_met": pd.NA if (unknown and not fail) else not fail, "detail": "".join(parts)})
    data = pd.DataFrame(rows)
    data["is_met"] = data["is_met"].astype("boolean")
    out = county_rows(keys, "Q9", data)
    no_mon = key_positions(out, data) < 0
    if no_mon.any():
        out.loc[no_mon] = attested.loc[no_mon].to_numpy()
        out = out.astype(attested.dtypes.to_dict())
    res.county.append(out)
    frame = m.assign(year=m["eval_year"])
    res.measures.append(measure_rows(frame, "Q9", "x", value=rate, standard=max_rate, is_met=met,
                                     detail=[f"{int(y)}年监测，{t[0]}" for y, t in zip(m["year"], texts, strict=True)])
                        .assign(measure=[f"{a}_{b}" for a, b in zip(secs, subs, strict=True)],
                                measure_label=[f"{n}校际差异率" for n in names]))
    return res


def evaluate_quality(keys: pd.DataFrame, inputs: dict[str, pd.DataFrame | None], std: Standards) -> PartFrames:
    """Every quality indicator for the counties of ``keys``, in the method's order.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> tables = {"schools": inp["core_schools"], "core_cohort_flows": inp["core_cohort_flows"],
    ...           "core_county_figures": inp["core_county_figures"], "core_attestations": inp["core_attestations"]}
    >>> pd.concat(evaluate_quality(keys, tables, load_standards()).county)["status"].eq("met").all()
    np.True_
    """
    return evaluate_part("quality", keys, inputs, std)
