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
pages (a notebook that does not depend on the county, such as published_figures, once),
from a cold start (each as its own process); the runner runs before and after the loops.
The loops write each notebook's HTML page and nothing else (no ``output_dir``), so the
ratio compares them with the runner writing the same pages (``--no-downloads``); the runner
as published by default also writes every report's downloads (tables as ``.xlsx``, every
chart as PNG and SVG), which the loops do not make, and that time is printed beside it.

Two loops: the serial one (target >= 10x), and the loop a competent user would write —
the same CLI calls, two at a time (``xargs -P 2``: each worker runs papermill then
nbconvert for one page; target >= 5x). Prints the times, the ratios to the mean of the
runner runs before and after (the machine's other load slows all alike; compare ratios,
not seconds), and the size of each published county folder (MB, mean and max; the target
is <= 3 MB).

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


def cli_pages(processed: Path, out: Path, counties: list[str], notebooks: list[Path], year: int,
              once: list[Path] = ()) -> list[tuple[Path, Path, str]]:
    """The pages the loops make: ``(notebook, executed path, county)``; ``once``: notebooks
    that do not depend on the county, made once."""
    pages = [(nb, out / "year" / nb.name, "") for nb in once]
    pages += [(nb, out / f"county{i}" / nb.name, county) for i, county in enumerate(counties) for nb in notebooks]
    return pages


def cli_page(nb: Path, executed: Path, county: str, processed: Path, year: int, kernel: str) -> bool:
    """One page the way the papermill and nbconvert CLIs make it; True if papermill succeeded."""
    executed.parent.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        [str(BIN / "papermill"), str(nb), str(executed), "-k", kernel,
         "-p", "county", county, "-p", "year", str(year), "-p", "processed_dir", str(processed),
         "-p", "output_dir", "", "-p", "standards", "national"],
        cwd=nb.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )
    subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return run.returncode == 0


def naive_loop(pages: list[tuple[Path, Path, str]], processed: Path, year: int, kernel: str,
               parallel: int = 1) -> tuple[float, int]:
    """papermill CLI then nbconvert CLI for every page, ``parallel`` at a time (as
    ``xargs -P``); returns (seconds, failures)."""
    from concurrent.futures import ThreadPoolExecutor

    start = time.perf_counter()
    with ThreadPoolExecutor(max(1, parallel)) as pool:  # threads only wait on the CLI processes
        ok = list(pool.map(lambda page: cli_page(*page, processed, year, kernel), pages))
    return time.perf_counter() - start, ok.count(False)


def folder_sizes(year_dir: Path, counties: list[str]) -> list[float]:
    """Size in MB of each county's published folder."""
    from analysis.publish.safety import county_dir

    sizes = []
    for county in counties:
        folder = county_dir(year_dir.parent, int(year_dir.name), county)
        sizes.append(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6)
    return sizes


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
        YEAR_NOTEBOOKS,
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
        per_year = [x for x in names if x in YEAR_NOTEBOOKS]
        per_county = [x for x in names if x not in YEAR_NOTEBOOKS]
        n = len(counties) * len(per_county) + len(per_year)
        print(f"{len(counties)} counties x {len(per_county)} notebooks + {len(per_year)} once a year = {n} runs "
              f"({', '.join(names)}); {os.cpu_count()} cores; kernel {kernel}")

        def both(tag: str) -> dict[str, tuple[float, int]]:
            """The runner writing the loop's pages only, then with the downloads."""
            times = {}
            for label, downloads in (("pages", False), ("pages + downloads", True)):
                sec, status = runner(processed, work / f"runner-{tag}-{downloads:d}", counties, names, year,
                                     args.jobs, kernel, downloads)
                times[label] = (sec, status)
                print(f"runner, {label + ':':19s} {sec:7.1f} s  ({sec / n:.1f} s per notebook, exit status {status})")
            year_dir = work / f"runner-{tag}-1" / str(year)
            sizes = folder_sizes(year_dir, counties)
            print(f"size per county folder: {sum(sizes) / len(sizes):.2f} MB mean, {max(sizes):.2f} MB max "
                  f"({len(sizes)} counties, pages + downloads; target <= 3 MB)")
            return times

        before = both("before")
        if args.skip_naive:
            return 1 if any(st for _, st in before.values()) else 0
        pages = cli_pages(processed, work / "naive", counties, [available[x] for x in per_county], year,
                          [available[x] for x in per_year])
        slow, failures = naive_loop(pages, processed, year, kernel)
        print(f"naive loop (papermill + nbconvert CLI, pages): {slow:7.1f} s  ({slow / n:.1f} s per notebook, "
              f"{failures} failed)")
        pages = cli_pages(processed, work / "naive-p2", counties, [available[x] for x in per_county], year,
                          [available[x] for x in per_year])
        fair, failures2 = naive_loop(pages, processed, year, kernel, parallel=2)
        print(f"CLI loop, 2 in parallel (xargs -P 2):          {fair:7.1f} s  ({fair / n:.1f} s per notebook, "
              f"{failures2} failed)")
        # the runner again after the loops: on a shared machine whose load drifts, the
        # mean of the runs before and after is a fairer comparison than either alone
        after = both("after")
        if failures or failures2 or any(st for t in (before, after) for _, st in t.values()):
            print("error: a run failed, so the times do not compare like with like; no speed-up reported")
            return 1
        for loop, seconds, target in (("serial loop", slow, 10), ("2 parallel CLI", fair, 5)):
            for label in before:
                mean = (before[label][0] + after[label][0]) / 2
                note = (f"same output as the loop; target >= {target}x" if label == "pages"
                        else "the loop makes no downloads")
                print(f"speed-up vs {loop}, {label + ':':19s} {seconds / mean:5.2f}x  (loop / mean of the two "
                      f"runner runs; {seconds / before[label][0]:.2f}x and {seconds / after[label][0]:.2f}x each; "
                      f"{note})")
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
