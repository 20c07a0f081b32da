"""Batch runs: parallel workers, failures kept and shown, skips, warm kernels that do not leak."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import nbformat
import pytest
from test_publish_support import (
    CHART_CELLS,
    LEAK_CHECK_CELLS,
    LEAK_SET_CELLS,
    failing_cells,
    fake_processed,
    foreign_scripts,
    write_notebooks,
)

import analysis.publish.runner as runner
from analysis.publish.kernel import JobResult, WorkerOptions
from analysis.publish.runner import publish
from analysis.safe_names import safe_component

COUNTIES = ["甲县", "乙县", "../x", "<script>"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One real run: 4 counties × 2 notebooks on 2 worker processes; 乙县 fails."""
    root = tmp_path_factory.mktemp("publish")
    nbs = write_notebooks(root / "notebooks", {
        "chart": CHART_CELLS, "fails": failing_cells("乙县"), "explore": CHART_CELLS,
    })
    processed = fake_processed(root / "processed")
    out = root / "reports"
    messages: list[str] = []
    result = publish(processed, out, counties=COUNTIES, year=2024, notebooks_dir=nbs, jobs=2,
                     verdicts=False, echo=messages.append, keep_notebooks=True)
    return SimpleNamespace(root=root, nbs=nbs, processed=processed, out=out, result=result,
                           message="\n".join(messages))


def _folder(batch, county):
    return batch.out / "2024" / safe_component(county)


def test_every_county_gets_its_reports(batch):
    # explore is published too: its controls work offline (analysis.explorer)
    assert sorted(batch.result.notebooks) == ["chart", "explore", "fails"]
    for county in COUNTIES:
        folder = _folder(batch, county)
        for name in ("chart", "explore", "fails"):
            assert (folder / f"{name}.ipynb").is_file()
            assert (folder / f"{name}.html").is_file()
        # the notebook got its parameters; no output folder: it writes no files of its own
        assert not (folder / "marker.txt").exists() and not (batch.nbs / "marker.txt").exists()
        nb = nbformat.read(folder / "chart.ipynb", as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert injected and f"county = {county!r}" in injected[0].source
        assert "output_dir = ''" in injected[0].source
        assert [c.execution_count for c in nb.cells if c.cell_type == "code"][0] == 1


def test_runs_are_shared_by_the_workers_county_by_county(batch):
    workers = {r.worker for r in batch.result.results}
    assert 1 <= len(workers) <= 2  # --jobs 2: two warm kernels
    # a worker stays with a county while it has notebooks left (its kernel's caches are warm)
    by_county = {c: {r.worker for r in batch.result.results if r.county == c} for c in COUNTIES}
    assert sum(len(w) == 1 for w in by_county.values()) >= len(COUNTIES) - 1


def test_nothing_is_written_outside_the_year_folder(batch):
    written = [p for p in batch.root.rglob("*") if p.is_file()]
    allowed = (batch.nbs, batch.processed, batch.out / "2024")
    assert all(any(p.is_relative_to(a) for a in allowed) for p in written), written
    assert not (batch.out / "x").exists() and not (batch.root / "x").exists()
    assert sorted(p.name for p in (batch.out / "2024").iterdir()) == sorted(
        ["_assets", "index.html", *(safe_component(c) for c in COUNTIES)]
    )


def test_failure_is_kept_marked_and_reported(batch):
    failed = batch.result.failed
    assert [(r.county, r.notebook) for r in failed] == [("乙县", "fails")]
    assert "ValueError: bad data for 乙县" in failed[0].error
    assert batch.result.exit_code == 1
    assert "FAILED 乙县 / fails: ValueError: bad data for 乙县" in batch.message
    nb = nbformat.read(_folder(batch, "乙县") / "fails.ipynb", as_version=4)
    assert "papermill-error-cell-tag" in nb.cells[0].metadata.get("tags", [])
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "ValueError"
    # the cell after the failure did not run
    assert not any("after" in "".join(o.get("text", "")) for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)
    state = json.loads((_folder(batch, "乙县") / "publish_state.json").read_text(encoding="utf-8"))
    assert state["notebooks"]["fails"]["status"] == "failed"
    assert state["notebooks"]["chart"]["status"] == "ok"
    html = (_folder(batch, "乙县") / "fails.html").read_text(encoding="utf-8")
    assert "运行失败" in html and "bad data for 乙县" in html


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href")


def test_index_lists_counties_links_and_failures(batch):
    index = batch.result.index_path
    assert index == batch.out / "2024" / "index.html"
    html = index.read_text(encoding="utf-8")
    for county in ("甲县", "乙县", "../x", "&lt;script&gt;"):
        assert county in html
    assert foreign_scripts(html) == []  # only the inlined table script
    assert "ValueError: bad data for 乙县" in html and "运行失败 1 个" in html
    assert "示例数据（合成）" in html or "区县教育局" in html
    parser = _Links()
    parser.feed(html)
    local = [h for h in parser.hrefs if not h.startswith(("http", "#"))]
    assert len(local) == 2 * 3 * len(COUNTIES)  # html + ipynb per county × notebook
    for href in local:
        target = (index.parent / unquote(href)).resolve()
        assert target.is_file() and target.is_relative_to(index.parent.resolve())


def test_reports_escape_hostile_names_and_load_nothing(batch):
    html = (_folder(batch, "<script>") / "chart.html").read_text(encoding="utf-8")
    # no script but the inlined table script: the title, nav, Markdown and HTML outputs are escaped
    assert foreign_scripts(html) == []
    assert "&lt;script&gt;" in html
    # the chart is a file beside the page (stored once), not a base64 copy
    src = re.search(r'<img [^>]*src="(chart_charts/[^"]+\.png)"', html)
    assert src and (_folder(batch, "<script>") / unquote(src.group(1))).is_file() and "base64," not in html
    assert '<html lang="zh-CN">' in html
    from analysis.publish.export import external_references

    assert external_references(html) == []


# -- planning and skipping, with a stand-in backend (no kernels) ----------------------------
@pytest.fixture
def fake_backend(monkeypatch):
    calls: list[list[tuple[str, str]]] = []

    def run_local(jobs, options, workers):
        calls.append([(j.county, j.notebook) for j in jobs])
        for j in jobs:
            yield JobResult(county=j.county, notebook=j.notebook, status="ok", fingerprint=j.fingerprint,
                            seconds=0.0, ipynb=j.source, html=f"<p>{j.county}</p>")

    monkeypatch.setattr(runner, "run_local", run_local)
    return calls


def test_unchanged_runs_are_skipped(tmp_path, fake_backend):
    nbs = write_notebooks(tmp_path / "nbs", {"chart": CHART_CELLS, "other": CHART_CELLS})
    processed = fake_processed(tmp_path / "processed")
    out = tmp_path / "reports"
    args = dict(counties="甲县,乙县", year=2024, notebooks_dir=nbs, verdicts=False, echo=None)

    first = publish(processed, out, **args)
    assert len(fake_backend[-1]) == 4 and first.exit_code == 0
    second = publish(processed, out, **args)
    assert fake_backend[-1] == [] and len(second.skipped) == 4
    assert second.index_path.is_file()

    changed = nbformat.read(nbs / "chart.ipynb", as_version=4)
    changed.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    nbformat.write(changed, nbs / "chart.ipynb")
    publish(processed, out, **args)
    assert sorted(fake_backend[-1]) == [("乙县", "chart"), ("甲县", "chart")]

    (processed / "core_more.parquet").write_bytes(b"new table")
    publish(processed, out, **{**args, "counties": "甲县"})
    assert sorted(fake_backend[-1]) == [("甲县", "chart"), ("甲县", "other")]

    publish(processed, out, **{**args, "standards": "shanxi"})
    assert len(fake_backend[-1]) == 4  # another standards file is another parameter

    publish(processed, out, **{**args, "standards": "shanxi", "force": True, "notebooks": ["other"]})
    assert sorted(fake_backend[-1]) == [("乙县", "other"), ("甲县", "other")]

    (out / "2024" / "甲县" / "other.html").unlink()
    publish(processed, out, **{**args, "standards": "shanxi"})
    assert fake_backend[-1] == [("甲县", "other")]


def test_longest_jobs_start_first():
    from analysis.publish.kernel import Job
    from analysis.publish.runner import longest_first

    def job(county, name):
        return Job(county, 2024, name, "", "", {}, ".", "", {})

    jobs = [job(c, n) for c in ("甲县", "乙县", "丙县") for n in ("fast", "slow")]
    states = {
        "甲县": {"notebooks": {"fast": {"status": "ok", "seconds": 1.0}, "slow": {"status": "ok", "seconds": 9.0}}},
        "乙县": {"notebooks": {"fast": {"status": "ok", "seconds": 2.0},
                               "slow": {"status": "failed", "seconds": 0.5}}},
    }
    order = [(j.county, j.notebook) for j in longest_first(jobs, states)]
    assert order == [("甲县", "slow"), ("乙县", "slow"), ("丙县", "slow"),
                     ("乙县", "fast"), ("丙县", "fast"), ("甲县", "fast")]
    assert longest_first(jobs, {}) == jobs


def test_options_are_checked(tmp_path, fake_backend):
    nbs = write_notebooks(tmp_path / "nbs", {"chart": CHART_CELLS, "explore": CHART_CELLS})
    processed = fake_processed(tmp_path / "processed")
    with pytest.raises(ValueError, match=r"unknown notebooks \['nope'\]; available: chart, explore"):
        publish(processed, tmp_path / "r", counties="甲县", year=2024, notebooks_dir=nbs, notebooks=["nope"],
                verdicts=False, echo=None)
    with pytest.raises(ValueError, match="unknown standards 'nope'; available: national"):
        publish(processed, tmp_path / "r", counties="甲县", year=2024, notebooks_dir=nbs, standards="nope",
                verdicts=False, echo=None)
    with pytest.raises(FileNotFoundError, match="core_schools has not been built"):
        publish(processed, tmp_path / "r", counties="all", year=2024, notebooks_dir=nbs, verdicts=False,
                echo=None)
    with pytest.raises(FileNotFoundError, match="notebooks folder not found"):
        publish(processed, tmp_path / "r", counties="甲县", year=2024, notebooks_dir=tmp_path / "none",
                verdicts=False, echo=None)
    result = publish(processed, tmp_path / "r", counties="甲县", year=2024, notebooks_dir=nbs,
                     notebooks=["explore"], verdicts=False, echo=None)
    assert result.notebooks == ["explore"]  # only the named notebooks run


def test_an_unchanged_rerun_reuses_the_verdicts(tmp_path, fake_backend, monkeypatch):
    import pandas as pd

    computed = []

    def summary(processed, year, standards):
        from analysis.publish.index import county_summary

        computed.append(standards)
        verdict = pd.DataFrame({"county": ["甲县"] * 2, "part": ["resource", "overall"],
                                "is_met": [False, False], "reason": ["", "资源配置未达标"]})
        cv = pd.DataFrame({"county": ["甲县"], "section": ["primary"], "indicator": ["L4"],
                           "cv": [0.62], "threshold": [0.5], "is_met": [False]})
        return county_summary(verdict, cv), None

    monkeypatch.setattr(runner, "evaluation_summary", summary)
    nbs = write_notebooks(tmp_path / "nbs", {"chart": CHART_CELLS})
    processed = fake_processed(tmp_path / "processed")
    args = dict(counties="甲县", year=2024, notebooks_dir=nbs, echo=None)
    first = publish(processed, tmp_path / "r", **args)
    second = publish(processed, tmp_path / "r", **args)
    assert computed == ["national"] and first.exit_code == second.exit_code == 0
    assert fake_backend[-1] == [] and second.skipped == [("甲县", "chart")]
    html = second.index_path.read_text(encoding="utf-8")
    assert "资源配置未达标" in html and "小学 L4 0.620 &gt; 0.50" in html  # the saved verdicts are shown
    publish(processed, tmp_path / "r", **{**args, "standards": "shanxi"})  # other standards
    (processed / "core_more.parquet").write_bytes(b"new table")  # other data
    publish(processed, tmp_path / "r", **args)
    assert computed == ["national", "shanxi", "national"]
    (tmp_path / "r" / "2024" / runner.SUMMARY_FILE).write_bytes(b"broken")  # unreadable: computed again
    (processed / "core_more.parquet").write_bytes(b"newer table")
    publish(processed, tmp_path / "r", **args)
    assert len(computed) == 4


def test_verdict_failure_makes_the_exit_status_non_zero(tmp_path, fake_backend):
    nbs = write_notebooks(tmp_path / "nbs", {"chart": CHART_CELLS})
    processed = fake_processed(tmp_path / "processed")
    result = publish(processed, tmp_path / "r", counties="甲县", year=2024, notebooks_dir=nbs, echo=None)
    assert result.evaluation_error and result.exit_code == 1
    assert "未能计算评估结论" in result.index_path.read_text(encoding="utf-8")


# -- a warm kernel reused across notebooks and counties -----------------------------------
CRASH_CELLS = (
    "# 崩溃或超时",
    "import os\nimport time\n"
    "if county == '甲县':\n    os._exit(1)\n"
    "if county == '乙县':\n    time.sleep(60)\n"
    "print('survived', county)\nprint('pid', os.getpid())",
)


def test_warm_kernel_is_reused_without_leaks_and_recovers(tmp_path):
    nbs = write_notebooks(tmp_path / "nbs", {
        "a_set": LEAK_SET_CELLS + ("import os\nprint('pid', os.getpid())",),
        "b_check": LEAK_CHECK_CELLS + ("import os\nprint('pid', os.getpid())",),
        "c_crash": CRASH_CELLS,
    })
    processed = fake_processed(tmp_path / "processed")
    out = tmp_path / "reports"
    result = publish(processed, out, counties="甲县,乙县,丙县", year=2024, notebooks_dir=nbs, jobs=1,
                     verdicts=False, echo=None, options=WorkerOptions(cell_timeout=3), keep_notebooks=True)
    status = {(r.county, r.notebook): r for r in result.results}
    for county in ("甲县", "乙县", "丙县"):
        assert status[(county, "a_set")].ok
        assert status[(county, "b_check")].ok, status[(county, "b_check")].error  # nothing leaked

    def run(county, name):
        nb = nbformat.read(out / "2024" / county / f"{name}.ipynb", as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        found = re.search(r"pid (\d+)", text)
        return nb.metadata["papermill"]["start_time"], int(found.group(1)) if found else None

    runs = sorted((*run(c, n), c, n) for c in ("甲县", "乙县", "丙县") for n in ("a_set", "b_check", "c_crash"))
    # one kernel runs notebook after notebook until one kills it or times out; the next run
    # is on a new kernel (the order within a county follows the times seen so far)
    assert not status[("甲县", "c_crash")].ok and not status[("乙县", "c_crash")].ok
    assert "timed out" in status[("乙县", "c_crash")].error.lower() or "Timeout" in status[("乙县", "c_crash")].error
    assert status[("丙县", "c_crash")].ok
    kernels, current = [], None
    for _, pid, county, name in runs:
        if not status[(county, name)].ok:
            current = None  # this run's kernel is replaced
            continue
        if current is None:
            kernels.append(pid)
            current = pid
        assert pid == current, (county, name)  # reused while nothing failed
    # a new kernel after every failure (two failures in a row: one), never an old one again
    assert len(kernels) == len(set(kernels)) >= 2
    crashed = nbformat.read(out / "2024" / "甲县" / "c_crash.ipynb", as_version=4)
    assert "papermill-error-cell-tag" in crashed.cells[0].metadata.get("tags", [])
    assert result.exit_code == 1


def test_cli_maps_options(tmp_path, monkeypatch):
    import argparse

    from analysis.publish import cli

    seen = {}

    def fake_publish(processed, out, **kwargs):
        seen.update(kwargs, processed=processed, out=out)
        return SimpleNamespace(exit_code=1)

    from analysis.publish import prelaunch

    launched = []
    monkeypatch.setattr(runner, "publish", fake_publish)
    monkeypatch.setattr(prelaunch, "launch", lambda name, n: launched.append((name, n)) or n)
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["publish", "--counties", "甲县,乙县", "--year", "2023", "--notebooks", "a, b",
                              "--jobs", "3", "--force", "--processed", "p", "--out", "o", "--standards",
                              "shanxi", "--scheduler", "tcp://127.0.0.1:8786", "--timeout", "0"])
    assert args.func(args) == 1
    assert seen["counties"] == "甲县,乙县" and seen["year"] == 2023 and seen["notebooks"] == ["a", "b"]
    assert seen["jobs"] == 3 and seen["force"] and seen["standards"] == "shanxi"
    assert seen["scheduler"] == "tcp://127.0.0.1:8786" and seen["options"].cell_timeout is None
    assert (seen["processed"], seen["out"]) == ("p", "o")
    assert launched == []  # a Dask scheduler runs the notebooks: no local kernels are started
    args = parser.parse_args(["publish", "--jobs", "3", "--kernel", "edu-test"])
    args.func(args)
    assert launched == [("edu-test", 3)] and seen["options"].kernel_name == "edu-test"
    with pytest.raises(SystemExit):
        parser.parse_args(["publish", "--jobs", "0"])
    defaults = parser.parse_args(["publish"])
    assert defaults.counties == "all" and defaults.out == "reports" and defaults.standards == "national"
    assert Path(defaults.processed) == Path("data/processed")


def test_kernel_is_replaced_after_runs_per_kernel(tmp_path):
    from test_publish_support import make_notebook

    from analysis.publish.kernel import Job, NotebookWorker

    source = nbformat.writes(make_notebook(["# pid", "import os\nprint('pid', os.getpid())"]))
    worker = NotebookWorker(WorkerOptions(preload=(), runs_per_kernel=2))
    try:
        pids = []
        for county in ("甲县", "乙县", "丙县"):
            job = Job(county, 2024, "pid", source, "pid.ipynb", {"county": county}, str(tmp_path), "", {})
            result = worker.run(job)
            assert result.ok, result.error
            pids.append(int(re.search(r"pid (\d+)", result.ipynb).group(1)))
        assert pids[0] == pids[1] != pids[2]
    finally:
        worker.close()


# -- what is published, and when it is rebuilt --------------------------------------------
def test_executed_notebooks_are_kept_only_when_asked(tmp_path, fake_backend):
    nbs = write_notebooks(tmp_path / "nbs", {"chart": CHART_CELLS})
    processed = fake_processed(tmp_path / "processed")
    args = dict(counties="甲县", year=2024, notebooks_dir=nbs, verdicts=False, echo=None)
    publish(processed, tmp_path / "out", **args)
    folder = tmp_path / "out" / "2024" / "甲县"
    assert (folder / "chart.html").is_file() and not (folder / "chart.ipynb").exists()
    assert "chart.ipynb" not in (tmp_path / "out" / "2024" / "index.html").read_text(encoding="utf-8")
    publish(processed, tmp_path / "out", **args, keep_notebooks=True)  # asked for: not up to date without it
    assert fake_backend[-1] == [("甲县", "chart")] and (folder / "chart.ipynb").is_file()
    assert "chart.ipynb" in (tmp_path / "out" / "2024" / "index.html").read_text(encoding="utf-8")
    publish(processed, tmp_path / "out", **args, force=True)  # not asked again: removed
    assert not (folder / "chart.ipynb").exists()
    # the year's shared style sheet and script are there for the pages to link
    assets = tmp_path / "out" / "2024" / "_assets"
    assert sorted(p.name for p in assets.iterdir()) == ["edu_interactive.js", "report.css"]


def test_county_independent_notebooks_are_published_once_per_year(tmp_path, fake_backend):
    nbs = write_notebooks(tmp_path / "nbs", {"chart": CHART_CELLS, "published_figures": CHART_CELLS})
    processed = fake_processed(tmp_path / "processed")
    args = dict(counties="甲县,乙县", year=2024, notebooks_dir=nbs, verdicts=False, echo=None)
    result = publish(processed, tmp_path / "out", **args)
    assert sorted(fake_backend[-1]) == [("", "published_figures"), ("乙县", "chart"), ("甲县", "chart")]
    year = tmp_path / "out" / "2024"
    assert (year / "published_figures.html").is_file()
    assert not any((year / c / "published_figures.html").exists() for c in ("甲县", "乙县"))
    index = result.index_path.read_text(encoding="utf-8")
    assert 'href="published_figures.html"' in index and "全年报告" in index
    again = publish(processed, tmp_path / "out", **args)
    assert fake_backend[-1] == [] and ("", "published_figures") in again.skipped


def test_a_changed_package_file_republishes(tmp_path, fake_backend, monkeypatch):
    import shutil

    from analysis.publish.state import PACKAGE_ROOT, package_digest, package_files

    assert PACKAGE_ROOT / "data" / "plan_costs.yaml" in package_files(PACKAGE_ROOT)
    package = tmp_path / "analysis"
    shutil.copytree(PACKAGE_ROOT, package, ignore=shutil.ignore_patterns("__pycache__"))
    assert package_digest(package) == package_digest(PACKAGE_ROOT)
    monkeypatch.setattr(runner, "package_root", package)
    nbs = write_notebooks(tmp_path / "nbs", {"chart": CHART_CELLS})
    processed = fake_processed(tmp_path / "processed")
    args = dict(counties="甲县", year=2024, notebooks_dir=nbs, verdicts=False, echo=None)
    publish(processed, tmp_path / "out", **args)
    assert fake_backend[-1] == [("甲县", "chart")]
    assert publish(processed, tmp_path / "out", **args).skipped == [("甲县", "chart")]
    costs = package / "data" / "plan_costs.yaml"
    costs.write_text(costs.read_text(encoding="utf-8") + "\n# 单价调整\n", encoding="utf-8")
    again = publish(processed, tmp_path / "out", **args)
    assert fake_backend[-1] == [("甲县", "chart")] and again.skipped == []
    assert publish(processed, tmp_path / "out", **args).skipped == [("甲县", "chart")]
