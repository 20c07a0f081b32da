"""Benchmark: ``python -m analysis publish`` against the loop a user would write by hand.

The naive loop runs, one county and one notebook after another, the ``papermill`` CLI
and then ``jupyter nbconvert --to html``: every notebook pays a Python start-up, a new
kernel, the imports and an nbconvert start-up. The runner drives one warm kernel per core
from threads of one process: the heavy modules are imported once per kernel and frozen
out of the garbage collector (a reset between notebooks takes milliseconds), a worker
runs a county's notebooks one after another so its kernel reuses the county's
evaluation and the standards, and HTML is exported in-process without nbconvert's
BeautifulSoup pass.

Both run on the same synthetic sample (示例数据（合成）), the same counties and the same
notebooks, from a cold start (each as its own process); the runner runs before and after
the naive loop. The loop writes each notebook's HTML page and nothing else, so the ratio
compares it with the runner writing the same pages (``--no-downloads``); the runner as
published by default also writes every report's downloads (tables as ``.xlsx``, every chart
again as SVG), which the loop does not make, and that time is printed beside it. Prints the
times and the ratios to the mean of the runs before and after; the target on a 2-core
machine is >= 10x (the machine's other load slows both alike; compare ratios, not seconds).

Usage::

    python benchmarks/bench_publish.py                 # 4 counties x the default notebooks
    python benchmarks/bench_publish.py --counties 6 --jobs 2 --keep /tmp/bench
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def build_sample(folder: Path, counties: int, years: tuple[int, ...], seed: int) -> Path:
    """Generate and clean the synthetic sample; returns the processed folder."""
    from analysis.clean import clean
    from analysis.sample import generate_sample

    raw, processed = folder / "raw", folder / "processed"
    generate_sample(raw, seed=seed, n_counties=counties, years=years)
    clean(raw, processed)
    return processed


def naive_loop(processed: Path, out: Path, counties: list[str], notebooks: list[Path], year: int,
               kernel: str) -> tuple[float, int]:
    """papermill CLI then nbconvert CLI for every county x notebook; returns (seconds, failures)."""
    failures = 0
    start = time.perf_counter()
    for i, county in enumerate(counties):
        folder = out / f"county{i}"
        folder.mkdir(parents=True, exist_ok=True)
        for nb in notebooks:
            executed = folder / nb.name
            run = subprocess.run(
                [str(BIN / "papermill"), str(nb), str(executed), "-k", kernel,
                 "-p", "county", county, "-p", "year", str(year), "-p", "processed_dir", str(processed),
                 "-p", "output_dir", str(folder), "-p", "standards", "national"],
                cwd=nb.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
            )
            failures += run.returncode != 0
            subprocess.run(
                [str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
            )
    return time.perf_counter() - start, failures


def runner(processed: Path, out: Path, counties: list[str], notebooks: list[str], year: int,
           jobs: int | None, kernel: str, downloads: bool = True) -> tuple[float, int]:
    """``python -m analysis publish`` as a user runs it; returns (seconds, exit status)."""
    cmd = [sys.executable, "-m", "analysis", "publish", "--processed", str(processed), "--out", str(out),
           "--counties", ",".join(counties), "--year", str(year), "--notebooks", ",".join(notebooks),
           "--force", "--no-progress", "--kernel", kernel]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if not downloads:
        cmd.append("--no-downloads")
    start = time.perf_counter()
    run = subprocess.run(cmd, cwd=ROOT, check=False)
    return time.perf_counter() - start, run.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=4, help="counties to run (default 4)")
    parser.add_argument("--notebooks", help="NAME,NAME (default: the runner's default set)")
    parser.add_argument("--jobs", type=int, help="runner workers (default: one per core)")
    parser.add_argument("--seed", type=int, default=20240901)
    parser.add_argument("--keep", type=Path, help="work here and keep the outputs (default: a temp folder)")
    parser.add_argument("--skip-naive", action="store_true", help="only time the runner")
    args = parser.parse_args(argv)

    from analysis.publish.kernel import default_kernel_name
    from analysis.publish.runner import (
        counties_of_year,
        county_notebooks,
        discover_notebooks,
        latest_year,
    )

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-publish-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        processed = build_sample(work / "data", args.counties, (2023, 2024), args.seed)
        print(f"sample (示例数据（合成）): {args.counties} counties built in {time.perf_counter() - t:.1f} s")
        year = latest_year(processed)
        counties = counties_of_year(processed, year)[: args.counties]
        available = discover_notebooks(ROOT / "notebooks")
        names = county_notebooks(available, args.notebooks.split(",") if args.notebooks else None)
        kernel = default_kernel_name()
        n = len(counties) * len(names)
        print(f"{len(counties)} counties x {len(names)} notebooks = {n} runs ({', '.join(names)}); "
              f"{os.cpu_count()} cores; kernel {kernel}")

        def both(tag: str) -> dict[str, tuple[float, int]]:
            """The runner writing the loop's pages only, then with the downloads."""
            times = {}
            for label, downloads in (("pages", False), ("pages + downloads", True)):
                sec, status = runner(processed, work / f"runner-{tag}-{downloads:d}", counties, names, year,
                                     args.jobs, kernel, downloads)
                times[label] = (sec, status)
                print(f"runner, {label + ':':19s} {sec:7.1f} s  ({sec / n:.1f} s per notebook, exit status {status})")
            return times

        before = both("before")
        if args.skip_naive:
            return 1 if any(st for _, st in before.values()) else 0
        slow, failures = naive_loop(processed, work / "naive", counties, [available[x] for x in names], year,
                                    kernel)
        print(f"naive loop (papermill + nbconvert CLI, pages): {slow:7.1f} s  ({slow / n:.1f} s per notebook, "
              f"{failures} failed)")
        # the runner again after the naive loop: on a shared machine whose load drifts, the
        # mean of the runs before and after is a fairer comparison than either alone
        after = both("after")
        if failures or any(st for t in (before, after) for _, st in t.values()):
            print("error: a run failed, so the times do not compare like with like; no speed-up reported")
            return 1
        for label in before:
            mean = (before[label][0] + after[label][0]) / 2
            note = "same output as the loop; target >= 10x" if label == "pages" else "the loop makes no downloads"
            print(f"speed-up, {label + ':':19s} {slow / mean:5.2f}x  (naive loop / mean of the two runner runs; "
                  f"{slow / before[label][0]:.2f}x and {slow / after[label][0]:.2f}x each; {note})")
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
