"""Reading and writing the workbench's tables (Parquet), validated and atomic.

Every core_*, out_* and qa_* table is written through :func:`write_tables`, which
validates each frame against its schema from the column dictionary *before* anything is
written, writes to temporary files beside the targets and only then moves them into place
(``os.replace``), so an interrupted or failed run leaves the previous tables intact.

Examples
--------
>>> import tempfile
>>> from analysis.dictionary import empty_frame
>>> with tempfile.TemporaryDirectory() as d:
...     _ = write_tables({"qa_accounting": empty_frame("qa_accounting")}, d)
...     read_table("qa_accounting", d).columns.tolist()[:3]
['source_file', 'source_sheet', 'table_kind']
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.config import DEFAULT_PROCESSED, atomic_write
from analysis.dictionary import coerce, table_columns, validate


class MissingTableError(FileNotFoundError):
    """A table the caller needs has not been built (run ``make data`` first)."""


def table_path(name: str, processed_dir: str | os.PathLike = DEFAULT_PROCESSED) -> Path:
    """Where table ``name`` lives as Parquet."""
    return Path(processed_dir) / f"{name}.parquet"


def _write_parquet_atomic(df: pd.DataFrame, path: Path) -> None:
    arrow = pa.Table.from_pandas(df, preserve_index=False)
    # No creation timestamp in the metadata: re-runs on the same input give identical files.
    atomic_write(path, lambda fh: pq.write_table(arrow, fh, compression="zstd"))


def write_tables(
    frames: Mapping[str, pd.DataFrame],
    processed_dir: str | os.PathLike = DEFAULT_PROCESSED,
    *,
    coerce_types: bool = True,
) -> dict[str, Path]:
    """Validate every frame against its schema, then write them all as Parquet.

    Nothing is written unless every frame validates. Returns ``{table: path}``.
    """
    ready: dict[str, pd.DataFrame] = {}
    for name, df in frames.items():
        df = coerce(df, name) if coerce_types else df
        ready[name] = validate(df, name)
    written: dict[str, Path] = {}
    for name, df in ready.items():
        path = table_path(name, processed_dir)
        _write_parquet_atomic(df, path)
        written[name] = path
    return written


def write_json_atomic(obj: object, path: str | os.PathLike) -> None:
    """Write ``obj`` as UTF-8 JSON to ``path`` atomically."""
    atomic_write(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str))


def read_table(
    name: str,
    processed_dir: str | os.PathLike = DEFAULT_PROCESSED,
    columns: Iterable[str] | None = None,
    filters: list | None = None,
) -> pd.DataFrame:
    """Read table ``name`` (optionally only some ``columns``, or rows matching ``filters``).

    ``filters`` uses pyarrow's syntax, e.g. ``[("county", "==", "城关区")]``.
    Raises :class:`MissingTableError` naming the file when the table was never built.
    """
    path = table_path(name, processed_dir)
    if not path.exists():
        raise MissingTableError(
            f"{path}: table {name!r} has not been built; run `make data` "
            f"(python -m analysis clean) first"
        )
    cols = list(columns) if columns is not None else None
    if cols is not None:
        unknown = [c for c in cols if c not in table_columns(name)]
        if unknown:
            raise KeyError(f"table {name!r} has no columns {unknown}; it has {table_columns(name)}")
    return pd.read_parquet(path, columns=cols, filters=filters)
