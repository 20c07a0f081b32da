"""The enrolment_trends notebook on both paths: a county with births (trend chart with band)
and a county without (a one-sentence note, the existing projection still shown)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from analysis.studies.births import NO_BIRTHS_NOTE
from analysis.tables import read_table

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "enrolment_trends.ipynb"


def _run(county: str, data: Path, tmp: Path) -> nbformat.NotebookNode:
    import papermill as pm

    out = tmp / "nb.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK), str(out),
        parameters={"county": county, "year": 0, "processed_dir": str(data), "output_dir": str(tmp / "fig"),
                    "standards": "national"},
        kernel_name=os.environ.get("EDU_KERNEL", "python3"), cwd=str(tmp), progress_bar=False,
        log_output=False, start_timeout=120, execution_timeout=300,
    )
    return nbformat.read(out, as_version=4)


def _markdown(nb) -> str:
    return "\n".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def counties(sample_processed):
    every = sorted(read_table("core_schools", sample_processed, columns=["county"])["county"].unique())
    with_births = sorted(read_table("core_births", sample_processed)["county"].unique())
    return with_births[0], next(c for c in every if c not in with_births)


# the births path runs in test_notebooks too (its first county has births); running it here
# again costs ~15 s of the suite, so only the fallback path runs by default
@pytest.mark.parametrize("path", [pytest.param("births", marks=pytest.mark.slow), "no_births"])
def test_enrolment_trends_on_both_paths(path, sample_processed, counties, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    county = counties[0] if path == "births" else counties[1]
    nb = _run(county, sample_processed, tmp_path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    figs = {p.name for p in (tmp_path / "fig").glob("*.png")}
    assert f"{county}_{max(_years(sample_processed, county))}_学位需求预测.png" in figs  # the existing method
    births_png = [f for f in figs if "出生人口推算" in f]
    if path == "births":
        assert births_png
        assert "入学系数" in _markdown(nb)
    else:
        assert not births_png
        assert NO_BIRTHS_NOTE in _markdown(nb)


def _years(processed: Path, county: str) -> list[int]:
    s = read_table("core_schools", processed, columns=["county", "year"])
    return sorted(int(y) for y in s.loc[s["county"] == county, "year"].unique())
