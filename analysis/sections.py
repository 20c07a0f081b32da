"""School sections (学段): the weighted facility split and section teacher counts.

The 2017 method computes the resource indicators per section: a 九年一贯制 school is a
primary and a junior section, a 完全中学 a junior and a senior one. Teachers are reported by
the section they teach; shared facilities are split by weighted enrolment (primary 1 :
junior 1.1 : senior 1.32; 完全中学 junior 1 : senior 1.2) unless the bureau reports them per
section. The rules live in ``analysis/data/sections.yaml``.

Examples
--------
>>> shares = facility_shares(pd.DataFrame({
...     "school_type": ["nine_year"], "students_primary": [600], "students_junior": [400],
...     "students_senior": [0]}))
>>> round(float(shares.loc[0, "primary"]), 4), round(float(shares.loc[0, "junior"]), 4)
(0.5769, 0.4231)
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.config import data_path, load_yaml
from analysis.dictionary import coerce

RULES_PATH = data_path("sections.yaml")
SECTIONS = ("primary", "junior", "senior")
#: Facility columns of core_schools that are split across sections.
FACILITY_COLUMNS = (
    "teaching_area_m2",
    "indoor_sports_area_m2",
    "sports_ground_area_m2",
    "equipment_value_yuan",
    "multimedia_rooms",
)
TEACHER_COUNT_COLUMNS = ("teachers", "above_degree_teachers", "backbone_teachers", "pe_art_teachers")
_SCHOOL_COLUMNS = (
    "school_name", "city", "county", "area_type", "urban_rural_code", "school_type",
    "is_private", "parent_school_id",
)


@functools.cache
def load_rules(path: str | None = None) -> dict[str, Any]:
    """The section rules (``analysis/data/sections.yaml`` unless ``path`` is given)."""
    return load_yaml(Path(path).resolve() if path else RULES_PATH)


def area_type_from_code(codes: pd.Series) -> pd.Series:
    """Map statistics urban-rural codes to ``urban`` (11x), ``town`` (12x) or ``rural`` (2xx).

    >>> area_type_from_code(pd.Series(["111", "123", "220", None])).tolist()
    ['urban', 'town', 'rural', nan]
    """
    s = codes.astype("str").str.strip()
    out = pd.Series(np.nan, index=codes.index, dtype="object")
    out[s.str.match(r"^11\d$", na=False)] = "urban"
    out[s.str.match(r"^12\d$", na=False)] = "town"
    out[s.str.match(r"^2\d\d$", na=False)] = "rural"
    return out


def _students(schools: pd.DataFrame, section: str) -> pd.Series:
    col = f"students_{section}"
    if col not in schools:
        return pd.Series(0.0, index=schools.index)
    return pd.to_numeric(schools[col], errors="coerce").fillna(0).astype("float64")


def facility_shares(schools: pd.DataFrame, rules: dict[str, Any] | None = None) -> pd.DataFrame:
    """Share of each school's shared facilities attributed to each section.

    Returns a frame indexed like ``schools`` with one float column per section (0 where the
    school has no such section). A school whose sections have no students at all gives its
    whole facility to its first section (so nothing is lost).
    """
    rules = rules or load_rules()
    types = schools["school_type"].astype("str")
    weights = pd.DataFrame(0.0, index=schools.index, columns=list(SECTIONS))
    for stype, secs in rules["sections_of_type"].items():
        w = rules["section_weights"].get(stype, rules["section_weights"]["default"])
        mask = types == stype
        if not mask.any():
            continue
        for sec in secs:
            weights.loc[mask, sec] = _students(schools.loc[mask], sec) * w[sec]
    total = weights.sum(axis=1)
    shares = weights.div(total.where(total > 0), axis=0)
    # No students anywhere: the first section of the type carries the whole facility.
    empty = total <= 0
    for stype, secs in rules["sections_of_type"].items():
        mask = empty & (types == stype)
        if mask.any():
            shares.loc[mask, :] = 0.0
            shares.loc[mask, secs[0]] = 1.0
    return shares.fillna(0.0)


def _sorted_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of ``values`` numbered in sorted order of the values (-1 = missing).

    Works on categoricals without decoding them (the categories are ranked once), so a
    roster read dictionary-encoded from Parquet is grouped on its integer codes.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        codes = values.array.codes
        if cats.is_monotonic_increasing:
            return codes, cats
        order = cats.argsort()
        rank = np.empty(len(cats) + 1, dtype=np.int64)
        rank[order] = np.arange(len(cats))
        rank[-1] = -1  # code -1 (missing) indexes the last slot
        return rank[codes], cats[order]
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans and len(values):
        arr = values.to_numpy(dtype=np.int64)
        low, high = int(arr.min()), int(arr.max())
        if low == high:  # one value (e.g. one statistics year): code 0 everywhere
            return np.zeros(len(arr), dtype=np.int8), pd.Index(values.iloc[:1].to_numpy())
        if high - low < 4096:  # e.g. years: offsets are the codes, no hashing
            present = np.flatnonzero(np.bincount(arr - low, minlength=high - low + 1))
            rank = np.full(high - low + 1, -1, dtype=np.int64)
            rank[present] = np.arange(len(present))
            return rank[arr - low], pd.Index((present + low).astype(values.dtype.numpy_dtype
                                                                     if hasattr(values.dtype, "numpy_dtype") else values.dtype))
    codes, uniques = pd.factorize(values, sort=True)
    return codes, pd.Index(uniques)


def _codes(values: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes (-1 = missing) and the labels they stand for, without decoding
    categoricals."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.array.codes, [str(v) for v in values.cat.categories]
    codes, uniques = pd.factorize(values)
    return codes, [str(v) for v in uniques]


#: rows of the roster counted per block (see teacher_counts_from_roster)
_ROSTER_BLOCK = 1 << 20


def teacher_counts_from_roster(
    teachers: pd.DataFrame, rules: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Per-section teacher counts of each school and year from the teacher roster.

    Counts teachers, teachers above the section's required degree (L1), backbone teachers
    of county level or higher (L2) and PE/music/art teachers (L3). Vectorised on integer
    codes (a lookup table and one ``numpy.bincount``): a national roster of ten million rows
    read as categoricals takes well under a second.

    >>> roster = pd.DataFrame({
    ...     "year": [2024] * 4, "school_id": ["1234567890"] * 4,
    ...     "teaching_section": ["primary", "primary", "junior", "junior"],
    ...     "degree": ["associate", "senior_secondary", "associate", "bachelor"],
    ...     "backbone_level": ["county", "none", "school", "province"],
    ...     "subject_group": ["pe", "math", "music", "chinese"]})
    >>> counts = teacher_counts_from_roster(roster)
    >>> counts[["section", "teachers", "above_degree_teachers", "backbone_teachers",
    ...         "pe_art_teachers"]].values.tolist()
    [['junior', 2, 1, 1, 1], ['primary', 2, 1, 1, 1]]
    """
    rules = rules or load_rules()
    section = teachers["teaching_section"]
    if not isinstance(section.dtype, pd.CategoricalDtype):
        section = section.astype("str")
    y_codes, y_uniques = _sorted_codes(teachers["year"])
    s_codes, s_uniques = _sorted_codes(teachers["school_id"])
    c_codes, c_uniques = _sorted_codes(section)
    c_names = [str(v) for v in c_uniques]
    ny, ns, nc = len(y_uniques), len(s_uniques), len(c_uniques)
    keys_and_bits = _roster_keys(teachers, rules, c_names, (y_codes, s_codes, c_codes), (ny, ns, nc))
    n_rows = len(teachers)
    size = ny * ns * nc
    if size * 8 <= 64_000_000:
        groups, table = _dense_counts(keys_and_bits, n_rows, size)
    else:  # sparse key space: number the groups that occur
        key, bits = keys_and_bits(0, n_rows)
        groups, inverse = np.unique(key, return_inverse=True)
        table = np.bincount(inverse * 8 + bits, minlength=len(groups) * 8).reshape(len(groups), 8)
    return _counts_frame(teachers, groups, table, (y_uniques, s_uniques, c_names))


def _roster_keys(
    teachers: pd.DataFrame,
    rules: dict[str, Any],
    c_names: list[str],
    key_codes: tuple[np.ndarray, np.ndarray, np.ndarray],
    shape: tuple[int, int, int],
):
    """A function giving the group keys and flag bits of the roster rows ``lo:hi``."""
    y_codes, s_codes, c_codes = key_codes
    ny, ns, nc = shape
    # The three flags depend only on (section, degree, backbone level, subject group): look
    # them up in a small table indexed by the combined category codes (one gather instead
    # of one comparison per allowed value), as bits of one small integer so that a single
    # bincount counts teachers and flags together.
    d_codes, d_labels = _codes(teachers["degree"])
    b_codes, b_labels = _codes(teachers["backbone_level"])
    g_codes, g_labels = _codes(teachers["subject_group"])
    above = np.zeros((len(d_labels) + 1, nc + 1), dtype=np.uint8)  # index 0 = missing
    for ci, sec in enumerate(c_names, start=1):
        allowed = set(rules["above_required_degree"].get(sec, ()))
        above[1:, ci] = [label in allowed for label in d_labels]
    backbone = np.array([0] + [label in rules["backbone_levels"] for label in b_labels], dtype=np.uint8)
    pe_art = np.array([0] + [label in rules["pe_art_subject_groups"] for label in g_labels], dtype=np.uint8)
    lut = (above[:, :, None, None] | (backbone[None, None, :, None] << 1) | (pe_art[None, None, None, :] << 2)).ravel()
    # combined code (codes + 1, so that -1 = missing is 0) in the smallest integer type
    dims = (len(d_labels) + 1, nc + 1, len(b_labels) + 1, len(g_labels) + 1)
    ctype = np.int16 if lut.size < 2**15 else np.int64
    strides = [int(np.prod(dims[i + 1:])) for i in range(4)]
    any_missing = (y_codes.min(initial=0) < 0) or (s_codes.min(initial=0) < 0) or (c_codes.min(initial=0) < 0)

    def keys_and_bits(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        combo = np.multiply(d_codes[lo:hi], strides[0], dtype=ctype)
        scratch = np.empty_like(combo)
        for codes, stride in ((c_codes, strides[1]), (b_codes, strides[2]), (g_codes, strides[3])):
            np.multiply(codes[lo:hi], stride, out=scratch, dtype=ctype)
            combo += scratch
        combo += sum(strides)  # the +1 of every code
        bits = lut[combo]
        key = np.multiply(s_codes[lo:hi], nc, dtype=np.int64)  # int64: bincount needs no conversion
        if ny > 1:
            key += y_codes[lo:hi].astype(np.int64) * (ns * nc)
        key += c_codes[lo:hi]
        if any_missing:
            ok = (y_codes[lo:hi] >= 0) & (s_codes[lo:hi] >= 0) & (c_codes[lo:hi] >= 0)
            key, bits = key[ok], bits[ok]
        return key, bits

    return keys_and_bits


def _block_counts(keys_and_bits, bounds: tuple[int, int]) -> tuple[int, np.ndarray]:
    """Counts of one block of rows over the key range the block covers.

    A roster sorted by school (as the cleaner writes it) gives each block a short range, so
    the block's table is small and nothing of the size of the whole key space is allocated
    per block.
    """
    key, bits = keys_and_bits(*bounds)
    if not len(key):
        return 0, np.zeros(0, dtype=np.int64)
    key *= 8
    key |= bits
    low = int(key.min())
    key -= low
    return low, np.bincount(key)


def _dense_counts(keys_and_bits, n_rows: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The occurring group keys and their 8 flag-combination counts, over the whole key space."""
    # numpy releases the GIL: blocks of rows are counted on several cores, a few at a
    # time (memory stays bounded for an unsorted roster, whose blocks span every key)
    workers = max(1, min(os.cpu_count() or 1, 4))
    blocks = [(lo, min(lo + _ROSTER_BLOCK, n_rows)) for lo in range(0, n_rows, _ROSTER_BLOCK)]
    table = np.zeros(size * 8, dtype=np.int64)
    count = functools.partial(_block_counts, keys_and_bits)

    def add(result: tuple[int, np.ndarray]) -> None:
        low, local = result
        table[low:low + len(local)] += local

    if workers > 1 and len(blocks) > 1:
        with ThreadPoolExecutor(workers) as pool:
            for start in range(0, len(blocks), workers):
                for result in pool.map(count, blocks[start:start + workers]):
                    add(result)
    else:
        for bounds in blocks:
            add(count(bounds))
    table = table.reshape(size, 8)
    groups = np.flatnonzero(table.any(axis=1))
    return groups, table[groups]


def _counts_frame(
    teachers: pd.DataFrame, groups: np.ndarray, table: np.ndarray, uniques: tuple[pd.Index, pd.Index, list[str]]
) -> pd.DataFrame:
    """The counts frame: decode the group keys and sum the flag bits of each count column."""
    y_uniques, s_uniques, c_names = uniques
    ns, nc = len(s_uniques), len(c_names)
    n = table.sum(axis=1)
    sums = [table[:, [b for b in range(8) if b & (1 << i)]].sum(axis=1) for i in range(3)]
    y, rest = np.divmod(groups, ns * nc)
    s, c = np.divmod(rest, nc)
    counts = pd.DataFrame(
        {
            "year": y_uniques.take(y).to_numpy() if len(groups) else teachers["year"].iloc[:0].to_numpy(),
            "school_id": pd.array(s_uniques.take(s), dtype="str") if len(groups) else pd.array([], dtype="str"),
            "section": pd.array(pd.Index(c_names).take(c) if len(groups) else [], dtype="str"),
            "teachers": n.astype("int64"),
            "above_degree_teachers": sums[0].astype("int64"),
            "backbone_teachers": sums[1].astype("int64"),
            "pe_art_teachers": sums[2].astype("int64"),
        }
    )
    return counts.astype({c: "Int64" for c in TEACHER_COUNT_COLUMNS})


def build_school_sections(
    schools: pd.DataFrame,
    teacher_counts: pd.DataFrame | None = None,
    *,
    teacher_count_source: str = "roster",
    section_facilities: pd.DataFrame | None = None,
    rules: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Split core_schools rows into core_school_sections rows.

    Parameters
    ----------
    schools : core_schools frame.
    teacher_counts : per (year, school_id, section) counts with the columns of
        :data:`TEACHER_COUNT_COLUMNS` (from :func:`teacher_counts_from_roster` or a bureau's
        per-school counts table). Its ``teacher_count_source`` column, if present, wins over
        the ``teacher_count_source`` argument. Sections without counts get ``none``.
    section_facilities : optional per (year, school_id, section) facility figures reported
        by the bureau; where present they replace the weighted split.
    rules : section rules; default ``analysis/data/sections.yaml``.

    Returns
    -------
    pandas.DataFrame with the columns of ``core_school_sections``.
    """
    rules = rules or load_rules()
    shares = facility_shares(schools, rules)
    parts = []
    for sec in SECTIONS:
        has = pd.Series(
            [sec in rules["sections_of_type"].get(t, ()) for t in schools["school_type"].astype("str")],
            index=schools.index,
        )
        sub = schools.loc[has]
        if sub.empty:
            continue
        part = sub[["year", "school_id", *_SCHOOL_COLUMNS]].copy()
        part["section"] = sec
        part["students"] = sub.get(f"students_{sec}")
        part["classes"] = sub.get(f"classes_{sec}") if f"classes_{sec}" in sub else pd.NA
        part["facility_share"] = shares.loc[has, sec]
        for col in FACILITY_COLUMNS:
            part[col] = pd.to_numeric(sub[col], errors="coerce").astype("float64") * shares.loc[has, sec]
        part["is_facility_reported"] = False
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)

    if section_facilities is not None and not section_facilities.empty:
        key = ["year", "school_id", "section"]
        rep = section_facilities.set_index(key)
        idx = pd.MultiIndex.from_frame(out[key])
        hit = idx.isin(rep.index)
        for col in FACILITY_COLUMNS:
            if col in rep:
                vals = rep[col].reindex(idx[hit]).to_numpy(dtype="float64", na_value=np.nan)
                cur = out.loc[hit, col].to_numpy(dtype="float64")
                out.loc[hit, col] = np.where(np.isnan(vals), cur, vals)
        out.loc[hit, "is_facility_reported"] = True

    if teacher_counts is not None and not teacher_counts.empty:
        tc = teacher_counts.copy()
        if "teacher_count_source" not in tc:
            tc["teacher_count_source"] = teacher_count_source
        cols = ["year", "school_id", "section", *TEACHER_COUNT_COLUMNS, "teacher_count_source"]
        out = out.merge(tc[cols], on=["year", "school_id", "section"], how="left", validate="one_to_one")
    else:
        for col in TEACHER_COUNT_COLUMNS:
            out[col] = pd.NA
        out["teacher_count_source"] = None
    out["teacher_count_source"] = out["teacher_count_source"].fillna("none")

    reason = pd.Series(None, index=out.index, dtype="object")
    types = out["school_type"].astype("str")
    tp_total = (
        _students(schools, "primary") + _students(schools, "junior") + _students(schools, "senior")
    ).groupby([schools["year"], schools["school_id"]]).sum()
    tp_students = pd.MultiIndex.from_frame(out[["year", "school_id"]]).map(tp_total.to_dict().get)
    small_tp = (types == "teaching_point") & (
        pd.Series(tp_students, index=out.index).astype("float64") < rules["teaching_point_min_students"]
    )
    reason[small_tp] = rules["teaching_point_reason"]
    for sec, why in rules["excluded_sections"].items():
        reason[out["section"] == sec] = why
    for stype, why in rules["excluded_types"].items():
        reason[types == stype] = why
    out["exclusion_reason"] = reason
    out["is_indicator_school"] = reason.isna()
    out = out.sort_values(["year", "school_id", "section"], kind="stable")
    return coerce(out, "core_school_sections")
