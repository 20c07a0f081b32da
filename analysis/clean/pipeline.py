"""The cleaning run: raw folder -> validated core tables, rejects and accounting.

:func:`clean` reads every workbook and CSV file under the raw folder, finds each sheet's
header and table kind, parses the values, and writes the core tables of
``analysis/data/tables.yaml`` plus ``qa_rejects`` and ``qa_accounting`` (Parquet, validated
against the column dictionary, written atomically), ``qa_rejects.csv`` /
``qa_accounting.csv`` (UTF-8 with BOM, for Excel) and ``manifest.json``.

Accounting. ``rows_read`` of a sheet counts the rows below its header that hold anything;
entirely blank rows (trailing empty rows, spacer rows) are not counted at all. Every counted
row is either kept (it reached a clean table), skipped (a total, note, 其中 or column-numbering
row: not data, skipped as intended) or rejected (a problem in the data: unreadable or missing
required values, duplicate keys, counts for a school that does not exist). Skipped and rejected
rows are both in ``qa_rejects`` with their reason, told apart by ``is_skipped_row``, so
``rows_read = rows_kept + rows_skipped + rows_rejected`` per file and sheet; the run checks
this and fails loudly if it ever does not hold.

Messages. ``report.warnings`` are about the data (ignored columns, years taken from a title,
sheets skipped …); ``report.mapping_notes`` are about the mapping files themselves (synonyms,
school types and subjects no input used), for whoever maintains them: the command prints them
only with ``--verbose``. Both are written to ``qa_warnings.txt``.

Decisions. A value that cannot be read rejects its whole row, in an optional column too (a
school whose equipment value reads ``约三百`` is not kept with the figure silently blank); a
row may give several reject records, one per bad cell. Of rows with the same key (year and
school, year, school and teacher …) the first in file order is kept and the later ones are rejected
naming it; a row hidden in its workbook comes after every visible row (a visible row wins). An
Excel error cell (``#DIV/0!`` …) rejects its row like any unreadable value. A teaching point whose parent school is not found that year is kept, with a
warning. Counts and section facilities of a school or section that does not exist are
rejected; a school-year with a roster takes its teacher counts from the roster.

Isolation. A file that cannot be used as a whole (undecodable bytes, an unreadable workbook,
an empty file) or a sheet that cannot (a header over figures that names no known columns, a
required column missing, an ambiguous kind, no year anywhere) is listed in
``report.failures`` and in ``qa_accounting`` (``file_status`` failed, with the reason); every
other file is cleaned and written, and ``python -m analysis clean`` exits 2. With
``strict=True`` the first such file raises :class:`~analysis.errors.InputError` before
anything is written. A run where no file can be used, or that finds no table at all (an
empty raw folder), raises too, so the previous processed data stays as it was. Sheets that
are not tables (an unused Sheet2, hidden dropdown lists, chart sheets, 填表说明, covers,
目录, notes) are only skipped, with a warning naming them.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.clean import kinds as K
from analysis.clean import parse as P
from analysis.clean.header import (
    IGNORED,
    Header,
    KindMatch,
    Synonyms,
    duplicate_column_warning,
    find_header,
    load_synonyms,
    match_cell,
    recognise_kind,
)
from analysis.clean.read import RawSheet, list_inputs, read_file
from analysis.dictionary import coerce, empty_frame, table, tables
from analysis.errors import InputError
from analysis.sections import build_school_sections, load_rules, teacher_counts_from_roster
from analysis.tables import DEFAULT_PROCESSED, write_json_atomic, write_tables

DEFAULT_RAW = Path("data/raw")
_ROW_BITS = 21  # spreadsheet rows < 2**21 (Excel's limit is 1,048,576)

DUPLICATE_KEY = "重复键：与 {first} 重复（保留首次出现的记录）"
HIDDEN_DUPLICATE = "重复键：隐藏行，与可见行 {first} 重复（保留可见行）"
NO_SCHOOL = "同年学校基本情况表中没有该学校"
NO_SECTION = "该学校没有此学段（按办学类型）"
UNKNOWN_SECTION = "无法确定学段（学校有多个学段，表中未填学段）"
ROSTER_WINS = "该校该年已有教师名册，分校汇总数未采用"
EMPTY_FILE = "empty file: no data in any sheet"


@dataclass
class CleanReport:
    """What a cleaning run did.

    Attributes
    ----------
    accounting : qa_accounting (per file and sheet: rows read, kept, skipped, rejected).
    rejects : qa_rejects (every rejected or skipped row, with file, sheet, row, column, value,
        reason and ``is_skipped_row``).
    warnings : messages about the data: unmapped columns, assumed units and years, teaching
        points without a parent, empty sheets.
    written : ``{table or file: path}`` of everything written (empty when ``write=False``).
    frames : the clean tables themselves, ``{table: DataFrame}``.
    skipped : files under the raw folder that are not tables (README.md, lock files, workbooks
        of instructions only …).
    failures : every file or sheet that could not be used, as the InputError naming it and
        the reason (the run goes on with the others; the command exits 2).
    inputs : the files read, relative to the raw folder.
    seconds : wall time of the run.
    notes : information that needs no action (the instructions sheet of the project's own
        data-entry template, skipped as intended).
    mapping_notes : messages about the mapping files (header synonyms, school-type and subject
        names that no input used): for the maintainer, not about the data.
    """

    accounting: pd.DataFrame
    rejects: pd.DataFrame
    warnings: list[str]
    written: dict[str, Path]
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    failures: list[InputError] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    mapping_notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> dict[str, int]:
        """Rows per written table."""
        return {k: len(v) for k, v in self.frames.items()}

    def totals(self) -> dict[str, int]:
        """Rows read, kept, skipped (total and note rows) and rejected (problems) over the
        sheets used, and the number of those sheets."""
        acc = self.accounting
        if "file_status" in acc:
            acc = acc.loc[acc["file_status"] == "ok"]
        out = {c: int(acc[c].sum()) if c in acc else 0
               for c in ("rows_read", "rows_kept", "rows_skipped", "rows_rejected")}
        out["sheets"] = len(acc)
        return out

    def summary(self) -> str:
        """One line: files, sheets, rows read/kept/skipped/rejected, warnings, unusable files, time."""
        t = self.totals()
        failed = ""
        if self.failures:
            n_files = len({f.file for f in self.failures})
            failed = f"{n_files} file{'s' if n_files != 1 else ''} UNUSABLE (see qa_accounting; not in the tables); "
        return (
            f"cleaned {len(self.inputs)} files ({t['sheets']} sheets): {t['rows_read']} rows read, "
            f"{t['rows_kept']} kept, {t['rows_skipped']} skipped (total/note rows), {t['rows_rejected']} rejected; "
            f"{len(self.warnings)} warnings; {failed}{len(self.skipped)} files skipped; {self.seconds:.1f} s"
        )


@dataclass
class _Sheet:
    """One sheet after its header and non-data rows were found (converted later, by kind)."""

    file: str
    sheet: str | None
    seq: int
    kind: str
    rows_read: int
    rids: np.ndarray
    input: K.SheetInput
    rejects: pd.DataFrame
    #: run-wide ids (see _rid) of the data rows hidden in the workbook
    hidden_rids: np.ndarray = field(default_factory=lambda: np.empty(0, "int64"))


# ------------------------------------------------------------------ sheet level


def _rid(seq: Any, row: Any) -> Any:
    """Run-wide row id from the sheet's position and the 1-based spreadsheet row."""
    return (np.asarray(seq, dtype="int64") << _ROW_BITS) | np.asarray(row, dtype="int64")


_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def year_hint(texts: Iterable[str]) -> int | None:
    """The one year a text names (``2021年XX县…表`` gives 2021; two different years give None).

    >>> year_hint(["2021年城东区中小学基本情况表（示例数据）"]), year_hint(["2018-2024"])
    (2021, None)
    """
    for t in texts:
        years = set(_YEAR_RE.findall(P.norm_key(t)))
        if len(years) == 1:
            return int(years.pop())
    return None


def sheet_units(above: list[str]) -> tuple[str, ...]:
    """Units named by a unit line above the header (``单位：人、平方米、万元``).

    >>> sheet_units(["2021年表", "单位：人、平方米、万元"])
    ('人', '平方米', '万元')
    """
    out: list[str] = []
    for t in above:
        key = P.norm_key(t)
        m = re.search(r"单位[:：]?(.*)$", key)
        if m:
            out += [u for u in re.split(r"[、,;/|()（）]+", m.group(1)) if u]
    return tuple(out)


@dataclass
class _RowFlags:
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
        keys = (P._key_of(self.values[j][c]) for c in distinct)
        hit = np.array([k is not None and pattern.match(k) is not None for k in keys], dtype=bool)
        return hit[inverse] if len(codes) else np.zeros(0, dtype=bool)

    def keys(self, j: int, rows: np.ndarray) -> np.ndarray:
        """Lookup keys (see :func:`analysis.clean.parse.norm_key`) of column ``j`` at ``rows``."""
        codes = self.codes[j][rows]
        distinct, inverse = np.unique(codes, return_inverse=True)
        return np.array([P._key_of(self.values[j][c]) for c in distinct], dtype=object)[inverse]


def _cell_flags(v: Any, tokens: frozenset[str], total_re: re.Pattern) -> tuple[bool, bool, bool]:
    """(blank, missing, total) of one distinct raw value."""
    if v is None:
        return True, True, False
    if not isinstance(v, str):
        return False, False, False
    if len(v) > 12 and "计" not in v:  # long text: never a missing token or a total
        return (True, True, False) if not v.strip() else (False, False, False)
    k = P._key_of(v)
    return k == "", k == "" or k in tokens, "计" in k and total_re.match(k) is not None


def row_flags(cells: pd.DataFrame) -> _RowFlags:
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
        codes, values = P._factorize(cells[c])
        values = values.to_numpy(dtype=object)
        flags = np.array([_cell_flags(v, tokens, total_re) for v in values], dtype=bool).reshape(-1, 3)
        blank[:, j] = flags[codes, 0]
        missing[:, j] = flags[codes, 1]
        total[:, j] = flags[codes, 2]
        codes_all.append(codes)
        values_all.append(values)
    return _RowFlags(blank, missing, total, codes_all, values_all)


def _non_data_rows(
    flags: _RowFlags, rows: np.ndarray, cells: pd.DataFrame, free_text: Iterable[int] = (),
    name_columns: Iterable[int] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mask, reason, marker raw text) of total, note, breakdown and numbering rows among
    grid rows ``rows`` (positions into ``cells``). A total marker counts in any column but
    the free-text columns ``free_text`` (a note may well say 合计); a whole-area label
    (全县, 全市 …) only in the key and name columns ``name_columns`` (in other columns, such
    as a published figure's 城乡, it can be a value)."""
    rules = P.value_maps()["rows"]
    firsts = [(re.compile(rules["note_pattern"]), rules["note_reason"]),
              (re.compile(rules["part_pattern"]), rules["part_reason"]),
              (re.compile(rules["numbering_pattern"]), rules["numbering_reason"])]
    n = len(rows)
    reason = np.full(n, None, dtype=object)
    marker = np.full(n, None, dtype=object)
    if n == 0:
        return np.zeros(0, dtype=bool), reason, marker
    missing = flags.missing[rows]
    first = np.argmax(~missing, axis=1)
    any_value = (~missing).any(axis=1)
    first_key = np.full(n, "", dtype=object)
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


def _unmapped_warnings(header: Header, km: KindMatch, blank: np.ndarray, where: str, syn: Synonyms) -> list[str]:
    out = []
    spec = syn.kinds[km.kind]
    for cell in header.cells:
        if cell.position in km.matches:
            continue
        if not cell.raw:
            if cell.position < blank.shape[1] and not blank[:, cell.position].all():
                out.append(f"{where}: column {cell.position + 1} has data but no header; ignored")
            continue
        m = match_cell(cell, spec, syn)
        if m is not None and m.field != IGNORED:
            out.append(duplicate_column_warning(header, km, cell.position, m.field, where))
        else:
            hint = closest_field(cell.candidates[0][0] if cell.candidates else "", spec, syn)
            hint = f" (closest known: {hint[0]} ({hint[1]}))" if hint else ""
            out.append(f"{where}: column {cell.raw!r} is not in synonyms.yaml for {km.kind} ({spec.label}); ignored{hint}")
    return out


def is_template_instructions(raw: RawSheet) -> bool:
    """True for the instructions sheet of the project's data-entry template
    (``python -m analysis template``): its first cell is the template's mark.

    >>> from analysis.clean.read import _grid
    >>> from analysis.entry_template import INSTRUCTIONS_MARK
    >>> is_template_instructions(RawSheet("t.xlsx", "填表说明", _grid([[INSTRUCTIONS_MARK], ["1. …"]])))
    True
    >>> is_template_instructions(RawSheet("t.xlsx", "学校", _grid([["县", "年份"]])))
    False
    """
    from analysis.entry_template import INSTRUCTIONS_MARK

    if raw.sheet_type != "worksheet" or raw.cells.empty:
        return False
    first = raw.cells.iat[0, 0]
    return isinstance(first, str) and first.strip() == INSTRUCTIONS_MARK


_CLOSEST_CACHE: dict[tuple[int, str], dict[str, tuple[str, str]]] = {}


def closest_field(key: str, spec: Any, syn: Synonyms) -> tuple[str, str] | None:
    """(synonym, field) of kind ``spec`` closest to a normalised header ``key`` (difflib, ratio
    ≥ 0.6), for the warning about an ignored column; None when nothing is close.

    >>> syn = load_synonyms()
    >>> closest_field("小学在校学生人数", syn.kinds["schools"], syn)
    ('小学在校学生数', 'students_primary')
    >>> closest_field("校训", syn.kinds["schools"], syn) is None
    True
    """
    import difflib

    from analysis.clean.header import normalise_header

    if not key:
        return None
    ident = (id(syn), spec.name)
    if ident not in _CLOSEST_CACHE:
        names: dict[str, tuple[str, str]] = {}
        for fld, synonyms in spec.fields.items():
            for n in synonyms:
                names.setdefault(normalise_header(n)[0], (n, fld))
        _CLOSEST_CACHE[ident] = names
    names = _CLOSEST_CACHE[ident]
    best = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
    return names[best[0]] if best else None


def _kind_error(raw: RawSheet, ranked: list[KindMatch], syn: Synonyms) -> InputError:
    top = ranked[0]
    if top.missing:
        spec = syn.kinds[top.kind]
        names = ", ".join(
            " / ".join(spec.raw_name(f) for f in m.split(" / ")) + f" ({m})" for m in top.missing
        )
        return InputError(
            raw.file,
            f"required column(s) missing for a {spec.label} ({top.kind}) table: {names}",
            sheet=raw.sheet,
        )
    kinds = " or ".join(f"{k.kind} ({syn.kinds[k.kind].label})" for k in ranked)
    return InputError(raw.file, f"ambiguous table kind: the header fits {kinds} equally well", sheet=raw.sheet)


class SheetSkipped(Exception):
    """A sheet that is not a table: skipped with a warning naming it, never an error."""


def _notes_kind(raw: RawSheet, syn: Synonyms) -> str:
    name = P.norm_key(raw.sheet or "")
    word = next((w for w in syn.non_table_sheet_words if w in name), None)
    return f"sheet name {raw.sheet!r}" if word else "text only, no rows of figures"


def _notes_sheet(raw: RawSheet, syn: Synonyms, *, by_name_only: bool = False) -> bool:
    """True for a sheet of instructions, a cover, a table of contents or notes: its name says
    so (填表说明, 封面, 目录, 备注 … in ``non_table_sheet_words`` of synonyms.yaml) or, unless
    ``by_name_only``, it holds text only (fewer than 2 rows with two or more numbers).

    >>> syn = load_synonyms()
    >>> _notes_sheet(RawSheet("a.xlsx", "填表说明", pd.DataFrame([["1. 本表由各县填报"]])), syn)
    True
    >>> _notes_sheet(RawSheet("a.csv", None, pd.DataFrame([["甲", 1, 2], ["乙", 3, 4]])), syn)
    False
    """
    name = P.norm_key(raw.sheet or "")
    if name and any(w in name for w in syn.non_table_sheet_words):
        return True
    if by_name_only:
        return False
    rows = raw.cells.iloc[:200].to_numpy(dtype=object).tolist()
    return sum(_figures_row(r) for r in rows) < 2


_FIGURE_RE = re.compile(r"\s*[-+]?[\d,，.]*\d[\d,，.]*\s*%?\s*")


def _figures_row(row: list) -> bool:
    """A row with two or more numbers (typed, or text that is only a number)."""
    n = 0
    for v in row:
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, (int, float)) or (isinstance(v, str) and _FIGURE_RE.fullmatch(v)):
            n += 1
    return n >= 2


def convert_raw_sheet(
    raw: RawSheet,
    seq: int,
    syn: Synonyms,
    warnings: list[str],
    used: dict[str, set[str]],
    value_keys: dict[str, set[str]] | None = None,
    default_year: int | None = None,
) -> _Sheet:
    """Header, kind and non-data rows of one sheet, its data rows ready for
    :func:`analysis.clean.kinds.convert_kind`.

    Raises :class:`SheetSkipped` for a sheet that is not a table (empty, hidden lists, chart
    sheets, instructions, covers, notes) and :class:`InputError` for a table that cannot be
    used (no header over data, required columns missing, ambiguous kind, no year).
    ``default_year``: the year of ``clean --year`` for sheets that name none."""
    if raw.sheet_type != "worksheet":
        raise SheetSkipped(raw.sheet_type)
    cells = raw.cells
    flags = row_flags(cells)
    row_blank = flags.blank.all(axis=1) if cells.shape[1] else np.ones(len(cells), dtype=bool)
    if row_blank.all():
        raise SheetSkipped("empty sheet")
    head = cells.iloc[: syn.header_scan_rows].to_numpy(dtype=object).tolist()
    header = find_header(head, syn, hidden_columns=raw.hidden_columns)
    if header is None and raw.hidden:
        raise SheetSkipped("hidden sheet without a table header (e.g. dropdown lists)")
    no_header = (f"no recognisable header row in the first {syn.header_scan_rows} rows "
                 f"(no row names {syn.min_header_matches} or more known columns of synonyms.yaml)")
    if header is None:
        if _notes_sheet(raw, syn):
            raise SheetSkipped(f"not a table ({_notes_kind(raw, syn)}: {no_header})")
        raise InputError(raw.file, no_header, sheet=raw.sheet)
    positions = np.arange(header.bottom + 1, len(cells))
    positions = positions[~row_blank[header.bottom + 1 :]]
    data = {j: flags.column(j, positions) for j in range(cells.shape[1])}
    names = [raw.file, raw.sheet or ""]
    km, ranked = recognise_kind(header, data, syn, names=names)
    if km is None:
        if _notes_sheet(raw, syn, by_name_only=True):
            raise SheetSkipped(f"not a table ({_notes_kind(raw, syn)}; {_kind_error(raw, ranked, syn).problem})")
        raise _kind_error(raw, ranked, syn)
    spec = syn.kinds[km.kind]
    for m in km.matches.values():
        used.setdefault(km.kind, set()).add(m.synonym)
    warnings.extend(_unmapped_warnings(header, km, flags.blank[positions], raw.where, syn))

    year = year_source = None
    if spec.year_field:
        folders = [f for f in reversed(Path(raw.file).parent.parts) if f not in ("", ".")]
        for source, texts in (("title rows", header.above), ("sheet name", [raw.sheet or ""]),
                              ("file name", [Path(raw.file).stem]), ("folder name", folders)):
            year = year_hint(texts)
            if year is not None:
                year_source = source
                break
        if year is None and default_year is not None:
            year, year_source = int(default_year), "--year option"
    if spec.year_field and spec.year_field not in km.fields:
        if year is None:
            raise InputError(
                raw.file,
                f"required column {spec.raw_name(spec.year_field)} ({spec.year_field}) is missing and no year "
                "is given in the title rows, sheet name, file name or folder name (give it with --year YYYY)",
                sheet=raw.sheet,
            )
        warnings.append(f"{raw.where}: no {spec.raw_name(spec.year_field)} column; year {year} taken from the {year_source}")

    ctx = K.SheetContext(
        file=raw.file, sheet=raw.sheet, seq=seq, spec=spec, syn=syn, header=header,
        matches=km.matches, year=year, year_source=year_source, sheet_units=sheet_units(header.above), warnings=warnings,
        value_keys=value_keys if value_keys is not None else {},
    )
    free_text = [p for p, m in km.matches.items() if m.field in K.FREE_TEXT_FIELDS or m.part == "note"]
    name_fields = set(P.value_maps()["rows"]["area_total_fields"])
    name_cols = [p for p, m in km.matches.items() if m.field in name_fields and p < cells.shape[1]]
    non_data, reason, marker = _non_data_rows(flags, positions, cells, free_text, name_cols)
    n = int(non_data.sum())
    rejects = K.reject_records(
        np.full(n, raw.file, dtype=object), np.full(n, raw.sheet, dtype=object), positions[non_data] + 1,
        np.full(n, seq), km.kind, None, marker[non_data], reason[non_data],
    )
    rows = positions[~non_data]
    columns = {pos: flags.column(pos, rows) for pos in km.matches if pos < cells.shape[1]}
    return _Sheet(
        file=raw.file, sheet=raw.sheet, seq=seq, kind=km.kind, rows_read=len(positions),
        rids=_rid(seq, positions + 1), input=K.SheetInput(ctx, columns, rows), rejects=rejects,
        hidden_rids=_rid(seq, np.array(sorted(raw.hidden_rows), dtype="int64") + 1),
    )


# ------------------------------------------------------------------ run level


def _table_keys() -> dict[str, list[str]]:
    keys = {name: list(t.key) for name, t in tables().items() if name.startswith("core_")}
    keys.update({name: spec["key"] for name, spec in K.INTERNAL_TABLES.items()})
    return keys


def _where(file: str, sheet: Any, row: int) -> str:
    place = f"{file} [{sheet}]" if isinstance(sheet, str) and sheet else str(file)
    return f"{place} 第{row}行"


def _reject_rows(frame: pd.DataFrame, mask: np.ndarray, kind_of: dict[int, str], reason: Any, raw_value: Any = None) -> pd.DataFrame:
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


def _dedupe(frames: dict[str, pd.DataFrame], kind_of: dict[int, str], hidden: np.ndarray | None = None,
            warnings: list[str] | None = None) -> tuple[dict[str, pd.DataFrame], list[pd.DataFrame]]:
    """Reject later rows with an already-seen key; a rejected raw row leaves every table.

    Rows hidden in the workbook (``hidden``: their run-wide ids) come after every visible
    row: a hidden row with the key of a visible one is rejected (the visible row is kept,
    wherever it is), with a warning per sheet in ``warnings``."""
    keys = _table_keys()
    rejects: list[pd.DataFrame] = []
    removed: set[int] = set()
    hidden = np.asarray(hidden if hidden is not None else [], dtype="int64")
    while True:
        new: list[pd.DataFrame] = []
        for name, f in frames.items():
            if removed:
                f = f.loc[~f["_rid"].isin(removed)]
            f = f.sort_values("_rid", kind="stable")
            is_hidden = np.isin(f["_rid"].to_numpy(dtype="int64"), hidden) if len(hidden) else None
            if is_hidden is not None and is_hidden.any():
                order = np.argsort(is_hidden, kind="stable")  # visible rows first
                f, is_hidden = f.iloc[order], is_hidden[order]
            frames[name] = f
            key = keys[name]
            dup = f.duplicated(subset=key, keep="first").to_numpy()
            if not dup.any():
                continue
            first_rid = f.groupby(key, dropna=False, sort=False)["_rid"].transform("first").to_numpy()
            loc = f.drop_duplicates("_rid").set_index("_rid")[["source_file", "source_sheet", "source_row"]]
            firsts = [_where(*loc.loc[r].tolist()) for r in first_rid[dup]]
            raw = [" / ".join(P._cell_text(v) or "" for v in row) for row in f.loc[dup, key].itertuples(index=False)]
            labels = " / ".join(key)
            reasons = [DUPLICATE_KEY.format(first=w) for w in firsts]
            if is_hidden is not None:
                over_visible = is_hidden[dup] & ~np.isin(first_rid[dup], hidden)
                reasons = [HIDDEN_DUPLICATE.format(first=w) if h else r
                           for w, h, r in zip(firsts, over_visible, reasons, strict=True)]
            new.append(_reject_rows(f, dup, kind_of, reasons, [f"{labels} = {r}" for r in raw]))
        if not new:
            break
        batch = pd.concat(new, ignore_index=True).drop_duplicates(subset=["source_file", "source_sheet", "source_row"])
        rids = set(_rid(batch["_seq"].to_numpy(), batch["source_row"].to_numpy()).tolist()) - removed
        if not rids:
            break
        rejects.append(batch)
        removed |= rids
    if len(hidden):
        frames = {name: f.sort_values("_rid", kind="stable") for name, f in frames.items()}
        if warnings is not None and rejects:
            _hidden_duplicate_warnings(pd.concat(rejects, ignore_index=True), warnings)
    return frames, rejects


def _hidden_duplicate_warnings(rejects: pd.DataFrame, warnings: list[str]) -> None:
    """One warning per sheet about hidden rows rejected for repeating a visible row's key."""
    prefix = HIDDEN_DUPLICATE.split("{", 1)[0]
    hid = rejects.loc[rejects["reason"].astype(str).str.startswith(prefix)].sort_values("source_row", kind="stable")
    for (file, sheet), g in hid.groupby(["source_file", "source_sheet"], dropna=False, sort=True):
        where = f"{file} [{sheet}]" if isinstance(sheet, str) and sheet else str(file)
        first = g.iloc[0]
        visible = first["reason"][len(prefix):].split(" 重复", 1)[0]
        n = len(g)
        warnings.append(f"{where}: {n} hidden row{'s' if n != 1 else ''} repeat{'' if n != 1 else 's'} the key of "
                        f"a visible row (e.g. row {first['source_row']}, {first['raw_value']}, as {visible}); "
                        "the visible rows are read, the hidden ones rejected (see qa_rejects)")


def _school_sections_index(schools: pd.DataFrame) -> pd.DataFrame:
    """(year, school_id, section) of every section the schools have, by school type."""
    rules = load_rules()
    rows = []
    for stype, secs in rules["sections_of_type"].items():
        sub = schools.loc[schools["school_type"] == stype, ["year", "school_id"]]
        for sec in secs:
            rows.append(sub.assign(section=sec))
    if not rows:
        return pd.DataFrame(columns=["year", "school_id", "section"])
    return pd.concat(rows, ignore_index=True)


def _match_sections(
    frame: pd.DataFrame, schools: pd.DataFrame, kind_of: dict[int, str]
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Resolve missing sections from the school type; reject rows whose school or section
    does not exist. A raw row with one bad section is rejected as a whole."""
    if frame.empty:
        return frame, []
    secs = _school_sections_index(schools)
    f = frame.copy()
    f["year"] = f["year"].astype("int64")
    # a section left blank: the school's only compulsory section, if it has just one
    missing = f["section"].isna()
    if missing.any():
        compulsory = secs.loc[secs["section"] != "senior"]
        only = compulsory.groupby(["year", "school_id"])["section"].agg(lambda s: s.iloc[0] if len(s) == 1 else None)
        f.loc[missing, "section"] = pd.MultiIndex.from_frame(f.loc[missing, ["year", "school_id"]]).map(only.to_dict().get)
    known_school = pd.MultiIndex.from_frame(f[["year", "school_id"]]).isin(
        pd.MultiIndex.from_frame(schools[["year", "school_id"]].astype({"year": "int64"})) if len(schools) else pd.MultiIndex.from_arrays([[], []])
    )
    has_section = f["section"].notna().to_numpy()
    known_section = np.zeros(len(f), dtype=bool)
    if has_section.any() and len(secs):
        known_section[has_section] = pd.MultiIndex.from_frame(f.loc[has_section, ["year", "school_id", "section"]].astype({"year": "int64"})).isin(
            pd.MultiIndex.from_frame(secs.astype({"year": "int64"}))
        )
    reason = np.where(~known_school, NO_SCHOOL, np.where(~has_section, UNKNOWN_SECTION, np.where(~known_section, NO_SECTION, None)))
    bad = reason != None  # noqa: E711
    rejects = []
    if bad.any():
        raw = (f.loc[bad, "year"].astype(str) + " / " + f.loc[bad, "school_id"].astype(str) + " / " + f.loc[bad, "section"].fillna("").astype(str)).to_numpy()
        rejects.append(_reject_rows(f, bad, kind_of, reason[bad], raw))
        bad_rids = set(f.loc[bad, "_rid"].tolist())
        f = f.loc[~f["_rid"].isin(bad_rids)]
    return f, rejects


def _ids_by_name(frame: pd.DataFrame, schools: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """School ids of rows that name their school only (a 测算表 without 学校标识码): the school
    of that name in the school table of the year (and of the 县, where the row gives one).
    A name that is not found, or found twice, leaves the id empty (the row is then rejected
    as naming no school of the school table).

    >>> schools = pd.DataFrame({"year": [2024, 2024], "school_id": ["1000000001", "1000000002"],
    ...     "school_name": ["一小", "二小"], "county": ["甲县", "甲县"]})
    >>> rows = pd.DataFrame({"year": [2024, 2024], "school_id": [None, None], "school_name": ["二小 ", "三小"],
    ...     "county": [None, None]})
    >>> _ids_by_name(rows, schools, [])["school_id"].tolist()
    ['1000000002', None]
    """
    if frame.empty or "school_name" not in frame or not frame["school_id"].isna().any() or schools.empty:
        return frame
    f = frame.copy()
    norm = lambda s: s.map(lambda x: P.norm_key(x) if isinstance(x, str) else None)  # noqa: E731
    sch = pd.DataFrame({"year": schools["year"].astype("int64").to_numpy(), "school_id": schools["school_id"].to_numpy(),
                        "name": norm(schools["school_name"]).to_numpy(), "county": norm(schools["county"]).to_numpy()})
    sch = sch.drop_duplicates(["year", "school_id"])
    want = f["school_id"].isna() & f["school_name"].notna()
    rows = pd.DataFrame({"year": f.loc[want, "year"].astype("int64").to_numpy(), "name": norm(f.loc[want, "school_name"]).to_numpy(),
                         "county": norm(f.loc[want, "county"]).to_numpy() if "county" in f else None}, index=f.index[want])
    by_name = sch.groupby(["year", "name"])["school_id"].agg(lambda s: s.iloc[0] if len(s) == 1 else None)
    by_county = sch.groupby(["year", "county", "name"])["school_id"].agg(lambda s: s.iloc[0] if len(s) == 1 else None)
    ids = [by_county.get((y, c, n)) if isinstance(c, str) else by_name.get((y, n))
           for y, c, n in zip(rows["year"], rows["county"], rows["name"], strict=True)]
    f.loc[want, "school_id"] = pd.Series(ids, index=rows.index, dtype=object)
    found = int(pd.Series(ids).notna().sum())
    if found:
        warnings.append(f"{found} 测算表 rows without 学校标识码 matched to the school table by school name")
    return f


_COUNT_FIELDS = ("teachers", "above_degree_teachers", "backbone_teachers", "pe_art_teachers")
_SECTION_NAMES = {"primary": "小学", "junior": "初中", "senior": "高中"}


def _school_sheet_counts(
    counts: pd.DataFrame, schools: pd.DataFrame, roster: pd.DataFrame, table_counts: pd.DataFrame,
    warnings: list[str],
) -> pd.DataFrame:
    """Teacher counts given as columns of the school sheet, for the sections that use them.

    These rows are part of a school row (kept in core_schools), so nothing here is rejected:
    a school-year with a roster takes the roster, a section also in a 分校教师汇总 table takes
    that table (with a warning where the figures differ), a count without a section takes
    the school's only compulsory section, and counts for a section the school does not have
    are dropped (with a warning unless they are all 0 or blank)."""
    if counts.empty:
        return counts
    f = counts.copy()
    f["year"] = f["year"].astype("int64")
    secs = _school_sections_index(schools)
    missing = f["section"].isna()
    if missing.any():
        compulsory = secs.loc[secs["section"] != "senior"]
        only = compulsory.groupby(["year", "school_id"])["section"].agg(lambda s: s.iloc[0] if len(s) == 1 else None)
        f.loc[missing, "section"] = pd.MultiIndex.from_frame(f.loc[missing, ["year", "school_id"]]).map(only.to_dict().get)
        unresolved = f["section"].isna()
        for _, r in f.loc[unresolved].iterrows():
            warnings.append(f"{_where(r['source_file'], r['source_sheet'], r['source_row'])}: teacher counts without "
                            f"a section (e.g. 专任教师数) for school {r['school_id']}, which has several sections; "
                            "not used (give 小学专任教师数 / 初中专任教师数)")
        f = f.loc[~unresolved]
    key = ["year", "school_id", "section"]
    idx = pd.MultiIndex.from_frame(f[key].astype({"year": "int64"}))
    exists = idx.isin(pd.MultiIndex.from_frame(secs.astype({"year": "int64"}))) if len(secs) else np.zeros(len(f), bool)
    values = f[list(_COUNT_FIELDS)].apply(pd.to_numeric, errors="coerce")
    nonzero = values.fillna(0).ne(0).any(axis=1).to_numpy()
    for _, r in f.loc[~exists & nonzero].iterrows():
        warnings.append(f"{_where(r['source_file'], r['source_sheet'], r['source_row'])}: school {r['school_id']} has no "
                        f"{_SECTION_NAMES.get(r['section'], r['section'])} section (by its 办学类型) but the row gives "
                        "its teacher counts; not used")
    f = f.loc[exists]
    if len(roster) and len(f):
        with_roster = pd.MultiIndex.from_frame(roster[["year", "school_id"]].astype({"year": "int64"}).drop_duplicates())
        hit = pd.MultiIndex.from_frame(f[["year", "school_id"]]).isin(with_roster)
        if hit.any():
            warnings.append(f"teacher counts of {int(hit.sum())} school sections in the school table not used: "
                            "those school-years have a teacher roster (the roster wins)")
            f = f.loc[~hit]
    if len(table_counts) and len(f):
        tc = table_counts.astype({"year": "int64"}).set_index(key)
        idx = pd.MultiIndex.from_frame(f[key])
        hit = idx.isin(tc.index)
        if hit.any():
            other = tc.reindex(idx[hit])[list(_COUNT_FIELDS)].apply(pd.to_numeric, errors="coerce").to_numpy()
            mine = f.loc[hit, list(_COUNT_FIELDS)].apply(pd.to_numeric, errors="coerce").to_numpy()
            differ = int((~((other == mine) | np.isnan(other) | np.isnan(mine))).any(axis=1).sum())
            note = f", {differ} of them with different figures" if differ else ""
            warnings.append(f"teacher counts of {int(hit.sum())} school sections are given both in the school table "
                            f"and in a 分校教师汇总 table{note}; the 分校教师汇总 table is used")
            f = f.loc[~hit]
    return f


def _check_teaching_points(schools: pd.DataFrame, warnings: list[str]) -> None:
    tp = schools.loc[schools["school_type"] == "teaching_point"]
    if tp.empty:
        return
    known = pd.MultiIndex.from_frame(schools[["year", "school_id"]])
    has_parent = tp["parent_school_id"].notna()
    found = pd.MultiIndex.from_arrays([tp["year"], tp["parent_school_id"].fillna("")]).isin(known)
    orphans = tp.loc[~found]
    for _, r in orphans.iterrows():
        what = f"parent {r['parent_school_id']} is not in core_schools for {r['year']}" if has_parent[_] else "no parent school id (所属学校标识码)"
        warnings.append(
            f"{_where(r['source_file'], r['source_sheet'], r['source_row'])}: teaching point "
            f"{r['school_id']} {r['school_name']}: {what}"
        )


def _orphans(frame: pd.DataFrame, schools: pd.DataFrame, name: str, warnings: list[str]) -> None:
    """Warn (once per table) about rows whose school is not in core_schools that year."""
    if frame.empty:
        return
    known = pd.MultiIndex.from_frame(schools[["year", "school_id"]].astype({"year": "int64"}))
    idx = pd.MultiIndex.from_frame(frame[["year", "school_id"]].astype({"year": "int64"}))
    missing = ~idx.isin(known)
    if missing.any():
        sample = sorted({f"{y}/{s}" for y, s in idx[missing][:2000]})[:5]
        warnings.append(
            f"{name}: {int(missing.sum())} rows refer to schools missing from core_schools that year "
            f"(e.g. {', '.join(sample)})"
        )


def _unused_mapping_warnings(
    syn: Synonyms, used: dict[str, set[str]], value_keys: dict[str, set[str]], seen_kinds: set[str]
) -> list[str]:
    """Warnings about mappings no input used: header synonyms of the kinds read (field by
    field), kinds not read at all, school-type names and subject names."""
    from analysis.clean.header import normalise_header

    out = []
    for name, spec in syn.kinds.items():
        if name not in seen_kinds:
            continue
        parts = []
        hit = used.get(name, set())
        for fld, names in spec.fields.items():
            unused = [n for n in dict.fromkeys(names) if normalise_header(n)[0] not in hit]
            if unused:
                parts.append(f"{fld}: {', '.join(unused)}")
        if parts:
            out.append(f"synonyms.yaml [{name}]: synonyms never used in this run: " + "; ".join(parts))
    unseen = [k for k in syn.kinds if k not in seen_kinds]
    if unseen:
        out.append(f"synonyms.yaml: no sheet of kind {', '.join(unseen)} in this run; none of their synonyms was used")
    if "schools" in seen_kinds:
        types, _ = K._school_type_maps()
        unused_types = [k for k in types if k not in value_keys.get("school_type", set())]
        if unused_types:
            out.append("school_types.yaml: names never used in this run: " + ", ".join(unused_types))
    if "teachers" in seen_kinds:
        subjects, _ = K._subject_maps()
        seen = {K.subject_key(s) for s in value_keys.get("main_subject", set())}
        unused_subjects = [k for k in subjects if k not in seen]
        if unused_subjects:
            out.append("subjects.yaml: subjects never used in this run: " + ", ".join(unused_subjects))
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_csv_atomic(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        df.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; a CSV for Excel is not
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sorted(df: pd.DataFrame, name: str) -> pd.DataFrame:
    key = list(table(name).key)
    out = coerce(df, name)
    if key and len(out):
        out = out.sort_values(key, kind="stable", na_position="last").reset_index(drop=True)
    return out


def clean(
    raw_dir: str | os.PathLike = DEFAULT_RAW,
    out_dir: str | os.PathLike = DEFAULT_PROCESSED,
    *,
    write: bool = True,
    synonyms: str | os.PathLike | None = None,
    strict: bool = False,
    year: int | None = None,
) -> CleanReport:
    """Clean every bureau export under ``raw_dir`` into the core tables in ``out_dir``.

    Parameters
    ----------
    raw_dir : folder of raw files (searched recursively; hidden files, ``~$`` lock files
        and files that are neither workbooks nor CSV are skipped and listed in the report).
    out_dir : folder for the Parquet tables, the QA CSV files and ``manifest.json``.
    write : write the outputs (False: only return the report and frames).
    synonyms : another header-synonyms YAML file instead of ``analysis/data/synonyms.yaml``.
    strict : stop at the first file or sheet that cannot be used (raise its InputError,
        write nothing) instead of listing it in ``report.failures`` and going on.
    year : the statistics year of sheets that name none (no year column, and no year in the
        title rows, sheet name, file name or folder names).

    Returns
    -------
    CleanReport
        ``report.failures`` lists every file or sheet that could not be used, with the reason
        (also in ``qa_accounting`` with ``file_status`` failed); the tables of all the others
        are written.

    Raises
    ------
    InputError
        When no file can be used (or, with ``strict``, at the first one that cannot); nothing
        is written then.
    FileNotFoundError
        When ``raw_dir`` does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     raw = pathlib.Path(d, "raw"); raw.mkdir()
    ...     _ = (raw / "县级保障.csv").write_text(
    ...         "县,年份,教师年平均工资(万元),公务员年平均工资(万元)\\n"
    ...         "城东区,2023,9.5,9.1\\n城西区,2023,８.８,—\\n合计,,18.3,\\n", encoding="utf-8-sig")
    ...     report = clean(raw, pathlib.Path(d, "out"))
    ...     report.frames["core_county_figures"][["county", "teacher_avg_salary_yuan"]].values.tolist()
    [['城东区', 95000.0], ['城西区', 88000.0]]
    >>> report.accounting[["rows_read", "rows_kept", "rows_skipped", "rows_rejected"]].values.tolist()
    [[3, 2, 1, 0]]
    """
    started = time.perf_counter()
    raw_dir = Path(raw_dir)
    out_dir = Path(out_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"{raw_dir}: raw folder not found")
    syn = load_synonyms(str(synonyms) if synonyms else None)
    files, skipped = list_inputs(raw_dir, exclude=[out_dir])
    warnings: list[str] = []
    notes: list[str] = []
    used: dict[str, set[str]] = {}
    sheets: list[_Sheet] = []
    value_keys: dict[str, set[str]] = {}
    failures: list[InputError] = []
    not_tables: list[str] = []
    seq = 0
    for path in files:
        rel = path.relative_to(raw_dir).as_posix()
        # header matches count only if the sheet is used (for the unused-synonym warnings)
        file_used: dict[str, set[str]] = {}
        try:
            raws = read_file(path, rel, warnings=warnings)
            if not any(raw.has_data for raw in raws):
                # a 0-byte export, or a workbook without cells: not "a table with no rows"
                raise InputError(rel, EMPTY_FILE)
        except InputError as exc:
            if strict:
                raise
            failures.append(exc)
            continue
        got: list[_Sheet] = []
        sheet_failed = False
        for raw in raws:
            seq += 1
            if is_template_instructions(raw):
                notes.append(f"{raw.where}: instructions of the data-entry template (填表说明); skipped")
                continue
            mark = len(warnings)
            sheet_used: dict[str, set[str]] = {}
            try:
                got.append(convert_raw_sheet(raw, seq, syn, warnings, sheet_used, value_keys, default_year=year))
            except SheetSkipped as skip:
                del warnings[mark:]
                warnings.append(f"{raw.where}: {skip}; skipped")
                continue
            except InputError as exc:
                if strict:
                    raise
                del warnings[mark:]  # the failure says it all
                failures.append(exc)
                sheet_failed = True
                continue
            for kind, keys in sheet_used.items():
                file_used.setdefault(kind, set()).update(keys)
        if not got and not sheet_failed:
            not_tables.append(rel)  # instructions or notes only: listed with the skipped files
        sheets += got
        for kind, keys in file_used.items():
            used.setdefault(kind, set()).update(keys)
    if not sheets:
        # nothing to write: an empty raw folder must not replace the core tables by empty ones
        if len(failures) == 1:
            raise failures[0]
        if failures:
            raise InputError(str(raw_dir), f"no usable file ({len(failures)} files or sheets cannot be used: "
                             + "; ".join(str(f) for f in failures) + ")")
        what = f"none of its {len(files)} workbook/CSV files holds a table" if files else "no workbook or CSV file in it"
        raise InputError(str(raw_dir), f"no table found ({what})")

    kind_of = {s.seq: s.kind for s in sheets}
    # the total / note rows found per sheet: skipped as intended, not problems
    rejects = [s.rejects.assign(is_skipped_row=True) for s in sheets if len(s.rejects)]
    produced: dict[str, list[pd.DataFrame]] = {}
    for kind, spec in syn.kinds.items():
        inputs = [s.input for s in sheets if s.kind == kind]
        if not inputs:
            continue
        result = K.convert_kind(spec, inputs)
        rejects.append(result.rejects)
        for name, f in result.frames.items():
            if len(f):
                produced.setdefault(name, []).append(f.assign(_rid=_rid(f["_seq"].to_numpy(), f["source_row"].to_numpy())))
        _collect_value_keys(result.frames, value_keys)
    frames: dict[str, pd.DataFrame] = {}
    for name in list(_table_keys()):
        parts = produced.get(name, [])
        frames[name] = pd.concat(parts, ignore_index=True) if parts else _empty_with_source(name)

    frames["_resource_sheet"] = _ids_by_name(frames["_resource_sheet"], frames["core_schools"], warnings)
    hidden_rids = np.concatenate([s.hidden_rids for s in sheets])
    frames, dup_rejects = _dedupe(frames, kind_of, hidden_rids, warnings)
    rejects += dup_rejects

    schools = coerce(frames["core_schools"], "core_schools").assign(_rid=frames["core_schools"]["_rid"].to_numpy())
    _check_teaching_points(schools, warnings)
    # teacher counts of schools with a roster that year are not used: the roster wins
    roster = frames["core_teachers"]
    counts = frames["_teacher_counts"]
    if len(counts) and len(roster):
        with_roster = pd.MultiIndex.from_frame(roster[["year", "school_id"]].astype({"year": "int64"}).drop_duplicates())
        hit = pd.MultiIndex.from_frame(counts[["year", "school_id"]].astype({"year": "int64"})).isin(with_roster)
        if hit.any():
            rejects.append(_reject_rows(counts, hit, kind_of, ROSTER_WINS))
            frames["_teacher_counts"] = counts.loc[~counts["_rid"].isin(set(counts.loc[hit, "_rid"]))]
    for name in ("_teacher_counts", "_section_facilities", "_resource_sheet"):
        frames[name], rej = _match_sections(frames[name], schools, kind_of)
        rejects += rej
    frames["_school_teacher_counts"] = _school_sheet_counts(frames["_school_teacher_counts"], schools, roster,
                                                            frames["_teacher_counts"], warnings)
    for name in ("core_teachers", "core_classes", "core_enrolment"):
        _orphans(frames[name], schools, name, warnings)

    out: dict[str, pd.DataFrame] = {}
    for name in (n for n in tables() if n.startswith("core_") and n != "core_school_sections"):
        out[name] = _sorted(frames[name], name)
    out["core_school_sections"] = _school_sections(out["core_schools"], out["core_teachers"], frames, warnings)
    rej_all = pd.concat([r for r in rejects if len(r)], ignore_index=True) if any(len(r) for r in rejects) else pd.DataFrame(columns=[*K.REJECT_COLUMNS, "_seq"])
    skip_col = rej_all["is_skipped_row"] if "is_skipped_row" in rej_all else pd.Series(False, index=rej_all.index)
    rej_all["is_skipped_row"] = skip_col.astype("boolean").fillna(False).astype(bool)
    accounting = _accounting(sheets, frames, rej_all, failures)
    # one record per row and column (a row never fails twice in one column; kept defensive)
    rej_all = rej_all.drop_duplicates(subset=["source_file", "source_sheet", "source_row", "source_column"])
    out["qa_rejects"] = _sorted(rej_all.drop(columns="_seq"), "qa_rejects")
    out["qa_accounting"] = _sorted(accounting, "qa_accounting")

    mapping_notes = _unused_mapping_warnings(syn, used, value_keys, {s.kind for s in sheets})
    report = CleanReport(
        accounting=out["qa_accounting"],
        rejects=out["qa_rejects"],
        warnings=warnings,
        written={},
        frames=out,
        skipped=[p.relative_to(raw_dir).as_posix() for p in skipped] + not_tables,
        inputs=[p.relative_to(raw_dir).as_posix() for p in files],
        notes=notes,
        failures=failures,
        mapping_notes=mapping_notes,
    )
    if write:
        report.written = _write_outputs(out, out_dir, raw_dir, files, report.skipped, failures)
        report.written["qa_warnings.txt"] = _write_warnings(report, out_dir / "qa_warnings.txt")
    report.seconds = time.perf_counter() - started
    return report


def _collect_value_keys(frames: dict[str, pd.DataFrame], value_keys: dict[str, set[str]]) -> None:
    """Distinct subjects seen (for the unused-mapping warnings)."""
    if "core_teachers" in frames:
        subjects = frames["core_teachers"]["main_subject"].dropna().unique()
        value_keys.setdefault("main_subject", set()).update(map(str, subjects))


def _empty_with_source(name: str) -> pd.DataFrame:
    cols = K.target_columns(name) if name in K.INTERNAL_TABLES else table(name).columns
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    for c in ("source_file", "source_sheet", "source_row", "_seq", "_rid"):
        df[c] = pd.Series(dtype="int64" if c in ("source_row", "_seq", "_rid") else object)
    return df


def _school_sections(schools: pd.DataFrame, teachers: pd.DataFrame, frames: dict[str, pd.DataFrame],
                     warnings: list[str] | None = None) -> pd.DataFrame:
    if schools.empty:
        return empty_frame("core_school_sections")
    parts = []
    if len(teachers):
        parts.append(teacher_counts_from_roster(teachers).assign(teacher_count_source="roster"))
    counts = frames["_teacher_counts"]
    if len(counts):
        c = counts[K.INTERNAL_TABLES["_teacher_counts"]["columns"]].copy()
        c["year"] = c["year"].astype("int64")
        for col in c.columns[3:]:
            c[col] = c[col].astype("Int64")
        parts.append(c.assign(teacher_count_source="counts"))
    wide = frames["_school_teacher_counts"]
    if len(wide):
        c = wide[K.INTERNAL_TABLES["_school_teacher_counts"]["columns"]].copy()
        c["year"] = c["year"].astype("int64")
        for col in c.columns[3:]:
            c[col] = c[col].astype("Int64")
        parts.append(c.assign(teacher_count_source="school_table"))
    tc = pd.concat(parts, ignore_index=True) if parts else None
    fac = frames["_section_facilities"]
    if len(fac):
        fac = fac[K.INTERNAL_TABLES["_section_facilities"]["columns"]].astype({"year": "int64"})
    else:
        fac = None
    sections = build_school_sections(schools, tc, section_facilities=fac)
    sections = _apply_resource_sheet(sections, frames["_resource_sheet"], warnings if warnings is not None else [])
    return _sorted(sections, "core_school_sections")


def _apply_resource_sheet(sections: pd.DataFrame, sheet: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """Lay a 测算表 over the school sections: its inputs of L1-L7 replace the split or counted
    ones (teacher_count_source resource_sheet, is_facility_reported), its indicator values
    are kept as given (``*_per100``, ``*_per_student_*``) and ``resource_input_form`` says
    which form each section has. Its students fill a section without; where they differ
    from the school table's, the school table's are kept, with a warning.

    >>> secs = pd.DataFrame({"year": [2024], "school_id": ["1000000001"], "section": ["primary"],
    ...     "students": pd.array([300], dtype="Int64"), "teachers": pd.array([20], dtype="Int64")})
    >>> sheet = pd.DataFrame({"year": [2024], "school_id": ["1000000001"], "section": ["primary"],
    ...     "students": [300], "above_degree_teachers_per100": [6.5]})
    >>> out = _apply_resource_sheet(secs, sheet, [])
    >>> out[["above_degree_teachers_per100", "resource_input_form"]].values.tolist()
    [[6.5, 'mixed']]
    """
    from analysis.sections import FACILITY_COLUMNS, TEACHER_COUNT_COLUMNS

    out = sections.copy()
    value_cols = K.INTERNAL_TABLES["_resource_sheet"]["columns"][13:]
    for c in value_cols:
        if c not in out:
            out[c] = np.nan
    if sheet is None or sheet.empty:
        out["resource_input_form"] = "raw"
        return out
    key = ["year", "school_id", "section"]
    rs = sheet.astype({"year": "int64"}).set_index(key)
    idx = pd.MultiIndex.from_frame(out[key].astype({"year": "int64"}))
    hit = idx.isin(rs.index)
    given = rs.reindex(idx[hit])
    rows = np.flatnonzero(hit)
    changed = 0
    for c in (*TEACHER_COUNT_COLUMNS, *FACILITY_COLUMNS):
        if c not in given:
            continue
        new = pd.to_numeric(given[c], errors="coerce").to_numpy(dtype="float64")
        cur = pd.to_numeric(out[c].iloc[rows], errors="coerce").to_numpy(dtype="float64")
        take = ~np.isnan(new)
        changed += int((take & ~np.isnan(cur) & ~np.isclose(new, cur, equal_nan=True)).sum())
        merged = np.where(take, new, cur)
        col = out[c].astype("float64") if c in FACILITY_COLUMNS else pd.to_numeric(out[c], errors="coerce").astype("float64")
        col.iloc[rows] = merged
        out[c] = col if c in FACILITY_COLUMNS else col.round().astype("Int64")
        if c in TEACHER_COUNT_COLUMNS and take.any():
            src = np.array(out["teacher_count_source"].astype(object), dtype=object)
            src[rows[take]] = "resource_sheet"
            out["teacher_count_source"] = src
        if c in FACILITY_COLUMNS and take.any() and "is_facility_reported" in out:
            rep = np.array(out["is_facility_reported"].astype(bool), dtype=bool)
            rep[rows[take]] = True
            out["is_facility_reported"] = rep
    for c in value_cols:
        if c in given:
            col = np.array(out[c].astype("float64"), dtype="float64")
            col[rows] = pd.to_numeric(given[c], errors="coerce").to_numpy(dtype="float64")
            out[c] = col
    if "students" in given:
        sheet_st = pd.to_numeric(given["students"], errors="coerce").to_numpy(dtype="float64")
        cur = pd.to_numeric(out["students"].iloc[rows], errors="coerce").to_numpy(dtype="float64")
        fill = np.isnan(cur) & ~np.isnan(sheet_st)
        if fill.any():
            st = np.array(pd.to_numeric(out["students"], errors="coerce").astype("float64"), dtype="float64")
            st[rows[fill]] = sheet_st[fill]
            out["students"] = pd.array(np.round(st), dtype="Float64").astype("Int64")
        differ = ~np.isnan(cur) & ~np.isnan(sheet_st) & (cur != sheet_st)
        if differ.any():
            sample = ", ".join(f"{out['school_id'].iloc[r]} {out['section'].iloc[r]}: {int(cur[i])} vs {int(sheet_st[i])}"
                               for i, r in list(zip(np.flatnonzero(differ), rows[differ], strict=True))[:3])
            warnings.append(f"测算表: students of {int(differ.sum())} school sections differ from the school table "
                            f"(e.g. {sample}); the school table's are used")
    if changed:
        warnings.append(f"测算表: {changed} figures of L1-L7 inputs replace different figures of the school table, "
                        "counts table or roster (the 测算表 is used)")
    n_values = out[value_cols].notna().sum(axis=1).to_numpy()
    out["resource_input_form"] = np.where(n_values == len(value_cols), "indicator_values",
                                          np.where(n_values > 0, "mixed", "raw"))
    return out


def _accounting(sheets: list[_Sheet], frames: dict[str, pd.DataFrame], rejects: pd.DataFrame,
                failures: Iterable[InputError] = ()) -> pd.DataFrame:
    """qa_accounting, after checking that every row read is kept, skipped (``is_skipped_row``
    in ``rejects``: total and note rows) or rejected, never two of these; a file or sheet that
    could not be used gets a row with ``file_status`` failed."""
    kept = np.unique(np.concatenate([f["_rid"].to_numpy(dtype="int64") for f in frames.values() if len(f)] or [np.empty(0, "int64")]))

    def rids(sub: pd.DataFrame) -> np.ndarray:
        if not len(sub):
            return np.empty(0, "int64")
        return np.unique(_rid(sub["_seq"].to_numpy(dtype="int64"), sub["source_row"].to_numpy(dtype="int64")))

    is_skip = rejects["is_skipped_row"].to_numpy(dtype=bool) if "is_skipped_row" in rejects else np.zeros(len(rejects), bool)
    skip, rej = rids(rejects.loc[is_skip]), rids(rejects.loc[~is_skip])
    for a, b, what in ((kept, rej, "kept and rejected"), (kept, skip, "kept and skipped"), (skip, rej, "skipped and rejected")):
        both = np.intersect1d(a, b, assume_unique=True)
        if len(both):
            raise RuntimeError(f"internal error: {len(both)} rows are both {what}")
    size = max((s.seq for s in sheets), default=0) + 1
    kept_per = np.bincount(kept >> _ROW_BITS, minlength=size)
    skip_per = np.bincount(skip >> _ROW_BITS, minlength=size)
    rej_per = np.bincount(rej >> _ROW_BITS, minlength=size)
    rows = []
    for s in sheets:
        k, sk, r = int(kept_per[s.seq]), int(skip_per[s.seq]), int(rej_per[s.seq])
        if k + sk + r != s.rows_read:
            raise RuntimeError(f"internal error: {s.file} [{s.sheet}]: {s.rows_read} rows read but {k} kept + "
                               f"{sk} skipped + {r} rejected")
        rows.append({"source_file": s.file, "source_sheet": s.sheet, "table_kind": s.kind, "rows_read": s.rows_read,
                     "rows_kept": k, "rows_skipped": sk, "rows_rejected": r, "file_status": "ok", "file_problem": None})
    for f in failures:
        rows.append({"source_file": f.file, "source_sheet": f.sheet, "table_kind": None, "rows_read": 0,
                     "rows_kept": 0, "rows_skipped": 0, "rows_rejected": 0, "file_status": "failed",
                     "file_problem": f.problem})
    return pd.DataFrame(rows, columns=["source_file", "source_sheet", "table_kind", "rows_read", "rows_kept",
                                       "rows_skipped", "rows_rejected", "file_status", "file_problem"])


def _write_warnings(report: CleanReport, path: Path) -> Path:
    """``qa_warnings.txt``: every warning about the data, then the notes about the mapping
    files (UTF-8, one message a line, written atomically)."""
    lines = ["# 关于数据的提示 (warnings about the data)", *report.warnings, *report.notes, "",
             "# 关于映射文件的说明，供维护者参考 (notes about the mapping files, for the maintainer)",
             *report.mapping_notes]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("\n".join(lines) + "\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _write_outputs(out: dict[str, pd.DataFrame], out_dir: Path, raw_dir: Path, files: list[Path], skipped: list[str],
                   failures: Iterable[InputError] = ()) -> dict[str, Path]:
    written = write_tables(out, out_dir)
    for name in ("qa_accounting", "qa_rejects"):
        path = out_dir / f"{name}.csv"
        _write_csv_atomic(out[name], path)
        written[f"{name}.csv"] = path
    manifest = {
        "generator": "analysis.clean",
        "tables": {
            name: {"file": path.name, "rows": len(out[name]), "sha256": _sha256(path)}
            for name, path in sorted(written.items()) if name in out
        },
        "inputs": [
            {"file": p.relative_to(raw_dir).as_posix(), "bytes": p.stat().st_size, "sha256": _sha256(p)} for p in files
        ],
        "skipped": skipped,
        "failed": [{"file": f.file, "sheet": f.sheet, "problem": f.problem} for f in failures],
    }
    path = out_dir / "manifest.json"
    write_json_atomic(manifest, path)
    written["manifest.json"] = path
    return written
