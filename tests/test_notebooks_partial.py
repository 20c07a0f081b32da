"""Every notebook runs to the end on partial data and says what is missing.

The matrix of :mod:`partial_data` (a county with only a school table, no roster, no
enrolment by grade, no classes, one area type, zero students, one school, no junior
schools, only county figures) is built in code; each case runs every notebook on one warm
kernel (:class:`analysis.publish.kernel.WarmKernel`, as ``publish`` does), so the whole
matrix takes about a minute. A run passes when no cell has an error output, nothing is
written to stderr as a traceback, every section heading is followed by some output (a
chart, a table or a sentence), and the case's "missing" sentences appear.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from partial_data import CASES, EXPECTED, PARTIAL_COUNTY, write_case

from analysis.missing import missing_inputs

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = ("county_report", "urban_rural_gaps", "teacher_structure", "enrolment_trends",
             "published_figures", "explore")
KERNEL = os.environ.get("EDU_KERNEL", "python3")
#: the shape of every "missing" sentence (analysis.missing.Missing.sentence)
SENTENCE = re.compile(r"(缺少[^，。]+（[^）]+）.*|[该本]县（区）[^，。]+)，无法[^。]+。")


@pytest.fixture(scope="module")
def kernel():
    from analysis.publish.kernel import WarmKernel, WorkerOptions

    warm = WarmKernel(WorkerOptions(kernel_name=KERNEL, cell_timeout=300))
    yield warm
    warm.close()


@pytest.fixture(autouse=True)
def headless_backend(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


def _texts(cell) -> list[str]:
    out = []
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        out.append(data.get("text/markdown", "") + data.get("text/plain", "") + data.get("text/html", ""))
        if o.get("output_type") == "stream":
            out.append(o.get("text", ""))
    return out


def _check_sections(name: str, nb) -> None:
    """Every heading (markdown cell) is followed by some output before the next heading."""
    heading, produced = None, True
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if heading is not None and not produced:
                pytest.fail(f"{name}: section {heading!r} shows nothing")
            heading, produced = cell.source.splitlines()[0], False
        elif cell.get("outputs"):
            produced = True
    if heading is not None and not produced and name != "explore":
        pytest.fail(f"{name}: section {heading!r} shows nothing")


@pytest.mark.parametrize("case", CASES)
def test_every_notebook_runs_on_partial_data(case, kernel, tmp_path):
    from papermill.exceptions import PapermillExecutionError

    data = write_case(case, tmp_path / "processed")
    shown: list[str] = []
    for name in NOTEBOOKS:
        out = tmp_path / f"{name}.ipynb"
        try:
            kernel.run_notebook(NOTEBOOK_DIR / f"{name}.ipynb", out, {
                "county": "", "year": 0, "processed_dir": str(data), "output_dir": str(tmp_path / "figures"),
                "standards": "national"}, tmp_path)
        except PapermillExecutionError as exc:
            pytest.fail(f"{case}: {name} failed: {exc.ename}: {exc.evalue} (cell {exc.exec_count})")
        nb = nbformat.read(out, as_version=4)
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{case}: {name}: {errors[0]['ename']}"
        texts = [t for c in nb.cells if c.cell_type == "code" for t in _texts(c)]
        assert not any("Traceback" in t for t in texts), f"{case}: {name} printed a traceback"
        if name != "published_figures":
            assert any(PARTIAL_COUNTY in t for t in texts), f"{case}: {name} does not name the county"
        _check_sections(name, nb)
        shown += texts
    text = "\n".join(shown)
    for fragment in EXPECTED[case]:
        assert fragment in text, f"{case}: no notebook says {fragment!r}"
    for sentence in re.findall(r"[^>\n]*无法[^<\n]*", text):  # every "missing" sentence has the one shape
        assert SENTENCE.search(sentence), sentence


def test_missing_inputs_name_real_table_kinds():
    from analysis.clean.header import load_synonyms

    kinds = load_synonyms().kinds
    for key, entry in missing_inputs().items():
        assert entry["kind"] in kinds, key
        assert entry["what"] and entry["supplied_by"].endswith("表"), key
