"""``publish --pdf``: A4 PDFs beside the HTML where Chromium is installed, a clear skip where not."""

from __future__ import annotations

import argparse
import re

import pytest
from test_publish_support import fake_processed, write_notebooks

from analysis.publish.pdf import find_chromium, report_pages, write_pdfs
from analysis.publish.runner import publish

#: a report page with a heading, a chart and a long (collapsed) table
LONG_TABLE_CELLS = (
    "# 打印测试（示例数据（合成））",
    "import matplotlib.pyplot as plt\nimport pandas as pd\nfrom analysis.presentation import show\n"
    "show(f'## {county} {year}')\nfig, ax = plt.subplots(figsize=(3, 2))\nax.bar(['a', 'b'], [1, 2])\n"
    "show(fig)\nshow(pd.DataFrame({'students': [1105.0 + i for i in range(60)]}))",
)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("pdf")
    nbs = write_notebooks(root / "notebooks", {"print": LONG_TABLE_CELLS})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLBACKEND", "Agg")
        result = publish(fake_processed(root / "processed"), root / "reports", counties="城东区", year=2024,
                         notebooks_dir=nbs, jobs=1, verdicts=False, echo=None)
    assert result.exit_code == 0, result.summary()
    return result


def test_collapsed_table_and_print_stylesheet_are_in_the_page(published):
    html = (published.out_dir / "2024" / "城东区" / "print.html").read_text(encoding="utf-8")
    assert '<details class="edu-table"><summary>共 60 行（点击展开）</summary>' in html
    assert ">1,105<" in html and ">1105.0<" not in html  # shown with a separator (the sort key is a plain number)
    # the print stylesheet is in the style sheet every page of the year links
    assert 'href="../_assets/report.css"' in html
    css = (published.out_dir / "2024" / "_assets" / "report.css").read_text(encoding="utf-8")
    assert "@media print" in css and "size: A4" in css


def test_without_chromium_pdf_is_skipped_with_a_reason(published, monkeypatch):
    monkeypatch.setenv("EDU_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_chromium() is None
    pages = report_pages(published.out_dir / "2024")
    assert [p.name for p in pages] == ["print.html"]
    out = write_pdfs(pages, force=True)
    assert out.written == [] and "Chromium is not installed" in out.summary()
    assert not pages[0].with_suffix(".pdf").exists()


def test_cli_pdf_flag_prints_after_publishing(published, monkeypatch, capsys):
    from analysis.publish import cli

    seen = {}
    monkeypatch.setattr("analysis.publish.runner.publish", lambda *a, **k: published)
    monkeypatch.setattr("analysis.publish.pdf.write_pdfs",
                        lambda pages, force=False: seen.update(pages=pages) or __import__(
                            "analysis.publish.pdf", fromlist=["PdfResult"]).PdfResult(skipped_reason="test"))
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["publish", "--pdf", "--no-progress"])
    assert args.func(args) == 0
    assert [p.name for p in seen["pages"]] == ["print.html"]
    assert "pdf: skipped — test" in capsys.readouterr().out


@pytest.mark.browser
def test_pdf_is_written_beside_the_html(published):
    if find_chromium() is None:
        pytest.skip("Chromium is not installed (make browser)")
    pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    pages = report_pages(published.out_dir / "2024")
    out = write_pdfs(pages, force=True)
    assert not out.failed and out.skipped_reason is None, out.summary()
    pdf = pages[0].with_suffix(".pdf")
    assert out.written == [pdf]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", data)
    assert boxes and all(abs(float(w) - 595.9) < 2 and abs(float(h) - 842.9) < 2 for w, h in boxes)
    again = write_pdfs(pages)  # unchanged HTML: the PDF is kept
    assert again.kept == [pdf] and again.written == []
