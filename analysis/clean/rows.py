"""Row ids and per-cell flags: which rows of a sheet hold data.

- :func:`row_id`: the run-wide id of a raw row (its sheet's position in the run and its
  spreadsheet row), carried by every row through the steps and counted by the accounting.
- :func:`row_flags`: blank, missing and total flags of every cell, one pass per column.
- :func:`non_data_rows`: the total, note, breakdown (其中) and numbering rows of a sheet,
  skipped as intended (not problems in the data).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.clean import parse as P

#: bits of a row id that hold the spreadsheet row (rows < 2**21; Excel's limit is 1,048,576)
ROW_BITS = 21


def row_id(seq: Any, row: Any) -> Any:
    """Run-wide row id from the sheet's position ``seq`` and the 1-based spreadsheet ``row``.

    >>> int(row_id(1, 5)) == (1 << ROW_BITS) + 5, (row_id([1, 2], [3, 3]) >> ROW_BITS).tolist()
    (True, [1, 2])
    """
    return (np.asarray(seq, dtype="int64") << ROW_BITS) | np.asarray(row, dtype="int64")


@dataclass
class RowFlags:
    """Per-cell flags of a grid from one pass over each column's distinct values."""

    blank: np.ndarray  # (rows, columns): empty or whitespace
    missing: np.ndarray  # (rows, columns): empty or a missing-value token
    total: np.ndarray  # (rows, columns): the cell reads like a total (合计, 小计 …)
    codes: list[np.ndarray]  # per column: code of each cell into values
    values: list[np.ndarray]  # per column: each distinct raw value (None last)

    def column(self, j: int, rows: np.ndarray) -> P.Coded:
        """Column ``j`` of grid rows ``rows`` as :class:`~analysis.clean.parse.Coded`."""
        return P.Coded(self.codes[j][rows], self.values[j])

    def matches(self, j: int, rows: np.ndarray, pattern: re.Pattern) -> np.ndarray:
        """True where the lookup key of column ``j`` at ``rows`` matches ``pattern`` (one
        match per distinct value)."""
        codes = self.codes[j][rows]
        distinct, inverse = np.unique(codes, return_inverse=True)
        keys = (P.key_of(self.values[j][c]) for c in distinct)
        hit = np.array([k is not None and pattern.match(k) is not None for k in keys], dtype=bool)
        return hit[inverse] if len(codes) else np.zeros(0, dtype=bool)

    def keys(self, j: int, rows: np.ndarray) -> np.ndarray:
        """Lookup keys (see :func:`analysis.clean.parse.norm_key`) of column ``j`` at ``rows``."""
        codes = self.codes[j][rows]
        distinct, inverse = np.unique(codes, return_inverse=True)
        return np.array([P.key_of(self.values[j][c]) for c in distinct], dtype=object)[inverse]


def _cell_flags(v: Any, tokens: frozenset[str], total_re: re.Pattern) -> tuple[bool, bool, bool]:
    """(blank, missing, total) of one distinct raw value."""
    if v is None:
        return True, True, False
    if not isinstance(v, str):
        return False, False, False
    if len(v) > 12 and "计" not in v:  # long text: never a missing token or a total
        return (True, True, False) if not v.strip() else (False, False, False)
    k = P.key_of(v)
    return k == "", k == "" or k in tokens, "计" in k and total_re.match(k) is not None


def row_flags(cells: pd.DataFrame) -> RowFlags:
    """Blank, missing and total flags of every cell, factorising each column once.

    >>> f = row_flags(pd.DataFrame([["4101020001", "一小"], ["", "合计"], ["—", " "]], dtype=object))
    >>> f.blank.tolist(), f.missing.all(axis=1).tolist(), f.total.any(axis=1).tolist()
    ([[False, False], [True, False], [False, True]], [False, False, True], [False, True, False])
    """
    rules = P.value_maps()["rows"]
    total_re = re.compile(rules["total_pattern"])
    tokens = P.missing_tokens()
    n, m = cells.shape
    blank = np.zeros((n, m), dtype=bool)
    missing = np.zeros((n, m), dtype=bool)
    total = np.zeros((n, m), dtype=bool)
    codes_all, values_all = [], []
    for j, c in enumerate(cells.columns):
        codes, values = P.factorize(cells[c])
        values = values.to_numpy(dtype=object)
        flags = np.array([_cell_flags(v, tokens, total_re) for v in values], dtype=bool).reshape(-1, 3)
        blank[:, j] = flags[codes, 0]
        missing[:, j] = flags[codes, 1]
        total[:, j] = flags[codes, 2]
        codes_all.append(codes)
        values_all.append(values)
    return RowFlags(blank, missing, total, codes_all, values_all)


def _first_cell_rows(flags: RowFlags, rows: np.ndarray, cells: pd.DataFrame, rules: dict,
                     reason: np.ndarray, marker: np.ndarray) -> None:
    """Note, breakdown and numbering rows, told by their first non-missing cell: fills
    ``reason`` and ``marker`` (arrays local to :func:`non_data_rows`)."""
    firsts = [(re.compile(rules["note_pattern"]), rules["note_reason"]),
              (re.compile(rules["part_pattern"]), rules["part_reason"]),
              (re.compile(rules["numbering_pattern"]), rules["numbering_reason"])]
    missing = flags.missing[rows]
    first = np.argmax(~missing, axis=1)
    any_value = (~missing).any(axis=1)
    first_key = np.full(len(rows), "", dtype=object)
    for j in range(missing.shape[1]):
        at = (first == j) & any_value
        if at.any():
            first_key[at] = flags.keys(j, rows[at])
    for pattern, why in firsts:
        hit = np.array([isinstance(k, str) and pattern.match(k) is not None for k in first_key], dtype=bool)
        hit &= reason == None  # noqa: E711
        reason[hit] = why
        for j in np.unique(first[hit]):
            sel = hit & (first == j)
            marker[sel] = P.raw_text(cells.iloc[rows[sel], j]).to_numpy()


def non_data_rows(
    flags: RowFlags, rows: np.ndarray, cells: pd.DataFrame, free_text: Iterable[int] = (),
    name_columns: Iterable[int] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mask, reason, marker raw text) of total, note, breakdown and numbering rows among
    grid rows ``rows`` (positions into ``cells``). A total marker counts in any column but
    the free-text columns ``free_text`` (a note may well say 合计); a whole-area label
    (全县, 全市 …) only in the key and name columns ``name_columns`` (in other columns, such
    as a published figure's 城乡, it can be a value).

    >>> cells = pd.DataFrame([["4101020001", "一小", "30"], ["合计", "", "30"], ["注：示例", "", ""]], dtype=object)
    >>> mask, reason, marker = non_data_rows(row_flags(cells), np.arange(3), cells)
    >>> mask.tolist(), marker.tolist()
    ([False, True, True], [None, '合计', '注：示例'])
    """
    rules = P.value_maps()["rows"]
    n = len(rows)
    reason = np.full(n, None, dtype=object)
    marker = np.full(n, None, dtype=object)
    if n == 0:
        return np.zeros(0, dtype=bool), reason, marker
    _first_cell_rows(flags, rows, cells, rules, reason, marker)
    total_cells = flags.total[rows].copy()
    for j in free_text:
        total_cells[:, j] = False
    area_total = re.compile(rules["area_total_pattern"])
    for j in name_columns:
        total_cells[:, j] |= flags.matches(j, rows, area_total)
    total = total_cells.any(axis=1) & (reason == None)  # noqa: E711
    if total.any():
        reason[total] = rules["total_reason"]
        # the marker: the first cell that reads like a total
        first_total = np.argmax(total_cells, axis=1)
        for j in np.unique(first_total[total]):
            sel = total & (first_total == j)
            marker[sel] = P.raw_text(cells.iloc[rows[sel], j]).to_numpy()
    return reason != None, reason, marker  # noqa: E711
