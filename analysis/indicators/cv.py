"""The inter-school difference coefficient (校际差异系数), student-weighted.

For an indicator and a section level, over the counted schools of a county::

    X̄ = Σ Pᵢ Xᵢ / P          (= Σ numeratorᵢ / Σ studentsᵢ)
    S  = sqrt( Σ Pᵢ (Xᵢ − X̄)² / P )
    CV = S / X̄

A population formula (no n − 1), weighted by students; nothing is rounded. The grouped
functions work on integer group codes with ``numpy.bincount`` so that every county of a
country is computed at once, without a Python loop over counties.

Examples
--------
The worked example of the method's calculation notes (生均图书册数, five primary schools):

>>> students = [45, 37, 89, 76, 55]
>>> books = [279, 137, 935, 160, 402]
>>> per_student = [b / p for b, p in zip(books, students)]
>>> round(difference_coefficient(per_student, students), 2)
0.52
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class GroupStats:
    """Per-group weighted statistics (arrays of length ``n_groups``)."""

    n: np.ndarray          # schools with a value and students > 0
    weight: np.ndarray     # P, total students
    mean: np.ndarray       # X̄ (NaN when P = 0)
    ss: np.ndarray         # Σ Pᵢ (Xᵢ − X̄)²
    sd: np.ndarray         # S
    cv: np.ndarray         # S / X̄ (NaN when X̄ = 0 or no school)
    deviation: np.ndarray  # per row: Xᵢ − X̄ of its group (NaN for rows left out)
    used: np.ndarray       # per row: whether the row entered its group's figures


def grouped_stats(codes: np.ndarray, n_groups: int, x: np.ndarray, w: np.ndarray) -> GroupStats:
    """Student-weighted mean, SD and CV of ``x`` per group, vectorised.

    Rows with a missing value, a missing weight, a weight <= 0 or a negative group code
    are left out.

    >>> s = grouped_stats(np.array([0, 0, 1]), 2, np.array([1.0, 3.0, 5.0]), np.array([1.0, 1.0, 2.0]))
    >>> s.mean.tolist(), s.sd.tolist(), s.cv.tolist()
    ([2.0, 5.0], [1.0, 0.0], [0.5, 0.0])
    """
    codes = np.asarray(codes)
    x = np.asarray(x, dtype="float64")
    w = np.asarray(w, dtype="float64")
    used = (codes >= 0) & ~np.isnan(x) & ~np.isnan(w) & (w > 0)
    c = np.where(used, codes, 0)
    wu = np.where(used, w, 0.0)
    xu = np.where(used, x, 0.0)
    n = np.bincount(c, weights=used.astype("float64"), minlength=n_groups)
    weight = np.bincount(c, weights=wu, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(c, weights=wu * xu, minlength=n_groups) / np.where(weight > 0, weight, np.nan)
        deviation = np.where(used, x - mean[c], np.nan)
        ss = np.bincount(c, weights=np.where(used, wu * deviation * deviation, 0.0), minlength=n_groups)
        sd = np.sqrt(ss / np.where(weight > 0, weight, np.nan))
        cv = np.where(mean > 0, sd / np.where(mean > 0, mean, 1.0), np.nan)
    return GroupStats(n=n.astype("int64"), weight=weight, mean=mean, ss=ss, sd=sd, cv=cv,
                      deviation=deviation, used=used)


def difference_coefficient(values: Sequence[float], weights: Sequence[float]) -> float:
    """The weighted difference coefficient of one group (NaN when undefined).

    >>> difference_coefficient([2.0, 4.0], [3, 1])
    0.34641016151377546
    """
    x = np.asarray(values, dtype="float64")
    s = grouped_stats(np.zeros(len(x), dtype="int64"), 1, x, np.asarray(weights, dtype="float64"))
    return float(s.cv[0])


def unweighted_coefficient(values: Sequence[float]) -> float:
    """The plain (unweighted, population) coefficient of variation: NOT the method's figure.

    Provided only to show how far it is from the weighted one.

    >>> round(unweighted_coefficient([2.0, 4.0]), 4)
    0.3333
    """
    x = np.asarray(values, dtype="float64")
    x = x[~np.isnan(x)]
    return float(x.std() / x.mean()) if len(x) and x.mean() > 0 else float("nan")


def difference_coefficients(
    frame: pd.DataFrame, value: str, weight: str, by: Sequence[str]
) -> pd.DataFrame:
    """Weighted difference coefficient of column ``value`` per group of ``by``.

    Parameters
    ----------
    frame : one row per school (section) with the value and its weight (students).
    value, weight : column names.
    by : grouping columns (e.g. ``["year", "county", "section"]``).

    Returns
    -------
    pandas.DataFrame with ``by`` and ``n_schools``, ``students``, ``mean``, ``sd``, ``cv``.

    Examples
    --------
    >>> df = pd.DataFrame({"county": ["甲", "甲", "甲", "乙"], "x": [1.0, 3.0, None, 5.0],
    ...                    "p": [1, 1, 5, 2]})
    >>> difference_coefficients(df, "x", "p", ["county"])[["county", "n_schools", "cv"]].values.tolist()
    [['乙', 1, 0.0], ['甲', 2, 0.5]]
    """
    grouped = frame.groupby(list(by), sort=True, observed=True, dropna=False)
    codes = grouped.ngroup().to_numpy()
    keys = grouped.size().reset_index()[list(by)]
    s = grouped_stats(codes, len(keys), pd.to_numeric(frame[value], errors="coerce").to_numpy("float64", na_value=np.nan),
                      pd.to_numeric(frame[weight], errors="coerce").to_numpy("float64", na_value=np.nan))
    out = keys.copy()
    out["n_schools"] = s.n
    out["students"] = s.weight
    out["mean"] = s.mean
    out["sd"] = s.sd
    out["cv"] = s.cv
    return out


def contribution_frame(
    codes: np.ndarray, stats: GroupStats, x: np.ndarray, w: np.ndarray, rows: np.ndarray
) -> dict[str, np.ndarray]:
    """Each row's share of Σ Pᵢ(Xᵢ − X̄)² and its group's CV without it.

    ``rows`` selects the row positions to report (e.g. only groups whose CV fails).
    Removing school i: W' = W − Pᵢ dᵢ² · P / (P − Pᵢ), X̄' = (P X̄ − Pᵢ Xᵢ) / (P − Pᵢ),
    CV' = sqrt(W' / (P − Pᵢ)) / X̄'.

    >>> codes = np.array([0, 0, 0]); x = np.array([1.0, 2.0, 6.0]); w = np.array([1.0, 1.0, 1.0])
    >>> s = grouped_stats(codes, 1, x, w)
    >>> r = contribution_frame(codes, s, x, w, np.array([0, 1, 2]))
    >>> [round(float(v), 1) for v in r["contribution_pct"]], round(float(r["cv_without"][2]), 4)
    ([28.6, 7.1, 64.3], 0.3333)
    """
    g = codes[rows]
    d = stats.deviation[rows]
    wi = w[rows]
    xi = x[rows]
    P = stats.weight[g]
    W = stats.ss[g]
    with np.errstate(invalid="ignore", divide="ignore"):
        term = wi * d * d
        contribution = term / P
        pct = np.where(W > 0, 100.0 * term / np.where(W > 0, W, 1.0), 0.0)
        rest = P - wi
        mean_without = np.where(rest > 0, (P * stats.mean[g] - wi * xi) / np.where(rest > 0, rest, 1.0), np.nan)
        w_without = np.maximum(W - term * P / np.where(rest > 0, rest, np.nan), 0.0)
        sd_without = np.sqrt(w_without / np.where(rest > 0, rest, np.nan))
        cv_without = np.where(mean_without > 0, sd_without / mean_without, np.nan)
    return {"contribution": contribution, "contribution_pct": pct, "cv_without": cv_without}


def rank_within(groups: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Rank (1 = largest score) of each row within its group.

    >>> rank_within(np.array([0, 0, 1, 0]), np.array([1.0, 5.0, 2.0, 3.0])).tolist()
    [3, 1, 1, 2]
    """
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype="int64")
    order = np.lexsort((-score, groups))
    g_sorted = groups[order]
    starts = np.r_[True, g_sorted[1:] != g_sorted[:-1]]
    start_pos = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    ranks = np.empty(n, dtype="int64")
    ranks[order] = np.arange(n) - start_pos + 1
    return ranks
