"""The package's import graph stays honest (issue 18).

Read from the source with :mod:`ast` (nothing is imported):

- no cycle among module-level imports;
- modules below publishing (presentation, studies, indicators, plan, documents, the chart kit)
  never import ``analysis.publish``;
- every function-local import of a package module says why it is deferred, in a comment on
  its line or the line above (start-up speed, a runtime patch, an optional dependency …);
- no private name (``_x``) of one module is imported by another;
- no function is longer than :data:`MAX_FUNCTION_LINES` lines.

Run as a script to print the graph's facts: ``python tests/test_imports.py``.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "analysis"
#: parts of the package these rules do not cover yet
EXCLUDED: tuple[str, ...] = ()
#: packages and modules that must not import ``analysis.publish``
BELOW_PUBLISHING = (
    "analysis.presentation", "analysis.studies", "analysis.indicators", "analysis.plan",
    "analysis.documents", "analysis.plotting", "analysis.region_plots", "analysis.config",
    "analysis.tables", "analysis.safe_names",
)
MAX_FUNCTION_LINES = 120


@dataclass(frozen=True)
class Import:
    """One import statement's target as seen from ``module``."""

    module: str           # the importing module
    target: str           # the imported module (``from a import b`` → ``a.b`` if that is a module)
    names: tuple[str, ...]
    lineno: int
    local: bool           # inside a function
    type_checking: bool   # under ``if TYPE_CHECKING:``
    reason: str           # the comment saying why it is deferred ('' if none)


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _excluded(name: str) -> bool:
    return any(name == e or name.startswith(e + ".") for e in EXCLUDED)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _reason(lines: list[str], lineno: int) -> str:
    """The comment on an import's line, or the comment lines just above it or above the
    group of imports it belongs to."""
    line = lines[lineno - 1]
    if "#" in line:
        return line.split("#", 1)[1].strip()
    i = lineno - 2
    # step over the imports just above (one comment may explain a group of them)
    while i >= 0 and (lines[i].strip().startswith(("from ", "import ", ")"))
                      or (lines[i].startswith(" ") and lines[i].strip().endswith(",")
                          and "=" not in lines[i] and "(" not in lines[i])):
        i -= 1
    above = []
    while i >= 0 and lines[i].strip().startswith("#"):
        above.append(lines[i].strip().lstrip("#").strip())
        i -= 1
    return " ".join(reversed(above))


def imports(known: dict[str, Path]) -> list[Import]:
    """Every import of a package module by a package module."""
    out: list[Import] = []
    for name, path in known.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        is_package = path.name == "__init__.py"

        def visit(node: ast.AST, local: bool, tc: bool, name=name, lines=lines, is_package=is_package):
            for child in ast.iter_child_nodes(node):
                child_local = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                child_tc = tc or (isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test))
                if isinstance(child, ast.Import):
                    for alias in child.names:
                        if alias.name.split(".")[0] == "analysis":
                            out.append(Import(name, alias.name, (), child.lineno, local, tc,
                                              _reason(lines, child.lineno)))
                elif isinstance(child, ast.ImportFrom):
                    base = _resolve(name, is_package, child)
                    if base.split(".")[0] != "analysis":
                        continue
                    names = tuple(a.name for a in child.names)
                    submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in known]
                    reason = _reason(lines, child.lineno)
                    for target in submodules:
                        out.append(Import(name, target, (), child.lineno, local, tc, reason))
                    if len(submodules) < len(names):
                        out.append(Import(name, base, tuple(n for n in names if f"{base}.{n}" not in known),
                                          child.lineno, local, tc, reason))
                visit(child, child_local, child_tc)

        visit(tree, False, False)
    return out


def _graph(found: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in found:
        if imp.local or imp.type_checking or _excluded(imp.module) or _excluded(imp.target):
            continue
        graph[imp.module].add(imp.target)
        # importing a.b.c runs a/__init__ and a/b/__init__ first
        parts = imp.target.split(".")
        for i in range(2, len(parts)):
            parent = ".".join(parts[:i])
            if parent != imp.module and not imp.module.startswith(parent + "."):
                graph[imp.module].add(parent)
    return graph


def cycles(found: list[Import]) -> list[list[str]]:
    """The strongly connected components (more than one module) of the module-level graph."""
    graph = _graph(found)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10_000)

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            strong(v)
    return out


def long_functions(known: dict[str, Path], limit: int = MAX_FUNCTION_LINES) -> list[str]:
    out = []
    for name, path in known.items():
        if _excluded(name):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    out.append(f"{name}.{node.name} ({length} lines)")
    return out


@pytest.fixture(scope="module")
def found():
    return imports(modules())


def test_no_import_cycle_among_module_level_imports(found):
    assert cycles(found) == []


def test_modules_below_publishing_do_not_import_it(found):
    below = [
        f"{i.module}:{i.lineno} imports {i.target}" for i in found
        if any(i.module == b or i.module.startswith(b + ".") for b in BELOW_PUBLISHING)
        and (i.target == "analysis.publish" or i.target.startswith("analysis.publish."))
    ]
    assert below == []


def test_each_function_local_import_says_why_it_is_deferred(found):
    silent = [
        f"{i.module}:{i.lineno} {i.target}" for i in found
        if i.local and not i.reason and not _excluded(i.module)
    ]
    assert silent == []


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def private_imports(found: list[Import]) -> list[str]:
    """Private names (or modules) of one module imported by another; a package may use its
    own private submodules."""
    out = []
    for i in found:
        if _excluded(i.module):
            continue
        parts = i.target.split(".")
        for k, part in enumerate(parts):
            owner = ".".join(parts[:k])
            if _private(part) and not (i.module == owner or i.module.startswith(owner + ".")):
                out.append(f"{i.module}:{i.lineno} {i.target}")
                break
        for n in i.names:
            # sibling private modules of one package (analysis.sample._*) share their helpers
            siblings = i.module.rsplit(".", 1)[0] == i.target.rsplit(".", 1)[0] and _private(
                i.module.rsplit(".", 1)[-1]) and _private(i.target.rsplit(".", 1)[-1])
            if _private(n) and not siblings:
                out.append(f"{i.module}:{i.lineno} {i.target}.{n}")
    return sorted(set(out) - set(ALLOWED_PRIVATE))


#: private names still imported across modules (none: the list may only shrink)
ALLOWED_PRIVATE: tuple[str, ...] = ()


def test_no_private_name_is_imported_from_another_module(found):
    assert private_imports(found) == []


#: functions still over the limit (to be split; the list may only shrink)
KNOWN_LONG: set[str] = set()


def test_no_function_is_longer_than_the_limit():
    assert [f for f in long_functions(modules()) if f.split(" ")[0] not in KNOWN_LONG] == []


def test_the_checker_sees_a_cycle_and_a_silent_local_import(tmp_path):
    a = Import("analysis.a", "analysis.b", (), 1, False, False, "")
    b = Import("analysis.b", "analysis.a", (), 1, False, False, "")
    deferred = Import("analysis.b", "analysis.a", (), 1, True, False, "")
    assert cycles([a, b]) == [["analysis.a", "analysis.b"]]
    assert cycles([a, deferred]) == []
    assert _reason(["x = 1", "    # start-up: pandas is slow", "    import analysis.a"], 3) == "start-up: pandas is slow"
    assert _reason(["    import analysis.a  # a runtime patch"], 1) == "a runtime patch"
    assert _reason(["x = 1", "    import analysis.a"], 2) == ""
    group = ["    # start-up", "    import analysis.a", "    from analysis.b import (", "        c,", "    )",
             "    from analysis.d import e"]
    assert _reason(group, 6) == "start-up"


if __name__ == "__main__":  # pragma: no cover - a maintainer's report
    every = imports(modules())
    print("cycles:", cycles(every))
    local = [i for i in every if i.local and not _excluded(i.module)]
    print(f"function-local imports: {len(local)}, without a reason: {sum(not i.reason for i in local)}")
    for i in local:
        if not i.reason:
            print(f"  {i.module}:{i.lineno} {i.target}")
    print("long functions:", *long_functions(modules()), sep="\n  ")
