"""The reconcile step: the rules across tables, each a function from frames to frames.

Every rule takes the frames by table and returns a :class:`~analysis.clean.frames.StepResult`
(new frames, the reject records of the rows it rejected, its warnings); none modifies its
input. :func:`reconcile` runs them in this order:

1. :func:`match_ids_by_name` — a 测算表 without 学校标识码 gets its schools' ids by name;
2. :func:`drop_duplicate_keys` — of rows with the same key the first in file order is kept
   (a row hidden in its workbook comes after every visible row); a rejected raw row leaves
   every table;
3. :func:`warn_teaching_points` — teaching points whose parent school is not found;
4. :func:`roster_wins` — a school-year with a roster takes its teacher counts from it;
5. :func:`match_sections` — counts and section facilities of a school or section that does
   not exist are rejected (a blank section is the school's only compulsory one);
6. :func:`school_sheet_counts` — teacher counts given in the school table, for the sections
   nothing else counts;
7. :func:`warn_orphans` — roster, classes and enrolment rows of schools not in the school table.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np
import pandas as pd

from analysis.clean import parse as P
from analysis.clean.frames import Frames, StepResult, reject_rows, table_keys, where
from analysis.clean.rows import row_id
from analysis.dictionary import coerce
from analysis.sections import load_rules

DUPLICATE_KEY = "重复键：与 {first} 重复（保留首次出现的记录）"
HIDDEN_DUPLICATE = "重复键：隐藏行，与可见行 {first} 重复（保留可见行）"
NO_SCHOOL = "同年学校基本情况表中没有该学校"
NO_SECTION = "该学校没有此学段（按办学类型）"
UNKNOWN_SECTION = "无法确定学段（学校有多个学段，表中未填学段）"
ROSTER_WINS = "该校该年已有教师名册，分校汇总数未采用"

#: internal tables of counts or facilities per school section, checked by :func:`match_sections`
SECTION_TABLES = ("_teacher_counts", "_section_facilities", "_resource_sheet")
_COUNT_FIELDS = ("teachers", "above_degree_teachers", "backbone_teachers", "pe_art_teachers")
_SECTION_NAMES = {"primary": "小学", "junior": "初中", "senior": "高中"}


def reconcile(frames: Frames, kind_of: Mapping[int, str], hidden_rids: np.ndarray) -> StepResult:
    """Run the rules across tables in order (see the module's docstring).

    ``kind_of``: each sheet's table kind by its position ``_seq``; ``hidden_rids``: the row
    ids of rows hidden in their workbooks."""
    done = match_ids_by_name(frames).then(partial(drop_duplicate_keys, kind_of=kind_of, hidden_rids=hidden_rids))
    schools = school_table(done.frames)
    return (done.then(partial(warn_teaching_points, schools=schools))
            .then(partial(roster_wins, kind_of=kind_of))
            .then(partial(match_sections, schools=schools, kind_of=kind_of))
            .then(partial(school_sheet_counts, schools=schools))
            .then(partial(warn_orphans, schools=schools)))


def school_table(frames: Frames) -> pd.DataFrame:
    """core_schools with its column types, and ``_rid``."""
    return coerce(frames["core_schools"], "core_schools").assign(_rid=frames["core_schools"]["_rid"].to_numpy())


# ------------------------------------------------------------------ rules


def match_ids_by_name(frames: Frames) -> StepResult:
    """School ids of 测算表 rows that name their school only (see :func:`ids_by_name`)."""
    sheet, warnings = ids_by_name(frames["_resource_sheet"], frames["core_schools"])
    return StepResult({**frames, "_resource_sheet": sheet}, warnings=tuple(warnings))


def ids_by_name(frame: pd.DataFrame, schools: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """School ids of rows that name their school only (a 测算表 without 学校标识码): the school
    of that name in the school table of the year (and of the 县, where the row gives one).
    A name that is not found, or found twice, leaves the id empty (the row is then rejected
    as naming no school of the school table). Returns the rows and the warnings.

    >>> schools = pd.DataFrame({"year": [2024, 2024], "school_id": ["1000000001", "1000000002"],
    ...     "school_name": ["一小", "二小"], "county": ["甲县", "甲县"]})
    >>> rows = pd.DataFrame({"year": [2024, 2024], "school_id": [None, None], "school_name": ["二小 ", "三小"],
    ...     "county": [None, None]})
    >>> ids_by_name(rows, schools)[0]["school_id"].tolist()
    ['1000000002', None]
    """
    if frame.empty or "school_name" not in frame or not frame["school_id"].isna().any() or schools.empty:
        return frame, []
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
    warnings = [f"{found} 测算表 rows without 学校标识码 matched to the school table by school name"] if found else []
    return f, warnings


def drop_duplicate_keys(frames: Frames, kind_of: Mapping[int, str], hidden_rids: np.ndarray | None = None) -> StepResult:
    """Reject later rows with an already-seen key; a rejected raw row leaves every table.

    Rows hidden in the workbook (``hidden_rids``: their run-wide ids) come after every
    visible row: a hidden row with the key of a visible one is rejected (the visible row is
    kept, wherever it is), with a warning per sheet. Every frame comes back in row order."""
    keys = table_keys()
    out = dict(frames)
    rejects: list[pd.DataFrame] = []
    removed: set[int] = set()
    hidden = np.asarray(hidden_rids if hidden_rids is not None else [], dtype="int64")
    while True:
        new: list[pd.DataFrame] = []
        for name in list(out):
            f, dups = _duplicates(out[name], keys[name], removed, hidden, kind_of)
            out[name] = f
            if dups is not None:
                new.append(dups)
        if not new:
            break
        batch = pd.concat(new, ignore_index=True).drop_duplicates(subset=["source_file", "source_sheet", "source_row"])
        rids = set(row_id(batch["_seq"].to_numpy(), batch["source_row"].to_numpy()).tolist()) - removed
        if not rids:
            break
        rejects.append(batch)
        removed |= rids
    warnings: list[str] = []
    if len(hidden):
        out = {name: f.sort_values("_rid", kind="stable") for name, f in out.items()}
        if rejects:
            warnings = hidden_duplicate_warnings(pd.concat(rejects, ignore_index=True))
    return StepResult(out, tuple(rejects), tuple(warnings))


def _duplicates(f: pd.DataFrame, key: list[str], removed: set[int], hidden: np.ndarray,
                kind_of: Mapping[int, str]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(the rows of one table not yet removed, in order: visible first; reject records of
    its later rows with a key already seen, or None)."""
    if removed:
        f = f.loc[~f["_rid"].isin(removed)]
    f = f.sort_values("_rid", kind="stable")
    is_hidden = np.isin(f["_rid"].to_numpy(dtype="int64"), hidden) if len(hidden) else None
    if is_hidden is not None and is_hidden.any():
        order = np.argsort(is_hidden, kind="stable")  # visible rows first
        f, is_hidden = f.iloc[order], is_hidden[order]
    dup = f.duplicated(subset=key, keep="first").to_numpy()
    if not dup.any():
        return f, None
    first_rid = f.groupby(key, dropna=False, sort=False)["_rid"].transform("first").to_numpy()
    loc = f.drop_duplicates("_rid").set_index("_rid")[["source_file", "source_sheet", "source_row"]]
    firsts = [where(*loc.loc[r].tolist()) for r in first_rid[dup]]
    raw = [" / ".join(P.cell_text(v) or "" for v in row) for row in f.loc[dup, key].itertuples(index=False)]
    labels = " / ".join(key)
    reasons = [DUPLICATE_KEY.format(first=w) for w in firsts]
    if is_hidden is not None:
        over_visible = is_hidden[dup] & ~np.isin(first_rid[dup], hidden)
        reasons = [HIDDEN_DUPLICATE.format(first=w) if h else r
                   for w, h, r in zip(firsts, over_visible, reasons, strict=True)]
    return f, reject_rows(f, dup, kind_of, reasons, [f"{labels} = {r}" for r in raw])


def hidden_duplicate_warnings(rejects: pd.DataFrame) -> list[str]:
    """One warning per sheet about hidden rows rejected for repeating a visible row's key."""
    prefix = HIDDEN_DUPLICATE.split("{", 1)[0]
    hid = rejects.loc[rejects["reason"].astype(str).str.startswith(prefix)].sort_values("source_row", kind="stable")
    out = []
    for (file, sheet), g in hid.groupby(["source_file", "source_sheet"], dropna=False, sort=True):
        place = f"{file} [{sheet}]" if isinstance(sheet, str) and sheet else str(file)
        first = g.iloc[0]
        visible = first["reason"][len(prefix):].split(" 重复", 1)[0]
        n = len(g)
        out.append(f"{place}: {n} hidden row{'s' if n != 1 else ''} repeat{'' if n != 1 else 's'} the key of "
                   f"a visible row (e.g. row {first['source_row']}, {first['raw_value']}, as {visible}); "
                   "the visible rows are read, the hidden ones rejected (see qa_rejects)")
    return out


def warn_teaching_points(frames: Frames, schools: pd.DataFrame) -> StepResult:
    """Warnings about teaching points whose parent school is not in core_schools that year
    (they are kept)."""
    tp = schools.loc[schools["school_type"] == "teaching_point"]
    if tp.empty:
        return StepResult(frames)
    known = pd.MultiIndex.from_frame(schools[["year", "school_id"]])
    has_parent = tp["parent_school_id"].notna()
    found = pd.MultiIndex.from_arrays([tp["year"], tp["parent_school_id"].fillna("")]).isin(known)
    warnings = []
    for i, r in tp.loc[~found].iterrows():
        what = (f"parent {r['parent_school_id']} is not in core_schools for {r['year']}" if has_parent[i]
                else "no parent school id (所属学校标识码)")
        warnings.append(f"{where(r['source_file'], r['source_sheet'], r['source_row'])}: teaching point "
                        f"{r['school_id']} {r['school_name']}: {what}")
    return StepResult(frames, warnings=tuple(warnings))


def roster_wins(frames: Frames, kind_of: Mapping[int, str]) -> StepResult:
    """Teacher counts (分校教师汇总) of school-years with a roster are rejected: the roster wins."""
    roster, counts = frames["core_teachers"], frames["_teacher_counts"]
    if not (len(counts) and len(roster)):
        return StepResult(frames)
    with_roster = pd.MultiIndex.from_frame(roster[["year", "school_id"]].astype({"year": "int64"}).drop_duplicates())
    hit = pd.MultiIndex.from_frame(counts[["year", "school_id"]].astype({"year": "int64"})).isin(with_roster)
    if not hit.any():
        return StepResult(frames)
    kept = counts.loc[~counts["_rid"].isin(set(counts.loc[hit, "_rid"]))]
    return StepResult({**frames, "_teacher_counts": kept}, (reject_rows(counts, hit, kind_of, ROSTER_WINS),))


def match_sections(frames: Frames, schools: pd.DataFrame, kind_of: Mapping[int, str]) -> StepResult:
    """Rows of the section tables (:data:`SECTION_TABLES`) get their section from the school
    type where they give none; rows whose school or section does not exist are rejected."""
    out, rejects = dict(frames), []
    for name in SECTION_TABLES:
        out[name], rej = _match_sections(frames[name], schools, kind_of)
        rejects += rej
    return StepResult(out, tuple(rejects))


def _match_sections(
    frame: pd.DataFrame, schools: pd.DataFrame, kind_of: Mapping[int, str]
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Resolve missing sections from the school type; reject rows whose school or section
    does not exist. A raw row with one bad section is rejected as a whole."""
    if frame.empty:
        return frame, []
    secs = school_sections_index(schools)
    f = frame.copy()
    f["year"] = f["year"].astype("int64")
    # a section left blank: the school's only compulsory section, if it has just one
    missing = f["section"].isna()
    if missing.any():
        f.loc[missing, "section"] = pd.MultiIndex.from_frame(f.loc[missing, ["year", "school_id"]]).map(
            _only_compulsory_section(secs).to_dict().get)
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
        rejects.append(reject_rows(f, bad, kind_of, reason[bad], raw))
        bad_rids = set(f.loc[bad, "_rid"].tolist())
        f = f.loc[~f["_rid"].isin(bad_rids)]
    return f, rejects


def school_sections_index(schools: pd.DataFrame) -> pd.DataFrame:
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


def _only_compulsory_section(secs: pd.DataFrame) -> pd.Series:
    """The only compulsory section of each school-year (None where it has several)."""
    compulsory = secs.loc[secs["section"] != "senior"]
    return compulsory.groupby(["year", "school_id"])["section"].agg(lambda s: s.iloc[0] if len(s) == 1 else None)


def school_sheet_counts(frames: Frames, schools: pd.DataFrame) -> StepResult:
    """Teacher counts given as columns of the school sheet, for the sections that use them.

    These rows are part of a school row (kept in core_schools), so nothing here is rejected:
    a school-year with a roster takes the roster, a section also in a 分校教师汇总 table takes
    that table (with a warning where the figures differ), a count without a section takes
    the school's only compulsory section, and counts for a section the school does not have
    are dropped (with a warning unless they are all 0 or blank)."""
    counts = frames["_school_teacher_counts"]
    if counts.empty:
        return StepResult(frames)
    f, warnings = _school_sheet_sections(counts, schools)
    roster, table_counts = frames["core_teachers"], frames["_teacher_counts"]
    if len(roster) and len(f):
        with_roster = pd.MultiIndex.from_frame(roster[["year", "school_id"]].astype({"year": "int64"}).drop_duplicates())
        hit = pd.MultiIndex.from_frame(f[["year", "school_id"]]).isin(with_roster)
        if hit.any():
            warnings.append(f"teacher counts of {int(hit.sum())} school sections in the school table not used: "
                            "those school-years have a teacher roster (the roster wins)")
            f = f.loc[~hit]
    if len(table_counts) and len(f):
        key = ["year", "school_id", "section"]
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
    return StepResult({**frames, "_school_teacher_counts": f}, warnings=tuple(warnings))


def _school_sheet_sections(counts: pd.DataFrame, schools: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The school sheet's teacher counts of sections the school has (a count without a
    section: its only compulsory section), with warnings about those not used."""
    warnings = []
    f = counts.copy()
    f["year"] = f["year"].astype("int64")
    secs = school_sections_index(schools)
    missing = f["section"].isna()
    if missing.any():
        f.loc[missing, "section"] = pd.MultiIndex.from_frame(f.loc[missing, ["year", "school_id"]]).map(
            _only_compulsory_section(secs).to_dict().get)
        unresolved = f["section"].isna()
        for _, r in f.loc[unresolved].iterrows():
            warnings.append(f"{where(r['source_file'], r['source_sheet'], r['source_row'])}: teacher counts without "
                            f"a section (e.g. 专任教师数) for school {r['school_id']}, which has several sections; "
                            "not used (give 小学专任教师数 / 初中专任教师数)")
        f = f.loc[~unresolved]
    key = ["year", "school_id", "section"]
    idx = pd.MultiIndex.from_frame(f[key].astype({"year": "int64"}))
    exists = idx.isin(pd.MultiIndex.from_frame(secs.astype({"year": "int64"}))) if len(secs) else np.zeros(len(f), bool)
    values = f[list(_COUNT_FIELDS)].apply(pd.to_numeric, errors="coerce")
    nonzero = values.fillna(0).ne(0).any(axis=1).to_numpy()
    for _, r in f.loc[~exists & nonzero].iterrows():
        warnings.append(f"{where(r['source_file'], r['source_sheet'], r['source_row'])}: school {r['school_id']} has no "
                        f"{_SECTION_NAMES.get(r['section'], r['section'])} section (by its 办学类型) but the row gives "
                        "its teacher counts; not used")
    return f.loc[exists], warnings


def warn_orphans(frames: Frames, schools: pd.DataFrame) -> StepResult:
    """Warnings (one per table) about roster, class and enrolment rows whose school is not
    in core_schools that year (they are kept)."""
    known = pd.MultiIndex.from_frame(schools[["year", "school_id"]].astype({"year": "int64"}))
    warnings = []
    for name in ("core_teachers", "core_classes", "core_enrolment"):
        frame = frames[name]
        if frame.empty:
            continue
        idx = pd.MultiIndex.from_frame(frame[["year", "school_id"]].astype({"year": "int64"}))
        missing = ~idx.isin(known)
        if missing.any():
            sample = sorted({f"{y}/{s}" for y, s in idx[missing][:2000]})[:5]
            warnings.append(f"{name}: {int(missing.sum())} rows refer to schools missing from core_schools that year "
                            f"(e.g. {', '.join(sample)})")
    return StepResult(frames, warnings=tuple(warnings))
