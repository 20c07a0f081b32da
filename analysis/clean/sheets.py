"""The read step: each raw file, on its own, into the sheets that hold a table.

:func:`read_files` reads every input file through :func:`read_one_file`, which never lets
one file's problem reach another: a file that cannot be used as a whole (undecodable bytes,
an unreadable workbook, an empty file) or a sheet that cannot (no header over figures,
required columns missing, an ambiguous kind, no year) becomes a failure of that file, and
sheets that are not tables (empty, hidden dropdown lists, chart sheets, 填表说明, covers,
notes) are skipped with a warning. For each table sheet :func:`recognise_sheet` finds the
header, the table kind, the year and the non-data rows (totals, notes), and returns the data
rows ready for :func:`analysis.clean.kinds.convert_kind`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
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
    KindSpec,
    Synonyms,
    duplicate_column_warning,
    find_header,
    match_cell,
    normalise_header,
    recognise_kind,
)
from analysis.clean.read import RawSheet, read_file
from analysis.clean.rows import non_data_rows, row_flags, row_id
from analysis.errors import InputError

#: First cell of the instructions sheet of the project's data-entry template
#: (``python -m analysis template`` writes it; the cleaner skips that sheet with a note).
INSTRUCTIONS_MARK = "【义务教育优质均衡发展评估数据填报模板·填表说明】"
EMPTY_FILE = "empty file: no data in any sheet"


@dataclass
class Sheet:
    """One table sheet after its header, kind and non-data rows were found (its values are
    converted later, with every sheet of its kind)."""

    file: str
    sheet: str | None
    seq: int
    kind: str
    rows_read: int
    input: K.SheetInput
    #: the sheet's total and note rows (skipped as intended)
    rejects: pd.DataFrame
    #: run-wide ids (see :func:`analysis.clean.rows.row_id`) of the data rows hidden in the workbook
    hidden_rids: np.ndarray = field(default_factory=lambda: np.empty(0, "int64"))
    #: warnings about the sheet (ignored columns, a year taken from the title …)
    warnings: tuple[str, ...] = ()
    #: normalised header synonyms matched, by kind (for the unused-synonym notes)
    used: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class FilesRead:
    """What the read step found in the raw files (one file's, or the whole run's)."""

    sheets: list[Sheet] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[InputError] = field(default_factory=list)
    #: files with no table at all (instructions or notes only): listed with the skipped files
    not_tables: list[str] = field(default_factory=list)
    #: raw sheets read (each takes a position ``seq`` in the run, whether used or not)
    n_raw_sheets: int = 0

    @property
    def used(self) -> dict[str, set[str]]:
        """Normalised header synonyms matched by the sheets used, by kind."""
        out: dict[str, set[str]] = {}
        for s in self.sheets:
            for kind, keys in s.used.items():
                out.setdefault(kind, set()).update(keys)
        return out


class SheetSkipped(Exception):
    """A sheet that is not a table: skipped with a warning naming it, never an error."""


# ------------------------------------------------------------------ the run's files


def read_files(raw_dir: Path, files: Sequence[Path], syn: Synonyms, *, strict: bool = False,
               default_year: int | None = None) -> FilesRead:
    """Read every file of ``files`` (under ``raw_dir``) with :func:`read_one_file`, in order.

    With ``strict`` the first file or sheet that cannot be used raises its
    :class:`~analysis.errors.InputError`."""
    out = FilesRead()
    for path in files:
        one = read_one_file(path, path.relative_to(raw_dir).as_posix(), syn, first_seq=out.n_raw_sheets + 1,
                            strict=strict, default_year=default_year)
        out.sheets += one.sheets
        out.warnings += one.warnings
        out.notes += one.notes
        out.failures += one.failures
        out.not_tables += one.not_tables
        out.n_raw_sheets += one.n_raw_sheets
    return out


def read_one_file(path: Path, rel: str, syn: Synonyms, *, first_seq: int = 1, strict: bool = False,
                  default_year: int | None = None) -> FilesRead:
    """The table sheets of one file (``rel``: its name relative to the raw folder), its
    warnings and notes, and what of it cannot be used; its raw sheets take the positions
    ``first_seq, first_seq + 1 …`` in the run."""
    out = FilesRead()
    try:
        raws = read_file(path, rel, warnings=out.warnings)
        if not any(raw.has_data for raw in raws):
            # a 0-byte export, or a workbook without cells: not "a table with no rows"
            raise InputError(rel, EMPTY_FILE)
    except InputError as exc:
        if strict:
            raise
        out.failures.append(exc)
        return out
    for seq, raw in enumerate(raws, start=first_seq):
        if is_template_instructions(raw):
            out.notes.append(f"{raw.where}: instructions of the data-entry template (填表说明); skipped")
            continue
        try:
            sheet = recognise_sheet(raw, seq, syn, default_year=default_year)
        except SheetSkipped as skip:
            out.warnings.append(f"{raw.where}: {skip}; skipped")
            continue
        except InputError as exc:
            if strict:
                raise
            out.failures.append(exc)  # the failure says it all: no warnings about the sheet
            continue
        out.sheets.append(sheet)
        out.warnings += sheet.warnings
    if not out.sheets and not out.failures:
        out.not_tables.append(rel)
    out.n_raw_sheets = len(raws)
    return out


def check_usable(read: FilesRead, raw_dir: Path, n_files: int) -> None:
    """Raise :class:`~analysis.errors.InputError` when no sheet can be used: an empty raw
    folder must not replace the core tables by empty ones."""
    if read.sheets:
        return
    failures = read.failures
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise InputError(str(raw_dir), f"no usable file ({len(failures)} files or sheets cannot be used: "
                         + "; ".join(str(f) for f in failures) + ")")
    what = f"none of its {n_files} workbook/CSV files holds a table" if n_files else "no workbook or CSV file in it"
    raise InputError(str(raw_dir), f"no table found ({what})")


# ------------------------------------------------------------------ one sheet


def recognise_sheet(raw: RawSheet, seq: int, syn: Synonyms, default_year: int | None = None) -> Sheet:
    """Header, kind and non-data rows of one sheet, its data rows ready for
    :func:`analysis.clean.kinds.convert_kind`.

    Raises :class:`SheetSkipped` for a sheet that is not a table (empty, hidden lists, chart
    sheets, instructions, covers, notes) and :class:`InputError` for a table that cannot be
    used (no header over data, required columns missing, ambiguous kind, no year).
    ``default_year``: the year of ``clean --year`` for sheets that name none.

    >>> from analysis.clean.header import load_synonyms
    >>> from analysis.clean.read import grid
    >>> raw = RawSheet("县级保障.csv", None, grid([["县", "年份", "教师年平均工资(万元)"], ["城东区", "2023", "9.5"],
    ...                                           ["合计", "", "9.5"]]))
    >>> s = recognise_sheet(raw, 1, load_synonyms())
    >>> s.kind, s.rows_read, s.rejects["reason"].tolist()
    ('county_figures', 2, ['合计行（非数据）'])
    """
    if raw.sheet_type != "worksheet":
        raise SheetSkipped(raw.sheet_type)
    cells = raw.cells
    flags = row_flags(cells)
    row_blank = flags.blank.all(axis=1) if cells.shape[1] else np.ones(len(cells), dtype=bool)
    if row_blank.all():
        raise SheetSkipped("empty sheet")
    header = _find_header(raw, syn)
    positions = np.arange(header.bottom + 1, len(cells))
    positions = positions[~row_blank[header.bottom + 1 :]]
    data = {j: flags.column(j, positions) for j in range(cells.shape[1])}
    km, ranked = recognise_kind(header, data, syn, names=[raw.file, raw.sheet or ""])
    if km is None:
        if _notes_sheet(raw, syn, by_name_only=True):
            raise SheetSkipped(f"not a table ({_notes_kind(raw, syn)}; {_kind_error(raw, ranked, syn).problem})")
        raise _kind_error(raw, ranked, syn)
    spec = syn.kinds[km.kind]
    used = {km.kind: {m.synonym for m in km.matches.values()}}
    warnings = unmapped_warnings(header, km, flags.blank[positions], raw.where, syn)
    year, year_source, year_warnings = _sheet_year(raw, header, spec, km, default_year)
    ctx = K.SheetContext(
        file=raw.file, sheet=raw.sheet, seq=seq, spec=spec, syn=syn, header=header,
        matches=km.matches, year=year, year_source=year_source, sheet_units=sheet_units(header.above),
    )
    free_text = [p for p, m in km.matches.items() if m.field in K.FREE_TEXT_FIELDS or m.part == "note"]
    name_fields = set(P.value_maps()["rows"]["area_total_fields"])
    name_cols = [p for p, m in km.matches.items() if m.field in name_fields and p < cells.shape[1]]
    non_data, reason, marker = non_data_rows(flags, positions, cells, free_text, name_cols)
    n = int(non_data.sum())
    rejects = K.reject_records(
        np.full(n, raw.file, dtype=object), np.full(n, raw.sheet, dtype=object), positions[non_data] + 1,
        np.full(n, seq), km.kind, None, marker[non_data], reason[non_data],
    )
    rows = positions[~non_data]
    columns = {pos: flags.column(pos, rows) for pos in km.matches if pos < cells.shape[1]}
    return Sheet(
        file=raw.file, sheet=raw.sheet, seq=seq, kind=km.kind, rows_read=len(positions),
        input=K.SheetInput(ctx, columns, rows), rejects=rejects,
        hidden_rids=row_id(seq, np.array(sorted(raw.hidden_rows), dtype="int64") + 1),
        warnings=(*warnings, *year_warnings), used=used,
    )


def _find_header(raw: RawSheet, syn: Synonyms) -> Header:
    """The sheet's header; a sheet without one is skipped (hidden lists, notes) or fails."""
    head = raw.cells.iloc[: syn.header_scan_rows].to_numpy(dtype=object).tolist()
    header = find_header(head, syn, hidden_columns=raw.hidden_columns)
    if header is not None:
        return header
    if raw.hidden:
        raise SheetSkipped("hidden sheet without a table header (e.g. dropdown lists)")
    no_header = (f"no recognisable header row in the first {syn.header_scan_rows} rows "
                 f"(no row names {syn.min_header_matches} or more known columns of synonyms.yaml)")
    if _notes_sheet(raw, syn):
        raise SheetSkipped(f"not a table ({_notes_kind(raw, syn)}: {no_header})")
    raise InputError(raw.file, no_header, sheet=raw.sheet)


def _sheet_year(raw: RawSheet, header: Header, spec: KindSpec, km: KindMatch,
                default_year: int | None) -> tuple[int | None, str | None, list[str]]:
    """(year, where it was found, warnings) of a sheet whose kind has a year: from the title
    rows, sheet name, file name, folder names or ``--year``; required when the sheet has no
    year column."""
    year = year_source = None
    if not spec.year_field:
        return None, None, []
    folders = [f for f in reversed(Path(raw.file).parent.parts) if f not in ("", ".")]
    for source, texts in (("title rows", header.above), ("sheet name", [raw.sheet or ""]),
                          ("file name", [Path(raw.file).stem]), ("folder name", folders)):
        year = year_hint(texts)
        if year is not None:
            year_source = source
            break
    if year is None and default_year is not None:
        year, year_source = int(default_year), "--year option"
    if spec.year_field in km.fields:
        return year, year_source, []
    if year is None:
        raise InputError(
            raw.file,
            f"required column {spec.raw_name(spec.year_field)} ({spec.year_field}) is missing and no year "
            "is given in the title rows, sheet name, file name or folder name (give it with --year YYYY)",
            sheet=raw.sheet,
        )
    return year, year_source, [f"{raw.where}: no {spec.raw_name(spec.year_field)} column; year {year} taken "
                               f"from the {year_source}"]


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


def unmapped_warnings(header: Header, km: KindMatch, blank: np.ndarray, where: str, syn: Synonyms) -> list[str]:
    """Warnings about the header's columns that the kind does not use: no header over data,
    a second column for a field, a name that synonyms.yaml does not know (with the closest
    known name)."""
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
    (``python -m analysis template``): its first cell is :data:`INSTRUCTIONS_MARK`.

    >>> from analysis.clean.read import grid
    >>> is_template_instructions(RawSheet("t.xlsx", "填表说明", grid([[INSTRUCTIONS_MARK], ["1. …"]])))
    True
    >>> is_template_instructions(RawSheet("t.xlsx", "学校", grid([["县", "年份"]])))
    False
    """
    if raw.sheet_type != "worksheet" or raw.cells.empty:
        return False
    first = raw.cells.iat[0, 0]
    return isinstance(first, str) and first.strip() == INSTRUCTIONS_MARK


_CLOSEST_CACHE: dict[tuple[int, str], dict[str, tuple[str, str]]] = {}


def closest_field(key: str, spec: Any, syn: Synonyms) -> tuple[str, str] | None:
    """(synonym, field) of kind ``spec`` closest to a normalised header ``key`` (difflib, ratio
    ≥ 0.6), for the warning about an ignored column; None when nothing is close.

    >>> from analysis.clean.header import load_synonyms
    >>> syn = load_synonyms()
    >>> closest_field("小学在校学生人数", syn.kinds["schools"], syn)
    ('小学在校学生数', 'students_primary')
    >>> closest_field("校训", syn.kinds["schools"], syn) is None
    True
    """
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


def _notes_kind(raw: RawSheet, syn: Synonyms) -> str:
    name = P.norm_key(raw.sheet or "")
    word = next((w for w in syn.non_table_sheet_words if w in name), None)
    return f"sheet name {raw.sheet!r}" if word else "text only, no rows of figures"


def _notes_sheet(raw: RawSheet, syn: Synonyms, *, by_name_only: bool = False) -> bool:
    """True for a sheet of instructions, a cover, a table of contents or notes: its name says
    so (填表说明, 封面, 目录, 备注 … in ``non_table_sheet_words`` of synonyms.yaml) or, unless
    ``by_name_only``, it holds text only (fewer than 2 rows with two or more numbers).

    >>> from analysis.clean.header import load_synonyms
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
