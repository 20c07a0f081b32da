"""What a county's reports were built from, to skip runs whose inputs did not change.

Each county folder ``reports/<year>/<county>/`` keeps ``publish_state.json``: per
notebook the status of its last run, when it finished, its error line and a
*fingerprint*: a SHA-256 over the processed tables (file contents), the standards files,
the report template, the run parameters and the notebook itself. A notebook whose
fingerprint equals that of its last *successful* run, and whose HTML is still there, is
skipped unless ``--force``.

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

from analysis.tables import write_json_atomic

#: state file kept in every county's report folder
STATE_FILE = "publish_state.json"
#: bump when the runner changes what it writes, so every report is rebuilt once
STATE_VERSION = 1
#: processed files that can change what a notebook shows
INPUT_PATTERNS = ("*.parquet", "*.json", "*.yaml", "*.csv")

_CHUNK = 1 << 20


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
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


def is_up_to_date(folder: str | os.PathLike, notebook: str, fingerprint: str) -> bool:
    """True if ``notebook``'s last run succeeded with ``fingerprint`` and its HTML exists."""
    entry = read_state(folder)["notebooks"].get(notebook) or {}
    return (
        entry.get("status") == "ok"
        and entry.get("fingerprint") == fingerprint
        and (Path(folder) / str(entry.get("html", ""))).is_file()
        and (Path(folder) / str(entry.get("ipynb", ""))).is_file()
    )
