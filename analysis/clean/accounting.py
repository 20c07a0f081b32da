"""The account step: every row read is kept, skipped or rejected, and what the mappings served.

:func:`account` assembles ``qa_rejects`` from the steps' reject records and ``qa_accounting``
per file and sheet, after checking that ``rows_read = rows_kept + rows_skipped +
rows_rejected`` holds for every sheet and that no row is counted twice (the run fails
loudly if it ever does not). :func:`unused_mapping_notes` lists the header synonyms,
school-type names and subjects that no input used (notes for the maintainer).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.clean import kinds as K
from analysis.clean.frames import Frames, sorted_table
from analysis.clean.header import Synonyms, normalise_header
from analysis.clean.rows import ROW_BITS, row_id
from analysis.clean.sheets import Sheet
from analysis.errors import InputError

ACCOUNTING_COLUMNS = ["source_file", "source_sheet", "table_kind", "rows_read", "rows_kept", "rows_skipped",
                      "rows_rejected", "file_status", "file_problem"]


def account(sheets: Sequence[Sheet], frames: Frames, rejects: Iterable[pd.DataFrame],
            failures: Iterable[InputError] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(qa_rejects, qa_accounting) of a run: ``frames`` are the reconciled frames (every
    row with its ``_rid``), ``rejects`` the reject records of all steps, in order."""
    parts = [r for r in rejects if len(r)]
    rej_all = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*K.REJECT_COLUMNS, "_seq"])
    skip_col = rej_all["is_skipped_row"] if "is_skipped_row" in rej_all else pd.Series(False, index=rej_all.index)
    rej_all["is_skipped_row"] = skip_col.astype("boolean").fillna(False).astype(bool)
    accounting = account_rows(sheets, frames, rej_all, failures)
    # one record per row and column (a row never fails twice in one column; kept defensive)
    rej_all = rej_all.drop_duplicates(subset=["source_file", "source_sheet", "source_row", "source_column"])
    return sorted_table(rej_all.drop(columns="_seq"), "qa_rejects"), sorted_table(accounting, "qa_accounting")


def account_rows(sheets: Sequence[Sheet], frames: Frames, rejects: pd.DataFrame,
                 failures: Iterable[InputError] = ()) -> pd.DataFrame:
    """qa_accounting, after checking that every row read is kept, skipped (``is_skipped_row``
    in ``rejects``: total and note rows) or rejected, never two of these; a file or sheet that
    could not be used gets a row with ``file_status`` failed."""
    kept = np.unique(np.concatenate([f["_rid"].to_numpy(dtype="int64") for f in frames.values() if len(f)] or [np.empty(0, "int64")]))

    def rids(sub: pd.DataFrame) -> np.ndarray:
        if not len(sub):
            return np.empty(0, "int64")
        return np.unique(row_id(sub["_seq"].to_numpy(dtype="int64"), sub["source_row"].to_numpy(dtype="int64")))

    is_skip = rejects["is_skipped_row"].to_numpy(dtype=bool) if "is_skipped_row" in rejects else np.zeros(len(rejects), bool)
    skip, rej = rids(rejects.loc[is_skip]), rids(rejects.loc[~is_skip])
    for a, b, what in ((kept, rej, "kept and rejected"), (kept, skip, "kept and skipped"), (skip, rej, "skipped and rejected")):
        both = np.intersect1d(a, b, assume_unique=True)
        if len(both):
            raise RuntimeError(f"internal error: {len(both)} rows are both {what}")
    size = max((s.seq for s in sheets), default=0) + 1
    kept_per = np.bincount(kept >> ROW_BITS, minlength=size)
    skip_per = np.bincount(skip >> ROW_BITS, minlength=size)
    rej_per = np.bincount(rej >> ROW_BITS, minlength=size)
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
    return pd.DataFrame(rows, columns=ACCOUNTING_COLUMNS)


def unused_mapping_notes(
    syn: Synonyms, used: dict[str, set[str]], value_keys: dict[str, set[str]], seen_kinds: set[str]
) -> list[str]:
    """Notes about mappings no input used: header synonyms of the kinds read (field by
    field), kinds not read at all, school-type names and subject names."""
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
        types, _ = K.school_type_maps()
        unused_types = [k for k in types if k not in value_keys.get("school_type", set())]
        if unused_types:
            out.append("school_types.yaml: names never used in this run: " + ", ".join(unused_types))
    if "teachers" in seen_kinds:
        subjects, _ = K.subject_maps()
        seen = {K.subject_key(s) for s in value_keys.get("main_subject", set())}
        unused_subjects = [k for k in subjects if k not in seen]
        if unused_subjects:
            out.append("subjects.yaml: subjects never used in this run: " + ", ".join(unused_subjects))
    return out
