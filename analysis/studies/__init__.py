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

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.config import NOTEBOOKS_DIR, REPO_ROOT, data_path, load_yaml
from analysis.dictionary import value_label
from analysis.standards import as_standards

PARAMS_PATH = data_path("analysis_params.yaml")

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
    "check_choice",
    "class_size_band_edges",
    "class_size_cap",
    "cv_thresholds",
    "data_source",
    "group_label",
    "params",
    "resolve_path",
    "resource_standards",
    "source_line",
    "with_groups",
]


def params(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The analysis parameters (a fresh copy, safe to modify).

    Parameters
    ----------
    path : optional YAML file to read instead of ``analysis/data/analysis_params.yaml``.
    """
    return load_yaml(Path(path).resolve() if path else PARAMS_PATH)


def _standards(standards: Any = None):
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


def source_line(source: str, synthetic: bool = False) -> str:
    """The source line under a chart or an explorer view: ``数据来源：…`` and, for synthetic data, ``示例数据（合成）``.

    >>> source_line("长治市人民政府, 长治市2021年度履行教育职责自评报告, 2021")
    '数据来源：长治市人民政府, 长治市2021年度履行教育职责自评报告, 2021'
    >>> source_line("数据来源：示例市", synthetic=True)
    '数据来源：示例市　示例数据（合成）'
    """
    if not source or not str(source).strip():
        raise ValueError(
            "every chart needs a source: pass source='…' (publisher and document, or the data set)"
        )
    text = str(source).strip()
    if not text.startswith("数据来源"):
        text = f"数据来源：{text}"
    if synthetic:
        label = params()["chart"]["synthetic_label"]
        if label not in text:
            text += f"　{label}"
    return text


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
