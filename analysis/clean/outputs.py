"""The write step: the tables, their QA copies for Excel, the warnings and the manifest.

Every file is written atomically: the Parquet tables through
:func:`analysis.tables.write_tables` (validated against the column dictionary first, so
nothing is written unless every table is valid), the rest through
:func:`analysis.config.atomic_write`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from analysis.config import atomic_write
from analysis.errors import InputError
from analysis.tables import write_tables

#: tables also written as CSV (UTF-8 with BOM, for Excel)
CSV_TABLES = ("qa_accounting", "qa_rejects")


def write_outputs(out: Mapping[str, pd.DataFrame], out_dir: Path, raw_dir: Path, files: Sequence[Path],
                  skipped: Sequence[str], failures: Iterable[InputError] = ()) -> dict[str, Path]:
    """Write the tables ``out`` as Parquet, the QA tables as CSV too, and ``manifest.json``
    (every table with its rows and checksum, every input, the files skipped and failed).
    Returns ``{table or file: path}``."""
    written = write_tables(out, out_dir)
    for name in CSV_TABLES:
        path = out_dir / f"{name}.csv"
        atomic_write(path, lambda fh, df=out[name]: df.to_csv(fh, index=False, encoding="utf-8-sig", lineterminator="\n"))
        written[f"{name}.csv"] = path
    manifest = {
        "generator": "analysis.clean",
        "tables": {
            name: {"file": path.name, "rows": len(out[name]), "sha256": sha256(path)}
            for name, path in sorted(written.items()) if name in out
        },
        "inputs": [
            {"file": p.relative_to(raw_dir).as_posix(), "bytes": p.stat().st_size, "sha256": sha256(p)} for p in files
        ],
        "skipped": list(skipped),
        "failed": [{"file": f.file, "sheet": f.sheet, "problem": f.problem} for f in failures],
    }
    path = out_dir / "manifest.json"
    atomic_write(path, json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str))
    written["manifest.json"] = path
    return written


def write_warnings(path: Path, warnings: Iterable[str], notes: Iterable[str], mapping_notes: Iterable[str]) -> Path:
    """``qa_warnings.txt``: every warning about the data and the notes, then the notes about
    the mapping files (UTF-8, one message a line).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_warnings(Path(d) / "qa_warnings.txt", ["a.csv: 提示"], [], ["synonyms.yaml: 未用"])
    ...     p.read_text(encoding="utf-8").splitlines()[1:]
    ['a.csv: 提示', '', '# 关于映射文件的说明，供维护者参考 (notes about the mapping files, for the maintainer)', 'synonyms.yaml: 未用']
    """
    lines = ["# 关于数据的提示 (warnings about the data)", *warnings, *notes, "",
             "# 关于映射文件的说明，供维护者参考 (notes about the mapping files, for the maintainer)",
             *mapping_notes]
    return atomic_write(path, "\n".join(lines) + "\n")


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
