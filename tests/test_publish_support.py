"""Small parameterised notebooks for the publish tests (helpers + a check of the helpers).

The other ``test_publish*`` files and ``test_browser.py`` import these builders
(``from test_publish_support import ...``; pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

PARAMETERS = (
    'county = "示例县"\nyear = 2024\nprocessed_dir = "../data/processed"\n'
    'output_dir = "."\nstandards = "national"'
)

#: writes a chart and a table; shows the county name in Markdown and HTML outputs
CHART_CELLS = (
    "# 测试报告（示例数据（合成））",
    "import matplotlib.pyplot as plt\nimport pandas as pd\nfrom IPython.display import HTML, Markdown, display\n"
    "display(Markdown(f'## {county} {year}'))\n"
    "display(HTML(f'<p class=\"county\">{county}</p>'))\n"
    "fig, ax = plt.subplots(figsize=(3, 2))\nax.bar(['a', 'b'], [1, year % 7 + 1])\nax.set_title('chart')\n"
    "plt.show()\n"
    "pd.DataFrame({'county': [county], 'year': [year]})",
    "from pathlib import Path\nif output_dir:\n    Path(output_dir, 'marker.txt').write_text(county, encoding='utf-8')",
)

#: leaves state behind: a global, rcParams, a pandas option, an env var, the cwd
LEAK_SET_CELLS = (
    "# 留下状态",
    "import os\nimport matplotlib.pyplot as plt\nimport pandas as pd\n"
    "LEAKED = county\nplt.rcParams['lines.linewidth'] = 7.5\npd.set_option('display.max_rows', 3)\n"
    "os.environ['EDU_PUBLISH_LEAK'] = county\nos.chdir('/')\nprint('set', county)",
)

#: fails if any of that state is visible
LEAK_CHECK_CELLS = (
    "# 检查状态",
    "import os\nimport matplotlib.pyplot as plt\nimport pandas as pd\n"
    "assert 'LEAKED' not in globals(), 'global leaked'\n"
    "assert plt.rcParams['lines.linewidth'] != 7.5, 'rcParams leaked'\n"
    "assert pd.get_option('display.max_rows') != 3, 'pandas option leaked'\n"
    "assert 'EDU_PUBLISH_LEAK' not in os.environ, 'environment leaked'\n"
    "assert os.getcwd() != '/', 'cwd leaked'\nprint('clean', county, os.getcwd())",
)


def failing_cells(bad_county: str) -> tuple[str, ...]:
    """A notebook that raises for ``bad_county`` only."""
    return (
        "# 会失败的报告",
        "x = 1",
        f"if county == {bad_county!r}:\n    raise ValueError('bad data for ' + county)",
        "print('after', county)",
    )


def foreign_scripts(html: str) -> list[str]:
    """The ``<script>`` elements of a page other than the table/explorer script
    (``analysis/templates/edu_interactive.js``, inlined or the year's shared copy in
    ``_assets/``), and the explorer's JSON data islands."""
    from analysis.publish.export import TEMPLATES_DIR

    own = (TEMPLATES_DIR / "edu_interactive.js").read_text(encoding="utf-8").strip()
    found = []
    for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I):
        attrs, body = match.group(1), match.group(2)
        if not attrs.strip() and body.strip() == own:
            continue
        if re.fullmatch(r'\s*src="(?:\.\./)*_assets/edu_interactive\.js"\s*', attrs) and not body.strip():
            continue
        if sorted(attrs.split()) == ['class="edu-explorer-data"', 'type="application/json"'] and "<" not in body:
            continue
        found.append(match.group(0)[:200])
    unclosed = len(re.findall(r"<script\b", html, re.I)) - len(re.findall(r"<script\b[^>]*>.*?</script>", html, re.S | re.I))
    return found + ["<script> without </script>"] * unclosed


def make_notebook(cells: tuple[str, ...] | list[str]) -> nbformat.NotebookNode:
    """A notebook: Markdown for cells starting with '#', the tagged parameters cell first."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    body = [
        nbformat.v4.new_markdown_cell(c) if c.startswith("# ") else nbformat.v4.new_code_cell(c)
        for c in cells
    ]
    heading = [c for c in body if c.cell_type == "markdown"][:1]
    nb.cells = heading + [params] + [c for c in body if c not in heading]
    return nb


def write_notebooks(folder: Path, notebooks: dict[str, tuple[str, ...] | list[str]]) -> Path:
    """Write ``{name: cells}`` as ``folder/<name>.ipynb``; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, cells in notebooks.items():
        nbformat.write(make_notebook(cells), folder / f"{name}.ipynb")
    return folder


def fake_processed(folder: Path) -> Path:
    """A processed folder without core tables: one file, so inputs have a fingerprint."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "core_fake.parquet").write_bytes(b"not really parquet")
    return folder


_REF = re.compile(r"""<(?:a|link|img|script)\b[^>]*?\s(?:href|src)\s*=\s*["']([^"'#]+)""", re.IGNORECASE)


def linked_files(year_dir: Path) -> set[Path]:
    """Every local file that a page of ``year_dir`` (the index, the year's pages, every
    county and region page) links or loads: ``<a href>``, ``<link href>``, ``<img src>``,
    ``<script src>``."""
    from urllib.parse import unquote, urlsplit

    found: set[Path] = set()
    for page in year_dir.rglob("*.html"):
        for ref in _REF.findall(page.read_text(encoding="utf-8")):
            if urlsplit(ref).scheme or ref.startswith("//"):
                continue
            found.add((page.parent / unquote(ref)).resolve())
    return found


def unlinked_files(folder: Path, year_dir: Path) -> list[str]:
    """Files of ``folder`` that no page of the year links (its state file aside: bookkeeping)."""
    from analysis.publish.state import STATE_FILE

    linked = linked_files(year_dir)
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and p.name != STATE_FILE and p.resolve() not in linked)


def test_notebooks_are_valid(tmp_path):
    folder = write_notebooks(tmp_path, {"chart": CHART_CELLS, "bad": failing_cells("乙县")})
    for path in folder.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.cells[1].metadata["tags"] == ["parameters"]
        assert nb.cells[0].cell_type == "markdown"
