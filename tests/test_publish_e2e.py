"""End to end on the real notebooks and the cleaned sample (示例数据（合成）).

The default test runs one county with the scorecard notebook and one more; the exhaustive
variant (every county × every default notebook) is marked slow (``make test-all``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_publish_support import unlinked_files

from analysis.publish.export import external_references
from analysis.publish.runner import (
    YEAR_NOTEBOOKS,
    counties_of_year,
    discover_notebooks,
    latest_year,
    publish,
)
from analysis.safe_names import safe_component

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _real_notebooks() -> dict[str, Path]:
    if not NOTEBOOKS.is_dir() or not discover_notebooks(NOTEBOOKS):
        pytest.skip("the real notebooks (notebooks/*.ipynb) are not there yet")
    return discover_notebooks(NOTEBOOKS)


def _check_reports(result, names):
    assert result.index_path.is_file()
    index = result.index_path.read_text(encoding="utf-8")
    assert "示例数据（合成）" in index
    assert result.evaluation_error is None, result.evaluation_error
    assert re.search(r'class="(un)?met">(未)?达标', index)
    for county in result.counties:
        assert county in index
        folder = result.out_dir / str(result.year) / safe_component(county)
        for name in names:
            html = (folder / f"{name}.html").read_text(encoding="utf-8")
            assert '<html lang="zh-CN">' in html
            assert external_references(html) == []
            assert re.findall(r"<script src=\"([^\"]+)\"", html) == ["../_assets/edu_interactive.js"]
    assert not result.failed, result.summary()
    assert result.exit_code == 0


def test_one_county_end_to_end(sample_processed, tmp_path):
    available = _real_notebooks()
    names = [n for n in ("county_report", "teacher_structure", "published_figures") if n in available]
    names = names or list(available)[:1]
    year = latest_year(sample_processed)
    first = counties_of_year(sample_processed, year)[0]
    result = publish(sample_processed, tmp_path / "reports", counties=first, notebooks_dir=NOTEBOOKS,
                     notebooks=names, echo=None)
    _check_reports(result, [n for n in names if n not in YEAR_NOTEBOOKS])
    # light and complete: every file of the county folder is linked from a page or the index,
    # no executed notebook, no file the notebooks wrote themselves, the shared style sheet once
    year_dir = result.out_dir / str(year)
    folder = year_dir / safe_component(first)
    assert unlinked_files(folder, year_dir) == []
    assert not list(folder.glob("*.ipynb")) and not list(folder.glob("*.csv"))
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size < 3_000_000, f"{folder.name}: {size / 1e6:.1f} MB"
    if "published_figures" in names:
        assert (year_dir / "published_figures.html").is_file() and not (folder / "published_figures.html").exists()
    # every county of the year is listed in the index, the others as not run yet
    index = result.index_path.read_text(encoding="utf-8")
    for county in counties_of_year(sample_processed, year):
        assert county in index
    if "county_report" in names:
        html = (result.out_dir / str(year) / safe_component(first) / "county_report.html").read_text("utf-8")
        assert re.search(r'<img alt="图表：[^"]+" src="county_report_charts/[^"]+\.png"', html)
        assert "base64," not in html and 'href="../_assets/report.css"' in html


@pytest.mark.slow
def test_all_counties_all_notebooks(sample_processed, tmp_path):
    _real_notebooks()
    result = publish(sample_processed, tmp_path / "reports", counties="all", notebooks_dir=NOTEBOOKS, echo=None)
    _check_reports(result, result.notebooks)
    again = publish(sample_processed, tmp_path / "reports", counties="all", notebooks_dir=NOTEBOOKS, echo=None)
    assert again.results == [] and len(again.skipped) == len(result.results)
