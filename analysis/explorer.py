"""The explorer's data for the published HTML page, so its controls work without a kernel.

In JupyterLab ``notebooks/explore.ipynb`` redraws its chart and table with ipywidgets and
a live kernel. A published page has no kernel, so the notebook also displays an
:class:`OfflineExplorer`: every school section's L1-L7 values (the same values the
widgets read) for the counties of the page, the standards and the labels, as one JSON
output of MIME type :data:`EXPLORER_MIME`. When the notebook is exported
(:func:`analysis.publish.export.prepare_outputs`), that output becomes the markup of
:func:`explorer_html`: the JSON in a ``<script type="application/json">`` data island
and an empty ``<div class="edu-explorer">``; the small script inlined in the report
template (``analysis/templates/edu_interactive.js``) builds the same controls from it
(县（区）, 年份, 指标, 学段, 城乡, 校名包含) and redraws an SVG chart and a sortable
table on every change. Nothing is fetched from any network address.

The script reproduces :func:`analysis.studies.gaps.school_view` exactly: the rows of
the selected county, year and section, optionally one area type and a substring of the
school name, sorted by the indicator's value (lowest first, schools without a value
last), with the standard and the ratio to it. :func:`view_from_payload` is the same
selection written in Python, used by the tests to check the payload against
``school_view``.

Examples
--------
>>> import pandas as pd
>>> v = pd.DataFrame({"year": [2024] * 2, "county": ["甲县"] * 2, "school_id": ["1", "2"],
...     "school_name": ["一小", "二小"], "section": ["primary"] * 2, "area_type": ["urban", "rural"],
...     "indicator": ["L1"] * 2, "value": [5.0, 3.0], "students": [100.0, 50.0]})
>>> p = explorer_payload(v, county="甲县", year=2024, source="数据来源：示例", synthetic=True)
>>> p["counties"]["甲县"]["years"], p["initial"]["indicator"], p["source"]
([2024], 'L1', '数据来源：示例　示例数据（合成）')
>>> view_from_payload(p, county="甲县", year=2024, indicator="L1", section="primary")[
...     ["school_name", "value"]].values.tolist()
[['二小', 3.0], ['一小', 5.0]]
>>> '<script type="application/json" class="edu-explorer-data">' in explorer_html(p)
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from analysis.dictionary import value_label
from analysis.presentation.report_table import ROW_NUMBER, table
from analysis.studies import params, resource_standards, source_line
from analysis.studies.gaps import measure_label, measure_unit

#: MIME type of the explorer's data output (rendered by the report template's script)
EXPLORER_MIME = "application/vnd.edu-balance.explorer+json"
#: version of the payload layout (the template's script checks it)
PAYLOAD_VERSION = 1
#: the page carries every county's values while they are at most this many school sections
#: × years; beyond it (a province) only the page's own county, so each page stays small
MAX_ROWS_ALL_COUNTIES = 20_000
#: schools drawn in the chart (the lowest values), as in ``plotting.school_values_chart``
MAX_CHART_SCHOOLS = 40
#: share of the standard below which a school counts as far below it (red)
NEAR_SHARE = 0.85

_SECTIONS = ("primary", "junior")
_AREAS = ("all", "urban", "town", "rural")
_TABLE_COLUMNS = ("school_id", "school_name", "area_type", "students", "value", "standard",
                  "ratio_to_standard")


def _number(value: Any) -> float | None:
    """A JSON-safe number: ``None`` for missing or infinite values."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    value = float(value)
    return value if math.isfinite(value) else None


def _column_labels() -> dict[str, str]:
    """Table headers exactly as the report tables write them (:mod:`analysis.presentation.report_table`)."""
    empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in _TABLE_COLUMNS})
    return {"index": ROW_NUMBER, **dict(zip(_TABLE_COLUMNS, table(empty).headers, strict=True))}


def explorer_payload(
    values: pd.DataFrame,
    *,
    county: str,
    year: int,
    standards: Any = "national",
    source: str,
    synthetic: bool = False,
    counties: Sequence[str] | None = None,
    initial: Mapping[str, Any] | None = None,
    max_rows_all: int = MAX_ROWS_ALL_COUNTIES,
) -> dict[str, Any]:
    """The explorer's data for one page, as plain JSON-ready Python values.

    Parameters
    ----------
    values : pandas.DataFrame
        :func:`analysis.studies.gaps.school_resource_values` output (long: one row per
        school section and indicator).
    county, year : the page's county and year (the first selection).
    standards : standards name, YAML path or loaded standards (L1-L7 per section).
    source : the chart's data-source line (``数据来源：…``).
    synthetic : the data are the synthetic sample: the chart says 示例数据（合成）.
    counties : counties offered in the county control (default every county in
        ``values``); only ``county`` when their rows exceed ``max_rows_all``.
    initial : the first selection (``indicator``, ``section``, ``area``, ``school``);
        default L1, 小学, 全部, no name filter.

    Returns
    -------
    dict
        ``version``, ``initial``, ``counties`` (per county its years, schools
        ``[id, name, area_type]`` and rows ``[year, school, section, students, L1..L7]``),
        ``indicators``, ``sections``, ``areas`` (code and Chinese label), ``standards``
        per section, ``units``, ``columns`` (table headers), ``source`` and ``note``.
    """
    indicators = list(params()["resource_indicators"])
    wanted = list(dict.fromkeys([county, *(counties if counties is not None
                                           else sorted(values["county"].dropna().astype(str).unique()))]))
    long = values.loc[values["county"].astype(str).isin(wanted) & values["indicator"].isin(indicators)]
    key = ["county", "year", "school_id", "section"]
    wide = (long.groupby([*key, "indicator"], sort=False, observed=True, dropna=False)["value"]
            .first().unstack("indicator"))
    info = long.drop_duplicates(key).set_index(key)[["school_name", "area_type", "students"]]
    wide = info.join(wide, how="left").reset_index()
    note = ""
    if len(wide) > max_rows_all and len(wanted) > 1:
        wide = wide.loc[wide["county"].astype(str) == county]
        note = f"离线页面只包含{county}的数据（全部县（区）的数据在 JupyterLab 中浏览）。"
        wanted = [county]
    # keep the order of ``values`` (school_view sorts stably on it)
    order = long.drop_duplicates(key)[key].reset_index(drop=True).reset_index()
    wide = wide.merge(order, on=key, how="left").sort_values("index", kind="stable")

    payload_counties: dict[str, Any] = {}
    for name in wanted:
        part = wide.loc[wide["county"].astype(str) == name]
        schools: dict[str, int] = {}
        school_rows: list[list[Any]] = []
        rows: list[list[Any]] = []
        for rec in part.itertuples(index=False):
            sid = str(rec.school_id)
            skey = f"{sid}\0{rec.school_name}\0{rec.area_type}"
            if skey not in schools:
                schools[skey] = len(school_rows)
                school_rows.append([sid, "" if pd.isna(rec.school_name) else str(rec.school_name),
                                    "" if pd.isna(rec.area_type) else str(rec.area_type)])
            row = [int(rec.year), schools[skey], str(rec.section), _number(rec.students)]
            row += [_number(getattr(rec, k, None)) for k in indicators]
            rows.append(row)
        years = sorted({r[0] for r in rows})
        payload_counties[name] = {"years": years, "schools": school_rows, "rows": rows}

    std = {s: {k: _number(v) for k, v in resource_standards(s, standards).items()} for s in _SECTIONS}
    first = {"county": county, "year": int(year), "indicator": "L1", "section": "primary",
             "area": "all", "school": ""}
    first.update({k: v for k, v in (initial or {}).items() if k in first})
    return {
        "version": PAYLOAD_VERSION,
        "initial": first,
        "counties": payload_counties,
        "indicators": [[k, f"{k} {measure_label(k)}", measure_label(k)] for k in indicators],
        "units": {k: measure_unit(k) for k in indicators},
        "sections": [[s, value_label("section", s)] for s in _SECTIONS],
        "areas": [[a, value_label("area_group", a)] for a in _AREAS],
        "area_types": {a: value_label("area_type", a) for a in _AREAS[1:]},
        "standards": std,
        "columns": _column_labels(),
        "near_share": NEAR_SHARE,
        "max_schools": MAX_CHART_SCHOOLS,
        "source": source_line(source, synthetic),
        "synthetic": bool(synthetic),
        "note": note,
    }


def own_county(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``payload`` with only its first selection's county (what a published county page
    carries: each county's page its own data, not every county's).

    >>> p = {"initial": {"county": "甲县"}, "counties": {"甲县": {}, "乙县": {}}, "note": ""}
    >>> small = own_county(p)
    >>> list(small["counties"]), "只包含甲县" in small["note"]
    (['甲县'], True)
    """
    county = str(payload["initial"]["county"])
    if list(payload.get("counties", {})) == [county]:
        return dict(payload)
    return {**payload, "counties": {county: payload["counties"][county]},
            "note": f"离线页面只包含{county}的数据（全部县（区）的数据在 JupyterLab 中浏览）。"}


def view_from_payload(payload: Mapping[str, Any], *, county: str, year: int, indicator: str,
                      section: str, area: str = "all", name_contains: str = "") -> pd.DataFrame:
    """The selection the page's script shows, computed from ``payload`` in Python.

    Same columns and order as :func:`analysis.studies.gaps.school_view` with a standard.
    """
    data = payload["counties"][county]
    keys = [k for k, _, _ in payload["indicators"]]
    col = 4 + keys.index(indicator)
    records = []
    for row in data["rows"]:
        sid, name, area_type = data["schools"][row[1]]
        if row[0] != int(year) or row[2] != section or (area != "all" and area_type != area):
            continue
        if name_contains and name_contains not in name:
            continue
        records.append({"school_id": sid, "school_name": name, "area_type": area_type,
                        "students": row[3], "value": row[col]})
    out = pd.DataFrame(records, columns=["school_id", "school_name", "area_type", "students", "value"])
    out = out.astype({"students": "float64", "value": "float64"})
    out = out.sort_values("value", kind="stable").reset_index(drop=True)
    standard = payload["standards"][section][indicator]
    out["standard"] = float("nan") if standard is None else float(standard)
    out["ratio_to_standard"] = out["value"] / out["standard"]
    return out


def _json_for_html(payload: Mapping[str, Any]) -> str:
    """JSON that cannot end its ``<script>`` element early or open markup."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def explorer_html(payload: Mapping[str, Any]) -> str:
    """The page markup of one explorer: the data island and the element the script fills."""
    if payload.get("version") != PAYLOAD_VERSION:
        raise ValueError(f"explorer payload version {payload.get('version')!r}; expected {PAYLOAD_VERSION}")
    return (
        '<div class="edu-explorer">'
        '<script type="application/json" class="edu-explorer-data">' + _json_for_html(payload) + "</script>"
        '<p class="edu-explorer-nojs">（离线交互浏览需要浏览器启用 JavaScript；上方为当前选择的静态输出。）</p>'
        "</div>"
    )


class OfflineExplorer:
    """A notebook output carrying the explorer's data (see the module docstring).

    In JupyterLab it shows one short line (the ipywidgets above are the live explorer);
    in the published page it becomes the kernel-free explorer.
    """

    def __init__(self, payload: Mapping[str, Any]) -> None:
        self.payload = dict(payload)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            EXPLORER_MIME: self.payload,
            "text/plain": "（发布的 HTML 报告中，此处是不需要内核的离线交互浏览。）",
        }
