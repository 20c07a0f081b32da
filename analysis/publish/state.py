"""What a county's reports were built from, to skip runs whose inputs did not change.

Each county folder ``reports/<year>/<county>/`` keeps ``publish_state.json``: per
notebook the status of its last run, when it finished, its error line and a
*fingerprint*: a SHA-256 over the processed tables (file contents), the standards files,
the report template, the run parameters, the notebook itself and the package
(:func:`package_digest`: its version and every file under ``analysis/`` — code, data
such as ``plan_costs.yaml``, templates — and the nbconvert version that renders the pages).
A notebook whose fingerprint equals that of its last *successful* run, and whose HTML is
still there, is skipped unless ``--force``.

Examples
--------
>>> fp = job_fingerprint("a" * 64, {"county": "城东区", "year": 2024}, "b" * 64)
>>> fp == job_fingerprint("a" * 64, {"year": 2024, "county": "城东区"}, "b" * 64), len(fp)
(True, 64)
>>> fp == job_fingerprint("c" * 64, {"county": "城东区", "year": 2024}, "b" * 64)
False
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from analysis.config import PACKAGE_DIR
from analysis.tables import write_json_atomic

#: state file kept in every county's report folder
STATE_FILE = "publish_state.json"
#: bump when the runner changes what it writes, so every report is rebuilt once
STATE_VERSION = 2
#: processed files that can change what a notebook shows
INPUT_PATTERNS = ("*.parquet", "*.json", "*.yaml", "*.csv")
#: the package whose code and data files the reports are made with
PACKAGE_ROOT = PACKAGE_DIR
#: parts of the package tree that never change a report
_PACKAGE_SKIP_DIRS = {"__pycache__"}
_PACKAGE_SKIP_SUFFIXES = (".pyc", ".pyo", ".tmp", ".swp", "~")

_CHUNK = 1 << 20
#: ``{path: ((mtime_ns, size), digest)}``: a file's digest is only recomputed when it changed
_DIGESTS: dict[str, tuple[tuple[int, int], str]] = {}


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def cached_file_digest(path: str | os.PathLike) -> str:
    """:func:`file_digest`, reused while the file's modification time and size are unchanged."""
    st = os.stat(path)
    key, stamp = os.fspath(path), (st.st_mtime_ns, st.st_size)
    hit = _DIGESTS.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    digest = file_digest(path)
    _DIGESTS[key] = (stamp, digest)
    return digest


def package_files(root: str | os.PathLike = PACKAGE_ROOT) -> list[Path]:
    """Every file of the package tree under ``root`` that can change a report, sorted.

    Caches and editor leftovers are left out; hidden files too.
    """
    root = Path(root)
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _PACKAGE_SKIP_DIRS and not d.startswith("."))
        out.extend(Path(dirpath) / f for f in filenames
                   if not f.startswith(".") and not f.endswith(_PACKAGE_SKIP_SUFFIXES))
    return sorted(out)


def package_digest(root: str | os.PathLike = PACKAGE_ROOT) -> str:
    """Digest of what the reports are made with: every file of the package at ``root``
    (code, ``data/*.yaml`` such as unit costs, templates), the package version and the
    nbconvert version (it renders the pages and their shared style sheet).

    Computed once per publish run; file contents are re-read only when a file's
    modification time or size changed since the last call in this process.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (pathlib.Path(d) / "costs.yaml").write_text("a: 1")
    ...     before = package_digest(d)
    ...     _ = (pathlib.Path(d) / "costs.yaml").write_text("a: 2")
    ...     before == package_digest(d)
    False
    """
    import nbconvert

    # deferred: keeps the command line's start-up light
    from analysis import __version__

    root = Path(root)
    h = hashlib.sha256(f"analysis {__version__}; nbconvert {nbconvert.__version__}\n".encode())
    for path in package_files(root):
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(cached_file_digest(path).encode("ascii") + b"\n")
    return h.hexdigest()


def files_digest(paths: Iterable[str | os.PathLike], root: str | os.PathLike | None = None) -> str:
    """One SHA-256 over several files: their names (relative to ``root``) and contents.

    >>> files_digest([]) == hashlib.sha256().hexdigest()
    True
    """
    h = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        name = path.relative_to(root).as_posix() if root is not None else path.name
        h.update(name.encode("utf-8") + b"\0" + file_digest(path).encode("ascii") + b"\n")
    return h.hexdigest()


def inputs_digest(processed_dir: str | os.PathLike, patterns: Iterable[str] = INPUT_PATTERNS) -> str:
    """Fingerprint of the processed tables (every matching file of ``processed_dir``)."""
    root = Path(processed_dir)
    paths = {p for pattern in patterns for p in root.glob(pattern) if p.is_file()}
    return files_digest(paths, root)


def job_fingerprint(inputs: str, parameters: Mapping[str, Any], notebook: str, *extra: str) -> str:
    """Fingerprint of one run: input digest, parameters, notebook digest and ``extra`` digests."""
    payload = json.dumps(
        {"v": STATE_VERSION, "inputs": inputs, "parameters": dict(parameters),
         "notebook": notebook, "extra": list(extra)},
        sort_keys=True, ensure_ascii=False, default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def read_state(folder: str | os.PathLike) -> dict[str, Any]:
    """The state of a county folder (empty when there is none or it is unreadable)."""
    path = Path(folder) / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"notebooks": {}}
    if not isinstance(state, dict) or not isinstance(state.get("notebooks"), dict):
        return {"notebooks": {}}
    return state


def write_state(folder: str | os.PathLike, state: Mapping[str, Any]) -> None:
    """Write a county folder's state atomically."""
    write_json_atomic(dict(state), Path(folder) / STATE_FILE)


def is_up_to_date(folder: str | os.PathLike, notebook: str, fingerprint: str, need_notebook: bool = False) -> bool:
    """True if ``notebook``'s last run succeeded with ``fingerprint`` and its HTML exists
    (and its executed notebook, where that run kept one or ``need_notebook`` asks for it)."""
    entry = read_state(folder)["notebooks"].get(notebook) or {}
    return (
        entry.get("status") == "ok"
        and entry.get("fingerprint") == fingerprint
        and bool(entry.get("html")) and (Path(folder) / str(entry["html"])).is_file()
        and (not (entry.get("ipynb") or need_notebook) or (Path(folder) / str(entry.get("ipynb"))).is_file())
    )
