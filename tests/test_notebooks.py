"""The notebooks: stored stripped and thin, and each one runs under papermill for a county.

The data are the shared ``sample_processed`` fixture (generated and cleaned sample) once the
generator and cleaner exist, otherwise the small city of ``test_analyses_fixture``; real
published figures are added to a copy when the processed folder has none. The kernel is
``$EDU_KERNEL`` (default ``python3``; the Makefile registers ``edu-balance``).

By default every notebook runs for the first county of the small test sample; ``-m slow``
(``make test-all``) runs every notebook for every county of the bundled sample (12 counties,
as ``make data`` builds it).
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from test_analyses_fixture import build_processed, pipeline_available, published_frame

from analysis.tables import read_table, table_path, write_tables

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = (
    "county_report",
    "urban_rural_gaps",
    "teacher_structure",
    "enrolment_trends",
    "published_figures",
    "explore",
    "rectification_plan",
)
PARAMETERS = {"county", "year", "processed_dir", "output_dir", "standards"}
KERNEL = os.environ.get("EDU_KERNEL", "python3")


def _engine_ready() -> bool:
    try:
        module = importlib.import_module("analysis.indicators")
    except ImportError:
        return False
    return all(hasattr(module, name) for name in ("evaluate", "load_inputs", "indicator_label"))


@pytest.fixture(scope="session")
def notebook_data(request, tmp_path_factory) -> Path:
    """A processed folder for the notebooks: the cleaned sample (or the small city) plus
    core_published with real figures if it has none."""
    out = tmp_path_factory.mktemp("notebook_processed")
    if pipeline_available():
        shutil.copytree(request.getfixturevalue("sample_processed"), out, dirs_exist_ok=True)
    else:
        build_processed(out)
    if not table_path("core_published", out).exists() or read_table("core_published", out).empty:
        write_tables({"core_published": published_frame()}, out)
    return out


@pytest.fixture(scope="session")
def counties(notebook_data) -> list[str]:
    return sorted(read_table("core_schools", notebook_data, columns=["county"])["county"].unique())


@pytest.fixture(autouse=True)
def headless_backend(monkeypatch):
    """A headless shell often exports MPLBACKEND=Agg and the kernel inherits it: the charts
    must still reach the notebook as images (analysis.plotting.show embeds the PNG)."""
    monkeypatch.setenv("MPLBACKEND", "Agg")


def _run(name: str, county: str, data: Path, tmp: Path) -> nbformat.NotebookNode:
    import papermill as pm

    if name == "county_report" and not _engine_ready():
        pytest.skip("the indicator engine (analysis.indicators.evaluate) is not built yet")
    out = tmp / f"{name}.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK_DIR / f"{name}.ipynb"),
        str(out),
        parameters={
            "county": county,
            "year": 0,
            "processed_dir": str(data),
            "output_dir": str(tmp / "figures"),
            "standards": "national",
        },
        kernel_name=KERNEL,
        cwd=str(tmp),
        progress_bar=False,
        log_output=False,
        start_timeout=120,
        execution_timeout=300,
    )
    return nbformat.read(out, as_version=4)


def _outputs(nb: nbformat.NotebookNode, kind: str) -> list:
    return [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if kind in o.get("data", {}) or o.get("output_type") == kind
    ]


def _check(name: str, county: str, nb: nbformat.NotebookNode, tmp: Path) -> None:
    assert not _outputs(nb, "error")
    images = _outputs(nb, "image/png")
    assert images, f"{name} drew no chart"
    text = "\n".join(
        o["data"].get("text/markdown", "") + o["data"].get("text/plain", "")
        for o in _outputs(nb, "text/plain") + _outputs(nb, "text/markdown")
    )
    if name == "published_figures":
        assert "长治市" in text and "示例数据" not in text  # real figures, never labelled synthetic
    else:
        assert county in text
    if name not in ("published_figures", "explore"):  # explore is interactive: nothing to save
        saved = list((tmp / "figures").rglob("*.png"))
        assert saved, f"{name} saved no chart to output_dir"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_for_the_first_county(name, notebook_data, counties, tmp_path):
    nb = _run(name, counties[0], notebook_data, tmp_path)
    _check(name, counties[0], nb, tmp_path)


@pytest.fixture(scope="session")
def bundled_data(tmp_path_factory) -> Path:
    """The bundled sample as ``make data`` builds it (every county, 2018-2024) with the real
    published figures of ``data/raw/published``, generated and cleaned once."""
    from analysis.clean import clean
    from analysis.sample import generate_sample

    root = tmp_path_factory.mktemp("bundled")
    raw = root / "raw"
    generate_sample(raw / "sample")
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "raw" / "published", raw / "published")
    clean(raw, root / "processed")
    return root / "processed"


#: counties of the bundled sample (analysis.sample.generate_sample's default)
BUNDLED_COUNTIES = 12


@pytest.mark.slow
@pytest.mark.parametrize("index", range(BUNDLED_COUNTIES))
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_for_every_county(name, index, bundled_data, tmp_path):
    counties = sorted(read_table("core_schools", bundled_data, columns=["county"])["county"].unique())
    assert len(counties) == BUNDLED_COUNTIES, counties
    nb = _run(name, counties[index], bundled_data, tmp_path)
    _check(name, counties[index], nb, tmp_path)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_stripped_and_thin(name):
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    first = code[0]
    assert "parameters" in first.metadata.get("tags", [])
    names = set()
    for line in first.source.splitlines():
        stmt = line.split("#", 1)[0].strip()
        if not stmt:
            continue
        target, value = (s.strip() for s in stmt.split("=", 1))
        names.add(target)
        assert isinstance(eval(value, {}), str | int | float | bool | type(None)), line  # noqa: S307
    assert names == PARAMETERS
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    # thin: no function of the analyses is re-implemented in a notebook
    assert sum(len(c.source.splitlines()) for c in code) < 120


def test_relative_processed_dir_resolves_against_the_notebooks_folder(notebook_data, tmp_path):
    from analysis.config import NOTEBOOKS_DIR
    from analysis.studies import resolve_path

    rel = os.path.relpath(notebook_data, NOTEBOOKS_DIR)
    assert resolve_path(rel) == Path(notebook_data).resolve()
    assert resolve_path(str(notebook_data)) == Path(notebook_data)
    assert resolve_path("reports/x", base_dirs=[tmp_path]) == tmp_path / "reports" / "x"
