"""Project-level checks: dependency lists agree, notebooks are stripped, layout is complete."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    assert m, req
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = dict(_split(r) for r in project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared.update(_split(r) for r in extra)
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            conda.update(_split(r) for r in dep["pip"] if not r.startswith("-e"))
        elif not dep.startswith(("python=", "pip")) or dep.startswith("python-"):
            conda.update([_split(dep)])
    assert conda == declared


def test_environment_python_matches_requires_python():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "python=3.11" in env["dependencies"]
    assert ">=3.11" in project["requires-python"]


@pytest.mark.parametrize("nb", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_are_stripped_and_parameterised(nb):
    content = json.loads(nb.read_text(encoding="utf-8"))
    code = [c for c in content["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), (
        f"{nb.name} has outputs: run `make strip`"
    )
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{nb.name} needs exactly one cell tagged 'parameters'"


def test_layout_matches_product_design():
    for path in ["notebooks", "analysis", "data/raw", "data/processed", "environment.yml",
                 "Makefile", "README.md", "pyproject.toml", "tests", "benchmarks", ".ci/run"]:
        assert (ROOT / path).exists(), path


def test_make_help_lists_the_readme_commands():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True)
    for target in ("reports", "test", "data", "lab", "test-all"):
        assert re.search(rf"\b{target}\b", out.stdout), target
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make reports" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_cli_help_runs():
    out = subprocess.run([sys.executable, "-m", "analysis", "--help"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert "COMMAND" in out.stdout


def test_publish_skips_the_slow_optional_iri_checker():
    """``python -m analysis publish`` keeps jsonschema from loading rfc3987_syntax (it compiles
    a grammar on import, most of a second): the command line imports no jsonschema before
    the publish command runs, and notebooks still validate without it."""
    code = (
        "import sys\n"
        "from analysis.__main__ import build_parser\n"
        "build_parser()\n"
        "assert 'jsonschema' not in sys.modules, 'imported before publish could skip the IRI checker'\n"
        "from analysis.publish._worker import skip_slow_optional_imports\n"
        "skip_slow_optional_imports()\n"
        "import analysis.publish.runner, nbformat\n"
        "nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')]))\n"
        "print('loaded' if sys.modules.get('rfc3987_syntax') is not None else 'skipped')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert run.stdout.strip().splitlines()[-1] == "skipped"


def test_each_command_is_registered_by_the_module_the_command_line_imports_for_it():
    import argparse

    from analysis.__main__ import COMMAND_MODULES, build_parser

    def commands(parser):
        (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return list(sub.choices)

    assert commands(build_parser()) == list(COMMAND_MODULES)  # --help lists them all, in order
    for name in COMMAND_MODULES:
        assert commands(build_parser(name)) == [name]
