"""Enrolment projection from births: grade-1 intake = the cohort born six years earlier × an entry ratio.

The grade-progression projection (:mod:`analysis.studies.projection`) starts grade 1 from an
assumption. Where a county has births or school-age population (``core_births``: 出生人口,
户籍出生人口 or 分年龄人口), the intake follows the cohorts instead:

1. **Cohort of an intake year.** The children entering grade 1 in year Y were born in Y - 6.
   Births (and registered births) of year B give the cohort of intake year B + 6; a count of
   residents aged a in year S gives the cohort of intake year S - a + 6 (when several ages
   describe one cohort, the count at the age nearest 6 is used). One measure per county:
   the first of ``measure_priority`` (births, registered births, age-specific population)
   the county has. Gaps between known cohorts are filled by linear interpolation
   (``intake_basis`` ``interpolated``).
2. **Entry ratio.** ``r = Σ entrants / Σ cohort`` over the last ``entry_years`` intake years in
   which both are known (a cohort-weighted mean of the yearly ratios: large cohorts count
   more, one odd small year does not swing it). The band is the lowest and highest yearly
   ratio of those years, and at least ``r × (1 ± min_ratio_spread)``. The ratio absorbs
   migration, early or late entry and pupils in schools outside the statistics.
3. **Intake.** For a projected year Y with a known cohort: ``r × cohort(Y - 6)``, band
   ``r_low × cohort`` … ``r_high × cohort`` (``intake_basis`` ``births``). Births known up
   to year B drive the intake up to B + 6. Beyond it the cohort is *extended* by the stated
   assumption ``extension`` (``last``: held at the last known cohort; ``mean``: mean of the
   last ``extension_years`` cohorts; ``trend``: their average annual change continued), and
   the band widens by ``± extension_spread`` a year beyond the last known cohort
   (``intake_basis`` ``extended``); :attr:`BirthsProjection.method` says so in Chinese.
4. **Areas.** An area type (城区 / 镇区 / 乡村) with its own births rows gets its own ratio;
   otherwise its intake is the county's births-driven intake × the area's share of the
   county's grade-1 entrants over the estimation years (``entry_ratio_source`` ``share``).
   The area rows then need not add up exactly to the county row (own ratios differ).
5. **Grades 2-9** move up with the pooled progression ratios of the existing projection;
   the band carries the low and high intake through the grades. Places needed compare each
   section with the base year's capacity (classes × class-size cap), for the projection and
   for the band's high end; the peak year is the year of the most students of the section
   from the base year on.

A county without births gets the assumption-only intake of the existing method
(``intake_basis`` ``assumed``, ``entry_ratio_source`` ``none``); :func:`has_births` tells
a notebook which path it is on.

Examples
--------
>>> enr = pd.DataFrame({"year": [2023] * 2 + [2024] * 2, "school_id": ["1"] * 4,
...     "grade": [1, 2, 1, 2], "students": [100, 90, 110, 95]})
>>> sch = pd.DataFrame({"year": [2023, 2024], "school_id": ["1", "1"],
...     "county": ["甲县"] * 2, "area_type": ["rural"] * 2})
>>> bir = pd.DataFrame({"county": ["甲县"] * 4, "year": [2017, 2018, 2019, 2020],
...     "area_group": ["all"] * 4, "population_measure": ["births"] * 4, "age": [0] * 4,
...     "population": [200, 220, 180, 160]})
>>> p = project_from_births(enr, sch, bir, horizon=3, grades=[1, 2])
>>> p.entry.query("area_group == 'all'")["entry_ratio"].round(4).tolist()   # (100 + 110) / (200 + 220)
[0.5]
>>> p.students.query("area_group == 'all' and grade == 1 and is_projected")[
...     ["year", "students_projected", "intake_basis"]].values.tolist()
[[2025, 90.0, 'births'], [2026, 80.0, 'births'], [2027, 80.0, 'extended']]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.dictionary import coerce, value_labels
from analysis.studies import ALL_AREAS, check_choice, group_label, params
from analysis.studies import class_size_cap as _caps
from analysis.studies.projection import (
    INTAKE_METHODS,
    grade_section,
    grade_totals,
    intake_series,
    places_needed,
    progression_ratios,
    project_enrolment,
    sort_groups,
)
from analysis.tables import MissingTableError

__all__ = [
    "EXTENSIONS",
    "BirthsProjection",
    "backtest",
    "cohorts",
    "entry_ratio",
    "has_births",
    "project_from_births",
]

#: Assumptions that extend the cohort series beyond the last known cohort.
EXTENSIONS = ("last", "mean", "trend")
#: Age of grade-1 entry: the cohort born in Y - ENTRY_AGE enters grade 1 in Y.
ENTRY_AGE = 6


@dataclass(frozen=True)
class BirthsProjection:
    """Result of :func:`project_from_births`.

    Attributes
    ----------
    students : ``out_births_projection`` (students by grade with the band).
    entry : ``out_entry_ratios`` (the entry ratio of every county and area type).
    levels : ``out_level_projection`` (students per section and year, capacity, places needed).
    outlook : ``out_level_outlook`` (5- and 10-year values, peak year, places needed at the peak).
    ratios : ``out_progression_ratios`` (grade-progression ratios used).
    method : the method and its assumptions, in Chinese.
    base_year : last observed year.
    counties_without_births : counties projected with the assumption-only intake.
    """

    students: pd.DataFrame
    entry: pd.DataFrame
    levels: pd.DataFrame
    outlook: pd.DataFrame
    ratios: pd.DataFrame
    method: str
    base_year: int
    counties_without_births: tuple[str, ...] = field(default_factory=tuple)


def has_births(births: pd.DataFrame | None, county: str | None = None) -> bool:
    """True when ``births`` (core_births) has a usable count (of ``county``, if given).

    >>> b = pd.DataFrame({"county": ["甲县"], "population": [10]})
    >>> has_births(b, "甲县"), has_births(b, "乙县"), has_births(None)
    (True, False, False)
    """
    if births is None or births.empty:
        return False
    b = births if county is None else births.loc[births["county"] == county]
    return bool(pd.to_numeric(b["population"], errors="coerce").gt(0).any())


def cohorts(births: pd.DataFrame, measure_priority: Sequence[str] | None = None) -> pd.DataFrame:
    """Cohort size by county, area type and intake year (the year the cohort enters grade 1).

    Births of year B give intake year B + 6; residents aged a in year S give S - a + 6 (the
    count at the age nearest 6 wins when several describe one cohort). One measure per
    county: the first of ``measure_priority`` it has. A county with area rows but no
    ``all`` rows for a year gets their sum as its total when every area it reports is there.

    Returns columns ``county, area_group, intake_year, cohort, population_measure``.

    >>> b = pd.DataFrame({"county": ["甲县"] * 3, "year": [2018, 2024, 2024],
    ...     "area_group": ["all"] * 3, "population_measure": ["births", "age_population", "age_population"],
    ...     "age": [0, 5, 4], "population": [100, 95, 90]})
    >>> cohorts(b)[["intake_year", "cohort", "population_measure"]].astype(object).values.tolist()
    [[2024, 100.0, 'births']]
    >>> cohorts(b, ["age_population"])[["intake_year", "cohort"]].astype(object).values.tolist()
    [[2025, 95.0], [2026, 90.0]]
    """
    cols = ["county", "area_group", "intake_year", "cohort", "population_measure"]
    if births is None or births.empty:
        return pd.DataFrame(columns=cols)
    priority = list(measure_priority or params()["births_projection"]["measure_priority"])
    for m in priority:
        check_choice("measure", m, value_labels("population_measure"))
    def col(name: str, default):
        return births[name] if name in births else pd.Series(default, index=births.index)

    b = births.assign(
        population=pd.to_numeric(births["population"], errors="coerce"),
        age=pd.to_numeric(col("age", 0), errors="coerce").fillna(0).astype("int64"),
        area_group=col("area_group", ALL_AREAS).fillna(ALL_AREAS).astype("str"),
        population_measure=col("population_measure", "births"),
    ).dropna(subset=["population"])
    b = b.loc[b["population_measure"].isin(priority)]
    if b.empty:
        return pd.DataFrame(columns=cols)
    rank = {m: i for i, m in enumerate(priority)}
    first = b.assign(_rank=b["population_measure"].map(rank)).groupby("county")["_rank"].min()
    b = b.loc[b["population_measure"].map(rank) == b["county"].map(first)]
    b = b.assign(
        intake_year=b["year"].astype("int64") - b["age"] + ENTRY_AGE,
        _dist=(b["age"] - ENTRY_AGE).abs(),
    )
    b = b.sort_values(["county", "area_group", "intake_year", "_dist", "age"], kind="stable")
    b = b.drop_duplicates(["county", "area_group", "intake_year"], keep="first")
    out = b.rename(columns={"population": "cohort"})[cols]
    # totals from the areas where the table only gives areas
    areas = out.loc[out["area_group"] != ALL_AREAS]
    if len(areas):
        n_areas = areas.groupby("county")["area_group"].nunique()
        sums = areas.groupby(["county", "intake_year"]).agg(
            cohort=("cohort", "sum"), n=("area_group", "nunique"),
            population_measure=("population_measure", "first")).reset_index()
        sums = sums.loc[sums["n"] == sums["county"].map(n_areas)]
        have = pd.MultiIndex.from_frame(out.loc[out["area_group"] == ALL_AREAS, ["county", "intake_year"]])
        sums = sums.loc[~pd.MultiIndex.from_frame(sums[["county", "intake_year"]]).isin(have)]
        out = pd.concat([out, sums.assign(area_group=ALL_AREAS)[cols]], ignore_index=True)
    out = out.astype({"cohort": "float64", "intake_year": "int64"})
    return sort_groups(out, ["county", "area_group", "intake_year"])


def entry_ratio(
    entrants: pd.Series, cohort: pd.Series, *, entry_years: int | None = None,
    min_spread: float | None = None,
) -> tuple[float, float, float, int]:
    """Entry ratio ``Σ entrants / Σ cohort`` over the last ``entry_years`` years both know,
    with its band (lowest and highest yearly ratio, at least ``ratio × (1 ± min_spread)``).

    Both series are indexed by intake year. Returns ``(ratio, low, high, years used)``; NaN
    and 0 years when no year has both.

    >>> g1 = pd.Series({2020: 90.0, 2021: 100.0, 2022: 120.0})
    >>> b = pd.Series({2020: 100.0, 2021: 100.0, 2022: 125.0, 2023: 110.0})
    >>> [round(x, 4) for x in entry_ratio(g1, b, min_spread=0.0)]
    [0.9538, 0.9, 1.0, 3]
    >>> [round(x, 4) for x in entry_ratio(g1, b, entry_years=1, min_spread=0.02)]
    [0.96, 0.9408, 0.9792, 1]
    """
    p = params()["births_projection"]
    entry_years = int(entry_years or p["entry_years"])
    min_spread = float(p["min_ratio_spread"] if min_spread is None else min_spread)
    both = pd.concat([entrants.rename("g"), cohort.rename("c")], axis=1).dropna()
    both = both.loc[(both["c"] > 0) & (both["g"] >= 0)].sort_index().iloc[-entry_years:]
    if both.empty:
        return np.nan, np.nan, np.nan, 0
    ratio = float(both["g"].sum() / both["c"].sum())
    yearly = both["g"] / both["c"]
    low = min(float(yearly.min()), ratio * (1 - min_spread))
    high = max(float(yearly.max()), ratio * (1 + min_spread))
    return ratio, low, high, len(both)


def _cohort_path(
    known: pd.Series, years: np.ndarray, extension: str, extension_years: int, spread: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cohort (mid, low factor, high factor, basis) for each intake year of ``years``.

    Interior gaps are interpolated linearly; years after the last known cohort are extended
    by ``extension`` with the band widened by ``± spread`` a year; years before the first
    known cohort (not used: they are observed) are left NaN.
    """
    known = known.dropna().sort_index()
    mid = np.full(len(years), np.nan)
    lo = np.ones(len(years))
    hi = np.ones(len(years))
    basis = np.full(len(years), "births", dtype=object)
    if known.empty:
        return mid, lo, hi, np.full(len(years), "assumed", dtype=object)
    first, last = int(known.index.min()), int(known.index.max())
    full = known.reindex(range(first, last + 1))
    interp = full.interpolate(method="index")
    tail = known.iloc[-extension_years:]
    if extension == "last":
        base, step = float(known.iloc[-1]), 1.0
    elif extension == "mean":
        base, step = float(tail.mean()), 1.0
    else:  # trend: average annual change (geometric) of the last cohorts, continued
        span = int(tail.index[-1] - tail.index[0])
        step = float((tail.iloc[-1] / tail.iloc[0]) ** (1 / span)) if span > 0 and tail.iloc[0] > 0 else 1.0
        base = float(known.iloc[-1])
    for i, y in enumerate(years):
        y = int(y)
        if first <= y <= last:
            mid[i] = float(interp.loc[y])
            basis[i] = "births" if pd.notna(full.loc[y]) else "interpolated"
        elif y > last:
            k = y - last
            mid[i] = base * step**k if extension != "mean" else base
            lo[i] = (1 - spread) ** k
            hi[i] = (1 + spread) ** k
            basis[i] = "extended"
        else:
            basis[i] = "assumed"
    return mid, lo, hi, basis


def project_from_births(
    enrolment: pd.DataFrame,
    schools: pd.DataFrame,
    births: pd.DataFrame | None,
    sections: pd.DataFrame | None = None,
    *,
    horizon: int | None = None,
    ratio_years: int | None = None,
    entry_years: int | None = None,
    min_ratio_spread: float | None = None,
    measure_priority: Sequence[str] | None = None,
    extension: str | None = None,
    extension_years: int | None = None,
    extension_spread: float | None = None,
    fallback_method: str | None = None,
    class_size_cap: Mapping[str, int] | None = None,
    standards=None,
    grades: Sequence[int] = tuple(range(1, 10)),
) -> BirthsProjection:
    """Project students by grade with the grade-1 intake from births six years earlier.

    Parameters
    ----------
    enrolment : core_enrolment (``year, school_id, grade, students``).
    schools : core_schools (``year, school_id, county, area_type``).
    births : core_births (may be None or empty: every county then gets the fallback intake).
    sections : core_school_sections (``classes``) for capacity; without it no capacity.
    horizon, ratio_years : as :func:`analysis.studies.projection.project_enrolment`.
    entry_years : intake years pooled for the entry ratio (default 6).
    min_ratio_spread : smallest half-width of the ratio band, as a share (default 0.02).
    measure_priority : measures of core_births in order of preference.
    extension : cohorts beyond the last known one: ``last``, ``mean`` or ``trend``.
    extension_years : cohorts averaged by ``mean`` / ``trend`` (default 3).
    extension_spread : band widening per year beyond the last known cohort (default 0.05).
    fallback_method : intake of counties (or groups) without births or without a usable
        ratio: ``mean``, ``last`` or ``growth`` (default: the projection's ``intake_method``).
    class_size_cap, standards : capacity, as in the existing projection.
    grades : consecutive grades projected (default 1-9).

    Returns
    -------
    BirthsProjection
    """
    s = _settings(horizon, ratio_years, entry_years, min_ratio_spread, extension, extension_years,
                  extension_spread, fallback_method)
    grades = [int(g) for g in grades]
    if grades != list(range(grades[0], grades[0] + len(grades))):
        raise ValueError(f"grades must be consecutive, got {grades}")

    totals = grade_totals(enrolment, schools, grades)
    if totals.empty:
        raise ValueError("no enrolment rows match the schools; cannot project")
    all_years = sorted(int(y) for y in totals["year"].unique())
    base_year = all_years[-1]
    pairs = [y for y in all_years if y - 1 in all_years]
    if not pairs:
        raise ValueError(f"a projection needs at least two consecutive years of enrolment by grade; got {all_years}")
    future = np.arange(base_year + 1, base_year + s.horizon + 1)
    coh = cohorts(births, measure_priority) if births is not None else cohorts(None)
    pivots = {
        key: grp.pivot_table(index="year", columns="grade", values="students", aggfunc="sum")
        .reindex(columns=grades).reindex(all_years).fillna(0.0)
        for key, grp in totals.groupby(["county", "area_group"], observed=True)
    }
    county_ratios = {c: progression_ratios(pv, grades, s.ratio_years) for (c, a), pv in pivots.items() if a == ALL_AREAS}
    entry_rows, intake = _entry_and_intake(pivots, coh, grades, all_years, future, s)

    student_rows, ratio_rows = [], []
    for (county, area), pv in pivots.items():
        pooled = county_ratios.get(county, pd.Series(dtype="float64"))
        group_students, group_ratios = _project_group(
            county, area, pv, pooled, intake[(county, area)], grades, base_year, future, s.ratio_years
        )
        ratio_rows.append(group_ratios)
        student_rows.append(group_students)

    students = pd.concat(student_rows, ignore_index=True)
    students["section"] = grade_section(students["grade"])
    students = sort_groups(students, ["county", "area_group", "year", "grade"])
    ratios = sort_groups(pd.concat(ratio_rows, ignore_index=True), ["county", "area_group", "grade"])
    entry = sort_groups(pd.DataFrame(entry_rows), ["county", "area_group"])
    cap = dict(class_size_cap or _caps(standards))
    levels = _levels(students, sections, base_year, cap)
    outlook = _outlook(levels, entry, base_year)
    without = tuple(sorted(set(entry.loc[(entry["area_group"] == ALL_AREAS)
                                         & (entry["entry_ratio_source"] == "none"), "county"])))
    method = _method_text(entry, base_year, future, s.extension, s.extension_years, s.extension_spread,
                          s.entry_years, s.fallback, cap, without)
    return BirthsProjection(
        students=coerce(students, "out_births_projection"),
        entry=coerce(entry, "out_entry_ratios"),
        levels=levels,
        outlook=outlook,
        ratios=coerce(ratios, "out_progression_ratios"),
        method=method,
        base_year=base_year,
        counties_without_births=without,
    )


@dataclass(frozen=True)
class _Settings:
    """The parameters of :func:`project_from_births`, defaults filled in and checked."""

    horizon: int
    ratio_years: int
    entry_years: int
    min_ratio_spread: float
    extension: str
    extension_years: int
    extension_spread: float
    fallback: str
    #: ``intake_years`` and ``intake_growth`` of the projection parameters, for the fallback
    fallback_years: object
    fallback_growth: object


def _settings(
    horizon: int | None, ratio_years: int | None, entry_years: int | None, min_ratio_spread: float | None,
    extension: str | None, extension_years: int | None, extension_spread: float | None,
    fallback_method: str | None,
) -> _Settings:
    """The settings of a births projection: the arguments, else the analysis parameters."""
    pp = params()["projection"]
    bp = params()["births_projection"]
    horizon = int(horizon if horizon is not None else pp["horizon_years"])
    if not 1 <= horizon <= pp["max_horizon_years"]:
        raise ValueError(f"horizon={horizon} is not allowed; choose 1 to {pp['max_horizon_years']} years")
    return _Settings(
        horizon=horizon,
        ratio_years=int(ratio_years or pp["ratio_years"]),
        entry_years=int(entry_years or bp["entry_years"]),
        min_ratio_spread=float(bp["min_ratio_spread"] if min_ratio_spread is None else min_ratio_spread),
        extension=check_choice("extension", extension or bp["extension"], EXTENSIONS),
        extension_years=int(extension_years or bp["extension_years"]),
        extension_spread=float(bp["extension_spread"] if extension_spread is None else extension_spread),
        fallback=check_choice("fallback_method", fallback_method or pp["intake_method"], INTAKE_METHODS),
        fallback_years=pp["intake_years"],
        fallback_growth=pp["intake_growth"],
    )


def _entry_and_intake(
    pivots: dict[tuple[str, str], pd.DataFrame], coh: pd.DataFrame, grades: list[int], all_years: list[int],
    future: np.ndarray, s: _Settings,
) -> tuple[list[dict], dict[tuple[str, str], tuple]]:
    """Entry-ratio rows and grade-1 intake paths (mid, low, high, basis) of every group."""
    # county totals first (areas split by share use them)
    base_year = all_years[-1]
    entry_rows, intake = [], {}
    order = sorted(pivots, key=lambda k: (k[0], k[1] != ALL_AREAS))
    for county, area in order:
        pv = pivots[(county, area)]
        g1 = pv[grades[0]]
        g1 = g1.loc[g1.index.isin(all_years)]
        mine = coh.loc[(coh["county"] == county) & (coh["area_group"] == area)].set_index("intake_year")["cohort"]
        row = {"county": county, "area_group": area, "population_measure": None, "entry_ratio": np.nan,
               "entry_ratio_low": np.nan, "entry_ratio_high": np.nan, "entry_years": 0,
               "intake_share_pct": np.nan, "last_cohort_year": pd.NA}
        r = (np.nan, np.nan, np.nan, 0)
        if len(mine):
            r = entry_ratio(g1.loc[g1 > 0], mine.loc[mine.index <= base_year], entry_years=s.entry_years,
                            min_spread=s.min_ratio_spread)
        if r[3] > 0:
            mid, lo_f, hi_f, basis = _cohort_path(mine, future, s.extension, s.extension_years, s.extension_spread)
            measure = coh.loc[coh["county"] == county, "population_measure"].iloc[0]
            intake[(county, area)] = (r[0] * mid, r[1] * mid * lo_f, r[2] * mid * hi_f, basis)
            row.update(entry_ratio_source="births", population_measure=measure, entry_ratio=r[0],
                       entry_ratio_low=r[1], entry_ratio_high=r[2], entry_years=r[3],
                       last_cohort_year=int(mine.index.max()))
        elif area != ALL_AREAS and (county, ALL_AREAS) in intake and intake[(county, ALL_AREAS)][3][0] != "assumed":
            tot = pivots[(county, ALL_AREAS)][grades[0]]
            yrs = [y for y in all_years if tot.loc[y] > 0][-s.entry_years:]
            share = float(g1.loc[yrs].sum() / tot.loc[yrs].sum()) if yrs else 0.0
            m, lo_, hi_, basis = intake[(county, ALL_AREAS)]
            intake[(county, area)] = (m * share, lo_ * share, hi_ * share, basis)
            parent = next(e for e in entry_rows if e["county"] == county and e["area_group"] == ALL_AREAS)
            row.update(entry_ratio_source="share", population_measure=parent["population_measure"],
                       entry_years=len(yrs), intake_share_pct=share * 100,
                       last_cohort_year=parent["last_cohort_year"])
        else:
            flat = intake_series(g1, s.fallback, int(s.fallback_years), float(s.fallback_growth), s.horizon)
            intake[(county, area)] = (flat, flat, flat, np.full(s.horizon, "assumed", dtype=object))
            row.update(entry_ratio_source="none")
        entry_rows.append(row)
    return entry_rows, intake


def _project_group(
    county: str, area: str, pv: pd.DataFrame, county_ratios: pd.Series, intake: tuple,
    grades: list[int], base_year: int, future: np.ndarray, ratio_years: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A group's students by grade (observed, then projected with the band) and its ratios."""
    horizon = len(future)
    own = progression_ratios(pv, grades, ratio_years)
    pooled = county_ratios.reindex(own.index)
    ratio = own.fillna(pooled).fillna(1.0).to_numpy()
    source = np.where(own.notna(), "observed", np.where(pooled.notna(), "pooled", "assumed"))
    ratios = pd.DataFrame({"county": county, "area_group": area, "grade": own.index,
                           "progression_ratio": ratio, "ratio_source": source})
    mid_in, lo_in, hi_in, basis_in = intake
    start = pv.loc[base_year].to_numpy(dtype="float64")
    states = {"mid": start, "low": start, "high": start}
    basis_state = np.full(len(grades), "observed", dtype=object)
    proj = {k: [] for k in states}
    bases = []
    for i in range(horizon):
        for k, first in (("mid", mid_in[i]), ("low", lo_in[i]), ("high", hi_in[i])):
            states[k] = np.concatenate([[max(float(first), 0.0)], states[k][:-1] * ratio])
            proj[k].append(states[k])
        basis_state = np.concatenate([[basis_in[i]], basis_state[:-1]])
        bases.append(basis_state)
    observed = pv.stack().rename("students_projected").reset_index()
    observed = observed.assign(students_low=observed["students_projected"],
                               students_high=observed["students_projected"],
                               is_projected=False, intake_basis="observed")
    frame = pd.DataFrame({
        "year": np.repeat(future, len(grades)),
        "grade": np.tile(grades, horizon),
        "students_projected": np.concatenate(proj["mid"]),
        "students_low": np.concatenate(proj["low"]),
        "students_high": np.concatenate(proj["high"]),
        "is_projected": True,
        "intake_basis": np.concatenate(bases),
    })
    students = pd.concat([observed, frame], ignore_index=True).assign(county=county, area_group=area)
    return students, ratios


_BASIS_RANK = {"observed": 0, "births": 1, "interpolated": 2, "extended": 3, "assumed": 4}


def _levels(students: pd.DataFrame, sections: pd.DataFrame | None, base_year: int, cap: Mapping[str, int]) -> pd.DataFrame:
    """Students per section and year with the band, capacity and places needed."""
    st = students.loc[students["section"].isin(cap)]
    places = places_needed(st, sections, base_year=base_year, class_size_cap=cap)
    keys = ["county", "area_group", "section", "year"]
    band = st.assign(_rank=st["intake_basis"].map(_BASIS_RANK)).groupby(keys, observed=True).agg(
        students_low=("students_low", "sum"), students_high=("students_high", "sum"), _rank=("_rank", "max")
    ).reset_index()
    inverse = {v: k for k, v in _BASIS_RANK.items()}
    band["intake_basis"] = band["_rank"].map(inverse)
    out = places.merge(band.drop(columns="_rank"), on=keys, how="left", validate="one_to_one")
    out["places_needed_high"] = (out["students_high"] - out["capacity_places"]).clip(lower=0)
    out = sort_groups(out, keys[:3] + ["year"])
    return coerce(out, "out_level_projection")


def _outlook(levels: pd.DataFrame, entry: pd.DataFrame, base_year: int) -> pd.DataFrame:
    """5- and 10-year values, the peak year and the places needed at the peak."""
    rows = []
    last = entry.set_index(["county", "area_group"])["last_cohort_year"]
    for (county, area, section), g in levels.groupby(["county", "area_group", "section"], sort=False, observed=True):
        g = g.set_index("year")
        ahead = g.loc[g.index >= base_year]

        def at(k: int, col: str, g: pd.DataFrame = g) -> float:
            y = base_year + k
            return float(g.at[y, col]) if y in g.index else np.nan

        peak = int(ahead["students_projected"].idxmax())
        capacity = g["capacity_places"].iloc[0]
        rows.append({
            "county": county, "area_group": area, "section": section, "base_year": base_year,
            "students_base": float(g.at[base_year, "students_projected"]),
            "students_5y": at(5, "students_projected"), "students_5y_low": at(5, "students_low"),
            "students_5y_high": at(5, "students_high"),
            "students_10y": at(10, "students_projected"), "students_10y_low": at(10, "students_low"),
            "students_10y_high": at(10, "students_high"),
            "peak_year": peak, "peak_students": float(ahead.at[peak, "students_projected"]),
            "peak_students_high": float(ahead["students_high"].max()),
            "capacity_places": capacity,
            "places_needed_peak": max(float(ahead.at[peak, "students_projected"]) - capacity, 0.0)
            if pd.notna(capacity) else np.nan,
            "last_cohort_year": last.get((county, area), pd.NA),
        })
    out = pd.DataFrame(rows)
    return coerce(sort_groups(out, ["county", "area_group", "section"]) if len(out) else out, "out_level_outlook")


def _method_text(
    entry: pd.DataFrame, base_year: int, future: np.ndarray, extension: str, extension_years: int,
    spread: float, entry_years: int, fallback: str, cap: Mapping[str, int], without: tuple[str, ...],
) -> str:
    measures = "、".join(sorted({group_label("population_measure", m) for m in entry["population_measure"].dropna()}))
    ext = {"last": "保持最后一个已知出生队列不变",
           "mean": f"取最后{extension_years}个已知出生队列的平均值",
           "trend": f"按最后{extension_years}个已知出生队列的年均变化率延续"}[extension]
    known = entry.loc[entry["entry_ratio_source"] == "births", "last_cohort_year"].dropna()
    until = ""
    if len(known):
        lo, hi = int(known.min()), int(known.max())
        yr = f"{hi}" if lo == hi else f"{lo}—{hi}"
        until = (f"出生人口数据推算到{yr}年入学（出生于{int(hi) - ENTRY_AGE}年及以前的队列）；"
                 f"此后的一年级招生为外推假设：{ext}，预测区间每年再放宽±{spread * 100:.0f}%。")
    caps = "、".join(f"{group_label('section', s)}{v}人" for s, v in cap.items())
    text = (
        f"预测方法：出生人口推算一年级招生＋年级递进（队列存活）法。Y年一年级招生＝Y−6年出生队列"
        f"（{measures or '出生人口'}）×入学系数；入学系数＝两者均有数据的年份（最近至多{entry_years}年）"
        f"一年级招生合计÷对应出生队列合计，预测区间取各年入学系数的最低值和最高值。{until}"
        f"无本组出生人口的城乡类型按全县推算招生×本组近年一年级招生占比分配。"
        f"预测期{future[0]}—{future[-1]}年。学位容量＝{base_year}年现有班数×班额上限（{caps}），"
        f"学位缺口＝预测学生数－学位容量（大于0时）。未考虑政策调整和新建学校。"
    )
    lo_ok, hi_ok = params()["births_projection"]["plausible_entry_ratio"]
    odd = entry.loc[(entry["entry_ratio_source"] == "births")
                    & ~entry["entry_ratio"].between(lo_ok, hi_ok)]
    if len(odd):
        names = "、".join(
            f"{r.county}{'' if r.area_group == ALL_AREAS else group_label('area_group', r.area_group)}"
            f"（{r.entry_ratio:.2f}）" for r in odd.itertuples())
        text += (f"注意：{names}的入学系数不在{lo_ok}—{hi_ok}之间，出生人口的口径或范围可能与学校统计不一致，"
                 f"请核对。")
    if without:
        label = {"mean": "近年平均", "last": "保持最近一年", "growth": "按设定增长率"}[fallback]
        text += f"{'、'.join(without)}无出生人口数据，一年级招生采用{label}假设。"
    return text


# ------------------------------------------------------------------ back-test


def backtest(
    enrolment: pd.DataFrame,
    schools: pd.DataFrame,
    births: pd.DataFrame,
    *,
    holdout: int | None = None,
    methods: Sequence[str] = ("births", "mean", "last", "growth"),
    **kwargs,
) -> pd.DataFrame:
    """Hold out the last ``holdout`` years, project them from the years before, and report
    the error of each method (``out_projection_backtest``).

    ``births`` is this module's projection; ``mean`` / ``last`` / ``growth`` the existing
    assumption-only intake (``growth`` at the training years' average annual change of
    grade 1 in each county, so that it is a real alternative rather than ``last``). Errors
    are MAPE over counties and held-out years of grade-1 entrants and of the primary and
    junior totals (county totals, all areas).
    """
    holdout = int(holdout or params()["births_projection"]["backtest_holdout_years"])
    years = sorted(int(y) for y in pd.to_numeric(enrolment["year"]).unique())
    if len(years) < holdout + 2:
        raise ValueError(f"a back-test holding out {holdout} years needs at least {holdout + 2} years; got {years}")
    base = years[-holdout - 1]
    train_e = enrolment.loc[enrolment["year"] <= base]
    train_s = schools.loc[schools["year"] <= base]
    actual = grade_totals(enrolment, schools, list(range(1, 10)))
    actual = actual.loc[(actual["area_group"] == ALL_AREAS) & (actual["year"] > base)]
    actual = actual.assign(section=grade_section(actual["grade"]))
    rows = []
    for method in methods:
        check_choice("method", method, ("births", *INTAKE_METHODS))
        if method == "births":
            # what was known at the base year: births up to it, age counts taken up to it
            b = births.loc[births["year"] <= base] if births is not None and len(births) else births
            st = project_from_births(train_e, train_s, b, horizon=holdout, **kwargs).students
        else:
            parts = []
            tot = grade_totals(train_e, train_s, [1])
            for county, g in tot.loc[tot["area_group"] == ALL_AREAS].groupby("county"):
                s = g.set_index("year")["students"].sort_index()
                growth = float((s.iloc[-1] / s.iloc[0]) ** (1 / (s.index[-1] - s.index[0])) - 1) \
                    if len(s) > 1 and s.iloc[0] > 0 else 0.0
                ids = train_s.loc[train_s["county"] == county, "school_id"].unique()
                p = project_enrolment(train_e.loc[train_e["school_id"].isin(ids)], train_s.loc[train_s["county"] == county],
                                      horizon=holdout, intake_method=method, intake_growth=growth)
                parts.append(p.students)
            st = pd.concat(parts, ignore_index=True)
        st = st.loc[(st["area_group"] == ALL_AREAS) & st["is_projected"]]
        for measure in ("grade1", "primary", "junior"):
            if measure == "grade1":
                a = actual.loc[actual["grade"] == 1].groupby(["county", "year"])["students"].sum()
                p = st.loc[st["grade"] == 1].groupby(["county", "year"])["students_projected"].sum()
            else:
                a = actual.loc[actual["section"] == measure].groupby(["county", "year"])["students"].sum()
                p = st.loc[st["section"] == measure].groupby(["county", "year"])["students_projected"].sum()
            both = pd.concat([a.rename("a"), p.rename("p")], axis=1).dropna()
            both = both.loc[both["a"] > 0]
            mape = float(((both["p"] - both["a"]).abs() / both["a"]).mean() * 100) if len(both) else np.nan
            rows.append({"intake_method": method, "backtest_measure": measure, "holdout_years": holdout,
                         "base_year": base, "mape_pct": mape, "n_points": len(both)})
    return coerce(pd.DataFrame(rows), "out_projection_backtest")


# ------------------------------------------------------------------ notebooks

#: The one-sentence note a notebook shows for a county without births.
NO_BIRTHS_NOTE = (
    "本县（区）未提供出生人口（或分年龄人口）数据，无法按出生队列推算一年级招生，"
    "学位需求预测沿用上文按近年一年级招生假设的方法。"
)


#: The note when the enrolment by grade does not allow any projection.
NO_ENROLMENT_NOTE = "本县（区）缺少连续两年以上的分年级在校生数据，无法进行出生人口推算的学位需求预测。"


def county_births_projection(ctx, sections: pd.DataFrame | None = None, *, standards=None, **kwargs):
    """The births-based projection of a notebook's county and the note to show instead.

    Reads core_enrolment, core_schools and core_births of ``ctx`` (an
    :class:`analysis.studies.DataContext`) up to ``ctx.year``. Returns ``(projection, None)``,
    or ``(None, note)`` with a one-sentence Chinese note: :data:`NO_BIRTHS_NOTE` when the county
    has no births (a processed folder built before the births kind existed counts as none),
    :data:`NO_ENROLMENT_NOTE` when its enrolment by grade is missing or covers fewer than two
    consecutive years.
    """
    try:
        births = ctx.read("core_births")
    except MissingTableError:
        return None, NO_BIRTHS_NOTE
    births = births.loc[births["year"] <= ctx.year]
    if not has_births(births, ctx.county):
        return None, NO_BIRTHS_NOTE
    try:
        enrolment = ctx.read("core_enrolment").query("year <= @ctx.year")
        schools = ctx.read("core_schools").query("year <= @ctx.year")
        return project_from_births(enrolment, schools, births, sections, standards=standards, **kwargs), None
    except MissingTableError:
        return None, NO_ENROLMENT_NOTE
    except ValueError as exc:
        if "enrolment" in str(exc) or "consecutive years" in str(exc):
            return None, NO_ENROLMENT_NOTE
        raise


def outlook_table(projection: BirthsProjection) -> pd.DataFrame:
    """The outlook rows to show: the county and each area type with a births-based intake."""
    e = projection.entry.loc[projection.entry["entry_ratio_source"] != "none", ["county", "area_group"]]
    out = projection.outlook.merge(e, on=["county", "area_group"], how="inner")
    return out.drop(columns=["county"])
