"""JupyterLab for real: the explorer runs in Lab and its county control changes the chart and table.

JupyterLab starts from this environment (:func:`analysis.lab.start_lab`: 127.0.0.1, a
free port, a token, a temporary runtime folder, the user's settings kept out) on a folder
holding ``notebooks/explore.ipynb`` with its ``processed_dir`` parameter pointing at the
small test sample. Headless Chromium opens the notebook, runs every cell, picks another
county in the widget and checks that the chart and the table now show that county. The
page may talk to this server only; any other request is aborted and fails the test. The
server (and so its kernel) is stopped at the end. Skipped without Chromium or Playwright.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from analysis.config import NOTEBOOKS_DIR
from analysis.lab import HOST, lab_args, start_lab, welcome

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"


def test_lab_options_keep_it_local_and_offline():
    args = lab_args(port=9999, token="abc", root=Path("/r"))
    assert "--ServerApp.ip=127.0.0.1" in args and "--IdentityProvider.token=abc" in args
    assert "--LabApp.news_url=None" in args and "--ServerApp.port_retries=0" in args


@pytest.fixture(scope="module")
def lab(tmp_path_factory, sample_processed):
    chromium = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not chromium:
        pytest.skip(f"Chromium is not installed ({CHROMIUM})")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    root = tmp_path_factory.mktemp("lab")
    (root / "notebooks").mkdir()
    nb = nbformat.read(NOTEBOOKS_DIR / "explore.ipynb", as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    lines = [f"processed_dir = {str(sample_processed)!r}" if line.startswith("processed_dir =")
             else 'output_dir = ""' if line.startswith("output_dir =") else line
             for line in params.source.splitlines()]
    params.source = "\n".join(lines)
    nbformat.write(nb, root / "notebooks" / "explore.ipynb")
    server = start_lab(root, runtime_dir=tmp_path_factory.mktemp("lab-runtime"), isolated=True, expose_app=True,
                       timeout=60)
    try:
        with playwright_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            try:
                yield server, browser
            finally:
                browser.close()
    finally:
        server.stop()
        assert server.process.poll() is not None, "JupyterLab is still running"


def _output_state(page):
    """The interactive output area: its chart image and its table text."""
    return page.evaluate(
        """() => {
          const outs = Array.from(document.querySelectorAll('.jp-Notebook .widget-output'));
          const out = outs[outs.length - 1];
          if (!out) return null;
          const img = out.querySelector('img');
          const table = out.querySelector('table');
          return {img: img ? img.getAttribute('src') : null, table: table ? table.textContent : null};
        }"""
    )


def test_explorer_runs_in_jupyterlab_and_the_county_control_works(lab, sample_processed):
    import pandas as pd

    server, browser = lab
    counties = sorted(pd.read_parquet(sample_processed / "core_schools.parquet", columns=["county"])["county"].unique())
    assert len(counties) >= 2
    start = time.monotonic()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    foreign, errors = [], []

    def route(r):
        url = r.request.url
        if url.startswith((server.base_url, f"ws://{HOST}:{server.port}", "data:", "blob:")):
            r.continue_()
        else:
            foreign.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url("notebooks/explore.ipynb"), wait_until="domcontentloaded")
    # the notebook is open and its kernel (this environment's Python) is idle
    page.wait_for_function(
        """() => {
          const app = window.jupyterapp; const w = app && app.shell.currentWidget;
          const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
          return !!(k && k.status === 'idle' && w.content && w.content.widgets.length > 3);
        }""", timeout=60_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => { const o = Array.from(document.querySelectorAll('.jp-Notebook .widget-output'));
                   const last = o[o.length - 1];
                   return !!(last && last.querySelector('img') && last.querySelector('table')); }""",
        timeout=90_000)
    errors_in_cells = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [t for t in errors_in_cells.all_inner_texts() if "Traceback" in t or "Error" in t]
    assert tracebacks == [], tracebacks
    before = _output_state(page)
    assert counties[0] in before["table"] and counties[1] not in before["table"]

    county = page.locator(".jp-Notebook .widget-dropdown", has_text="县（区）").last.locator("select")
    county.select_option(label=counties[1])
    page.wait_for_function(
        """(old) => { const o = Array.from(document.querySelectorAll('.jp-Notebook .widget-output'));
                      const last = o[o.length - 1]; const img = last && last.querySelector('img');
                      const t = last && last.querySelector('table');
                      return !!(img && t && img.getAttribute('src') !== old.img && t.textContent !== old.table); }""",
        arg=before, timeout=60_000)
    after = _output_state(page)
    assert after["img"] != before["img"] and after["img"].startswith("data:image/png")
    assert counties[1] in after["table"] and counties[0] not in after["table"]
    # the year choices follow the county
    years = page.locator(".jp-Notebook .widget-dropdown", has_text="年份").last.locator("option").all_inner_texts()
    assert years and all(y.isdigit() for y in years)
    page.close()
    assert foreign == [], f"the page asked the network: {foreign}"
    assert not [e for e in errors if "ResizeObserver" not in e], errors
    assert time.monotonic() - start < 150


def test_make_lab_says_where_to_go(lab):
    server, _ = lab
    text = welcome(server)
    assert server.url() in text and server.url("notebooks/explore.ipynb") in text
    assert "notebooks/county_report.ipynb" in text and "Ctrl+C" in text
    assert json.dumps(server.token) and server.token in text
