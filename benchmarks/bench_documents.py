"""Benchmark of the Word documents: the time to write one 自查自评报告 and one 整改方案.

The evaluation is computed once (it is not part of writing a document); each document is
then written ``--repeat`` times and the median time per document printed. Target: under
one second per document.

Usage::

    .venv/bin/python benchmarks/bench_documents.py [--processed data/processed] [--county 城东区]
        [--year 2024] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from analysis.documents.plandoc import write_plan_docx
    from analysis.documents.selfeval import county_frames, write_selfeval
    from analysis.indicators.evaluation import available, evaluate, load_inputs
    from analysis.plan.actions import build_plan

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processed", type=Path, default=Path("data/processed"))
    ap.add_argument("--county")
    ap.add_argument("--year", type=int)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    pairs = available(args.processed)
    year = args.year or int(pairs["year"].max())
    county = args.county or sorted(pairs.loc[pairs["year"] == year, "county"])[0]
    inputs = load_inputs(args.processed, year=year, counties=[county])
    ev = evaluate(inputs, year=year, counties=[county])
    schools, sections = county_frames(args.processed, county, year)
    plan = build_plan(ev, county, year, inputs=inputs)
    with tempfile.TemporaryDirectory() as d:
        out = Path(d)
        jobs = {
            "自查自评报告": lambda: write_selfeval(ev, county, year, out / "s.docx", schools=schools, sections=sections),
            "整改方案": lambda: write_plan_docx(plan, county, year, out / "p.docx", data_label=ev.data_label),
        }
        for name, job in jobs.items():
            job()  # warm-up (imports, template parsing)
            times = []
            for _ in range(max(1, args.repeat)):
                t = time.perf_counter()
                job()
                times.append(time.perf_counter() - t)
            med = statistics.median(times)
            print(f"{county} {year} {name}: {med:.3f} s per document (median of {len(times)}; target < 1 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
