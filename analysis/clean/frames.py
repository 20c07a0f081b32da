"""What the cleaning steps hand each other: frames by table, and a step's result.

Every step after reading takes ``{table: DataFrame}`` and returns a :class:`StepResult`:
the new frames (the input mapping is never modified), the reject records of the rows it
rejected and its warnings about the data. Rows carry their source (``source_file``,
``source_sheet``, ``source_row``, ``_seq``) and run-wide id ``_rid`` (see
:func:`analysis.clean.rows.row_id`) until the tables are finished.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.clean import kinds as K
from analysis.dictionary import coerce, table, tables

#: frames by table name: the core tables and the internal ones of ``kinds.INTERNAL_TABLES``
Frames = Mapping[str, pd.DataFrame]


@dataclass(frozen=True)
class StepResult:
    """The frames a step returns, with the reject records and warnings it produced.

    >>> r = StepResult({"t": pd.DataFrame({"a": [1]})}, warnings=("one",))
    >>> r2 = r.then(lambda f: StepResult({**f, "u": pd.DataFrame()}, warnings=("two",)))
    >>> sorted(r2.frames), r2.warnings
    (['t', 'u'], ('one', 'two'))
    """

    frames: Frames
    rejects: tuple[pd.DataFrame, ...] = ()
    warnings: tuple[str, ...] = ()

    def then(self, step: Callable[[Frames], StepResult]) -> StepResult:
        """Run ``step`` on these frames; its rejects and warnings follow these."""
        r = step(self.frames)
        return StepResult(r.frames, self.rejects + r.rejects, self.warnings + r.warnings)


def table_keys() -> dict[str, list[str]]:
    """The key of every core table and internal table (rows with the same key are duplicates)."""
    keys = {name: list(t.key) for name, t in tables().items() if name.startswith("core_")}
    keys.update({name: spec["key"] for name, spec in K.INTERNAL_TABLES.items()})
    return keys


def where(file: str, sheet: Any, row: int) -> str:
    """A raw row's place as the analyst reads it.

    >>> where("a.xlsx", "2024年", 12), where("b.csv", None, 3)
    ('a.xlsx [2024年] 第12行', 'b.csv 第3行')
    """
    place = f"{file} [{sheet}]" if isinstance(sheet, str) and sheet else str(file)
    return f"{place} 第{row}行"


def reject_rows(frame: pd.DataFrame, mask: np.ndarray, kind_of: Mapping[int, str], reason: Any,
                raw_value: Any = None) -> pd.DataFrame:
    """Reject records (one per raw row) of the rows of ``frame`` where ``mask`` holds;
    ``kind_of`` gives each sheet's table kind by ``_seq``; ``reason`` and ``raw_value`` are
    one value or one per rejected row."""
    sub = frame.loc[mask]
    n = len(sub)
    return pd.DataFrame(
        {
            "source_file": sub["source_file"].to_numpy(),
            "source_sheet": sub["source_sheet"].to_numpy(),
            "source_row": sub["source_row"].to_numpy(dtype="int64"),
            "table_kind": [kind_of[int(s)] for s in sub["_seq"].to_numpy()],
            "source_column": [None] * n,
            "raw_value": raw_value if raw_value is not None else [None] * n,
            "reason": reason if not isinstance(reason, str) else [reason] * n,
            "_seq": sub["_seq"].to_numpy(),
        }
    ).drop_duplicates(subset=["source_file", "source_sheet", "source_row"])


def sorted_table(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """``df`` with the columns and types of table ``name``, sorted by its key."""
    key = list(table(name).key)
    out = coerce(df, name)
    if key and len(out):
        out = out.sort_values(key, kind="stable", na_position="last").reset_index(drop=True)
    return out
