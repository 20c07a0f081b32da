"""County figures as the reports state them: the evaluation, the opening summary, shortfalls.

Every notebook and document gets a county's evaluation from :func:`evaluate_county`
(through the explicit evaluation cache of :mod:`analysis.presentation.cache`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.dictionary import value_label
from analysis.indicators import available, indicator_info, indicator_label
from analysis.missing import Missing, is_missing, missing
from analysis.presentation.cache import evaluate, load_inputs, load_standards
from analysis.presentation.kinds import pass_text

__all__ = ["county_rows", "county_summary", "evaluate_county", "evaluate_region", "scorecard_table",
           "shortfall_table"]


def county_rows(frame: Any, county: str, purpose: str, *inputs: str, reason: str | None = None) -> Any:
    """Rows of ``frame`` for ``county``, or a Missing for ``purpose`` when there are none.

    >>> f = pd.DataFrame({"county": ["甲县"], "cv": [0.3]})
    >>> len(county_rows(f, "甲县", "计算校际差异系数", "core_school_sections"))
    1
    >>> county_rows(f, "乙县", "计算校际差异系数", "core_school_sections").sentence()
    '缺少学校基本情况（学校基本情况表），无法计算校际差异系数。'
    """
    if is_missing(frame):
        return frame.because(purpose)
    rows = frame.loc[frame["county"].astype("str") == str(county)] if "county" in frame else frame
    if rows.empty:
        return missing(purpose, *inputs, reason=reason)
    return rows.reset_index(drop=True)


def evaluate_county(processed_dir: str | os.PathLike, year: int, county: str, standards: Any = "national",
                    *, has_schools: bool = True) -> Any:
    """The indicator engine's evaluation of one county and year, or a Missing.

    A county known only from county-level tables (no school table rows) cannot be evaluated
    by an engine that needs the school table; it then gets a Missing naming
    学校基本情况表. Where the engine evaluates such a county (county figures only) its
    evaluation is returned and the sections without school data say so one by one.
    """
    std = load_standards(standards)
    try:
        inputs = load_inputs(processed_dir, year=int(year), counties=[county])
        return evaluate(inputs, year=int(year), counties=[county], standards=std)
    except (ValueError, FileNotFoundError):
        if has_schools:
            raise  # an engine error on a county with schools is a real error: let it show
        return missing("按评估办法进行评估", "core_schools")


#: the five parts of the evaluation, in the order of the method
_PARTS = ("resource", "guarantee", "quality", "recognition", "veto")


def _cv_numbers(cv: pd.DataFrame) -> list[str]:
    """``小学差异系数最大0.23（L5，上限0.50）`` per section."""
    out = []
    if cv is None or is_missing(cv) or cv.empty or "cv" not in cv:
        return out
    for section in ("primary", "junior"):
        part = cv.loc[(cv["section"] == section) & cv["cv"].notna()]
        if part.empty:
            continue
        top = part.loc[part["cv"].astype("float64").idxmax()]
        over = int((part["is_met"].astype("boolean") == False).sum())  # noqa: E712 - boolean NA stays NA
        text = f"{value_label('section', section)}差异系数最大{float(top['cv']):.2f}（{top['indicator']}，上限{float(top['threshold']):.2f}）"
        if over:
            text += f"，{over}项超过上限"
        out.append(text)
    return out


def county_summary(ev: Any, county: str, *, max_items: int = 3) -> str | Missing:
    """The opening summary of a county report, in Chinese Markdown: the verdict, the few
    numbers that decide it, and what is missing to pass.

    ``ev`` is an :class:`analysis.indicators.Evaluation` (or a Missing, returned as it is).
    The verdict and part reasons come from ``ev.verdict``; the deciding numbers are the
    schools meeting the per-school rule, the largest difference coefficient per section and
    the indicators met per part; "to pass" lists the shortfall totals and the county
    indicators not met, then the parts the data cannot decide.

    Examples
    --------
    >>> from analysis.indicators import evaluate
    >>> from analysis.indicators.evaluation import example_inputs
    >>> ev = evaluate(example_inputs(), year=2024, standards="national")
    >>> text = county_summary(ev, "示例县")
    >>> text.splitlines()[0]
    '**评估结论：未通过**（示例县，2024年）——未通过：资源配置未达标'
    >>> "合计缺口450" in text
    True
    """
    if is_missing(ev):
        return ev.because("给出评估摘要")
    verdict = ev.verdict.loc[ev.verdict["county"].astype("str") == str(county)]
    if verdict.empty:
        return missing("给出评估摘要", "core_schools")
    year = int(verdict["year"].max())
    verdict = verdict.loc[verdict["year"] == year].set_index("part")
    overall = verdict.loc["overall"] if "overall" in verdict.index else None
    status = None if overall is None else str(overall["status"])
    word = {"met": "通过", "not_met": "未通过"}.get(status, "尚不能判定")
    lines = [f"**评估结论：{word}**（{county}，{year}年）" + (f"——{overall['reason']}" if overall is not None
                                                        and isinstance(overall["reason"], str) else "")]
    # the numbers that decide it
    numbers = []
    rs = ev.resource_schools
    rs = rs.loc[(rs["county"].astype("str") == str(county)) & (rs["year"] == year)] if len(rs) else rs
    if len(rs):
        counted = rs.loc[rs["is_counted"].astype("bool")]
        passing = int(counted["passes"].astype("boolean").fillna(False).sum())
        numbers.append(f"达到“6项达标、余项不低于85%”的学校（学段）{pass_text(passing, len(counted))}")
    cv = ev.cv.loc[(ev.cv["county"].astype("str") == str(county)) & (ev.cv["year"] == year)] if len(ev.cv) else ev.cv
    numbers += _cv_numbers(cv)
    ci = ev.county_indicators
    ci = ci.loc[(ci["county"].astype("str") == str(county)) & (ci["year"] == year)] if len(ci) else ci
    for part in _PARTS[1:]:
        rows = ci.loc[ci["part"] == part] if len(ci) else ci
        rows = rows.loc[rows["status"] != "not_applicable"] if len(rows) else rows
        if len(rows) and part != "veto":
            met = int((rows["status"] == "met").sum())
            numbers.append(f"{value_label('part', part)}{met}/{len(rows)}项达标")
    if numbers:
        lines.append("- 关键数字：" + "；".join(numbers) + "。")
    veto_words = {"met": "无一票否决情形", "not_met": "存在一票否决情形"}
    parts = [veto_words.get(verdict.loc[p, "status"]) if p == "veto" and verdict.loc[p, "status"] in veto_words
             else f"{value_label('part', p)}{value_label('status', verdict.loc[p, 'status'])}"
             for p in _PARTS if p in verdict.index]
    if parts:
        lines.append("- 五个方面：" + "，".join(parts) + "。")
    # what is missing to pass
    todo = []
    st = ev.shortfall_totals
    st = st.loc[st["county"].astype("str") == str(county)] if len(st) else st
    todo += [str(d) for d in st["detail"].dropna()] if len(st) else []
    if len(ci):
        failed = ci.loc[ci["status"] == "not_met"]
        todo += [f"{indicator_label(r.indicator)}未达标" + (f"（{r.detail}）" if isinstance(r.detail, str) and r.detail else "")
                 for r in failed.itertuples()]
    if todo:
        more = f"等{len(todo)}项" if len(todo) > max_items else ""
        lines.append("- 要达标还需：" + "；".join(todo[:max_items]) + more + "。")
    undecided = [value_label("part", p) for p in _PARTS if p in verdict.index and verdict.loc[p, "status"] == "missing"]
    if undecided:
        lines.append(f"- 数据缺失、尚不能判定：{'、'.join(undecided)}（补齐相应数据表后重新评估）。")
    if status == "met":
        lines.append("- 五个方面均达标，且无一票否决情形。")
    return "\n".join(lines)


def shortfall_table(ev: Any, county: str) -> pd.DataFrame | str | Missing:
    """The county's per-school shortfalls for the report: a frame, a sentence when there are
    none, or a Missing when no school was evaluated."""
    purpose = "列出各校缺口"
    if is_missing(ev):
        return ev.because(purpose)
    schools = county_rows(ev.resource_schools, county, purpose, "core_school_sections")
    if is_missing(schools):
        return schools
    if not schools["is_counted"].astype("bool").any():
        return missing(purpose, reason="该县（区）没有计入评估的学校（学段）")
    short = ev.shortfalls.loc[ev.shortfalls["county"].astype("str") == str(county)]
    if short.empty:
        return "各校（学段）资源配置指标均无缺口。"
    short = short.assign(indicator=short["indicator"].map(indicator_label))
    cols = ["school_name", "section", "indicator", "value", "standard", "gap", "gap_unit", "is_blocking"]
    return short[[c for c in cols if c in short]].reset_index(drop=True)


def scorecard_table(ev: Any, county: str, year: int | None = None) -> pd.DataFrame | Missing:
    """The county's scorecard with its figures as numbers: every indicator, its value (a
    number in the row's unit: a coefficient, a share, 元 …), the standard, the result and
    the explanation.

    The rows and their wording are those of :meth:`Evaluation.scorecard` (the command
    line's); the value is taken from the engine's tables, so the page, the workbook and the
    Word document print it through its kind instead of as text.
    """
    if is_missing(ev):
        return ev.because("给出评估总表")
    card = ev.scorecard(county, year)
    year = int(year) if year is not None else max(ev.years)

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[(frame["year"].astype(int) == year) & (frame["county"].astype(str) == county)]

    cv_rows = pick(ev.cv)
    composite = cv_rows.groupby("section")["cv_composite"].first().to_dict() if len(cv_rows) else {}
    cv = cv_rows.set_index(["section", "indicator"])
    pc = pick(ev.pass_counts)
    pc = pc.loc[pc["level"] == "all"].set_index("indicator") if len(pc) else pc
    ci = pick(ev.county_indicators).set_index("indicator") if len(ev.county_indicators) else ev.county_indicators
    sections = {"小学": "primary", "初中": "junior"}
    values, units = [], []
    for r in card.itertuples(index=False):
        key, name, sec = r[1], r[2], sections.get(r[3])
        value, unit = None, None
        if name.endswith("（校际差异系数）") and (sec, key) in cv.index:
            value, unit = cv.loc[(sec, key), "cv"], "差异系数"
        elif name.endswith("（达标学校比例）") and key in pc.index:
            value, unit = pc.loc[key, "pass_pct"], "%"
        elif key == "综合差异系数" and sec in composite:
            value, unit = composite[sec], "差异系数"
        elif len(ci) and key in ci.index and not indicator_info(key).get("attested"):
            value, unit = ci.loc[key, "value"], ci.loc[key, "unit"]
        values.append(value if value is None or not pd.isna(value) else None)
        units.append(unit if isinstance(unit, str) else None)
    numeric = [v is not None for v in values]
    out = card.rename(columns={"数值": "数值（文字）"})
    out.insert(4, "value", pd.array([v if n else None for v, n in zip(values, numeric, strict=True)], dtype="Float64"))
    out.insert(5, "unit", units)
    # a figure printed as a number keeps its text only where it says more than the number
    text = out["数值（文字）"].where(~pd.Series(numeric), "")
    out = out.assign(**{"数值（文字）": text})
    if not text.astype(bool).any():
        out = out.drop(columns=["数值（文字）"])
    return out


def evaluate_region(processed_dir: str | os.PathLike, year: int, counties: Sequence[str],
                    standards: Any = "national") -> tuple[Any, str | None]:
    """The indicator engine's evaluation of the region's counties, or ``(None, reason)``.

    Counties without school rows for ``year`` are left to the comparison table (shown as
    —); an engine error is returned as a Chinese reason instead of stopping the report.
    """
    try:
        pairs = available(processed_dir)
        have = sorted(set(pairs.loc[pairs["year"] == int(year), "county"].astype(str)) & set(counties))
        if not have:
            return None, f"{year}年没有任何县（区）的学校数据，无法评估。"
        inputs = load_inputs(processed_dir, year=int(year), counties=have)
        return evaluate(inputs, year=int(year), counties=have, standards=standards), None
    except Exception as exc:  # noqa: BLE001 - the report goes on and says why
        return None, f"指标计算未能完成（{type(exc).__name__}: {' '.join(str(exc).split())[:200]}）。"
