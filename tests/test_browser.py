"""Published pages open offline in a real browser: no request leaves, no error, every image shows.

Headless Chromium (the system ``/usr/bin/chromium``, driven by Playwright; never
``playwright install``) opens ``index.html`` and a county report through ``file://`` with
the network blocked. Skipped, saying why, only when Chromium or Playwright is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest
from test_publish_support import CHART_CELLS, fake_processed, write_notebooks

from analysis.publish.runner import publish

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"Chromium is not installed ({CHROMIUM})")
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright for Python is not installed (pip install playwright)"
    )
    profile = tmp_path_factory.mktemp("chromium-profile")  # empty --user-data-dir
    with playwright_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            headless=True, args=CHROMIUM_ARGS, offline=True,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    nbs = write_notebooks(root / "notebooks", {"chart": CHART_CELLS})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLBACKEND", "Agg")  # as a headless shell may export: charts must still show
        result = publish(fake_processed(root / "processed"), root / "reports", counties="城东区,<script>x</script>",
                         year=2024, notebooks_dir=nbs, jobs=1, verdicts=False, echo=None)
    assert result.exit_code == 0, result.summary()
    return result.index_path


def _open(context, url):
    """Load ``url`` with every non-file request blocked; return what went wrong and the images."""
    page = context.new_page()
    blocked, failed, errors = [], [], []

    def route(r):
        if r.request.url.startswith(("file://", "data:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda req: failed.append(f"{req.url} {req.failure}"))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    lang = page.evaluate("document.documentElement.lang")
    title = page.title()
    page.close()
    return {"blocked": blocked, "failed": failed, "errors": errors, "images": images, "links": links,
            "lang": lang, "title": title}


def test_index_opens_offline(browser_context, reports):
    seen = _open(browser_context, reports.as_uri())
    assert seen["blocked"] == [] and seen["failed"] == [] and seen["errors"] == []
    assert seen["lang"] == "zh-CN" and "2024" in seen["title"]
    reports_links = [h for h in seen["links"] if h.endswith(".html")]
    assert len(reports_links) == 2
    for href in reports_links:
        assert (reports.parent / unquote(href)).is_file()


def test_county_report_opens_offline_with_images(browser_context, reports):
    for folder in sorted(p for p in reports.parent.iterdir() if p.is_dir()):
        seen = _open(browser_context, (folder / "chart.html").as_uri())
        assert seen["blocked"] == [], seen["blocked"]
        assert seen["failed"] == [] and seen["errors"] == []
        assert seen["lang"] == "zh-CN"
        assert seen["images"], "the report has no image"
        assert all(complete and width > 0 for complete, width in seen["images"]), seen["images"]
        assert "../index.html" in seen["links"]
