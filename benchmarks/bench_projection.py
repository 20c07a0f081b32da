"""Back-test of the enrolment projection on the bundled sample (示例数据（合成）).

Generates the sample city as ``make data`` does (12 counties, 2018-2024, births for the
counties that deliver them), cleans it, holds out the last three years (2022-2024), projects
them from 2018-2021 and prints the mean absolute percentage error (MAPE) of grade-1 entrants
and of the primary and junior totals per method:

- ``births``: grade-1 intake = births six years earlier × the entry ratio
  (:func:`analysis.studies.births.project_from_births`), for the counties with births;
- ``mean`` / ``last`` / ``growth``: the assumption-only intake of
  :func:`analysis.studies.projection.project_enrolment` (growth at each county's 2018-2021
  grade-1 growth), on the same counties.

Also times the births-based projection of every county (10 years ahead). The errors say how
well each method does on this synthetic city, whose births are built from its own intakes;
they are not a claim about real counties.

Usage::

    .venv/bin/python benchmarks/bench_projection.py [--holdout 3] [--counties 12] [--seed 20240901]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.clean import clean  # noqa: E402
from analysis.sample import DEFAULT_SEED, generate_sample  # noqa: E402
from analysis.studies.births import backtest, project_from_births  # noqa: E402
from analysis.tables import read_table  # noqa: E402

LABEL = "示例数据（合成）"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--holdout", type=int, default=3)
    ap.add_argument("--counties", type=int, default=12)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        raw, out = Path(d, "raw"), Path(d, "processed")
        t0 = time.perf_counter()
        generate_sample(raw, seed=args.seed, n_counties=args.counties)
        clean(raw, out, write=True)
        prep = time.perf_counter() - t0
        tables = {n: read_table(n, out) for n in ("core_enrolment", "core_schools", "core_births",
                                                   "core_school_sections")}
    births = tables["core_births"]
    with_births = sorted(births["county"].unique())
    schools = tables["core_schools"]
    ids = schools.loc[schools["county"].isin(with_births), "school_id"].unique()
    enrol = tables["core_enrolment"].loc[lambda e: e["school_id"].isin(ids)]
    sch = schools.loc[schools["county"].isin(with_births)]
    print(f"{LABEL}: {args.counties} counties, {len(with_births)} with births; sample built and cleaned in {prep:.1f} s")

    t0 = time.perf_counter()
    bt = backtest(enrol, sch, births, holdout=args.holdout)
    t_bt = time.perf_counter() - t0
    base = int(bt["base_year"].iloc[0])
    print(f"back-test: base year {base}, {args.holdout} years held out ({base + 1}-{base + args.holdout}), "
          f"{t_bt:.1f} s")
    table = bt.pivot(index="intake_method", columns="backtest_measure", values="mape_pct")
    table = table.reindex(["births", "mean", "last", "growth"])[["grade1", "primary", "junior"]]
    print(f"{'MAPE %':>10s} {'grade 1':>9s} {'primary':>9s} {'junior':>9s}")
    for method, row in table.iterrows():
        print(f"{method:>10s} {row['grade1']:9.2f} {row['primary']:9.2f} {row['junior']:9.2f}")
    best = table.drop(index="births").min()
    for m in ("grade1", "primary", "junior"):
        ratio = best[m] / table.loc["births", m] if table.loc["births", m] > 0 else float("inf")
        print(f"  {m}: best assumption-only MAPE / births MAPE = {ratio:.1f} ×")
    if args.holdout <= 3:
        print("  (junior: every held-out junior cohort was already in primary at the base year, so the "
              "grade-1 intake cannot change it within 3 years; the methods agree by construction)")

    t0 = time.perf_counter()
    p = project_from_births(tables["core_enrolment"], schools, births, tables["core_school_sections"])
    t_p = time.perf_counter() - t0
    print(f"births-based projection of all {args.counties} counties, {len(p.students):,} rows: {t_p:.2f} s; "
          f"without births: {', '.join(p.counties_without_births) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
