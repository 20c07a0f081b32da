"""Per-kind conversion: the data rows of every sheet of one kind -> rows of the core tables.

:func:`convert_kind` parses every recognised column once over all sheets of a kind, with the
parser its field needs (numbers with unit conversion, codes through the value maps, dates,
grades, ids). Every row with an unreadable value, or an empty required one, goes to the
rejects (one record per bad cell, with the raw header and the raw value; an unreadable value
in an optional column rejects the row too, so that no figure is silently dropped). The good
rows go to the kind's shaper, which builds the rows of the kind's table(s): a county-figures
row gives one ``core_county_figures`` row and one ``core_attestations`` row per attested
item, a survey row one summarised ``core_survey`` row, a per-school teacher-counts row one
row per section.

Parsing a whole kind at once, rather than sheet by sheet, keeps a province of a thousand
small files fast: the cost is one pass per column and one Python call per distinct value.
Output frames carry ``source_file``, ``source_sheet``, ``source_row`` and ``_seq`` (the
sheet's position in the run, for "first occurrence wins" across files).

Examples
--------
>>> subject_groups(pd.Series(["语文", "小学数学", "体育与健康", "书法", "天文", None])).tolist()
['chinese', 'math', 'pe', 'other', 'other', 'other']
>>> school_types(pd.Series(["九年一贯制学校", "城关镇中心小学", "幼儿园"])).values.tolist()
['nine_year', 'primary', None]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.clean import parse as P
from analysis.clean.header import ATTESTED, IGNORED, QUESTION, Header, KindSpec, Match, Synonyms
from analysis.config import load_yaml
from analysis.dictionary import column, table_columns, value_labels
from analysis.indicator_catalog import code_ranges
from analysis.sections import area_type_from_code

MISSING_REQUIRED = "必填值缺失"
NO_DATA = "整行无有效数据"
UNKNOWN_SCHOOL_TYPE = "未知办学类型"
UNKNOWN_ANSWER = "未知答案（应为满意/基本满意/不满意）"

SOURCE_COLUMNS = ["source_file", "source_sheet", "source_row", "_seq"]
REJECT_COLUMNS = ["source_file", "source_sheet", "source_row", "table_kind", "source_column", "raw_value", "reason"]

#: Columns of the internal frames that feed core_school_sections.
INTERNAL_TABLES: dict[str, dict[str, Any]] = {
    "_teacher_counts": {
        "columns": ["year", "school_id", "section", "teachers", "above_degree_teachers",
                    "backbone_teachers", "pe_art_teachers"],
        "key": ["year", "school_id", "section"],
    },
    # per-section teacher counts given as columns of the school sheet (小学专任教师数 …)
    "_school_teacher_counts": {
        "columns": ["year", "school_id", "section", "teachers", "above_degree_teachers",
                    "backbone_teachers", "pe_art_teachers"],
        "key": ["year", "school_id", "section"],
    },
    # the per-school 测算表: inputs of L1-L7 or their values, per school section
    "_resource_sheet": {
        "columns": ["year", "school_id", "section", "students", "teachers", "above_degree_teachers",
                    "backbone_teachers", "pe_art_teachers", "teaching_area_m2", "indoor_sports_area_m2",
                    "sports_ground_area_m2", "equipment_value_yuan", "multimedia_rooms",
                    "above_degree_teachers_per100", "backbone_teachers_per100", "pe_art_teachers_per100",
                    "teaching_area_per_student_m2", "sports_area_per_student_m2", "equipment_per_student_yuan",
                    "multimedia_rooms_per100"],
        "key": ["year", "school_id", "section"],
    },
    "_section_facilities": {
        "columns": ["year", "school_id", "section", "teaching_area_m2", "indoor_sports_area_m2",
                    "sports_ground_area_m2", "equipment_value_yuan", "multimedia_rooms"],
        "key": ["year", "school_id", "section"],
    },
}

_TEXT_FIELDS = {"school_name", "city", "county", "class_name", "main_subject", "note", "region",
                "indicator", "published_section", "area", "unit", "source", "sports_space_contract_note",
                "judged_school_name", "judgement_reason", "judgement_evidence", "judged_by"}
_ID_FIELDS = {"teacher_id", "questionnaire_id"}
#: Free-text fields: a 合计 written inside them does not make the row a total row.
FREE_TEXT_FIELDS = {"note", "source", "indicator", "sports_space_contract_note", "judgement_reason",
                    "judgement_evidence"}
_YEAR_FIELDS = {"year", "graduation_year", "built_year", "target_year"}
#: Raw fields of the 出生人口 kind that hold a head count: each is a code of population_measure
#: and is parsed like the ``population`` column (see _shape_births).
POPULATION_FIELDS = ("births", "registered_births", "age_population")
#: Head counts split by area type in columns (城区出生人口, 出生人口 over 城区 | 镇区 | 乡村):
#: raw field -> (population_measure, area_group).
AREA_POPULATION_FIELDS = {f"{m}_{a}": (m, a) for m in ("births", "registered_births")
                          for a in ("urban", "town", "rural")}
AGE_MISSING = "分年龄人口缺少年龄"


def target_columns(target: str) -> list[str]:
    """Columns of a core table or of an internal frame.

    >>> target_columns("_teacher_counts")[:4]
    ['year', 'school_id', 'section', 'teachers']
    """
    if target in INTERNAL_TABLES:
        return list(INTERNAL_TABLES[target]["columns"])
    return table_columns(target)


# ------------------------------------------------------------------ value maps


@functools.cache
def school_type_maps() -> tuple[dict[str, str], list[tuple[re.Pattern, str]]]:
    raw = load_yaml("school_types.yaml")
    names = P.lookup_table(raw["names"])
    patterns = [(re.compile(p), code) for p, code in raw.get("patterns", [])]
    allowed = set(value_labels("school_type"))
    bad = ({*names.values()} | {c for _, c in patterns}) - allowed
    if bad:
        raise ValueError(f"school_types.yaml uses unknown codes {sorted(bad)}; allowed: {sorted(allowed)}")
    return names, patterns


def school_types(s: pd.Series) -> P.Parsed:
    """School types through ``school_types.yaml`` (names, then patterns)."""
    names, patterns = school_type_maps()
    tokens = P.missing_tokens()

    def one(key: Any) -> Any:
        if not isinstance(key, str):
            return None
        if key in names:
            return names[key]
        for pat, code in patterns:
            if pat.search(key):
                return code
        return None

    def f(u: pd.Series) -> tuple[Any, Any]:
        k = P.lookup_keys(u)
        code = np.array([one(x) for x in k], dtype=object)
        missing = (k.isna() | k.isin(tokens)).to_numpy()
        return code, np.where((code == None) & ~missing, UNKNOWN_SCHOOL_TYPE, None)  # noqa: E711

    values, problem = P.parsed_on_uniques(s, f)
    return P.Parsed(pd.Series(values, index=s.index, dtype=object), problem)


@functools.cache
def subject_maps() -> tuple[dict[str, str], tuple[str, ...]]:
    raw = load_yaml("subjects.yaml")
    table = P.lookup_table(raw["groups"])
    allowed = set(value_labels("subject_group"))
    bad = set(table.values()) - allowed
    if bad:
        raise ValueError(f"subjects.yaml uses unknown subject groups {sorted(bad)}; allowed: {sorted(allowed)}")
    return table, tuple(P.norm_key(x) for x in raw.get("strip_prefixes", ()))


def subject_key(name: Any) -> str | None:
    """The subjects.yaml entry a subject name resolves to (None when unlisted or blank).

    >>> subject_key("初中 数学"), subject_key("体育与健康"), subject_key("天文")
    ('数学', '体育与健康', None)
    """
    table, prefixes = subject_maps()
    if not isinstance(name, str) or not name:
        return None
    key = P.norm_key(name)
    if key in table:
        return key
    for p in prefixes:
        if key.startswith(p) and key[len(p):] in table:
            return key[len(p):]
    return None


def subject_groups(subjects: pd.Series) -> pd.Series:
    """``subject_group`` codes of main subjects; unlisted or blank subjects give ``other``."""
    table, _ = subject_maps()
    return P.on_uniques(subjects, lambda u: [table.get(subject_key(x), "other") for x in u])


@functools.cache
def category_table(name: str) -> dict[str, Any]:
    """Normalised spellings -> code for a coded column of clean_values.yaml.

    >>> category_table("degree")["大专"], category_table("gender")["女"]
    ('associate', 'female')
    """
    maps = P.value_maps()["values"]
    table = P.lookup_table(maps[name])
    try:
        allowed = set(value_labels(name))
    except KeyError:
        allowed = set()
    if allowed:
        bad = {str(v) for v in table.values()} - allowed
        if bad:
            raise ValueError(f"clean_values.yaml: {name} uses unknown codes {sorted(bad)}; allowed: {sorted(allowed)}")
    return table


# ------------------------------------------------------------------ sheet context


@dataclass
class SheetContext:
    """Everything a converter needs to know about one sheet."""

    file: str
    sheet: str | None
    seq: int
    spec: KindSpec
    syn: Synonyms
    header: Header
    matches: dict[int, Match]
    #: year named by the title rows, sheet name or file name (fills a missing year column or cell)
    year: int | None = None
    year_source: str | None = None
    sheet_units: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)
    #: distinct normalised raw values seen per field (school types), for unused-mapping warnings
    value_keys: dict[str, set[str]] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.file} [{self.sheet}]" if self.sheet else self.file

    def raw_header(self, position: int) -> str:
        return self.header.cells[position].raw


def unit_factor(fld: str, match: Match, ctx: SheetContext, header: str) -> float:
    """Conversion factor of a money or area column: header unit, else the sheet's unit line,
    else the kind's default unit (``default_units`` in synonyms.yaml), else 1."""
    syn = ctx.syn
    group = next((g for suf, g in syn.unit_suffixes.items() if fld.endswith(suf)), None)
    if group is None:
        return 1.0
    units = syn.units[group]
    for u in match.units:
        key = P.norm_key(re.split(r"[/每]", u)[0])
        if key in units:
            return units[key]
    sheet = [u for u in ctx.sheet_units if u in units]
    if len(set(sheet)) == 1:
        return units[sheet[0]]
    default = ctx.spec.default_units.get(fld)
    if default is not None:
        factor = units[P.norm_key(default)]
        if factor != 1:
            ctx.warnings.append(
                f"{ctx.where}: column {header!r} gives no unit; taken as {default} (default for {fld})"
            )
        return factor
    return 1.0


def parse_field(match: Match, raw: pd.Series | P.Coded, factor: float = 1.0) -> P.Parsed:
    """Parse one raw column for the field it was matched to (``factor``: unit conversion of
    a money or area column, see :func:`unit_factor`).

    >>> p = parse_field(Match("equipment_value_yuan", "教学仪器设备资产值"), pd.Series(["1.5", "x"]), 10000)
    >>> p.values.tolist(), p.problem.tolist()
    ([15000.0, nan], [None, '无法识别的数值'])
    """
    fld = match.field
    if match.field == ATTESTED:
        return P.parse_text(raw) if match.part == "note" else P.parse_bool(raw)
    if fld == QUESTION:
        return P.parse_category(raw, P.lookup_table(P.value_maps()["answers"]), reason=UNKNOWN_ANSWER)
    if fld in _YEAR_FIELDS:
        col = column(fld)
        return P.parse_year(raw, ge=int(col.ge or 1990), le=int(col.le or 2100))
    if fld in ("school_id", "parent_school_id", "judged_school_id"):
        return P.parse_school_id(raw)
    if fld == "school_type":
        return school_types(raw)
    if fld == "urban_rural_code":
        return P.parse_urban_rural_code(raw, value_labels("urban_rural_code"))
    if fld in ("birth_date", "judged_on"):
        return P.parse_date(raw)
    if fld == "grade":
        return P.parse_grade(raw)
    if fld in _ID_FIELDS:
        return P.parse_id(raw)
    if fld in POPULATION_FIELDS or fld in AREA_POPULATION_FIELDS:
        fld = "population"
    if fld in _TEXT_FIELDS:
        return P.parse_text(raw)
    if fld in P.value_maps()["values"]:
        blank = P.value_maps().get("blank_means", {}).get(fld)
        p = P.parse_category(raw, category_table(fld), blank=blank)
        if column(fld).dtype in ("bool", "boolean"):
            return P.Parsed(p.values.astype("boolean"), p.problem)
        return p
    col = column(fld)
    if col.dtype in ("bool", "boolean"):
        return P.parse_bool(raw)
    if col.dtype in ("Int64", "int64", "float64"):
        return P.parse_number(
            raw, factor=factor, ge=col.ge, le=col.le, integer=col.dtype != "float64",
            decimals=2 if factor != 1 else None, units=cell_units(fld),
            percent=fld.endswith("_pct") or col.unit in (None, "%"),
        )
    return P.parse_text(raw)


@functools.cache
def cell_units(fld: str) -> dict[str, float] | None:
    """Units a cell of numeric field ``fld`` may write after its number, with their factors:
    a money or area field its unit group of clean_values.yaml (``30000元``, ``12万元``,
    ``120㎡``); any other field with a unit (人, 间, 学时 …) the units that convert by 1 (groups
    other than money and area: ``45人``); a field without a unit (a published figure's value,
    whose unit is a column of its own) None, any known unit word being dropped.

    >>> cell_units("equipment_value_yuan")["万元"], cell_units("students")["人"], "元" in cell_units("students")
    (10000.0, 1.0, False)
    """
    maps = P.value_maps()
    groups = {g: {P.norm_key(u): float(f) for u, f in us.items()} for g, us in maps["units"].items()}
    group = next((g for suf, g in maps["unit_suffixes"].items() if fld.endswith(suf)), None)
    if group is not None:
        return groups[group]
    if column(fld).unit in (None, "%"):
        return None
    scaled = set(maps["unit_suffixes"].values())
    return {u: f for g, us in groups.items() if g not in scaled for u, f in us.items() if f == 1}


def _unit_group(fld: str, syn: Synonyms) -> str | None:
    return next((g for suf, g in syn.unit_suffixes.items() if fld.endswith(suf)), None)


def value_name(match: Match, position: int) -> str:
    """Name of a parsed column: the field, ``field@section``, ``item:G1:is_met`` or ``q:3``
    (``position``: the question's number in its sheet).

    >>> value_name(Match("teachers", "专任教师数", section="primary"), 4)
    'teachers@primary'
    """
    if match.field == ATTESTED:
        return f"item:{match.item}:{match.part}"
    if match.field == QUESTION:
        return f"q:{position}"
    if match.section:
        return f"{match.field}@{match.section}"
    return match.field


# ------------------------------------------------------------------ converting a kind


@dataclass
class SheetInput:
    """The data rows of one sheet, ready to convert: each raw column as :class:`Coded`
    (positions of the sheet's columns), and the grid row (0-based) of every data row."""

    ctx: SheetContext
    columns: dict[int, P.Coded]
    grid_rows: np.ndarray


@dataclass
class Batch:
    """The rows of every sheet of one kind, parsed side by side.

    ``sheet`` gives each row's index into ``sheets``; ``present[name]`` says whether the
    row's sheet has that column at all; ``n_questions`` the questions of the row's sheet.
    """

    spec: KindSpec
    sheets: list[SheetContext]
    sheet: np.ndarray
    present: dict[str, np.ndarray]
    n_questions: np.ndarray

    def take(self, mask: np.ndarray) -> Batch:
        return Batch(self.spec, self.sheets, self.sheet[mask], {k: v[mask] for k, v in self.present.items()},
                     self.n_questions[mask])


@dataclass
class KindResult:
    """Output frames by table, the reject records and the warnings of one kind, and the
    distinct raw values seen per field (school types: for the notes about unused mappings)."""

    frames: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    value_keys: dict[str, set[str]] = field(default_factory=dict)


def _needed(spec: KindSpec, m: Match) -> bool:
    if m.field == IGNORED:
        return False
    if m.field in (ATTESTED, QUESTION, "section", "grade"):
        return True
    if m.field in spec.extra.get("sectioned_fields", ()) or m.field in spec.extra.get("carry_fields", ()):
        return True
    if spec.target == "core_births" and m.field in (*POPULATION_FIELDS, *AREA_POPULATION_FIELDS, "age"):
        return True
    return m.field in target_columns(spec.target) or m.field == spec.year_field


#: Non-nullable columns that get a value when the cell is blank (see the shapers): a births
#: row's age is 0 unless it counts an age group, where _shape_births rejects a blank age.
_DEFAULTED = {"is_counted_school", "age"}


def _required_fields(spec: KindSpec) -> set[str]:
    """Fields that may not be empty in a row: the non-nullable columns of the target and the
    kind's required columns (``required`` in synonyms.yaml: a class row needs its 学生数 even
    though ``students`` may be empty in other tables).

    >>> from analysis.clean.header import load_synonyms
    >>> sorted(_required_fields(load_synonyms().kinds["classes"]))
    ['class_name', 'grade', 'school_id', 'section', 'students', 'year']
    """
    out = {"year", "school_id", "section"} if spec.target in INTERNAL_TABLES else set()
    out |= set(spec.required)
    if spec.target.startswith("core_"):
        for c in table_columns(spec.target):
            if not column(c).nullable and not c.startswith("source_"):
                out.add(c)
    if spec.year_field:
        out.add(spec.year_field)
    return out - _DEFAULTED


def reject_records(
    files: np.ndarray, sheets: np.ndarray, rows: np.ndarray, seqs: np.ndarray, kind: str,
    columns: Any, raw_values: Any, reasons: Any,
) -> pd.DataFrame:
    """qa_rejects records (plus ``_seq``) from aligned arrays; scalars are broadcast.

    >>> r = reject_records(np.array(["a.csv"]), np.array([None]), np.array([3]), np.array([1]), "schools",
    ...                    "学校标识码", ["123"], "学校标识码不是10位数字")
    >>> r[["source_row", "source_column", "raw_value", "reason"]].values.tolist()
    [[3, '学校标识码', '123', '学校标识码不是10位数字']]
    """
    n = len(rows)

    def arr(x: Any) -> Any:
        return [x] * n if x is None or isinstance(x, str) else x

    return pd.DataFrame(
        {
            "source_file": files, "source_sheet": sheets, "source_row": np.asarray(rows, dtype="int64"),
            "table_kind": [kind] * n, "source_column": arr(columns), "raw_value": arr(raw_values),
            "reason": arr(reasons), "_seq": np.asarray(seqs, dtype="int64"),
        },
        columns=[*REJECT_COLUMNS, "_seq"],
    )


def convert_kind(spec: KindSpec, inputs: list[SheetInput]) -> KindResult:
    """Parse and convert the data rows of every sheet of one kind in one pass.

    Every recognised column is parsed once over all sheets (each distinct raw value once);
    money and area columns are converted with their sheet's unit. A row with an unreadable
    value, or an empty required one, becomes reject records (one per bad cell, with the raw
    header and value); the good rows go to the kind's shaper.
    """
    # the sheets' warnings and value keys of this conversion, returned in the KindResult
    warnings: list[str] = []
    value_keys: dict[str, set[str]] = {}
    inputs = [replace(i, ctx=replace(i.ctx, warnings=warnings, value_keys=value_keys)) for i in inputs]
    syn = inputs[0].ctx.syn
    lens = np.array([len(i.grid_rows) for i in inputs], dtype=np.intp)
    n = int(lens.sum())
    sheet = np.repeat(np.arange(len(inputs)), lens)
    files = np.array([i.ctx.file for i in inputs], dtype=object)[sheet]
    sheet_names = np.array([i.ctx.sheet for i in inputs], dtype=object)[sheet]
    seqs = np.array([i.ctx.seq for i in inputs], dtype="int64")[sheet]
    rows = np.concatenate([i.grid_rows for i in inputs]).astype("int64") + 1 if n else np.empty(0, "int64")

    # names of the parsed columns, and per sheet: which column, header and unit factor
    names: dict[str, Match] = {}
    layout: list[dict[str, tuple[int, str, float]]] = []
    n_questions = np.zeros(len(inputs), dtype="int64")
    for k, inp in enumerate(inputs):
        ctx, cols, q = inp.ctx, {}, 0
        for pos, m in sorted(ctx.matches.items()):
            if not _needed(spec, m) or pos not in inp.columns:
                continue
            name = value_name(m, q)
            q += m.field == QUESTION
            names.setdefault(name, m)
            header = ctx.raw_header(pos)
            factor = unit_factor(m.field, m, ctx, header) if _unit_group(m.field, syn) else 1.0
            cols[name] = (pos, header, factor)
        layout.append(cols)
        n_questions[k] = q

    values: dict[str, pd.Series] = {}
    present: dict[str, np.ndarray] = {}
    headers: dict[str, np.ndarray] = {}
    raws: dict[str, P.Coded] = {}
    bad = np.zeros(n, dtype=bool)
    rejects: list[pd.DataFrame] = []
    for name, m in names.items():
        parts, head, factor, here = [], np.empty(len(inputs), dtype=object), np.ones(len(inputs)), np.zeros(len(inputs), bool)
        for k, inp in enumerate(inputs):
            if name in layout[k]:
                pos, head[k], factor[k] = layout[k][name]
                here[k] = True
                parts.append(inp.columns[pos])
            else:
                parts.append(P.Coded.empty(len(inp.grid_rows)))
        raw = P.Coded.concat(parts)
        p = parse_field(m, raw)
        vals = p.values
        row_factor = factor[sheet]
        if p.own_unit is not None:
            row_factor = np.where(p.own_unit.to_numpy(), 1.0, row_factor)  # 30000元 under a 万元 header
        if (row_factor != 1).any():
            scaled = vals.to_numpy(dtype=float) * row_factor
            vals = pd.Series(np.where(row_factor != 1, np.round(scaled, 2), scaled), dtype="float64")
        values[name] = vals
        present[name] = here[sheet]
        headers[name] = head[sheet]
        raws[name] = raw
        if m.field == "school_type":
            inputs[0].ctx.value_keys.setdefault("school_type", set()).update(
                k for k in (P.key_of(v) for v in raw.values) if k)
        mask = p.problem.notna().to_numpy()
        if mask.any():
            bad |= mask
            rejects.append(reject_records(files[mask], sheet_names[mask], rows[mask], seqs[mask], spec.name,
                                          headers[name][mask], P.raw_text(raw[mask]).to_numpy(),
                                          p.problem.to_numpy()[mask]))
    v = pd.DataFrame(values, index=pd.RangeIndex(n))

    yf = spec.year_field
    if yf:
        hint = np.array([np.nan if i.ctx.year is None else float(i.ctx.year) for i in inputs])[sheet]
        if yf not in v.columns:
            v[yf] = hint
            present[yf] = np.zeros(n, dtype=bool)
        else:
            fill = v[yf].isna().to_numpy() & ~bad & ~np.isnan(hint)
            if fill.any():
                # no year column in this sheet, or an empty 年份 cell: the year of the title
                v.loc[fill, yf] = hint[fill]
                for k in np.unique(sheet[fill & present[yf]]):
                    ctx = inputs[k].ctx
                    count = int((fill & present[yf] & (sheet == k)).sum())
                    ctx.warnings.append(f"{ctx.where}: {count} rows with an empty {layout[k][yf][1]} "
                                        f"took year {ctx.year} from the {ctx.year_source}")
    for name in sorted(_required_fields(spec) & set(v.columns)):
        if name == "section" or name not in raws:
            continue  # a section may come from grouped columns or the grade; checked by the shaper
        mask = v[name].isna().to_numpy() & ~bad & present[name]
        if mask.any():
            rejects.append(reject_records(files[mask], sheet_names[mask], rows[mask], seqs[mask], spec.name,
                                          headers[name][mask], P.raw_text(raws[name][mask]).to_numpy(),
                                          MISSING_REQUIRED))
            bad |= mask
    good = v.loc[~bad].copy()
    good["source_file"] = files[~bad]
    good["source_sheet"] = sheet_names[~bad]
    good["source_row"] = rows[~bad]
    good["_seq"] = seqs[~bad]
    batch = Batch(spec, [i.ctx for i in inputs], sheet, present, n_questions[sheet]).take(~bad)
    frames, extra = SHAPERS[spec.name](good.reset_index(drop=True), batch)
    parts = [r for r in [*rejects, extra] if r is not None and len(r)]
    rej = pd.concat(parts, ignore_index=True) if parts else reject_records(
        np.empty(0, object), np.empty(0, object), np.empty(0, "int64"), np.empty(0, "int64"), spec.name,
        np.empty(0, object), np.empty(0, object), np.empty(0, object))
    return KindResult(frames, rej, warnings, value_keys)


# ------------------------------------------------------------------ shapers

Shaper = Callable[[pd.DataFrame, Batch], tuple[dict[str, pd.DataFrame], pd.DataFrame | None]]


def _select(v: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    empty = np.full(len(v), None, dtype=object)
    return pd.DataFrame({c: v[c] if c in v.columns else empty for c in cols}, index=v.index)


def _row_rejects(v: pd.DataFrame, mask: np.ndarray, batch: Batch, reason: str) -> pd.DataFrame:
    sub = v.loc[mask]
    return reject_records(sub["source_file"].to_numpy(), sub["source_sheet"].to_numpy(), sub["source_row"].to_numpy(),
                          sub["_seq"].to_numpy(), batch.spec.name, None, None, reason)


def _missing_column_warning(batch: Batch, name: str, message: str) -> None:
    """Warn once per sheet of the batch that has no column ``name``."""
    have = batch.present.get(name, np.zeros(len(batch.sheet), dtype=bool))
    for k in np.unique(batch.sheet[~have]):
        ctx = batch.sheets[k]
        ctx.warnings.append(f"{ctx.where}: {message}")


def _shape_schools(v: pd.DataFrame, batch: Batch) -> tuple[dict, None]:
    out = _select(v, table_columns("core_schools") + ["_seq"])
    out["area_type"] = area_type_from_code(out["urban_rural_code"])
    out["is_private"] = out["is_private"].astype("boolean")
    is_tp = out["school_type"].eq("teaching_point")
    counted = out["is_counted_school"].astype("boolean")
    # 是否计校数 left blank (or no such column): a teaching point is not counted, every other school is
    out["is_counted_school"] = counted.fillna(~is_tp).astype(bool)
    frames = {"core_schools": out}
    counts = _school_teacher_counts(v, batch)
    if counts is not None:
        frames["_school_teacher_counts"] = counts
    return frames, None


def _school_teacher_counts(v: pd.DataFrame, batch: Batch) -> pd.DataFrame | None:
    """Per-section teacher counts from columns of the school sheet: one row per school and
    section with any count (``teachers@primary`` …); counts without a section (专任教师数
    alone) give a row without section, resolved later from the school type, and only for
    schools whose row gives no sectioned count."""
    fields = INTERNAL_TABLES["_school_teacher_counts"]["columns"][3:]
    cols = [c for c in v.columns if c.split("@")[0] in fields]
    if not cols:
        return None
    common = ["year", "school_id", "source_file", "source_sheet", "source_row", "_seq"]
    sections = sorted({c.split("@")[1] for c in cols if "@" in c}, key=["primary", "junior", "senior"].index)
    any_sectioned = v[[c for c in cols if "@" in c]].notna().any(axis=1) if sections else pd.Series(False, index=v.index)
    parts = []
    for sec in [*sections, None]:
        names = [f"{f}@{sec}" if sec else f for f in fields]
        if not any(n in v for n in names):
            continue
        part = v[common].copy()
        part["section"] = sec
        for f, n in zip(fields, names, strict=True):
            part[f] = v.get(n, np.nan)
        has = part[fields].notna().any(axis=1)
        if sec is None:
            has &= ~any_sectioned
        parts.append(part.loc[has])
    return pd.concat(parts, ignore_index=True) if parts else None


def _shape_teachers(v: pd.DataFrame, batch: Batch) -> tuple[dict, None]:
    out = _select(v, table_columns("core_teachers") + ["_seq"])
    # a blank (or absent) 骨干教师级别 means none: see blank_means in clean_values.yaml
    out["backbone_level"] = out["backbone_level"].where(out["backbone_level"].notna(), "none")
    _missing_column_warning(batch, "backbone_level", "no 骨干教师级别 column; every teacher taken as not a backbone teacher (none)")
    _missing_column_warning(batch, "main_subject", "no 主要任教课程 column; subject_group set to other")
    out["subject_group"] = subject_groups(out["main_subject"])
    pairs = pd.DataFrame({"sheet": batch.sheet, "subject": out["main_subject"].to_numpy()}).dropna().drop_duplicates()
    pairs = pairs[np.array([subject_key(x) is None for x in pairs["subject"]], dtype=bool)]  # [] would select columns
    for k, grp in pairs.groupby("sheet", sort=True):
        ctx = batch.sheets[k]
        ctx.warnings.append(
            f"{ctx.where}: subjects not in subjects.yaml (subject_group other): {', '.join(sorted(map(str, grp['subject'])))}"
        )
    return {"core_teachers": out}, None


def _melt_sections(v: pd.DataFrame, batch: Batch, value_fields: list[str]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """One row per section from section-grouped columns (``teachers@primary`` …) or a 学段
    column. Rows without any value are rejected; without a section, ``section`` stays empty
    (resolved later from the school's type)."""
    common = ["year", "school_id", "source_file", "source_sheet", "source_row", "_seq"]
    order = ["primary", "junior", "senior"]
    grouped = sorted({c.split("@")[1] for c in v.columns if "@" in c}, key=order.index)
    is_grouped = np.zeros(len(v), dtype=bool)
    for name, here in batch.present.items():
        if "@" in name:
            is_grouped |= here
    parts = []
    flat = v.loc[~is_grouped, common].copy()
    flat["section"] = v.loc[~is_grouped, "section"] if "section" in v else None
    for f in value_fields:
        flat[f] = v.loc[~is_grouped, f] if f in v else np.nan
    parts.append(flat)
    for sec in grouped:
        part = v.loc[is_grouped, common].copy()
        part["section"] = sec
        for f in value_fields:
            part[f] = v.loc[is_grouped, f"{f}@{sec}"] if f"{f}@{sec}" in v else np.nan
        parts.append(part)
    long = pd.concat(parts)
    long = long.loc[long[value_fields].notna().any(axis=1)]
    empty = ~v.index.isin(long.index.unique())
    rejects = _row_rejects(v, empty, batch, NO_DATA) if empty.any() else None
    return long.reset_index(drop=True), rejects


def _shape_teacher_counts(v: pd.DataFrame, batch: Batch) -> tuple[dict, Any]:
    long, rejects = _melt_sections(v, batch, INTERNAL_TABLES["_teacher_counts"]["columns"][3:])
    return {"_teacher_counts": long}, rejects


def _shape_section_facilities(v: pd.DataFrame, batch: Batch) -> tuple[dict, Any]:
    long, rejects = _melt_sections(v, batch, INTERNAL_TABLES["_section_facilities"]["columns"][3:])
    return {"_section_facilities": long}, rejects


def _shape_resource_sheet(v: pd.DataFrame, batch: Batch) -> tuple[dict, Any]:
    """测算表 rows: one per school section. A sheet without a 学段 column takes the section
    its sheet or file name names (小学测算表 / 初中测算表), else the school's only one (later)."""
    cols = INTERNAL_TABLES["_resource_sheet"]["columns"]
    out = _select(v, cols + ["school_name", "county", "source_file", "source_sheet", "source_row", "_seq"])
    tokens = P.lookup_table(P.value_maps()["values"]["section"])
    if out["section"].isna().any():
        named = []
        for ctx in batch.sheets:
            text = P.norm_key(f"{ctx.sheet or ''}|{Path(ctx.file).stem}").replace("中小学", "")
            found = {sec for tok, sec in tokens.items() if len(tok) >= 2 and tok in text and sec != "senior"}
            named.append(found.pop() if len(found) == 1 else None)
        hint = pd.Series(np.array(named, dtype=object)[batch.sheet], index=out.index)
        out["section"] = out["section"].where(out["section"].notna(), hint)
    values = [c for c in cols[4:] if c in v.columns]
    empty = ~v[values].notna().any(axis=1).to_numpy() if values else np.ones(len(v), dtype=bool)
    rejects = _row_rejects(v, empty, batch, NO_DATA) if empty.any() else None
    return {"_resource_sheet": out.loc[~empty].reset_index(drop=True)}, rejects


@functools.cache
def _grade_sections() -> dict[int, str]:
    return {int(g): sec for sec, grades in P.value_maps()["grade_sections"].items() for g in grades}


def _with_section(v: pd.DataFrame, name: str) -> dict:
    out = _select(v, table_columns(name) + ["_seq"])
    from_grade = v["grade"].map(_grade_sections())
    out["section"] = out["section"].where(out["section"].notna(), from_grade)
    return {name: out}


def _shape_classes(v: pd.DataFrame, batch: Batch) -> tuple[dict, None]:
    return _with_section(v, "core_classes"), None


def _shape_enrolment(v: pd.DataFrame, batch: Batch) -> tuple[dict, None]:
    return _with_section(v, "core_enrolment"), None


def _shape_cohort_flows(v: pd.DataFrame, batch: Batch) -> tuple[dict, None]:
    return {"core_cohort_flows": _select(v, table_columns("core_cohort_flows") + ["_seq"])}, None


def _shape_county_figures(v: pd.DataFrame, batch: Batch) -> tuple[dict, Any]:
    cols = table_columns("core_county_figures")
    numeric = [c for c in cols if c in v.columns and c not in ("county", "year") and not c.startswith("source_")]
    frames: dict[str, pd.DataFrame] = {}
    used = np.zeros(len(v), dtype=bool)
    if numeric:
        has = v[numeric].notna().any(axis=1).to_numpy()
        frames["core_county_figures"] = _select(v.loc[has], cols + ["_seq"])
        used |= has
    order = list(value_labels("item"))
    items = sorted({c.split(":")[1] for c in v.columns if c.startswith("item:")}, key=order.index)
    parts = []
    keep = ["county", "year", "source_file", "source_sheet", "source_row", "_seq"]
    for item in items:
        is_met = v[f"item:{item}:is_met"] if f"item:{item}:is_met" in v else pd.Series(pd.NA, index=v.index, dtype="boolean")
        note = v[f"item:{item}:note"] if f"item:{item}:note" in v else pd.Series(None, index=v.index, dtype=object)
        has = (is_met.notna() | note.notna()).to_numpy()
        part = v.loc[has, keep].copy()
        part["item"] = item
        part["is_met"] = is_met[has].astype("boolean")
        part["note"] = note[has]
        parts.append(part)
        used |= has
    if parts:
        frames["core_attestations"] = pd.concat(parts, ignore_index=True)
    return frames, _row_rejects(v, ~used, batch, NO_DATA) if (~used).any() else None


def _shape_quality_monitoring(v: pd.DataFrame, batch: Batch) -> tuple[dict, Any]:
    out = _select(v, table_columns("core_quality_monitoring") + ["_seq"])
    empty = (out["difference_rate"].isna() & out["achievement_level"].isna()).to_numpy()
    return {"core_quality_monitoring": out.loc[~empty]}, _row_rejects(v, empty, batch, NO_DATA) if empty.any() else None


def _shape_survey(v: pd.DataFrame, batch: Batch) -> tuple[dict, None]:
    out = _select(v, table_columns("core_survey") + ["_seq"])
    q = [c for c in v.columns if c.startswith("q:")]
    answers = v[q] if q else pd.DataFrame(index=v.index)
    out["n_questions"] = batch.n_questions
    out["n_answered"] = answers.notna().sum(axis=1).astype("int64")
    out["n_satisfied_answers"] = answers.isin(["satisfied", "basically_satisfied"]).sum(axis=1).astype("int64")
    for k in np.unique(batch.sheet[batch.n_questions == 0]):
        ctx = batch.sheets[k]
        ctx.warnings.append(f"{ctx.where}: survey without question columns (only the overall answer)")
    return {"core_survey": out}, None


def _shape_published(v: pd.DataFrame, batch: Batch) -> tuple[dict, None]:
    return {"core_published": _select(v, table_columns("core_published") + ["_seq"])}, None


UNKNOWN_INDICATOR_TEMPLATE = "未知指标（应为{keys}或其中文名称）"
UNKNOWN_INDICATOR = UNKNOWN_INDICATOR_TEMPLATE.format(keys=code_ranges())


def _shape_judgements(v: pd.DataFrame, batch: Batch) -> tuple[dict, Any]:
    """Judgement rows with the indicator written as its key (``L4``, ``l4``, ``L4 生均…``)
    or its Chinese name; rows naming no known indicator are rejected."""
    # deferred: loads the indicator engine's package, which cleaning needs only for a judgements sheet
    from analysis.indicators.common import indicator_key

    out = _select(v, table_columns("core_judgements") + ["_seq"])
    keys = out["indicator"].map(indicator_key)
    bad = keys.isna().to_numpy() & out["indicator"].notna().to_numpy()
    rejects = None
    if bad.any():
        sub = v.loc[bad]
        rejects = reject_records(sub["source_file"].to_numpy(), sub["source_sheet"].to_numpy(),
                                 sub["source_row"].to_numpy(), sub["_seq"].to_numpy(), batch.spec.name,
                                 column("indicator").label, sub["indicator"].astype(str).to_numpy(), UNKNOWN_INDICATOR)
    out["indicator"] = keys
    return {"core_judgements": out.loc[~bad]}, rejects
def _shape_births(v: pd.DataFrame, batch: Batch) -> tuple[dict, Any]:
    """One core_births row per measure column of a row (出生人口, 户籍出生人口, 分年龄人口, and
    the same split by area type in columns: 城区出生人口 …).

    Births count age 0 (born that year); an age-group count needs its 年龄 (a row without
    it is rejected whole, so nothing of it is kept half). A blank or absent 城乡 is the county
    total (area_group ``all``). ``birth_year`` = year - age.
    """
    n = len(v)
    age = pd.to_numeric(v["age"], errors="coerce") if "age" in v else pd.Series(np.nan, index=v.index)
    bad = np.zeros(n, dtype=bool)
    if "age_population" in v:
        bad = (v["age_population"].notna() & age.isna()).to_numpy()
    keep = ["county", "year", "area_group", "source_file", "source_sheet", "source_row", "_seq"]
    base = _select(v, keep)
    parts = []
    used = np.zeros(n, dtype=bool)
    for name in (*POPULATION_FIELDS, *AREA_POPULATION_FIELDS):
        if name not in v:
            continue
        measure, area = AREA_POPULATION_FIELDS.get(name, (name, None))
        has = v[name].notna().to_numpy() & ~bad
        part = base.loc[has].copy()
        part["population_measure"] = measure
        if area is not None:
            part["area_group"] = area  # the column says the area, whatever a 城乡 cell says
        part["age"] = age[has].to_numpy() if measure == "age_population" else 0
        part["population"] = v.loc[has, name].to_numpy()
        parts.append(part)
        used |= has
    cols = table_columns("core_births") + ["_seq"]
    if parts:
        out = pd.concat(parts, ignore_index=True)
        out["area_group"] = out["area_group"].where(out["area_group"].notna(), "all")
        out["age"] = out["age"].astype("int64")
        out["birth_year"] = out["year"].astype("int64") - out["age"]
        out = out[cols]
    else:
        out = pd.DataFrame(columns=cols)
    rejects = [r for r in (
        _row_rejects(v, bad, batch, AGE_MISSING) if bad.any() else None,
        _row_rejects(v, ~used & ~bad, batch, NO_DATA) if (~used & ~bad).any() else None,
    ) if r is not None]
    return {"core_births": out}, pd.concat(rejects, ignore_index=True) if rejects else None


def _shape_plan_edits(v: pd.DataFrame, batch: Batch) -> tuple[dict, None]:
    """The analyst's edits of an exported 整改方案 sheet (analysis.plan): kept as written, matched
    to the plan's actions on action_id when the plan is built."""
    return {"core_plan_edits": _select(v, table_columns("core_plan_edits") + ["_seq"])}, None


SHAPERS: dict[str, Shaper] = {
    "schools": _shape_schools,
    "teachers": _shape_teachers,
    "teacher_counts": _shape_teacher_counts,
    "section_facilities": _shape_section_facilities,
    "classes": _shape_classes,
    "enrolment": _shape_enrolment,
    "cohort_flows": _shape_cohort_flows,
    "county_figures": _shape_county_figures,
    "survey": _shape_survey,
    "quality_monitoring": _shape_quality_monitoring,
    "published": _shape_published,
    "judgements": _shape_judgements,
    "resource_sheet": _shape_resource_sheet,
    "births": _shape_births,


    "plan_edits": _shape_plan_edits,
}
