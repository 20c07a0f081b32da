"""One home for the project's folders, its data files and safe file writes.

- Folders: :data:`PACKAGE_DIR`, :data:`DATA_DIR` (the package's data files), :data:`TEMPLATES_DIR`,
  :data:`REPO_ROOT` (a checkout's root), :data:`NOTEBOOKS_DIR`, :data:`DEFAULT_RAW`,
  :data:`DEFAULT_PROCESSED`, :data:`DEFAULT_REPORTS`.
- Data files: :func:`data_path` names a file under ``analysis/data``; :func:`load_yaml`
  reads a YAML data file once per process (a fresh copy each call, safe to modify).
- Writes: :func:`atomic_write` writes a file beside its target and moves it into place, so
  a reader never sees half a file and a failed write leaves the old one.

No heavy imports: the command line reads this module at start-up.

Examples
--------
>>> data_path("synonyms.yaml").name
'synonyms.yaml'
>>> load_yaml("report.yaml")["collapse_rows"] >= 1
True
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     p = atomic_write(pathlib.Path(d) / "a" / "x.txt", "甲")
...     p.read_text(encoding="utf-8"), sorted(q.name for q in p.parent.iterdir())
('甲', ['x.txt'])
"""

from __future__ import annotations

import functools
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = [
    "DATA_DIR",
    "DEFAULT_PROCESSED",
    "DEFAULT_RAW",
    "DEFAULT_REPORTS",
    "NOTEBOOKS_DIR",
    "PACKAGE_DIR",
    "REPO_ROOT",
    "TEMPLATES_DIR",
    "atomic_write",
    "data_path",
    "load_yaml",
]

#: the package (``analysis/``)
PACKAGE_DIR = Path(__file__).resolve().parent
#: the package's data files: column dictionary, standards, synonyms, costs …
DATA_DIR = PACKAGE_DIR / "data"
#: Jinja (HTML) and Word templates of the reports
TEMPLATES_DIR = PACKAGE_DIR / "templates"
#: a checkout's root (where ``notebooks/`` and ``data/`` live)
REPO_ROOT = PACKAGE_DIR.parent
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
#: the bureau's files, read only (relative to the working directory, as the commands take them)
DEFAULT_RAW = Path("data/raw")
#: where cleaning writes the core tables and the engine reads them
DEFAULT_PROCESSED = Path("data/processed")
#: where publishing writes the reports
DEFAULT_REPORTS = Path("reports")


def data_path(name: str | os.PathLike) -> Path:
    """The data file ``name`` of the package (``analysis/data/<name>``); absolute paths as they are."""
    p = Path(name)
    return p if p.is_absolute() else DATA_DIR / p


def _read_yaml(path: str) -> Any:
    import yaml

    # libyaml's loader where PyYAML was built with it (several times faster; same result)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader


@functools.cache
def _yaml_blob(path: str, mtime_ns: int) -> bytes:
    """The file's content, pickled: unpickling gives a fresh copy several times faster than
    ``copy.deepcopy`` (the analysis parameters are read hundreds of times per report)."""
    return pickle.dumps(_read_yaml(path), protocol=pickle.HIGHEST_PROTOCOL)


def load_yaml(name: str | os.PathLike) -> Any:
    """The content of YAML data file ``name`` (under ``analysis/data`` unless absolute).

    The package's own files are read once per process while unchanged; a file outside the
    package (a user's standards or groups file) is read at every call, so an edit made a
    moment ago is never missed. Every call returns a fresh copy.
    """
    path = data_path(name)
    if not path.resolve().is_relative_to(PACKAGE_DIR):
        return _read_yaml(str(path))
    return pickle.loads(_yaml_blob(str(path), path.stat().st_mtime_ns))  # noqa: S301 - our own pickle


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, content: str | bytes | Callable[[IO[bytes]], Any], *,
                 encoding: str = "utf-8") -> Path:
    """Write ``content`` (text, bytes, or a function writing to a binary file) to ``path``
    atomically: into a temporary file beside it, then ``os.replace``. Folders are created;
    on any error the temporary file is removed and ``path`` is untouched. The file gets
    ordinary permissions (``0o666`` less the umask), as ``open`` would give it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if callable(content):
                content(fh)
            else:
                fh.write(content.encode(encoding) if isinstance(content, str) else content)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp gives 0600; a written file gets ordinary permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
