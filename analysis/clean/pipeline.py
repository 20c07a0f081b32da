"""The cleaning run: raw folder -> validated core tables, rejects and accounting.

:func:`clean` runs the steps in order, each in its module:

1. read (:mod:`analysis.clean.sheets`): each file on its own; each sheet's header, table
   kind, year and non-data rows;
2. shape (:mod:`analysis.clean.shape`): each table kind's rows parsed and shaped into the
   core and internal tables;
3. reconcile (:mod:`analysis.clean.reconcile`): the rules across tables (duplicate keys,
   the roster wins, sections, orphans …), each frames in, frames out plus rejects and
   warnings;
4. finish (:mod:`analysis.clean.school_sections`): the core tables typed and sorted, and
   core_school_sections;
5. account (:mod:`analysis.clean.accounting`): qa_rejects and qa_accounting, the row
   accounting checked;
6. write (:mod:`analysis.clean.outputs`): the core tables of ``analysis/data/tables.yaml``
   plus ``qa_rejects`` and ``qa_accounting`` (Parquet, validated against the column
   dictionary, written atomically), ``qa_rejects.csv`` / ``qa_accounting.csv`` (UTF-8 with
   BOM, for Excel), ``qa_warnings.txt`` and ``manifest.json``.

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

import os
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.clean.accounting import account, unused_mapping_notes
from analysis.clean.header import load_synonyms
from analysis.clean.outputs import write_outputs, write_warnings
from analysis.clean.read import list_inputs
from analysis.clean.reconcile import reconcile
from analysis.clean.school_sections import finish_tables
from analysis.clean.shape import shape_kinds
from analysis.clean.sheets import check_usable, read_files
from analysis.config import DEFAULT_PROCESSED, DEFAULT_RAW
from analysis.errors import InputError

__all__ = ["CleanReport", "clean"]


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
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"{raw_dir}: raw folder not found")
    syn = load_synonyms(str(synonyms) if synonyms else None)
    files, skipped = list_inputs(raw_dir, exclude=[out_dir])

    read = read_files(raw_dir, files, syn, strict=strict, default_year=year)
    check_usable(read, raw_dir, len(files))
    shaped = shape_kinds(read.sheets, syn)
    kind_of = {s.seq: s.kind for s in read.sheets}
    hidden_rids = np.concatenate([s.hidden_rids for s in read.sheets])
    reconciled = shaped.then(partial(reconcile, kind_of=kind_of, hidden_rids=hidden_rids))
    finished = reconciled.then(finish_tables)
    qa_rejects, qa_accounting = account(read.sheets, reconciled.frames, finished.rejects, read.failures)

    out = {**finished.frames, "qa_rejects": qa_rejects, "qa_accounting": qa_accounting}
    report = CleanReport(
        accounting=qa_accounting,
        rejects=qa_rejects,
        warnings=[*read.warnings, *finished.warnings],
        written={},
        frames=out,
        skipped=[p.relative_to(raw_dir).as_posix() for p in skipped] + read.not_tables,
        inputs=[p.relative_to(raw_dir).as_posix() for p in files],
        notes=read.notes,
        failures=read.failures,
        mapping_notes=unused_mapping_notes(syn, read.used, shaped.value_keys, {s.kind for s in read.sheets}),
    )
    if write:
        report.written = write_outputs(out, out_dir, raw_dir, files, report.skipped, read.failures)
        report.written["qa_warnings.txt"] = write_warnings(out_dir / "qa_warnings.txt", report.warnings,
                                                           report.notes, report.mapping_notes)
    report.seconds = time.perf_counter() - started
    return report
