"""Names and markup from data, made safe for the output folder and for HTML.

County names come from bureau files, so they are data, not code: a county called ``../x``
must not write outside ``reports/<year>/``, and one called ``<script>`` must not put markup
into a report. :func:`safe_component` turns a name into one harmless path component,
:func:`county_dir` checks the resolved folder stays under its root, and
:func:`sanitize_html` escapes every tag of notebook output that is not plain content
(scripts, frames, event handlers, remote images or style sheets).

Examples
--------
>>> safe_component("城东区")
'城东区'
>>> safe_component("../x").startswith("_x-")
True
>>> sanitize_html("<b>城东区</b><script>alert(1)</script>")
'<b>城东区</b>&lt;script&gt;alert(1)&lt;/script&gt;'
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

#: longest path component written, in UTF-8 bytes (file systems allow 255)
MAX_COMPONENT_BYTES = 120

#: characters never kept in a path component (separators, controls, Windows-reserved)
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')

#: device names Windows refuses as file names, whatever the extension
_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}
)

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


def safe_component(name: object, *, max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """One file-system path component for ``name`` that cannot leave its folder.

    Ordinary names (Chinese county names, letters, digits, ``-``, ``_``) are kept as
    they are, so folders read like the data. A name that has to be changed (separators,
    ``..``, control or reserved characters, leading dots, a Windows device name, too
    long) gets ``-`` and 8 hex digits of its SHA-1 appended, so two different names never
    end up in the same folder.

    Parameters
    ----------
    name : object
        The name as it comes from the data (converted with ``str``).
    max_bytes : int
        Longest result in UTF-8 bytes.

    Returns
    -------
    str
        A non-empty component without separators that is neither ``.`` nor ``..``.

    Examples
    --------
    >>> safe_component("示例县")
    '示例县'
    >>> [safe_component(n) for n in ["../x", "<script>", "a/b", "..", "CON"]]
    ['_x-72e4d01d', '_script_-fb1c2d66', 'a_b-3ec69c85', '_-9d891e73', 'CON-7679a072']
    """
    text = unicodedata.normalize("NFC", str(name))
    cleaned = _UNSAFE_CHARS.sub("_", text).strip().strip(".").strip()
    cleaned = cleaned or "_"
    changed = cleaned != str(name) or cleaned.split(".")[0].upper() in _RESERVED_NAMES
    encoded = cleaned.encode("utf-8")
    if len(encoded) > max_bytes - 9:
        cleaned = encoded[: max_bytes - 9].decode("utf-8", errors="ignore")
        changed = True
    if changed:
        digest = hashlib.sha1(str(name).encode("utf-8")).hexdigest()[:8]
        cleaned = f"{cleaned}-{digest}"
    return cleaned


def assign_dirs(names: Iterable[object]) -> dict[str, str]:
    """Map each name to its folder name, failing if two names would share one.

    >>> assign_dirs(["城东区", "<b>"])["城东区"]
    '城东区'
    """
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in names:
        component = safe_component(name)
        key = component.casefold()  # case-insensitive file systems (macOS, Windows)
        if key in seen and seen[key] != str(name):
            raise ValueError(
                f"names {seen[key]!r} and {str(name)!r} would share the folder {component!r}"
            )
        seen[key] = str(name)
        out[str(name)] = component
    return out


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
