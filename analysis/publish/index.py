"""The year's index page: every county with its verdict, key figures and report links.

:func:`county_summary` turns the indicator engine's tables into one row of key figures
per county (pure, DataFrame in → DataFrame out); :func:`evaluation_summary` runs the
engine once for the year; :func:`render_index` fills ``analysis/templates/
county_index.html.j2`` (autoescaped: county names are data) from the summary and the
counties' state files; :func:`write_index` writes ``reports/<year>/index.html``.

Examples
--------
>>> import pandas as pd
>>> verdict = pd.DataFrame({"county": ["甲县"] * 2, "part": ["resource", "overall"],
...                         "is_met": [False, False], "reason": ["", "资源配置未达标"]})
>>> cv = pd.DataFrame({"county": ["甲县"], "section": ["primary"], "indicator": ["L4"],
...                    "cv": [0.62], "threshold": [0.5], "is_met": [False]})
>>> row = county_summary(verdict, cv).iloc[0]
>>> bool(row.overall), int(row.n_cv_over), row.cv_over_detail
(False, 1, '小学 L4 0.620 > 0.50')
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from analysis.config import TEMPLATES_DIR, atomic_write
from analysis.indicator_catalog import COUNTY_TABLES, REQUIRED_ANY

INDEX_TEMPLATE = "county_index.html.j2"

#: the five parts of the method, then the overall verdict (order of the index columns)
PARTS = ("resource", "guarantee", "quality", "recognition", "veto")
#: Chinese names of the parts, used when the column dictionary has no ``part`` labels
PART_LABELS = {
    "resource": "资源配置",
    "guarantee": "政府保障程度",
    "quality": "教育质量",
    "recognition": "社会认可度",
    "veto": "一票否决",
    "overall": "总体结论",
}
SECTION_LABELS = {"primary": "小学", "junior": "初中"}
#: markers in source file names that say the data are the synthetic sample
SYNTHETIC_MARKERS = ("示例", "合成", "synthetic")
SYNTHETIC_LABEL = "示例数据（合成）"
REAL_SOURCE_LABEL = "区县教育局报送的教育事业统计数据"

SUMMARY_COLUMNS = [
    "county", "overall", *PARTS, "overall_reason", "n_schools", "n_students",
    "n_sections", "n_sections_failing", "n_cv", "n_cv_over", "cv_over_detail",
    # the result once the analyst's judgements (评估认定) apply, beside the computed one
    "overall_final", *(f"{p}_final" for p in PARTS),
]

STATUS_LABELS = {"ok": "成功", "failed": "失败", "missing": "未运行"}


def part_label(part: str) -> str:
    """Chinese name of a verdict part, from the column dictionary when it has one.

    >>> part_label("guarantee")
    '政府保障程度'
    """
    try:
        # deferred: keeps the command line's start-up light
        from analysis.dictionary import value_label

        return value_label("part", part)
    except (KeyError, ValueError, ImportError):
        return PART_LABELS.get(part, part)


def _section_label(section: str) -> str:
    try:
        # deferred: keeps the command line's start-up light
        from analysis.dictionary import value_label

        return value_label("section", section)
    except (KeyError, ValueError, ImportError):
        return SECTION_LABELS.get(section, section)


def county_summary(
    verdict: pd.DataFrame,
    cv: pd.DataFrame | None = None,
    resource_schools: pd.DataFrame | None = None,
    schools: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Key figures per county from the engine's tables.

    Parameters
    ----------
    verdict : DataFrame
        ``out_county_verdict``: ``county, part, is_met, reason`` (parts ``resource``,
        ``guarantee``, ``quality``, ``recognition``, ``veto``, ``overall``).
    cv : DataFrame, optional
        ``out_difference_coefficients``: ``county, section, indicator, cv, threshold, is_met``.
    resource_schools : DataFrame, optional
        ``out_resource_schools``: ``county, passes`` (and ``is_counted``) per school section;
        sections not counted for the resource indicators are left out.
    schools : DataFrame, optional
        ``core_schools`` of the year: ``county, is_counted_school, students_primary,
        students_junior``.

    Returns
    -------
    DataFrame
        One row per county, columns :data:`SUMMARY_COLUMNS`; verdicts are nullable
        booleans, counts nullable integers (missing when the input is missing).

    Examples
    --------
    >>> v = pd.DataFrame({"county": ["甲", "甲", "乙"], "part": ["veto", "overall", "overall"],
    ...                   "is_met": [True, True, False], "reason": ["", "", "否决"]})
    >>> s = pd.DataFrame({"county": ["甲", "甲", "乙"], "is_counted_school": [True, False, True],
    ...                   "students_primary": [100, 20, 50], "students_junior": [0, 0, 30]})
    >>> county_summary(v, schools=s)[["county", "overall", "veto", "n_schools", "n_students"]]
      county  overall  veto  n_schools  n_students
    0      乙    False  <NA>          1          80
    1      甲     True  True          1         120
    """
    counties = sorted(
        set(verdict["county"].astype(str))
        | (set(schools["county"].astype(str)) if schools is not None else set())
    )
    out = pd.DataFrame({"county": counties})
    is_met = verdict.assign(county=verdict["county"].astype(str)).pivot_table(
        index="county", columns="part", values="is_met", aggfunc="first"
    )
    for part in ("overall", *PARTS):
        values = out["county"].map(is_met[part]) if part in is_met else pd.Series(pd.NA, index=out.index)
        out[part] = values.astype("boolean")
    reasons = verdict[verdict["part"] == "overall"].set_index("county")["reason"] if "reason" in verdict else {}
    out["overall_reason"] = out["county"].map(reasons).fillna("").astype(str)
    for part in ("overall", *PARTS):
        if "final_status" in verdict:
            sub = verdict.loc[verdict["part"] == part].assign(county=lambda f: f["county"].astype(str))
            out[f"{part}_final"] = out["county"].map(sub.set_index("county")["final_status"]).astype(object)
        else:
            out[f"{part}_final"] = None
    if "judgement_note" in verdict:
        notes = verdict.loc[(verdict["part"] == "overall") & verdict["judgement_note"].notna()]
        extra = out["county"].map(notes.assign(county=notes["county"].astype(str)).set_index("county")["judgement_note"])
        out["overall_reason"] = [f"{r}；【认定】{e}" if isinstance(e, str) else r
                                 for r, e in zip(out["overall_reason"], extra, strict=True)]

    if schools is not None:
        sch = schools.assign(county=schools["county"].astype(str))
        counted = sch[sch["is_counted_school"].fillna(True).astype(bool)]
        students = sch["students_primary"].fillna(0) + sch["students_junior"].fillna(0)
        out["n_schools"] = out["county"].map(counted.groupby("county").size()).fillna(0)
        out["n_students"] = out["county"].map(students.groupby(sch["county"]).sum()).fillna(0)
    else:
        out["n_schools"] = out["n_students"] = pd.NA

    if resource_schools is not None:
        rs = resource_schools.assign(county=resource_schools["county"].astype(str))
        if "is_counted" in rs:  # sections left out of the 7 indicators (special schools, ...)
            rs = rs[rs["is_counted"].fillna(False).astype(bool)]
        out["n_sections"] = out["county"].map(rs.groupby("county").size()).fillna(0)
        failing = rs[~rs["passes"].fillna(False).astype(bool)]
        out["n_sections_failing"] = out["county"].map(failing.groupby("county").size()).fillna(0)
    else:
        out["n_sections"] = out["n_sections_failing"] = pd.NA

    if cv is not None:
        order = {s: i for i, s in enumerate(SECTION_LABELS)}  # primary before junior
        c = cv.assign(county=cv["county"].astype(str), _order=cv["section"].map(order))
        c = c.sort_values(["county", "_order", "indicator"])
        over = c[~c["is_met"].fillna(True).astype(bool)]
        out["n_cv"] = out["county"].map(c.groupby("county").size()).fillna(0)
        out["n_cv_over"] = out["county"].map(over.groupby("county").size()).fillna(0)
        detail = over.apply(
            lambda r: f"{_section_label(r['section'])} {r['indicator']} {r['cv']:.3f} > {r['threshold']:.2f}",
            axis=1,
        ) if len(over) else pd.Series(dtype=str)
        joined = detail.groupby(over["county"]).agg("；".join) if len(over) else {}
        out["cv_over_detail"] = out["county"].map(joined).astype("object").fillna("").astype(str)
    else:
        out["n_cv"] = out["n_cv_over"] = pd.NA
        out["cv_over_detail"] = ""
    for col in ("n_schools", "n_students", "n_sections", "n_sections_failing", "n_cv", "n_cv_over"):
        out[col] = out[col].astype("Int64")
    return out[SUMMARY_COLUMNS]


def evaluation_summary(
    processed_dir: str | os.PathLike, year: int, standards: Any = "national",
    counties: Sequence[str] | None = None,
) -> tuple[pd.DataFrame | None, str | None]:
    """Run the indicator engine once for ``year`` and summarise it per county.

    ``counties`` limits the evaluation to those counties (``None``: every county of the
    year); a county's row does not depend on the other counties, so the rows of a part
    are those of the whole (see :func:`assemble_summary`).

    Returns ``(summary, None)``, or ``(None, error line)`` when the engine or its input
    tables are not available; the index then shows the error instead of verdicts.
    """
    try:
        # deferred: keeps the command line's start-up light
        from analysis.indicators import evaluate, load_inputs

        # deferred: keeps the command line's start-up light
        from analysis.standards import load_standards

        # deferred: keeps the command line's start-up light
        from analysis.tables import read_table

        names = None if counties is None else [str(c) for c in counties]
        std = load_standards(standards)
        inputs = load_inputs(processed_dir, year=year, counties=names)
        ev = evaluate(inputs, year=year, counties=names, standards=std)
        filters = [("year", "==", int(year))]
        if names is not None:
            filters.append(("county", "in", names))
        schools = read_table(
            "core_schools", processed_dir,
            columns=["year", "county", "is_counted_school", "students_primary", "students_junior"],
            filters=filters,
        )
        summary = county_summary(
            ev.verdict, getattr(ev, "cv", None), getattr(ev, "resource_schools", None), schools
        )
        return summary, None
    except Exception as exc:  # noqa: BLE001 - shown in the index, the runs still go on
        return None, f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


#: where the engine finds the county-years it evaluates (as
#: :func:`analysis.indicators.evaluation.available`, read here without importing the
#: engine): the first school table that exists, then every county-level table
#: (:data:`analysis.indicator_catalog.COUNTY_TABLES`, with its year column)
SCHOOL_TABLES = REQUIRED_ANY[::-1]


def summary_counties(processed_dir: str | os.PathLike, year: int) -> list[str]:
    """The counties :func:`evaluation_summary` has a row for, read without evaluating.

    Those the engine evaluates for ``year``: with a row in the school table
    (:data:`SCHOOL_TABLES`) or in a county-level table (:data:`COUNTY_TABLES`); sorted.
    Raises :class:`FileNotFoundError` when none of these tables was built.
    """
    # deferred: keeps the command line's start-up light
    from analysis.tables import read_table, table_path

    names: set[str] = set()
    school = next((n for n in SCHOOL_TABLES if table_path(n, processed_dir).exists()), None)
    found = [(school, "year")] if school else []
    found += [(n, y) for n, y in COUNTY_TABLES.items() if table_path(n, processed_dir).exists()]
    if not found:
        raise FileNotFoundError(f"{processed_dir}: no table the indicator engine evaluates has been built")
    for name, ycol in found:
        frame = read_table(name, processed_dir, columns=["county", ycol], filters=[(ycol, "==", int(year))])
        names |= set(frame["county"].dropna().astype(str))
    return sorted(names)


def county_rows(processed_dir: str | os.PathLike, county: str, year: int,
                standards: Any = "national") -> pd.DataFrame:
    """The summary row of one county from its evaluation as the county report computes it.

    Meant for a publishing kernel after the county report
    (:meth:`analysis.publish.kernel.WarmKernel.summary_rows`): the evaluation comes out
    of that kernel's cache (:func:`analysis.presentation.county.evaluate_county`), so the
    row costs a table read and :func:`county_summary`. The row equals the county's row
    of :func:`evaluation_summary`. Raises when the county cannot be evaluated.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.indicators.evaluation import example_inputs
    >>> from analysis.tables import write_tables
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = write_tables(dict(example_inputs()), d)
    ...     row = county_rows(d, "示例县", 2024)
    ...     whole, _ = evaluation_summary(d, 2024)
    >>> row.equals(whole)
    True
    """
    # deferred: keeps the command line's start-up light
    from analysis.presentation.county import evaluate_county

    # deferred: keeps the command line's start-up light
    from analysis.tables import read_table

    ev = evaluate_county(processed_dir, int(year), str(county), standards)
    if not hasattr(ev, "verdict"):
        raise ValueError(f"{county} {year}: no evaluation ({ev})")
    schools = read_table(
        "core_schools", processed_dir,
        columns=["year", "county", "is_counted_school", "students_primary", "students_junior"],
        filters=[("year", "==", int(year)), ("county", "==", str(county))],
    )
    return county_summary(ev.verdict, getattr(ev, "cv", None), getattr(ev, "resource_schools", None), schools)


def assemble_summary(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One summary from the rows of parts of the counties (:func:`county_rows`,
    :func:`evaluation_summary` of some counties): counties sorted, the first row of a
    county kept, dtypes those of the parts.

    >>> v = pd.DataFrame({"county": ["乙", "甲"], "part": ["overall"] * 2, "is_met": [False, True],
    ...                   "reason": ["否决", ""]})
    >>> whole = county_summary(v)
    >>> parts = [county_summary(v[v["county"] == c]) for c in ("甲", "乙")]
    >>> assemble_summary(parts).equals(whole)
    True
    """
    frames = [f[SUMMARY_COLUMNS] for f in parts if f is not None]
    if not frames:
        raise ValueError("no summary rows to assemble")
    filled = [f for f in frames if len(f)]
    if not filled:
        return frames[0].reset_index(drop=True)
    out = pd.concat(filled, ignore_index=True) if len(filled) > 1 else filled[0].reset_index(drop=True)
    out = out.drop_duplicates("county", keep="first")
    order = sorted(range(len(out)), key=lambda i: str(out["county"].iat[i]))  # as county_summary
    out = out.iloc[order].reset_index(drop=True)
    for col in SUMMARY_COLUMNS:  # a column the parts agree on keeps their dtype
        kinds = {str(f[col].dtype) for f in filled}
        if len(kinds) == 1 and str(out[col].dtype) != kinds.pop():
            out[col] = out[col].astype(filled[0][col].dtype)
    return out


def describe_source(processed_dir: str | os.PathLike) -> str:
    """The data-source line: :data:`SYNTHETIC_LABEL` for the synthetic sample.

    Decided from ``core_schools.source_file`` (the sample's files say 示例 in their
    names); :data:`REAL_SOURCE_LABEL` otherwise. ``publish(source=...)`` (``--source``)
    overrides it, e.g. with the bureau and statistics year of real data.
    """
    try:
        # deferred: keeps the command line's start-up light
        from analysis.tables import read_table

        files = read_table("core_schools", processed_dir, columns=["source_file"])["source_file"]
    except Exception:  # noqa: BLE001 - no school table: nothing to go by
        return REAL_SOURCE_LABEL
    names = files.dropna().astype(str).unique()
    if any(marker in name.lower() for name in names for marker in SYNTHETIC_MARKERS):
        return SYNTHETIC_LABEL
    return REAL_SOURCE_LABEL


#: final statuses that pass only by the analyst's judgement, with their labels
JUDGED_LABELS = {"judged_met": "认定达标", "met_by_judgement": "综合评估认定达标",
                 "met_after_rectification": "整改后达标", "judged_not_met": "认定未达标"}


def _verdict_cell(value: Any, final: Any = None) -> dict[str, str]:
    """Computed verdict cell; where a judgement changed it, both (``未达标（认定：整改后达标）``).

    >>> _verdict_cell(False, "met_after_rectification")
    {'text': '未达标（认定：整改后达标）', 'css': 'judged'}
    """
    if isinstance(final, str) and final in JUDGED_LABELS:
        base = _verdict_cell(value)
        return {"text": f"{base['text']}（认定：{JUDGED_LABELS[final]}）", "css": "judged"}
    if value is True or (value is not pd.NA and value is not None and bool(value) and not pd.isna(value)):
        return {"text": "达标", "css": "met"}
    if value is False or (value is not None and not pd.isna(value)):
        return {"text": "未达标", "css": "unmet"}
    return {"text": "—", "css": "na"}


def _fmt_int(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{int(value):,}"


def _report_links(folder: str, state: Mapping[str, Any], notebooks: Sequence[str],
                  titles: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    # deferred: a publishing kernel imports this module for its summary rows (county_rows)
    from analysis.publish.downloads import document_label, document_order

    entries = state.get("notebooks", {})
    names = list(dict.fromkeys([*notebooks, *sorted(entries)]))
    links = []
    for name in names:
        entry = entries.get(name)
        if entry is None:
            links.append({"label": (titles or {}).get(name, name), "status": "missing", "status_label": STATUS_LABELS["missing"],
                          "html": None, "ipynb": None, "error": "", "finished": ""})
            continue
        status = entry.get("status", "missing")
        links.append({
            "label": entry.get("title") or name,
            "status": status,
            "status_label": STATUS_LABELS.get(status, status),
            "html": quote(folder) + "/" + quote(str(entry["html"])) if entry.get("html") else None,
            "ipynb": quote(folder) + "/" + quote(str(entry["ipynb"])) if entry.get("ipynb") else None,
            "error": entry.get("error") or "",
            "finished": entry.get("finished_at", ""),
        })
    for entry in entries.values():  # the Word documents among the reports' downloads
        for doc in sorted((d for d in entry.get("downloads") or [] if str(d).endswith(".docx")),
                          key=lambda d: document_order(str(d))):
            links.append({"label": document_label(str(doc)), "status": "ok", "status_label": "Word",
                          "html": quote(folder) + "/" + quote(str(doc)), "ipynb": None, "error": "",
                          "finished": ""})
    return links


def render_index(
    year: int,
    counties: Sequence[str],
    folders: Mapping[str, str],
    states: Mapping[str, Mapping[str, Any]],
    *,
    summary: pd.DataFrame | None = None,
    evaluation_error: str | None = None,
    notebooks: Sequence[str] = (),
    source: str = SYNTHETIC_LABEL,
    standards: str = "",
    run_date: str | None = None,
    regions: Sequence[Mapping[str, Any]] = (),
    titles: Mapping[str, str] | None = None,
    year_pages: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The index page of ``year`` as an HTML string (every name escaped).

    Parameters
    ----------
    year : int
    counties : sequence of str
        Counties to list, in order.
    folders : mapping
        County → its folder name under ``reports/<year>/`` (see ``assign_dirs``).
    states : mapping
        County → its state (see :mod:`analysis.publish.state`).
    summary : DataFrame, optional
        :func:`county_summary` output; ``None`` when the engine could not run.
    evaluation_error : str, optional
        Why there is no summary.
    notebooks : sequence of str
        Notebooks expected per county (shown as 未运行 where a county has none).
    source, standards, run_date : str
        Data-source line (示例数据（合成） for the sample), standards label, build time.
    regions : sequence of mappings
        City and province reports (:func:`analysis.publish.regions.region_links`): ``scope,
        name, html, status, status_label, error``; listed above the counties.
    year_pages : sequence of mappings
        Pages published once for the year (:func:`analysis.publish.runner.year_links`):
        ``name, html, status, status_label, error``; listed above the counties.

    Examples
    --------
    >>> html = render_index(2024, ["<script>"], {"<script>": "_script_-fb1c2d66"}, {})
    >>> "<td>&lt;script&gt;</td>" in html and "<td><script>" not in html
    True
    """
    import jinja2

    # deferred: a publishing kernel imports this module for its summary rows (county_rows)
    from analysis.publish.export import HTML_LANG

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    by_county = summary.set_index("county") if summary is not None and len(summary) else None
    rows = []
    counts = {"ok": 0, "failed": 0, "missing": 0}
    for county in counties:
        folder = folders[county]
        fig = by_county.loc[county] if by_county is not None and county in by_county.index else None
        links = _report_links(folder, states.get(county, {}), notebooks, titles)
        failed = [link for link in links if link["status"] == "failed"]
        missing = [link for link in links if link["status"] == "missing"]
        status = "failed" if failed else ("missing" if missing and len(missing) == len(links) else "ok")
        counts[status] += 1
        rows.append({
            "county": county,
            "status": status,
            "overall": _verdict_cell(fig["overall"] if fig is not None else None,
                                     fig.get("overall_final") if fig is not None else None),
            "overall_reason": fig["overall_reason"] if fig is not None else "",
            "parts": [_verdict_cell(fig[p] if fig is not None else None,
                                    fig.get(f"{p}_final") if fig is not None else None) for p in PARTS],
            "n_schools": _fmt_int(fig["n_schools"] if fig is not None else None),
            "n_students": _fmt_int(fig["n_students"] if fig is not None else None),
            "sections": (
                f"{_fmt_int(fig['n_sections_failing'])} / {_fmt_int(fig['n_sections'])}"
                if fig is not None else "—"
            ),
            "cv": (
                f"{_fmt_int(fig['n_cv_over'])} / {_fmt_int(fig['n_cv'])}" if fig is not None else "—"
            ),
            "cv_detail": fig["cv_over_detail"] if fig is not None else "",
            "links": links,
            "errors": failed,
        })
    template = env.get_template(INDEX_TEMPLATE)
    return template.render(
        lang=HTML_LANG,
        year=int(year),
        rows=rows,
        part_labels=[part_label(p) for p in PARTS],
        overall_label=part_label("overall"),
        counts=counts,
        source=source,
        standards=standards,
        run_date=run_date or dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
        evaluation_error=evaluation_error,
        has_summary=by_county is not None,
        regions=list(regions),
        year_pages=[{**page, "html": quote(str(page["html"])) if page.get("html") else None}
                    for page in year_pages],
    )


def write_index(html: str, out_dir: str | os.PathLike, year: int) -> Path:
    """Write ``<out_dir>/<year>/index.html`` atomically and return its path."""

    path = Path(out_dir) / str(int(year)) / "index.html"
    atomic_write(path, html)
    return path
