"""Teacher structure: ages, degrees, retirements and subject staffing, by area type.

County reports describe the teaching force with a few standard figures: the statistics'
5-year age bands, the share of teachers "50岁以上" with its 51-55 and 56-60 parts, the degree
structure (研究生 / 本科 / 专科 / 高中阶段 / 高中以下, and 本科以下 together), the teachers
who reach retirement age within 5 and 10 years, and whether PE, music, art and psychology
teachers are enough. All of them are computed here per year, county, area type
(城区 / 镇区 / 乡村 / 全部) and section (小学 / 初中 / 义务教育) from the roster
(core_teachers) joined to core_schools.

Ages are in completed years at the statistics reference date (default 31 August of the
year, ``reference_date`` of the parameters).

Examples
--------
>>> t = pd.DataFrame({"year": [2024] * 3, "school_id": ["1"] * 3,
...     "birth_date": pd.to_datetime(["1970-09-01", "1970-08-31", "2001-01-15"]),
...     "gender": ["male", "female", "female"], "teaching_section": ["primary"] * 3})
>>> age_at_reference(t).tolist()
[53, 54, 23]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.dictionary import coerce, value_labels
from analysis.missing import Missing, missing, needs_rows
from analysis.studies import ALL_AREAS, COMPULSORY, params, with_groups

__all__ = [
    "UNKNOWN_AGE",
    "age_at_reference",
    "age_band_labels",
    "age_bands",
    "age_groups",
    "degree_structure",
    "prepare_teachers",
    "retirements",
    "rules_text",
    "section_teacher_counts",
    "subject_staffing",
]

#: Age band of a teacher without a birth date.
UNKNOWN_AGE = "未填"
GROUP_KEYS = ["year", "county", "area_group", "section_group"]


def age_at_reference(
    teachers: pd.DataFrame, *, month: int | None = None, day: int | None = None
) -> pd.Series:
    """Age in completed years at the reference date (``month``/``day``) of each row's year.

    A teacher born on the reference day has had that birthday. Missing birth dates give
    missing ages (nullable Int64).
    """
    ref = params()["reference_date"]
    month = int(month or ref["month"])
    day = int(day or ref["day"])
    birth = pd.to_datetime(teachers["birth_date"])
    not_yet = (birth.dt.month * 100 + birth.dt.day) > (month * 100 + day)
    age = teachers["year"].astype("float64") - birth.dt.year - not_yet.astype("float64")
    return age.where(birth.notna()).astype("Int64")


def prepare_teachers(
    teachers: pd.DataFrame,
    schools: pd.DataFrame,
    *,
    sections_included: Sequence[str] | None = None,
    reference_month: int | None = None,
    reference_day: int | None = None,
) -> pd.DataFrame:
    """The roster joined to its school's county and area type, with ages and group columns.

    Rows are duplicated into ``area_group`` (own area, ``all``) and ``section_group`` (own
    section, ``compulsory``), so grouping by :data:`GROUP_KEYS` gives parts and totals.
    Teachers of schools missing from ``schools`` that year are dropped.

    >>> t = pd.DataFrame({"year": [2024], "school_id": ["1"], "teaching_section": ["junior"],
    ...     "birth_date": pd.to_datetime(["1980-01-01"])})
    >>> s = pd.DataFrame({"year": [2024], "school_id": ["1"], "county": ["甲县"], "area_type": ["town"]})
    >>> prepare_teachers(t, s)[["area_group", "section_group", "age"]].values.tolist()
    [['town', 'junior', 44], ['town', 'compulsory', 44], ['all', 'junior', 44], ['all', 'compulsory', 44]]
    """
    p = params()
    included = list(sections_included or p["compulsory_sections"])
    info = schools[["year", "school_id", "county", "area_type"]].drop_duplicates(
        ["year", "school_id"]
    )
    d = teachers.loc[teachers["teaching_section"].isin(included)].merge(
        info, on=["year", "school_id"], how="inner", validate="many_to_one"
    )
    d = d.assign(age=age_at_reference(d, month=reference_month, day=reference_day))
    out = with_groups(
        d, section="teaching_section", sections=[s for s in included if s != "senior"]
    )
    # with_groups puts the section totals last; keep each area's rows together for reading.
    order = {"area_group": {k: i for i, k in enumerate(["urban", "town", "rural", ALL_AREAS])}}
    return out.sort_values(
        ["area_group"], key=lambda s: s.map(order["area_group"]), kind="stable"
    ).reset_index(drop=True)


def age_band_labels(edges: Sequence[int] | None = None) -> list[str]:
    """Chinese labels of the age bands with inclusive upper ``edges``.

    >>> age_band_labels([24, 29, 59])
    ['24岁及以下', '25-29岁', '30-59岁', '60岁及以上']
    """
    edges = [int(e) for e in (edges or params()["age_band_edges"])]
    if edges != sorted(set(edges)):
        raise ValueError(f"age band edges must be increasing, got {edges}")
    labels = [f"{edges[0]}岁及以下"]
    labels += [f"{lo + 1}-{hi}岁" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    labels.append(f"{edges[-1] + 1}岁及以上")
    return labels


def _band(age: pd.Series, edges: Sequence[int]) -> pd.Series:
    labels = age_band_labels(edges)
    bins = [-np.inf, *[float(e) for e in edges], np.inf]
    band = pd.cut(age.astype("float64"), bins=bins, labels=labels, right=True)
    return band.astype("object").where(age.notna(), UNKNOWN_AGE)


def _counts(
    df: pd.DataFrame, column: str, categories: Sequence, name: str = "teachers"
) -> pd.DataFrame:
    """Counts per group and category (every category listed, 0 where none) with shares."""
    totals = df.groupby(GROUP_KEYS, observed=True).size().rename("_total")
    counts = (
        df.groupby([*GROUP_KEYS, column], observed=True, dropna=False)
        .size()
        .unstack(column, fill_value=0)
    )
    cats = list(categories) + [c for c in counts.columns if c not in categories]
    counts = counts.reindex(columns=cats, fill_value=0)
    out = counts.stack().rename(name).reset_index().merge(totals.reset_index(), on=GROUP_KEYS)
    out["share_pct"] = out[name] / out["_total"].where(out["_total"] > 0) * 100
    return out.drop(columns="_total")


def _order(df: pd.DataFrame) -> pd.DataFrame:
    area = {k: i for i, k in enumerate(["urban", "town", "rural", ALL_AREAS])}
    sec = {k: i for i, k in enumerate(["primary", "junior", "senior", COMPULSORY])}
    maps = {"area_group": area, "section_group": sec}
    return df.sort_values(
        ["year", "county", "area_group", "section_group"],
        key=lambda s: s.map(maps[s.name]) if s.name in maps else s,
        kind="stable",
    ).reset_index(drop=True)


@needs_rows("计算教师年龄结构", "core_teachers")
def age_bands(prepared: pd.DataFrame, *, edges: Sequence[int] | None = None) -> pd.DataFrame:
    """Teachers by the statistics' 5-year age bands (``out_teacher_age_bands``).

    Shares are of all the group's teachers (those without a birth date are in ``未填``).

    >>> prep = pd.DataFrame({"year": [2024] * 3, "county": ["甲县"] * 3, "area_group": ["all"] * 3,
    ...     "section_group": ["primary"] * 3, "age": pd.array([23, 52, None], dtype="Int64")})
    >>> out = age_bands(prep, edges=[24, 49])
    >>> out[["age_band", "teachers"]].values.tolist()
    [['24岁及以下', 1], ['25-49岁', 0], ['50岁及以上', 1], ['未填', 1]]
    """
    edges = edges or params()["age_band_edges"]
    d = prepared.assign(age_band=_band(prepared["age"], edges))
    out = _counts(d, "age_band", age_band_labels(edges))
    return coerce(_order(out), "out_teacher_age_bands")


@needs_rows("计算教师年龄分组（50岁以上等）", "core_teachers")
def age_groups(
    prepared: pd.DataFrame, *, groups: Mapping[str, Mapping] | None = None
) -> pd.DataFrame:
    """Teachers in the age groups reports quote (``out_teacher_age_groups``).

    ``groups`` maps a key to ``{label, min_age, max_age}`` (inclusive; ``max_age`` None =
    open); default ``age_groups`` of the parameters (50岁以上 = 51 and over, 51-55岁,
    56-60岁, as the 长治市 report counts them). Shares are of all the group's teachers.

    >>> prep = pd.DataFrame({"year": [2024] * 4, "county": ["甲县"] * 4, "area_group": ["rural"] * 4,
    ...     "section_group": ["primary"] * 4, "age": pd.array([50, 51, 57, 30], dtype="Int64")})
    >>> age_groups(prep)[["age_group", "teachers", "share_pct"]].values.tolist()
    [['50岁以上', 2, 50.0], ['51-55岁', 1, 25.0], ['56-60岁', 1, 25.0]]
    """
    groups = groups or params()["age_groups"]
    totals = prepared.groupby(GROUP_KEYS, observed=True).size().rename("_total")
    age = prepared["age"].astype("float64")
    parts = []
    for spec in groups.values():
        lo = spec.get("min_age")
        hi = spec.get("max_age")
        hit = age.notna()
        if lo is not None:
            hit &= age >= lo
        if hi is not None:
            hit &= age <= hi
        n = hit.groupby([prepared[k] for k in GROUP_KEYS], observed=True).sum().rename("teachers")
        part = pd.concat([n, totals], axis=1).reset_index()
        part["age_group"] = spec["label"]
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["share_pct"] = out["teachers"] / out["_total"].where(out["_total"] > 0) * 100
    return coerce(_order(out), "out_teacher_age_groups")


@needs_rows("计算教师学历结构", "core_teachers")
def degree_structure(prepared: pd.DataFrame) -> pd.DataFrame:
    """Teachers by highest degree (``out_teacher_degrees``); missing degrees as a null row.

    >>> prep = pd.DataFrame({"year": [2024] * 4, "county": ["甲县"] * 4, "area_group": ["all"] * 4,
    ...     "section_group": ["primary"] * 4,
    ...     "degree": ["bachelor", "bachelor", "associate", "below_senior_secondary"]})
    >>> degree_structure(prep)[["degree", "teachers", "share_pct"]].values.tolist()
    [['postgraduate', 0, 0.0], ['bachelor', 2, 50.0], ['associate', 1, 25.0], ['senior_secondary', 0, 0.0], ['below_senior_secondary', 1, 25.0]]
    """
    out = _counts(prepared, "degree", list(value_labels("degree")))
    out["degree"] = out["degree"].where(out["degree"].notna(), None)
    return coerce(_order(out), "out_teacher_degrees")


def _retirement_age(gender: pd.Series, ages: Mapping[str, int]) -> pd.Series:
    default = ages.get("default")
    if default is None:
        raise ValueError("retirement_age needs a 'default' entry for teachers without a gender")
    return gender.map(lambda g: ages.get(g, default) if isinstance(g, str) else default).astype(
        "float64"
    )


@needs_rows("计算今后5年、10年到龄退休的教师", "core_teachers")
def retirements(
    prepared: pd.DataFrame,
    *,
    retirement_age: Mapping[str, int] | int | None = None,
    horizons: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Teachers reaching retirement age within each horizon (``out_teacher_retirements``).

    A teacher aged *a* at the reference date with retirement age *R* retires within *h*
    years when *a* + *h* ≥ *R* (those already past *R* count too). ``retirement_age`` is one
    age or a mapping by gender (``male``, ``female``, ``default``); default from the
    parameters (men 60, women 55).

    >>> prep = pd.DataFrame({"year": [2024] * 4, "county": ["甲县"] * 4, "area_group": ["all"] * 4,
    ...     "section_group": ["primary"] * 4, "gender": ["male", "female", "male", None],
    ...     "age": pd.array([56, 48, 45, 51], dtype="Int64")})
    >>> out = retirements(prep)
    >>> out["horizon_years"].tolist(), out["retiring_teachers"].tolist(), out["retiring_share_pct"].tolist()
    ([5, 10], [1, 3], [25.0, 75.0])
    """
    p = params()
    ages = retirement_age if retirement_age is not None else p["retirement_age"]
    if isinstance(ages, int | float):
        ages = {"default": int(ages)}
    horizons = [int(h) for h in (horizons or p["retirement_horizons"])]
    gender = prepared["gender"] if "gender" in prepared else pd.Series(None, index=prepared.index)
    limit = _retirement_age(gender, ages)
    age = prepared["age"].astype("float64")
    totals = prepared.groupby(GROUP_KEYS, observed=True).size().rename("teachers")
    parts = []
    for h in horizons:
        hit = age.notna() & (age + h >= limit)
        n = (
            hit.groupby([prepared[k] for k in GROUP_KEYS], observed=True)
            .sum()
            .rename("retiring_teachers")
        )
        part = pd.concat([totals, n], axis=1).reset_index().assign(horizon_years=h)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["retiring_share_pct"] = (
        out["retiring_teachers"] / out["teachers"].where(out["teachers"] > 0) * 100
    )
    out = _order(out)
    return coerce(out, "out_teacher_retirements")


@needs_rows("计算体育、艺术、心理健康教师配备", "core_teachers")
def subject_staffing(
    prepared: pd.DataFrame, *, targets: Mapping[str, Mapping] | None = None
) -> pd.DataFrame:
    """PE, music, art and psychology teachers against target shares (``out_subject_staffing``).

    ``targets`` maps a key to ``{label, subject_groups, target_share}``; default
    ``subject_targets`` of the parameters. ``teachers_needed`` is how many teachers of the
    subject must be added for its share to reach the target, keeping the others:
    ceil(target × teachers) − subject teachers, at least 0 (an added teacher also raises
    the total, so this is the figure for redeployment rather than new hiring).

    >>> prep = pd.DataFrame({"year": [2024] * 20, "county": ["甲县"] * 20, "area_group": ["all"] * 20,
    ...     "section_group": ["primary"] * 20, "subject_group": ["pe"] + ["math"] * 19})
    >>> t = {"pe": {"label": "体育", "subject_groups": ["pe"], "target_share": 0.10}}
    >>> subject_staffing(prep, targets=t)[["subject_teachers", "share_pct", "teachers_needed"]].values.tolist()
    [[1.0, 5.0, 1.0]]
    """
    targets = targets or params()["subject_targets"]
    totals = prepared.groupby(GROUP_KEYS, observed=True).size().rename("teachers")
    subj = (
        prepared["subject_group"]
        if "subject_group" in prepared
        else pd.Series(None, index=prepared.index)
    )
    parts = []
    for key, spec in targets.items():
        share = float(spec["target_share"])
        if not 0 <= share <= 1:
            raise ValueError(f"subject target {key!r}: target_share must be 0-1, got {share}")
        hit = subj.isin(list(spec["subject_groups"]))
        n = (
            hit.groupby([prepared[k] for k in GROUP_KEYS], observed=True)
            .sum()
            .rename("subject_teachers")
        )
        part = pd.concat([totals, n], axis=1).reset_index()
        part = part.assign(subject=key, subject_label=spec["label"], target_share_pct=share * 100)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["share_pct"] = out["subject_teachers"] / out["teachers"].where(out["teachers"] > 0) * 100
    need = (
        np.ceil(np.round(out["teachers"] * out["target_share_pct"] / 100, 9))
        - out["subject_teachers"]
    )
    out["teachers_needed"] = need.clip(lower=0).astype("int64")
    return coerce(_order(out), "out_subject_staffing")


def rules_text(p: Mapping | None = None) -> str:
    """The rules of this page's figures in words, from the analysis parameters (so the page
    says what was used, whatever the parameters say).

    >>> rules_text()
    '年龄按每年8月31日计算；到龄退休按男60岁、女55岁（性别不详按60岁）计；配备比例的目标：体育10%，音乐4.5%，美术4.5%，心理健康1%，音乐、美术、心理健康合计15%。'
    """
    p = p or params()
    ref, ages = p["reference_date"], p["retirement_age"]
    targets = "，".join(f"{t['label']}{'合计' if '、' in t['label'] else ''}{100 * float(t['target_share']):g}%"
                        for t in p["subject_targets"].values())
    return (f"年龄按每年{int(ref['month'])}月{int(ref['day'])}日计算；到龄退休按男{ages['male']}岁、女{ages['female']}岁"
            f"（性别不详按{ages['default']}岁）计；配备比例的目标：{targets}。")


def section_teacher_counts(sections: pd.DataFrame) -> pd.DataFrame:
    """Students and teachers per area type and section (``out_teacher_counts``).

    Works for every county, whether its teachers come from a roster or from per-school
    counts (``core_school_sections.teacher_count_source``); sections without teacher counts
    add their students but no teachers.

    >>> sec = pd.DataFrame({"year": [2024] * 2, "county": ["甲县"] * 2, "area_type": ["rural", "urban"],
    ...     "section": ["primary"] * 2, "students": [100, 300], "teachers": [10, 18],
    ...     "above_degree_teachers": [9, 18], "backbone_teachers": [1, 4], "pe_art_teachers": [1, 2]})
    >>> out = section_teacher_counts(sec).query("area_group == 'all' and section_group == 'primary'")
    >>> out[["students", "teachers", "backbone_teachers"]].values.tolist()
    [[400, 28, 5]]
    """
    purpose = "统计各学段专任教师数"
    if isinstance(sections, Missing):
        return sections.because(purpose)
    cols = ["students", "teachers", "above_degree_teachers", "backbone_teachers", "pe_art_teachers"]
    d = sections.loc[sections["section"].isin(params()["compulsory_sections"])]
    if d.empty:
        return missing(purpose, "core_schools")
    if pd.to_numeric(d["teachers"], errors="coerce").isna().all():
        return missing(purpose, "teacher_counts")
    d = d[["year", "county", "area_type", "section", *cols]].copy()
    for c in cols:
        d[c] = pd.to_numeric(d[c], errors="coerce").astype("Float64")
    g = with_groups(d, section="section")
    out = g.groupby(GROUP_KEYS, observed=True)[cols].sum(min_count=1).reset_index()
    return coerce(_order(out), "out_teacher_counts")
