"""Names from data stay inside the output folder; output markup is escaped."""

from __future__ import annotations

import os

import pytest

from analysis.publish.safety import county_dir, sanitize_html
from analysis.safe_names import assign_dirs, safe_component


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("../x", id="parent"),
        pytest.param("../../etc/passwd", id="deep-parent"),
        pytest.param("..", id="dotdot"),
        pytest.param(".", id="dot"),
        pytest.param("/abs/path", id="absolute"),
        pytest.param("a\\b", id="backslash"),
        pytest.param("<script>alert(1)</script>", id="script"),
        pytest.param("x\x00y\n", id="control"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("NUL", id="windows-device"),
        pytest.param("县" * 200, id="too-long"),
        pytest.param(".hidden", id="hidden"),
    ],
)
def test_safe_component_is_one_harmless_component(name, tmp_path):
    comp = safe_component(name)
    assert comp and comp not in (".", "..")
    assert "/" not in comp and "\\" not in comp and "\x00" not in comp
    assert not comp.startswith(".")
    assert len(comp.encode("utf-8")) <= 120
    assert all(ch not in comp for ch in '<>:"|?*')
    target = county_dir(tmp_path, 2024, name)
    assert target.parent == tmp_path / "2024"
    assert target.resolve().parent == (tmp_path / "2024").resolve()


@pytest.mark.parametrize("name", ["城东区", "示例县", "平顺县", "Wansheng-District_2"])
def test_plain_names_are_kept(name):
    assert safe_component(name) == name


def test_changed_names_do_not_collide():
    names = ["a/b", "a\\b", "a:b", "a_b", "a?b"]
    dirs = assign_dirs(names)
    assert len(set(dirs.values())) == len(names)
    assert dirs["a_b"] == "a_b"


def test_assign_dirs_refuses_case_collisions():
    with pytest.raises(ValueError, match="share the folder"):
        assign_dirs(["Abc", "abc"])


def test_county_dir_refuses_a_symlink_out(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "reports" / "2024").mkdir(parents=True)
    os.symlink(outside, tmp_path / "reports" / "2024" / "城东区")
    with pytest.raises(ValueError, match="escapes"):
        county_dir(tmp_path / "reports", 2024, "城东区")


@pytest.mark.parametrize(
    ("html", "present", "absent"),
    [
        pytest.param("<h2><script>alert(1)</script></h2>", "&lt;script&gt;", "<script", id="script"),
        pytest.param('<img src="x" onerror="alert(1)">', "<img", "onerror", id="handler"),
        pytest.param('<a href="javascript:alert(1)">x</a>', "<a>x</a>", "javascript:", id="js-link"),
        pytest.param('<iframe src="https://e.org"></iframe>', "&lt;iframe", "<iframe", id="iframe"),
        pytest.param('<link rel="stylesheet" href="https://cdn/x.css">', "&lt;link", "<link", id="link"),
        pytest.param('<img src="https://e.org/a.png">', "<img>", "https://e.org", id="remote-img"),
        pytest.param("<style>@import url('https://e.org/x.css'); p{color:red}</style>",
                     "p{color:red}", "@import", id="css-import"),
        pytest.param('<table class="dataframe"><tr><th>县</th><td style="text-align: right;">1</td></tr></table>',
                     '<td style="text-align: right;">1</td>', "&lt;", id="dataframe-kept"),
        pytest.param('<img src="data:image/png;base64,AAAA">', 'src="data:image/png;base64,AAAA"', "&lt;",
                     id="embedded-img-kept"),
    ],
)
def test_sanitize_html(html, present, absent):
    out = sanitize_html(html)
    assert present in out
    assert absent not in out
