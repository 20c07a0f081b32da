"""Published pages open offline in a real browser: no request leaves, no error, every image shows.

Headless Chromium (the system ``/usr/bin/chromium``, driven by Playwright; never
``playwright install``) opens ``index.html`` and a county report through ``file://`` with
the network blocked. A long table is sorted and filtered, and the published explorer's
controls change its chart and table without a kernel. Skipped, saying why, only when
Chromium or Playwright is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest
from test_publish_support import CHART_CELLS, fake_processed, write_notebooks

from analysis.publish.export import ASSETS_DIR
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
    width = page.evaluate("getComputedStyle(document.body).maxWidth")
    page.close()
    return {"blocked": blocked, "failed": failed, "errors": errors, "images": images, "links": links,
            "lang": lang, "title": title, "max_width": width}


def test_index_opens_offline(browser_context, reports):
    seen = _open(browser_context, reports.as_uri())
    assert seen["blocked"] == [] and seen["failed"] == [] and seen["errors"] == []
    assert seen["lang"] == "zh-CN" and "2024" in seen["title"]
    reports_links = [h for h in seen["links"] if h.endswith(".html")]
    assert len(reports_links) == 2
    for href in reports_links:
        assert (reports.parent / unquote(href)).is_file()


def test_county_report_opens_offline_with_images(browser_context, reports):
    for folder in sorted(p for p in reports.parent.iterdir() if p.is_dir() and p.name != ASSETS_DIR):
        seen = _open(browser_context, (folder / "chart.html").as_uri())
        assert seen["blocked"] == [], seen["blocked"]
        assert seen["failed"] == [] and seen["errors"] == []
        assert seen["lang"] == "zh-CN"
        assert seen["images"], "the report has no image"
        assert all(complete and width > 0 for complete, width in seen["images"]), seen["images"]
        assert "../index.html" in seen["links"]
        assert seen["max_width"] == "1100px"  # the style sheet shared in ../_assets/ applies


# -- interactive pages: sortable, filterable tables and the kernel-free explorer ------------
#: a long table as the reports show them (report tables: Chinese headers, — for missing)
TABLE_CELLS = (
    "# 学校一览（示例数据（合成））",
    "import pandas as pd\nfrom analysis.presentation import show\n"
    "n = 30\n"
    "df = pd.DataFrame({'school_name': [f'{county}第{i + 1}小学' for i in range(n)],\n"
    "                   'area_type': ['rural' if i % 3 == 0 else 'urban' for i in range(n)],\n"
    "                   'students': [None if i == 7 else (i * 37) % 1000 + 5 for i in range(n)],\n"
    "                   'value': [round((i * 0.37) % 9, 2) for i in range(n)]})\n"
    "show(df)",
)


@pytest.fixture(scope="module")
def interactive_reports(tmp_path_factory, sample_processed):
    """The real explore notebook and a long-table notebook, published for the first county."""
    from analysis.config import NOTEBOOKS_DIR
    from analysis.tables import read_table

    root = tmp_path_factory.mktemp("interactive")
    nbs = write_notebooks(root / "notebooks", {"tables": TABLE_CELLS})
    shutil.copy(NOTEBOOKS_DIR / "explore.ipynb", nbs / "explore.ipynb")
    counties = sorted(read_table("core_schools", sample_processed, columns=["county"])["county"].unique())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLBACKEND", "Agg")
        result = publish(sample_processed, root / "reports", counties=counties[0], year=2024, notebooks_dir=nbs,
                         jobs=1, verdicts=False, echo=None)
    assert result.exit_code == 0, result.summary()
    folder = next(p for p in result.index_path.parent.iterdir() if p.is_dir() and p.name != ASSETS_DIR)
    return {"folder": folder, "counties": counties, "processed": sample_processed}


class _Guard:
    """An open page with every non-file request aborted and recorded, and its errors."""

    def __init__(self, context, url):
        self.page = context.new_page()
        self.blocked, self.errors = [], []

        def route(r):
            if r.request.url.startswith(("file://", "data:")):
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(url, wait_until="load")

    def close(self):
        self.page.wait_for_load_state("networkidle")
        self.page.close()
        assert self.blocked == [], f"requests to the network: {self.blocked}"
        assert self.errors == [], self.errors


def _column(table, n):
    """Text of the visible cells of column ``n`` (0 = the 序号 header cell of each row)."""
    return table.evaluate(
        "(t, n) => Array.from(t.tBodies[0].rows).filter(r => !r.classList.contains('edu-hidden'))"
        ".map(r => r.cells[n].textContent.trim())", n)


def _numbers(texts):
    return [None if t == "—" else float(t.replace(",", "")) for t in texts]


def test_long_table_sorts_and_filters_offline(browser_context, interactive_reports):
    guard = _Guard(browser_context, (interactive_reports["folder"] / "tables.html").as_uri())
    page = guard.page
    folded = page.locator("details.edu-table").first
    assert folded.count() == 1  # 30 rows: folded, every row there
    folded.locator("summary").click()
    table = page.locator("table.dataframe").first
    headers = table.locator("thead th").all_inner_texts()
    students_col = next(i for i, h in enumerate(headers) if h.startswith("学生数"))
    names_col = next(i for i, h in enumerate(headers) if h.startswith("学校名称"))
    original = _column(table, names_col)
    assert len(original) == 30
    students_header = table.locator("thead th", has_text="学生数")
    students_header.click()  # ascending, numerically, the missing value last
    values = _numbers(_column(table, students_col))
    assert values[-1] is None and values[:-1] == sorted(values[:-1])
    assert students_header.get_attribute("aria-sort") == "ascending"
    students_header.click()  # descending, the missing value still last
    values = _numbers(_column(table, students_col))
    assert values[-1] is None and values[:-1] == sorted(values[:-1], reverse=True)
    students_header.click()  # back to the original order
    assert _column(table, names_col) == original
    names_header = table.locator("thead th", has_text="学校名称")
    names_header.click()  # text: numbers inside names in numeric order (第2 before 第10)
    assert _column(table, names_col) == original
    names_header.click()
    assert _column(table, names_col) == original[::-1]

    tools = page.locator(".edu-table-tools").first
    assert tools.locator(".edu-table-count").inner_text() == "共 30 行"
    tools.locator("input").fill("乡村")
    rural = _column(table, names_col)
    assert len(rural) == 10 and tools.locator(".edu-table-count").inner_text() == "显示 10 / 30 行"
    assert all(area == "乡村" for area in _column(table, names_col + 1))
    tools.locator("select").select_option(label=headers[students_col])
    tools.locator("input").fill(">500")
    big = _numbers(_column(table, students_col))
    assert big and all(v > 500 for v in big)
    assert len(big) == sum(1 for i in range(30) if i != 7 and (i * 37) % 1000 + 5 > 500)
    tools.locator("input").fill("")
    assert len(_column(table, names_col)) == 30
    guard.close()


def _explorer_state(page):
    out = page.locator(".edu-explorer .edu-explorer-output")
    return {
        "svg": out.locator("svg").first.evaluate("e => e.outerHTML") if out.locator("svg").count() else "",
        "rows": out.locator("table tbody tr").evaluate_all("rs => rs.map(r => Array.from(r.cells).map(c => c.textContent))"),
        "text": out.inner_text(),
    }


def _expected(processed, county, year, indicator, section="primary", area="all", name=""):
    from analysis.studies import gaps, resource_standards
    from analysis.tables import read_table

    values = gaps.school_resource_values(read_table("core_school_sections", processed))
    view = gaps.school_view(values, county=county, year=year, indicator=indicator, section=section, area=area,
                            name_contains=name, standard=resource_standards(section)[indicator])
    return [(str(r.school_name), None if pd.isna(r.value) else round(float(r.value), 2))
            for r in view.itertuples()]


def _shown(rows):
    return [(r[2], None if r[5] == "—" else float(r[5])) for r in rows]


def test_explorer_controls_work_without_a_kernel(browser_context, interactive_reports):
    processed, counties = interactive_reports["processed"], interactive_reports["counties"]
    guard = _Guard(browser_context, (interactive_reports["folder"] / "explore.html").as_uri())
    page = guard.page
    page.wait_for_selector(".edu-explorer .edu-explorer-output table")
    assert "交互控件：请在 JupyterLab 中打开" not in page.content()  # the explorer replaces the note
    first = _explorer_state(page)
    assert _shown(first["rows"]) == _expected(processed, counties[0], 2024, "L1")
    assert "示例数据（合成）" in first["svg"]  # the chart says the data are synthetic

    page.select_option(".edu-explorer select[name=indicator]", "L4")
    l4 = _explorer_state(page)
    assert l4["svg"] != first["svg"] and l4["rows"] != first["rows"]
    assert _shown(l4["rows"]) == _expected(processed, counties[0], 2024, "L4")
    assert "生均教学及辅助用房面积" in l4["svg"]

    # the page carries its own county's data only (each county's page its own)
    assert page.locator(".edu-explorer select[name=county] option").all_inner_texts() == [counties[0]]
    assert f"离线页面只包含{counties[0]}的数据" in page.content()
    years = page.locator(".edu-explorer select[name=year] option").all_inner_texts()
    assert years == ["2022", "2023", "2024"]
    page.select_option(".edu-explorer select[name=year]", "2022")
    page.select_option(".edu-explorer select[name=section]", "junior")
    assert _shown(_explorer_state(page)["rows"]) == _expected(processed, counties[0], 2022, "L4", "junior")

    page.select_option(".edu-explorer select[name=section]", "primary")
    page.fill(".edu-explorer input[name=school]", "第一")
    named = _explorer_state(page)
    assert named["rows"] and all("第一" in r[2] for r in named["rows"])
    assert _shown(named["rows"]) == _expected(processed, counties[0], 2022, "L4", name="第一")
    page.fill(".edu-explorer input[name=school]", "没有这所学校")
    assert "没有符合条件的学校" in _explorer_state(page)["text"]
    guard.close()
