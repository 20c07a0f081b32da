"""Smoke runs of the benchmark scripts at toy sizes: they start, do their work and print
their figures (the figures themselves are measured by ``make bench``, never by tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

RUNS = {
    # script and toy arguments -> lines the output must contain; exit status 0 expected
    "publish": (["bench_publish.py", "--counties", "1", "--skip-naive", "--notebooks", "published_figures"],
                ["runner, pages:", "runner, pages + downloads:", "size per county folder:"]),
    "province": (["bench_publish_province.py", "--counties", "2", "--notebooks", "published_figures"],
                 # published_figures does not depend on the county: published once per year
                 ["full publish:", "1 ok", "1 unchanged (skipped)", "re-run / full publish:"]),
    "optimiser": (["bench_optimiser.py", "--schools", "40"], ["engine re-run passes: True"]),
    "projection": (["bench_projection.py", "--counties", "2"], ["births-based projection of all 2 counties"]),
}


@pytest.mark.parametrize("name", list(RUNS))
def test_benchmark_script_runs(name):
    args, expected = RUNS[name]
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / args[0]), *args[1:]], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    for text in expected:
        assert text in run.stdout, (text, run.stdout[-2000:])


def test_indicator_benchmark_runs_at_a_toy_size(tmp_path):
    # at toy sizes the read-ratio target is not meant to hold, so only the run is checked
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_indicators.py"), "--counties", "20",
                          "--sections", "400", "--teachers", "8000", "--repeat", "1", "--cache", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    assert "'counties': 20" in run.stdout and "Traceback" not in run.stderr
