"""The index's verdict summary assembled from per-county rows (the kernels' and the engine's).

A publishing kernel hands back the row of each county whose county report it ran
(:func:`analysis.publish.index.county_rows`, from the evaluation the report cached); the
publishing process evaluates only the counties no kernel gave a row for. The assembled
summary must be the one :func:`analysis.publish.index.evaluation_summary` computes for
every county at once.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from test_publish_support import CHART_CELLS, failing_cells, write_notebooks

import analysis.publish.runner as runner
from analysis.publish.index import (
    COUNTY_TABLES,
    SCHOOL_TABLES,
    assemble_summary,
    county_rows,
    evaluation_summary,
    summary_counties,
)
from analysis.publish.kernel import SUMMARY_NOTEBOOKS, JobResult, WorkerOptions

REPORT = SUMMARY_NOTEBOOKS[0]


def _verdict_cells(html: str) -> list[str]:
    """The verdict cells of the index (met, not met, judged), in order."""
    return re.findall(r'class="(?:met|unmet|judged)">([^<]*)<', html)


@pytest.fixture(scope="module")
def whole(sample_processed):
    """``{(year, standards): evaluation_summary of every county}`` computed once per case."""
    cache: dict = {}

    def get(year: int, standards: str = "national") -> pd.DataFrame:
        if (year, standards) not in cache:
            summary, error = evaluation_summary(sample_processed, year, standards)
            assert error is None, error
            cache[(year, standards)] = summary
        return cache[(year, standards)]

    return get


@pytest.mark.parametrize(("year", "standards"), [(2024, "national"), (2022, "shanxi")])
def test_county_rows_assemble_into_the_summary_of_all_counties(sample_processed, whole, year, standards):
    expected = whole(year, standards)
    counties = summary_counties(sample_processed, year)
    assert counties == expected["county"].tolist() and len(counties) >= 3
    # one county's evaluation gives that county's row of the all-county evaluation
    rows = {c: county_rows(sample_processed, c, year, standards) for c in counties}
    for county, row in rows.items():
        assert row["county"].tolist() == [county]
        pd.testing.assert_frame_equal(row, expected.loc[expected["county"] == county].reset_index(drop=True))
    # the parts in any order, kernel rows beside an evaluation of the other counties
    pd.testing.assert_frame_equal(assemble_summary([rows[c] for c in reversed(counties)]), expected)
    rest, error = evaluation_summary(sample_processed, year, standards, counties=counties[1:])
    assert error is None
    assembled = assemble_summary([rest, rows[counties[0]]])
    pd.testing.assert_frame_equal(assembled, expected)
    assert list(assembled.columns) == list(expected.columns) and assembled.dtypes.equals(expected.dtypes)


def test_summary_counties_read_the_tables_the_engine_evaluates(sample_processed):
    from analysis.indicators.evaluation import COUNTY_TABLES as ENGINE_COUNTY_TABLES
    from analysis.indicators.evaluation import REQUIRED_ANY, available

    assert REQUIRED_ANY[::-1] == SCHOOL_TABLES and COUNTY_TABLES == ENGINE_COUNTY_TABLES
    pairs = available(sample_processed)
    for year in (2022, 2024):
        assert summary_counties(sample_processed, year) == sorted(pairs.loc[pairs["year"] == year, "county"])


def test_no_engine_table_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no table"):
        summary_counties(tmp_path, 2024)


def test_assemble_keeps_the_first_row_of_a_county_and_refuses_nothing(sample_processed):
    row = county_rows(sample_processed, summary_counties(sample_processed, 2024)[0], 2024)
    changed = row.assign(n_schools=pd.array([row["n_schools"].iloc[0] + 1], dtype="Int64"))
    assert assemble_summary([row, changed]).equals(row)
    assert assemble_summary([row.iloc[:0]]).empty
    with pytest.raises(ValueError, match="no summary rows"):
        assemble_summary([])


# -- the runner: kernel rows, the rest evaluated here ---------------------------------------
@pytest.fixture
def evaluated(monkeypatch):
    """The counties the publishing process evaluates: ``None`` for every county at once."""
    calls: list = []
    engine = runner.evaluation_summary

    def record(processed, year, standards, counties=None):
        calls.append(None if counties is None else list(counties))
        return engine(processed, year, standards, counties=counties)

    monkeypatch.setattr(runner, "evaluation_summary", record)
    return calls


@pytest.fixture
def saved(monkeypatch):
    """The summaries the runs save for the next run (exactly as assembled)."""
    frames: list[pd.DataFrame] = []
    save = runner.save_summary

    def record(folder, key, summary):
        frames.append(summary)
        save(folder, key, summary)

    monkeypatch.setattr(runner, "save_summary", record)
    return frames


def _kernel_backend(monkeypatch, processed, without=()):
    """A stand-in for the kernels: the county report's jobs hand back the county's row
    (as a kernel computes it), except for the counties in ``without``."""
    calls: list[list[tuple[str, str]]] = []

    def run_local(jobs, options, workers):
        calls.append([(j.county, j.notebook) for j in jobs])
        for j in jobs:
            row = None
            if j.notebook == REPORT and j.county not in without:
                row = county_rows(processed, j.county, j.year, j.parameters["standards"])
            yield JobResult(county=j.county, notebook=j.notebook, status="ok", fingerprint=j.fingerprint,
                            seconds=0.0, ipynb=j.source, html=f"<p>{j.county}</p>", summary=row)

    monkeypatch.setattr(runner, "run_local", run_local)
    return calls


def test_only_the_counties_without_a_kernel_row_are_evaluated_here(
        sample_processed, tmp_path, monkeypatch, evaluated, saved, whole):
    counties = summary_counties(sample_processed, 2024)
    lost = counties[1]
    backend = _kernel_backend(monkeypatch, sample_processed, without=[lost])
    nbs = write_notebooks(tmp_path / "nbs", {REPORT: CHART_CELLS, "chart": CHART_CELLS})
    args = dict(counties="all", year=2024, notebooks_dir=nbs, echo=None)
    first = runner.publish(sample_processed, tmp_path / "r", **args)
    assert first.exit_code == 0 and first.evaluation_error is None
    assert evaluated == [[lost]]  # not every county again: only the one without a row
    pd.testing.assert_frame_equal(saved[-1], whole(2024))
    verdicts = _verdict_cells(first.index_path.read_text(encoding="utf-8"))
    assert len(verdicts) == 6 * len(counties)  # overall and the five parts of every county

    # an unchanged re-run: nothing runs, nothing is evaluated, the saved verdicts are shown
    second = runner.publish(sample_processed, tmp_path / "r", **args)
    assert backend[-1] == [] and evaluated == [[lost]] and len(saved) == 1
    assert _verdict_cells(second.index_path.read_text(encoding="utf-8")) == verdicts


def test_counties_not_run_are_evaluated_while_the_kernels_work(
        sample_processed, tmp_path, monkeypatch, evaluated, saved, whole):
    counties = summary_counties(sample_processed, 2024)
    _kernel_backend(monkeypatch, sample_processed)
    nbs = write_notebooks(tmp_path / "nbs", {REPORT: CHART_CELLS})
    result = runner.publish(sample_processed, tmp_path / "r", counties=counties[0], year=2024,
                            notebooks_dir=nbs, echo=None)
    assert result.exit_code == 0 and evaluated == [counties[1:]]
    pd.testing.assert_frame_equal(saved[-1], whole(2024))


def test_without_the_county_report_every_county_is_evaluated_here_at_once(
        sample_processed, tmp_path, monkeypatch, evaluated, saved, whole):
    _kernel_backend(monkeypatch, sample_processed)
    nbs = write_notebooks(tmp_path / "nbs", {REPORT: CHART_CELLS, "chart": CHART_CELLS})
    result = runner.publish(sample_processed, tmp_path / "r", counties="all", year=2024, notebooks_dir=nbs,
                            notebooks=["chart"], echo=None)
    assert result.exit_code == 0 and evaluated == [None]
    pd.testing.assert_frame_equal(saved[-1], whole(2024))


def test_an_error_evaluating_the_rest_is_shown_and_the_runs_go_on(
        sample_processed, tmp_path, monkeypatch, saved):
    counties = summary_counties(sample_processed, 2024)
    _kernel_backend(monkeypatch, sample_processed, without=[counties[0]])
    monkeypatch.setattr(runner, "evaluation_summary",
                        lambda *a, **k: (None, "ValueError: 学校基本情况表缺少必填列"))
    nbs = write_notebooks(tmp_path / "nbs", {REPORT: CHART_CELLS})
    result = runner.publish(sample_processed, tmp_path / "r", counties="all", year=2024, notebooks_dir=nbs,
                            echo=None)
    assert len(result.results) == len(counties) and not result.failed  # every report published
    assert result.evaluation_error == "ValueError: 学校基本情况表缺少必填列" and result.exit_code == 1
    index = result.index_path.read_text(encoding="utf-8")
    assert "未能计算评估结论" in index and "学校基本情况表缺少必填列" in index
    assert saved == []  # an error is not kept: the next run tries again


def test_a_kernel_row_of_another_county_is_not_used(sample_processed, tmp_path):
    counties = summary_counties(sample_processed, 2024)
    before = runner._Summary(waiting=counties[:2])
    wrong = county_rows(sample_processed, counties[1], 2024)
    rows = {counties[0]: wrong, counties[1]: wrong}
    summary, error = runner._summary_after(before, rows, sample_processed, 2024, "national", tmp_path, "k")
    assert error is None and summary["county"].tolist() == counties[:2]
    pd.testing.assert_frame_equal(summary.iloc[[0]], county_rows(sample_processed, counties[0], 2024))


# -- real kernels ---------------------------------------------------------------------------
def test_kernels_hand_back_the_rows_and_a_failed_report_is_evaluated_here(
        sample_processed, tmp_path, evaluated, saved, whole):
    counties = summary_counties(sample_processed, 2024)
    bad = counties[-1]
    nbs = write_notebooks(tmp_path / "nbs", {REPORT: failing_cells(bad)})
    result = runner.publish(sample_processed, tmp_path / "r", counties="all", year=2024, notebooks_dir=nbs,
                            jobs=1, echo=None, options=WorkerOptions(downloads=False))
    by_county = {r.county: r for r in result.results}
    assert not by_county[bad].ok and by_county[bad].summary is None
    for county in counties[:-1]:
        row = by_county[county].summary
        pd.testing.assert_frame_equal(row, whole(2024).loc[whole(2024)["county"] == county].reset_index(drop=True))
    assert evaluated == [[bad]] and result.evaluation_error is None
    pd.testing.assert_frame_equal(saved[-1], whole(2024))


def test_a_changed_package_evaluates_the_verdicts_again(
        sample_processed, tmp_path, monkeypatch, evaluated, saved):
    """The index's verdicts are as fresh as the pages: a changed package file (here a unit
    cost) is a new key for the saved summary, as it is for every notebook's fingerprint."""
    import shutil

    from analysis.publish.state import PACKAGE_ROOT

    package = tmp_path / "analysis"
    shutil.copytree(PACKAGE_ROOT, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(runner, "package_root", package)
    _kernel_backend(monkeypatch, sample_processed, without=summary_counties(sample_processed, 2024))
    nbs = write_notebooks(tmp_path / "nbs", {REPORT: CHART_CELLS})
    args = dict(counties="all", year=2024, notebooks_dir=nbs, echo=None)
    runner.publish(sample_processed, tmp_path / "r", **args)
    runner.publish(sample_processed, tmp_path / "r", **args)
    assert len(evaluated) == 1 and len(saved) == 1  # unchanged: the saved verdicts
    costs = package / "data" / "plan_costs.yaml"
    costs.write_text(costs.read_text(encoding="utf-8") + "\n# 单价调整\n", encoding="utf-8")
    runner.publish(sample_processed, tmp_path / "r", **args)
    assert len(evaluated) == 2 and len(saved) == 2
