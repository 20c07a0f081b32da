"""Export executed notebooks as HTML that opens on a machine without internet.

nbconvert's ``lab`` template loads require.js, MathJax, mermaid and the ipywidgets embed
manager from CDNs. :class:`OfflineHTMLExporter` uses ``analysis/templates/
offline_report.html.j2``, which extends ``lab`` and empties those blocks; code cells are
hidden (input and prompts excluded), images are embedded as base64 and the page is
``<html lang="zh-CN">``. Before export, :func:`prepare_outputs` sanitises every HTML or
Markdown output (names from data may contain markup) and drops JavaScript outputs; the
explorer's data output (:mod:`analysis.explorer`) becomes its kernel-free markup. The
template inlines ``edu_interactive.css``/``.js`` (:data:`REPORT_ASSETS`): sortable,
filterable tables and the offline explorer.
:func:`external_references` lists anything a page would still fetch, for checks.

Examples
--------
>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", outputs=[
...     nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)])])
>>> html = notebook_to_html(nb, meta={"title": "示例", "county": "城东区", "year": 2024})
>>> '<html lang="zh-CN">' in html, "1 + 1" in html, external_references(html)
(True, False, [])
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbconvert import HTMLExporter

from analysis.publish.safety import sanitize_html

#: folder of the report and index templates (package data ``templates/*``)
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
REPORT_TEMPLATE = "offline_report.html.j2"
#: files the report template inlines (part of what a report is built from)
REPORT_ASSETS = ("edu_interactive.css", "edu_interactive.js")
#: ``lang`` of every page; nbconvert itself only accepts two-letter codes
HTML_LANG = "zh-CN"

_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
#: shown instead of an interactive widget (widgets need a live kernel or a CDN script)
WIDGET_NOTE = '<p class="edu-widget-note">（交互控件：请在 JupyterLab 中打开 notebook 使用）</p>'
_DROPPED_MIMES = ("application/javascript", "text/javascript", "application/vnd.jupyter.widget-state+json")

_REMOTE_URL = r"""(?:https?:)?//[^"'\s>)]+"""
_EXTERNAL_PATTERNS = (
    re.compile(
        r"<(?:script|img|iframe|embed|source|video|audio|track|input|object)\b[^>]*?\s(?:src|data)\s*=\s*[\"']?("
        + _REMOTE_URL
        + ")",
        re.IGNORECASE,
    ),
    re.compile(r"<link\b[^>]*?\shref\s*=\s*[\"']?(" + _REMOTE_URL + ")", re.IGNORECASE),
    re.compile(r"url\(\s*[\"']?(" + _REMOTE_URL + ")", re.IGNORECASE),
    re.compile(r"@import\s+[\"']?(" + _REMOTE_URL + ")", re.IGNORECASE),
    re.compile(r"""\bimport\(\s*["'](""" + _REMOTE_URL + ")", re.IGNORECASE),
)


class OfflineHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter with the offline report template and ``lang="zh-CN"``.

    Defaults: template ``lab`` extended by ``offline_report.html.j2``, inputs and prompts
    excluded, images embedded. Keyword arguments override any of these traits.
    """

    def __init__(self, **kwargs: Any) -> None:
        defaults = {
            "template_name": "lab",
            "template_file": REPORT_TEMPLATE,
            "extra_template_paths": [str(TEMPLATES_DIR)],
            "exclude_input": True,
            "exclude_input_prompt": True,
            "exclude_output_prompt": True,
            "embed_images": True,
        }
        super().__init__(**{**defaults, **kwargs})

    def _init_resources(self, resources: dict) -> dict:
        resources = super()._init_resources(resources)
        resources["language_code"] = HTML_LANG  # the trait rejects region subtags
        return resources

    def from_notebook_node(self, nb: Any, resources: dict | None = None, **kw: Any) -> tuple[str, dict]:
        """As nbconvert's HTML exporter, without its BeautifulSoup pass over the page.

        nbconvert parses and re-serialises every finished page with BeautifulSoup only to
        give images without ``alt`` a placeholder text and output areas ``tabindex="0"``:
        half the export time of a report with many tables. :func:`_accessible` does the
        same on the template's own markup.
        """
        try:
            from nbconvert.exporters.templateexporter import TemplateExporter
            from nbconvert.filters.highlight import Highlight2HTML
            from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
        except ImportError:  # pragma: no cover - another nbconvert layout: its own way
            return super().from_notebook_node(nb, resources, **kw)
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code", self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _accessible(html), resources


#: ``alt`` of chart images (the chart's title and source are drawn in the image)
IMAGE_ALT = "图表（标题和数据来源见图中）"
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt\s*=)", re.IGNORECASE)
_OUTPUT_DIV = re.compile(r'<div ((?:id="[^"]*" )?class="[^"]*\bjp-OutputArea-output\b[^"]*")(?![^>]*tabindex)')


_CHAR_REF = re.compile(r"&#(?:(\d{3,7})|[xX]([0-9a-fA-F]{2,6}));")


def _char(match: re.Match) -> str:
    code = int(match.group(1)) if match.group(1) else int(match.group(2), 16)
    if code < 0xA0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return match.group(0)  # markup characters, controls, invalid: as they were
    return chr(code)


def _accessible(html: str) -> str:
    """Images get an ``alt`` text, output areas are focusable (``tabindex="0"``), and
    Chinese written as character references (the Markdown renderer's ``&#22478;``) is
    written as text, as nbconvert's BeautifulSoup pass would leave it.

    >>> _accessible('<div class="jp-RenderedImage jp-OutputArea-output "><img src="x.png"></div>')
    '<div class="jp-RenderedImage jp-OutputArea-output " tabindex="0"><img alt="图表（标题和数据来源见图中）" src="x.png"></div>'
    >>> _accessible('<img alt="a" src="x"><h2>&lt;b&gt; &#22478;&#x4E1C;&#182;&#60;</h2>')
    '<img alt="a" src="x"><h2>&lt;b&gt; 城东¶&#60;</h2>'
    """
    html = _IMG_WITHOUT_ALT.sub(f'<img alt="{IMAGE_ALT}"', html)
    html = _OUTPUT_DIV.sub(r'<div \1 tabindex="0"', html)
    return _CHAR_REF.sub(_char, html)


@functools.cache
def _default_exporter() -> OfflineHTMLExporter:
    return OfflineHTMLExporter()


def _markdown_to_html(text: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(text)


def prepare_outputs(nb: Any, *, keep_stderr: bool = False) -> Any:
    """A copy of ``nb`` whose outputs are safe to publish.

    HTML outputs are sanitised (:func:`~analysis.publish.safety.sanitize_html`);
    Markdown outputs are rendered to HTML and sanitised; JavaScript outputs and the
    notebook's widget state are dropped, widget views become a short note (none in a cell
    that also shows an offline explorer, which replaces them); an explorer data output
    (:data:`analysis.explorer.EXPLORER_MIME`) becomes :func:`analysis.explorer.explorer_html`;
    ``stderr`` streams (warnings) are dropped unless ``keep_stderr``. The executed
    notebook itself keeps everything.

    Examples
    --------
    >>> import nbformat
    >>> out = nbformat.v4.new_output("display_data", {"text/markdown": "## <script>x</script>"})
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=[out])])
    >>> html = prepare_outputs(nb).cells[0].outputs[0].data["text/html"]
    >>> html.startswith('<h2 id="x">&lt;script&gt;x&lt;/script&gt;'), "<script" in html
    (True, False)
    """
    from analysis.explorer import EXPLORER_MIME, explorer_html

    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        has_explorer = any(EXPLORER_MIME in (o.get("data") or {}) for o in cell.get("outputs", []))
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr" and not keep_stderr:
                continue
            data = output.get("data")
            if data is not None:
                for mime in _DROPPED_MIMES:
                    data.pop(mime, None)
                if EXPLORER_MIME in data:
                    markup = explorer_html(data[EXPLORER_MIME])  # trusted markup, data as escaped JSON
                    data.clear()
                    data["text/html"] = markup
                    kept.append(output)
                    continue
                if _WIDGET_MIME in data:
                    if has_explorer:
                        continue
                    data.clear()
                    data["text/html"] = WIDGET_NOTE
                if "text/markdown" in data:
                    data["text/html"] = _markdown_to_html(_text(data.pop("text/markdown")))
                if "text/html" in data:
                    data["text/html"] = sanitize_html(_text(data["text/html"]))
                if not data:
                    continue
            kept.append(output)
        cell["outputs"] = kept
    return nb


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def notebook_title(nb: Any, default: str = "") -> str:
    """The text of the notebook's first Markdown heading, or ``default``.

    >>> import nbformat
    >>> notebook_title(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 县域报告\\n正文")]))
    '县域报告'
    """
    for cell in nb.cells:
        if cell.get("cell_type") != "markdown":
            continue
        for line in _text(cell.get("source", "")).splitlines():
            match = re.match(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$", line)
            if match:
                return re.sub(r"[*_`]", "", match.group(1)).strip()
    return default


def notebook_to_html(
    nb: Any,
    *,
    meta: Mapping[str, Any] | None = None,
    exporter: HTMLExporter | None = None,
    keep_stderr: bool = False,
) -> str:
    """Render an executed notebook as one self-contained, offline HTML page.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (not modified).
    meta : mapping, optional
        Shown around the report: ``title``, ``county``, ``year``, ``source`` (data source
        line), ``standards``, ``run_date``, ``index_href`` (link back to the index) and
        ``failed``. Without it the page has no navigation line or footer.
    exporter : HTMLExporter, optional
        Reuse one exporter for many notebooks (its templates are compiled once).
    keep_stderr : bool
        Keep ``stderr`` stream outputs (warnings) in the page.

    Returns
    -------
    str
        The HTML document.
    """
    exporter = exporter or _default_exporter()
    nb = prepare_outputs(nb, keep_stderr=keep_stderr)
    resources: dict[str, Any] = {}
    if meta:
        edu = {"index_href": "../index.html", "source": "", "standards": "", "run_date": "", "failed": False}
        edu.update(meta)
        resources["edu"] = edu
        title = " · ".join(str(x) for x in (meta.get("county"), meta.get("title")) if x)
        if title:
            nb.metadata["title"] = title
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    return html


def external_references(html: str) -> list[str]:
    """URLs that a browser would fetch from the network when it opens ``html``.

    Links (``<a href>``) are not counted: they are only followed when clicked.

    >>> external_references('<script src="https://cdn.example/x.js"></script><a href="https://a.b">a</a>')
    ['https://cdn.example/x.js']
    """
    found: list[str] = []
    for pattern in _EXTERNAL_PATTERNS:
        found.extend(pattern.findall(html))
    return sorted(set(found))
