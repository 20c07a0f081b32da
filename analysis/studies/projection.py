"""Projection of students by grade and of the school places needed, 5-10 years ahead.

Method: grade progression (cohort survival). For each grade g = 2…9 the progression ratio
is the students of grade g in year t divided by the students of grade g-1 in year t-1,
pooled (Σ over Σ) over the last ``ratio_years`` year pairs. Each projected year moves every
cohort up one grade with its ratio; grade 1 comes from a stated intake assumption:

- ``mean``: the mean grade-1 intake of the last ``intake_years`` observed years;
- ``last``: the last observed grade-1 intake, held constant;
- ``growth``: the last observed intake growing by ``intake_growth`` a year.

Places needed compare the projected students of a section with the current capacity:
current classes × the class-size cap (primary 45, junior 50: G5 of the standards file). Migration, policy changes and new schools are not modelled; the text returned
in :attr:`Projection.method` says so and is drawn on the chart.

Where a county has births or school-age population (core_births),
:func:`analysis.studies.births.project_from_births` takes grade 1 from the cohort born six
years earlier instead, with a low/high band; it falls back to this intake without births.

Examples
--------
>>> enr = pd.DataFrame({"year": [2023] * 2 + [2024] * 2, "school_id": ["1"] * 4,
...     "grade": [1, 2, 1, 2], "students": [100, 90, 110, 95]})
>>> sch = pd.DataFrame({"year": [2023, 2024], "school_id": ["1", "1"],
...     "county": ["甲县"] * 2, "area_type": ["rural"] * 2})
>>> p = project_enrolment(enr, sch, horizon=2, intake_method="last", grades=[1, 2])
>>> p.students.query("area_group == 'all' and year == 2025")["students_projected"].round(1).tolist()
[110.0, 104.5]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.dictionary import coerce
from analysis.missing import Missing, missing
from analysis.studies import ALL_AREAS, AREA_ORDER, check_choice, group_label, params, with_groups
from analysis.studies import class_size_cap as _caps

__all__ = ["INTAKE_METHODS", "Projection", "grade_section", "peak_places", "places_needed", "project_enrolment",
           "project_or_missing"]

INTAKE_METHODS = ("mean", "last", "growth")


@dataclass(frozen=True)
class Projection:
    """Result of :func:`project_enrolment`.

    Attributes
    ----------
    students : ``out_enrolment_projection`` (students by grade, observed and projected).
    ratios : ``out_progression_ratios`` (the ratio used for each grade).
    places : ``out_places_needed`` (students per section against current capacity).
    method : the method and its assumptions, in Chinese, for the report and the chart.
    base_year : last observed year.
    """

    students: pd.DataFrame
    ratios: pd.DataFrame
    places: pd.DataFrame
    method: str
    base_year: int


def grade_section(grades: pd.Series) -> pd.Series:
    """Section of each grade: 1-6 primary, 7-9 junior, 10-12 senior.

    >>> grade_section(pd.Series([1, 6, 7, 9, 10])).tolist()
    ['primary', 'primary', 'junior', 'junior', 'senior']
    """
    g = pd.to_numeric(grades)
    return pd.Series(
        np.select([g <= 6, g <= 9], ["primary", "junior"], "senior"), index=grades.index
    )


def grade_totals(
    enrolment: pd.DataFrame, schools: pd.DataFrame, grades: Sequence[int]
) -> pd.DataFrame:
    """Students of ``grades`` per year, school, county and area (shared with :mod:`.births`)."""
    info = schools[["year", "school_id", "county", "area_type"]].drop_duplicates(
        ["year", "school_id"]
    )
    d = enrolment.loc[enrolment["grade"].isin(grades), ["year", "school_id", "grade", "students"]]
    d = d.merge(info, on=["year", "school_id"], how="inner", validate="many_to_one")
    d = d.assign(students=pd.to_numeric(d["students"], errors="coerce").fillna(0).astype("float64"))
    d = with_groups(d)
    return (
        d.groupby(["county", "area_group", "year", "grade"], observed=True)["students"]
        .sum()
        .reset_index()
    )


def progression_ratios(pivot: pd.DataFrame, grades: Sequence[int], ratio_years: int) -> pd.Series:
    """Pooled progression ratio into each grade (NaN where undefined)."""
    years = [y for y in pivot.index if y - 1 in pivot.index][-ratio_years:]
    out = {}
    for g_prev, g in zip(grades[:-1], grades[1:], strict=True):
        num = sum(pivot.at[y, g] for y in years)
        den = sum(pivot.at[y - 1, g_prev] for y in years)
        out[g] = num / den if den > 0 else np.nan
    return pd.Series(out, dtype="float64")


def intake_series(
    series: pd.Series, method: str, intake_years: int, growth: float, horizon: int
) -> np.ndarray:
    """Grade-1 intake of the next ``horizon`` years from past intakes by ``method``."""
    last = float(series.iloc[-1])
    if method == "mean":
        return np.full(horizon, float(series.iloc[-intake_years:].mean()))
    if method == "last":
        return np.full(horizon, last)
    return last * (1 + growth) ** np.arange(1, horizon + 1)


def project_enrolment(
    enrolment: pd.DataFrame,
    schools: pd.DataFrame,
    sections: pd.DataFrame | None = None,
    *,
    horizon: int | None = None,
    ratio_years: int | None = None,
    intake_method: str | None = None,
    intake_years: int | None = None,
    intake_growth: float | None = None,
    class_size_cap: Mapping[str, int] | None = None,
    standards=None,
    grades: Sequence[int] = tuple(range(1, 10)),
) -> Projection:
    """Project students by grade per county and area type, and the places needed.

    Parameters
    ----------
    enrolment : core_enrolment (``year, school_id, grade, students``).
    schools : core_schools (``year, school_id, county, area_type``), to group schools.
    sections : core_school_sections (``classes`` per section) for capacity; without it the
        places table has no capacity.
    horizon : years projected after the last observed year (default 10 from the parameters;
        1 to ``max_horizon_years``).
    ratio_years : year pairs pooled for the progression ratios (default 3).
    intake_method : ``mean``, ``last`` or ``growth`` (default ``mean``).
    intake_years : years averaged by ``mean`` (default 3).
    intake_growth : annual growth of grade-1 intake for ``growth`` (0.02 = +2 %).
    class_size_cap : class-size cap per section (default: G5 of ``standards``, primary 45,
        junior 50 nationally).
    standards : standards name, path or object (default: the ``standards`` parameter).
    grades : grades projected, consecutive (default 1-9).

    Returns
    -------
    Projection

    Notes
    -----
    Where a group's ratio into a grade is undefined (no students in the grade below), the
    county's pooled ratio is used, then 1.0; ``ratios.ratio_source`` says which.
    """
    p = params()["projection"]
    horizon = int(horizon if horizon is not None else p["horizon_years"])
    if not 1 <= horizon <= p["max_horizon_years"]:
        raise ValueError(
            f"horizon={horizon} is not allowed; choose 1 to {p['max_horizon_years']} years"
        )
    ratio_years = int(ratio_years or p["ratio_years"])
    intake_method = check_choice(
        "intake_method", intake_method or p["intake_method"], INTAKE_METHODS
    )
    intake_years = int(intake_years or p["intake_years"])
    intake_growth = float(intake_growth if intake_growth is not None else p["intake_growth"])
    grades = [int(g) for g in grades]
    if grades != list(range(grades[0], grades[0] + len(grades))):
        raise ValueError(f"grades must be consecutive, got {grades}")

    totals = grade_totals(enrolment, schools, grades)
    all_years, used_pairs = _observed_years(totals, ratio_years)
    base_year = int(all_years[-1])
    future = np.arange(base_year + 1, base_year + horizon + 1)

    pivots = {
        key: grp.pivot_table(index="year", columns="grade", values="students", aggfunc="sum")
        .reindex(columns=grades)
        .fillna(0.0)
        for key, grp in totals.groupby(["county", "area_group"], observed=True)
    }
    county_ratios = {
        county: progression_ratios(pv, grades, ratio_years)
        for (county, area), pv in pivots.items()
        if area == ALL_AREAS
    }
    student_rows, ratio_rows = [], []
    for (county, area), pv in pivots.items():
        pv = pv.reindex(all_years, fill_value=0.0)
        pooled = county_ratios.get(county, pd.Series(dtype="float64"))
        ratio, ratio_frame = _group_ratios(county, area, pv, pooled, grades, ratio_years)
        ratio_rows.append(ratio_frame)
        intake = intake_series(pv[grades[0]], intake_method, intake_years, intake_growth, horizon)
        both = _group_students(pv, ratio, intake, grades, base_year, future)
        student_rows.append(both.assign(county=county, area_group=area))

    students = pd.concat(student_rows, ignore_index=True)
    students["section"] = grade_section(students["grade"])
    students = sort_groups(students, ["county", "area_group", "year", "grade"])
    ratios = sort_groups(pd.concat(ratio_rows, ignore_index=True), ["county", "area_group", "grade"])
    cap = dict(class_size_cap or _caps(standards))
    places = places_needed(students, sections, base_year=base_year, class_size_cap=cap)
    method = _method_text(
        intake_method, intake_years, intake_growth, len(all_years), base_year, used_pairs, future, cap
    )
    return Projection(
        students=coerce(students, "out_enrolment_projection"),
        ratios=coerce(ratios, "out_progression_ratios"),
        places=places,
        method=method,
        base_year=base_year,
    )


def _observed_years(totals: pd.DataFrame, ratio_years: int) -> tuple[list, list]:
    """The observed years and the year pairs pooled for the ratios (an error if none)."""
    if totals.empty:
        raise ValueError("no enrolment rows match the schools; cannot project")
    all_years = sorted(totals["year"].unique())
    pairs = [y for y in all_years if y - 1 in all_years]
    if not pairs:
        raise ValueError(
            f"a projection needs at least two consecutive years of enrolment by grade; got {all_years}"
        )
    return all_years, pairs[-ratio_years:]


def _group_ratios(
    county: str, area: str, pv: pd.DataFrame, county_ratios: pd.Series, grades: list[int], ratio_years: int
) -> tuple[pd.Series, pd.DataFrame]:
    """A group's progression ratios, falling back to the county's then 1.0, and their sources."""
    own = progression_ratios(pv, grades, ratio_years)
    pooled = county_ratios.reindex(own.index)
    ratio = own.fillna(pooled).fillna(1.0)
    source = np.where(own.notna(), "observed", np.where(pooled.notna(), "pooled", "assumed"))
    frame = pd.DataFrame(
        {
            "county": county,
            "area_group": area,
            "grade": own.index,
            "progression_ratio": ratio.to_numpy(),
            "ratio_source": source,
        }
    )
    return ratio, frame


def _group_students(
    pv: pd.DataFrame, ratio: pd.Series, intake: np.ndarray, grades: list[int], base_year: int,
    future: np.ndarray,
) -> pd.DataFrame:
    """A group's observed students by grade followed by the projected years."""
    state = pv.loc[base_year].to_numpy(dtype="float64")
    proj = []
    for i in range(len(future)):
        state = np.concatenate([[intake[i]], state[:-1] * ratio.to_numpy()])
        proj.append(state)
    observed = pv.stack().rename("students_projected").reset_index()
    observed["is_projected"] = False
    projected = pd.DataFrame(proj, index=future, columns=grades).rename_axis(
        index="year", columns="grade"
    )
    projected = projected.stack().rename("students_projected").reset_index()
    projected["is_projected"] = True
    return pd.concat([observed, projected], ignore_index=True)


def _method_text(
    intake_method: str,
    intake_years: int,
    intake_growth: float,
    n_years: int,
    base_year: int,
    used_pairs: list,
    future: np.ndarray,
    cap: Mapping[str, int],
) -> str:
    """The method and its assumptions, in Chinese, for the report and the chart."""
    intake_text = {
        "mean": f"取最近{min(intake_years, n_years)}年一年级学生数的平均值并保持不变",
        "last": f"保持{base_year}年一年级学生数不变",
        "growth": f"以{base_year}年一年级学生数为基数，每年{'增长' if intake_growth >= 0 else '减少'}"
        f"{abs(intake_growth) * 100:.1f}%",
    }[intake_method]
    caps = "、".join(f"{group_label('section', s)}{v}人" for s, v in cap.items())
    return (
        f"预测方法：年级递进（队列存活）法。升级比率取{used_pairs[0] - 1}—{used_pairs[-1]}年"
        f"相邻年份各年级学生数之比（合并计算）；一年级招生假设：{intake_text}。"
        f"预测期{future[0]}—{future[-1]}年。学位容量＝{base_year}年现有班数×班额上限（{caps}），"
        f"学位缺口＝预测学生数－学位容量（大于0时）。未考虑人口迁移、政策调整和新建学校。"
    )


def sort_groups(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Rows sorted by ``cols``, areas in the report's order."""
    order = {k: i for i, k in enumerate(AREA_ORDER)}
    return df.sort_values(
        cols, key=lambda s: s.map(order) if s.name == "area_group" else s, kind="stable"
    ).reset_index(drop=True)


def places_needed(
    students: pd.DataFrame,
    sections: pd.DataFrame | None,
    *,
    base_year: int,
    class_size_cap: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Students per section and year against the base year's capacity (``out_places_needed``).

    Parameters
    ----------
    students : ``out_enrolment_projection`` rows.
    sections : core_school_sections (``year, county, area_type, section, classes``);
        capacity = Σ classes of the base year × cap.
    base_year : the year whose classes give the capacity.

    Examples
    --------
    >>> st = pd.DataFrame({"county": ["甲县"] * 2, "area_group": ["all"] * 2, "year": [2024, 2025],
    ...     "grade": [1, 1], "section": ["primary"] * 2, "students_projected": [80.0, 100.0],
    ...     "is_projected": [False, True]})
    >>> sec = pd.DataFrame({"year": [2024], "school_id": ["1"], "county": ["甲县"],
    ...     "area_type": ["rural"], "section": ["primary"], "classes": [2]})
    >>> out = places_needed(st, sec, base_year=2024)
    >>> out[["year", "capacity_places", "places_needed"]].values.tolist()
    [[2024.0, 90.0, 0.0], [2025.0, 90.0, 10.0]]
    """
    cap = dict(class_size_cap or _caps())
    keys = ["county", "area_group", "section", "year"]
    out = (
        students.groupby(keys, observed=True)
        .agg(students_projected=("students_projected", "sum"), is_projected=("is_projected", "any"))
        .reset_index()
    )
    if sections is not None and not sections.empty:
        sec = sections.loc[(sections["year"] == base_year) & sections["section"].isin(cap)]
        sec = sec[["county", "area_type", "section", "classes"]].assign(
            classes=lambda d: pd.to_numeric(d["classes"], errors="coerce").fillna(0)
        )
        cls = (
            with_groups(sec)
            .groupby(["county", "area_group", "section"], observed=True)["classes"]
            .sum()
        )
        out = out.merge(cls.reset_index(), on=["county", "area_group", "section"], how="left")
        out["capacity_places"] = out["classes"] * out["section"].map(cap)
    else:
        out["classes"] = np.nan
        out["capacity_places"] = np.nan
    out["places_needed"] = (out["students_projected"] - out["capacity_places"]).clip(lower=0)
    out["capacity_use_pct"] = (
        out["students_projected"] / out["capacity_places"].where(out["capacity_places"] > 0) * 100
    )
    out = sort_groups(out, ["county", "area_group", "section", "year"])
    return coerce(out, "out_places_needed")


def project_or_missing(
    enrolment: pd.DataFrame | Missing,
    schools: pd.DataFrame | Missing,
    sections: pd.DataFrame | None = None,
    **kwargs,
) -> Projection | Missing:
    """:func:`project_enrolment`, or a :class:`~analysis.missing.Missing` saying why a county's
    data cannot support a projection: no school table, no enrolment by grade, zero
    students, or fewer than two consecutive years of enrolment by grade.

    Options that are not allowed still raise (they are the caller's error, not the data's).

    >>> enrol = pd.DataFrame({"year": [2024], "school_id": ["1"], "grade": [1], "students": [30]})
    >>> sch = pd.DataFrame({"year": [2024], "school_id": ["1"], "county": ["甲县"], "area_type": ["rural"]})
    >>> project_or_missing(enrol.iloc[0:0], sch).sentence()
    '缺少分年级在校生数（在校生分年级表），无法预测学位需求。'
    >>> project_or_missing(enrol, sch).sentence()
    '缺少上一年的分年级在校生数（上一年的在校生分年级表），无法预测学位需求。'
    """
    purpose = "预测学位需求"
    for frame in (schools, enrolment):
        if isinstance(frame, Missing):
            return frame.because(purpose)
    if len(schools) == 0:
        return missing(purpose, "core_schools")
    if len(enrolment) == 0:
        return missing(purpose, "core_enrolment")
    grades = [int(g) for g in kwargs.get("grades", range(1, 10))]
    totals = grade_totals(enrolment, schools, grades)
    if totals.empty:
        return missing(purpose, "core_enrolment")
    if not (totals["students"] > 0).any():
        return missing(purpose, reason="该县（区）各年级在校生数为0")
    years = sorted(int(y) for y in totals["year"].unique())
    if not any(y - 1 in years for y in years):
        return missing(purpose, "enrolment_years")
    return project_enrolment(enrolment, schools, sections, **kwargs)


def peak_places(places: pd.DataFrame | Missing) -> pd.DataFrame | Missing:
    """The projection period's peak per area group and section: most students, the current
    capacity and most places needed (a Missing passes through).

    >>> pl = pd.DataFrame({"area_group": ["all"] * 2, "section": ["primary"] * 2, "is_projected": True,
    ...     "students_projected": [100.0, 120.0], "capacity_places": [110.0, 110.0], "places_needed": [0.0, 10.0]})
    >>> peak_places(pl)[["students_projected", "places_needed"]].values.tolist()
    [[120.0, 10.0]]
    """
    if isinstance(places, Missing):
        return places.because("计算预测期的学位缺口")
    future = places.loc[places["is_projected"].astype("bool")]
    return (future.groupby(["area_group", "section"], sort=False)
            .agg(students_projected=("students_projected", "max"), capacity_places=("capacity_places", "first"),
                 places_needed=("places_needed", "max")).reset_index())
