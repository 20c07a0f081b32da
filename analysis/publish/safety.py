"""Names and markup from data, made safe for the output folder and for HTML.

County names come from bureau files, so they are data, not code: a county called ``../x``
must not write outside ``reports/<year>/``, and one called ``<script>`` must not put markup
into a report. :func:`analysis.safe_names.safe_component` turns a name into one harmless
path component, :func:`county_dir` checks the resolved folder stays under its root, and
:func:`sanitize_html` escapes every tag of notebook output that is not plain content
(scripts, frames, event handlers, remote images or style sheets).

Examples
--------
>>> sanitize_html("<b>城东区</b><script>alert(1)</script>")
'<b>城东区</b>&lt;script&gt;alert(1)&lt;/script&gt;'
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from analysis.safe_names import safe_component

#: tags kept in notebook output HTML; every other tag is shown escaped, as text
ALLOWED_TAGS = frozenset(
    ["a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "style", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"]
)

#: attributes kept on any allowed tag; ``href`` and ``src`` are checked by :func:`_allowed_attribute`
ALLOWED_ATTRIBUTES = frozenset(
    ["align", "alt", "border", "class", "colspan", "headers", "height", "id", "lang", "rowspan", "scope", "span", "start", "style", "title", "valign", "width"]
)

#: URL schemes a link may use (it is only followed when clicked, never loaded)
LINK_SCHEMES = ("http://", "https://", "mailto:", "#")

#: embedded images are the only sources allowed: nothing is fetched when a report opens
IMAGE_SOURCE_PREFIXES = ("data:image/",)

_STYLE_BLOCK = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.IGNORECASE | re.DOTALL)
_CSS_REMOTE = re.compile(r"@import[^;]*;?|url\(\s*['\"]?\s*(?!data:)[^)]*\)", re.IGNORECASE)


def county_dir(out_root: str | os.PathLike, year: int, county: object) -> Path:
    """The report folder of ``county``: ``<out_root>/<year>/<safe name>``, checked.

    Raises ``ValueError`` if the resolved folder is not inside ``<out_root>/<year>``
    (for instance because a symbolic link points elsewhere).

    >>> county_dir("reports", 2024, "../x").parent.as_posix()
    'reports/2024'
    """
    root = Path(out_root) / str(int(year))
    target = root / safe_component(county)
    resolved_root = root.resolve()
    if not target.resolve().is_relative_to(resolved_root) or target.resolve() == resolved_root:
        raise ValueError(f"report folder for {str(county)!r} escapes {root}")
    return target


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    """Bleach attribute filter: plain attributes, safe links, embedded images only."""
    if name in ALLOWED_ATTRIBUTES:
        return True
    if tag == "a" and name == "href":
        return value.strip().lower().startswith(LINK_SCHEMES)
    if tag == "img" and name == "src":
        return value.strip().lower().startswith(IMAGE_SOURCE_PREFIXES)
    return False


def _strip_remote_css(html: str) -> str:
    """Remove ``@import`` and non-``data:`` ``url(...)`` from ``<style>`` blocks."""
    return _STYLE_BLOCK.sub(lambda m: m.group(1) + _CSS_REMOTE.sub("", m.group(2)) + m.group(3), html)


def sanitize_html(html: str) -> str:
    """Escape every tag of ``html`` that is not plain content, drop unsafe attributes.

    Tables, headings, lists, inline style and embedded (``data:``) images stay as they
    are; ``<script>``, ``<iframe>``, ``<link>``, forms and unknown tags are shown escaped
    as text, event handlers (``onclick``) and ``javascript:`` links are removed, and
    ``<style>`` blocks lose ``@import`` and remote ``url(...)``.

    Parameters
    ----------
    html : str
        HTML produced by a notebook output (e.g. a DataFrame, a Markdown display).

    Returns
    -------
    str

    Examples
    --------
    >>> sanitize_html('<table><tr><td onclick="x()">1</td></tr></table>')
    '<table><tbody><tr><td>1</td></tr></tbody></table>'
    >>> sanitize_html('<img src="http://example.org/a.png">')
    '<img>'
    """
    import bleach
    from bleach.css_sanitizer import ALLOWED_CSS_PROPERTIES, CSSSanitizer

    css = CSSSanitizer(allowed_css_properties=ALLOWED_CSS_PROPERTIES | {"vertical-align", "text-align"})
    cleaned = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=_allowed_attribute,
        protocols={"http", "https", "mailto", "data"},
        css_sanitizer=css,
        strip=False,
        strip_comments=True,
    )
    return _strip_remote_css(cleaned)
