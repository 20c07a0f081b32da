"""The synthetic sample city 示例市: messy bureau exports and the truth they encode.

:func:`generate_sample` writes, per county, the raw files a county education bureau hands
over (学校基本情况, 专任教师名册 or 分校教师汇总, 班级, 在校生分年级, 学生变动, 县级保障,
社会认可度问卷) as .xlsx, GBK CSV and UTF-8-with-BOM CSV, with the mess of real exports:
title and unit rows, merged two-row headers, 合计/小计/注 rows, header synonyms, ``1,234``,
full-width digits, ``-``/``—``/``/``/``无`` for missing, 万元, five date-of-birth formats and a
handful of bad rows a correct cleaner must reject. It returns a :class:`SampleTruth` with the
clean tables those files encode. Every file, sheet and title says it is synthetic
(示例数据，合成，非真实统计). Calibration: ``city.yaml``; export habits: ``styles.yaml``;
header wording: ``headers.yaml`` (all in this folder).

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     truth = generate_sample(d, n_counties=1, years=[2024], schools_per_county=6)
...     sorted(truth.tables)[:3], truth.counties
(['core_attestations', 'core_births', 'core_classes'], ['城东区'])
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.dictionary import coerce, table, table_columns
from analysis.sample import _births, _county, _model
from analysis.sample._render import (
    Context,
    RawFile,
    Row,
    Sheet,
    render_classes,
    render_county_figures,
    render_enrolment,
    render_flows,
    render_roster,
    render_schools,
    render_survey,
    render_teacher_counts,
)
from analysis.sample._write import layout, write_file

__all__ = ["DEFAULT_SEED", "SampleTruth", "generate_sample", "register"]

DEFAULT_SEED = 20240901
#: Core tables whose clean rows the truth holds (without the source_* columns).
TRUTH_TABLES = (
    "core_schools",
    "core_teachers",
    "core_classes",
    "core_enrolment",
    "core_cohort_flows",
    "core_county_figures",
    "core_attestations",
    "core_survey",
    "core_births",
)
#: Every generated file name contains this marker (and only generated files are replaced).
MARKER = "示例"


@dataclass
class SampleTruth:
    """What the generated raw files encode, for testing a cleaner against them.

    Attributes
    ----------
    tables : ``{core table: frame}`` with the columns, codes and units of
        ``analysis/data/tables.yaml`` (no source_* columns), sorted by the table key.
    teacher_counts : per (year, school_id, section) counts of the counties that deliver
        分校教师汇总 instead of a roster (columns teachers, above_degree_teachers,
        backbone_teachers, pe_art_teachers).
    expected_rejects : ``(file, sheet, row, column)`` of every deliberately bad data row
        (file relative to the output folder, sheet None for CSV, 1-based row, raw header).
    reject_details : the same rows with ``raw_value`` and ``reason`` (qa_rejects columns).
    non_data_rows : 合计/小计/注/填表人 rows: source_file, source_sheet, source_row, text.
    accounting : per file and sheet, rows below the header = data rows kept + skipped (the
        non-data rows) + rejected, in the columns of ``qa_accounting``.
    files : written files, relative to the output folder.
    counties : county names in order.
    """

    tables: dict[str, pd.DataFrame]
    teacher_counts: pd.DataFrame
    expected_rejects: list[tuple[str, str | None, int, str | None]]
    reject_details: pd.DataFrame
    non_data_rows: pd.DataFrame
    accounting: pd.DataFrame
    files: list[str]
    counties: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- generate


def _check_years(years: Iterable[int]) -> list[int]:
    out = sorted({int(y) for y in years})
    if not out:
        raise ValueError("years is empty; give e.g. range(2018, 2025)")
    if out[0] < 1990 + 4 or out[-1] > 2100:
        raise ValueError(f"years must lie within 1994-2100, got {out[0]}-{out[-1]}")
    return out


def generate_sample(
    out_dir: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    n_counties: int = 12,
    years: Iterable[int] = range(2018, 2025),
    schools_per_county: int | None = None,
    teachers_scale: float = 1.0,
) -> SampleTruth:
    """Write the raw files of a synthetic city under ``out_dir`` and return their truth.

    Parameters
    ----------
    out_dir : folder to write into (created). Files from an earlier run (names containing
        ``示例``) are removed first; nothing else is touched.
    seed : random seed; the same arguments give byte-identical files.
    n_counties : counties (12 listed in ``city.yaml``; more get generated names).
    years : statistics years (sheets/files per year; surveys for the last two).
    schools_per_county : schools per county (default: the profile's own, ~20-32); scale up
        for benchmarks.
    teachers_scale : multiplies the number of teachers each school needs.

    Returns
    -------
    SampleTruth
    """
    years = _check_years(years)
    if schools_per_county is not None and schools_per_county < 2:
        raise ValueError(
            f"schools_per_county must be at least 2 (or None), got {schools_per_county}"
        )
    if not teachers_scale > 0:
        raise ValueError(f"teachers_scale must be positive, got {teachers_scale}")
    params = _model.load_params()
    city, styles, headers = params["city"], params["styles"]["styles"], params["headers"]
    counties = _model.build_counties(n_counties, city)
    rng = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]

    schools = _model.build_schools(counties, years, rng[0], schools_per_county, city)
    enrol = _model.simulate_enrolment(schools, years, city["burn_in_years"], rng[1], city)
    classes = _model.simulate_classes(schools, enrol, years, rng[2], city)
    classes["school_id"] = schools["school_id"].to_numpy()[classes["school_idx"].to_numpy()]
    facts, enrolment = _model.school_facts(schools, enrol, classes, years, rng[3], counties, city)
    roster = _model.roster_codes(
        _model.simulate_teachers(schools, facts, years, counties, teachers_scale, rng[4], city),
        schools,
        city,
    )
    flows = _county.cohort_flows(schools, enrol, counties, years, rng[5], city)
    figures = _county.county_figures(
        facts, enrolment, roster, schools, enrol, counties, years, rng[5], city
    )
    attested = _county.attestations(counties, years, rng[6], city)
    survey_meta, answers = _county.survey(counties, years, rng[7], city)
    # births: a generator of their own, so that every other file stays as it was without them
    births = _births.births_truth(
        schools, enrolment, counties, years, np.random.default_rng([seed, 0xB1]), city
    )

    out = Path(out_dir)
    _clear_generated(out)
    created = dt.datetime.combine(city["xlsx_created"], dt.time())
    pieces: dict[str, list[pd.DataFrame]] = {name: [] for name in (*TRUTH_TABLES, "teacher_counts")}
    records: list[dict] = []
    files: list[str] = []
    # Split every frame by county once (object columns: fast numpy slicing while rendering).
    county_of_school = schools["county_number"].to_numpy()
    frames = {
        "facts": (facts, county_of_school[facts["school_idx"].to_numpy()]),
        "classes": (classes, county_of_school[classes["school_idx"].to_numpy()]),
        "enrolment": (enrolment, county_of_school[enrolment["school_idx"].to_numpy()]),
        "roster": (roster, roster["county_number"].to_numpy()),
        "flows": (flows, flows["county"].map({c.name: c.number for c in counties}).to_numpy()),
        "figures": (
            figures,
            figures["county"].map({c.name: c.number for c in counties}).to_numpy(),
        ),
        "attested": (
            attested,
            attested["county"].map({c.name: c.number for c in counties}).to_numpy(),
        ),
    }
    by_county = {key: _split(_objects(df), numbers) for key, (df, numbers) in frames.items()}
    survey_rows = _split(
        pd.DataFrame({"i": np.arange(len(survey_meta))}), survey_meta["county_number"].to_numpy()
    )
    for county in counties:
        ctx = Context(
            county.name,
            county.number,
            city["city"],
            city["title_note"],
            styles[county.style % len(styles)],
            headers,
            np.random.default_rng([seed, county.number, 1]),
        )
        data = {
            key: parts.get(county.number, frames[key][0].iloc[:0])
            for key, parts in by_county.items()
        }
        rows = survey_rows.get(county.number, pd.DataFrame({"i": []}))["i"].to_numpy(dtype=int)
        data["survey"] = (_objects(survey_meta.iloc[rows]), answers[rows])
        data["births"] = births.loc[births["county"] == county.name]
        data["births_ctx"] = replace(ctx, rng=np.random.default_rng([seed, county.number, 2]))
        for raw in _county_files(county, ctx, data, years, city, pieces):
            write_file(out, raw, created)
            files.append(raw.path)
            records.extend(_records(raw))
    _write_readme(out, city, counties, years, files)
    return _truth(pieces, records, files, counties)


def _objects(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as object dtype: per-county slicing and cell access stay in numpy."""
    text = [
        c for c in df.columns if pd.api.types.is_string_dtype(df[c].dtype) and df[c].dtype != object
    ]
    return df.astype(dict.fromkeys(text, object)) if text else df


def _split(df: pd.DataFrame, key: np.ndarray) -> dict[int, pd.DataFrame]:
    """Rows of ``df`` by county number, in one pass."""
    order = np.argsort(key, kind="stable")
    keys, starts = np.unique(key[order], return_index=True)
    bounds = [*starts.tolist(), len(order)]
    return {int(k): df.iloc[order[bounds[i] : bounds[i + 1]]] for i, k in enumerate(keys)}


def _clear_generated(out: Path) -> None:
    """Remove files of an earlier run (their names contain the marker) and empty folders."""
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(out.rglob("*"), reverse=True):
        if path.is_file() and (MARKER in path.name or path == out / "README.md"):
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _span(years: list[int]) -> str:
    return f"{years[0]}-{years[-1]}" if len(years) > 1 else f"{years[0]}"


def _files(
    county: str, label: str, sheets: list[tuple[int, Sheet]], layout: str, enc: str
) -> list[RawFile]:
    """Raw files of one table kind from its sheets per year.

    ``layout``: ``workbook`` (one .xlsx, a sheet per year), ``xlsx`` (one .xlsx per year) or
    ``csv`` (one CSV per year).
    """
    stem = f"{county}/{county}_{label}"
    years = [y for y, _ in sheets]
    if layout == "workbook":
        return [RawFile(f"{stem}_{_span(years)}_{MARKER}.xlsx", "xlsx", [s for _, s in sheets])]
    if layout == "xlsx":
        return [RawFile(f"{stem}_{y}_{MARKER}.xlsx", "xlsx", [s]) for y, s in sheets]
    if layout == "csv":
        return [
            RawFile(f"{stem}_{y}_{MARKER}.csv", "csv", [replace(s, name=None)], enc)
            for y, s in sheets
        ]
    raise ValueError(f"unknown file layout {layout!r}; allowed: workbook, xlsx, csv")


def _county_files(
    county: _model.County, ctx: Context, d: dict, years: list[int], city: dict, pieces: dict
) -> list[RawFile]:
    """Render every raw file of one county; collect the truth pieces.

    Deliberately bad rows (the style's ``rejects``) go into the first year's schools and
    roster and the last year's classes, enrolment and survey.
    """
    facts = d["facts"]
    names = facts.drop_duplicates("school_id", keep="last").set_index("school_id")["school_name"]
    files = _school_files(county.name, ctx, facts, years, pieces)
    files += _teacher_files(county.name, ctx, d["roster"], names, years, pieces)
    files += _class_files(county.name, ctx, d["classes"], names, years, pieces)
    files += _enrolment_files(county.name, ctx, d["enrolment"], years, pieces)
    if not d["flows"].empty:
        files.append(_flow_file(county.name, ctx, d["flows"], pieces))
    files.append(_figure_file(county.name, ctx, d, years, pieces))
    files += _survey_files(county.name, ctx, d["survey"], city, pieces)
    how = _births.delivery(county.number, city)
    if how != "none" and len(d["births"]):
        files.append(_births_file(county.name, ctx, d, how, pieces))
    return files


def _bad_rows(ctx: Context, kind: str, year: int, when: int) -> list[str]:
    """The style's deliberately bad rows of ``kind``, in the year ``when`` only."""
    return [k for k in set(ctx.style["rejects"]) if k.startswith(kind)] if year == when else []


def _by_year(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of one year."""
    return frame[frame["year"] == year]


def _school_files(
    name: str, ctx: Context, facts: pd.DataFrame, years: list[int], pieces: dict
) -> list[RawFile]:
    """The county's school lists (学校基本情况), bad rows in the first year."""
    st = ctx.style
    xlsx = st["schools"]["format"] == "xlsx"
    sheets = []
    for y in years:
        sheet, truth = render_schools(
            _by_year(facts, y), ctx, y, xlsx=xlsx, bad=_bad_rows(ctx, "school_", y, years[0])
        )
        pieces["core_schools"].append(truth)
        sheets.append((y, sheet))
    return _files(name, "学校基本情况", sheets, "workbook" if xlsx else "csv", st["csv_encoding"])


def _teacher_files(
    name: str, ctx: Context, roster: pd.DataFrame, names: pd.Series, years: list[int], pieces: dict
) -> list[RawFile]:
    """The county's teachers: a roster per year, or per-school counts, as its style says."""
    st = ctx.style
    sheets = []
    if st["teachers"] == "roster":
        for y in years:
            sheet, truth = render_roster(
                _by_year(roster, y), ctx, y, bad=_bad_rows(ctx, "roster_", y, years[0])
            )
            pieces["core_teachers"].append(truth)
            sheets.append((y, sheet))
        return _files(name, "专任教师名册", sheets, "xlsx", st["csv_encoding"])
    if st["teachers"] == "counts":
        counts = _model.teacher_counts(roster)
        for y in years:
            sheet, truth = render_teacher_counts(_by_year(counts, y), names, ctx, y, xlsx=True)
            pieces["teacher_counts"].append(truth)
            sheets.append((y, sheet))
        return _files(name, "分校专任教师汇总", sheets, "workbook", st["csv_encoding"])
    raise ValueError(
        f"style {st['name']}: teachers is {st['teachers']!r}; allowed: roster, counts"
    )


def _class_files(
    name: str, ctx: Context, classes: pd.DataFrame, names: pd.Series, years: list[int], pieces: dict
) -> list[RawFile]:
    """The county's class lists (班级), one CSV a year, bad rows in the last year."""
    sheets = []
    for y in years:
        sheet, truth = render_classes(
            _by_year(classes, y), names, ctx, y, xlsx=False, bad=_bad_rows(ctx, "class_", y, years[-1])
        )
        pieces["core_classes"].append(truth)
        sheets.append((y, sheet))
    return _files(name, "班级", sheets, "csv", ctx.style["csv_encoding"])


def _enrolment_files(
    name: str, ctx: Context, enrolment: pd.DataFrame, years: list[int], pieces: dict
) -> list[RawFile]:
    """The county's students by grade (在校生分年级), bad rows in the last year."""
    xlsx = ctx.style["enrolment"] == "xlsx"
    sheets = []
    for y in years:
        sheet, truth = render_enrolment(
            _by_year(enrolment, y), ctx, y, xlsx=xlsx, bad=_bad_rows(ctx, "enrol_", y, years[-1])
        )
        pieces["core_enrolment"].append(truth)
        sheets.append((y, sheet))
    return _files(name, "在校生分年级", sheets, "workbook" if xlsx else "csv", ctx.style["csv_encoding"])


def _flow_file(name: str, ctx: Context, flows: pd.DataFrame, pieces: dict) -> RawFile:
    """The county's student movements (学生变动), every year in one sheet."""
    xlsx = ctx.style["flows"] == "xlsx"
    sheet, truth = render_flows(
        flows, ctx, xlsx=xlsx, bad=[k for k in set(ctx.style["rejects"]) if k.startswith("flows_")]
    )
    pieces["core_cohort_flows"].append(truth)
    return _one_sheet_file(f"{name}/{name}_学生变动_{MARKER}", sheet, xlsx, ctx)


def _figure_file(name: str, ctx: Context, d: dict, years: list[int], pieces: dict) -> RawFile:
    """The county-level figures and attestations (县级保障) of every year."""
    xlsx = ctx.style["county"] == "xlsx"
    sheet, truth, attested = render_county_figures(d["figures"], d["attested"], ctx, xlsx=xlsx)
    pieces["core_county_figures"].append(truth)
    pieces["core_attestations"].append(attested)
    return _one_sheet_file(f"{name}/{name}_县级保障_{_span(years)}_{MARKER}", sheet, xlsx, ctx)


def _one_sheet_file(stem: str, sheet: Sheet, xlsx: bool, ctx: Context) -> RawFile:
    """A raw file of one sheet: ``<stem>.xlsx`` (the sheet keeps its name) or ``<stem>.csv``."""
    fmt = "xlsx" if xlsx else "csv"
    return RawFile(f"{stem}.{fmt}", fmt, [replace(sheet, name=sheet.name if xlsx else None)], ctx.style["csv_encoding"])


def _survey_files(
    name: str, ctx: Context, survey: tuple[pd.DataFrame, np.ndarray], city: dict, pieces: dict
) -> list[RawFile]:
    """The county's satisfaction surveys (社会认可度问卷), bad rows in the last survey year."""
    meta, answers = survey
    survey_years = sorted(int(y) for y in meta["year"].unique())
    sheets = []
    for y in survey_years:
        m = (meta["year"] == y).to_numpy()
        sheet, truth = render_survey(
            meta[m],
            answers[m],
            city["survey"]["questions"],
            ctx,
            y,
            bad=_bad_rows(ctx, "survey_", y, survey_years[-1]),
        )
        pieces["core_survey"].append(truth)
        sheets.append((y, sheet))
    return _files(name, "社会认可度问卷", sheets, "csv", ctx.style["csv_encoding"])


def _births_file(name: str, ctx: Context, d: dict, how: str, pieces: dict) -> RawFile:
    """The county's births (出生人口), delivered as ``how`` says."""
    sheet, truth = _births.render_births(d["births"], d["births_ctx"], how)
    pieces["core_births"].append(truth)
    fmt = "xlsx" if how == "areas" else "csv"
    span = _span(sorted(int(y) for y in d["births"]["year"].unique()))
    return RawFile(
        f"{name}/{name}_出生人口_{span}_{MARKER}.{fmt}",
        fmt,
        [replace(sheet, name=sheet.name if fmt == "xlsx" else None)],
        ctx.style["csv_encoding"],
    )


def _records(raw: RawFile) -> list[dict]:
    """Accounting, reject and non-data records of one written file."""
    out = []
    for sheet in raw.sheets:
        kept = skipped = rejected = 0
        for part, row in layout(sheet):
            if isinstance(part, Row):
                kind, *rest = part.tag
                if kind == "nondata":
                    skipped += 1
                else:
                    rejected += 1
                out.append(
                    {
                        "type": kind,
                        "source_file": raw.path,
                        "source_sheet": sheet.name,
                        "source_row": row,
                        "detail": rest,
                    }
                )
            else:
                kept += len(part)
        out.append(
            {
                "type": "accounting",
                "source_file": raw.path,
                "source_sheet": sheet.name,
                "table_kind": sheet.kind,
                "rows_read": kept + skipped + rejected,
                "rows_kept": kept,
                "rows_skipped": skipped,
                "rows_rejected": rejected,
            }
        )
    return out


def _typed(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Cast to the dictionary dtypes of ``name`` and drop the source_* columns."""
    cols = [c for c in table_columns(name) if not c.startswith("source_")]
    full = coerce(df.assign(source_file="-", source_sheet=None, source_row=1), name)
    key = list(table(name).key)
    return full[cols].sort_values(key, kind="stable").reset_index(drop=True)


def _truth(pieces: dict, records: list[dict], files: list[str], counties: list) -> SampleTruth:
    tables = {}
    for name in TRUTH_TABLES:
        parts = [p for p in pieces[name] if len(p)]
        frame = (
            pd.concat(parts, ignore_index=True)
            if parts
            else pd.DataFrame(columns=table_columns(name))
        )
        tables[name] = _typed(frame, name)
    tc = [p for p in pieces["teacher_counts"] if len(p)]
    counts = (
        pd.concat(tc, ignore_index=True)
        if tc
        else pd.DataFrame(
            columns=[
                "year",
                "school_id",
                "section",
                "teachers",
                "above_degree_teachers",
                "backbone_teachers",
                "pe_art_teachers",
            ]
        )
    )
    rejects = pd.DataFrame(
        [
            {
                "source_file": r["source_file"],
                "source_sheet": r["source_sheet"],
                "source_row": r["source_row"],
                "source_column": r["detail"][0],
                "raw_value": r["detail"][1],
                "reason": r["detail"][2],
            }
            for r in records
            if r["type"] == "reject"
        ],
        columns=[
            "source_file",
            "source_sheet",
            "source_row",
            "source_column",
            "raw_value",
            "reason",
        ],
    )
    non_data = pd.DataFrame(
        [
            {
                "source_file": r["source_file"],
                "source_sheet": r["source_sheet"],
                "source_row": r["source_row"],
                "text": r["detail"][0],
            }
            for r in records
            if r["type"] == "nondata"
        ],
        columns=["source_file", "source_sheet", "source_row", "text"],
    )
    accounting = pd.DataFrame(
        [
            {
                k: r[k]
                for k in (
                    "source_file",
                    "source_sheet",
                    "table_kind",
                    "rows_read",
                    "rows_kept",
                    "rows_skipped",
                    "rows_rejected",
                )
            }
            for r in records
            if r["type"] == "accounting"
        ]
    )
    return SampleTruth(
        tables=tables,
        teacher_counts=counts.sort_values(["year", "school_id", "section"]).reset_index(drop=True),
        expected_rejects=[
            (r["source_file"], r["source_sheet"], r["source_row"], r["detail"][0])
            for r in records
            if r["type"] == "reject"
        ],
        reject_details=rejects,
        non_data_rows=non_data,
        accounting=accounting,
        files=files,
        counties=[c.name for c in counties],
    )


def _write_readme(
    out: Path, city: dict, counties: list, years: list[int], files: list[str]
) -> None:
    text = f"""# {city["city"]}：示例数据（合成）

**{city["title_note"]}。** 本文件夹的全部文件由 `python -m analysis sample` 按固定随机种子生成，
模拟县级教育局导出的原始报表（学校基本情况、专任教师名册或分校教师汇总、班级、在校生分年级、
学生变动、县级保障、社会认可度问卷，部分县另有出生人口），并故意保留真实报表常见的格式问题，用于测试清洗流程。

This folder is **synthetic sample data** (not real statistics), generated deterministically by
`analysis.sample.generate_sample`. It imitates county bureau exports, mess included.

- 县（区）：{"、".join(c.name for c in counties)}
- 年份：{_span(years)}
- 文件数：{len(files)}
"""
    (out / "README.md").write_text(text, encoding="utf-8")


# ----------------------------------------------------------------------------- CLI


def parse_years(text: str) -> list[int]:
    """``2018-2024``, ``2022,2024`` or ``2024`` as a list of years.

    >>> parse_years("2022-2024"), parse_years("2019,2021"), parse_years("2024")
    ([2022, 2023, 2024], [2019, 2021], [2024])
    """
    text = text.strip()
    if m := re.fullmatch(r"(\d{4})\s*-\s*(\d{4})", text):
        a, b = int(m[1]), int(m[2])
        if a > b:
            raise argparse.ArgumentTypeError(f"years {text!r}: the first year is after the last")
        return list(range(a, b + 1))
    if re.fullmatch(r"\d{4}(\s*,\s*\d{4})*", text):
        return sorted({int(y) for y in text.split(",")})
    raise argparse.ArgumentTypeError(
        f"years {text!r}: use a range (2018-2024), a list (2022,2024) or one year (2024)"
    )


def register(subparsers) -> None:
    """Add the ``sample`` command to the workbench's command line."""
    p = subparsers.add_parser(
        "sample",
        help="generate the synthetic sample city (示例数据，合成)",
        description="Write the raw bureau exports of the synthetic city 示例市 (示例数据，合成，非真实统计).",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("data/raw/sample"),
        help="output folder (default: data/raw/sample)",
    )
    p.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})"
    )
    p.add_argument("--counties", type=int, default=12, help="number of counties (default: 12)")
    p.add_argument(
        "--years",
        type=parse_years,
        default=parse_years("2018-2024"),
        help="years, e.g. 2018-2024 (default)",
    )
    p.add_argument(
        "--schools-per-county",
        type=int,
        default=None,
        help="schools per county (benchmarks; default: profile)",
    )
    p.add_argument(
        "--teachers-scale",
        type=float,
        default=1.0,
        help="multiply teachers per school (benchmarks)",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    truth = generate_sample(
        args.out,
        seed=args.seed,
        n_counties=args.counties,
        years=args.years,
        schools_per_county=args.schools_per_county,
        teachers_scale=args.teachers_scale,
    )
    seconds = time.perf_counter() - start
    size = sum((args.out / f).stat().st_size for f in truth.files)
    acc = truth.accounting
    print(
        f"示例数据（合成）: wrote {len(truth.files)} files ({size / 1e6:.1f} MB) to {args.out} in {seconds:.1f} s"
    )
    print(f"  counties: {'、'.join(truth.counties)}; years: {_span(sorted(args.years))}")
    for kind, g in acc.groupby("table_kind", sort=True):
        print(
            f"  {kind:15s} {g['source_file'].nunique():4d} files {len(g):4d} sheets {int(g['rows_kept'].sum()):9,d} data rows"
        )
    print(f"  deliberately bad rows (to be rejected): {len(truth.expected_rejects)}")
    return 0
