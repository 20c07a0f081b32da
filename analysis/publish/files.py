"""Atomic text writes for report files (write beside, then ``os.replace``).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     p = write_text_atomic(pathlib.Path(d) / "a" / "x.html", "<p>示例</p>")
...     p.read_text(encoding="utf-8")
'<p>示例</p>'
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` so readers never see a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
