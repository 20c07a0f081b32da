"""The 创建工作实施方案 / 整改方案 as a Word document, shaped like 平顺 2023 (seeds/004).

From the rectification plan (:func:`analysis.plan.actions.build_plan`, with the analyst's
edits): 一、目标任务 (what fails and what the plan costs), 二、具体措施 (per failing
indicator: the target, the measures with quantities and reference cost, 完成时间, 责任单位),
三、实施步骤 (per completion year), and the 任务完成时间安排表 and the unit costs with their
sources as tables. Figures print through :mod:`analysis.presentation.kinds`.

Examples
--------
>>> import pandas as pd
>>> plan = pd.DataFrame({"year": [2024], "county": ["甲县"], "part": ["resource"], "indicator": ["L5"],
...     "action_school_name": ["一小"], "action_section": ["primary"], "action": ["build_sports_ground"],
...     "hire_group": [None], "quantity_unit": ["m2"], "required_quantity": [300.0], "quantity": [300.0],
...     "unit_cost_yuan": [200.0], "cost_10k_yuan": [6.0], "target_year": pd.array([2026], dtype="Int64"),
...     "offices": ["县教育局"], "is_edited": [False], "plan_note": [None], "detail": ["缺300平方米"]})
>>> doc = plan_blocks(plan, "甲县", 2024)
>>> [b.text for b in doc.blocks if b.kind == "heading" and b.level == 1]
['一、目标任务', '二、具体措施', '三、实施步骤', '四、附表']
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.dictionary import value_label
from analysis.documents.selfeval import CHINESE_NUMBERS, Document, standard_line
from analysis.documents.word import (
    caption,
    heading,
    paragraph,
    render,
    report_table_block,
    template_path,
)
from analysis.indicators import indicator_label, indicators
from analysis.plan.costs import reference_label
from analysis.plan.report import cost_sources
from analysis.presentation.kinds import fmt, kind_of_unit
from analysis.presentation.report_table import table
from analysis.standards import as_standards

__all__ = ["plan_blocks", "write_plan_docx"]


def _cost(s: pd.Series) -> float:
    return float(pd.to_numeric(s, errors="coerce").sum())


def _years(s: pd.Series) -> str:
    y = pd.to_numeric(s, errors="coerce").dropna().astype(int)
    if not len(y):
        return "未定"
    lo, hi = int(y.min()), int(y.max())
    return f"{fmt(lo, 'year')}年" if lo == hi else f"{fmt(lo, 'year')}—{fmt(hi, 'year')}年"


def _offices(s: pd.Series) -> str:
    seen: list[str] = []
    for v in s.dropna().astype(str):
        for o in v.replace("，", "、").split("、"):
            o = o.strip()
            if o and o not in seen:
                seen.append(o)
    return "、".join(seen) or "未定"


def _target(key: str, std: Any) -> str:
    if indicators()[key]["part"] == "resource":
        return "目标：" + standard_line(key, std).removeprefix("标准：")
    return f"目标：{indicator_label(key)}。"


def _measures_table(rows: pd.DataFrame) -> Any:
    df = pd.DataFrame({
        "action_school_name": rows["action_school_name"].to_numpy(),
        "action_section": rows["action_section"].to_numpy(),
        "action": rows["action"].to_numpy(),
        "quantity": rows["quantity"].to_numpy(),
        "quantity_unit": rows["quantity_unit"].to_numpy(),
        "cost_10k_yuan": rows["cost_10k_yuan"].to_numpy(),
        "target_year": rows["target_year"].to_numpy(),
        "offices": rows["offices"].to_numpy(),
        "detail": [d if not isinstance(n, str) or not n.strip() else f"{d}；调整说明：{n}"
                   for d, n in zip(rows["detail"], rows.get("plan_note", pd.Series([None] * len(rows))), strict=True)],
    })
    return table(df, columns={"action_school_name": "学校", "action_section": "学段", "action": "措施",
                              "quantity": "数量", "quantity_unit": "单位", "detail": "说明"})


def plan_blocks(plan: pd.DataFrame, county: str, year: int, *, standards: Any = None,
                data_label: str | None = None) -> Document:
    """The implementation plan of ``county`` from its rectification plan, as document blocks."""
    std = as_standards(standards)
    std = std.for_year(int(year)) if hasattr(std, "for_year") else std

    ref = reference_label()
    rank = {k: i for i, k in enumerate(indicators())}
    keys = sorted(set(plan["indicator"].astype("object")), key=lambda k: rank.get(k, 99)) if len(plan) else []
    b = [paragraph(f"为推进{county}义务教育优质均衡发展，对照《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号）"
                   f"评估标准，依据{year}年数据逐校逐项测算未达标事项，制定本实施方案。")]
    b.append(heading("一、目标任务", 1))
    if not len(plan):
        b.append(paragraph(f"{county}依据{year}年数据无未达标事项，无需整改；各项指标逐年保持。"))
        return Document(_title(county), _subtitle(year, data_label), b, county, int(year), data_label)
    names = "、".join(f"{k} {indicator_label(k, short=True)}" for k in keys)
    n_edit = int(plan["is_edited"].astype(bool).sum()) if "is_edited" in plan else 0
    text = (f"{county}依据{year}年数据共有{fmt(len(plan), 'count')}项整改事项，涉及{fmt(len(keys), 'count')}项指标（{names}），"
            f"计划于{_years(plan['target_year'])}完成，计划费用合计{fmt(_cost(plan['cost_10k_yuan']), 'wan')}万元（{ref}）。")
    if n_edit:
        text += f"其中{fmt(n_edit, 'count')}项已按分析人员的调整表修改数量、完成时间或责任单位。"
    b.append(paragraph(text))
    b.append(heading("二、具体措施", 1))
    for n, key in enumerate(keys):
        rows = plan.loc[plan["indicator"].astype("object") == key]
        b.append(heading(f"（{CHINESE_NUMBERS[n]}）{indicator_label(key)}", 2))
        b.append(paragraph(_target(key, std)))
        by_action = rows.groupby(rows["action"].astype("object"), sort=False)
        items = []
        for action, g in by_action:
            unit = value_label("quantity_unit", g["quantity_unit"].iloc[0]) if g["quantity_unit"].notna().any() else ""
            items.append(f"{value_label('action', action)}{fmt(_cost_qty(g), kind_of_unit(unit))}"
                         f"{unit}（{fmt(len(g), 'count')}所学校（学段））")
        b.append(paragraph(f"措施：{'；'.join(items)}。计划费用{fmt(_cost(rows['cost_10k_yuan']), 'wan')}万元（{ref}）；"
                           f"完成时间：{_years(rows['target_year'])}；责任单位：{_offices(rows['offices'])}。"))
        b.append(report_table_block(_measures_table(rows)))
    b.append(heading("三、实施步骤", 1))
    years = sorted(int(y) for y in pd.to_numeric(plan["target_year"], errors="coerce").dropna().unique())
    for n, y in enumerate(years):
        rows = plan.loc[pd.to_numeric(plan["target_year"], errors="coerce") == y]
        ks = sorted(set(rows["indicator"].astype("object")), key=lambda k: rank.get(k, 99))
        b.append(heading(f"（{CHINESE_NUMBERS[min(n, len(CHINESE_NUMBERS) - 1)]}）{fmt(y, 'year')}年", 2))
        b.append(paragraph(f"完成整改事项{fmt(len(rows), 'count')}项（" + "、".join(indicator_label(k, short=True) for k in ks)
                           + f"），计划费用{fmt(_cost(rows['cost_10k_yuan']), 'wan')}万元（{ref}）；责任单位：{_offices(rows['offices'])}。"))
    undated = plan.loc[pd.to_numeric(plan["target_year"], errors="coerce").isna()]
    if len(undated):
        b.append(paragraph(f"另有{fmt(len(undated), 'count')}项整改事项未定完成时间，请在整改方案调整表中填写。"))
    b.append(heading("四、附表", 1))
    sched = pd.DataFrame({
        "indicator": [f"{k} {indicator_label(k, short=True)}" for k in keys],
        "target": [_target(k, std).removeprefix("目标：") for k in keys],
        "offices": [_offices(plan.loc[plan["indicator"] == k, "offices"]) for k in keys],
        "when": [_years(plan.loc[plan["indicator"] == k, "target_year"]) for k in keys],
        "cost_10k_yuan": [_cost(plan.loc[plan["indicator"] == k, "cost_10k_yuan"]) for k in keys],
    })
    b.append(caption("附表1 任务完成时间安排表"))
    b.append(report_table_block(table(sched, columns={"indicator": "指标", "target": "目标", "offices": "责任单位",
                                                      "when": "完成时间"}, kinds={"when": "text", "target": "text"})))

    cs = cost_sources()
    b.append(caption(f"附表2 整改措施单价（{ref}）及依据"))
    b.append(report_table_block(table(cs, kinds={"参考单价（元）": "yuan"})))
    if data_label:
        b.append(paragraph(f"注：本方案中的数据为{data_label}，仅用于演示工作流程，不代表任何县（区）的真实情况。"))
    return Document(_title(county), _subtitle(year, data_label), b, county, int(year), data_label)


def _cost_qty(g: pd.DataFrame) -> float:
    return float(pd.to_numeric(g["quantity"], errors="coerce").sum())


def _title(county: str) -> str:
    return f"{county}义务教育优质均衡发展创建工作实施方案（整改方案）"


def _subtitle(year: int, data_label: str | None) -> str:
    text = f"（依据{year}年数据）"
    if data_label:
        text += f"\n本方案依据{data_label}生成，数据为合成示例，不是真实统计"
    return text


def write_plan_docx(plan: pd.DataFrame, county: str, year: int, out: str | os.PathLike, *, standards: Any = None,
                    data_label: str | None = None, template: str | os.PathLike | None = None) -> Path:
    """Write the implementation plan of ``county`` to ``out`` (.docx); returns the path."""
    doc = plan_blocks(plan, county, year, standards=standards, data_label=data_label)
    return render(doc.blocks, doc.context(), template_path("plan", template), out)
