"""Display and export: the Chinese scorecard of a county, CSV and XLSX files.

The scorecard is a long frame with Chinese column names and formatted text, ready to print
or paste into a report. :func:`export` writes it with the detail tables (XLSX: one sheet
each; CSV: one file each next to the scorecard). Text cells that begin with ``=``, ``+``,
``-``, ``@`` (or a tab / carriage return) are prefixed with ``'`` so that a spreadsheet never
runs them as formulas.

Examples
--------
>>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("城东区"), neutralise(-3)
('\\'=HYPERLINK("http://x")', '城东区', -3)
"""

from __future__ import annotations

import math
import os
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xlsxwriter

from analysis.dictionary import column, column_label, value_label
from analysis.indicator_catalog import PARTS
from analysis.indicators.common import MISSING, fmt, indicator_info, indicator_label
from analysis.indicators.resource import section_label
from analysis.indicators.verdict import PART_LABELS

if TYPE_CHECKING:
    from analysis.indicators.evaluation import Evaluation

SCORECARD_COLUMNS = ("评估内容", "指标", "指标名称", "学段", "数值", "标准", "达标情况", "说明")
#: characters that make a spreadsheet cell a formula (or a DDE payload)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: detail sheets of an export: (sheet name, Evaluation attribute)
DETAIL_SHEETS = (
    ("结论", "verdict"),
    ("县级指标", "county_indicators"),
    ("分项指标", "indicator_measures"),
    ("差异系数", "cv"),
    ("差异贡献", "cv_contributions"),
    ("学校资源指标", "resource_values"),
    ("学校达标情况", "resource_schools"),
    ("学校保障与质量指标", "school_indicators"),
    ("缺口_学段", "shortfalls"),
    ("缺口_学校", "school_shortfalls"),
    ("缺口汇总", "shortfall_totals"),
    ("超额班级", "class_excess"),
    ("达标比例", "pass_counts"),
    ("评估认定", "judgements"),
)
EXPORT_FORMATS = (".xlsx", ".csv")


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with ``'``; other values as is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _status_text(is_met: Any, status: Any = None) -> str:
    if isinstance(status, str):
        return value_label("status", status)
    if is_met is None or is_met is pd.NA or (isinstance(is_met, float) and math.isnan(is_met)):
        return MISSING
    return "达标" if bool(is_met) else "未达标"


def _with_final(text: str, final: Any, computed: Any) -> str:
    """``未达标（认定：整改后达标）`` where a judgement changed the result; the computed first."""
    if isinstance(final, str) and final != computed and final not in ("met", "not_applicable") or (
            isinstance(final, str) and final == "not_met" and computed not in ("not_met", None)):
        return f"{text}（认定：{value_label('final_status', final)}）"
    return text


def _standard_text(key: str, standard: float, unit: str | None) -> str:
    info = indicator_info(key)
    has_standard = not (standard is None or (isinstance(standard, float) and math.isnan(standard)))
    if key == "Q9" and has_standard:  # computed from the 质量监测 table
        return f"各学科校际差异率≤{fmt(standard, 2)}，学业水平Ⅲ级以上"
    if info.get("attested"):
        return "不存在" if info["part"] == "veto" else "是"
    if info.get("per_school"):
        return "所有学校达标"
    if standard is None or (isinstance(standard, float) and math.isnan(standard)):
        return "见说明"
    op = "≤" if info.get("compare") == "le" else "≥"
    if key == "G8":  # pay is read in 万元
        return f"{op}{fmt(standard / 1e4, 4, '万元')}（公务员平均工资）"
    return f"{op}{fmt(standard, int(info.get('decimals', 1)) if unit != '%' else 0, unit or '')}"


def _value_text(row: pd.Series) -> str:
    key = row["indicator"]
    info = indicator_info(key)
    met = row["is_met"]
    computed = "is_attested" in row and not pd.isna(row["is_attested"]) and not bool(row["is_attested"])
    if info.get("attested") and computed and not pd.isna(row["value"]):  # Q9 from the monitoring table
        return f"最大差异率{fmt(row['value'], 2)}"
    if info.get("attested"):
        if met is pd.NA or met is None:
            return "—"
        if info["part"] == "veto":
            return "不存在" if bool(met) else "存在"
        return "是" if bool(met) else "否"
    if info.get("per_school") and row["n_schools"] is not pd.NA and not pd.isna(row["n_schools"]):
        return f"{int(row['n_schools_met'])}/{int(row['n_schools'])}所（{fmt(row['value'], 1, '%')}）"
    unit = row["unit"] if isinstance(row["unit"], str) else ""
    if unit == "元" and key == "G8":
        return fmt(row["value"] / 1e4, 4, "万元")
    return fmt(row["value"], int(info.get("decimals", 1)), unit)


def scorecard(ev: Evaluation, county: str, year: int | None = None) -> pd.DataFrame:
    """The county's scorecard: every indicator in Chinese with value, standard and result.

    Parameters
    ----------
    ev : an evaluation that includes ``county``.
    county : county name.
    year : year (default: the latest year of the evaluation).

    Returns
    -------
    pandas.DataFrame with the columns of :data:`SCORECARD_COLUMNS` (all text).

    Examples
    --------
    >>> from analysis.indicators.evaluation import evaluate, example_inputs
    >>> card = scorecard(evaluate(example_inputs()), "示例县")
    >>> card.iloc[0][["评估内容", "指标", "学段", "达标情况"]].tolist()
    ['资源配置', 'L1', '小学', '达标']
    """
    if county not in ev.counties:
        raise ValueError(f"unknown county {county!r}; counties evaluated: {', '.join(ev.counties)}")
    year = int(year) if year is not None else max(ev.years)
    if year not in ev.years:
        raise ValueError(f"year {year} was not evaluated; years: {', '.join(map(str, ev.years))}")

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[(frame["year"].astype(int) == year) & (frame["county"].astype(str) == county)]

    rows: list[tuple[str, ...]] = []
    res_label = PART_LABELS["resource"]
    pc_all = pick(ev.pass_counts) if hasattr(ev, "pass_counts") else None
    pc_levels = ({(r.indicator, r.level): r.detail for r in pc_all.itertuples(index=False)}
                 if pc_all is not None and len(pc_all) else {})
    cv = pick(ev.cv)
    schools = pick(ev.resource_schools)
    for sec in [s for s in ("primary", "junior") if s in set(cv["section"])]:
        sub = cv.loc[cv["section"] == sec]
        sec_text = section_label(sec)
        for r in sub.itertuples(index=False):
            info = indicator_info(r.indicator)
            note = f"县域均值{fmt(r.mean, int(info.get('decimals', 2)), info['unit'])}"
            lvl = pc_levels.get((r.indicator, sec))
            if lvl is not None:  # the one pass count of the indicator in this section
                note += f"；{lvl}"
            if r.n_missing and lvl is None:
                note += f"；{r.n_missing}所学校数据缺失"
            text = _status_text(r.is_met)
            js = getattr(r, "judged_status", None)
            if isinstance(js, str):
                text += f"（认定：{value_label('judged_status', js)}）"
            rows.append((res_label, r.indicator, f"{indicator_label(r.indicator)}（校际差异系数）", sec_text,
                         fmt(r.cv, 3), f"≤{fmt(r.threshold, 2)}", text, note))
        first = sub.iloc[0]
        rows.append((res_label, "综合差异系数", "综合差异系数（基本均衡口径，参考）", sec_text, fmt(first["cv_composite"], 3),
                     f"≤{fmt(first['composite_threshold'], 2)}", _status_text(first["is_composite_met"]) + "（参考）",
                     "7项差异系数的平均值，不计入优质均衡结论"))
        sch = schools.loc[(schools["section"] == sec) & schools["is_counted"].astype(bool)]
        passes = sch["is_passing"].astype("boolean")
        n_pass = int(passes.fillna(False).sum())
        failing = sch.loc[passes.fillna(True) == False]  # noqa: E712
        missing = sch.loc[passes.isna()]
        met = False if len(failing) else (pd.NA if len(missing) else True)
        note = "；".join(filter(None, [
            ("未达标：" + "、".join(f"{n}（{f}）" for n, f in zip(failing["school_name"], failing["failed_indicators"], strict=True))) if len(failing) else "",
            (f"数据缺失{len(missing)}所") if len(missing) else "",
        ])) or "均达到要求"
        text = _status_text(met)
        if "is_passing_final" in sch and len(sch):
            fin = sch["is_passing_final"].astype("boolean")
            n_fin = int(fin.fillna(False).sum())
            if n_fin != n_pass:
                text += f"（认定后{n_fin}/{len(sch)}所）"
                judged = [f"{n}：{j}" for n, j in zip(sch["school_name"], sch["judged_indicators"], strict=True) if isinstance(j, str)]
                note += "；经认定：" + "；".join(judged[:8]) + ("等" if len(judged) > 8 else "")
        rows.append((res_label, "学校达标", "每所学校至少6项指标达标、余项不低于标准的85%", sec_text,
                     f"{n_pass}/{len(sch)}所", "所有学校达标", text, note))
    pc = pick(ev.pass_counts) if hasattr(ev, "pass_counts") else None
    if pc is not None and len(pc):
        allp = pc.loc[(pc["part"] == "resource") & (pc["level"] == "all")]
        for r in allp.itertuples(index=False):
            text = "达标" if r.n_units_met == r.n_units else ("未达标" if r.n_units_not_met else MISSING)
            if r.n_units_met_final != r.n_units_met:
                text += f"（认定后{r.n_units_met_final}/{r.n_units}）"
            rows.append((res_label, r.indicator, f"{indicator_label(r.indicator)}（达标学校比例）", "全部",
                         f"{r.n_units_met}/{r.n_units}（{fmt(r.pass_pct, 1, '%')}）", "所有学校（学段）达标", text, r.detail))

    ci = pick(ev.county_indicators)
    for part in PARTS[1:]:  # the resource part is shown above, per section
        for _, r in ci.loc[ci["part"] == part].iterrows():
            detail = r["detail"] if isinstance(r["detail"], str) else ""
            final = r.get("final_status")
            jdet = r.get("judgement_detail")
            if isinstance(jdet, str) and jdet:
                detail = f"{detail}；【认定】{jdet}" if detail else f"【认定】{jdet}"
            pcr = pc.loc[(pc["indicator"] == r["indicator"]) & (pc["level"] == "all")] if pc is not None and len(pc) else None
            if pcr is not None and len(pcr) and not detail.startswith(pcr["detail"].iloc[0].split("；")[0]):
                detail = f"{detail}；按学校（学段）计：{pcr['detail'].iloc[0]}"
            rows.append((PART_LABELS[part], r["indicator"], indicator_label(r["indicator"]), "",
                         _value_text(r), _standard_text(r["indicator"], r["standard"], r["unit"] if isinstance(r["unit"], str) else None),
                         _with_final(_status_text(r["is_met"], r["status"]), final, r["status"]), detail))
    for r in pick(ev.verdict).itertuples(index=False):
        final = getattr(r, "final_status", None)
        reason = r.reason
        note = getattr(r, "judgement_note", None)
        if isinstance(note, str) and note:
            reason = f"{reason}；【认定】{note}"
        periods = getattr(r, "standards_periods", None)
        if r.part == "overall" and isinstance(periods, str) and periods:
            reason = f"{reason}；适用标准：{periods}"
        rows.append(("评估结论", PART_LABELS[r.part], PART_LABELS[r.part], "", "", "",
                     _with_final(_status_text(r.is_met, r.status), final, r.status), reason))
    return pd.DataFrame(rows, columns=list(SCORECARD_COLUMNS))


def scorecard_title(ev: Evaluation, county: str, year: int | None = None) -> str:
    """Title line of a scorecard, with the data label (示例数据（合成）) when synthetic.

    >>> from analysis.indicators.evaluation import evaluate, example_inputs
    >>> scorecard_title(evaluate(example_inputs()), "示例县")
    '示例县2024年义务教育优质均衡发展评估结果（国家标准（教督〔2017〕6号））【示例数据（合成）】'
    """
    year = int(year) if year is not None else max(ev.years)
    title = f"{county}{year}年义务教育优质均衡发展评估结果（{ev.standards.label}）"
    return f"{title}【{ev.data_label}】" if ev.data_label else title


def standards_line(ev: Evaluation, county: str, year: int | None = None) -> str | None:
    """``适用标准（按评估年份）：…`` naming the period of each year-dependent threshold used.

    >>> from analysis.indicators.evaluation import evaluate, example_inputs
    >>> standards_line(evaluate(example_inputs()), "示例县").startswith("适用标准（按评估年份2024年）：G6 不足100")
    True
    """
    year = int(year) if year is not None else max(ev.years)
    v = ev.verdict
    rows = v.loc[(v["year"].astype(int) == year) & (v["county"].astype(str) == county)
                 & (v["part"] == "overall")]
    if not len(rows) or not isinstance(rows["standards_periods"].iloc[0], str):
        return None
    return f"适用标准（按评估年份{year}年）：{rows['standards_periods'].iloc[0]}"


def text_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK (wide and full-width) characters take two.

    >>> text_width("L1"), text_width("小学"), text_width("≥95%")
    (2, 4, 4)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - text_width(text))


def scorecard_text(card: pd.DataFrame, width: int = 100) -> str:
    """The scorecard as plain text for a terminal: one block per part, one line per
    indicator (key, section, result, value, standard, then the name), aligned by display
    width within the block, and its explanation wrapped and indented below it.

    >>> card = pd.DataFrame([["教育质量", "Q1", "初中三年巩固率", "", "99.2%", "≥95%", "达标", "毕业生2026人"],
    ...                      ["教育质量", "Q2", "残疾儿童少年入学率", "", "90.0%", "≥95%", "未达标", ""]],
    ...                     columns=list(SCORECARD_COLUMNS))
    >>> print(scorecard_text(card))
    【教育质量】
      Q1  达标    99.2%  ≥95%  初中三年巩固率
          毕业生2026人
      Q2  未达标  90.0%  ≥95%  残疾儿童少年入学率
    """
    card = card.fillna("").astype(str)
    fields = ("指标", "学段", "达标情况", "数值", "标准")
    lines: list[str] = []
    for part, block in card.groupby("评估内容", sort=False):
        lines.append(f"【{part}】")
        widths = {c: max(text_width(v) for v in block[c]) for c in fields}
        indent = " " * (4 + widths["指标"])
        for _, r in block.iterrows():
            cells = [_pad(r[c], widths[c]) for c in fields if widths[c]]
            lines.append(("  " + "  ".join(cells) + "  " + r["指标名称"]).rstrip())
            if r["说明"]:
                lines.extend(_wrap(r["说明"], width - len(indent), indent))
    return "\n".join(lines)


def _wrap(text: str, width: int, indent: str) -> list[str]:
    """Wrap ``text`` (Chinese has no spaces) at ``width`` display columns."""
    out, line = [], ""
    width = max(width, 20)
    for ch in text:
        if text_width(line + ch) > width:
            out.append(indent + line)
            line = ""
        line += ch
    if line:
        out.append(indent + line)
    return out


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A detail table for people: Chinese column names, coded values as Chinese labels.

    >>> display_frame(pd.DataFrame({"section": ["junior"], "is_met": pd.array([True])})).values.tolist()
    [['初中', '是']]
    """
    out = {}
    for c in frame.columns:
        s = frame[c]
        try:
            col = column(c)
        except KeyError:
            out[c] = s
            continue
        if col.values is not None:
            s = s.map(lambda v, c=c: value_label(c, v) if isinstance(v, str) else v)
        elif col.dtype in ("bool", "boolean"):
            s = s.astype("boolean").map(lambda v: "" if v is pd.NA else ("是" if v else "否")).astype(object)
        out[column_label(c)] = s
    return pd.DataFrame(out)


def _detail(ev: Evaluation, attr: str, county: str, year: int) -> pd.DataFrame:
    frame = getattr(ev, attr).drop(columns=["passes"], errors="ignore")  # alias of is_passing
    if not len(frame):
        return frame
    return frame.loc[(frame["year"].astype(int) == year) & (frame["county"].astype(str) == county)].reset_index(drop=True)


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    return neutralise(value) if isinstance(value, str) else value


def write_sheet(workbook: Any, name: str, frame: pd.DataFrame, title_lines: list[str] | None = None) -> None:
    """Write ``frame`` as sheet ``name`` of an xlsxwriter workbook: optional title lines, a
    bold header, text cells neutralised (:func:`neutralise`), sensible column widths."""
    ws = workbook.add_worksheet(name)
    bold = workbook.add_format({"bold": True})
    head = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
    row = 0
    for line in title_lines or []:
        ws.write_string(row, 0, neutralise(line), bold)
        row += 1
    if title_lines:
        row += 1
    header_row = row
    for j, c in enumerate(frame.columns):
        ws.write_string(row, j, neutralise(str(c)), head)
        ws.set_column(j, j, min(max(8, len(str(c)) * 2 + 2), 60))
    for values in frame.itertuples(index=False):
        row += 1
        for j, v in enumerate(values):
            v = _cell(v)
            if v is None:
                continue
            if isinstance(v, bool):
                ws.write_string(row, j, "是" if v else "否")
            elif isinstance(v, int | float):
                ws.write_number(row, j, v)
            else:
                ws.write_string(row, j, str(v))
    ws.freeze_panes(header_row + 1, 0)


def export(ev: Evaluation, path: str | os.PathLike, county: str, year: int | None = None) -> list[Path]:
    """Write the county's scorecard and detail tables to ``path`` (.xlsx or .csv).

    XLSX: one sheet each (xlsxwriter); CSV (UTF-8 with BOM, so Excel opens it): the
    scorecard in ``path`` and each detail table in ``<stem>_<sheet>.csv`` beside it.
    Returns the files written.

    Examples
    --------
    >>> import tempfile

    >>> from analysis.indicators.evaluation import evaluate, example_inputs
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in export(evaluate(example_inputs()), Path(d) / "示例县.xlsx", "示例县")]
    ['示例县.xlsx']
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {path.suffix!r}; allowed: {', '.join(EXPORT_FORMATS)}")
    year = int(year) if year is not None else max(ev.years)
    card = scorecard(ev, county, year)
    title = [scorecard_title(ev, county, year), f"评估标准：{ev.standards.label}（{ev.standards.name}）"]
    periods = standards_line(ev, county, year)
    if periods:
        title.append(periods)
    details = [(name, display_frame(_detail(ev, attr, county, year))) for name, attr in DETAIL_SHEETS]
    std_frame = ev.standards.to_frame().rename(columns={"key": "标准项", "value": "取值"})
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                             "strings_to_numbers": False, "nan_inf_to_errors": True})
        write_sheet(wb, "评估结果", card, title)
        for name, frame in details:
            write_sheet(wb, name, frame)
        write_sheet(wb, "评估标准", std_frame)
        wb.close()
        return [path]
    written = []
    for target, frame, lines in [(path, card, title)] + [
        (path.with_name(f"{path.stem}_{name}.csv"), frame, None) for name, frame in details
    ] + [(path.with_name(f"{path.stem}_评估标准.csv"), std_frame, None)]:
        safe = frame.map(_cell) if len(frame) else frame
        with open(target, "w", encoding="utf-8-sig", newline="") as fh:
            for line in lines or []:
                fh.write(neutralise(line) + "\n")
            safe.rename(columns=lambda c: neutralise(str(c))).to_csv(fh, index=False)
        written.append(target)
    return written
