"""The 自查自评报告 of a county: structure and wording of 万盛 2025 (seeds/002), figures from the engine.

:func:`selfeval_blocks` turns an :class:`analysis.indicators.Evaluation` (and the county's
school tables for 一、基本情况) into document blocks; :func:`write_selfeval` renders them
into the Word template. Every figure prints through :mod:`analysis.presentation.kinds`
(and pass counts through :func:`analysis.indicators.counting.pass_sentence`), so a figure
reads the same in the Word document as on the report page. A figure the data do not hold
is said to be missing (which table kind supplies it), never invented.

Examples
--------
>>> from analysis.indicators.evaluation import evaluate, example_inputs
>>> inp = example_inputs()
>>> ev = evaluate(inp, year=2024)
>>> doc = selfeval_blocks(ev, "示例县", 2024, schools=inp["core_schools"], sections=inp["core_school_sections"])
>>> doc.title
'示例县创建全国义务教育优质均衡发展县自查自评报告'
>>> [b.text for b in doc.blocks if b.kind == "heading" and b.level == 1][:2]
['一、基本情况', '二、指标完成情况']
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.dictionary import value_label
from analysis.documents.word import (
    Block,
    heading,
    landscape,
    paragraph,
    render,
    report_table_block,
    template_path,
)
from analysis.indicators import indicator_info, indicator_label
from analysis.indicators.common import keys_of_part
from analysis.indicators.counting import pass_sentence, school_units
from analysis.indicators.evaluation import SYNTHETIC_LABEL
from analysis.indicators.sources import indicator_sources, kind_labels
from analysis.presentation.kinds import column_kind, fmt, kind_of_unit
from analysis.presentation.report_table import table
from analysis.sections import load_rules
from analysis.studies import data_source

__all__ = ["Document", "selfeval_blocks", "write_selfeval", "conclusion", "CHINESE_NUMBERS"]

CHINESE_NUMBERS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五")
#: judged statuses, weakest first: the one a part's conclusion takes when several apply
_JUDGED_ORDER = ("met_after_rectification", "met_by_judgement", "judged_met")


@dataclass
class Document:
    """A document ready to render: title, subtitle (data label, year), blocks."""

    title: str
    subtitle: str
    blocks: list[Block]
    county: str
    year: int
    data_label: str | None = None

    def context(self) -> dict[str, Any]:
        """The template fields (see docs/word-templates.md)."""
        return {"title": self.title, "subtitle": self.subtitle, "county": self.county, "year": self.year,
                "data_label": self.data_label or "", "letterhead": "", "signature": ""}


def county_suffix(county: str) -> str:
    """``区`` / ``市`` / ``县``: how a county calls itself (我区, 我县).

    >>> county_suffix("万盛经开区"), county_suffix("河口市"), county_suffix("平顺县"), county_suffix("某旗")
    ('区', '市', '县', '县')
    """
    for s in ("区", "市", "县"):
        if county.endswith(s):
            return s
    return "县"


def status_text(status: Any) -> str:
    """The Chinese label of a status (达标, 未达标, 数据缺失, 综合评估认定达标, 整改后达标 …)."""
    if status is None or (isinstance(status, float) and np.isnan(status)):
        return value_label("final_status", "missing")
    return str(value_label("final_status", str(status)))


def conclusion(computed: Any, final: Any = None, note: Any = None) -> str:
    """The 自评结论 line: the judgement when there is one, the computed result beside it when they differ.

    >>> conclusion("met")
    '自评结论：达标。'
    >>> conclusion("not_met", "met_after_rectification", "2025年秋季学期招聘体育教师2人")
    '自评结论：整改后达标（评估认定）；计算结果：未达标。认定说明：2025年秋季学期招聘体育教师2人。'
    """
    c = status_text(computed)
    if final is None or (isinstance(final, float) and np.isnan(final)) or str(final) == str(computed):
        return f"自评结论：{c}。"
    text = f"自评结论：{status_text(final)}（评估认定）；计算结果：{c}。"
    if isinstance(note, str) and note.strip():
        text += f"认定说明：{note.strip().rstrip('。')}。"
    return text


def _missing_sentence(indicator: str) -> str:
    """What is missing for ``indicator`` and the table kinds that supply it.

    >>> _missing_sentence("G8")
    '缺少评估该指标所需的数据（需要县级保障表），无法评估该指标。'
    """
    labels = kind_labels()
    needed = "和".join("或".join(f"{labels.get(k, k)}表" for k in group) for group in indicator_sources(indicator))
    return f"缺少评估该指标所需的数据（需要{needed}），无法评估该指标。"


def _n(value: Any) -> str:
    return fmt(value, "count")


# ---------------------------------------------------------------------------- 一、基本情况


def _compulsory(schools: pd.DataFrame) -> pd.DataFrame:
    p = pd.to_numeric(schools.get("students_primary"), errors="coerce").fillna(0)
    j = pd.to_numeric(schools.get("students_junior"), errors="coerce").fillna(0)
    return schools.loc[(p + j) > 0]


def basic_info(schools: pd.DataFrame | None, sections: pd.DataFrame | None, std: Any, me: str) -> list[str]:
    """The paragraphs of 一、基本情况: schools by type, students, teachers."""
    if schools is None or not len(schools):
        return ["缺少学校基本情况（学校基本情况表），无法统计学校数和在校生数。"]
    sch = _compulsory(schools)
    types = sch["school_type"].astype("object")
    p = pd.to_numeric(sch["students_primary"], errors="coerce").fillna(0)
    j = pd.to_numeric(sch["students_junior"], errors="coerce").fillna(0)
    units = int(school_units(sch, std).sum())
    min_tp = int(load_rules()["teaching_point_min_students"])
    parts = []
    named = {"primary": "单办小学", "junior": "单办初中"}
    for code in ("primary", "junior"):
        n = int((types == code).sum())
        if n:
            parts.append(f"{named[code]}{_n(n)}所")
    for code in ("nine_year", "twelve_year", "complete_secondary"):
        mask = types == code
        if mask.any():
            n_p, n_j = int((mask & (p > 0)).sum()), int((mask & (j > 0)).sum())
            secs = "、".join(f"{name}{_n(k)}所" for name, k in (("初中部", n_j), ("小学部", n_p)) if k)
            parts.append(f"{value_label('school_type', code)}{_n(int(mask.sum()))}所（含{secs}）")
    other = sorted(set(types) - {"primary", "junior", "nine_year", "twelve_year", "complete_secondary",
                                 "special", "teaching_point"})
    for code in other:
        parts.append(f"{value_label('school_type', code)}{_n(int((types == code).sum()))}所")
    n_sp = int((types == "special").sum())
    if n_sp:
        parts.append(f"特殊教育学校{_n(n_sp)}所")
    tp = types == "teaching_point"
    if tp.any():
        small = int((tp & ((p + j) < min_tp)).sum())
        parts.append(f"小学教学点{_n(int(tp.sum()))}个（含{_n(small)}个{min_tp}人以下教学点）")
    text1 = f"全{me}纳入接受义务教育优质均衡发展督导评估的学校（含校点）{_n(units)}所，其中，" + "，".join(parts) + "。"
    total = p.sum() + j.sum()
    if "migrant_students" in sch and sch["migrant_students"].notna().any():
        migrant = f"（含随迁子女{_n(pd.to_numeric(sch['migrant_students'], errors='coerce').sum())}人）"
    else:
        migrant = "（随迁子女数不在数据中，需要学校基本情况表的随迁子女数）"
    sp = types == "special"
    special = f"（含特殊教育学校学生{_n(p[sp].sum() + j[sp].sum())}人）" if sp.any() else ""
    text2 = (f"义务教育阶段在校学生{_n(total)}人{migrant}，其中小学生{_n(p.sum())}人、初中生{_n(j.sum())}人"
             f"{special}。")
    if sections is None or not len(sections) or "teachers" not in sections:
        text3 = "缺少专任教师数（专任教师表或分校教师汇总表），无法统计专任教师、骨干教师和体艺专任教师。"
    else:
        sec = sections.loc[sections["school_id"].astype("object").isin(set(sch["school_id"].astype("object")))]
        sec = sec.loc[sec["section"].astype("object").isin(["primary", "junior"])]
        by = pd.to_numeric(sec["teachers"], errors="coerce").groupby(sec["section"].astype("object")).sum()
        t_all = by.sum()
        text3 = (f"义务教育阶段中小学专任教师{_n(t_all)}人（小学{_n(by.get('primary', 0))}人、"
                 f"初中{_n(by.get('junior', 0))}人）")
        extra = []
        for col, label in (("backbone_teachers", "县级及以上骨干教师"), ("pe_art_teachers", "体艺专任教师")):
            if col in sec and sec[col].notna().any():
                extra.append(f"{label}{_n(pd.to_numeric(sec[col], errors='coerce').sum())}人")
            else:
                extra.append(f"{label}数不在数据中（需要专任教师表）")
        text3 += "，" + "，".join(extra) + "。"
    return [text1, text2 + text3]


# ---------------------------------------------------------------------------- 二、（一）资源配置


def _unit_word(unit: str) -> str:
    return str(unit).split("/")[0].replace("m²", "平方米")


def standard_line(key: str, std: Any) -> str:
    info = indicator_info(key)
    vals = std.get("resource.standards")[key]
    kind = kind_of_unit(info["unit"])
    word = _unit_word(info["unit"])
    p, j = vals.get("primary"), vals.get("junior")
    if p == j:
        return f"标准：小学、初中均达到{fmt(p, kind)}{word}以上。"
    return f"标准：小学达到{fmt(p, kind)}{word}以上、初中达到{fmt(j, kind)}{word}以上。"


def _unit_kind(school_type: str, section: str) -> tuple[str, str]:
    """How a failing unit is counted in words: (名称, 量词)."""
    if school_type == "teaching_point":
        return "小学教学点", "个"
    if school_type in ("primary", "junior"):
        return value_label("section", section), "所"
    return f"{value_label('school_type', school_type)}{value_label('section', section)}部", "个"


def _counted_by_kind(rows: pd.DataFrame) -> str:
    if not len(rows):
        return ""
    g = rows.groupby([rows["school_type"].astype("object"), rows["section"].astype("object")], sort=False).size()
    order = {"primary": 0, "junior": 1, "nine_year": 2, "twelve_year": 3, "complete_secondary": 4, "teaching_point": 5}
    items = sorted(g.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1]))
    out = []
    for (stype, section), n in items:
        name, q = _unit_kind(stype, section)
        out.append(f"{name}{_n(n)}{q}")
    return "、".join(out)


def _exclusions(ev: Any) -> str:
    """``特殊教育学校1所、50人以下教学点2个``: the schools left out of L1-L7."""
    rs = ev.resource_schools
    out = rs.loc[~rs["is_counted"].astype(bool)]
    if not len(out):
        return ""
    min_tp = int(load_rules()["teaching_point_min_students"])
    per_school = out.drop_duplicates("school_id")
    parts = []
    for stype, n in per_school["school_type"].astype("object").value_counts(sort=False).items():
        if stype == "special":
            parts.append(f"特殊教育学校{_n(n)}所")
        elif stype == "teaching_point":
            parts.append(f"{min_tp}人以下教学点{_n(n)}个")
        else:
            parts.append(f"{value_label('school_type', stype)}{_n(n)}所")
    return "、".join(parts)


def _cv_sentence(ev: Any, key: str) -> tuple[str, list[Any], list[Any]]:
    cv = ev.cv.loc[ev.cv["indicator"].astype("object") == key]
    items, computed, final = [], [], []
    for section in ("primary", "junior"):
        r = cv.loc[cv["section"].astype("object") == section]
        if not len(r) or pd.isna(r["cv"].iloc[0]):
            continue
        r = r.iloc[0]
        ok = r["is_met"]
        verdict = "未超过上限" if ok is True or ok == True else "超过上限"  # noqa: E712 - numpy / pandas bools
        items.append((value_label("section", section),
                      f"{fmt(r['cv'], column_kind('cv'))}（上限{fmt(r['threshold'], column_kind('threshold'))}，{verdict}）"))
        computed.append(bool(ok))
        final.append(r.get("is_met_final", ok))
    if not items:
        return "缺少计算差异系数所需的学校数据，无法计算区域内校际差异系数。", computed, final
    names = "、".join(n for n, _ in items)
    values = "、".join(v for _, v in items)
    return f"区域内校际差异系数{names}{'分别为' if len(items) > 1 else '为'}：{values}。", computed, final


def _judgement_note(ev: Any, key: str) -> str:
    j = ev.judgements
    if j is None or not len(j):
        return ""
    rows = j.loc[j["indicator"].astype("object") == key]
    notes = [str(x) for x in rows.get("judgement_reason", pd.Series(dtype=object)).dropna().unique() if str(x).strip()]
    return "；".join(notes)


def resource_indicator(ev: Any, key: str, std: Any) -> list[Block]:
    """指标一…七 of （一）资源配置: standard, pass count with exclusions, failing units, CVs, 自评结论."""
    name = indicator_label(key)
    out = [heading(f"指标{CHINESE_NUMBERS[int(key[1:]) - 1]}：{name}。", 3), paragraph(standard_line(key, std))]
    pc = ev.pass_counts
    row = pc.loc[(pc["indicator"].astype("object") == key) & (pc["level"] == "all")]
    if not len(row):
        out.append(paragraph(_missing_sentence(key)))
        out.append(paragraph(conclusion("missing")))
        return out
    r = row.iloc[0]
    sentence = pass_sentence(r["n_units_met"], r["n_units"], r["n_units_not_met"], r["n_units_missing"],
                             r["unit_scope"], r["n_units_met_final"])
    text = f"“{name}”{sentence}。"
    excl = _exclusions(ev)
    if excl:
        text += f"未计入：{excl}。"
    rv = ev.resource_values
    mine = rv.loc[(rv["indicator"].astype("object") == key) & rv["is_counted"].astype(bool)]
    rs = ev.resource_schools[["school_id", "section", "school_type"]].drop_duplicates(["school_id", "section"])
    mine = mine.merge(rs, on=["school_id", "section"], how="left", suffixes=("", "_s"))
    met = mine["is_met"].astype("boolean")
    failing = mine.loc[met.fillna(True) == False]  # noqa: E712
    if len(failing):
        text += f"不达标{_counted_by_kind(failing)}。"
    cv_text, cv_ok, cv_final = _cv_sentence(ev, key)
    out.append(paragraph(text + cv_text))
    rules = mine["rule_applied"].dropna().astype(str) if "rule_applied" in mine else pd.Series(dtype=str)
    if len(rules):
        out.append(paragraph(f"按2024年规程核定{_n(len(rules))}个学校（学段）：{rules.iloc[0]}。"))
    # computed: every counted unit meets it and no CV is over its limit
    if r["n_units_not_met"] > 0 or not all(cv_ok):
        computed = "not_met"
    elif r["n_units_missing"] > 0 or not cv_ok:
        computed = "missing"
    else:
        computed = "met"
    final_ok = r["n_units_met_final"] == r["n_units"] and all(bool(x) for x in cv_final) and cv_final
    judged = [s for s in mine.get("judged_status", pd.Series(dtype=object)).dropna().astype(str)]
    final = None
    if computed != "met" and final_ok:
        final = next((s for s in _JUDGED_ORDER if s in judged), "met")
    out.append(paragraph(conclusion(computed, final, _judgement_note(ev, key))))
    return out


def resource_criteria(ev: Any, std: Any) -> str:
    rule = std.get("resource.school_rule")
    n_min = int(rule["min_indicators_met"])
    ratio = fmt(100 * float(rule["min_ratio_others"]), "share")
    text = ("评估标准。一是按照《教育部关于印发〈县域义务教育优质均衡发展督导评估办法〉的通知》（教督〔2017〕6号）要求，"
            "对县域义务教育资源配置情况主要通过每百名学生拥有高于规定学历教师数、每百名学生拥有县级及以上骨干教师数、"
            "每百名学生拥有体育、艺术（美术、音乐）专任教师数、生均教学及辅助用房面积、生均体育运动场馆面积、"
            "生均教学仪器设备值、每百名学生拥有网络多媒体教室数等7项指标进行评价，"
            f"要求每所学校至少{_n(n_min)}项指标达标、余项不低于标准值的{ratio}；"
            f"校际差异系数小学不高于{fmt(std.get('resource.cv_max')['primary'], column_kind('threshold'))}、"
            f"初中不高于{fmt(std.get('resource.cv_max')['junior'], column_kind('threshold'))}。")
    n = 1
    if std.get("procedure.l5_central_city_space")["enabled"]:
        n += 1
        text += (f"{CHINESE_NUMBERS[n - 1]}是按照《教育部办公厅关于印发〈县域义务教育优质均衡发展国家督导评估认定工作规程〉的通知》"
                 "（教督厅函〔2024〕10号）要求，对于中心城区学校，体育运动场馆面积计入经改造或改建后专用的校园内部活动空间，"
                 "以及由当地政府或教育部门签订租赁合同、保障学校上课时间专用的校园周边体育场馆活动空间。")
    if ev.judgements is not None and len(ev.judgements):
        n += 1
        text += (f"{CHINESE_NUMBERS[n - 1]}是按照同一规程，对因学龄人口峰谷变化、新型城镇化进程等客观因素造成阶段性变化的"
                 "与学生数量相关的指标，依据评估认定记录进行综合评估认定。")
    return text


# ---------------------------------------------------------------------------- （二）（三）（四）（五）


def _school_count_sentence(ev: Any, key: str) -> str | None:
    """The pass count of a per-school indicator (schools meeting G9, Q4 …), as the one sentence."""
    pc = ev.pass_counts
    row = pc.loc[(pc["indicator"].astype("object") == key) & (pc["level"] == "all")]
    if not len(row):
        return None
    r = row.iloc[0]
    return pass_sentence(r["n_units_met"], r["n_units"], r["n_units_not_met"], r["n_units_missing"],
                         r["unit_scope"], r["n_units_met_final"])


def county_indicator(row: pd.Series, n: int, ev: Any = None) -> list[Block]:
    key = str(row["indicator"])
    out = [heading(f"指标{CHINESE_NUMBERS[n]}：{indicator_label(key)}。", 3)]
    status = row.get("status")
    detail = row.get("detail")
    counted = _school_count_sentence(ev, key) if ev is not None else None
    if status == "missing" or pd.isna(status):
        out.append(paragraph((f"学校（学段）{counted}。" if counted else "") + _missing_sentence(key)))
    elif isinstance(detail, str) and detail.strip():
        text = detail.strip().rstrip("。") + "。"
        if counted and counted not in text:
            text = f"学校（学段）{counted}。" + text
        out.append(paragraph(text))
    out.append(paragraph(conclusion(status, row.get("final_status"), row.get("judgement_detail"))))
    return out


def _part_rows(ev: Any, part: str) -> pd.DataFrame:
    ci = ev.county_indicators
    return ci.loc[ci["part"].astype("object") == part]


def recognition(ev: Any, me: str) -> list[Block]:
    rows = _part_rows(ev, "recognition")
    if not len(rows) or rows.iloc[0]["status"] == "missing":
        return [paragraph("缺少社会认可度问卷（社会认可度问卷表），无法计算社会认可度。")]
    r = rows.iloc[0]
    ok = r["status"] == "met"
    text = (str(r["detail"]).rstrip("。") + f"，{'达到' if ok else '未达到'}社会认可度{fmt(r['standard'], 'unit', r['unit'])}的要求。")
    return [paragraph(text), paragraph(conclusion(r["status"], r.get("final_status"), r.get("judgement_detail")))]


def _veto_phrase(name: str) -> str:
    """``存在以考试方式招生`` -> ``不存在以考试方式招生``; ``有弄虚作假行为`` -> ``没有弄虚作假行为``.

    >>> _veto_phrase("教育系统存在重大安全责任事故"), _veto_phrase("有弄虚作假行为")
    ('教育系统不存在重大安全责任事故', '没有弄虚作假行为')
    """
    if "存在" in name:
        return name.replace("存在", "不存在", 1)
    if name.startswith("有"):
        return "没" + name
    return "不" + name


def veto(ev: Any, me: str) -> list[Block]:
    rows = _part_rows(ev, "veto")
    if not len(rows):
        return [paragraph("缺少县级认定事项（县级保障表），无法判断一票否决事项。")]
    status = rows["final_status"].where(rows["final_status"].notna(), rows["status"]).astype("object")
    clear = rows.loc[status == "met"]
    bad = rows.loc[status == "not_met"]
    unknown = rows.loc[~status.isin(["met", "not_met"])]
    out = []
    if len(clear):
        out.append(paragraph(f"我{me}" + "，".join(_veto_phrase(indicator_label(k)) for k in clear["indicator"]) + "。"))
    for _, r in bad.iterrows():
        det = str(r["detail"]).strip() if isinstance(r["detail"], str) else ""
        out.append(paragraph(f"经核查，我{me}{indicator_label(r['indicator'])}" + (f"（{det}）" if det else "")
                             + "，属一票否决事项。"))
    if len(unknown):
        names = "、".join(indicator_label(k, short=True) for k in unknown["indicator"])
        out.append(paragraph(f"缺少县级认定事项（县级保障表），无法判断以下一票否决事项：{names}。"))
    return out


# ---------------------------------------------------------------------------- 附表


def appendix_schools(ev: Any) -> Any:
    rv = ev.resource_values
    rv = rv.loc[rv["is_counted"].astype(bool)]
    rs = ev.resource_schools.loc[ev.resource_schools["is_counted"].astype(bool)]
    if not len(rs):
        return None
    wide = rv.pivot_table(index=["school_id", "section"], columns="indicator", values="value", aggfunc="first",
                          observed=True)
    keys = [k for k in keys_of_part("resource") if k in wide.columns]
    base = rs[["school_id", "school_name", "section", "students", "n_met", "is_passing"]].copy()
    base["school_id"] = base["school_id"].astype("object")
    base["section"] = base["section"].astype("object")
    wide = wide.reset_index()
    wide["school_id"] = wide["school_id"].astype("object")
    wide["section"] = wide["section"].astype("object")
    df = base.merge(wide[["school_id", "section", *keys]], on=["school_id", "section"], how="left")
    df = df[["school_name", "section", "students", *keys, "n_met", "is_passing"]]
    headers = {k: f"{k}（{indicator_info(k)['unit']}）" for k in keys}
    headers.update({"n_met": "达标项数", "is_passing": "是否达标"})
    kinds = {k: kind_of_unit(indicator_info(k)["unit"]) for k in keys}
    return table(df, columns=headers, kinds=kinds)


def appendix_cv(ev: Any) -> Any:
    cv = ev.cv
    if not len(cv):
        return None
    df = cv[["indicator", "section", "n_schools", "mean", "sd", "cv", "threshold", "is_met"]].copy()
    df["indicator"] = [f"{k} {indicator_label(k, short=True)}" for k in df["indicator"].astype("object")]
    df["unit"] = [indicator_info(k)["unit"] for k in cv["indicator"].astype("object")]
    t = table(df.drop(columns="unit"), columns={"indicator": "指标", "mean": "平均值", "sd": "标准差",
                                                 "cv": "差异系数", "threshold": "上限", "is_met": "是否达标"},
              kinds={"mean": "number", "sd": "number"})
    return t


def appendix_county(ev: Any) -> Any:
    ci = ev.county_indicators
    ci = ci.loc[ci["part"].astype("object").isin(["guarantee", "quality", "recognition"])]
    if not len(ci):
        return None
    df = pd.DataFrame({
        "indicator": ci["indicator"].astype("object").to_numpy(),
        "name": [indicator_label(k, short=True) for k in ci["indicator"].astype("object")],
        "value": ci["value"].to_numpy(), "standard": ci["standard"].to_numpy(), "unit": ci["unit"].to_numpy(),
        "status": [status_text(s) for s in ci["status"]],
        "final_status": [status_text(f) if isinstance(f, str) and f != s else "" for f, s in
                         zip(ci["final_status"], ci["status"], strict=True)],
    })
    return table(df, columns={"indicator": "指标", "name": "指标名称", "value": "指标值", "standard": "标准",
                              "unit": "单位", "status": "计算结果", "final_status": "评估认定"},
                 kinds={"status": "text", "final_status": "text", "name": "text"})


# ---------------------------------------------------------------------------- the document


def title_of(county: str) -> str:
    return f"{county}创建全国义务教育优质均衡发展{county_suffix(county)}自查自评报告"


def subtitle_of(year: int, data_label: str | None, std: Any) -> str:
    text = f"（{year}年数据；评估标准：{std.label}）"
    if data_label:
        text += f"\n本报告依据{data_label}生成，数据为合成示例，不是真实统计"
    return text


def selfeval_blocks(ev: Any, county: str, year: int, *, schools: pd.DataFrame | None = None,
                    sections: pd.DataFrame | None = None, data_label: str | None = None) -> Document:
    """The self-evaluation of ``county`` in ``year`` as document blocks."""
    std = ev.standards.for_year(int(year)) if hasattr(ev.standards, "for_year") else ev.standards
    me = county_suffix(county)
    label = data_label if data_label is not None else ev.data_label
    if label is None and schools is not None and len(schools):
        label = SYNTHETIC_LABEL if data_source(schools)[1] else None
    b: list[Block] = [paragraph(f"依据义务教育优质均衡发展创建要求，我{me}对照评估标准开展自查自评，"
                                f"现将{year}年度义务教育优质均衡发展自查自评情况报告如下：")]
    b.append(heading("一、基本情况", 1))
    b += [paragraph(t) for t in basic_info(schools, sections, std, me)]
    b.append(heading("二、指标完成情况", 1))
    b.append(paragraph("按照教育部印发的《县域义务教育优质均衡发展督导评估办法》和国务院教督委办公室印发的"
                       "《县域义务教育优质均衡发展国家督导评估认定工作规程》，督导评估认定包括“资源配置、政府保障程度、"
                       "教育质量、社会认可度、一票否决”五个方面内容，根据评估指标要求，各项指标评估情况如下。"))
    b.append(heading("（一）资源配置情况", 2))
    b.append(paragraph("1." + resource_criteria(ev, std)))
    b.append(paragraph("2.达标情况。"))
    for key in keys_of_part("resource"):
        b += resource_indicator(ev, key, std)
    for part, title, crit in (
        ("guarantee", "（二）政府保障情况", "1.评估标准。按照《教育部关于印发〈县域义务教育优质均衡发展督导评估办法〉的通知》"
         "（教督〔2017〕6号）要求，对政府保障义务教育优质均衡发展程度主要通过15项指标达标情况进行评估。"),
        ("quality", "（三）教育质量情况", "1.评估标准。根据教育部文件要求，义务教育质量情况主要通过义务教育普及程度、"
         "学校管理水平、学生学业质量、综合素质发展水平等方面的9项指标进行评价。"),
    ):
        b.append(heading(title, 2))
        b.append(paragraph(crit))
        b.append(paragraph("2.达标情况。"))
        rows = _part_rows(ev, part).set_index(_part_rows(ev, part)["indicator"].astype("object"))
        for n, key in enumerate(keys_of_part(part)):
            if key in rows.index:
                b += county_indicator(rows.loc[key], n, ev)
            else:
                b += [heading(f"指标{CHINESE_NUMBERS[n]}：{indicator_label(key)}。", 3),
                      paragraph(_missing_sentence(key)), paragraph(conclusion("missing"))]
    b.append(heading("（四）社会认可度调查情况", 2))
    b += recognition(ev, me)
    b.append(heading("（五）“一票否决”指标情况", 2))
    b += veto(ev, me)
    b.append(landscape())
    b.append(heading("三、附表", 1))
    for title, t in (("附表1 学校（学段）资源配置指标", appendix_schools(ev)),
                     ("附表2 资源配置指标校际差异系数", appendix_cv(ev)),
                     ("附表3 政府保障程度、教育质量和社会认可度指标", appendix_county(ev))):
        b.append(heading(title, 2))
        if t is None:
            b.append(paragraph("缺少学校基本情况（学校基本情况表），无法列出本表。"))
            continue
        if title.startswith("附表1"):
            b.append(paragraph("；".join(f"{k}：{indicator_label(k)}" for k in keys_of_part("resource")) + "。"))
        b.append(report_table_block(t))
    if label:
        b.append(paragraph(f"注：本报告中的数据为{label}，仅用于演示工作流程，不代表任何县（区）的真实情况。"))
    return Document(title_of(county), subtitle_of(year, label, std), b, county, int(year), label)


def county_frames(processed_dir: str | os.PathLike, county: str, year: int) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The county's core_schools and core_school_sections rows of ``year`` (None when a table is missing)."""
    # deferred: looked up at call time so that a runtime patch takes effect
    from analysis.tables import MissingTableError, read_table

    out = []
    for name in ("core_schools", "core_school_sections"):
        try:
            out.append(read_table(name, processed_dir, filters=[("county", "==", county), ("year", "==", int(year))]))
        except MissingTableError:
            out.append(None)
    return out[0], out[1]


def write_selfeval(ev: Any, county: str, year: int, out: str | os.PathLike, *, schools: pd.DataFrame | None = None,
                   sections: pd.DataFrame | None = None, template: str | os.PathLike | None = None) -> Path:
    """Write the 自查自评报告 of ``county`` to ``out`` (.docx); returns the path."""
    doc = selfeval_blocks(ev, county, year, schools=schools, sections=sections)
    return render(doc.blocks, doc.context(), template_path("selfeval", template), out)
