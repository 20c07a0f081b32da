"""``publish --pdf``: print the published HTML reports to A4 PDFs with headless Chromium.

Each county report page ``reports/<year>/<county>/<notebook>.html`` gets a
``<notebook>.pdf`` beside it, printed with the page's own print stylesheet
(``analysis/templates/report_print.css.j2``: A4, collapsed tables printed in full). The
pages are opened through ``file://`` with the network blocked. Chromium is the system one
(``$EDU_CHROMIUM``, else ``chromium`` / ``chromium-browser`` / ``google-chrome`` on the
PATH; ``make browser`` or ``scripts/ensure-chromium.sh`` installs it), driven by
Playwright; where either is missing nothing is printed and the reason is returned.
A PDF newer than its HTML is kept (``force`` prints it again).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from analysis.config import atomic_write

__all__ = ["PdfResult", "find_chromium", "report_pages", "write_pdfs"]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: printed at the foot of every page: page number / pages
FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#555;">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


@dataclass
class PdfResult:
    """What :func:`write_pdfs` did: PDFs written, kept (up to date), failed, or why none."""

    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    skipped_reason: str | None = None

    def summary(self) -> str:
        if self.skipped_reason:
            return f"pdf: skipped — {self.skipped_reason}"
        lines = [f"pdf: {len(self.written)} written, {len(self.kept)} up to date, {len(self.failed)} failed"]
        lines += [f"  FAILED {p}: {why}" for p, why in self.failed]
        return "\n".join(lines)


def find_chromium() -> str | None:
    """Path of a Chromium to print with (``$EDU_CHROMIUM`` first), or None."""
    env = os.environ.get("EDU_CHROMIUM")
    if env:
        return env if Path(env).exists() else shutil.which(env)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def report_pages(year_dir: str | os.PathLike) -> list[Path]:
    """The county report pages under ``reports/<year>`` (not the index)."""
    return sorted(p for p in Path(year_dir).glob("*/*.html") if p.is_file())


def write_pdfs(pages: Iterable[str | os.PathLike], *, force: bool = False, chromium: str | None = None,
               timeout_s: float = 120.0) -> PdfResult:
    """Print every page to ``<page>.pdf`` beside it; see the module docstring."""
    pages = [Path(p) for p in pages]
    result = PdfResult()
    todo = []
    for page in pages:
        pdf = page.with_suffix(".pdf")
        if not force and pdf.exists() and pdf.stat().st_mtime >= page.stat().st_mtime:
            result.kept.append(pdf)
        else:
            todo.append(page)
    if not todo:
        return result
    exe = chromium or find_chromium()
    if exe is None:
        result.skipped_reason = ("Chromium is not installed (run `make browser` or scripts/ensure-chromium.sh, "
                                 "or set EDU_CHROMIUM); the HTML reports are written, no PDF")
        return result
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        result.skipped_reason = "Playwright for Python is not installed (pip install playwright); no PDF"
        return result
    with tempfile.TemporaryDirectory(prefix="edu-pdf-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=exe, headless=True, args=CHROMIUM_ARGS, offline=True)
        try:
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                          else route.abort())
            page = context.new_page()
            page.set_default_timeout(timeout_s * 1000)
            for html in todo:
                pdf = html.with_suffix(".pdf")
                try:
                    page.goto(html.resolve().as_uri(), wait_until="load")
                    page.emulate_media(media="print")
                    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                    data = page.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                             display_header_footer=True, header_template="<div></div>", footer_template=FOOTER)
                    atomic_write(pdf, data)
                    result.written.append(pdf)
                except Exception as exc:  # noqa: BLE001 - one page's failure must not stop the others
                    result.failed.append((html, f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"))
        finally:
            context.close()
    return result
