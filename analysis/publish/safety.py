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

import functools
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
    ["align", "alt", "border", "class", "colspan", "data-sort", "headers", "height", "id", "lang", "rowspan", "scope", "span", "start", "style", "title", "valign", "width"]
)
# data-sort: a report table's numeric sort key (report_table.py), read only by the pages'
# table script, which takes it as a number or compares it as text

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


# -- fast path ------------------------------------------------------------------------
# Nearly all HTML a page shows is the project's own: report tables (cell text escaped by
# analysis.presentation.report_table) and Markdown rendered by export._markdown_to_html.
# bleach parses every byte of it with html5lib, which costs far more than the notebooks'
# HTML deserves. The fast path reads the markup with a strict tokenizer and only accepts
# what it can prove bleach would keep (see sanitize_html); anything else goes to bleach.

#: tags the fast path accepts: the allowed ones except those with a URL or a CSS block
_FAST_TAGS = ALLOWED_TAGS - {"a", "img", "style"}
_VOID_TAGS = frozenset(["br", "col", "hr"])
#: attributes the fast path keeps unchanged (``style`` is checked apart)
_FAST_ATTRIBUTES = ALLOWED_ATTRIBUTES - {"style"}
#: the five entities html.escape writes; any other ``&`` goes to bleach
_SAFE_ENTITY = r"&(?:amp|lt|gt|quot|#x27|#39);"
_SPACE = "[ \t\n]"
_ATTRIBUTE = rf'{_SPACE}+[a-z][a-z0-9-]*="[^"<>&]*(?:{_SAFE_ENTITY}[^"<>&]*)*"'
_TOKEN = re.compile(
    rf"<([a-z][a-z0-9]*)((?:{_ATTRIBUTE})*){_SPACE}*(/?)>"  # 1 start tag, 2 attributes, 3 self-closing
    r"|</([a-z][a-z0-9]*)>"  # 4 end tag
    rf"|({_SAFE_ENTITY})|&#([0-9]{{1,7}});|&#x([0-9a-fA-F]{{1,6}});"  # 5 named, 6 decimal, 7 hex reference
    r"|([<>&])"  # 8 any other markup character
)
_ATTRIBUTE_PARTS = re.compile(r'([a-z][a-z0-9-]*)="([^"]*)"')
#: characters that html5lib changes or reports (controls, CR, form feed, surrogates, non-characters)
_UNUSUAL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_BLANK = re.compile(f"{_SPACE}*")
#: a declaration list of plain values: no function (``url(``, ``expression(``), no quote,
#: backslash, ``@``, ``/`` (so no comment) or ``&``
_PLAIN_STYLE = re.compile(rf"{_SPACE}*(?:[a-z-]+{_SPACE}*:[a-zA-Z0-9#%., \t\n-]+;{_SPACE}*)*"
                          rf"(?:[a-z-]+{_SPACE}*:[a-zA-Z0-9#%., \t\n-]+)?")
_STYLE_PROPERTY = re.compile(r"([a-z-]+)[ \t\n]*:")
#: what may sit directly in a table part (anything else, text included, is moved by the parser)
_TABLE_CHILDREN = {
    "table": frozenset(["caption", "colgroup", "thead", "tbody", "tfoot"]),
    "thead": frozenset(["tr"]), "tbody": frozenset(["tr"]), "tfoot": frozenset(["tr"]),
    "tr": frozenset(["td", "th"]), "colgroup": frozenset(["col"]),
}
#: where a table part may stand
_TABLE_PARENTS = {
    "caption": frozenset(["table"]), "colgroup": frozenset(["table"]), "thead": frozenset(["table"]),
    "tbody": frozenset(["table"]), "tfoot": frozenset(["table"]), "tr": frozenset(["thead", "tbody", "tfoot"]),
    "td": frozenset(["tr"]), "th": frozenset(["tr"]), "col": frozenset(["colgroup"]),
}
#: start tags that close an open ``<p>`` (html5lib: in button scope)
_CLOSES_P = frozenset(
    ["blockquote", "dd", "details", "div", "dl", "dt", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "summary", "table", "ul"]
)
_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
_P_SCOPE_LIMITS = frozenset(["caption", "table", "td", "th"])
#: list items close an open item of their kind unless one of these (a subset of html5lib's
#: "special" elements: a smaller set only sends more markup to bleach) stands between
_LIST_ITEM_LIMITS = frozenset(["caption", "dl", "ol", "table", "td", "th", "ul"])
_LIST_ITEM_KINDS = {"li": ("li",), "dd": ("dd", "dt"), "dt": ("dd", "dt")}


#: the only CSS functions an inline style may use (no ``url(``, ``expression(``, ``image(``...)
_CSS_FUNCTIONS = frozenset(["rgb", "rgba", "hsl", "hsla"])


def _css_value_is_plain(tokens: list) -> bool:
    """True if a declaration's value loads nothing: no ``url`` token, only plain functions."""
    for token in tokens:
        if token.type == "url":
            return False
        if token.type == "function" and (token.lower_name not in _CSS_FUNCTIONS
                                         or not _css_value_is_plain(token.arguments)):
            return False
        if token.type in ("() block", "[] block", "{} block") and not _css_value_is_plain(token.content):
            return False
    return True


@functools.cache
def _bleach_options() -> dict:
    """Keyword arguments of ``bleach.clean`` (imported late: the command line starts light)."""
    import tinycss2
    from bleach.css_sanitizer import ALLOWED_CSS_PROPERTIES, CSSSanitizer

    class PlainCSSSanitizer(CSSSanitizer):
        """bleach's sanitizer, and a declaration of an allowed property is also dropped if
        its value could load something (``cursor: url(...)``, ``expression(...)``)."""

        def sanitize_css(self, style: str) -> str:
            kept = [d for d in tinycss2.parse_declaration_list(style)  # bleach drops at-rules and errors too
                    if d.type in ("whitespace", "comment") or (d.type == "declaration" and _css_value_is_plain(d.value))]
            return super().sanitize_css(tinycss2.serialize(kept))

    css = PlainCSSSanitizer(allowed_css_properties=ALLOWED_CSS_PROPERTIES | {"vertical-align", "text-align"})
    return {"tags": ALLOWED_TAGS, "attributes": _allowed_attribute, "protocols": {"http", "https", "mailto", "data"},
            "css_sanitizer": css, "strip": False, "strip_comments": True}


@functools.lru_cache(maxsize=4096)
def _fast_style(value: str) -> str | None:
    """``value`` of a ``style`` attribute as bleach writes it, or None if it is not plain."""
    if not _PLAIN_STYLE.fullmatch(value):
        return None
    css = _bleach_options()["css_sanitizer"]
    allowed = css.allowed_css_properties | css.allowed_svg_properties
    if not all(name in allowed for name in _STYLE_PROPERTY.findall(value)):
        return None
    return css.sanitize_css(value)


@functools.lru_cache(maxsize=4096)
def _fast_attributes(attributes: str) -> str | None:
    """The kept attributes of a start tag, each `` name="value"``; None to leave it to bleach."""
    out = []
    seen = set()
    for name, value in _ATTRIBUTE_PARTS.findall(attributes):
        if name in seen:
            return None
        seen.add(name)
        if name in _FAST_ATTRIBUTES:
            out.append(f' {name}="{value}"')
        elif name == "style":
            style = _fast_style(value)
            if style is None:
                return None
            out.append(f' style="{style}"')
        elif not name.startswith("data-"):  # bleach drops data-* attributes; anything else: bleach
            return None
    return "".join(out)


def _start_tag_fits(stack: list[str], name: str) -> bool:
    """True if html5lib would open ``name`` inside ``stack`` as it stands (no implied end tag)."""
    top = stack[-1] if stack else ""
    if name not in _FAST_TAGS:
        return False
    if top in _TABLE_CHILDREN and name not in _TABLE_CHILDREN[top]:
        return False
    if name in _TABLE_PARENTS and top not in _TABLE_PARENTS[name]:
        return False
    if name in _HEADINGS and top in _HEADINGS:
        return False
    if name in _CLOSES_P:
        for node in reversed(stack):
            if node == "p":
                return False
            if node in _P_SCOPE_LIMITS:
                break
    if name in _LIST_ITEM_KINDS:
        for node in reversed(stack):
            if node in _LIST_ITEM_KINDS[name]:
                return False
            if node in _LIST_ITEM_LIMITS:
                break
    return True


#: (parent, tag) pairs already found to fit, for tags whose fit depends on the parent only
_FITTING_PAIRS: set[tuple[str, str]] = set()


def _fast_sanitize(html: str) -> str | None:
    """``html`` as bleach would clean it, if it is plain enough to prove that; else None.

    Accepted: text without ``<``, ``&`` other than the references html.escape writes and
    numeric references to printable characters, or control characters; tags of
    ``_FAST_TAGS`` written in lower case, each closed in order (no end tag implied by the
    parser: no ``<div>`` in an open ``<p>``, no item in an open item, table parts in their
    places, no text loose in a table); attributes double-quoted without ``<``, ``>``,
    ``&`` (except the same references), ``data-*`` ones dropped as bleach drops them and
    ``style`` only if :data:`_PLAIN_STYLE` and of allowed properties.

    >>> _fast_sanitize('<p class="x">a &amp; b > c<br/></p>')
    '<p class="x">a &amp; b &gt; c<br></p>'
    >>> _fast_sanitize('<p onclick="x()">a</p>') is None, _fast_sanitize("<p><div>a</div></p>") is None
    (True, True)
    """
    if _UNUSUAL_CHARACTERS.search(html):
        return None
    out = []
    stack = [""]  # a sentinel: the fragment's container
    pos = 0
    for m in _TOKEN.finditer(html):
        top = stack[-1]
        start = m.start()
        if start != pos:
            text = html[pos:start]
            if top in _TABLE_CHILDREN and not _BLANK.fullmatch(text):
                return None
            if top == "pre" and text[0] == "\n" and out[-1].startswith("<pre"):
                return None  # html5lib drops a newline right after <pre>
            out.append(text)
        pos = m.end()
        kind = m.lastindex
        if kind == 3:  # start tag
            name = m[1]
            if (top, name) not in _FITTING_PAIRS:
                if not _start_tag_fits(stack[1:], name):
                    return None
                if name not in _CLOSES_P and name not in _LIST_ITEM_KINDS:
                    _FITTING_PAIRS.add((top, name))
            if name in _VOID_TAGS:
                pass
            elif m[3]:
                return None  # <div/> opens a div: leave it to bleach
            else:
                stack.append(name)
            attributes = m[2]
            if attributes:
                kept = _fast_attributes(attributes)
                if kept is None:
                    return None
                out.append(f"<{name}{kept}>")
            else:
                out.append(f"<{name}>")
        elif kind == 4:  # end tag
            if m[4] != top or len(stack) == 1:
                return None
            stack.pop()
            out.append(m[0])
        elif kind == 8:  # a markup character outside a tag or reference
            if m[8] != ">" or top in _TABLE_CHILDREN:
                return None
            out.append("&gt;")
        else:  # a character reference
            if top in _TABLE_CHILDREN:
                return None
            if kind != 5:
                code = int(m[6]) if kind == 6 else int(m[7], 16)
                if code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
                    return None
            out.append(m[0])
    if len(stack) > 1:
        return None
    out.append(html[pos:])
    return "".join(out)


def _bleach_sanitize(html: str) -> str:
    """``html`` cleaned by bleach (html5lib), the reference of :func:`sanitize_html`."""
    import bleach

    return _strip_remote_css(bleach.clean(html, **_bleach_options()))


def sanitize_html(html: str) -> str:
    """Escape every tag of ``html`` that is not plain content, drop unsafe attributes.

    Tables, headings, lists, inline style and embedded (``data:``) images stay as they
    are; ``<script>``, ``<iframe>``, ``<link>``, forms and unknown tags are shown escaped
    as text, event handlers (``onclick``) and ``javascript:`` links are removed, and
    ``<style>`` blocks lose ``@import`` and remote ``url(...)``; an inline style keeps the
    declarations of allowed properties whose value loads nothing (``cursor: url(...)``
    and ``expression(...)`` are dropped).

    The reference is bleach (html5lib parse, allow-list, serialise). Markup the project
    writes itself (report tables, rendered Markdown; :func:`_fast_sanitize`) is checked
    by a strict tokenizer instead, which returns exactly what bleach would and sends
    anything it cannot prove that for to bleach: tags and attributes outside a narrower
    allow-list (no ``<a>``, ``<img>``, ``<style>``, no event handler), a ``<`` or ``&``
    that is not part of a plain tag or reference, comments, unusual characters, end tags
    the parser would imply, text the parser would move out of a table, ``style`` values
    that are not plain ``property: value`` pairs. On a published county's pages this
    takes about 1/15 of bleach's time (25 ms instead of 430 ms of CPU) with identical output (``tests/test_publish_safety.py``
    compares the two on real and hostile markup). nh3 (ammonia) was as fast but removes
    disallowed tags instead of showing them as text, and would be a compiled dependency.

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
    fast = _fast_sanitize(html)
    return fast if fast is not None else _bleach_sanitize(html)
