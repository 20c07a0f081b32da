"""Synthetic births (出生人口) of the sample city, consistent with its simulated grade-1 intakes.

The cohort born in year B enters grade 1 in B + 6. For every cohort whose intake year is an
output year, births = the county's (or area type's) simulated grade-1 entrants of B + 6 ÷ an
entry ratio drawn per county (and per area type) × a little noise; the six cohorts born after
that follow ``births.change_by_year`` of ``city.yaml``. Everything here draws from a
generator of its own, so adding the births leaves every other file of the sample unchanged.
Labelled 示例数据（合成） like the rest of the sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.sample._render import Context, Row, Sheet, _frame, _label_row, _top, messy_numbers

ENTRY_AGE = 6
AREA_LABELS = {"urban": "城区", "town": "镇区", "rural": "乡村"}


def delivery(county_number: int, city: dict) -> str:
    """How a county delivers births: ``totals``, ``areas`` or ``none``."""
    table = city["births"]["delivery"]
    return table[county_number % len(table)]


def births_truth(
    schools: pd.DataFrame, enrolment: pd.DataFrame, counties: list, years: list[int],
    rng: np.random.Generator, city: dict,
) -> pd.DataFrame:
    """core_births rows (no source columns) of every county that delivers births.

    ``enrolment``: the simulated students by school, grade and year (``school_idx``).
    """
    p = city["births"]
    area_of = schools["area_type"].to_numpy()
    county_of = schools["county_number"].to_numpy()
    g1 = enrolment.loc[enrolment["grade"] == 1]
    g1 = pd.DataFrame({
        "county_number": county_of[g1["school_idx"].to_numpy()],
        "area": area_of[g1["school_idx"].to_numpy()],
        "year": g1["year"].to_numpy(), "students": g1["students"].to_numpy(dtype=float),
    })
    first, last = years[0] - ENTRY_AGE, years[-1]
    rows = []
    for county in counties:
        how = delivery(county.number, city)
        # drawn for every county, in order, whatever it delivers: one county's choice does
        # not move another's numbers
        ratio = rng.uniform(*p["entry_ratio"])
        area_ratio = {a: ratio * rng.uniform(*p["area_ratio"][a]) for a in AREA_LABELS}
        noise = rng.uniform(*p["noise"], (len(AREA_LABELS) + 1, last - first + 1))
        share = rng.uniform(*p["registered_share"])
        if how == "none":
            continue
        mine = g1.loc[g1["county_number"] == county.number]
        groups = {"all": mine} if how == "totals" else {a: mine.loc[mine["area"] == a] for a in AREA_LABELS}
        for k, (area, grp) in enumerate(groups.items()):
            per_year = grp.groupby("year")["students"].sum().reindex(years, fill_value=0.0)
            if per_year.sum() == 0:
                continue  # no school of this area type
            r = ratio if area == "all" else area_ratio[area]
            series = {}
            for b in range(first, last + 1):
                if b + ENTRY_AGE in per_year.index:
                    series[b] = per_year.loc[b + ENTRY_AGE] / r * noise[k, b - first]
                else:
                    change = p["change_by_year"].get(b, p["default_change"])
                    series[b] = series[b - 1] * (1 + change) * noise[k, b - first]
            for b, n in series.items():
                rows.append((county.name, b, area, "births", int(round(n))))
                if how == "totals" and b <= last - p["registered_missing_last"]:
                    rows.append((county.name, b, area, "registered_births", int(round(n * share))))
    out = pd.DataFrame(rows, columns=["county", "year", "area_group", "population_measure", "population"])
    out["age"] = 0
    out["birth_year"] = out["year"]
    return out


def render_births(births: pd.DataFrame, ctx: Context, how: str) -> tuple[Sheet, pd.DataFrame]:
    """出生人口 of one county: by year (出生人口, 户籍出生人口) or by year and area type."""
    xlsx = how == "areas"
    wide = births.pivot_table(index=["year", "area_group"], columns="population_measure",
                              values="population", aggfunc="sum").reset_index()
    order = {a: i for i, a in enumerate(AREA_LABELS)}
    wide = wide.sort_values(["year", "area_group"], key=lambda s: s.map(order) if s.name == "area_group" else s)
    n = len(wide)
    fields = ["county", "year", "births", "registered_births"] if how == "totals" else [
        "county", "year", "area_group", "births"]
    headers = [ctx.header("births", f) for f in fields]
    cols = {"county": np.full(n, ctx.county, dtype=object), "year": wide["year"].to_numpy(dtype=object)}
    if how == "areas":
        cols["area_group"] = wide["area_group"].map(AREA_LABELS).to_numpy(dtype=object)
    for m in ("births", "registered_births"):
        if m in fields:
            v = wide[m].to_numpy(dtype=float) if m in wide else np.full(n, np.nan)
            cols[m] = messy_numbers(v, 0, ctx, xlsx=xlsx)
    block = _frame([cols[f] for f in fields])
    total = _label_row(len(fields), "合计")
    for m in ("births", "registered_births"):
        if m in fields and m in wide:
            total[fields.index(m)] = int(wide[m].sum())
    note = "注：出生人口为常住人口口径，户籍出生人口据公安户籍登记；示例数据（合成）。"
    parts = [block, Row(total, ("nondata", "合计")), Row(_label_row(len(fields), note), ("nondata", note))]
    years = births["year"]
    title = f"{ctx.county}{years.min()}-{years.max()}年出生人口统计表"
    top, merges = _top(ctx, "births", title, fields, headers, unit_line=ctx.headers["births"]["unit_line"])
    return Sheet("births", "出生人口", top, parts, merges), births
