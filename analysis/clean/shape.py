"""The shape step: every table kind's sheets into rows of the core and internal tables.

:func:`shape_kinds` converts the data rows of all sheets of one kind at once
(:func:`analysis.clean.kinds.convert_kind`: values parsed, units converted, bad rows
rejected, rows shaped into their tables), gives every row its run-wide id ``_rid`` and
returns one frame per table, empty ones included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from analysis.clean import kinds as K
from analysis.clean.frames import StepResult, table_keys
from analysis.clean.header import Synonyms
from analysis.clean.rows import row_id
from analysis.clean.sheets import Sheet
from analysis.dictionary import table


@dataclass(frozen=True)
class Shaped(StepResult):
    """The shape step's result; ``value_keys``: distinct raw school types and subjects seen
    (for the notes about unused mappings)."""

    value_keys: dict[str, set[str]] = field(default_factory=dict)


def shape_kinds(sheets: Sequence[Sheet], syn: Synonyms) -> Shaped:
    """Frames of every core and internal table from the sheets read, kind by kind (in the
    order of synonyms.yaml); the rejects are the sheets' total and note rows (skipped, with
    ``is_skipped_row``) and the rows of unreadable or missing required values."""
    # the total / note rows found per sheet: skipped as intended, not problems
    rejects = [s.rejects.assign(is_skipped_row=True) for s in sheets if len(s.rejects)]
    warnings: list[str] = []
    value_keys: dict[str, set[str]] = {}
    produced: dict[str, list[pd.DataFrame]] = {}
    for kind, spec in syn.kinds.items():
        inputs = [s.input for s in sheets if s.kind == kind]
        if not inputs:
            continue
        result = K.convert_kind(spec, inputs)
        rejects.append(result.rejects)
        warnings += result.warnings
        for name, keys in result.value_keys.items():
            value_keys.setdefault(name, set()).update(keys)
        for name, f in result.frames.items():
            if len(f):
                produced.setdefault(name, []).append(f.assign(_rid=row_id(f["_seq"].to_numpy(), f["source_row"].to_numpy())))
        if "core_teachers" in result.frames:
            subjects = result.frames["core_teachers"]["main_subject"].dropna().unique()
            value_keys.setdefault("main_subject", set()).update(map(str, subjects))
    frames = {}
    for name in table_keys():
        parts = produced.get(name, [])
        frames[name] = pd.concat(parts, ignore_index=True) if parts else empty_with_source(name)
    return Shaped(frames, tuple(rejects), tuple(warnings), value_keys)


def empty_with_source(name: str) -> pd.DataFrame:
    """An empty frame of table ``name`` with the source columns and ``_rid``.

    >>> empty_with_source("core_schools")[["source_row", "_rid"]].dtypes.astype(str).tolist()
    ['int64', 'int64']
    """
    cols = K.target_columns(name) if name in K.INTERNAL_TABLES else table(name).columns
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    for c in ("source_file", "source_sheet", "source_row", "_seq", "_rid"):
        df[c] = pd.Series(dtype="int64" if c in ("source_row", "_seq", "_rid") else object)
    return df
