"""Urban-rural gaps: indicator levels, class sizes and teachers across 城区 / 镇区 / 乡村.

Every measure is computed per year, county, section and area type (``area_group`` urban /
town / rural, and ``all`` for the county), then set side by side with the urban-rural
difference (城区 − 乡村) and ratio (城区 ÷ 乡村):

- the seven resource indicators L1-L7 per section, as a student-weighted level
  (Σ numerator ÷ Σ students, which is also the student-weighted mean of the schools'
  values), over the schools that count for the indicators; from the indicator engine's
  per-school values where given (``resource_values``), else from core_school_sections;
- class sizes: mean class size, share of 大班额 classes (56 and over) and of classes above
  the cap, and the reporting bands 正常 / 偏大 / 大班额 / 超大班额;
- teachers: degree shares, mean age, share aged 50岁以上, and the student-teacher ratio.

Examples
--------
>>> sec = pd.DataFrame({"year": [2024] * 2, "county": ["甲县"] * 2, "school_id": ["1", "2"],
...     "section": ["primary"] * 2, "area_type": ["urban", "rural"], "students": [1000, 100],
...     "above_degree_teachers": [50, 3], "is_indicator_school": [True, True]})
>>> lv = resource_levels(sec, indicators=["L1"])
>>> lv[["area_group", "value"]].values.tolist()
[['urban', 5.0], ['rural', 3.0], ['all', 4.818181818181818]]
>>> area_gaps(lv)[["urban_rural_diff", "urban_rural_ratio"]].round(3).values.tolist()
[[2.0, 1.667]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.dictionary import coerce
from analysis.missing import Missing, missing
from analysis.studies import (
    AREA_ORDER,
    SECTION_ORDER,
    check_choice,
    class_size_band_edges,
    params,
    with_groups,
)
from analysis.studies import class_size_cap as class_size_cap_default

__all__ = [
    "CLASS_SIZE_BANDS",
    "area_gaps",
    "area_levels",
    "published_cvs",
    "published_indicator_key",
    "class_measures",
    "class_size_band",
    "class_size_bands",
    "measure_label",
    "measure_unit",
    "resource_levels",
    "school_view",
    "school_resource_values",
    "staffing_measures",
    "teacher_measures",
    "urban_rural_gaps",
]

#: Codes of the class-size bands, smallest first (labels in the column dictionary).
CLASS_SIZE_BANDS = ("normal", "above_normal", "large", "very_large")
_KEYS = ["year", "county", "section_group", "indicator", "area_group"]


def measure_label(key: str, short: bool = False) -> str:
    """Chinese name of an indicator or measure key (L1-L7 or a ``gap_measures`` key).

    >>> measure_label("L4"), measure_label("L4", short=True), measure_label("mean_age")
    ('生均教学及辅助用房面积', '生均教辅用房', '教师平均年龄')
    """
    p = params()
    if key in p["resource_indicators"]:
        spec = p["resource_indicators"][key]
        return spec["short"] if short else spec["label"]
    if key in p["gap_measures"]:
        return p["gap_measures"][key]["label"]
    return key


def measure_unit(key: str) -> str:
    """Unit of an indicator or measure key (empty when it has none).

    >>> measure_unit("L6"), measure_unit("over_50_share")
    ('元', '%')
    """
    p = params()
    spec = p["resource_indicators"].get(key) or p["gap_measures"].get(key) or {}
    return str(spec.get("unit", ""))


def _numerator(sections: pd.DataFrame, spec: Mapping) -> pd.Series:
    plus = [
        pd.to_numeric(sections[c], errors="coerce").astype("float64")
        for c in spec["plus"]
        if c in sections
    ]
    if not plus:
        return pd.Series(np.nan, index=sections.index)
    num = plus[0].copy()
    for s in plus[1:]:
        num = num.add(s, fill_value=0)
    for c in spec.get("minus", []):
        if c in sections:
            num = num.sub(pd.to_numeric(sections[c], errors="coerce").astype("float64").fillna(0))
    return num


def _indicator_keys(indicators: Sequence[str] | None) -> list[str]:
    allowed = list(params()["resource_indicators"])
    keys = list(indicators or allowed)
    bad = [k for k in keys if k not in allowed]
    if bad:
        raise ValueError(f"unknown indicators {bad}; choose from: {', '.join(allowed)}")
    return keys


#: the inputs a resource indicator's numerator comes from (teacher counts or the school table)
_TEACHER_INDICATORS = ("L1", "L2", "L3")


def why_no_values(sections: pd.DataFrame | Missing, indicators: Sequence[str], purpose: str) -> Missing:
    """Why ``sections`` give no value of ``indicators``: no school rows, zero students, or
    the numerators (teacher counts, facility figures) are missing.

    >>> sec = pd.DataFrame({"students": [0, 0], "teachers": [3, 4]})
    >>> why_no_values(sec, ["L1"], "计算教师配备水平").sentence()
    '该县（区）各校在校生数为0，无法计算教师配备水平。'
    """
    if isinstance(sections, Missing):
        return sections.because(purpose)
    if len(sections) == 0:
        return missing(purpose, "core_school_sections")
    students = pd.to_numeric(sections.get("students"), errors="coerce")
    if students is None or not (students > 0).any():
        return missing(purpose, reason="该县（区）各校在校生数为0")
    if all(k in _TEACHER_INDICATORS for k in indicators):
        return missing(purpose, "teacher_counts")
    return missing(purpose, reason="学校基本情况表中没有这些指标所需的面积、设备或教室数")


def school_resource_values(
    sections: pd.DataFrame, *, indicators: Sequence[str] | None = None, counted_only: bool = True
) -> pd.DataFrame:
    """Each school section's value of the resource indicators, from core_school_sections.

    Value = numerator × scale ÷ students (per 100 students for L1-L3 and L7). Sections
    without students get no value. ``counted_only`` keeps only the sections that count for
    the indicators (``is_indicator_school``).

    Returns
    -------
    pandas.DataFrame
        ``year, county, school_id, school_name, section, area_type, indicator, value,
        numerator, students`` (long, one row per school section and indicator).

    Examples
    --------
    >>> sec = pd.DataFrame({"year": [2024], "county": ["甲县"], "school_id": ["1"],
    ...     "school_name": ["一小"], "section": ["primary"], "area_type": ["rural"],
    ...     "students": [200], "teaching_area_m2": [1000.0], "indoor_sports_area_m2": [100.0],
    ...     "sports_ground_area_m2": [1400.0], "is_indicator_school": [True]})
    >>> school_resource_values(sec, indicators=["L4", "L5"])[["indicator", "value"]].values.tolist()
    [['L4', 4.5], ['L5', 7.5]]
    """
    specs = params()["resource_indicators"]
    keys = _indicator_keys(indicators)
    d = sections
    if counted_only and "is_indicator_school" in d:
        d = d.loc[d["is_indicator_school"].astype("bool")]
    base_cols = [
        c for c in ["year", "county", "school_id", "school_name", "section", "area_type"] if c in d
    ]
    students = pd.to_numeric(d["students"], errors="coerce").astype("float64")
    parts = []
    for key in keys:
        num = _numerator(d, specs[key])
        part = d[base_cols].copy()
        part["indicator"] = key
        part["numerator"] = num
        part["students"] = students
        part["value"] = num * specs[key]["scale"] / students.where(students > 0)
        parts.append(part)
    cols = [*base_cols, "indicator", "value", "numerator", "students"]
    return pd.concat(parts, ignore_index=True)[cols]


def resource_levels(
    sections: pd.DataFrame,
    resource_values: pd.DataFrame | None = None,
    *,
    indicators: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Student-weighted level of L1-L7 per section and area type (rows of ``out_area_levels``).

    Parameters
    ----------
    sections : core_school_sections (students, numerators, ``is_indicator_school``).
    resource_values : the indicator engine's per-school values (``out_resource_values``:
        ``year, school_id, section, indicator, value``, and ``is_counted``, ``students``,
        ``county``, ``area_type`` when it has them); when given, the level is the
        student-weighted mean of the counted sections' values (students and area type from
        ``sections`` where the frame lacks them). Otherwise the level is Σ numerator ÷
        Σ students from ``sections``.
    indicators : subset of L1-L7 (default all).
    """
    specs = params()["resource_indicators"]
    keys = _indicator_keys(indicators)
    purpose = "计算资源配置指标" + "、".join(keys) + "的城乡水平"
    if isinstance(sections, Missing):
        return sections.because(purpose)
    if isinstance(resource_values, Missing) or (resource_values is not None and resource_values.empty):
        resource_values = None  # the engine had nothing for this county: use the sections
    if resource_values is not None:
        rv = resource_values.loc[resource_values["indicator"].isin(keys)]
        if "is_counted" in rv:  # the engine says which sections count under its standards
            rv = rv.loc[rv["is_counted"].astype("boolean").fillna(False)]
        key = ["year", "school_id", "section"]
        need = ["county", "area_type", "students"]
        own = [c for c in need if c in rv]
        info = sections[[*key, *[c for c in need if c not in own]]]
        d = rv[[*key, "indicator", "value", *own]].merge(
            info, on=key, how="inner", validate="many_to_one"
        )
        d = d.assign(students=pd.to_numeric(d["students"], errors="coerce").astype("float64"))
        d = d.loc[d["value"].notna() & (d["students"] > 0)]
        d = d.assign(numerator=d["value"] * d["students"], scale=1.0)
    else:
        d = school_resource_values(sections, indicators=keys)
        d = d.loc[d["numerator"].notna() & (d["students"] > 0)]
        d = d.assign(scale=d["indicator"].map({k: float(specs[k]["scale"]) for k in keys}))
    if d.empty:
        return why_no_values(sections, keys, purpose)
    g = with_groups(d).assign(section_group=lambda x: x["section"])
    sums = g.groupby(_KEYS, observed=True).agg(
        numerator=("numerator", "sum"), students=("students", "sum"), scale=("scale", "first")
    )
    sums["value"] = sums["numerator"] * sums["scale"] / sums["students"]
    return _order(sums.reset_index()[_KEYS + ["value"]])


def class_size_band(sizes: pd.Series, edges: Sequence[int] | None = None) -> pd.Series:
    """Band code of each class size: ≤45 normal, 46-55 above_normal, 56-65 large, ≥66 very_large.

    ``edges`` are the inclusive upper edges of the first three bands (default: G5 of the
    standards, ``[45, 55, 65]``).

    >>> class_size_band(pd.Series([45, 46, 56, 66])).tolist()
    ['normal', 'above_normal', 'large', 'very_large']
    """
    edges = [int(e) for e in (edges or class_size_band_edges())]
    if len(edges) != len(CLASS_SIZE_BANDS) - 1 or edges != sorted(set(edges)):
        raise ValueError(
            f"class-size band edges must be {len(CLASS_SIZE_BANDS) - 1} increasing numbers, got {edges}"
        )
    bins = [-np.inf, *edges, np.inf]
    return pd.cut(
        sizes.astype("float64"), bins=bins, labels=list(CLASS_SIZE_BANDS), right=True
    ).astype("object")


def _classes(classes: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    info = schools[["year", "school_id", "county", "area_type"]].drop_duplicates(
        ["year", "school_id"]
    )
    d = classes[["year", "school_id", "section", "students"]].merge(
        info, on=["year", "school_id"], how="inner", validate="many_to_one"
    )
    d = d.assign(students=pd.to_numeric(d["students"], errors="coerce").astype("float64"))
    d = d.loc[d["students"].notna() & d["section"].isin(params()["compulsory_sections"])]
    return with_groups(d, section="section")


def class_size_bands(
    classes: pd.DataFrame, schools: pd.DataFrame, *, edges: Sequence[int] | None = None
) -> pd.DataFrame:
    """Classes and students by class-size band (``out_class_size_bands``).

    Shares are of the group's classes.

    >>> cl = pd.DataFrame({"year": [2024] * 4, "school_id": ["1"] * 4, "section": ["primary"] * 4,
    ...     "students": [40, 50, 58, 70]})
    >>> sch = pd.DataFrame({"year": [2024], "school_id": ["1"], "county": ["甲县"], "area_type": ["urban"]})
    >>> out = class_size_bands(cl, sch).query("area_group == 'urban' and section_group == 'primary'")
    >>> out[["class_size_band", "classes", "students", "share_pct"]].values.tolist()
    [['normal', 1, 40, 25.0], ['above_normal', 1, 50, 25.0], ['large', 1, 58, 25.0], ['very_large', 1, 70, 25.0]]
    """
    purpose = "统计班额分布"
    if isinstance(classes, Missing) or classes is None or len(classes) == 0:
        return missing(purpose, "core_classes")
    d = _classes(classes, schools)
    if d.empty:
        return missing(purpose, "core_classes")
    d = d.assign(class_size_band=class_size_band(d["students"], edges))
    keys = ["year", "county", "area_group", "section_group"]
    counts = d.groupby([*keys, "class_size_band"], observed=True).agg(
        classes=("students", "size"), students=("students", "sum")
    )
    full = counts.unstack("class_size_band", fill_value=0)
    full = full.reindex(
        columns=pd.MultiIndex.from_product(
            [["classes", "students"], CLASS_SIZE_BANDS], names=[None, "class_size_band"]
        ),
        fill_value=0,
    )
    out = full.stack("class_size_band", future_stack=True).reset_index()
    totals = out.groupby(keys, observed=True)["classes"].transform("sum")
    out["share_pct"] = out["classes"] / totals.where(totals > 0) * 100
    return coerce(_order(out, keys), "out_class_size_bands")


def class_measures(
    classes: pd.DataFrame,
    schools: pd.DataFrame,
    *,
    class_size_cap: Mapping[str, int] | None = None,
    edges: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Mean class size, share of 大班额 classes (above the second band edge, i.e. ≥56) and share of
    classes above the section's cap, per area type (rows of ``out_area_levels``).

    >>> cl = pd.DataFrame({"year": [2024] * 4, "school_id": ["1"] * 4, "section": ["primary"] * 4,
    ...     "students": [40, 50, 58, 70]})
    >>> sch = pd.DataFrame({"year": [2024], "school_id": ["1"], "county": ["甲县"], "area_type": ["urban"]})
    >>> m = class_measures(cl, sch).query("area_group == 'urban' and section_group == 'primary'")
    >>> m[["indicator", "value"]].values.tolist()
    [['avg_class_size', 54.5], ['large_class_share', 50.0], ['over_cap_class_share', 75.0]]
    """
    cap = dict(class_size_cap or class_size_cap_default())
    edges = [int(e) for e in (edges or class_size_band_edges())]
    d = _classes(classes, schools)
    d = d.assign(
        large=(d["students"] > edges[1]).astype("float64") * 100,
        over_cap=(d["students"] > d["section"].map(cap)).astype("float64") * 100,
    )
    keys = ["year", "county", "section_group", "area_group"]
    agg = d.groupby(keys, observed=True).agg(
        avg_class_size=("students", "mean"),
        large_class_share=("large", "mean"),
        over_cap_class_share=("over_cap", "mean"),
    )
    out = agg.stack().rename("value").reset_index().rename(columns={"level_4": "indicator"})
    return _order(out[_KEYS + ["value"]])


def teacher_measures(prepared: pd.DataFrame) -> pd.DataFrame:
    """Degree shares, mean age and share aged 50岁以上 per area type (rows of ``out_area_levels``).

    ``prepared`` is :func:`analysis.studies.teachers.prepare_teachers` output. Shares are
    of the teachers whose degree (or age) is known.

    >>> prep = pd.DataFrame({"year": [2024] * 4, "county": ["甲县"] * 4, "area_group": ["rural"] * 4,
    ...     "section_group": ["primary"] * 4, "degree": ["bachelor", "associate", "associate", None],
    ...     "age": pd.array([30, 52, 58, None], dtype="Int64")})
    >>> teacher_measures(prep)[["indicator", "value"]].round(2).values.tolist()
    [['bachelor_share', 33.33], ['below_bachelor_share', 66.67], ['mean_age', 46.67], ['over_50_share', 66.67]]
    """
    p = params()
    below = set(p["below_bachelor_degrees"])
    over = p["age_groups"]["over_50"]
    deg = prepared["degree"]
    age = prepared["age"].astype("float64")
    known = deg.notna()
    over_50 = age >= over["min_age"]
    if over.get("max_age") is not None:
        over_50 &= age <= over["max_age"]
    d = pd.DataFrame(
        {
            "bachelor_share": (
                deg.isin(["postgraduate", "bachelor"]).astype("float64") * 100
            ).where(known),
            "below_bachelor_share": (deg.isin(below).astype("float64") * 100).where(known),
            "mean_age": age,
            "over_50_share": (over_50.astype("float64") * 100).where(age.notna()),
        }
    )
    keys = ["year", "county", "section_group", "area_group"]
    for k in keys:
        d[k] = prepared[k].to_numpy()
    agg = d.groupby(keys, observed=True).mean()
    out = agg.stack().rename("value").reset_index().rename(columns={"level_4": "indicator"})
    return _order(out[_KEYS + ["value"]])


def staffing_measures(sections: pd.DataFrame) -> pd.DataFrame:
    """Student-teacher ratio (Σ students ÷ Σ full-time teachers) per area type.

    Only sections with a teacher count take part.

    >>> sec = pd.DataFrame({"year": [2024] * 2, "county": ["甲县"] * 2, "area_type": ["rural"] * 2,
    ...     "section": ["primary"] * 2, "students": [100, 200], "teachers": [10, 10]})
    >>> staffing_measures(sec).query("area_group == 'rural' and section_group == 'primary'")["value"].tolist()
    [15.0]
    """
    d = sections.loc[sections["section"].isin(params()["compulsory_sections"])]
    d = d[["year", "county", "area_type", "section", "students", "teachers"]].copy()
    d["teachers"] = pd.to_numeric(d["teachers"], errors="coerce").astype("float64")
    d["students"] = pd.to_numeric(d["students"], errors="coerce").astype("float64")
    d = d.loc[d["teachers"].notna() & d["students"].notna()]
    g = with_groups(d, section="section")
    sums = g.groupby(["year", "county", "section_group", "area_group"], observed=True)[
        ["students", "teachers"]
    ].sum()
    sums["value"] = sums["students"] / sums["teachers"].where(sums["teachers"] > 0)
    out = sums.reset_index().assign(indicator="student_teacher_ratio")
    return _order(out[_KEYS + ["value"]])


def area_levels(
    sections: pd.DataFrame,
    *,
    classes: pd.DataFrame | None = None,
    schools: pd.DataFrame | None = None,
    teachers: pd.DataFrame | None = None,
    resource_values: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All measures per area type in one long table (``out_area_levels``).

    Parameters
    ----------
    sections : core_school_sections (L1-L7 and the student-teacher ratio).
    classes, schools : core_classes and core_schools (class-size measures); optional.
    teachers : :func:`~analysis.studies.teachers.prepare_teachers` output; optional.
    resource_values : the engine's per-school L1-L7 values; optional (see :func:`resource_levels`).
    """
    purpose = "比较城区、镇区、乡村的资源配置、班额和教师"
    if isinstance(sections, Missing):
        return sections.because(purpose)
    if len(sections) == 0:
        return missing(purpose, "core_school_sections")
    parts = [resource_levels(sections, resource_values)]
    parts.append(staffing_measures(sections))
    if classes is not None and schools is not None and not isinstance(classes, Missing) and not classes.empty:
        parts.append(class_measures(classes, schools))
    if teachers is not None and not isinstance(teachers, Missing) and not teachers.empty:
        parts.append(teacher_measures(teachers))
    parts = [p for p in parts if not isinstance(p, Missing) and not p.empty]
    if not parts:
        return why_no_values(sections, list(params()["resource_indicators"]), purpose)
    out = pd.concat(parts, ignore_index=True)
    return coerce(_order(out), "out_area_levels")


def area_gaps(
    levels: pd.DataFrame, *, reference: str = "urban", compare: str = "rural"
) -> pd.DataFrame:
    """Levels side by side, with the difference and ratio of two area types (``out_area_gaps``).

    The difference is ``reference − compare`` and the ratio ``reference ÷ compare``
    (城区 vs 乡村 by default; missing when ``compare`` is 0 or missing).

    >>> lv = pd.DataFrame({"year": 2024, "county": "甲县", "section_group": "primary",
    ...     "indicator": "L5", "area_group": ["urban", "rural", "all"], "value": [6.0, 9.0, 6.6]})
    >>> area_gaps(lv)[["urban_level", "rural_level", "urban_rural_diff", "urban_rural_ratio"]].round(3).values.tolist()
    [[6.0, 9.0, -3.0, 0.667]]
    """
    if isinstance(levels, Missing):
        return levels.because("计算城乡差距")
    areas = list(AREA_ORDER)
    if reference not in areas or compare not in areas:
        raise ValueError(
            f"reference and compare must be among {areas}; got {reference!r}, {compare!r}"
        )
    keys = ["year", "county", "section_group", "indicator"]
    wide = levels.pivot_table(
        index=keys, columns="area_group", values="value", aggfunc="first", observed=True
    )
    wide = wide.reindex(columns=areas)
    out = pd.DataFrame(index=wide.index)
    for a in areas:
        out[f"{a}_level"] = wide[a]
    out["urban_rural_diff"] = wide[reference] - wide[compare]
    out["urban_rural_ratio"] = wide[reference] / wide[compare].where(wide[compare] != 0)
    return coerce(_order(out.reset_index(), keys), "out_area_gaps")


def urban_rural_gaps(
    sections: pd.DataFrame,
    *,
    classes: pd.DataFrame | None = None,
    schools: pd.DataFrame | None = None,
    teachers: pd.DataFrame | None = None,
    resource_values: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(levels, gaps)``: :func:`area_levels` and :func:`area_gaps` in one call.

    >>> sec = pd.DataFrame({"year": 2024, "county": "甲县", "school_id": ["1", "2", "3"],
    ...     "section": "primary", "area_type": ["urban", "town", "rural"], "students": [900, 300, 100],
    ...     "teachers": [50, 20, 10], "multimedia_rooms": [18, 9, 4], "is_indicator_school": True})
    >>> levels, gaps = urban_rural_gaps(sec)
    >>> g = gaps.query("section_group == 'primary'").set_index("indicator")
    >>> g.loc["L7", ["urban_level", "rural_level", "urban_rural_ratio"]].tolist()
    [2.0, 4.0, 0.5]
    >>> round(float(g.loc["student_teacher_ratio", "all_level"]), 2)
    16.25
    """
    levels = area_levels(
        sections,
        classes=classes,
        schools=schools,
        teachers=teachers,
        resource_values=resource_values,
    )
    return levels, area_gaps(levels)


def _order(df: pd.DataFrame, keys: Sequence[str] | None = None) -> pd.DataFrame:
    keys = list(keys or _KEYS)
    p = params()
    ind_order = list(p["resource_indicators"]) + list(p["gap_measures"])
    maps = {
        "area_group": {k: i for i, k in enumerate(AREA_ORDER)},
        "section_group": {k: i for i, k in enumerate(SECTION_ORDER)},
        "indicator": {k: i for i, k in enumerate(ind_order)},
    }
    cols = [
        c
        for c in ["year", "county", "section_group", "indicator", "area_group"]
        if c in df and c in keys
    ]
    rest = [c for c in keys if c not in cols]
    return df.sort_values(
        cols + rest,
        key=lambda s: s.map(maps[s.name]).fillna(len(maps[s.name])) if s.name in maps else s,
        kind="stable",
    ).reset_index(drop=True)


def published_indicator_key(text: str) -> str | None:
    """The L1-L7 key a published indicator's text refers to, or None.

    An explicit key (``L3``) wins; otherwise the ``match`` words of the parameters.

    >>> published_indicator_key("每百名学生拥有体育、艺术专任教师数校际差异系数")
    'L3'
    >>> published_indicator_key("L5差异系数"), published_indicator_key("巩固率")
    ('L5', None)
    """
    import re

    m = re.search(r"\bL([1-7])(?!\d)", text) or re.search(r"L([1-7])(?!\d)", text)
    if m:
        return f"L{m.group(1)}"
    for key, spec in params()["resource_indicators"].items():
        if any(w in text for w in spec.get("match", [])):
            return key
    return None


def published_cvs(
    published: pd.DataFrame,
    *,
    words: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Difference coefficients printed in official documents, from ``core_published``.

    A row is a difference coefficient when its indicator contains one of ``words``
    (default ``published_cv_indicators`` of the parameters: 差异系数) and names one of L1-L7;
    composite coefficients and other rows are left out. With ``thresholds`` ({section:
    limit}, e.g. :func:`analysis.studies.cv_thresholds`) the frame gets ``threshold`` and
    ``is_met`` (cv ≤ threshold).

    Returns
    -------
    pandas.DataFrame
        ``region, year, section, indicator, cv, source`` (section primary / junior).

    Examples
    --------
    >>> pub = pd.DataFrame({"region": ["万盛"] * 3, "indicator": ["L1校际差异系数", "L1校际差异系数", "综合差异系数"],
    ...     "published_section": ["小学", "初中", "小学"], "year": [2024] * 3, "value": [0.491, 0.229, 0.4],
    ...     "source": ["万盛经开区自评报告"] * 3})
    >>> published_cvs(pub)[["section", "indicator", "cv"]].values.tolist()
    [['primary', 'L1', 0.491], ['junior', 'L1', 0.229]]
    """
    words = list(words or params()["published_cv_indicators"])
    text = published["indicator"].astype("str")
    # a bool Series even when empty (``apply`` on an empty str column returns str)
    is_cv = pd.Series([any(w in t for w in words) for t in text], index=text.index, dtype=bool)
    d = published.loc[is_cv & published["value"].notna()].copy()
    d["key"] = d["indicator"].astype("str").map(published_indicator_key)
    d["section"] = d["published_section"].map({"小学": "primary", "初中": "junior"})
    d = d.dropna(subset=["key", "section"])
    out = pd.DataFrame(
        {
            "region": d["region"],
            "year": d["year"].astype("int64"),
            "section": d["section"],
            "indicator": d["key"],
            "cv": d["value"].astype("float64"),
            "source": d.get("source", None),
        }
    )
    if thresholds is not None:
        out["threshold"] = out["section"].map(thresholds).astype("float64")
        out["is_met"] = (out["cv"] <= out["threshold"]).astype("boolean")
    return out.sort_values(
        ["region", "year", "section", "indicator"],
        key=lambda s: s.map({"primary": 0, "junior": 1}) if s.name == "section" else s,
    ).reset_index(drop=True)


def school_view(
    values: pd.DataFrame,
    *,
    county: str,
    year: int,
    indicator: str,
    section: str,
    area: str = "all",
    name_contains: str = "",
    standard: float | None = None,
) -> pd.DataFrame:
    """One indicator's per-school values for a county, year, section and area, lowest first.

    ``values`` is :func:`school_resource_values` output (or the engine's resource values).
    ``area`` is ``all`` or an area type; ``name_contains`` filters school names. With a
    ``standard`` the frame gets ``standard`` and ``ratio_to_standard``.

    >>> v = pd.DataFrame({"year": [2024] * 2, "county": ["甲县"] * 2, "school_id": ["1", "2"],
    ...     "school_name": ["一小", "二小"], "section": ["primary"] * 2, "area_type": ["urban", "rural"],
    ...     "indicator": ["L1"] * 2, "value": [5.0, 3.0], "students": [100.0, 50.0]})
    >>> school_view(v, county="甲县", year=2024, indicator="L1", section="primary",
    ...             standard=4.2)[["school_name", "ratio_to_standard"]].round(3).values.tolist()
    [['二小', 0.714], ['一小', 1.19]]
    """
    check_choice("area", area, AREA_ORDER)
    check_choice("section", section, ["primary", "junior"])
    _indicator_keys([indicator])
    if isinstance(values, Missing):
        return values.because("列出各校指标值")
    d = values.loc[
        (values["county"] == county)
        & (values["year"] == int(year))
        & (values["indicator"] == indicator)
        & (values["section"] == section)
    ]
    if area != "all":
        d = d.loc[d["area_type"] == area]
    if name_contains:
        d = d.loc[d["school_name"].astype("str").str.contains(name_contains, regex=False)]
    if len(d) and d["value"].isna().all():  # schools, but no value: say which input is missing
        return why_no_values(d, [indicator], f"列出各校的{measure_label(indicator)}")
    cols = [c for c in ["school_id", "school_name", "area_type", "students", "value"] if c in d]
    out = d[cols].sort_values("value", kind="stable").reset_index(drop=True)
    if standard is not None:
        out["standard"] = float(standard)
        out["ratio_to_standard"] = out["value"] / float(standard)
    return out
