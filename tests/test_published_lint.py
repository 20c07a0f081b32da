"""What is published passes the lint of :mod:`analysis.publish.lint`.

One county of the test sample is published with every county report and the city report,
and every page and workbook is read the way the lint reads them: no year with a separator,
no pandas leftovers, no internal key in Chinese text, every N/M（P%） adds up, every report
has its workbook, no number stored as text. The lint itself is checked on crafted pages.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.publish.lint import lint_folder, lint_page, lint_workbook
from analysis.publish.runner import counties_of_year, latest_year, publish

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_the_lint_finds_what_a_reader_must_not_see(tmp_path):
    page = tmp_path / "r.html"
    page.write_text(
        "<html><body><p>东岭县G3：达标21/29（91.3%）；完成于2,025年；见 analysis_params</p>"
        "<p>参数见 <code>analysis/data/plan_costs.yaml</code></p><p>最低费用方案多需-2,974.35万元</p>"
        "<table><thead><tr><th>index</th><th>年份</th><th>人数</th></tr></thead>"
        "<tbody><tr><td>0</td><td>2,024</td><td>3,710.000</td></tr><tr><td>1</td><td>nan</td><td>...</td></tr>"
        "</tbody></table><p>56 rows × 23 columns</p><script>var analysis_params = 1;</script></body></html>",
        encoding="utf-8")
    found = "\n".join(lint_page(page, tmp_path))
    for what in ("does not add up", "year with a separator: 2,025年", "analysis_params", "'index'",
                 "year with a separator: 2,024", "trailing .000", "cell 'nan'", "cell '...'", "pandas footer",
                 "without its workbook", "file of the package in visible text: analysis/data/plan_costs.yaml",
                 "negative amount after a word of direction: 多需-2,974.35"):
        assert what in found, what
    assert found.count("analysis_params") == 1  # scripts are not visible text
    book = tmp_path / "r.xlsx"
    with pd.ExcelWriter(book) as w:
        pd.DataFrame({"学校标识码": ["2010000005"], "差异系数": ["0.519"], "人数": [12]}).to_excel(w, index=False)
    found = lint_workbook(book, tmp_path)
    assert len(found) == 1 and "number stored as text: '0.519'" in found[0]


def test_a_published_county_and_its_city_pass_the_lint(sample_processed, tmp_path):
    year = latest_year(sample_processed)
    county = counties_of_year(sample_processed, year)[0]
    result = publish(sample_processed, tmp_path / "reports", counties=county, notebooks_dir=NOTEBOOKS,
                     scope=("county", "city"), echo=None)
    assert not result.failed, result.summary()
    problems = lint_folder(tmp_path / "reports")
    assert problems == [], "\n".join(problems[:40]) + f"\n… {len(problems)} problems"
    pages = list((tmp_path / "reports").rglob("*.html"))
    assert len(pages) >= 8  # the index, the county reports and the city report
    # every report has its workbook; published real figures are never labelled synthetic,
    # the sample's county reports always are
    from openpyxl import load_workbook

    books = {p.stem: p for p in (tmp_path / "reports").rglob("*.xlsx")}
    assert {"county_report", "urban_rural_gaps", "teacher_structure", "enrolment_trends",
            "rectification_plan", "city_report"} <= set(books)

    def about(name):
        ws = load_workbook(books[name], read_only=True)["说明"]
        return " ".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)

    assert "示例数据（合成）" in about("county_report") and "示例数据（合成）" in about("city_report")
    if "published_figures" in books:
        assert "合成" not in about("published_figures")


def test_real_published_figures_keep_their_source_and_are_not_labelled_synthetic(tmp_path):
    """A report of real published figures declares its source; the workbook says it, and no
    synthetic label even when the run's default source line is the sample's."""
    from openpyxl import load_workbook

    from analysis.presentation import record
    from analysis.presentation.report_table import table
    from analysis.publish import downloads

    record.start(tmp_path / "rec", install=False)
    record.declare_source("长治市人民政府教育督导室，2021年自评报告", synthetic=False)
    record.record_table(table(pd.DataFrame({"year": [2018, 2021], "value": [42971.0, 52656.0], "unit": ["人", "人"]})))
    record.finish()
    files, _ = downloads.build(tmp_path / "rec", None, "published_figures",
                               {"title": "公开发布的数据", "year": 2024, "source": "示例数据（合成）"})
    path = tmp_path / "p.xlsx"
    path.write_bytes(files["published_figures.xlsx"])
    wb = load_workbook(path)
    text = " ".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    assert "长治市人民政府教育督导室" in text and "合成" not in text
    rows = list(wb.worksheets[1].iter_rows(values_only=True))
    assert rows[4] == (2018, 42971, "人") and wb.worksheets[1]["B5"].number_format == "#,##0"
