"""Analyses county reports are written from: enrolment, projection, teachers, urban-rural gaps.

Every function takes core tables (``analysis/data/tables.yaml``, read with
:func:`analysis.tables.read_table`) and returns a new frame; inputs are never mutated.
Defaults (reference date, age bands and groups, retirement ages, subject targets,
projection assumptions, ...) come from ``analysis/data/analysis_params.yaml`` and can be
overridden by argument. Thresholds that are standards of the evaluation (class-size caps
and bands, L1-L7 standards, difference-coefficient limits) are read from the standards
file named by its ``standards`` key (:mod:`analysis.standards`).

This module also holds the small helpers the notebooks share: parameter loading, path
resolution and the data-source line drawn under every chart.

Examples
--------
>>> class_size_cap()
{'primary': 45, 'junior': 50}
>>> group_label("area_group", "all")
'全部'
"""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.dictionary import value_label

PARAMS_PATH = Path(__file__).resolve().parent.parent / "data" / "analysis_params.yaml"
#: The repository root (where ``notebooks/`` and ``data/`` live in a checkout).
REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"

#: Code of the "all areas" / "all compulsory sections" rows added to grouped tables.
ALL_AREAS = "all"
COMPULSORY = "compulsory"
AREA_ORDER = ("urban", "town", "rural", ALL_AREAS)
SECTION_ORDER = ("primary", "junior", "senior", COMPULSORY)

__all__ = [
    "ALL_AREAS",
    "AREA_ORDER",
    "COMPULSORY",
    "SECTION_ORDER",
    "DataContext",
    "check_choice",
    "class_size_band_edges",
    "class_size_cap",
    "cv_thresholds",
    "data_source",
    "display_table",
    "format_number",
    "group_label",
    "load_context",
    "params",
    "resolve_path",
    "resource_standards",
    "with_groups",
]


@functools.cache
def _load_params(path: str) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def params(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The analysis parameters (a fresh copy, safe to modify).

    Parameters
    ----------
    path : optional YAML file to read instead of ``analysis/data/analysis_params.yaml``.
    """
    return copy.deepcopy(_load_params(str(path or PARAMS_PATH)))


def _standards(standards: Any = None):
    from analysis.standards import as_standards

    return as_standards(standards if standards is not None else params()["standards"])


def class_size_cap(standards: Any = None) -> dict[str, int]:
    """Class-size cap per section (G5) from the standards (default: ``standards`` parameter).

    >>> class_size_cap("national")["junior"]
    50
    """
    return {k: int(v) for k, v in _standards(standards).get("guarantee.G5.max_class_size").items()}


def class_size_band_edges(standards: Any = None) -> list[int]:
    """Inclusive upper edges of the 正常 / 偏大 / 大班额 bands (above the last: 超大班额).

    >>> class_size_band_edges()
    [45, 55, 65]
    """
    edges = _standards(standards).get("guarantee.G5.band_edges")
    return [int(edges[k]) for k in ("normal", "above_normal", "large")]


def cv_thresholds(standards: Any = None) -> dict[str, float]:
    """Largest difference coefficient allowed per section (0.50 primary, 0.45 junior nationally).

    >>> cv_thresholds()
    {'primary': 0.5, 'junior': 0.45}
    """
    return {k: float(v) for k, v in _standards(standards).get("resource.cv_max").items()}


def resource_standards(section: str, standards: Any = None) -> dict[str, float]:
    """The L1-L7 standards of one section, ``{indicator: standard}``.

    >>> resource_standards("primary")["L4"]
    4.5
    """
    check_choice("section", section, ["primary", "junior"])
    per = _standards(standards).get("resource.standards")
    return {k: float(v[section]) for k, v in per.items()}


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``; otherwise raise a ValueError listing them.

    >>> check_choice("method", "mean", ["mean", "last"])
    'mean'
    >>> check_choice("method", "median", ["mean", "last"])
    Traceback (most recent call last):
    ...
    ValueError: method='median' is not allowed; choose one of: 'mean', 'last'
    """
    allowed = list(allowed)
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name}={value!r} is not allowed; choose one of: {choices}")
    return value


def group_label(column: str, code: Any) -> str:
    """Chinese label of a code of ``column``, from the column dictionary.

    >>> group_label("section_group", "compulsory"), group_label("area_group", "rural")
    ('义务教育', '乡村')
    """
    return value_label(column, code)


def with_groups(
    df: pd.DataFrame,
    *,
    area: str | None = "area_type",
    section: str | None = None,
    sections: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Add ``area_group`` / ``section_group`` columns, duplicating rows into the totals.

    Each row appears once under its own area type and once under ``all``; when ``section``
    names a section column, once under its own section and once under ``compulsory`` if the
    section is one of ``sections`` (default: the compulsory sections of the parameters).
    Grouping the result by these columns gives the parts and the totals in one pass.

    >>> df = pd.DataFrame({"area_type": ["urban", "rural"], "section": ["primary", "junior"]})
    >>> out = with_groups(df, section="section")
    >>> sorted(zip(out["area_group"], out["section_group"]))[:4]
    [('all', 'compulsory'), ('all', 'compulsory'), ('all', 'junior'), ('all', 'primary')]
    >>> len(out)
    8
    """
    out = df.copy()
    if area is not None:
        own = out.assign(area_group=out[area].astype("str"))
        out = pd.concat([own, out.assign(area_group=ALL_AREAS)], ignore_index=True)
    if section is not None:
        compulsory = list(sections if sections is not None else params()["compulsory_sections"])
        own = out.assign(section_group=out[section].astype("str"))
        tot = out.loc[out[section].isin(compulsory)].assign(section_group=COMPULSORY)
        out = pd.concat([own, tot], ignore_index=True)
    return out


def resolve_path(path: str | os.PathLike, *, base_dirs: Iterable[Path] | None = None) -> Path:
    """Resolve a path given to a notebook.

    Absolute paths are returned as they are. A relative path is tried against the
    notebooks folder, the repository root and the working directory, in that order, and
    the first that exists wins; if none exists (an output folder not yet made) it is taken
    relative to the notebooks folder.

    >>> resolve_path("/tmp") == Path("/tmp")
    True
    >>> resolve_path("../analysis") == REPO_ROOT / "analysis"
    True
    """
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    bases = list(base_dirs) if base_dirs is not None else [NOTEBOOKS_DIR, REPO_ROOT, Path.cwd()]
    for base in bases:
        cand = (base / p).resolve()
        if cand.exists():
            return cand
    return (bases[0] / p).resolve()


#: Markers in raw file names or cities that say the data are the synthetic sample.
_SYNTHETIC_MARKERS = ("示例", "合成", "sample", "synthetic")


def data_source(schools: pd.DataFrame) -> tuple[str, bool]:
    """The source line of charts drawn from bureau tables, and whether the data are synthetic.

    The data count as synthetic when a raw file name or city says so (the sample generator
    puts ``示例`` in every file name).

    >>> data_source(pd.DataFrame({"city": ["示例市"], "source_file": ["a/城东区_示例.xlsx"]}))
    ('示例市教育事业统计报表（示例数据生成器）', True)
    >>> data_source(pd.DataFrame({"city": ["长治市"], "source_file": ["长治/学校.xlsx"]}))
    ('长治市教育事业统计报表', False)
    """
    files = (
        schools["source_file"].dropna().astype("str") if "source_file" in schools else pd.Series([])
    )
    cities = schools["city"].dropna().astype("str").unique().tolist() if "city" in schools else []
    text = " ".join(files.unique().tolist() + cities).lower()
    synthetic = any(m in text for m in _SYNTHETIC_MARKERS)
    place = "、".join(sorted(cities)) if cities else "各县（区）"
    source = f"{place}教育事业统计报表"
    if synthetic:
        source += "（示例数据生成器）"
    return source, synthetic


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
        from analysis.publish.safety import safe_component

        self.output_dir.mkdir(parents=True, exist_ok=True)
        return self.output_dir / f"{safe_component(self.county)}_{self.year}_{name}"

    def save_table(self, df: pd.DataFrame, name: str) -> Path | None:
        """Write ``df`` as CSV (UTF-8 with BOM, opens in Excel) to the output folder, if any."""
        from analysis.missing import is_missing

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
        from analysis.dictionary import empty_frame, table_columns
        from analysis.tables import read_table, table_path

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
        from analysis.standards import load_standards

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
    return DataContext(pdir, county, year, counties, years, source, synthetic, out, std_label, has_schools)


#: county-level tables that name a county without any school (a county may send only these)
COUNTY_LEVEL_TABLES = ("core_county_figures", "core_attestations", "core_survey")


def _county_rows(pdir: Path) -> pd.DataFrame:
    """``year, county, city, source_file, _table`` of core_schools and the county-level tables."""
    from analysis.tables import MissingTableError, read_table, table_path

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


def _labelled(df: pd.DataFrame, columns: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Replace codes by their Chinese labels and rename columns to Chinese (for display)."""
    from analysis.dictionary import column_label
    from analysis.dictionary import columns as dict_columns

    out = df.copy()
    known = dict_columns()
    for c in out.columns:
        col = known.get(c)
        if col is not None and col.values:
            out[c] = out[c].map(lambda v, c=c: value_label(c, v) if pd.notna(v) else v)
    names = {c: column_label(c) for c in out.columns}
    names.update(columns or {})
    return out.rename(columns=names)


def _is_year_column(name: Any) -> bool:
    return isinstance(name, str) and (name == "year" or name.endswith("_year"))


def _is_count_column(name: Any, values: pd.Series) -> bool:
    """Integers to print without decimals: integer dtypes, integer or counted columns of the
    dictionary, and float columns whose every value is whole (counts that went through NaN)."""
    from analysis.dictionary import columns as dict_columns
    from analysis.missing import report_params

    if pd.api.types.is_integer_dtype(values.dtype):
        return True
    col = dict_columns().get(name) if isinstance(name, str) else None
    units = report_params()["count_units"]
    if col is not None and (col.dtype in ("int64", "Int64") or (col.unit or "") in units):
        return True
    nums = pd.to_numeric(values, errors="coerce").dropna()
    return len(nums) > 0 and bool((nums == nums.round()).all())


def format_number(value: Any, digits: int = 2, *, integer: bool = False) -> Any:
    """A number as report text: thousands separators, ``digits`` decimals or none for counts.

    >>> format_number(1105.0, integer=True), format_number(12345.678), format_number(0.5, 3)
    ('1,105', '12,345.68', '0.500')
    >>> format_number(None), format_number("甲")
    (None, '甲')
    """
    if value is None or isinstance(value, bool | str) or pd.isna(value):
        return value
    try:
        v = float(value)
    except (TypeError, ValueError):
        return value
    if integer:
        return f"{round(v):,}"
    return f"{v:,.{digits}f}"


def display_table(
    df: pd.DataFrame, columns: Mapping[str, str] | None = None, digits: int = 2
) -> pd.DataFrame:
    """A display copy of ``df``: Chinese labels for codes and headers (units in brackets),
    counts as integers with thousands separators, other numbers with ``digits`` decimals,
    booleans as 是/否, missing values as —, rows numbered from 1 (序号). Years stay as they
    are. A :class:`~analysis.missing.Missing` is returned unchanged (it displays as its
    sentence).

    >>> t = display_table(pd.DataFrame({"section": ["junior", None], "students": [1105.0, None],
    ...                                 "is_met": [True, None], "year": [2024, 2024]}))
    >>> t.columns.tolist(), t.iloc[0, [0, 1, 2, 3]].tolist(), t.iloc[1, :3].tolist(), t.index.tolist()
    (['学段', '学生数（人）', '是否达标', '年份'], ['初中', '1,105', '是', 2024], ['—', '—', '—'], [1, 2])
    """
    from analysis.missing import is_missing

    if is_missing(df):
        return df
    out = df.copy()
    if not isinstance(out.index, pd.RangeIndex) or out.index.name is not None:
        out = out.reset_index()  # a pivot's row labels are data: keep them as columns
    for c in out.columns:
        values = out[c]
        if pd.api.types.is_bool_dtype(values.dtype) or (
            values.dtype == object and len(values.dropna()) and values.dropna().map(type).eq(bool).all()
        ):
            out[c] = values.map({True: "是", False: "否"}).astype("object").where(values.notna(), "—")
        elif pd.api.types.is_numeric_dtype(values.dtype) and not _is_year_column(c):
            integer = _is_count_column(c, values)
            out[c] = values.astype("object").map(lambda v, i=integer: format_number(v, digits, integer=i))
    out = _labelled(out, columns)
    out = out.astype("object").where(out.notna(), "—")
    out.index = pd.RangeIndex(1, len(out) + 1, name="序号")
    return out
