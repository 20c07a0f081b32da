"""Enrolment trends: students by section, area type and year, and how they change.

Reports quote four derived figures for a series of yearly enrolments: the year-on-year
change, the total change over a period, the average annual change (total change ÷ years
elapsed) and, less often, the compound annual growth rate. The 长治市 2021 self-evaluation,
for instance, prints for the main district's primary schools 42971 (2018) … 52656 (2021):
"3年增长9685人，年均增长3228人".

Examples
--------
>>> s = pd.DataFrame({"section_group": ["primary"] * 4, "year": [2018, 2019, 2020, 2021],
...                   "students": [42971, 46014, 52579, 52656]})
>>> r = period_change(s, by=["section_group"]).iloc[0]
>>> int(r["total_change"]), round(float(r["avg_annual_change"]))
(9685, 3228)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.dictionary import coerce
from analysis.missing import Missing, missing, passes_missing
from analysis.studies import (
    AREA_ORDER,
    COMPULSORY,
    SECTION_ORDER,
    check_choice,
    params,
    with_groups,
)

__all__ = [
    "add_compulsory_total",
    "add_yoy_change",
    "enrolment_summary",
    "enrolment_trends",
    "period_change",
    "published_enrolment",
    "students_by_level",
]

_GROUP_KEYS = ["county", "area_group", "section_group"]


def students_by_level(
    sections: pd.DataFrame, *, sections_included: Sequence[str] | None = None
) -> pd.DataFrame:
    """Students by year, county, area type and section, with area and compulsory totals.

    Parameters
    ----------
    sections : core_school_sections frame (``year, county, area_type, section, students``).
    sections_included : sections to count (default: the compulsory sections, primary and
        junior). Every school section counts, including special schools and teaching points.

    Returns
    -------
    pandas.DataFrame
        ``out_enrolment_trends`` columns without the change columns: one row per year,
        county, ``area_group`` (urban / town / rural / all) and ``section_group`` (each
        section, and ``compulsory`` = primary + junior).

    Examples
    --------
    >>> sec = pd.DataFrame({"year": [2024, 2024, 2024], "county": ["甲县"] * 3,
    ...     "area_type": ["urban", "rural", "rural"], "section": ["primary", "primary", "junior"],
    ...     "students": [500, 120, 80]})
    >>> out = students_by_level(sec)
    >>> out.query("area_group == 'all'")[["section_group", "students"]].values.tolist()
    [['primary', 620], ['junior', 80], ['compulsory', 700]]
    """
    p = params()
    included = list(sections_included or p["compulsory_sections"])
    allowed = ["primary", "junior", "senior"]
    for s in included:
        check_choice("sections_included", s, allowed)
    df = sections.loc[
        sections["section"].isin(included), ["year", "county", "area_type", "section", "students"]
    ]
    df = df.assign(students=pd.to_numeric(df["students"], errors="coerce").fillna(0))
    grouped = (
        with_groups(df, section="section", sections=[s for s in included if s != "senior"])
        .groupby(["year", *_GROUP_KEYS], observed=True)["students"]
        .sum()
        .reset_index()
    )
    return _order(grouped)


def _order(df: pd.DataFrame) -> pd.DataFrame:
    keys = {
        "area_group": {k: i for i, k in enumerate(AREA_ORDER)},
        "section_group": {k: i for i, k in enumerate(SECTION_ORDER)},
    }
    sort_cols = [c for c in ["county", "area_group", "section_group", "year", "grade"] if c in df]
    return df.sort_values(
        sort_cols, key=lambda s: s.map(keys[s.name]) if s.name in keys else s, kind="stable"
    ).reset_index(drop=True)


def add_yoy_change(
    df: pd.DataFrame,
    *,
    value: str = "students",
    by: Iterable[str] | None = None,
    time: str = "year",
) -> pd.DataFrame:
    """Add the year-on-year change ``yoy_change`` and ``yoy_change_pct`` of ``value``.

    The change is against the previous year *present* in each group (the first year of a
    group has none). ``yoy_change_pct`` is the change in % of the previous year's value.

    >>> s = pd.DataFrame({"year": [2018, 2019, 2020], "students": [100, 110, 99]})
    >>> add_yoy_change(s)[["yoy_change", "yoy_change_pct"]].values.tolist()
    [[nan, nan], [10.0, 10.0], [-11.0, -10.0]]
    """
    by = list(by or [])
    out = df.reset_index(drop=True)
    order = out.sort_values([*by, time], kind="stable")
    vals = pd.to_numeric(order[value], errors="coerce").astype("float64")
    if by:
        prev = vals.groupby([order[c] for c in by], observed=True, dropna=False).shift(1)
    else:
        prev = vals.shift(1)
    out["yoy_change"] = vals - prev
    out["yoy_change_pct"] = (vals - prev) / prev.where(prev != 0) * 100
    return out


def period_change(
    df: pd.DataFrame,
    *,
    value: str = "students",
    by: Iterable[str] | None = None,
    time: str = "year",
    start: int | None = None,
    end: int | None = None,
) -> pd.DataFrame:
    """Total change, average annual change and compound growth of ``value`` over a period.

    Parameters
    ----------
    df : long frame with ``time``, ``value`` and the grouping columns ``by``.
    start, end : first and last year of the period (default: each group's first and last).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``start_year, end_year, years_elapsed, start_value, end_value,
        total_change`` (end − start), ``avg_annual_change`` (total ÷ years elapsed, as
        reports compute it) and ``cagr_pct`` ((end ÷ start)^(1 ÷ years) − 1, in %).

    Examples
    --------
    >>> s = pd.DataFrame({"year": [2018, 2021], "students": [21966, 23336]})
    >>> r = period_change(s).iloc[0]
    >>> int(r["total_change"]), round(float(r["avg_annual_change"])), round(float(r["cagr_pct"]), 2)
    (1370, 457, 2.04)
    """
    by = list(by or [])
    d = df.copy()
    d[value] = pd.to_numeric(d[value], errors="coerce")
    d = d.dropna(subset=[value])
    if start is not None:
        d = d.loc[d[time] >= start]
    if end is not None:
        d = d.loc[d[time] <= end]
    if d.empty:
        raise ValueError(f"no {value!r} values between {start} and {end}")
    d = d.sort_values([*by, time], kind="stable")
    g = d.groupby(by, observed=True, sort=False) if by else d.groupby(lambda _: 0)
    first = g.first()
    last = g.last()
    out = pd.DataFrame(
        {
            "start_year": first[time].astype("int64"),
            "end_year": last[time].astype("int64"),
            "start_value": first[value].astype("float64"),
            "end_value": last[value].astype("float64"),
        }
    )
    out["years_elapsed"] = out["end_year"] - out["start_year"]
    out["total_change"] = out["end_value"] - out["start_value"]
    yrs = out["years_elapsed"].where(out["years_elapsed"] > 0)
    out["avg_annual_change"] = out["total_change"] / yrs
    ratio = out["end_value"] / out["start_value"].where(out["start_value"] > 0)
    out["cagr_pct"] = (np.power(ratio, 1 / yrs) - 1) * 100
    out = out.reset_index(drop=not by)
    cols = [
        *by,
        "start_year",
        "end_year",
        "years_elapsed",
        "start_value",
        "end_value",
        "total_change",
        "avg_annual_change",
        "cagr_pct",
    ]
    return out[cols]


def enrolment_trends(
    sections: pd.DataFrame, *, sections_included: Sequence[str] | None = None
) -> pd.DataFrame:
    """Students by level, area type and year with the year-on-year change (``out_enrolment_trends``).

    >>> sec = pd.DataFrame({"year": [2023, 2024], "county": ["甲县"] * 2,
    ...     "area_type": ["urban"] * 2, "section": ["primary"] * 2, "students": [400, 440]})
    >>> t = enrolment_trends(sec)
    >>> t.query("area_group == 'urban' and section_group == 'primary'")["yoy_change_pct"].tolist()
    [nan, 10.0]

    A county without school sections, or whose schools all report 0 students, gets a
    :class:`~analysis.missing.Missing` (the report says so instead of drawing zeros).
    """
    purpose = "统计在校生数的变化"
    if isinstance(sections, Missing):
        return sections.because(purpose)
    if len(sections) == 0:
        return missing(purpose, "core_school_sections")
    if not (pd.to_numeric(sections["students"], errors="coerce") > 0).any():
        return missing(purpose, reason="该县（区）各校在校生数为0")
    levels = students_by_level(sections, sections_included=sections_included)
    out = add_yoy_change(levels, by=_GROUP_KEYS)
    return coerce(_order(out), "out_enrolment_trends")


@passes_missing("计算在校生数的期间变化")
def enrolment_summary(
    trends: pd.DataFrame, *, start: int | None = None, end: int | None = None
) -> pd.DataFrame:
    """Change over a period per county, area and section (``out_enrolment_summary``).

    >>> t = pd.DataFrame({"year": [2018, 2021], "county": ["甲县"] * 2, "area_group": ["all"] * 2,
    ...     "section_group": ["primary"] * 2, "students": [42971, 52656]})
    >>> r = enrolment_summary(t).iloc[0]
    >>> int(r["total_change"]), int(r["years_elapsed"]), round(float(r["avg_annual_change"]), 1)
    (9685, 3, 3228.3)
    """
    out = period_change(trends, by=_GROUP_KEYS, start=start, end=end)
    return coerce(_order(out), "out_enrolment_summary")


def add_compulsory_total(
    df: pd.DataFrame, *, by: Iterable[str], value: str = "students", time: str = "year"
) -> pd.DataFrame:
    """Add ``section_group = compulsory`` rows (primary + junior) where a group has neither.

    Only years where both primary and junior are present are summed.

    >>> s = pd.DataFrame({"region": ["甲市"] * 3, "section_group": ["primary", "junior", "primary"],
    ...                   "year": [2018, 2018, 2019], "students": [10, 5, 12]})
    >>> add_compulsory_total(s, by=["region"]).query("section_group == 'compulsory'")["students"].tolist()
    [15]
    """
    by = list(by)
    parts = df.loc[df["section_group"].isin(["primary", "junior"])]
    have = df.loc[df["section_group"] == COMPULSORY, [*by, time]].drop_duplicates()
    counts = parts.groupby([*by, time], observed=True)["section_group"].nunique()
    complete = counts[counts == 2].index
    sums = parts.set_index([*by, time]).loc[lambda x: x.index.isin(complete)]
    tot = sums.groupby(level=list(range(len(by) + 1)), observed=True)[value].sum().reset_index()
    tot["section_group"] = COMPULSORY
    if not have.empty:
        tot = tot.merge(have, on=[*by, time], how="left", indicator=True)
        tot = tot.loc[tot["_merge"] == "left_only"].drop(columns="_merge")
    return pd.concat([df, tot], ignore_index=True)


#: How the printed sections of published figures map to section groups.
PUBLISHED_SECTIONS = {"小学": "primary", "初中": "junior", "高中": "senior", "义务教育": COMPULSORY}


def published_enrolment(
    published: pd.DataFrame,
    *,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    min_years: int = 2,
) -> pd.DataFrame:
    """Enrolment series printed in official documents, from ``core_published``.

    Only series with figures for at least ``min_years`` years are kept: a single printed
    headcount (e.g. one year's grade-7 cohort) is not a trend.

    A row is an enrolment figure when its indicator contains one of ``include`` and none of
    ``exclude`` (defaults: ``published_enrolment_indicators`` / ``..._exclude`` of the
    parameters; derived figures such as "3年增长" are excluded) and its unit is 人.

    Returns
    -------
    pandas.DataFrame
        ``region, area, section_group, indicator, year, students, source``; the printed
        section 小学 / 初中 / 义务教育 mapped to ``primary`` / ``junior`` / ``compulsory``.

    Examples
    --------
    >>> pub = pd.DataFrame({"region": ["长治市"] * 3, "indicator": ["在校生数", "在校生数", "在校生3年增长"],
    ...     "published_section": ["小学"] * 3, "area": ["主城区"] * 3, "year": [2018, 2021, 2021],
    ...     "value": [42971.0, 52656.0, 9685.0], "unit": ["人"] * 3, "source": ["长治市人民政府"] * 3})
    >>> published_enrolment(pub)[["section_group", "year", "students"]].values.tolist()
    [['primary', 2018, 42971.0], ['primary', 2021, 52656.0]]
    """
    p = params()
    include = list(include or p["published_enrolment_indicators"])
    exclude = list(exclude if exclude is not None else p["published_enrolment_exclude"])
    ind = published["indicator"].astype("str")
    # built as a bool Series: ``apply`` on an empty (str) column returns a str Series
    mask = pd.Series(
        [any(w in s for w in include) and not any(w in s for w in exclude) for s in ind],
        index=published.index, dtype=bool,
    )
    unit = (
        published["unit"].astype("str").str.strip()
        if "unit" in published
        else pd.Series("人", index=published.index)
    )
    mask &= unit.isin(["人", "名"]) & published["value"].notna()
    d = published.loc[mask]
    out = pd.DataFrame(
        {
            "region": d["region"],
            "area": d["area"].fillna("全部") if "area" in d else "全部",
            "section_group": d["published_section"].map(PUBLISHED_SECTIONS),
            "indicator": d["indicator"],
            "year": d["year"].astype("int64"),
            "students": d["value"].astype("float64"),
            "source": d.get("source", None),
        }
    ).dropna(subset=["section_group"])
    series = ["region", "area", "indicator", "section_group"]
    n_years = out.groupby(series, dropna=False)["year"].transform("nunique")
    out = out[n_years >= min_years]
    return out.sort_values([*series, "year"]).reset_index(drop=True)
