"""Benchmark: publish a province (100 synthetic counties), then re-run it unchanged.

Generates a synthetic province with the sample generator (示例数据（合成）, 100 counties,
two years), cleans it, and times ``python -m analysis publish`` as a user runs it:

1. the full publish (every county x the default notebooks, from a cold start);
2. an unchanged re-run (same data, notebooks and standards): every report is skipped
   and the index's verdicts are those of the last run, so it must take under 5 % of
   the full publish. (What a changed notebook, table or standards file re-runs is
   checked by tests/test_publish_runner.py.)

Prints the times, notebooks per second and the ratio. Targets on this project's 2-core
machine: re-run < 5 % of the full publish.

Usage::

    python benchmarks/bench_publish_province.py                   # 100 counties
    python benchmarks/bench_publish_province.py --counties 20 --notebooks county_report,explore
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def publish(processed: Path, out: Path, year: int, notebooks: str | None, jobs: int | None,
            kernel: str) -> tuple[float, int, str]:
    """``python -m analysis publish`` for every county; returns (seconds, exit status, summary line)."""
    cmd = [sys.executable, "-m", "analysis", "publish", "--processed", str(processed), "--out", str(out),
           "--year", str(year), "--no-progress", "--kernel", kernel]
    if notebooks:
        cmd += ["--notebooks", notebooks]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    start = time.perf_counter()
    run = subprocess.run(cmd, cwd=ROOT, check=False, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = (run.stdout or "").strip().splitlines()
    return seconds, run.returncode, next((x for x in lines if x.startswith("publish ")), run.stderr[-300:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100, help="synthetic counties (default 100)")
    parser.add_argument("--notebooks", help="NAME,NAME (default: the runner's default set)")
    parser.add_argument("--jobs", type=int, help="parallel workers (default: one per core)")
    parser.add_argument("--seed", type=int, default=20240901)
    parser.add_argument("--keep", type=Path, help="work here and keep the outputs (default: a temp folder)")
    args = parser.parse_args(argv)

    from analysis.clean import clean
    from analysis.publish.kernel import default_kernel_name
    from analysis.publish.runner import counties_of_year, latest_year
    from analysis.sample import generate_sample

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-province-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        raw, processed = work / "raw", work / "processed"
        generate_sample(raw, seed=args.seed, n_counties=args.counties, years=(2023, 2024))
        clean(raw, processed)
        year = latest_year(processed)
        counties = counties_of_year(processed, year)
        print(f"province (示例数据（合成）): {len(counties)} counties, {year}, generated and cleaned in "
              f"{time.perf_counter() - t:.1f} s; {os.cpu_count()} cores")
        kernel = default_kernel_name()
        out = work / "reports"

        full, status, line = publish(processed, out, year, args.notebooks, args.jobs, kernel)
        states = [json.loads(p.read_text(encoding="utf-8")) for p in (out / str(year)).glob("**/publish_state.json")]
        runs = sum(len(s.get("notebooks", {})) for s in states)
        print(f"full publish: {full:8.1f} s  ({runs} notebooks, {runs / full:.2f} per second, exit status {status})")
        print(f"  {line}")

        again, status2, line2 = publish(processed, out, year, args.notebooks, args.jobs, kernel)
        print(f"unchanged re-run: {again:6.1f} s  (exit status {status2})")
        print(f"  {line2}")
        share = again / full * 100
        print(f"re-run / full publish: {share:.1f} %  (target < 5 %)")
        return 0 if status == status2 == 0 else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
