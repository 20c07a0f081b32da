"""Resource allocation (资源配置): L1-L7 per school section, the per-school rule and the CVs.

Works on ``core_school_sections`` (facilities already split by section, teacher counts per
section). Every step is vectorised over all school sections of all counties at once: a
``(sections × 7)`` numpy matrix of values, and ``numpy.bincount`` over integer group codes
for the county figures.

* L4 = (teaching_area − indoor_sports) / students; L5 = (sports_ground + indoor_sports) /
  students; L6 = equipment_value_yuan / students; L1-L3 and L7 × 100 / students (the
  formulas are in ``analysis/data/indicators.yaml``).
* Counted sections: ``is_indicator_school`` (no special/vocational schools, no teaching
  points under 50 students), private schools unless the standards exclude them, and
  students > 0. Sections that are not counted stay in the output with the reason.
* Per-school rule: at least 6 of 7 reach the standard and the remaining one reaches 85 %.
* Difference coefficients per county × section × indicator over counted sections with data.

Examples
--------
>>> secs = pd.DataFrame({
...     "year": 2024, "county": "甲县", "school_id": ["1000000001", "1000000002"],
...     "school_name": ["一小", "二小"], "section": "primary", "school_type": "primary",
...     "area_type": "urban", "is_private": False, "is_indicator_school": True,
...     "exclusion_reason": None, "students": [100, 300],
...     "above_degree_teachers": [5, 12], "backbone_teachers": [1, 3], "pe_art_teachers": [1, 3],
...     "teaching_area_m2": [500.0, 1400.0], "indoor_sports_area_m2": [0.0, 0.0],
...     "sports_ground_area_m2": [800.0, 2400.0], "equipment_value_yuan": [2.1e5, 6.0e5],
...     "multimedia_rooms": [3.0, 7.0]})
>>> res = evaluate_resource(secs)
>>> res.schools[["school_name", "n_met", "is_passing"]].values.tolist()
[['一小', 7, True], ['二小', 6, True]]
>>> round(float(res.cv.set_index("indicator").loc["L1", "cv"]), 4)
0.1019
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.config import load_yaml
from analysis.dictionary import empty_frame
from analysis.indicators.common import (
    RESOURCE_KEYS,
    SECTION_LABELS,
    arrow_take,
    categorical_to_plain,
    ceil_count,
    decategorize,
    ge,
    indicator_info,
    le,
    to_bool,
    to_float,
    tri,
)
from analysis.indicators.cv import contribution_frame, grouped_stats, rank_within
from analysis.sections import TEACHER_COUNT_COLUMNS, load_rules
from analysis.standards import Standards, as_standards

#: Columns of core_school_sections the resource evaluation reads.
SECTION_COLUMNS = (
    "year", "county", "school_id", "school_name", "section", "school_type", "area_type",
    "is_private", "students", "is_indicator_school", "exclusion_reason",
    "above_degree_teachers", "backbone_teachers", "pe_art_teachers", "teaching_area_m2",
    "indoor_sports_area_m2", "sports_ground_area_m2", "equipment_value_yuan", "multimedia_rooms",
    # L1-L7 as a county's 测算表 gives them (optional; see analysis/data/resource_inputs.yaml)
    "above_degree_teachers_per100", "backbone_teachers_per100", "pe_art_teachers_per100",
    "teaching_area_per_student_m2", "sports_area_per_student_m2", "equipment_per_student_yuan",
    "multimedia_rooms_per100",
)
#: Columns carried from the section rows into every per-section output.
_ID_COLUMNS = ("year", "county", "school_id", "school_name", "section", "school_type", "area_type")
CONTRIBUTION_MODES = ("failing", "all", "none")

REASON_PRIVATE = "民办学校不计入资源配置指标（所选标准）"
REASON_NO_STUDENTS = "在校生数为0或缺失，无法计算生均指标"



@dataclass(frozen=True)
class ResourceResult:
    """Frames of the resource evaluation (see ``tables_out.yaml``)."""

    values: pd.DataFrame         # out_resource_values
    schools: pd.DataFrame        # out_resource_schools
    cv: pd.DataFrame             # out_difference_coefficients
    contributions: pd.DataFrame  # out_cv_contributions
    shortfalls: pd.DataFrame     # L1-L7 rows of out_shortfalls


def _categorical(values: np.ndarray) -> pd.Categorical:
    """Repeated strings as a categorical (built once per distinct value, decoded at the end)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))


def _take(frame: pd.DataFrame, col: str, idx: np.ndarray, default: object = None) -> object:
    if col not in frame:
        return pd.Series([default] * len(idx), dtype="object").array
    return arrow_take(frame[col], idx)


def _column(frame: pd.DataFrame, col: str, optional: bool) -> np.ndarray:
    if col not in frame:
        return np.zeros(len(frame)) if optional else np.full(len(frame), np.nan)
    v = to_float(frame[col])
    return np.nan_to_num(v, nan=0.0) if optional else v


def _id_numbers(values: pd.Series) -> np.ndarray | None:
    """10-digit school ids as int64 (None if any is not a plain number), parsing each
    distinct id once for categoricals (Arrow casts, no Python per value)."""
    def parse(strings: object) -> np.ndarray | None:
        arr = pa.array(strings, from_pandas=True)
        if arr.null_count:
            return None
        try:
            return np.asarray(pc.cast(arr, pa.int64()), dtype=np.int64)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            return None

    if isinstance(values.dtype, pd.CategoricalDtype):
        table = parse(np.asarray(values.cat.categories, dtype=object))
        if table is None or (values.array.codes < 0).any():
            return None
        return table[values.array.codes]
    return parse(values.array if pd.api.types.is_string_dtype(values.dtype) else np.asarray(values, dtype=object))


def attach_teacher_counts(sections: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Left-join per-section teacher counts (from
    :func:`analysis.sections.teacher_counts_from_roster`) onto school sections.

    The 10-digit school identifiers are joined as integers (no string hashing); sections
    without counts get missing counts. Existing count columns of ``sections`` are replaced.

    >>> secs = pd.DataFrame({"year": [2024, 2024], "school_id": ["1000000001", "1000000002"],
    ...                      "section": ["primary", "junior"]})
    >>> counts = pd.DataFrame({"year": [2024], "school_id": ["1000000002"], "section": ["junior"],
    ...     "teachers": [30], "above_degree_teachers": [28], "backbone_teachers": [4], "pe_art_teachers": [3]})
    >>> attach_teacher_counts(secs, counts)["teachers"].tolist()
    [<NA>, 30]
    """
    base = sections.drop(columns=[c for c in TEACHER_COUNT_COLUMNS if c in sections])
    a_id, b_id = _id_numbers(base["school_id"]), _id_numbers(counts["school_id"])
    if a_id is None or b_id is None:
        key = ["year", "school_id", "section"]
        right = counts[[*key, *TEACHER_COUNT_COLUMNS]].astype({"school_id": "str", "section": "str"})
        left = base.astype({"school_id": "str", "section": "str"})
        return left.merge(right, on=key, how="left", validate="many_to_one")
    levels = ["junior", "primary", "senior"]

    def key(frame: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
        sec = np.full(len(frame), 3, dtype=np.int64)
        for i, lvl in enumerate(levels):
            sec[np.asarray(frame["section"] == lvl, dtype=bool)] = i
        return ((frame["year"].to_numpy(dtype=np.int64) * 10_000_000_000 + ids) * 4) + sec

    right_index = pd.Index(key(counts, b_id))
    if right_index.has_duplicates:
        raise ValueError("teacher counts have more than one row per year, school and section")
    pos = right_index.get_indexer(key(base, a_id))
    out = base.copy()
    for col in TEACHER_COUNT_COLUMNS:
        vals = pd.array(counts[col], dtype="Int64")
        out[col] = vals.take(pos, allow_fill=True)
    return out


def numerators(sections: pd.DataFrame) -> np.ndarray:
    """The ``(rows × 7)`` matrix of L1-L7 numerators (teachers, m², 元, rooms).

    Columns listed as ``optional`` in indicators.yaml (indoor sports rooms) count as 0 when
    missing; any other missing column makes the numerator missing.

    >>> numerators(pd.DataFrame({"teaching_area_m2": [500.0], "indoor_sports_area_m2": [None],
    ...     "sports_ground_area_m2": [800.0]}))[0, 3:5].tolist()
    [500.0, 800.0]
    """
    n = len(sections)
    out = np.empty((n, len(RESOURCE_KEYS)))
    for j, key in enumerate(RESOURCE_KEYS):
        spec = indicator_info(key)["numerator"]
        optional = set(spec.get("optional") or ())
        acc = np.zeros(n)
        for col in spec.get("plus") or ():
            acc = acc + _column(sections, col, col in optional)
        for col in spec.get("minus") or ():
            acc = acc - _column(sections, col, col in optional)
        out[:, j] = acc
    return out


@functools.cache
def value_columns() -> dict[str, str]:
    """Columns of core_school_sections holding L1-L7 as a 测算表 gives them.

    >>> value_columns()["L6"]
    'equipment_per_student_yuan'
    """
    return dict(load_yaml("resource_inputs.yaml")["value_columns"])


def given_values(sections: pd.DataFrame) -> np.ndarray:
    """The ``(rows × 7)`` matrix of L1-L7 values given as such (NaN where computed from inputs).

    >>> given_values(pd.DataFrame({"equipment_per_student_yuan": [2100.0, None]}))[:, 5].tolist()
    [2100.0, nan]
    """
    cols = value_columns()
    out = np.full((len(sections), len(RESOURCE_KEYS)), np.nan)
    for j, key in enumerate(RESOURCE_KEYS):
        col = cols.get(key)
        if col in sections:
            out[:, j] = to_float(sections[col])
    return out


FORMS = np.array(["raw", "indicator_values", "mixed"], dtype=object)


def _forms(given: np.ndarray) -> np.ndarray:
    """Per row: raw (no value given), indicator_values (all given) or mixed."""
    n_given = given.sum(axis=1) if given.size else np.zeros(len(given), dtype=int)
    return FORMS[np.where(n_given == 0, 0, np.where(n_given == given.shape[1], 1, 2))]


def _indicator_rule(sec: pd.DataFrame, students: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which sections count, from the school type (when ``is_indicator_school`` is absent).

    >>> ok, why = _indicator_rule(pd.DataFrame({"school_type": ["primary", "special", "teaching_point"]}),
    ...                           np.array([300.0, 80.0, 30.0]))
    >>> ok.tolist(), why.tolist()
    ([True, False, False], [None, '特殊教育学校不参与资源配置指标', '教学点在校生不足50人'])
    """
    rules = load_rules()
    n = len(sec)
    reason = np.full(n, None, dtype=object)
    if "school_type" in sec:
        types = sec["school_type"].astype("object").to_numpy()
        small = (types == "teaching_point") & (np.nan_to_num(students) < rules["teaching_point_min_students"])
        reason[small] = rules["teaching_point_reason"]
        for stype, why in rules["excluded_types"].items():
            reason[types == stype] = why
    return np.array([r is None for r in reason], dtype=bool), reason


def _scales() -> np.ndarray:
    return np.array([float(indicator_info(k)["scale"]) for k in RESOURCE_KEYS])


def _gap_units() -> list[str]:
    return [str(indicator_info(k)["gap_unit"]) for k in RESOURCE_KEYS]


def _levels(std: Standards) -> list[str]:
    return list(std.get("resource.cv_max"))


def evaluate_resource(
    sections: pd.DataFrame,
    standards: Standards | str | None = None,
    *,
    contributions: str = "failing",
    plain: bool = True,
) -> ResourceResult:
    """Evaluate L1-L7, the per-school rule and the difference coefficients.

    Parameters
    ----------
    sections : core_school_sections rows (any years and counties; all are evaluated,
        grouped by year and county). Only the sections of the standards (primary, junior)
        are evaluated.
    standards : the standards to apply (name, path or :class:`~analysis.standards.Standards`).
    contributions : which difference coefficients get per-school contributions:
        ``failing`` (those over the limit), ``all`` or ``none``.
    plain : return plain string columns (False keeps county, section and types as
        categoricals, for callers that group further and decode once at the end).

    Returns
    -------
    ResourceResult

    Examples
    --------
    >>> from analysis.indicators.evaluation import example_inputs
    >>> res = evaluate_resource(example_inputs()["core_school_sections"])
    >>> res.schools[["school_name", "failed_indicators", "is_passing"]].values.tolist()[1]
    ['示例二小', 'L5', False]
    """
    if contributions not in CONTRIBUTION_MODES:
        raise ValueError(f"unknown contributions mode {contributions!r}; allowed: {', '.join(CONTRIBUTION_MODES)}")
    std = as_standards(standards)
    levels = _levels(std)
    missing = [c for c in ("year", "county", "school_id", "section", "students") if c not in sections]
    if missing:
        raise KeyError(f"core_school_sections lacks columns {missing}")
    sec = _prepare(sections.loc[np.asarray(sections["section"].isin(levels))].reset_index(drop=True), levels)
    n = len(sec)
    k = len(RESOURCE_KEYS)

    # ---------------------------------------------------------------- values
    students = to_float(sec["students"])
    has_students = np.nan_to_num(students, nan=0.0) > 0
    num = numerators(sec)
    scale = _scales()
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(has_students[:, None], num * scale / np.where(has_students, students, 1.0)[:, None], np.nan)
    # values a 测算表 gives as such are used as given; their numerator is value × students / scale
    given = given_values(sec)
    is_given = ~np.isnan(given) & has_students[:, None]
    if is_given.any():
        values = np.where(is_given, given, values)
        num = np.where(is_given, given * np.nan_to_num(students)[:, None] / scale, num)
    level_idx = sec["section"].array.codes
    std_matrix = np.array([[float(std.get(f"resource.standards.{key}.{lvl}")) for key in RESOURCE_KEYS] for lvl in levels])
    std_rows = std_matrix[level_idx] if n else np.empty((0, k))
    met = ge(values, std_rows)  # 1 / 0 / NaN
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = values / std_rows

    # ---------------------------------------------------------------- counted sections
    if "is_indicator_school" in sec:
        is_indicator = to_bool(sec["is_indicator_school"], True)
    else:  # frames built by hand: apply the section rules of analysis/data/sections.yaml
        is_indicator, derived_reason = _indicator_rule(sec, students)
    is_private = to_bool(sec["is_private"], False) if "is_private" in sec else np.zeros(n, bool)
    include_private = bool(std.get("resource.include_private"))
    private_out = is_indicator & is_private & (not include_private)
    no_students = is_indicator & ~private_out & ~has_students
    counted = is_indicator & ~private_out & has_students
    if "exclusion_reason" in sec:
        base_reason = sec["exclusion_reason"].astype("object").to_numpy()
    elif "is_indicator_school" not in sec:
        base_reason = derived_reason
    else:
        base_reason = np.full(n, None, dtype=object)
    reason = np.where(private_out, REASON_PRIVATE, np.where(no_students, REASON_NO_STUDENTS, base_reason))
    reason = np.where(counted, None, reason)

    # ---------------------------------------------------------------- per-school rule
    min_met = int(std.get("resource.school_rule.min_indicators_met"))
    min_ratio = float(std.get("resource.school_rule.min_ratio_others"))
    known = ~np.isnan(values)
    is_met = met == 1.0
    fail = known & ~is_met
    n_met = is_met.sum(axis=1)
    n_missing = (~known).sum(axis=1)
    n_fail = fail.sum(axis=1)
    min_ratio_unmet = np.where(fail, ratio, np.inf).min(axis=1) if n else np.zeros(0)
    min_ratio_unmet = np.where(np.isinf(min_ratio_unmet), np.nan, min_ratio_unmet)
    below_floor = (n_fail > 0) & (ge(min_ratio_unmet, min_ratio) == 0.0)
    definitely_fails = (n_fail > k - min_met) | below_floor
    passes = np.where(definitely_fails, 0.0, np.where(n_missing == 0, 1.0, np.nan))
    passes = np.where(counted, passes, np.nan)  # the rule applies to counted sections only

    schools = _schools_frame(sec, students, counted, reason, n_met, n_missing, min_ratio_unmet,
                             passes, fail, known, ratio)
    schools["resource_input_form"] = _categorical(_forms(is_given))
    values_frame = _values_frame(sec, students, counted, num, values, std_rows, ratio, met)
    values_frame["resource_input_form"] = pd.Categorical.from_codes(
        is_given.ravel().astype(np.int64), categories=pd.Index(FORMS[:2], dtype=object))
    # A (county, level) group has a difference coefficient only if some section of it is
    # meant to be counted: a county whose only junior section is a special school, or a
    # 九年一贯制 school reporting 0 junior students, has no junior CV (not a missing one).
    # Sections with a missing student count keep the group, undecided.
    eligible = is_indicator & ~private_out & ~(students == 0)
    cv_frame, contrib = _coefficients(sec, students, counted, eligible, num, values, met, levels, std,
                                      contributions, is_given)
    shortfalls = _shortfalls(sec, students, counted, num, values, std_rows, ratio, fail, passes,
                             min_ratio)
    result = ResourceResult(values=values_frame, schools=schools, cv=cv_frame,
                            contributions=contrib, shortfalls=shortfalls)
    if plain:
        result = ResourceResult(*(decategorize(f) for f in (values_frame, schools, cv_frame, contrib, shortfalls)))
    return result


def _schools_frame(sec, students, counted, reason, n_met, n_missing, min_ratio_unmet, passes,
                   fail, known, ratio) -> pd.DataFrame:
    n = len(sec)
    idx = np.arange(n)
    keys = np.array(RESOURCE_KEYS, dtype=object)
    bits = 1 << np.arange(len(RESOURCE_KEYS))
    fail_mask = (fail * bits).sum(axis=1) if n else np.zeros(0, dtype=int)
    lookup = np.array([",".join(keys[[(m >> j) & 1 == 1 for j in range(len(keys))]]) or None
                       for m in range(1 << len(keys))], dtype=object)
    failed = np.where(counted, lookup[fail_mask], None)  # the rule is not applied to uncounted sections
    miss_mask = ((~known) * bits).sum(axis=1) if n else np.zeros(0, dtype=int)
    listed = [(t or "").replace(",", "、") for t in lookup]
    verdicts = ("学校达标", "学校未达标", "能否达标待数据补齐后确定")
    state = np.where(passes == 1.0, 0, np.where(passes == 0.0, 1, 2)).astype(np.int64)
    reason_codes, reason_values = pd.factorize(pd.Series(reason, dtype=object))
    n_reasons = len(reason_values) + 1
    # the text depends only on a few codes: build it once per combination present
    combo = ((((fail_mask.astype(np.int64) << 7) | miss_mask) * 3 + state) * n_reasons + (reason_codes + 1)) * 2 \
        + counted.astype(np.int64)
    uniq, inverse = np.unique(combo, return_inverse=True) if n else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    texts = []
    for code in uniq.tolist():
        code, is_counted = divmod(code, 2)
        code, r = divmod(code, n_reasons)
        masks, st = divmod(code, 3)
        fm, mm = masks >> 7, masks & 127
        if is_counted and not fm and not mm:
            texts.append("7项指标均达标" if st == 0 else verdicts[st])
            continue
        parts = [] if is_counted else [f"不计入：{reason_values[r - 1] if r else ''}"]
        if fm and is_counted:
            parts.append(f"{listed[fm]}未达标")
        if mm and is_counted:
            parts.append(f"数据缺失：{listed[mm]}")
        if is_counted:
            parts.append(verdicts[st])
        texts.append("；".join(parts))
    text_codes, text_values = pd.factorize(pd.Series(texts, dtype=object))
    detail = pd.Categorical.from_codes(text_codes[inverse] if n else np.zeros(0, dtype=np.int64),
                                       categories=pd.Index(text_values, dtype=object))
    out = {c: _take(sec, c, idx) for c in _ID_COLUMNS}
    out["is_private"] = to_bool(sec["is_private"], False) if "is_private" in sec else np.zeros(n, bool)
    out["students"] = pd.array(students, dtype="Float64").astype("Int64") if n else pd.array([], dtype="Int64")
    out["is_counted"] = counted
    out["exclusion_reason"] = _categorical(reason)
    out["n_met"] = n_met.astype("int64")
    out["n_missing"] = n_missing.astype("int64")
    out["min_ratio_unmet"] = np.where(counted, min_ratio_unmet, np.nan)
    out["is_passing"] = tri(passes)
    out["failed_indicators"] = _categorical(failed)
    out["detail"] = detail
    return pd.DataFrame(out)


def _values_frame(sec, students, counted, num, values, std_rows, ratio, met) -> pd.DataFrame:
    n, k = values.shape
    rows = np.repeat(np.arange(n), k)
    ind = np.tile(np.arange(k), n)
    out = {c: _take(sec, c, rows) for c in ("year", "county", "school_id", "school_name", "section", "area_type")}
    out["is_private"] = (to_bool(sec["is_private"], False) if "is_private" in sec else np.zeros(n, bool))[rows]
    st = pd.array(students, dtype="Float64").astype("Int64") if n else pd.array([], dtype="Int64")
    out["students"] = st.take(rows)
    out["is_counted"] = counted[rows]
    out["indicator"] = pd.Categorical.from_codes(ind, categories=list(RESOURCE_KEYS))
    out["numerator"] = num.ravel()
    out["value"] = values.ravel()
    out["standard"] = std_rows.ravel()
    out["ratio_to_standard"] = ratio.ravel()
    out["is_met"] = tri(met.ravel())
    return pd.DataFrame(out)


#: low-cardinality columns carried as categoricals inside the engine (integer codes for
#: grouping and cheap row repetition); outputs are decoded to plain strings at the end
_CATEGORICAL_COLUMNS = ("county", "school_type", "area_type")


def _prepare(sec: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """Sections with county / type / area as categoricals (sorted categories) and the
    section as a categorical of the standards' levels; ids and names as plain strings."""
    out = sec.copy(deep=False)
    for col in _CATEGORICAL_COLUMNS:
        if col in out:
            c = out[col]
            if not isinstance(c.dtype, pd.CategoricalDtype):
                c = c.astype("category")
            cats = c.cat.categories
            if not cats.is_monotonic_increasing:
                c = c.cat.reorder_categories(cats.sort_values())
            out[col] = c
    section = out["section"]
    if isinstance(section.dtype, pd.CategoricalDtype):
        out["section"] = section.cat.set_categories(levels)
    else:
        out["section"] = pd.Categorical(np.asarray(section, dtype=object), categories=levels)
    for col in ("school_id", "school_name"):
        if col in out and isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = categorical_to_plain(out[col])
    return out


def _group_codes(sec: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer code of each row's (year, county, section) group, sorted, and the groups."""
    years, year_codes = np.unique(sec["year"].to_numpy(dtype=np.int64), return_inverse=True)
    county = sec["county"]
    c_codes = county.array.codes.astype(np.int64)
    s_codes = sec["section"].array.codes.astype(np.int64)
    n_c, n_s = len(county.cat.categories), len(sec["section"].cat.categories)
    full = (year_codes * n_c + c_codes) * n_s + s_codes
    present, codes = np.unique(full, return_inverse=True)
    y, rest = np.divmod(present, n_c * n_s)
    c, sc = np.divmod(rest, n_s)
    keys = pd.DataFrame({
        "year": years[y],
        "county": pd.Categorical.from_codes(c, dtype=county.dtype),
        "section": pd.Categorical.from_codes(sc, dtype=sec["section"].dtype),
    })
    return codes, keys


def _coefficients(sec, students, counted, eligible, num, values, met, levels, std, contributions,
                  is_given=None):
    k = len(RESOURCE_KEYS)
    codes, keys = _group_codes(sec)
    if is_given is None:
        is_given = np.zeros((len(sec), k), dtype=bool)
    has_eligible = np.bincount(codes[eligible], minlength=len(keys)) > 0
    if not has_eligible.all():  # drop groups without any section meant to be counted
        new_code = np.cumsum(has_eligible) - 1
        codes = np.where(has_eligible[codes], new_code[codes], -1)
        keys = keys.loc[has_eligible].reset_index(drop=True)
    g = len(keys)
    weights = np.where(counted, students, np.nan)
    level_of_group = keys["section"].array.codes
    thresholds = np.array([float(std.get(f"resource.cv_max.{lvl}")) for lvl in levels])[level_of_group] if g else np.zeros(0)
    comp_thr = np.array([float(std.get(f"resource.composite_cv_max.{lvl}")) for lvl in levels])[level_of_group] if g else np.zeros(0)
    cols = {name: np.empty((g, k)) for name in ("n", "n_missing", "students", "mean", "sd", "cv", "n_met",
                                                 "n_given")}
    stats_by_indicator = []
    for j in range(k):
        s = grouped_stats(codes, g, values[:, j], weights)
        stats_by_indicator.append(s)
        miss = counted & np.isnan(values[:, j])
        cols["n"][:, j] = s.n
        cols["n_missing"][:, j] = np.bincount(codes[miss], minlength=g)
        cols["students"][:, j] = s.weight
        cols["mean"][:, j] = s.mean
        cols["sd"][:, j] = s.sd
        cols["cv"][:, j] = s.cv
        cols["n_met"][:, j] = np.bincount(codes[counted & (met[:, j] == 1.0)], minlength=g)
        cols["n_given"][:, j] = np.bincount(codes[counted & is_given[:, j]], minlength=g)
    thr = np.repeat(thresholds[:, None], k, axis=1)
    cv_met = le(cols["cv"], thr)
    undecided = (cols["n_missing"] > 0) | (cols["n"] == 0)
    cv_met = np.where(undecided, np.nan, cv_met)
    composite = cols["cv"].mean(axis=1) if g else np.zeros(0)
    comp_met = le(composite, comp_thr)
    with np.errstate(invalid="ignore", divide="ignore"):
        met_pct = 100.0 * cols["n_met"] / np.where(cols["n"] > 0, cols["n"], np.nan)

    rows = np.repeat(np.arange(g), k)
    ind = np.tile(np.arange(k), g)
    # a detail only where the figure needs a word (missing data, zero mean): the numbers
    # themselves are columns of the table
    details = np.full(len(rows), None, dtype=object)
    n_flat, miss_flat, mean_flat = cols["n"].ravel(), cols["n_missing"].ravel(), cols["mean"].ravel()
    for i in np.flatnonzero((miss_flat > 0) | ((n_flat > 0) & ~(mean_flat > 0))):
        if miss_flat[i]:
            details[i] = f"{int(miss_flat[i])}所学校数据缺失，差异系数仅按有数据的{int(n_flat[i])}所学校计算，是否达标待定"
        else:
            details[i] = "县域均值为0，差异系数无法计算"
    cv_frame = keys.take(rows).reset_index(drop=True)
    cv_frame["indicator"] = pd.Categorical.from_codes(ind, categories=list(RESOURCE_KEYS))
    cv_frame["n_schools"] = pd.array(cols["n"].ravel().astype("int64"), dtype="Int64")
    cv_frame["n_missing"] = cols["n_missing"].ravel().astype("int64")
    cv_frame["students"] = pd.array(cols["students"].ravel().round().astype("int64"), dtype="Int64")
    cv_frame["mean"] = cols["mean"].ravel()
    cv_frame["sd"] = cols["sd"].ravel()
    cv_frame["cv"] = cols["cv"].ravel()
    cv_frame["threshold"] = thr.ravel()
    cv_frame["is_met"] = tri(cv_met.ravel())
    cv_frame["n_schools_met"] = pd.array(cols["n_met"].ravel().astype("int64"), dtype="Int64")
    cv_frame["met_pct"] = met_pct.ravel()
    cv_frame["cv_composite"] = composite[rows]
    cv_frame["composite_threshold"] = comp_thr[rows]
    cv_frame["is_composite_met"] = tri(comp_met[rows])
    cv_frame["detail"] = details
    n_given = cols["n_given"].ravel()
    form = np.where(n_given == 0, 0, np.where(n_given >= n_flat, 1, 2))
    for i in np.flatnonzero(form > 0):
        said = ("按测算表所填指标值计算" if form[i] == 1
                else f"{int(n_given[i])}所学校按测算表所填指标值、其余按原始数据计算")
        details[i] = f"{details[i]}；{said}" if details[i] else said
    cv_frame["detail"] = details
    cv_frame["resource_input_form"] = pd.Categorical.from_codes(form.astype(np.int64), categories=pd.Index(FORMS, dtype=object))

    contrib = _contributions(sec, codes, keys, students, weights, values, stats_by_indicator,
                             cv_met, contributions)
    return cv_frame, contrib


def _contributions(sec, codes, keys, students, weights, values, stats, cv_met, mode) -> pd.DataFrame:
    parts = []
    for j, s in enumerate(stats):
        if mode == "none":
            break
        wanted = s.used.copy()
        if mode == "failing":
            in_group = codes >= 0  # rows of dropped groups (-1) have no coefficient
            failing = np.zeros(len(codes), dtype=bool)
            failing[in_group] = cv_met[codes[in_group], j] == 0.0
            wanted &= failing
        rows = np.flatnonzero(wanted)
        if not len(rows):
            continue
        c = contribution_frame(codes, s, values[:, j], weights, rows)
        parts.append((j, rows, c, s))
    if not parts:
        return _empty_contributions()
    j_all = np.concatenate([np.full(len(r), j) for j, r, _, _ in parts])
    rows = np.concatenate([r for _, r, _, _ in parts])
    g = codes[rows]
    contribution = np.concatenate([c["contribution"] for *_, c, _ in parts])
    out = keys.take(g).reset_index(drop=True)
    out["indicator"] = pd.Categorical.from_codes(j_all, categories=list(RESOURCE_KEYS))
    out["school_id"] = sec["school_id"].array.take(rows)
    out["school_name"] = _take(sec, "school_name", rows)
    out["students"] = pd.array(students[rows].round().astype("int64"), dtype="Int64")
    out["value"] = values[rows, j_all]
    out["mean"] = np.concatenate([s.mean[codes[r]] for _, r, _, s in parts])
    out["contribution"] = contribution
    out["contribution_pct"] = np.concatenate([c["contribution_pct"] for *_, c, _ in parts])
    out["rank"] = rank_within(g * len(RESOURCE_KEYS) + j_all, contribution)
    out["cv"] = np.concatenate([s.cv[codes[r]] for _, r, _, s in parts])
    out["cv_without"] = np.concatenate([c["cv_without"] for *_, c, _ in parts])
    order = np.lexsort((out["rank"].to_numpy(), j_all, g))
    return out.take(order).reset_index(drop=True)


def _empty_contributions() -> pd.DataFrame:
    return empty_frame("out_cv_contributions")


def _shortfalls(sec, students, counted, num, values, std_rows, ratio, fail, passes, min_ratio) -> pd.DataFrame:
    ii, jj = np.nonzero(fail & counted[:, None])
    scale = _scales()
    units = np.array(_gap_units(), dtype=object)
    unit_names = sorted(set(units.tolist()))
    unit_codes = np.array([unit_names.index(u) for u in units], dtype=np.int64)
    required = std_rows[ii, jj] * students[ii] / scale[jj]
    raw_gap = required - num[ii, jj]
    raw_pass = np.maximum(min_ratio * required - num[ii, jj], 0.0)
    counts = np.isin(units[jj], ("teachers", "rooms"))
    gap = np.where(counts, ceil_count(raw_gap), raw_gap)
    gap_to_pass = np.where(counts, np.maximum(ceil_count(raw_pass), 0.0), raw_pass)
    blocking = 1.0 - passes[ii]  # passes NaN -> NaN
    out = {c: _take(sec, c, ii) for c in ("year", "county", "school_id", "school_name", "section",
                                         "school_type", "area_type")}
    out["indicator"] = pd.Categorical.from_codes(jj, categories=list(RESOURCE_KEYS))
    out["measure"] = pd.Categorical.from_codes(np.zeros(len(ii), dtype=np.int64), categories=["value"])
    out["value"] = values[ii, jj]
    out["standard"] = std_rows[ii, jj]
    out["ratio_to_standard"] = ratio[ii, jj]
    out["gap"] = gap
    out["gap_to_pass"] = gap_to_pass
    out["gap_unit"] = pd.Categorical.from_codes(unit_codes[jj], categories=unit_names)
    out["is_blocking"] = tri(blocking)
    # no prose per row: value, standard, gap, gap_to_pass and gap_unit say it all (the
    # export renders them); the national run has hundreds of thousands of these rows
    out["detail"] = pd.Categorical.from_codes(np.full(len(ii), -1, dtype=np.int64), categories=pd.Index([], dtype=object))
    return pd.DataFrame(out)


def section_label(section: str) -> str:
    """Chinese name of a section code.

    >>> section_label("junior")
    '初中'
    """
    return SECTION_LABELS.get(str(section), str(section))
