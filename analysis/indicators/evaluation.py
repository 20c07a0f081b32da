"""Loading the core tables and evaluating counties: :func:`load_inputs`, :func:`evaluate`.

Examples
--------
>>> from analysis.indicators.evaluation import evaluate
>>> sections = pd.DataFrame({
...     "year": 2024, "county": "甲县", "school_id": ["1000000001", "1000000002"],
...     "school_name": ["一小", "二小"], "section": "primary", "school_type": "primary",
...     "area_type": "urban", "is_private": False, "is_indicator_school": True,
...     "exclusion_reason": None, "students": [100, 300],
...     "above_degree_teachers": [5, 12], "backbone_teachers": [1, 3], "pe_art_teachers": [1, 3],
...     "teaching_area_m2": [500.0, 1400.0], "indoor_sports_area_m2": [0.0, 0.0],
...     "sports_ground_area_m2": [800.0, 2400.0], "equipment_value_yuan": [2.1e5, 6.0e5],
...     "multimedia_rooms": [3.0, 7.0]})
>>> ev = evaluate({"core_school_sections": sections}, year=2024)
>>> ev.verdict[["part", "status"]].values.tolist()[:2]
[['resource', 'met'], ['guarantee', 'missing']]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from analysis.config import DEFAULT_PROCESSED
from analysis.dictionary import coerce, empty_frame, table_columns
from analysis.indicator_catalog import COUNTY_TABLES, PARTS, REQUIRED_ANY, codes, indicator

# importing the parts' modules registers the computing functions of their indicators
from analysis.indicators import guarantee as guarantee_part  # noqa: F401
from analysis.indicators import quality as quality_part  # noqa: F401
from analysis.indicators import survey as recognition_part  # noqa: F401
from analysis.indicators.common import MISSING, decategorize, indicators, key_positions, status_of
from analysis.indicators.counting import count_passes, with_pass_counts
from analysis.indicators.export import scorecard
from analysis.indicators.judgement import (
    apply_county,
    apply_resource,
    apply_schools,
    apply_verdict,
    judgement_table,
)
from analysis.indicators.judgement import prepare as prepare_judgements
from analysis.indicators.parts import PartFrames, teachers_with_schools
from analysis.indicators.procedure import add_l5_space, attach_rule_notes, l5_extra_space
from analysis.indicators.registry import evaluate_part
from analysis.indicators.resource import SECTION_COLUMNS, ResourceResult, evaluate_resource
from analysis.indicators.shortfalls import shortfall_totals
from analysis.indicators.sources import missing_text, needed_text, needs_school_table
from analysis.indicators.verdict import county_verdict, resource_verdict
from analysis.sections import build_school_sections, teacher_counts_from_roster
from analysis.standards import Standards, as_standards, standards_periods_text
from analysis.tables import MissingTableError, table_path, write_tables

#: Columns of each core table the engine reads (nothing else is loaded).
INPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    # facility_share: the split of shared facilities, reused for the 2024 L5 extra space
    "core_school_sections": (*SECTION_COLUMNS, "facility_share"),
    "core_schools": (
        "year", "school_id", "school_name", "county", "area_type", "school_type", "is_private",
        "is_boarding", "is_counted_school", "students_primary", "students_junior",
        "students_senior", "classes_primary", "classes_junior", "new_entrants",
        "nearby_enrolled_students", "music_rooms", "music_room_area_m2", "art_rooms",
        "art_room_area_m2", "public_funds_budget_yuan", "teacher_training_funds_yuan",
        "daily_hours_in_school", "built_year", "ordinary_classroom_area_m2", "is_central_city",
        "rented_sports_area_m2", "converted_sports_area_m2", "sports_space_contract_note", "max_class_size",
    ),
    "core_classes": ("year", "school_id", "section", "grade", "class_name", "students"),
    "core_teachers": (
        "year", "school_id", "teaching_section", "degree", "subject_group", "backbone_level",
        "has_teacher_certificate", "is_exchange_eligible", "is_exchanged", "training_hours_5y",
    ),
    "core_cohort_flows": (
        "county", "graduation_year", "grade7_students_3y_before", "transfers_in",
        "transfers_out", "deaths", "graduates",
    ),
    "core_county_figures": tuple(c for c in table_columns("core_county_figures") if not c.startswith("source_")),
    "core_attestations": ("county", "year", "item", "is_met", "note"),
    "core_quality_monitoring": ("county", "year", "section", "monitored_subject", "difference_rate",
                                "achievement_level"),
    "core_survey": (
        "county", "year", "questionnaire_id", "respondent_group", "n_questions", "n_answered",
        "n_satisfied_answers", "overall_answer", "source_file", "source_sheet",
    ),
    "core_judgements": tuple(c for c in table_columns("core_judgements") if not c.startswith("source_")),
}
#: String columns that repeat a lot: read dictionary-encoded (pandas categoricals).
_DICTIONARY_COLUMNS = {
    "county", "section", "school_type", "area_type", "school_id", "teaching_section",
    "backbone_level", "degree", "subject_group", "item", "respondent_group", "overall_answer",
    "source_file", "source_sheet", "monitored_subject", "achievement_level",
}
SYNTHETIC_LABEL = "示例数据（合成）"
#: Marker of synthetic files in source_file names (the sample generator names them 示例).
SYNTHETIC_MARKER = "示例"


class Inputs(dict):
    """``{core table name: frame}`` as read by :func:`load_inputs`, plus where it came from.

    Attributes
    ----------
    processed_dir : the folder the tables were read from (None when built by hand).
    data_label : ``示例数据（合成）`` when the data are the synthetic sample, else None.
    """

    processed_dir: Path | None = None
    data_label: str | None = None


def _filters(table: str, years: list[int] | None, counties: list[str] | None,
             school_ids: list[str] | None) -> list | None:
    cols = set(table_columns(table))
    out = []
    if years is not None and table == "core_quality_monitoring":
        # a county is not monitored every year: the latest monitoring up to the year is used
        out.append(("year", "<=", max(int(y) for y in years)))
    elif years is not None:
        ycol = "graduation_year" if table == "core_cohort_flows" else "year"
        out.append((ycol, "in", [int(y) for y in years]))
    if counties is not None:
        if "county" in cols:
            out.append(("county", "in", list(counties)))
        elif school_ids is not None and "school_id" in cols:
            out.append(("school_id", "in", list(school_ids)))
    return out or None


def read_core(
    name: str,
    processed_dir: str | os.PathLike,
    columns: Iterable[str],
    filters: list | None = None,
    *,
    dictionary: bool = True,
) -> pd.DataFrame:
    """Read some columns of a core table, string columns that repeat as categoricals.

    Raises :class:`analysis.tables.MissingTableError` when the table was never built.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = write_tables({"core_schools": example_inputs()["core_schools"]}, d)
    ...     read_core("core_schools", d, ["year", "county", "school_type"]).dtypes.astype(str).tolist()
    ['int64', 'category', 'category']
    """
    path = table_path(name, processed_dir)
    if not path.exists():
        raise MissingTableError(f"{path}: table {name!r} has not been built; run `make data` first")
    schema_names = set(pq.read_schema(path).names)
    cols = [c for c in columns if c in schema_names]
    read_dict = [c for c in cols if c in _DICTIONARY_COLUMNS] if dictionary else None
    if filters and any(op == "in" and not len(vals) for _, op, vals in filters):
        # nothing can match (e.g. a county without schools): an empty table of the right types
        schema = pq.read_schema(path)
        empty = schema.empty_table().select(cols)
        return empty.to_pandas().astype({c: "category" for c in read_dict or []})
    table = pq.read_table(path, columns=cols, filters=filters, read_dictionary=read_dict or None)
    return table.to_pandas()


def available(processed_dir: str | os.PathLike = DEFAULT_PROCESSED) -> pd.DataFrame:
    """The ``(year, county)`` pairs present in the processed data.

    A pair counts when the school table (core_schools, else core_school_sections) or one of
    the county-level tables (:data:`COUNTY_TABLES`) has rows for it: a county that sent only
    county figures, cohort flows and a survey is evaluated for those parts. Raises
    :class:`analysis.tables.MissingTableError` when none of these tables exists.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     inp = example_inputs()
    ...     other = inp["core_county_figures"].assign(county="乙县")
    ...     _ = write_tables({"core_schools": inp["core_schools"], "core_county_figures": other}, d)
    ...     available(d).values.tolist()
    [[2024, '乙县'], [2024, '示例县']]
    """
    frames = []
    for name in REQUIRED_ANY[::-1]:
        if table_path(name, processed_dir).exists():
            frames.append(read_core(name, processed_dir, ["year", "county"], dictionary=True))
            break
    for name, ycol in COUNTY_TABLES.items():
        if table_path(name, processed_dir).exists():
            f = read_core(name, processed_dir, ["county", ycol], dictionary=True)
            frames.append(f.rename(columns={ycol: "year"})[["year", "county"]])
    if not frames:
        raise MissingTableError(
            f"{Path(processed_dir)}: no school table (core_schools, core_school_sections) and no county-level "
            f"table ({', '.join(COUNTY_TABLES)}) has been built; run `make data` first")
    return _pairs_of(frames)


def _pairs_of(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Distinct (year, county) of frames that have those two columns, sorted."""
    parts = [decategorize(f[["year", "county"]]).astype({"year": "int64", "county": "object"}) for f in frames
             if f is not None and len(f)]
    if not parts:
        return pd.DataFrame({"year": pd.Series(dtype="int64"), "county": pd.Series(dtype="object")})
    out = pd.concat(parts, ignore_index=True).dropna().drop_duplicates()
    return out.sort_values(["year", "county"]).reset_index(drop=True)


def input_pairs(inputs: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(all pairs, pairs with schools)``: the (year, county) pairs of the inputs' school
    table and county-level tables, and those of the school table alone.

    >>> inp = example_inputs()
    >>> both, with_schools = input_pairs({"core_survey": inp["core_survey"].assign(county="乙县"),
    ...                                   "core_schools": inp["core_schools"]})
    >>> both["county"].tolist(), with_schools["county"].tolist()
    (['乙县', '示例县'], ['示例县'])
    """
    school = inputs.get("core_schools")
    if school is None:
        school = inputs.get("core_school_sections")
    with_schools = _pairs_of([school])
    county = [inputs[name].rename(columns={ycol: "year"}) for name, ycol in COUNTY_TABLES.items()
              if inputs.get(name) is not None and ycol in inputs[name] and "county" in inputs[name]]
    return _pairs_of([with_schools, *county]), with_schools


def _as_list(x: Any) -> list | None:
    if x is None:
        return None
    if isinstance(x, str | int | np.integer):
        return [x]
    return list(x)


def check_selection(pairs: pd.DataFrame, years: list[int] | None, counties: list[str] | None) -> None:
    """Raise ValueError listing what exists when a requested year or county is absent.

    >>> pairs = pd.DataFrame({"year": [2024], "county": ["甲县"]})
    >>> check_selection(pairs, [2023], None)
    Traceback (most recent call last):
    ...
    ValueError: no data for year 2023; years available: 2024
    """
    have_years = sorted({int(y) for y in pairs["year"]})
    if years is not None:
        bad = [y for y in years if int(y) not in have_years]
        if bad:
            raise ValueError(f"no data for year {', '.join(map(str, bad))}; years available: "
                             f"{', '.join(map(str, have_years)) or 'none'}")
    if counties is not None:
        sub = pairs if years is None else pairs.loc[pairs["year"].astype(int).isin([int(y) for y in years])]
        have = sorted({str(c) for c in sub["county"]})
        bad = [c for c in counties if str(c) not in have]
        if bad:
            when = f" in {', '.join(map(str, years))}" if years is not None else ""
            raise ValueError(f"unknown county {', '.join(map(str, bad))}{when}; counties available: "
                             f"{', '.join(have) or 'none'}")


def load_inputs(
    processed_dir: str | os.PathLike = DEFAULT_PROCESSED,
    year: int | Iterable[int] | None = None,
    counties: str | Iterable[str] | None = None,
    *,
    dictionary: bool = True,
) -> Inputs:
    """Read the core tables the engine needs: only the needed columns and rows.

    Parameters
    ----------
    processed_dir : folder of the core_* Parquet tables.
    year : a year or years (None: all years).
    counties : a county name or names (None: all counties).
    dictionary : read repeating string columns dictionary-encoded (categoricals).

    Returns
    -------
    Inputs
        ``{table: frame}``; tables that were never built are absent (their indicators are
        then reported as 数据缺失). Raises ValueError naming what exists for an unknown year
        or county.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = write_tables(dict(example_inputs()), d)
    ...     inputs = load_inputs(d, year=2024, counties="示例县")
    >>> len(inputs["core_schools"]), "teacher_id" in inputs["core_teachers"], inputs.data_label
    (3, False, '示例数据（合成）')
    """
    years = [int(y) for y in _as_list(year)] if year is not None else None
    county_list = [str(c) for c in _as_list(counties)] if counties is not None else None
    check_selection(available(processed_dir), years, county_list)
    school_ids = None
    if county_list is not None:
        school_ids = []
        for ref in REQUIRED_ANY[::-1]:
            if table_path(ref, processed_dir).exists():
                ids = read_core(ref, processed_dir, ["school_id"], _filters(ref, years, county_list, None), dictionary=False)
                school_ids = sorted(set(ids["school_id"].astype(str)))
                break
    out = Inputs()
    out.processed_dir = Path(processed_dir)
    for name, cols in INPUT_COLUMNS.items():
        try:
            out[name] = read_core(name, processed_dir, cols, _filters(name, years, county_list, school_ids),
                                  dictionary=dictionary)
        except MissingTableError:
            continue
    out.data_label = _detect_label(processed_dir)
    return out


def _detect_label(processed_dir: str | os.PathLike) -> str | None:
    for name in ("core_schools", "core_school_sections"):
        path = table_path(name, processed_dir)
        if path.exists() and "source_file" in pq.read_schema(path).names:
            files = pq.read_table(path, columns=["source_file"], read_dictionary=["source_file"]).column(0)
            names = files.unique().to_pylist() if files.num_chunks else []
            if any(SYNTHETIC_MARKER in str(n) for n in names):
                return SYNTHETIC_LABEL
            return None
    return None


# ---------------------------------------------------------------------------- example


def example_inputs(year: int = 2024) -> Inputs:
    """A tiny hand-made county (示例县, 示例数据（合成）) with every core table the engine reads.

    Three schools (two primary, one junior), a roster, classes, county figures,
    attestations and a 20-questionnaire survey: small enough for doctests and demos.

    >>> {k: len(v) for k, v in example_inputs().items()}["core_schools"]
    3
    """
    src = {"source_file": "示例/示例数据_合成.csv", "source_sheet": None, "source_row": 2}
    base = {"year": year, "city": "示例市", "county": "示例县", "is_private": False, "is_boarding": False,
            "is_counted_school": True, "parent_school_id": None, "students_senior": None, "migrant_students": 0,
            "new_entrants": 80, "nearby_enrolled_students": 80, "indoor_sports_area_m2": 0.0, "music_rooms": 1,
            "music_room_area_m2": 100.0, "art_rooms": 1, "art_room_area_m2": 95.0, "daily_hours_in_school": 6.0,
            "teacher_training_funds_yuan": 3e4, "public_funds_budget_yuan": 5e5, **src}
    rows = [
        {"school_id": "1000000001", "school_name": "示例一小", "urban_rural_code": "111", "area_type": "urban",
         "school_type": "primary", "students_primary": 450, "students_junior": None, "classes_primary": 10,
         "classes_junior": None, "teaching_area_m2": 2700.0, "sports_ground_area_m2": 4500.0,
         "equipment_value_yuan": 1.2e6, "multimedia_rooms": 12.0},
        {"school_id": "1000000002", "school_name": "示例二小", "urban_rural_code": "210", "area_type": "rural",
         "school_type": "primary", "students_primary": 300, "students_junior": None, "classes_primary": 7,
         "classes_junior": None, "teaching_area_m2": 1500.0, "sports_ground_area_m2": 1800.0,
         "equipment_value_yuan": 6.3e5, "multimedia_rooms": 7.0},
        {"school_id": "1000000003", "school_name": "示例中学", "urban_rural_code": "121", "area_type": "town",
         "school_type": "junior", "students_primary": None, "students_junior": 500, "classes_primary": None,
         "classes_junior": 10, "teaching_area_m2": 3500.0, "sports_ground_area_m2": 6000.0,
         "equipment_value_yuan": 1.5e6, "multimedia_rooms": 13.0},
    ]
    schools = coerce(pd.DataFrame([{**base, **r} for r in rows]), "core_schools")
    teachers = []
    for r in rows:
        sec = "junior" if r["school_type"] == "junior" else "primary"
        n = (r["students_primary"] or 0) + (r["students_junior"] or 0)
        for i in range(n // 15):
            teachers.append({"year": year, "school_id": r["school_id"], "teacher_id": f"{r['school_id']}-{i:03d}",
                             "gender": "female", "birth_date": pd.Timestamp("1986-09-01"), "degree": "bachelor",
                             "teaching_section": sec, "main_subject": None, "subject_group": "pe" if i < 5 else "math",
                             "backbone_level": "county" if i < 6 else "none", "has_teacher_certificate": True,
                             "is_exchange_eligible": i % 2 == 0, "is_exchanged": i % 6 == 0,
                             "training_hours_5y": 380.0, "is_on_quota": True, **src})
    teachers = coerce(pd.DataFrame(teachers), "core_teachers")
    classes = coerce(pd.DataFrame([
        {"year": year, "school_id": r["school_id"], "section": "junior" if r["school_type"] == "junior" else "primary",
         "grade": 7 if r["school_type"] == "junior" else 1, "class_name": f"{k + 1}班",
         "students": ((r["students_primary"] or 0) + (r["students_junior"] or 0)) // (r["classes_primary"] or r["classes_junior"]),
         **src} for r in rows for k in range(r["classes_primary"] or r["classes_junior"])]), "core_classes")
    figures = coerce(pd.DataFrame([{
        "county": "示例县", "year": year, "teacher_avg_salary_yuan": 98_000.0, "civil_servant_avg_salary_yuan": 97_500.0,
        "hs_quota_total": 300, "hs_quota_to_junior": 160, "eligible_migrant_children": 40, "migrant_children_in_public": 38,
        "disabled_children": 12, "disabled_children_enrolled": 12, "exchange_eligible_teachers": None,
        "exchanged_teachers": None, "exchanged_backbone_teachers": None,
        "special_school_funds_per_student_yuan": 6000.0, **src}]), "core_county_figures")
    flows = coerce(pd.DataFrame([{"county": "示例县", "graduation_year": year, "grade7_students_3y_before": 170,
                                  "transfers_in": 3, "transfers_out": 4, "deaths": 0, "suspended": 0, "resumed": 0,
                                  "graduates": 166, **src}]), "core_cohort_flows")
    items = [code for code in codes() if indicator(code).attested]
    attestations = coerce(pd.DataFrame([{"county": "示例县", "year": year, "item": i, "is_met": not i.startswith("V"),
                                         "note": None, **src} for i in items]), "core_attestations")
    survey = coerce(pd.DataFrame([{"county": "示例县", "year": year, "questionnaire_id": f"{i:03d}",
                                   "respondent_group": "parent", "n_questions": 8, "n_answered": 8,
                                   "n_satisfied_answers": 8, "overall_answer": "satisfied" if i < 18 else "unsatisfied",
                                   **src} for i in range(20)]), "core_survey")
    out = Inputs(core_schools=schools, core_school_sections=build_school_sections(schools, teacher_counts_from_roster(teachers)),
                 core_teachers=teachers, core_classes=classes, core_county_figures=figures,
                 core_cohort_flows=flows, core_attestations=attestations, core_survey=survey)
    out.data_label = SYNTHETIC_LABEL
    return out


# ---------------------------------------------------------------------------- Evaluation

#: out table -> Evaluation attribute
TABLE_ATTRIBUTES: dict[str, str] = {
    "out_county_verdict": "verdict",
    "out_resource_values": "resource_values",
    "out_resource_schools": "resource_schools",
    "out_difference_coefficients": "cv",
    "out_cv_contributions": "cv_contributions",
    "out_shortfalls": "shortfalls",
    "out_school_indicators": "school_indicators",
    "out_school_shortfalls": "school_shortfalls",
    "out_county_indicators": "county_indicators",
    "out_indicator_measures": "indicator_measures",
    "out_class_excess": "class_excess",
    "out_shortfall_totals": "shortfall_totals",
    "out_pass_counts": "pass_counts",
    "out_judgements": "judgements",
}


@dataclass
class Evaluation:
    """The evaluation of one or more counties (and years) under one set of standards.

    Every attribute is a DataFrame with the columns of its out_* table (see
    ``analysis/data/tables_out.yaml``); values are never rounded (round for display only).
    ``guarantee``, ``quality``, ``recognition`` and ``veto`` are the rows of
    ``county_indicators`` of that part.
    """

    standards: Standards
    years: tuple[int, ...]
    counties: tuple[str, ...]
    verdict: pd.DataFrame
    resource_values: pd.DataFrame
    resource_schools: pd.DataFrame
    cv: pd.DataFrame
    cv_contributions: pd.DataFrame
    shortfalls: pd.DataFrame
    school_indicators: pd.DataFrame
    school_shortfalls: pd.DataFrame
    county_indicators: pd.DataFrame
    indicator_measures: pd.DataFrame
    class_excess: pd.DataFrame
    shortfall_totals: pd.DataFrame
    pass_counts: pd.DataFrame
    judgements: pd.DataFrame
    data_label: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{attr}={len(getattr(self, attr))}" for attr in TABLE_ATTRIBUTES.values())
        label = f", {self.data_label}" if self.data_label else ""
        return (f"Evaluation(standards={self.standards.name!r}, years={list(self.years)}, "
                f"counties={len(self.counties)}{label}; rows: {sizes})")

    def _part(self, part: str) -> pd.DataFrame:
        ci = self.county_indicators
        return ci.loc[ci["part"] == part].reset_index(drop=True)

    @property
    def guarantee(self) -> pd.DataFrame:
        """The guarantee part's indicators per county."""
        return self._part("guarantee")

    @property
    def quality(self) -> pd.DataFrame:
        """The quality part's indicators per county."""
        return self._part("quality")

    @property
    def recognition(self) -> pd.DataFrame:
        """The survey satisfaction rate (R) per county."""
        return self._part("recognition")

    @property
    def veto(self) -> pd.DataFrame:
        """V1-V6 per county (``is_met`` True = no such violation)."""
        return self._part("veto")

    def scorecard(self, county: str, year: int | None = None) -> pd.DataFrame:
        """A long, display-ready frame in Chinese for one county (see :mod:`.export`)."""
        return scorecard(self, county, year)

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{out_table_name: frame}`` of every out table."""
        return {name: getattr(self, attr) for name, attr in TABLE_ATTRIBUTES.items()}

    def write(self, processed_dir: str | os.PathLike = DEFAULT_PROCESSED) -> dict[str, Path]:
        """Validate and write every out table as Parquet (atomically, nothing on failure)."""
        return write_tables(self.tables(), processed_dir)


# ---------------------------------------------------------------------------- evaluate


def filter_rows(frame: pd.DataFrame | None, years: list[int] | None, counties: list[str] | None,
                year_col: str = "year") -> pd.DataFrame | None:
    """The rows of ``years`` and ``counties`` (None: all); None stays None.

    >>> filter_rows(pd.DataFrame({"year": [2023, 2024], "county": ["甲县", "甲县"]}), [2024], None).values.tolist()
    [[2024, '甲县']]
    """
    if frame is None:
        return None
    mask = np.ones(len(frame), dtype=bool)
    if years is not None and year_col in frame:
        mask &= frame[year_col].astype("int64").isin(years).to_numpy()
    if counties is not None and "county" in frame:
        mask &= frame["county"].astype("object").isin(counties).to_numpy()
    return frame if mask.all() else frame.loc[mask].reset_index(drop=True)


def _concat(frames: list[pd.DataFrame], table: str) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return empty_frame(table)
    cols = table_columns(table)
    frames = [decategorize(f) for f in frames]
    out = pd.concat([f.reindex(columns=cols) for f in frames], ignore_index=True)
    return out


def _sort_indicators(frame: pd.DataFrame, keys: pd.DataFrame, extra: list[str] | None = None) -> pd.DataFrame:
    """Sort by year and county (the order of ``keys``), indicator in method order, then ``extra``."""
    if not len(frame):
        return frame.reset_index(drop=True)
    rank = {k: i for i, k in enumerate(indicators())}
    columns = [key_positions(frame, keys),
               frame["indicator"].astype("object").map(rank).to_numpy(dtype="int64")]
    columns += [pd.factorize(frame[c], sort=True)[0] for c in extra or []]
    order = np.lexsort(columns[::-1])
    return frame.take(order).reset_index(drop=True)


def sections_from(inputs: Mapping[str, pd.DataFrame]) -> pd.DataFrame | None:
    """core_school_sections of the inputs, or built from core_schools (and the roster's
    teacher counts) when the inputs lack it; None without either."""
    if inputs.get("core_school_sections") is not None:
        return inputs["core_school_sections"]
    schools = inputs.get("core_schools")
    if schools is None:
        return None
    teachers = inputs.get("core_teachers")
    counts = teacher_counts_from_roster(teachers) if teachers is not None and {"degree", "subject_group"} <= set(teachers) else None
    full = schools.reindex(columns=table_columns("core_schools"))
    return build_school_sections(full, counts)


def engine_tables(inputs: Mapping[str, pd.DataFrame], years: list[int] | None, counties: list[str] | None,
                  schools: pd.DataFrame | None = None) -> dict[str, pd.DataFrame | None]:
    """The tables the indicators' functions read (see
    :data:`analysis.indicators.registry.TABLE_OF_PARAMETER`), filtered to the selection.

    ``schools`` is core_schools already filtered (default: filtered here; None when it has no
    rows); ``teachers`` is the roster of those schools with their county, type and sector.

    >>> tables = engine_tables(example_inputs(), [2024], ["示例县"])
    >>> len(tables["schools"]), "county" in tables["teachers"], tables["core_quality_monitoring"] is None
    (3, True, True)
    """
    if schools is None:
        schools = filter_rows(inputs.get("core_schools"), years, counties)
        if schools is not None and not len(schools):
            schools = None
    tables: dict[str, pd.DataFrame | None] = {"schools": schools}
    teachers = inputs.get("core_teachers")
    if teachers is not None and schools is not None:
        tables["teachers"] = teachers_with_schools(filter_rows(teachers, years, None), schools)
    classes = inputs.get("core_classes")
    tables["core_classes"] = filter_rows(classes, years, None) if classes is not None else None
    for name in ("core_county_figures", "core_attestations", "core_survey"):
        tables[name] = filter_rows(inputs.get(name), years, counties)
    tables["core_cohort_flows"] = filter_rows(inputs.get("core_cohort_flows"), years, counties, year_col="graduation_year")
    tables["core_quality_monitoring"] = filter_rows(inputs.get("core_quality_monitoring"), None, counties)
    return tables


def evaluate(
    inputs: Mapping[str, pd.DataFrame],
    year: int | Iterable[int] | None = None,
    counties: str | Iterable[str] | None = None,
    standards: Standards | str | os.PathLike | None = None,
    *,
    contributions: str = "failing",
    no_overall_min_share_pct: float | None = None,
) -> Evaluation:
    """Evaluate counties against the standards: the five parts, shortfalls and verdict.

    Parameters
    ----------
    inputs : ``{core table: frame}`` from :func:`load_inputs`, or built by hand (tables
        that are absent leave their indicators 数据缺失). Needs core_school_sections or
        core_schools.
    year : year(s) to evaluate (None: every year in the inputs).
    counties : county name(s) (None: every county in the inputs).
    standards : ``national`` (default), ``shanxi``, a path, or a Standards object.
    contributions : per-school CV contributions for ``failing`` coefficients, ``all`` or ``none``.
    no_overall_min_share_pct : survey rule for surveys without an overall column
        (default from the standards: 100, every answer 满意/基本满意).

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> ev = evaluate(example_inputs(), year=2024, standards="shanxi")
    >>> ev.verdict.set_index("part").loc[["resource", "guarantee", "overall"], "status"].tolist()
    ['not_met', 'not_met', 'not_met']
    >>> ev.guarantee.set_index("indicator").loc["G14", ["value", "standard", "gap"]].round(1).tolist()
    [53.3, 70.0, 50.0]
    """
    sel = _select(inputs, year, counties, standards, "evaluate")
    if sel.split_years:
        # thresholds that changed over the years: each evaluation year gets its own
        parts_ev = [evaluate(inputs, y, sel.counties, sel.std.for_year(y), contributions=contributions,
                             no_overall_min_share_pct=no_overall_min_share_pct) for y in sel.split_years]
        return _concat_evaluations(parts_ev, sel.std)
    std, years, county_list, keys, schools = sel.std, sel.years, sel.counties, sel.keys, sel.schools
    # county-years without any school row: evaluated for the parts their data support
    without_schools = sel.without_schools()
    sections, resource = _resource_of(sel, contributions)

    tables = engine_tables(inputs, years, county_list, schools)
    parts = PartFrames()
    for part in PARTS[1:]:  # the resource part is computed above, as a whole
        parts.extend(evaluate_part(part, keys, tables, std, no_overall_min_share_pct=no_overall_min_share_pct))

    jd = prepare_judgements(filter_rows(inputs.get("core_judgements"), years, county_list), keys,
                            schools if schools is not None else sections,
                            std.get("judgement.accepted"))
    res_values, res_schools, res_cv = _judged_resource(resource, jd, sections, std)

    county_indicators = _sort_indicators(_concat(parts.county, "out_county_indicators"), keys)
    county_indicators = explain_missing(county_indicators, without_schools)
    measures = _sort_indicators(_concat(parts.measures, "out_indicator_measures"), keys, ["measure"])
    school_ind = _sort_indicators(_concat(parts.schools, "out_school_indicators"), keys, ["school_id", "measure"])
    school_ind = apply_schools(school_ind, jd)
    county_indicators = apply_county(county_indicators, school_ind, jd)
    school_short = school_ind.loc[school_ind["is_met"].astype("boolean").fillna(True) == False].reset_index(drop=True)  # noqa: E712
    shortfalls = _concat([resource.shortfalls, *parts.shortfalls], "out_shortfalls")
    shortfalls = _sort_indicators(shortfalls, keys, ["school_id", "section"])
    class_excess = _concat(parts.class_excess, "out_class_excess")
    # G5's school rows repeat its section shortfalls (out_shortfalls): counted once
    totals = shortfall_totals(shortfalls, school_short.loc[school_short["indicator"] != "G5"], county_indicators)
    verdict = county_verdict(keys, resource.schools, resource.cv, county_indicators, std.name)
    verdict = _resource_without_schools(verdict, without_schools)
    verdict = apply_verdict(decategorize(verdict), keys, res_values, res_schools, res_cv, county_indicators)
    verdict["standards_periods"] = standards_periods_text(std)
    judgements = judgement_table(jd, res_values, school_ind, county_indicators, res_cv)
    pass_counts = count_passes(keys, res_values, school_ind, schools, std, coded_values=resource.values,
                               section_shortfalls=shortfalls)
    county_indicators = with_pass_counts(county_indicators, pass_counts)

    label = getattr(inputs, "data_label", None)
    return Evaluation(
        standards=std,
        years=tuple(sorted({int(y) for y in keys["year"]})),
        counties=tuple(sorted({str(c) for c in keys["county"]})),
        verdict=verdict,
        resource_values=res_values,
        resource_schools=_with_passes_alias(res_schools),
        cv=res_cv,
        cv_contributions=decategorize(resource.contributions),
        shortfalls=shortfalls,
        school_indicators=school_ind,
        school_shortfalls=school_short,
        county_indicators=county_indicators,
        indicator_measures=measures,
        class_excess=class_excess,
        shortfall_totals=totals,
        pass_counts=pass_counts,
        judgements=judgements,
        data_label=label,
        options={"contributions": contributions, "no_overall_min_share_pct": no_overall_min_share_pct},
    )


@dataclass
class _Selection:
    """The county-years a call asks for and their school rows, as :func:`evaluate` and
    :func:`resource_part_status` both select them (:func:`_select`).

    ``split_years`` is non-empty when the standards have year-dependent thresholds and several
    years are asked for: each year is then evaluated apart, under ``std.for_year(year)``, and
    ``sections`` / ``schools`` are not filtered (None). Otherwise ``std`` is resolved for the
    year when it has periods.
    """

    std: Standards
    years: list[int] | None
    counties: list[str] | None
    keys: pd.DataFrame
    school_pairs: pd.DataFrame
    sections: pd.DataFrame | None = None
    schools: pd.DataFrame | None = None
    split_years: list[int] = field(default_factory=list)

    def without_schools(self) -> pd.DataFrame:
        """The selected county-years without any row in the school table."""
        return self.keys.loc[key_positions(self.keys, self.school_pairs) < 0].reset_index(drop=True)


def _select(inputs: Mapping[str, pd.DataFrame], year: int | Iterable[int] | None,
            counties: str | Iterable[str] | None, standards: Standards | str | os.PathLike | None,
            caller: str) -> _Selection:
    """Check the selection against the inputs, resolve the standards' periods and filter the
    school sections (built from core_schools when absent) and schools to it; ``caller`` names
    the function in the error raised when the inputs hold no table with rows."""
    std = as_standards(standards)
    years = [int(y) for y in _as_list(year)] if year is not None else None
    county_list = [str(c) for c in _as_list(counties)] if counties is not None else None
    all_pairs, school_pairs = input_pairs(inputs)
    if not len(all_pairs):
        raise ValueError(f"{caller} needs a school table ({', '.join(REQUIRED_ANY)}) or a county-level table "
                         f"({', '.join(COUNTY_TABLES)}) with rows; got {', '.join(inputs) or 'nothing'}")
    check_selection(all_pairs, years, county_list)
    keys = _selected_keys(all_pairs, years, county_list)
    if std.has_periods and std.year is None:
        eval_years = sorted({int(y) for y in keys["year"]})
        if len(eval_years) > 1:
            return _Selection(std, years, county_list, keys, school_pairs, split_years=eval_years)
        std = std.for_year(eval_years[0])
    sections = filter_rows(sections_from(inputs), years, county_list)
    schools = filter_rows(inputs.get("core_schools"), years, county_list)
    if schools is not None and not len(schools):
        schools = None
    return _Selection(std, years, county_list, keys, school_pairs, sections, schools)


def _resource_of(sel: _Selection, contributions: str) -> tuple[pd.DataFrame | None, ResourceResult]:
    """The resource part of a selection (not split by year): its sections with the 2024
    procedure's L5 extra space added, and :func:`evaluate_resource` on them."""
    sections = sel.sections
    if sections is not None and sel.schools is not None:
        sections = add_l5_space(sections, l5_extra_space(sel.schools, sel.std))
    resource = evaluate_resource(sections if sections is not None else empty_frame("core_school_sections"),
                                 sel.std, contributions=contributions, plain=False)
    return sections, resource


def resource_part_status(
    inputs: Mapping[str, pd.DataFrame],
    year: int | Iterable[int] | None = None,
    counties: str | Iterable[str] | None = None,
    standards: Standards | str | os.PathLike | None = None,
) -> pd.DataFrame:
    """The resource part's computed verdict per county-year, without the other parts.

    Runs only what that verdict needs (the selection, the standards of each year, the L5
    extra space, :func:`~analysis.indicators.resource.evaluate_resource` and
    :func:`~analysis.indicators.verdict.resource_verdict`), through the same steps as
    :func:`evaluate`: a fraction of its cost, e.g. to check a plan's edited sections.

    Parameters
    ----------
    inputs, year, counties, standards : as for :func:`evaluate`.

    Returns
    -------
    pandas.DataFrame
        One row per county-year (``year``, ``county``, ``is_met``, ``status``, ``reason``):
        the ``resource`` rows of ``evaluate(...).verdict``, computed status (the analyst's
        judgements only change ``final_status``, which this does not give).

    Examples
    --------
    示例二小 has 80 % of the sports ground standard; 113 m² more bring it to the 85 % floor:

    >>> inp = example_inputs()
    >>> resource_part_status(inp, 2024)[["county", "status"]].values.tolist()
    [['示例县', 'not_met']]
    >>> sec = inp["core_school_sections"].copy()
    >>> sec.loc[sec["school_name"] == "示例二小", "sports_ground_area_m2"] += 113.0
    >>> resource_part_status({**inp, "core_school_sections": sec}, 2024)["status"].tolist()
    ['met']
    """
    sel = _select(inputs, year, counties, standards, "resource_part_status")
    if sel.split_years:
        return pd.concat([resource_part_status(inputs, y, sel.counties, sel.std.for_year(y)) for y in sel.split_years],
                         ignore_index=True)
    _, resource = _resource_of(sel, "none")
    out = resource_verdict(sel.keys, resource.schools, resource.cv)
    out["is_met"] = out["is_met"].astype("boolean")
    out["status"] = status_of(out["is_met"])
    out = _resource_without_schools(out, sel.without_schools())
    return out[["year", "county", "is_met", "status", "reason"]]


def _selected_keys(pairs: pd.DataFrame, years: list[int] | None, counties: list[str] | None) -> pd.DataFrame:
    """The (year, county) pairs to evaluate, as plain int64 / object columns."""
    keys = filter_rows(pairs, years, counties).reset_index(drop=True)
    if not len(keys):
        raise ValueError("no county to evaluate: the inputs hold no rows for the selection")
    keys = keys.astype({"year": "int64"})
    keys["county"] = keys["county"].astype("object")
    return keys


def _judged_resource(resource: Any, jd: pd.DataFrame, sections: pd.DataFrame | None,
                     std: Standards) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The resource part's values, schools and coefficients with the analyst's judgements and
    the 2024 procedure's notes applied."""
    res_values, res_schools, res_cv = apply_resource(
        decategorize(resource.values), decategorize(resource.schools), decategorize(resource.cv), jd,
        int(std.get("resource.school_rule.min_indicators_met")), float(std.get("resource.school_rule.min_ratio_others")))
    res_values, res_schools = attach_rule_notes(
        res_values, res_schools, sections if sections is not None else pd.DataFrame())
    return res_values, res_schools, res_cv


def _concat_evaluations(parts: list[Evaluation], std: Standards) -> Evaluation:
    """One Evaluation from per-year ones (each year under its own resolved standards)."""
    tables = {}
    for attr in TABLE_ATTRIBUTES.values():
        frames = [getattr(e, attr) for e in parts]
        non_empty = [f for f in frames if len(f)]
        tables[attr] = pd.concat(non_empty, ignore_index=True) if non_empty else frames[0]
    return Evaluation(standards=std, years=tuple(y for e in parts for y in e.years),
                      counties=tuple(sorted({c for e in parts for c in e.counties})),
                      data_label=parts[0].data_label, options=parts[0].options, **tables)
def explain_missing(county_indicators: pd.DataFrame, without_schools: pd.DataFrame) -> pd.DataFrame:
    """Say what is missing: a bare 数据缺失 names the table kinds that would supply the
    indicator, and in a county-year without a school table an indicator that needs one is
    数据缺失 (never "not applicable" for lack of schools).

    >>> ci = pd.DataFrame({"year": 2024, "county": ["乙县", "乙县"], "indicator": ["G4", "G8"],
    ...     "is_met": pd.array([True, None], dtype="boolean"), "status": ["not_applicable", "missing"],
    ...     "detail": ["无适用学校（不适用）", "数据缺失"]})
    >>> explain_missing(ci, pd.DataFrame({"year": [2024], "county": ["乙县"]}))["detail"].tolist()
    ['数据缺失：本年无学校基本情况表（需要学校基本情况）', '数据缺失：需要县级保障']
    """
    if not len(county_indicators):
        return county_indicators
    out = county_indicators.copy()
    ind = out["indicator"].astype("object").to_numpy()
    detail = out["detail"].astype("object").to_numpy()
    status = out["status"].astype("object").to_numpy()
    bare = (status == "missing") & np.array([d == MISSING or d is None or d != d for d in detail], dtype=bool)
    if bare.any():
        out.loc[bare, "detail"] = [missing_text(str(k)) for k in ind[bare]]
    if len(without_schools):
        no_school = key_positions(out, without_schools) >= 0
        school_ind = np.array([needs_school_table(str(k)) for k in ind], dtype=bool)
        hit = no_school & school_ind & np.isin(status, ["missing", "not_applicable"])
        if hit.any():
            out.loc[hit, "status"] = "missing"
            out.loc[hit, "is_met"] = pd.NA
            for col in ("value", "gap", "numerator", "denominator"):
                out.loc[hit, col] = np.nan
            out.loc[hit, "detail"] = [f"{MISSING}：本年无学校基本情况表（需要{needed_text(str(k))}）" for k in ind[hit]]
    return out


def _resource_without_schools(verdict: pd.DataFrame, without_schools: pd.DataFrame) -> pd.DataFrame:
    """The resource part of a county-year without a school table: 数据缺失, naming the tables."""
    if not len(without_schools):
        return verdict
    hit = (key_positions(verdict, without_schools) >= 0) & (verdict["part"].astype("object") == "resource").to_numpy()
    if hit.any():
        verdict = verdict.copy()
        verdict.loc[hit, "reason"] = (f"{MISSING}：本年缺少学校基本情况（L1-L3需要{needed_text('L1')}，"
                                      f"L4-L7需要{needed_text('L4')}），无法计算资源配置7项指标。")
    return verdict


def _with_passes_alias(schools: pd.DataFrame) -> pd.DataFrame:
    """Add ``passes`` (= ``is_passing``), the column name first announced for resource_schools.

    The stored table keeps the dictionary's ``is_passing`` only (booleans start with is_).
    """
    out = schools.copy()
    out.insert(out.columns.get_loc("is_passing") + 1, "passes", out["is_passing"])
    return out


def coerce_all(ev: Evaluation) -> dict[str, pd.DataFrame]:
    """Every out table cast to the dictionary dtypes (what :meth:`Evaluation.write` stores).

    >>> sorted(coerce_all(evaluate(example_inputs())))[0]
    'out_class_excess'
    """
    return {name: coerce(frame, name) for name, frame in ev.tables().items()}
