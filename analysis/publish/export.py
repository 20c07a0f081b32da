"""Export executed notebooks as HTML that opens on a machine without internet.

nbconvert's ``lab`` template loads require.js, MathJax, mermaid and the ipywidgets embed
manager from CDNs. :class:`OfflineHTMLExporter` uses ``analysis/templates/
offline_report.html.j2``, which extends ``lab`` and empties those blocks; code cells are
hidden (input and prompts excluded), images are embedded as base64 and the page is
``<html lang="zh-CN">``. Published pages (:func:`notebook_to_page`) are light: the style
sheet and script every page shares are written once per year folder (:data:`ASSETS_DIR`,
:func:`shared_assets`) and linked relatively, and each chart is a PNG file beside the page
(the same file its download link offers) instead of a base64 copy. Before export, :func:`prepare_outputs` sanitises every HTML or
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

import base64
import contextlib
import copy
import functools
import hashlib
import html as html_lib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nbconvert import HTMLExporter

from analysis import config
from analysis.publish.safety import sanitize_html

#: folder of the report and index templates (package data ``templates/*``)
TEMPLATES_DIR = config.TEMPLATES_DIR
REPORT_TEMPLATE = "offline_report.html.j2"
#: files the report template inlines (part of what a report is built from)
REPORT_ASSETS = ("edu_interactive.css", "edu_interactive.js")
#: folder of the files every published page of a year shares, in ``reports/<year>/``
ASSETS_DIR = "_assets"
#: the shared style sheet (JupyterLab's, the report's own) and script of the pages
SHARED_CSS = "report.css"
SHARED_JS = "edu_interactive.js"
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
    excluded, images embedded, none of nbconvert's default preprocessors. Keyword arguments
    override any of these traits.
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
            # nbconvert's default preprocessors (tag and regex cell removal, magics
            # highlighting of the excluded inputs) change nothing in a report, yet each
            # validates the whole notebook again; the page's CSS preprocessor stays
            "default_preprocessors": [],
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
    (:data:`analysis.explorer.EXPLORER_MIME`) becomes :func:`analysis.explorer.explorer_html`
    with the page's own county only (:func:`analysis.explorer.own_county`);
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
    # deferred: keeps the command line's start-up light
    from analysis.explorer import EXPLORER_MIME, explorer_html, own_county

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
                    markup = explorer_html(own_county(data[EXPLORER_MIME]))  # trusted markup, data as escaped JSON
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
    prepared: bool = False,
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
    prepared : bool
        ``nb`` already went through :func:`prepare_outputs` (it is then modified).

    Returns
    -------
    str
        The HTML document.
    """
    exporter = exporter or _default_exporter()
    if not prepared:
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


_HEAD_STYLE = re.compile(r'<style type="text/css">(.*?)</style>[ \t]*\n?', re.DOTALL)


def split_styles(page: str) -> tuple[str, str]:
    """``(page without the style blocks of its <head>, their CSS in order)``.

    >>> split_styles('<html><head><style type="text/css">a{}</style>\\n<style type="text/css">b{}</style></head>')
    ('<html><head></head>', 'a{}\\nb{}')
    """
    end = page.find("</head>")
    if end < 0:
        return page, ""
    head = page[:end]
    css = "\n".join(m.group(1).strip("\n") for m in _HEAD_STYLE.finditer(head))
    return _HEAD_STYLE.sub("", head) + page[end:], css


def _link_styles(page: str, href: str) -> str:
    """``page`` with its <head> styles replaced by one link to the shared style sheet."""
    end = page.find("</head>")
    first = _HEAD_STYLE.search(page, 0, end)
    if first is None:
        return page
    rest, _ = split_styles(page[first.start():])
    link = f'<link rel="stylesheet" type="text/css" href="{html_lib.escape(href)}/{SHARED_CSS}">\n'
    return page[:first.start()] + link + rest


def shared_assets(exporter: HTMLExporter | None = None) -> dict[str, str]:
    """``{file name: text}`` of the files the published pages link in :data:`ASSETS_DIR`:
    the style sheet (what a self-contained page inlines in its <head>) and the script.

    >>> assets = shared_assets()
    >>> sorted(assets), "jp-OutputArea" in assets["report.css"], "edu-explorer" in assets["edu_interactive.js"]
    (['edu_interactive.js', 'report.css'], True, True)
    """
    import nbformat

    exporter = exporter or _default_exporter()
    page = notebook_to_html(nbformat.v4.new_notebook(), meta={"title": "", "county": "", "year": ""},
                            exporter=exporter)
    _, css = split_styles(page)
    js = exporter.environment.get_template(REPORT_ASSETS[1]).render()
    return {SHARED_CSS: css + "\n", SHARED_JS: js}


def assets_cache_dir() -> Path:
    """Where rendered shared assets are kept between runs (``$XDG_CACHE_HOME/edu-balance``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "edu-balance" / "assets"


def cached_shared_assets(exporter: HTMLExporter | None = None) -> dict[str, str]:
    """:func:`shared_assets`, rendered once per version of the package and of nbconvert.

    Rendering them costs about 2 s of a publish run's CPU; the result depends only on the
    package's templates and nbconvert's (:func:`analysis.publish.state.package_digest`), so
    it is kept in :func:`assets_cache_dir` under that digest. A cache that cannot be read or
    written is simply not used.
    """
    import json

    # deferred: keeps the command line's start-up light
    from analysis.publish.state import package_digest

    path = assets_cache_dir() / f"{package_digest()[:32]}.json"
    try:
        assets = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(assets, dict) and set(assets) == {SHARED_CSS, SHARED_JS}:
            return assets
    except (OSError, ValueError):
        pass
    assets = shared_assets(exporter)
    with contextlib.suppress(OSError):
        config.atomic_write(path, json.dumps(assets, ensure_ascii=False))
    return assets


def write_shared_assets(year_dir: str | os.PathLike, exporter: HTMLExporter | None = None) -> list[Path]:
    """Write :func:`shared_assets` into ``<year_dir>/_assets/`` where they changed; returns
    the paths of the files written."""

    folder = Path(year_dir) / ASSETS_DIR
    written = []
    for name, text in cached_shared_assets(exporter).items():
        path = folder / name
        try:
            if path.read_text(encoding="utf-8") == text:
                continue
        except (OSError, UnicodeDecodeError):
            pass
        written.append(config.atomic_write(path, text))
    return written


def png_key(data: bytes) -> str:
    """Key of a PNG's bytes: a chart written as a download file and shown in the page is
    stored once when their keys match."""
    return hashlib.sha256(data).hexdigest()


def _extract_images(nb: Any, image_dir: str, charts: Sequence[Mapping[str, Any]]
                    ) -> tuple[dict[str, bytes], dict[str, str]]:
    """Point every PNG output of ``nb`` (modified) at a file instead of embedding it.

    ``charts`` are the chart downloads (``path``, ``title``, ``key``: :func:`png_key` of
    the file, ``source``: key of the cell that drew it). An image uses the download with the
    same bytes; else the next unused download of its cell (a chart shown by matplotlib's
    inline backend is rendered again for the download: other bytes, the same chart); else
    it gets ``<image_dir>/image_NN.png``, returned as a new file. Returns ``(new files
    {relative path: bytes}, {src: alt text})``.
    """
    # deferred: keeps the command line's start-up light
    from analysis.presentation.record import source_key

    by_key = {c["key"]: c for c in charts}
    files: dict[str, bytes] = {}
    alts: dict[str, str] = {}
    used: set[str] = set()
    taken = {c["path"] for c in charts}
    n = 0
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        images = [o for o in cell.get("outputs", []) if "image/png" in (o.get("data") or {})]
        if not images:
            continue
        key = source_key(_text(cell.get("source", "")))
        raws = [base64.b64decode(_text(o["data"]["image/png"])) for o in images]
        chosen = [by_key.get(png_key(raw)) for raw in raws]
        used.update(c["path"] for c in chosen if c)
        spare = [c for c in charts if c.get("source") == key and c["path"] not in used]
        for output, raw, chart in zip(images, raws, chosen, strict=True):
            if chart is None and spare:
                chart = spare.pop(0)
                used.add(chart["path"])
            if chart is not None:
                rel, title = chart["path"], chart.get("title", "")
            else:
                n += 1
                while f"{image_dir}/image_{n:02d}.png" in taken:
                    n += 1
                rel, title = f"{image_dir}/image_{n:02d}.png", ""
                taken.add(rel)
                files[rel] = raw
            src = "/".join(quote(part) for part in rel.split("/"))
            output.setdefault("metadata", {}).setdefault("filenames", {})["image/png"] = src
            if title:
                alts[src] = f"图表：{title}"
    return files, alts


def notebook_to_page(
    nb: Any,
    *,
    meta: Mapping[str, Any],
    exporter: HTMLExporter | None = None,
    keep_stderr: bool = False,
    image_dir: str | None = None,
    charts: Sequence[Mapping[str, Any]] = (),
) -> tuple[str, dict[str, bytes]]:
    """A published page: :func:`notebook_to_html` that links what pages share.

    ``meta["assets_href"]`` (relative link to the year's :data:`ASSETS_DIR`, e.g.
    ``../_assets``) replaces the inlined style sheet and script by links to
    :func:`shared_assets` there. With ``image_dir`` (e.g. ``county_report_charts``) every
    chart is a PNG file beside the page, not a base64 copy: the chart downloads ``charts``
    (see :func:`_extract_images`) are reused and give the image the chart's title as
    ``alt``; other images are returned as new files. Returns ``(html, {relative path: bytes})``.

    Examples
    --------
    >>> import nbformat
    >>> png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    >>> out = nbformat.v4.new_output("display_data", {"image/png": base64.b64encode(png).decode()})
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=[out])])
    >>> chart = {"path": "a_charts/01_差异系数.png", "title": "差异系数", "key": png_key(png), "source": None}
    >>> page, files = notebook_to_page(nb, meta={"title": "示例", "assets_href": "../_assets"}, image_dir="a_charts",
    ...                                charts=[chart])
    >>> files, "base64," in page, 'alt="图表：差异系数"' in page, 'href="../_assets/report.css"' in page
    ({}, False, True, True)
    """
    exporter = exporter or _default_exporter()
    nb = prepare_outputs(nb, keep_stderr=keep_stderr)
    files: dict[str, bytes] = {}
    alts: dict[str, str] = {}
    if image_dir:
        files, alts = _extract_images(nb, image_dir, charts)
    page = notebook_to_html(nb, meta=meta, exporter=exporter, keep_stderr=True, prepared=True)
    for src, alt in alts.items():
        escaped = html_lib.escape(src)
        page = page.replace(f'<img alt="{IMAGE_ALT}" src="{escaped}"', f'<img alt="{html_lib.escape(alt)}" src="{escaped}"')
    if meta.get("assets_href"):
        page = _link_styles(page, str(meta["assets_href"]))
    return page, files


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
