"""Offline HTML export: code hidden, images inline, zh-CN, nothing from the network."""

from __future__ import annotations

import base64
import io
import re

import nbformat
import pytest

from analysis.publish.export import external_references, notebook_title, notebook_to_html


def _png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


@pytest.fixture(scope="module")
def executed_nb():
    out = nbformat.v4.new_output
    cells = [
        nbformat.v4.new_markdown_cell("# 城东区义务教育报告\n公式 $x^2$"),
        nbformat.v4.new_code_cell("SECRET_CODE = compute()", execution_count=1, outputs=[
            out("display_data", {"image/png": _png(), "text/plain": "<Figure>"}),
            out("display_data", {"text/html": "<table><tr><td>1</td></tr></table><script>alert('x')</script>"}),
            out("display_data", {"text/markdown": "## <script>evil()</script> 城东区"}),
            out("display_data", {"application/javascript": "fetch('https://evil.example/')"}),
            out("display_data", {"application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2,
                                                                               "version_minor": 0},
                                 "text/plain": "Dropdown(...)"}),
            out("stream", name="stderr", text="FutureWarning: noise\n"),
            out("stream", name="stdout", text="<b>printed</b>\n"),
        ]),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                             "version_minor": 0}}
    return nb


@pytest.fixture(scope="module")
def html(executed_nb):
    meta = {"title": "县域报告", "county": "城东区", "year": 2024, "source": "示例数据（合成）",
            "standards": "国家标准", "run_date": "2024-09-01 10:00"}
    return notebook_to_html(executed_nb, meta=meta)


def test_page_is_chinese_and_code_is_hidden(html):
    assert re.search(r'<html lang="zh-CN">', html)
    assert "SECRET_CODE" not in html
    assert "In&nbsp;[" not in html and "In [1]" not in html
    assert "城东区义务教育报告" in html


def test_nothing_is_loaded_from_the_network(html):
    assert external_references(html) == []
    for needle in ("require.js", "MathJax.js", "mathjax@", "unpkg.com", "cdnjs", "jsdelivr", "mermaid.esm"):
        assert needle not in html
    assert "<script src=" not in html


def test_images_are_embedded(html):
    imgs = re.findall(r"<img [^>]*src=\"([^\"]+)\"", html)
    assert imgs and all(src.startswith("data:image/png;base64,") for src in imgs)


def test_outputs_are_sanitised(html):
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<script>evil" not in html
    assert "&lt;script&gt;evil()&lt;/script&gt; 城东区" in html
    assert "fetch('https://evil.example/')" not in html
    assert "&lt;b&gt;printed&lt;/b&gt;" in html  # streams are text


def test_widgets_become_a_note_and_stderr_is_dropped(html):
    assert "交互控件" in html
    assert "widget-state+json" not in html
    assert "FutureWarning" not in html


def test_navigation_and_source_line(html):
    assert 'href="../index.html"' in html
    assert "数据来源：示例数据（合成）" in html
    assert "<title>城东区 · 县域报告</title>" in html


def test_names_in_meta_are_escaped(executed_nb):
    out = notebook_to_html(executed_nb, meta={"title": "t", "county": "<script>x</script>", "year": 2024})
    assert "<script>x</script>" not in out
    assert "&lt;script&gt;x&lt;/script&gt;" in out


def test_input_notebook_is_not_modified(executed_nb):
    before = nbformat.writes(executed_nb)
    notebook_to_html(executed_nb)
    assert nbformat.writes(executed_nb) == before


def test_keep_stderr(executed_nb):
    assert "FutureWarning" in notebook_to_html(executed_nb, keep_stderr=True)


def test_notebook_title():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x"),
                                         nbformat.v4.new_markdown_cell("说明\n\n## **教师结构** 分析")])
    assert notebook_title(nb) == "教师结构 分析"
    assert notebook_title(nbformat.v4.new_notebook(), "默认") == "默认"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param('<script src="https://cdn.x/require.js"></script>', ["https://cdn.x/require.js"], id="script"),
        pytest.param('<link rel="stylesheet" href="//fonts.x/css">', ["//fonts.x/css"], id="link"),
        pytest.param("<style>body{background:url('http://x/y.png')}</style>", ["http://x/y.png"], id="css-url"),
        pytest.param('<img src="data:image/png;base64,AA"><a href="https://x">x</a>', [], id="local"),
        pytest.param('<script type="module">await import("https://x/m.mjs")</script>', ["https://x/m.mjs"],
                     id="dynamic-import"),
    ],
)
def test_external_references(html, expected):
    assert external_references(html) == expected

