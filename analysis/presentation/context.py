"""What a notebook works on: a county (:class:`CountyContext`) or a region (:class:`RegionContext`).

A context resolves a notebook's parameters against the processed tables (unknown values
raise an error listing the allowed ones), reads the tables restricted to its county or
region, says where the data come from (synthetic or not) and gives the county's
evaluation through the explicit evaluation cache (:mod:`analysis.presentation.cache`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.dictionary import empty_frame, table_columns
from analysis.missing import is_missing
from analysis.presentation import record
from analysis.presentation.cache import load_standards, read_table
from analysis.presentation.county import evaluate_county, evaluate_region
from analysis.safe_names import safe_component
from analysis.studies import check_choice, data_source, params, resolve_path
from analysis.studies.city import SCOPES, Region, county_places, load_groups, regions
from analysis.tables import MissingTableError, table_path

__all__ = ["COUNTY_LEVEL_TABLES", "CountyContext", "DataContext", "RegionContext", "load_context",
           "load_region_context"]


@dataclass(frozen=True)
class DataContext:
    """What a notebook works on: the processed folder, the county and year, and the source."""

    processed_dir: Path
    county: str
    year: int
    counties: tuple[str, ...]
    years: tuple[int, ...]
    source: str
    synthetic: bool
    output_dir: Path | None = None
    standards_label: str | None = None
    #: False for a county known only from county-level tables (no school table rows)
    has_schools: bool = True

    def evaluate(self, standards: Any = "national") -> Any:
        """The county's evaluation for this year through the explicit evaluation cache (a
        Missing for a county known only from county-level tables that the engine cannot
        evaluate): :func:`analysis.presentation.county.evaluate_county`."""
        return evaluate_county(self.processed_dir, self.year, self.county, standards, has_schools=self.has_schools)

    def heading(self) -> str:
        """A Chinese one-line heading: county, year, for synthetic data the label, and the
        standards applied."""
        tag = f"　{params()['chart']['synthetic_label']}" if self.synthetic else ""
        std = f"　（评估标准：{self.standards_label}）" if self.standards_label else ""
        return f"{self.county} · {self.year}年{tag}{std}"

    def output_path(self, name: str) -> Path | None:
        """Path of a file ``<county>_<year>_<name>`` in the output folder (created).

        None when the notebook has no output folder. The county comes from the data, so it
        is made a safe file-name component (no separators, no ``..``).
        """
        if self.output_dir is None:
            return None
        self.output_dir.mkdir(parents=True, exist_ok=True)
        return self.output_dir / f"{safe_component(self.county)}_{self.year}_{name}"

    def save_table(self, df: pd.DataFrame, name: str) -> Path | None:
        """Write ``df`` as CSV (UTF-8 with BOM, opens in Excel) to the output folder, if any."""
        if is_missing(df) or not isinstance(df, pd.DataFrame):  # nothing computed: nothing to save
            return None
        path = self.output_path(f"{name}.csv")
        if path is not None:
            df.to_csv(path, index=False, encoding="utf-8-sig")
        return path

    def read(self, name: str, *, all_years: bool = True) -> pd.DataFrame:
        """Table ``name`` restricted to this county (and to ``year`` unless ``all_years``).

        Tables with a ``county`` column are filtered on it; tables keyed by school
        (core_teachers, core_classes, core_enrolment) on the county's schools. A table that
        was never built reads as an empty frame with its columns (the analyses then say
        what is missing).
        """
        if not table_path(name, self.processed_dir).exists():
            return empty_frame(name)
        cols = table_columns(name)
        filters = []
        if not all_years and "year" in cols:
            filters.append(("year", "==", int(self.year)))
        if "county" in cols:
            filters.append(("county", "==", self.county))
            return read_table(name, self.processed_dir, filters=filters or None)
        if "school_id" in cols:
            if not self.has_schools:
                return empty_frame(name)
            ids = read_table(
                "core_schools",
                self.processed_dir,
                columns=["school_id"],
                filters=[("county", "==", self.county)],
            )["school_id"]
            filters.append(("school_id", "in", sorted(set(ids))))
        return read_table(name, self.processed_dir, filters=filters or None).reset_index(drop=True)


#: tables up to this many rows are displayed whole in notebooks and reports
REPORT_MAX_ROWS = 300


def load_context(
    processed_dir: str | os.PathLike,
    county: str | None = None,
    year: int | None = None,
    output_dir: str | os.PathLike | None = None,
    standards: str | None = None,
) -> DataContext:
    """Resolve a notebook's parameters against the processed tables.

    ``county`` empty or None picks the first county (in sorted order); ``year`` 0 or None
    picks the latest year of that county. Unknown values raise a ValueError listing the
    allowed ones. ``output_dir`` (empty = none) receives the charts and tables, named
    ``<county>_<year>_<name>``. ``standards`` (a name or YAML path, optional) is loaded
    and checked here, so a wrong name fails in the first cell; its Chinese label goes into
    the heading.

    Also sets the session's pandas display options for reading and publishing: table cells
    show their whole text and tables up to ``REPORT_MAX_ROWS`` rows are shown in full.
    """
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", REPORT_MAX_ROWS)
    pd.set_option("display.min_rows", REPORT_MAX_ROWS)
    std_label = None
    if standards:
        std_label = load_standards(standards).label

    pdir = resolve_path(processed_dir)
    schools = _county_rows(pdir)
    counties = tuple(sorted(schools["county"].dropna().astype("str").unique()))
    if not counties:
        raise ValueError(f"{pdir}: no county in core_schools or the county-level tables "
                         f"({', '.join(COUNTY_LEVEL_TABLES)}); run `make data` on the county's files")
    county = county or counties[0]
    check_choice("county", county, counties)
    mine = schools.loc[schools["county"] == county]
    has_schools = bool(mine["_table"].eq("core_schools").any())
    if has_schools:
        mine = mine.loc[mine["_table"] == "core_schools"]
    years = tuple(sorted(int(y) for y in mine["year"].unique()))
    year = int(year) if year else years[-1]
    check_choice("year", year, years)
    source, synthetic = data_source(mine)
    out = None
    if output_dir:
        out = resolve_path(output_dir)

    record.declare_source(source, synthetic)
    return DataContext(pdir, county, year, counties, years, source, synthetic, out, std_label, has_schools)


#: county-level tables that name a county without any school (a county may send only these)
COUNTY_LEVEL_TABLES = ("core_county_figures", "core_attestations", "core_survey")


def _county_rows(pdir: Path) -> pd.DataFrame:
    """``year, county, city, source_file, _table`` of core_schools and the county-level tables."""
    frames = []
    for name in ("core_schools", *COUNTY_LEVEL_TABLES):
        if name != "core_schools" and not table_path(name, pdir).exists():
            continue
        try:
            cols = ["year", "county", "city", "source_file"] if name == "core_schools" else ["year", "county", "source_file"]
            f = read_table(name, pdir, columns=cols)
        except MissingTableError:
            if name == "core_schools" and not any(table_path(t, pdir).exists() for t in COUNTY_LEVEL_TABLES):
                raise
            continue
        frames.append(f.assign(_table=name, county=f["county"].astype("str")))
    frames = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["year", "county", "city", "source_file", "_table"])


@dataclass(frozen=True)
class RegionContext:
    """What the city report works on: the processed folder, the region, the year and the source."""

    processed_dir: Path
    region: Region
    year: int
    years: tuple[int, ...]
    regions: tuple[str, ...]
    source: str
    synthetic: bool
    output_dir: Path | None = None
    standards_label: str | None = None
    county_city: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.region.name

    def evaluate(self, standards: Any = "national") -> tuple[Any, str | None]:
        """The evaluation of the region's counties for this year through the evaluation
        cache, or ``(None, reason)``: :func:`analysis.presentation.county.evaluate_region`."""
        return evaluate_region(self.processed_dir, self.year, self.region.counties, standards)

    def heading(self) -> str:
        tag = f"　{params()['chart']['synthetic_label']}" if self.synthetic else ""
        std = f"　（评估标准：{self.standards_label}）" if self.standards_label else ""
        return f"{self.name} · {self.year}年{tag}{std}"

    def output_path(self, name: str) -> Path | None:
        if self.output_dir is None:
            return None
        self.output_dir.mkdir(parents=True, exist_ok=True)
        return self.output_dir / f"{safe_component(self.name)}_{self.year}_{name}"

    def save_table(self, df: pd.DataFrame, name: str) -> Path | None:
        path = self.output_path(f"{name}.csv")
        if path is not None:
            df.to_csv(path, index=False, encoding="utf-8-sig")
        return path

    def read(self, name: str, *, all_years: bool = True) -> pd.DataFrame:
        """Table ``name`` for the region's counties (and ``year`` unless ``all_years``); an
        empty frame with the table's columns when the table was never built."""
        # deferred: looked up at call time so that a runtime patch takes effect
        from analysis.tables import MissingTableError, read_table

        cols = table_columns(name)
        filters = []
        if not all_years and "year" in cols:
            filters.append(("year", "==", int(self.year)))
        try:
            if "county" in cols:
                filters.append(("county", "in", list(self.region.counties)))
                return read_table(name, self.processed_dir, filters=filters).reset_index(drop=True)
            if "school_id" in cols:
                ids = read_table("core_schools", self.processed_dir, columns=["school_id"],
                                 filters=[("county", "in", list(self.region.counties))])["school_id"]
                filters.append(("school_id", "in", sorted(set(ids))))
            return read_table(name, self.processed_dir, filters=filters or None).reset_index(drop=True)
        except MissingTableError:
            return empty_frame(name)


def county_frames(processed_dir: Path) -> pd.DataFrame:
    """``year, county, city`` of every county of every county-bearing core table."""
    # deferred: looked up at call time so that a runtime patch takes effect
    from analysis.tables import MissingTableError, read_table

    parts = []
    for name in ("core_schools", "core_school_sections", "core_county_figures", "core_attestations",
                 "core_survey"):
        cols = [c for c in ("year", "county", "city") if c in table_columns(name)]
        try:
            parts.append(read_table(name, processed_dir, columns=cols))
        except MissingTableError:
            continue
    if not parts:
        raise ValueError(f"{processed_dir}: no table with counties; run `make data` first")
    out = pd.concat([p.assign(county=p["county"].astype("object")) for p in parts], ignore_index=True)
    if "city" in out:
        out["city"] = out["city"].astype("object")
    return out.dropna(subset=["county"])


def load_region_context(processed_dir: str | os.PathLike, scope: str = "city", region: str | None = None,
                        year: int | None = None, output_dir: str | os.PathLike | None = None,
                        standards: str | None = None, groups_file: str | os.PathLike | None = None
                        ) -> RegionContext:
    """Resolve the city report's parameters: scope, region (empty: the first), year (0: latest).

    Unknown values raise a ValueError listing the allowed ones.
    """
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", REPORT_MAX_ROWS)
    pd.set_option("display.min_rows", REPORT_MAX_ROWS)
    check_choice("scope", scope, SCOPES)
    std_label = None
    if standards:
        std_label = load_standards(standards).label
    pdir = resolve_path(processed_dir)
    groups = load_groups(resolve_path(groups_file) if groups_file else None)
    frames = county_frames(pdir)
    places = county_places(frames, groups)
    found = regions(places, groups, scope)
    names = tuple(found)
    name = region or names[0]
    check_choice("city" if scope == "city" else "province", name, names)
    reg = found[name]
    mine = frames.loc[frames["county"].astype(str).isin(reg.counties)]
    years = tuple(sorted(int(y) for y in mine["year"].dropna().unique()))
    year = int(year) if year else years[-1]
    check_choice("year", year, years)
    try:
        # deferred: looked up at call time so that a runtime patch takes effect
        from analysis.tables import read_table

        sch = read_table("core_schools", pdir, columns=["county", "city", "source_file"])
        sch = sch.loc[sch["county"].astype(str).isin(reg.counties)]
        source, synthetic = data_source(sch)
    except Exception:  # noqa: BLE001 - no school table: a generic source line
        source, synthetic = f"{name}各县（区）教育统计数据", False
    synthetic = synthetic or reg.synthetic
    if synthetic and "示例" not in source:
        source += "（示例数据生成器）"
    out = resolve_path(output_dir) if output_dir else None
    cities = dict(zip(places["county"], places["city"], strict=True))

    record.declare_source(source, synthetic)
    return RegionContext(pdir, reg, year, years, names, source, synthetic, out, std_label, cities)




#: the county context under its older name
CountyContext = DataContext
