"""Social recognition (社会认可度): satisfied valid questionnaires ÷ valid questionnaires.

A questionnaire is valid when every question is answered (``n_answered == n_questions``;
the overall question is not one of the ``n_questions``). A valid questionnaire is
satisfied when its overall answer is 满意 or 基本满意. A survey (one source sheet) without
an overall column uses a parameter rule instead: at least ``no_overall_min_share_pct`` of
the answers are 满意 or 基本满意 (default 100: every answer).

Examples
--------
>>> q = pd.DataFrame({"county": "甲县", "year": 2024, "questionnaire_id": ["1", "2", "3", "4"],
...     "respondent_group": "parent", "n_questions": 10, "n_answered": [10, 10, 9, 10],
...     "n_satisfied_answers": [10, 7, 9, 10],
...     "overall_answer": ["satisfied", "unsatisfied", "satisfied", "basically_satisfied"]})
>>> s = questionnaire_status(q)
>>> s["is_valid"].tolist(), s["is_satisfied"].tolist()
([True, True, False, True], [True, False, False, True])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.indicator_catalog import indicator
from analysis.indicators.common import ceil_count, fmt, ge, tri
from analysis.indicators.parts import PartFrames, rows_in_keys
from analysis.indicators.registry import register
from analysis.indicators.rows import county_rows, measure_rows
from analysis.standards import Standards, as_standards

#: columns that identify one survey (one sheet of one file) when present
SURVEY_GROUP_COLUMNS = ("county", "year", "source_file", "source_sheet")
RESPONDENT_GROUPS = ("student", "parent", "teacher", "principal", "npc_deputy", "cppcc_member", "resident")


def questionnaire_status(
    survey: pd.DataFrame,
    standards: Standards | str | None = None,
    *,
    no_overall_min_share_pct: float | None = None,
) -> pd.DataFrame:
    """Add ``is_valid``, ``is_satisfied`` and ``has_overall`` to core_survey rows.

    Parameters
    ----------
    survey : core_survey rows.
    standards : standards giving the satisfied answers and the no-overall rule.
    no_overall_min_share_pct : overrides the standards' rule for surveys without an overall
        column (100 = every answer 满意/基本满意).

    Examples
    --------
    >>> q = pd.DataFrame({"county": "甲县", "year": 2024, "n_questions": 4, "n_answered": 4,
    ...     "n_satisfied_answers": [4, 3], "overall_answer": [None, None]})
    >>> questionnaire_status(q)["is_satisfied"].tolist()
    [True, False]
    >>> questionnaire_status(q, no_overall_min_share_pct=75)["is_satisfied"].tolist()
    [True, True]
    """
    std = as_standards(standards)
    rule = float(std.get("recognition.no_overall_min_share_pct") if no_overall_min_share_pct is None
                 else no_overall_min_share_pct)
    answers = std.get("recognition.satisfied_answers")
    out = survey.copy()
    nq = pd.to_numeric(out["n_questions"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    na = pd.to_numeric(out["n_answered"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    ns = pd.to_numeric(out["n_satisfied_answers"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    overall = out["overall_answer"].astype("object") if "overall_answer" in out else pd.Series(None, index=out.index, dtype=object)
    group_cols = [c for c in SURVEY_GROUP_COLUMNS if c in out]
    has_overall = overall.notna().groupby([out[c].astype("object") for c in group_cols], dropna=False).transform("any") \
        if group_cols else pd.Series(overall.notna().any(), index=out.index)
    has_overall = has_overall.to_numpy(dtype=bool)
    valid = ~np.isnan(nq) & ~np.isnan(na) & (na >= nq)
    by_overall = overall.isin(answers).to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        by_rule = ge(ns, rule / 100.0 * nq) == 1.0
    out["has_overall"] = has_overall
    out["is_valid"] = valid
    out["is_satisfied"] = valid & np.where(has_overall, by_overall, by_rule)
    return out


@register("R")
def evaluate_recognition(
    keys: pd.DataFrame,
    survey: pd.DataFrame | None,
    std: Standards,
    *,
    no_overall_min_share_pct: float | None = None,
) -> PartFrames:
    """County satisfaction rate against 85 %, with counts and rates by respondent group.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> evaluate_recognition(keys, inp["core_survey"], as_standards(None)).county[0][["value", "status"]].values.tolist()
    [[90.0, 'met']]
    """
    res = PartFrames()
    sv = rows_in_keys(survey, keys)
    if sv is None:
        res.county.append(county_rows(keys, "R", None, missing_detail=indicator("R").missing_detail))
        return res
    s = questionnaire_status(sv, std, no_overall_min_share_pct=no_overall_min_share_pct)
    minimum = float(std.get("recognition.min_rate_pct"))
    tmp = pd.DataFrame({"year": s["year"].to_numpy(), "county": s["county"].astype("object").to_numpy(),
                        "group": s["respondent_group"].astype("object").to_numpy() if "respondent_group" in s else None,
                        "n": 1, "valid": s["is_valid"].to_numpy(), "satisfied": s["is_satisfied"].to_numpy(),
                        "rule": ~s["has_overall"].to_numpy()})
    agg = tmp.groupby(["year", "county"], sort=True).agg(
        n=("n", "sum"), valid=("valid", "sum"), satisfied=("satisfied", "sum"), rule=("rule", "any")).reset_index()
    v = agg["valid"].to_numpy(dtype="float64")
    sat = agg["satisfied"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(v > 0, 100.0 * sat / np.where(v > 0, v, 1.0), np.nan)
    met = ge(rate, minimum)
    gap = ceil_count(minimum / 100.0 * v - sat)
    data = agg[["year", "county"]].copy()
    data["value"] = rate
    data["standard"] = minimum
    data["numerator"] = sat
    data["denominator"] = v
    data["is_met"] = tri(met)
    data["gap"] = np.where(met == 0.0, gap, np.nan)
    data["gap_unit"] = np.where(met == 0.0, "questionnaires", None)
    data["detail"] = [
        f"问卷{int(n)}份，有效{int(a)}份，满意（含基本满意）{int(b)}份，满意度{fmt(r, 1, '%')}"
        + ("（部分问卷无总体满意度题，按各题均满意或基本满意判定）" if rl else "")
        for n, a, b, r, rl in zip(agg["n"], v, sat, rate, agg["rule"], strict=True)]
    res.county.append(county_rows(keys, "R", data, missing_detail=indicator("R").missing_detail))
    res.measures += [
        measure_rows(agg, "R", "questionnaires", value=agg["n"], unit="份"),
        measure_rows(agg, "R", "valid", value=v, unit="份"),
        measure_rows(agg, "R", "satisfied", value=sat, unit="份"),
    ]
    if tmp["group"].notna().any():
        by = tmp.groupby(["year", "county", "group"], sort=True).agg(valid=("valid", "sum"), satisfied=("satisfied", "sum")).reset_index()
        for grp in RESPONDENT_GROUPS:
            sub = by.loc[by["group"] == grp]
            if not len(sub):
                continue
            gv = sub["valid"].to_numpy(dtype="float64")
            gs = sub["satisfied"].to_numpy(dtype="float64")
            with np.errstate(invalid="ignore", divide="ignore"):
                gr = np.where(gv > 0, 100.0 * gs / np.where(gv > 0, gv, 1.0), np.nan)
            res.measures.append(measure_rows(sub, "R", grp, value=gr, standard=minimum, unit="%",
                                             numerator=gs, denominator=gv, is_met=ge(gr, minimum)))
    return res
