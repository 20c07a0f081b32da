"""Benchmark of the cleaner on a province-sized raw set (~10,000 schools, ~400,000 roster rows).

The raw set is generated once with ``analysis.sample.generate_sample`` (xlsx rosters, one
year) and cached in ``benchmarks/.cache/`` (gitignored). Each timed run cleans it in a
child process, so the peak memory reported (``ru_maxrss``) is the cleaner's own. The small
test sample (3 counties, 3 years) is timed as well. Target: the province set in under 60 s.

Usage::

    .venv/bin/python benchmarks/bench_clean.py [--counties 100] [--schools 100]
        [--teachers-scale 1.9] [--repeat 1] [--regenerate] [--profile]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"

#: Child process: clean, then report wall time, rows and peak memory as JSON.
CHILD = r"""
import json, resource, sys, time
from analysis.clean import clean
raw, out, profile = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
t = time.perf_counter()
if profile:
    import cProfile, pstats
    prof = cProfile.Profile()
    report = prof.runcall(clean, raw, out)
    pstats.Stats(prof, stream=sys.stderr).sort_stats("cumtime").print_stats(25)
else:
    report = clean(raw, out)
seconds = time.perf_counter() - t
acc = report.accounting
print(json.dumps({
    "seconds": seconds,
    "files": len(report.inputs),
    "sheets": len(acc),
    "rows_read": int(acc["rows_read"].sum()),
    "rows_kept": int(acc["rows_kept"].sum()),
    "rows_skipped": int(acc["rows_skipped"].sum()),
    "rows_rejected": int(acc["rows_rejected"].sum()),
    "tables": {k: len(v) for k, v in report.frames.items()},
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def generator_fingerprint() -> str:
    """Hash of the generator's code and parameters: a cached raw set from an older
    generator is regenerated."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "analysis" / "sample").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml"):
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]


def cached(name: str, regenerate: bool, **kwargs) -> Path:
    """The raw set ``generate_sample(**kwargs)`` cached under ``benchmarks/.cache/name``."""
    from analysis.sample import generate_sample

    out = CACHE / name
    done = out / ".complete"
    stamp = generator_fingerprint()
    if done.exists() and not regenerate and done.read_text(encoding="utf-8").split()[0] == stamp:
        return out
    if out.exists():
        shutil.rmtree(out)
    t = time.perf_counter()
    generate_sample(out, **kwargs)
    done.write_text(f"{stamp} generated in {time.perf_counter() - t:.1f} s\n", encoding="utf-8")
    print(f"generated {out.relative_to(ROOT)} in {time.perf_counter() - t:.1f} s")
    return out


def run_child(raw: Path, profile: bool = False) -> dict:
    """Clean ``raw`` in a child process; its JSON report."""
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(raw), out, "1" if profile else "0"],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"cleaning {raw} failed (exit {proc.returncode})")
    if profile:
        sys.stderr.write(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def describe(label: str, r: dict) -> str:
    rate = r["rows_read"] / r["seconds"] if r["seconds"] else float("nan")
    return (
        f"{label}: {r['files']} files, {r['sheets']} sheets, {r['rows_read']:,} rows read "
        f"({r['rows_kept']:,} kept, {r.get('rows_skipped', 0):,} total/note rows skipped, {r['rows_rejected']:,} rejected) in {r['seconds']:.1f} s = "
        f"{rate:,.0f} rows/s; peak memory {r['peak_rss_mb']:,.0f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--counties", type=int, default=100, help="counties of the province set (default 100)")
    p.add_argument("--schools", type=int, default=100, help="schools per county (default 100)")
    p.add_argument("--teachers-scale", type=float, default=1.9,
                   help="teachers per school multiplier (default 1.9: ~400,000 roster rows)")
    p.add_argument("--repeat", type=int, default=1, help="timed runs of the province set")
    p.add_argument("--regenerate", action="store_true", help="regenerate the cached raw set")
    p.add_argument("--profile", action="store_true", help="print a cProfile summary of one run")
    p.add_argument("--target", type=float, default=60.0, help="target seconds for the province set")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    from tests.conftest import (  # the test sample's arguments
        SAMPLE_COUNTIES,
        SAMPLE_SEED,
        SAMPLE_YEARS,
    )

    small = cached("raw_test_sample", args.regenerate, seed=SAMPLE_SEED, n_counties=SAMPLE_COUNTIES, years=SAMPLE_YEARS)
    print(describe("test sample (3 counties, 2022-2024)", run_child(small)))

    raw = cached(
        f"raw_c{args.counties}_s{args.schools}_t{args.teachers_scale:g}_y2024", args.regenerate,
        n_counties=args.counties, schools_per_county=args.schools, teachers_scale=args.teachers_scale, years=[2024],
    )
    size = sum(f.stat().st_size for f in raw.rglob("*") if f.is_file()) / 2**20
    print(f"province set: {raw.relative_to(ROOT)} ({size:,.0f} MB)")
    results = [run_child(raw, profile=args.profile and i == 0) for i in range(args.repeat)]
    for i, r in enumerate(results, 1):
        print(describe(f"province set run {i}", r))
    best = min(r["seconds"] for r in results)
    r = results[0]
    print(
        f"tables: core_schools {r['tables']['core_schools']:,}, core_teachers {r['tables']['core_teachers']:,}, "
        f"core_classes {r['tables']['core_classes']:,}, core_school_sections {r['tables']['core_school_sections']:,}"
    )
    print(f"best {best:.1f} s vs target {args.target:.0f} s: {'OK' if best <= args.target else 'SLOWER THAN TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
