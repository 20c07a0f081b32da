"""The one column dictionary, and the table schemas generated from it.

Columns are described once in ``analysis/data/columns*.yaml`` and tables in
``analysis/data/tables*.yaml``. Everything else (pandera schemas, Chinese chart
labels, the published data dictionary) is derived from those files.

Examples
--------
>>> column_label("teaching_area_m2")
'教学及辅助用房面积（平方米）'
>>> value_label("section", "junior")
'初中'
>>> "school_id" in table_columns("core_schools")
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from analysis.config import DATA_DIR, load_yaml

DICTIONARY_DIR = DATA_DIR

#: dtypes allowed in the dictionary, and the pandas dtype each stands for.
DTYPES: dict[str, str] = {
    "str": "str",
    "int64": "int64",
    "Int64": "Int64",
    "float64": "float64",
    "bool": "bool",
    "boolean": "boolean",
    "date": "datetime64[ms]",
}

_COLUMN_FIELDS = {"dtype", "label", "unit", "description", "nullable", "values", "pattern", "ge", "le", "kind"}


@dataclass(frozen=True)
class Column:
    """One entry of the column dictionary."""

    name: str
    dtype: str
    label: str
    description: str
    unit: str | None = None
    nullable: bool = False
    values: dict[str, str] | None = None
    pattern: str | None = None
    ge: float | None = None
    le: float | None = None
    #: how values print (:mod:`analysis.presentation.kinds`); None: from the unit, dtype and name
    kind: str | None = None

    @property
    def pandas_dtype(self) -> str:
        return DTYPES[self.dtype]


@dataclass(frozen=True)
class Table:
    """A table: its columns in order, its unique key and a description."""

    name: str
    description: str
    columns: tuple[str, ...]
    key: tuple[str, ...] = field(default_factory=tuple)


def _load_yaml_files(pattern: str) -> dict[str, tuple[dict[str, Any], Path]]:
    merged: dict[str, tuple[dict[str, Any], Path]] = {}
    for path in sorted(DICTIONARY_DIR.glob(pattern)):
        content = load_yaml(path) or {}
        for name, entry in content.items():
            if name in merged:
                raise ValueError(
                    f"{name!r} is defined twice in the dictionary: {merged[name][1].name} and {path.name}"
                )
            merged[name] = (entry, path)
    return merged


@functools.cache
def columns() -> dict[str, Column]:
    """All columns of the dictionary, by name."""
    out: dict[str, Column] = {}
    for name, (entry, path) in _load_yaml_files("columns*.yaml").items():
        unknown = set(entry) - _COLUMN_FIELDS
        if unknown:
            raise ValueError(f"{path.name}: column {name!r} has unknown fields {sorted(unknown)}")
        if entry.get("dtype") not in DTYPES:
            raise ValueError(
                f"{path.name}: column {name!r} has dtype {entry.get('dtype')!r}; allowed: {sorted(DTYPES)}"
            )
        values = entry.get("values")
        out[name] = Column(
            name=name,
            dtype=entry["dtype"],
            label=entry["label"],
            description=entry.get("description", ""),
            unit=entry.get("unit"),
            nullable=bool(entry.get("nullable", False)),
            values={str(k): str(v) for k, v in values.items()} if values else None,
            pattern=entry.get("pattern"),
            ge=entry.get("ge"),
            le=entry.get("le"),
            kind=entry.get("kind"),
        )
    return out


@functools.cache
def tables() -> dict[str, Table]:
    """All tables of the dictionary, by name."""
    cols = columns()
    out: dict[str, Table] = {}
    for name, (entry, path) in _load_yaml_files("tables*.yaml").items():
        missing = [c for c in entry["columns"] if c not in cols]
        if missing:
            raise ValueError(f"{path.name}: table {name!r} uses columns missing from the dictionary: {missing}")
        out[name] = Table(
            name=name,
            description=" ".join(str(entry.get("description", "")).split()),
            columns=tuple(entry["columns"]),
            key=tuple(entry.get("key", ())),
        )
    return out


def column(name: str) -> Column:
    """The dictionary entry of column ``name``; raises KeyError naming it."""
    try:
        return columns()[name]
    except KeyError:
        raise KeyError(f"column {name!r} is not in the column dictionary") from None


def table(name: str) -> Table:
    """The definition of table ``name``; raises KeyError listing the known tables."""
    try:
        return tables()[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known tables: {sorted(tables())}") from None


def table_columns(name: str) -> list[str]:
    """Column names of table ``name`` in order."""
    return list(table(name).columns)


def column_label(name: str, with_unit: bool = True) -> str:
    """Chinese label of a column for charts and reports, with its unit in brackets."""
    col = columns().get(name)
    if col is None:
        return name
    if with_unit and col.unit:
        return f"{col.label}（{col.unit}）"
    return col.label


def value_label(name: str, value: Any) -> str:
    """Chinese label of a coded value (``section='junior'`` gives ``'初中'``)."""
    col = columns().get(name)
    if col is None or col.values is None or value is None:
        return str(value)
    return col.values.get(str(value), str(value))


def value_labels(name: str) -> dict[str, str]:
    """All ``{code: Chinese label}`` of a coded column (empty for free columns)."""
    col = column(name)
    return dict(col.values or {})


def empty_frame(name: str) -> pd.DataFrame:
    """An empty frame with the columns and dtypes of table ``name``."""
    return pd.DataFrame({c: pd.Series(dtype=column(c).pandas_dtype) for c in table_columns(name)})


def coerce(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Select and order the columns of table ``name`` and cast them to the dictionary dtypes."""
    out = {}
    for c in table_columns(name):
        col = column(c)
        if c not in df.columns:
            out[c] = pd.Series(None, index=df.index, dtype=col.pandas_dtype)
            continue
        s = df[c]
        if col.dtype == "date":
            s = pd.to_datetime(s).astype(col.pandas_dtype)
        elif col.dtype == "str":
            s = s.astype("str").where(s.notna(), None) if len(s) else s.astype("str")
            s = s.astype("str")
        else:
            s = s.astype(col.pandas_dtype)
        out[c] = s
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def _checks(col: Column) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.values is not None:
        checks.append(pa.Check.isin(list(col.values)))
    if col.pattern is not None:
        checks.append(pa.Check.str_matches(col.pattern))
    if col.ge is not None:
        checks.append(pa.Check.ge(col.ge))
    if col.le is not None:
        checks.append(pa.Check.le(col.le))
    return checks


@functools.cache
def schema_for(name: str) -> pa.DataFrameSchema:
    """The pandera schema of table ``name``, generated from the dictionary."""
    tbl = table(name)
    schema_cols = {}
    for c in tbl.columns:
        col = column(c)
        schema_cols[c] = pa.Column(
            col.pandas_dtype,
            checks=_checks(col),
            nullable=col.nullable,
            title=col.label,
            description=col.description,
        )
    return pa.DataFrameSchema(
        schema_cols,
        name=name,
        strict=True,
        ordered=True,
        unique=list(tbl.key) or None,
        report_duplicates="exclude_first",
        description=tbl.description,
    )


def validate(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Validate ``df`` against table ``name`` (all failures reported together).

    Raises ``pandera.errors.SchemaErrors`` listing every failing column and check.
    """
    return schema_for(name).validate(df, lazy=True)


def data_dictionary() -> pd.DataFrame:
    """The published data dictionary: one row per table and column."""
    rows = []
    for tbl in tables().values():
        for c in tbl.columns:
            col = column(c)
            rows.append(
                {
                    "table": tbl.name,
                    "column": c,
                    "label_zh": col.label,
                    "dtype": col.dtype,
                    "unit": col.unit or "",
                    "nullable": col.nullable,
                    "is_key": c in tbl.key,
                    "allowed": "; ".join(f"{k}={v}" for k, v in (col.values or {}).items()),
                    "description": col.description,
                }
            )
    return pd.DataFrame(rows)
