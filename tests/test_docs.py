"""The documentation stays usable: links resolve inside the repository, the README stays
short, the generated guide tables match the code, every reject reason of the cleaner is
explained in the user guide, the screenshots are small and used, and the Makefile's RAW=
publishes only the given folder."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "用户指南.md"
DOCS = [README, *sorted((ROOT / "docs").rglob("*.md"))]

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def links(text: str) -> list[str]:
    """Link and image targets of a Markdown text, outside code.

    >>> links("see [a](b.md#x), ![i](img/p.png) and `[not](c.md)`\\n```\\n[no](d.md)\\n```\\n")
    ['b.md#x', 'img/p.png']
    """
    return _LINK.findall(_CODE.sub("", _FENCE.sub("", text)))


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens.

    >>> slug("五、没有用上的数据：qa_rejects 和 qa_accounting")
    '五没有用上的数据qa_rejects-和-qa_accounting'
    >>> slug("使用步骤：用本县自己的数据 / Steps: your county's own data")
    '使用步骤用本县自己的数据--steps-your-countys-own-data'
    """
    text = re.sub(r"[`*_]{2,}|`", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(h) for h in _HEADING.findall(text)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves_inside_the_repository(doc):
    problems = []
    for target in links(doc.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
            problems.append(f"{target}: points outside the repository")
            continue
        path_part, _, anchor = target.partition("#")
        dest = (doc.parent / unquote(path_part)).resolve() if path_part else doc.resolve()
        if not dest.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif not dest.exists():
            problems.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and unquote(anchor) not in anchors(dest):
            problems.append(f"{target}: no heading #{unquote(anchor)} in {dest.relative_to(ROOT)}")
    assert not problems, f"{doc.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_link_check_catches_bad_links(tmp_path):
    """The check above is not vacuous: the patterns find what a broken doc would hold."""
    text = "[up](../../shared/spec/raw-data.md) [web](https://example.org) [gone](nope.md) [a](#x)"
    assert links(text) == ["../../shared/spec/raw-data.md", "https://example.org", "nope.md", "#x"]
    assert "x" not in anchors(README)


def test_readme_is_short_and_for_users():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    for must in ("make reports", "make test", "make template", "使用步骤", "RAW=data/raw/",
                 "qa_rejects.csv", "qa_accounting.csv", "docs/用户指南.md", "docs/development.md"):
        assert must in text, must


def test_guide_tables_are_generated_from_the_code():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_guide_tables
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    text = make_guide_tables.render()
    from analysis.entry_template import template_sheets

    for sheet in template_sheets():  # every sheet and header of the template is in the file
        assert f"## {sheet.label}" in text
        for col in sheet.columns:
            assert f"| {col.header.replace('|', chr(92) + '|')} |" in text, (sheet.label, col.header)
    checked_in = (ROOT / "docs" / "填报模板字段.md").read_text(encoding="utf-8")
    assert checked_in == text, "docs/填报模板字段.md is out of date: run `make guide`"


def _reject_reasons() -> dict[str, str]:
    """Every reason the cleaner writes into qa_rejects: the Chinese constants of the cleaning
    modules and the non-data row reasons of clean_values.yaml (text before a placeholder)."""
    out = {}
    for module in ("parse", "kinds", "reconcile", "read", "header"):
        tree = ast.parse((ROOT / "analysis" / "clean" / f"{module}.py").read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                for t in node.targets:
                    if (isinstance(t, ast.Name) and t.id.isupper() and not t.id.startswith("_")
                            and re.search(r"[\u4e00-\u9fff]", node.value.value)):
                        out[f"{module}.{t.id}"] = node.value.value.split("{")[0]
    rows = yaml.safe_load((ROOT / "analysis" / "data" / "clean_values.yaml").read_text(encoding="utf-8"))["rows"]
    out.update({f"clean_values.{k}": v for k, v in rows.items() if k.endswith("_reason")})
    return out


def test_every_reject_reason_is_explained_in_the_user_guide():
    reasons = _reject_reasons()
    assert len(reasons) >= 20 and "kinds.MISSING_REQUIRED" in reasons
    guide = GUIDE.read_text(encoding="utf-8")
    missing = [f"{k}: {v}" for k, v in reasons.items() if v.strip() not in guide]
    assert not missing, "reasons the user guide does not explain:\n" + "\n".join(missing)


def test_screenshots_are_small_and_each_is_used():
    images = sorted((ROOT / "docs" / "images").glob("*.png"))
    assert images, "no screenshots: run `make screenshots`"
    used = "\n".join(p.read_text(encoding="utf-8") for p in DOCS)
    for img in images:
        assert img.stat().st_size <= 200_000, img.name
        assert f"images/{img.name}" in used, f"{img.name} is not shown in any document"
        assert img.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", img.name


def _make_n(*args: str) -> str:
    return subprocess.run(["make", "-n", "--no-print-directory", *args], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout


def test_make_reports_with_raw_publishes_only_that_folder():
    out = _make_n("reports", "RAW=data/raw/青石县/")
    assert "analysis sample" not in out
    assert "clean --raw data/raw/青石县/ --out data/processed/青石县" in out
    assert "--processed data/processed/青石县 --out reports/青石县" in out


def test_make_reports_without_raw_still_builds_and_cleans_the_sample():
    out = _make_n("reports", "-W", "data/raw/sample/.complete")  # as if the sample were stale
    assert "clean --raw data/raw --out data/processed" in out
    assert "--processed data/processed --out reports" in out


def test_make_template_passes_county_and_year():
    out = _make_n("template", "COUNTY=青石县", "YEAR=2024")
    assert "analysis template --out 填报模板.xlsx --county 青石县 --year 2024" in out
    assert "--county" not in _make_n("template")
