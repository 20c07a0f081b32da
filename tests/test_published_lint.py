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
        "<table><thead><tr><th>index</th><th>年份</th><th>人数</th></tr></thead>"
        "<tbody><tr><td>0</td><td>2,024</td><td>3,710.000</td></tr><tr><td>1</td><td>nan</td><td>...</td></tr>"
        "</tbody></table><p>56 rows × 23 columns</p><script>var analysis_params = 1;</script></body></html>",
        encoding="utf-8")
    found = "\n".join(lint_page(page, tmp_path))
    for what in ("does not add up", "year with a separator: 2,025年", "analysis_params", "'index'",
                 "year with a separator: 2,024", "trailing .000", "cell 'nan'", "cell '...'", "pandas footer",
                 "without its workbook"):
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
