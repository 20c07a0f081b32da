"""core_school_sections: the school sections with their students, teachers and facilities.

:func:`finish_tables` is the last step before accounting: the core tables typed and sorted
by their keys, and core_school_sections built from the school table (sections by school
type, students), the teacher counts (roster, 分校教师汇总 table, school table), the section
facilities and a 测算表 laid over them (:func:`apply_resource_sheet`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.clean import kinds as K
from analysis.clean.frames import Frames, StepResult, sorted_table
from analysis.dictionary import empty_frame, tables
from analysis.sections import (
    FACILITY_COLUMNS,
    TEACHER_COUNT_COLUMNS,
    build_school_sections,
    teacher_counts_from_roster,
)


def finish_tables(frames: Frames) -> StepResult:
    """The core tables, typed and sorted by their keys (in the column dictionary's order),
    core_school_sections last; the internal tables are left behind."""
    out = {name: sorted_table(frames[name], name)
           for name in tables() if name.startswith("core_") and name != "core_school_sections"}
    sections, warnings = school_sections(out["core_schools"], out["core_teachers"], frames)
    out["core_school_sections"] = sections
    return StepResult(out, warnings=tuple(warnings))


def school_sections(schools: pd.DataFrame, teachers: pd.DataFrame, frames: Frames) -> tuple[pd.DataFrame, list[str]]:
    """core_school_sections of ``schools`` (typed) and the roster ``teachers``, with the
    teacher counts, section facilities and 测算表 of the internal tables in ``frames``;
    and the warnings about the 测算表."""
    if schools.empty:
        return empty_frame("core_school_sections"), []
    parts = []
    if len(teachers):
        parts.append(teacher_counts_from_roster(teachers).assign(teacher_count_source="roster"))
    for name, source in (("_teacher_counts", "counts"), ("_school_teacher_counts", "school_table")):
        counts = frames[name]
        if len(counts):
            c = counts[K.INTERNAL_TABLES[name]["columns"]].copy()
            c["year"] = c["year"].astype("int64")
            for col in c.columns[3:]:
                c[col] = c[col].astype("Int64")
            parts.append(c.assign(teacher_count_source=source))
    tc = pd.concat(parts, ignore_index=True) if parts else None
    fac = frames["_section_facilities"]
    if len(fac):
        fac = fac[K.INTERNAL_TABLES["_section_facilities"]["columns"]].astype({"year": "int64"})
    else:
        fac = None
    sections = build_school_sections(schools, tc, section_facilities=fac)
    sections, warnings = apply_resource_sheet(sections, frames["_resource_sheet"])
    return sorted_table(sections, "core_school_sections"), warnings


def apply_resource_sheet(sections: pd.DataFrame, sheet: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """Lay a 测算表 over the school sections: its inputs of L1-L7 replace the split or counted
    ones (teacher_count_source resource_sheet, is_facility_reported), its indicator values
    are kept as given (``*_per100``, ``*_per_student_*``) and ``resource_input_form`` says
    which form each section has. Its students fill a section without; where they differ
    from the school table's, the school table's are kept, with a warning. Returns the
    sections and the warnings.

    >>> secs = pd.DataFrame({"year": [2024], "school_id": ["1000000001"], "section": ["primary"],
    ...     "students": pd.array([300], dtype="Int64"), "teachers": pd.array([20], dtype="Int64")})
    >>> sheet = pd.DataFrame({"year": [2024], "school_id": ["1000000001"], "section": ["primary"],
    ...     "students": [300], "above_degree_teachers_per100": [6.5]})
    >>> out, warnings = apply_resource_sheet(secs, sheet)
    >>> out[["above_degree_teachers_per100", "resource_input_form"]].values.tolist()
    [[6.5, 'mixed']]
    """
    out = sections.copy()
    warnings: list[str] = []
    value_cols = K.INTERNAL_TABLES["_resource_sheet"]["columns"][13:]
    for c in value_cols:
        if c not in out:
            out[c] = np.nan
    if sheet is None or sheet.empty:
        out["resource_input_form"] = "raw"
        return out, warnings
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
    return out, warnings
