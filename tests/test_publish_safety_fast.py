"""The fast path of sanitize_html: bleach's output exactly, or bleach itself.

``_fast_sanitize`` must either give up (None) or return what bleach returns; the hostile
corpus and random markup check that, and every output is parsed again to show no live
tag or attribute outside the allow-list. The project's own markup (report tables,
rendered Markdown, pandas tables) must take the fast path.
"""

from __future__ import annotations

import random
from html.parser import HTMLParser

import pandas as pd
import pytest

from analysis.presentation.report_table import ReportTable
from analysis.publish.export import _markdown_to_html
from analysis.publish.safety import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    _bleach_sanitize,
    _fast_sanitize,
    sanitize_html,
)

HOSTILE = [
    "<script>alert(1)</script>",
    "<p>x</p><script>alert(1)</script>",
    "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>",
    '<table><tbody><tr><td>x</td></tr></tbody></table><script src="https://e.org/x.js"></script>',
    '<p title="x" onclick="alert(1)">x</p>',
    '<p title="x"onclick="alert(1)">x</p>',
    "<p title='x' onclick=alert(1)>x</p>",
    '<p title="a&quot; onclick=&quot;alert(1)">x</p>',
    '<p title="a"b" onclick="c">x</p>',
    "<p title='a\"b'>x</p>",
    '<p/onclick="alert(1)">x</p>',
    "<br/onclick=alert(1)>",
    '<details open ontoggle="alert(1)"><summary>x</summary></details>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    "<a href=javascript:alert(1)>x</a>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    '<img src="data:text/html,<script>alert(1)</script>">',
    "<p><b>unclosed",
    "<table><tr><td>x",
    "<div><p>a<div>b</div></p></div>",
    "</p></div>x",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<!-- x --><p>y</p>",
    "<!--><script>alert(1)</script>-->",
    "<p>a<!--b-->c</p>",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<?xml version="1.0"?><p>x</p>',
    "<!DOCTYPE html><p>x</p>",
    "<style>@import url('https://e.org/x.css'); p{color:red}</style>",
    "<style>@IMPORT 'https://e.org/x.css'; p{color:red}</style>",
    "<style>p{background:url(http://e.org/x.png)}</style>",
    "<style></style><script>alert(1)</script>",
    '<p style="background: url(http://e.org/x.png)">x</p>',
    '<p style="color: expression(alert(1))">x</p>',
    '<p style="width: 1px; behavior: url(x.htc)">x</p>',
    '<p style="color: red /* x */">x</p>',
    '<p style="color: \\72 ed">x</p>',
    '<p style="color:red;background-image:url(javascript:alert(1))">x</p>',
    '<p style="color: red; -moz-binding: url(x.xml#x)">x</p>',
    '<p style="&#99;olor: red">x</p>',
    '<p style="@import x">x</p>',
    "<ScRiPt>alert(1)</sCrIpT>",
    '<P ONCLICK="alert(1)">x</P>',
    "<TABLE><TR><TD>x</TD></TR></TABLE>",
    "<scr\x00ipt>alert(1)</script>",
    "<p>a\x00b</p>",
    '<p onclick\x00="alert(1)">x</p>',
    "<p>a\rb\x0cc</p>",
    '<iframe src="https://e.org"></iframe>',
    "<object data=x></object><embed src=x>",
    '<form action="https://e.org"><input name=x></form>',
    '<base href="https://e.org/">',
    '<meta http-equiv="refresh" content="0;url=https://e.org">',
    '<link rel="stylesheet" href="https://cdn/x.css">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<textarea><script>alert(1)</script></textarea>",
    "<title><script>alert(1)</script></title>",
    "<xmp><script>alert(1)</script></xmp>",
    "<plaintext><script>alert(1)</script>",
    '<table><tr><td data-x="&lt;script&gt;">x</td></tr></table>',
    '<p title="&lt;script&gt;">x</p>',
    "<p>&#106;avascript&#58;alert(1)</p>",
    "<p>R&D &copy; &unknown; &#0; &#x110000;</p>",
    "<p>a < b > c</p>",
    "<td>x</td>",
    "<table>text<tr><td>x</td></tr></table>",
    "<ul><li>a<li>b</ul>",
    "<pre>\n<code>x</code></pre>",
    '<div class="x" class="y">x</div>',
    "<div/>x",
    "<p>\u2028\ufeff\ud800x</p>",
    _markdown_to_html("## 学校 <script>alert(1)</script>\n\n- <img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))"),
]


class _Elements(HTMLParser):
    """Every start tag and its attributes, as a browser-like tokenizer reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_comment(self, data):
        self.tags.append(("!--", []))

    def handle_decl(self, decl):
        self.tags.append(("!", []))

    def handle_pi(self, data):
        self.tags.append(("?", []))

    def unknown_decl(self, data):
        self.tags.append(("![", []))


def assert_harmless(html: str) -> None:
    """No tag, attribute, link or source outside the allow-list survives in ``html``."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name == "href":
                assert tag == "a" and value.startswith(("http://", "https://", "mailto:", "#")), html
            elif name == "src":
                assert tag == "img" and value.startswith("data:image/"), html
            else:
                assert name in ALLOWED_ATTRIBUTES, (tag, name, html)
            if name == "style":
                assert "url(" not in value and "expression" not in value and "\\" not in value, html
    assert "<script" not in html.lower()


@pytest.mark.parametrize("html", HOSTILE, ids=[f"hostile{i}" for i in range(len(HOSTILE))])
def test_hostile_markup_comes_out_as_bleach_makes_it(html):
    out = sanitize_html(html)
    assert out == _bleach_sanitize(html)
    assert_harmless(out)


@pytest.mark.parametrize(
    "html",
    [
        pytest.param("<script>alert(1)</script>", id="script"),
        pytest.param('<p onclick="alert(1)">x</p>', id="handler"),
        pytest.param('<a href="#x">x</a>', id="link"),
        pytest.param('<img src="data:image/png;base64,AAAA">', id="image"),
        pytest.param("<style>p{color:red}</style>", id="style-block"),
        pytest.param('<p style="color: url(x)">x</p>', id="style-url"),
        pytest.param("<p>x<!-- c --></p>", id="comment"),
        pytest.param("<P>x</P>", id="upper-case"),
        pytest.param("<p>x\x00</p>", id="nul"),
        pytest.param("<p><b>x</p>", id="misnested"),
        pytest.param("<table><tr><td>x</td></tr></table>", id="implied-tbody"),
        pytest.param("<p>a & b</p>", id="bare-ampersand"),
    ],
)
def test_unusual_markup_goes_to_bleach(html):
    assert _fast_sanitize(html) is None


def _random_markup(rng: random.Random, clean: bool, depth: int = 0) -> str:
    """Nested markup of allowed tags, attributes and text; unless ``clean``, other ones too."""
    tags = ["p", "div", "b", "span", "li", "ul", "ol", "table", "tbody", "thead", "tr", "td", "th", "h2",
            "h3", "pre", "code", "details", "summary", "br", "hr", "col", "colgroup", "caption", "dl", "dd",
            "dt", "em", "blockquote", "figure"]
    attributes = ["", "", "", ' class="c"', ' data-sort="1.5"', ' title="a &amp; b"', ' id="x"',
                  ' style="text-align: right;"', ' style="color:red"', ' align="left"', ' colspan="2"']
    texts = ["x", "城东区", " ", "\n", "a > b", "&lt;b&gt;", "&#182;", "&#x4E1C;", "&quot;", "\t", "\n\n"]
    if not clean:
        tags += ["a", "img", "script", "svg", "style", "iframe"]
        attributes += [' style="color: url(x)"', ' onclick="x()"', ' href="#x"', ' src="data:image/png;base64,AA"',
                       " title='q'", ' class="a" class="b"', ' style="position: fixed"', " hidden"]
        texts += ["&#0;", "a & b", "<", "&nbsp;", "\r", "<!-- c -->"]
    parts = []
    for _ in range(rng.randint(0, 3)):
        if depth < 4 and rng.random() < 0.6:
            tag = rng.choice(tags)
            slash = rng.choice(["", "", "", "/", " "]) if not clean or tag in ("br", "hr", "col") else ""
            parts.append(f"<{tag}{rng.choice(attributes)}{slash}>")
            if tag not in ("br", "hr", "col", "img"):
                parts.append(_random_markup(rng, clean, depth + 1))
                if clean or rng.random() < 0.9:
                    parts.append(f"</{tag}>")
        else:
            parts.append(rng.choice(texts))
    return "".join(parts)


def test_fast_path_agrees_with_bleach_on_random_markup():
    rng = random.Random(20240901)
    fast = 0
    for i in range(2000):
        html = _random_markup(rng, clean=i % 2 == 0)
        if rng.random() < 0.2:  # cut somewhere
            cut = rng.randrange(len(html) + 1)
            html = html[:cut] + html[cut + rng.randint(0, 3):]
        result = _fast_sanitize(html)
        if result is not None:
            fast += 1
            assert result == _bleach_sanitize(html), html
            assert_harmless(result)
    assert fast > 400  # the comparison above is not vacuous


def _school_table() -> ReportTable:
    names = ["城东区第一小学", "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "A&B 学校",
             "</td></tr></table><iframe src=x>", "学校 <b>粗体</b> & 'quote'", "—"]
    frame = pd.DataFrame({"school_name": names, "students": [1105.0, 2.0, 3.5, None, 5.0, float("nan"), 7.0],
                          "pass_pct": [72.41, 100.0, 0.0, 12.5, 50.0, 1.0, 99.9]})
    return ReportTable(frame, ["学校名称", "学生数（人）", "达标比例（%）"], ["text", "count", "share"], collapse_rows=3)


def _structure(html: str) -> list[tuple]:
    """Tags, attributes and text of ``html`` in order (tbody and whitespace-only text left out)."""
    out: list[tuple] = []

    class Walk(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag != "tbody":
                out.append(("start", tag, tuple(attrs)))

        def handle_endtag(self, tag):
            if tag != "tbody":
                out.append(("end", tag))

        def handle_data(self, data):
            if data.strip():
                out.append(("text", data))

    walker = Walk(convert_charrefs=True)
    walker.feed(html)
    walker.close()
    return out


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: _school_table().to_html(), id="report-table"),
        pytest.param(lambda: _school_table()._repr_html_(), id="report-table-folded"),
        pytest.param(lambda: pd.DataFrame({"学校": ["<b>x</b>", "a&b"], "学生数": [1, 2]}).to_html(), id="pandas"),
        pytest.param(lambda: _markdown_to_html(
            "**城东区 · 2024年**（示例数据（合成））\n\n- 关键数字：17/34（50.0%）\n- 学校 &lt;script&gt;\n\n"
            "`代码` 与 *强调*，a > b & c"), id="markdown"),
    ],
)
def test_project_markup_takes_the_fast_path(make):
    html = make()
    fast = _fast_sanitize(html)
    assert fast is not None, html
    reference = _bleach_sanitize(html)
    assert fast == reference
    assert _structure(fast) == _structure(reference)
    assert_harmless(fast)
    assert "&lt;script&gt;" in fast or "<script" not in html


def test_report_table_keeps_text_and_its_numeric_sort_keys():
    html = _school_table().to_html()
    out = sanitize_html(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert 'data-sort="' in out and out.count("data-sort") == html.count("data-sort")  # the table script sorts by them
    assert out == _bleach_sanitize(html)
    assert [t for t in _structure(out) if t[0] == "text"] == [t for t in _structure(html) if t[0] == "text"]
