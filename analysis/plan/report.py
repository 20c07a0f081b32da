"""Summaries, export and charts of the rectification plan.

Examples
--------
>>> plan = pd.DataFrame({"indicator": ["L5", "L5", "G5"], "action": ["build_sports_ground"] * 2 + ["add_classrooms"],
...     "required_quantity": [450.0, 100.0, 2.0], "quantity": [300.0, 100.0, 2.0],
...     "unit_cost_yuan": [200.0, 200.0, 245000.0], "cost_10k_yuan": [6.0, 2.0, 49.0],
...     "target_year": pd.array([2027, 2029, 2025], dtype="Int64"), "is_edited": [True, False, False]})
>>> plan_summary(plan)[["指标", "整改事项数", "需要费用（万元）", "计划费用（万元）"]].values.tolist()
[['L5', 2, 11.0, 8.0], ['G5', 1, 49.0, 49.0], ['合计', 3, 60.0, 57.0]]
>>> cost_by_year(plan)["计划费用（万元）"].tolist()
[49.0, 6.0, 2.0]
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from analysis.dictionary import value_label
from analysis.indicators.common import indicator_label, indicators
from analysis.indicators.export import display_frame, write_sheet
from analysis.plan.actions import build_plan, load_edits
from analysis.plan.costs import action_specs, offices_source, reference_label
from analysis.plan.optimise import OptimResult, caps_frame
from analysis.plan.optimise import optimise as run_optimiser

# through the evaluation cache, as the county report's evaluation: in a publish kernel the
# plan gets a copy of it instead of evaluating again
from analysis.presentation.cache import evaluate, load_inputs
from analysis.standards import as_standards

PLAN_SHEET = "整改方案"
EDITABLE = ("quantity", "max_quantity", "target_year", "offices", "plan_note")


def _required_cost(plan: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(plan["required_quantity"], errors="coerce") * pd.to_numeric(plan["unit_cost_yuan"], errors="coerce") / 1e4


def plan_summary(plan: pd.DataFrame) -> pd.DataFrame:
    """Planned vs required per indicator (and a 合计 row): actions, cost in 万元 (参考值), edits."""
    if not len(plan):
        return pd.DataFrame(columns=["指标", "指标名称", "整改事项数", "已调整事项数", "需要费用（万元）", "计划费用（万元）", "差额（万元）"])
    f = plan.assign(_req=_required_cost(plan), _plan=pd.to_numeric(plan["cost_10k_yuan"], errors="coerce"),
                    _edited=plan["is_edited"].astype(bool) if "is_edited" in plan else False)
    rank = {k: i for i, k in enumerate(indicators())}
    g = f.groupby("indicator", sort=False).agg(n=("indicator", "size"), edited=("_edited", "sum"),
                                               req=("_req", lambda s: s.sum(min_count=1)),
                                               planned=("_plan", lambda s: s.sum(min_count=1))).reset_index()
    g = g.iloc[np.argsort([rank.get(k, 99) for k in g["indicator"]], kind="stable")]
    total = pd.DataFrame([{"indicator": "合计", "n": int(g["n"].sum()), "edited": int(g["edited"].sum()),
                           "req": g["req"].sum(min_count=1), "planned": g["planned"].sum(min_count=1)}])
    g = pd.concat([g, total], ignore_index=True)
    out = pd.DataFrame({
        "指标": g["indicator"],
        "指标名称": [indicator_label(k, short=True) if k in indicators() else "" for k in g["indicator"]],
        "整改事项数": g["n"].astype(int), "已调整事项数": g["edited"].astype(int),
        "需要费用（万元）": g["req"].round(2), "计划费用（万元）": g["planned"].round(2),
    })
    out["差额（万元）"] = (out["计划费用（万元）"] - out["需要费用（万元）"]).round(2)
    return out


def cost_by_year(plan: pd.DataFrame) -> pd.DataFrame:
    """Planned cost (万元, 参考值) per target year."""
    if not len(plan):
        return pd.DataFrame(columns=["完成时间", "整改事项数", "计划费用（万元）"])
    f = plan.assign(_c=pd.to_numeric(plan["cost_10k_yuan"], errors="coerce"))
    g = f.groupby("target_year", sort=True).agg(n=("_c", "size"), c=("_c", lambda s: s.sum(min_count=1))).reset_index()
    return pd.DataFrame({"完成时间": g["target_year"].astype("Int64"), "整改事项数": g["n"].astype(int),
                         "计划费用（万元）": g["c"].fillna(0.0).round(2)})


def cost_by_indicator(plan: pd.DataFrame) -> pd.Series:
    """Planned cost (万元) per indicator, labelled ``L5 生均体育运动场馆``, indicators without a cost left out."""
    s = plan_summary(plan)
    s = s.loc[(s["指标"] != "合计") & (s["计划费用（万元）"].fillna(0) > 0)]
    return pd.Series(s["计划费用（万元）"].to_numpy(), index=[f"{k} {n}" for k, n in zip(s["指标"], s["指标名称"], strict=True)],
                     name="计划费用（万元）")


def plan_table(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan for people: Chinese headers and labels (the 整改方案 sheet)."""
    return display_frame(plan.drop(columns=["part"], errors="ignore"))


def cost_sources() -> pd.DataFrame:
    """Every action's reference unit cost and its source."""
    rows = [(s.label, value_label("quantity_unit", s.unit) if s.unit else "", s.unit_cost_yuan, s.source)
            for s in action_specs().values()]
    return pd.DataFrame(rows, columns=["措施名称", "计量单位", "参考单价（元）", "单价依据"])


def optimal_table(result: OptimResult) -> pd.DataFrame:
    """The optimiser's actions for people (headers chosen so that the cleaner never reads them back as edits)."""
    a = result.actions
    return pd.DataFrame({
        "最优方案_学校": a["action_school_name"], "最优方案_学段": [value_label("section", s) for s in a["action_section"]],
        "最优方案_对应指标": a["indicator"], "最优方案_措施": [value_label("action", x) for x in a["action"]],
        "最优方案_教师类别": [value_label("hire_group", g) if isinstance(g, str) else "" for g in a["hire_group"]],
        "最优方案_数量": a["quantity"], "最优方案_单位": [value_label("quantity_unit", u) for u in a["quantity_unit"]],
        "最优方案_费用（万元，参考值）": a["cost_10k_yuan"].round(2),
    })


def plan_title(county: str, year: int, data_label: str | None = None) -> str:
    title = f"{county}义务教育优质均衡发展整改方案（依据{year}年数据）"
    return f"{title}【{data_label}】" if data_label else title


def export_plan(plan: pd.DataFrame, path: str | os.PathLike, county: str, year: int, *,
                result: OptimResult | None = None, data_label: str | None = None) -> list[Path]:
    """Write the plan: ``path`` holds the one editable sheet 整改方案 (计划数量, 可实施上限,
    完成时间, 责任单位, 整改措施说明 may be changed); ``<stem>_汇总.xlsx`` beside it holds 汇总
    (planned vs required), 最低费用方案 (when ``result``) and 单价依据.

    The edited ``path`` put under ``data/raw/`` is read back by ``python -m analysis clean`` as
    core_plan_edits, and the next ``plan`` keeps the edits. (The summary is a separate file
    because its sheets are not tables the cleaner reads.) Returns the files written.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"the plan is exported as .xlsx (the sheet is edited and read back); got {path.suffix!r}")
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
               "nan_inf_to_errors": True}
    path.parent.mkdir(parents=True, exist_ok=True)
    ref = reference_label()
    side = path.with_name(f"{path.stem}_汇总.xlsx")
    wb = xlsxwriter.Workbook(str(path), options)
    write_sheet(wb, PLAN_SHEET, plan_table(plan), [
        plan_title(county, year, data_label),
        f"费用为{ref}：单价及其依据见 {side.name}，请按本地预算替换。责任单位与完成时间默认取自{offices_source()}。",
        "可修改：计划数量、可实施上限、完成时间、责任单位、整改措施说明；修改后将本文件（仅此文件）放入 data/raw/ 下重新清洗"
        "（python -m analysis clean），再运行 python -m analysis plan 即保留修改。",
    ])
    wb.close()
    wb = xlsxwriter.Workbook(str(side), options)
    write_sheet(wb, "汇总", plan_summary(plan), [plan_title(county, year, data_label), f"计划与需要对比（万元，{ref}）"])
    if result is not None:
        lines = [f"{county}资源配置最低费用方案（混合整数规划，{ref}）", result.message]
        if len(result.blocking):
            lines.append("受阻：" + "；".join(str(x) for x in result.blocking["reason"].head(10)))
        write_sheet(wb, "最低费用方案", optimal_table(result), lines)
        write_sheet(wb, "节约对比", result.summary())
    write_sheet(wb, "单价依据", cost_sources(), [f"整改措施单价（{ref}）"])
    wb.close()
    return [path, side]


def cost_chart(plan: pd.DataFrame, *, source: str, synthetic: bool = False, title: str | None = None,
               optimal: OptimResult | None = None) -> Any:
    """Two panels: planned cost per indicator and per target year (万元, 参考值); with
    ``optimal``, the optimiser's cost per indicator beside the plan's (resource indicators)."""
    # matplotlib is loaded when a chart is drawn, not when the plan command starts
    from analysis.plotting import bar_labels, finish, new_figure

    ref = reference_label()
    by_ind = cost_by_indicator(plan)[::-1]
    fig, axes = new_figure(1, 2, figsize=(11, max(4.4, 0.42 * len(by_ind) + 1.6)), gridspec_kw={"width_ratios": [1.4, 1]})
    ax = axes[0, 0]
    y = np.arange(len(by_ind))
    if optimal is not None and len(by_ind):
        opt = optimal.actions.groupby("indicator")["cost_10k_yuan"].sum() if len(optimal.actions) else pd.Series(dtype=float)
        keys = [k.split(" ")[0] for k in by_ind.index]
        vals = np.array([float(opt.get(k, 0.0)) if k.startswith("L") else np.nan for k in keys])
        b1 = ax.barh(y + 0.2, by_ind.to_numpy(), height=0.4, color="#4C72B0", label="整改方案（逐校逐项补足）")
        b2 = ax.barh(y - 0.2, np.nan_to_num(vals), height=0.4, color="#55A868", label="最低费用方案（资源配置）")
        ax.bar_label(b1, labels=[f"{v:,.1f}" for v in by_ind.to_numpy()], fontsize=7, padding=1.5)
        ax.bar_label(b2, labels=["" if v != v else f"{v:,.1f}" for v in vals], fontsize=7, padding=1.5)
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    else:
        bars = ax.barh(y, by_ind.to_numpy(), color="#4C72B0")
        ax.bar_label(bars, labels=[f"{v:,.1f}" for v in by_ind.to_numpy()], fontsize=7, padding=1.5)
    ax.set_yticks(y, list(by_ind.index), fontsize=8)
    ax.set_xlabel(f"费用（万元，{ref}）")
    ax.set_title("按指标")
    ax.margins(x=0.18)
    t = cost_by_year(plan)
    ax = axes[0, 1]
    years = [str(int(y)) if y is not pd.NA else "未定" for y in t["完成时间"]]
    bars = ax.bar(years, t["计划费用（万元）"].to_numpy(), color="#DD8452")
    bar_labels(ax, bars, t["计划费用（万元）"].to_numpy())
    ax.set_xlabel("完成时间（年）")
    ax.set_ylabel(f"计划费用（万元，{ref}）")
    ax.set_title("按完成时间")
    axes[0, 1].margins(y=0.15)
    return finish(fig, title=title or "整改方案费用（参考值）", source=source, synthetic=synthetic)


@dataclass
class CountyPlan:
    """A county's plan as the notebooks show it (see :func:`county_plan`)."""

    county: str
    year: int
    plan: pd.DataFrame
    result: OptimResult | None
    data_label: str | None

    @property
    def summary(self) -> pd.DataFrame:
        return plan_summary(self.plan)

    @property
    def by_year(self) -> pd.DataFrame:
        return cost_by_year(self.plan)

    def text(self) -> str:
        """One paragraph in Chinese: actions, cost, edits and the optimiser's result."""
        p = self.plan
        total = pd.to_numeric(p["cost_10k_yuan"], errors="coerce").sum() if len(p) else 0.0
        if not len(p):
            return f"{self.county}{self.year}年无未达标事项，无需整改。"
        n_ed = int(p["is_edited"].sum())
        res = p.loc[p["part"] == "resource"]
        text = (f"{self.county}依据{self.year}年数据共有{len(p)}项整改事项（资源配置{len(res)}项），"
                f"计划费用合计{total:,.1f}万元（{reference_label()}）")
        if n_ed:
            text += f"，其中{n_ed}项已按分析人员的调整表修改"
        text += "。"
        if self.result is not None:
            text += f"资源配置最低费用方案：{self.result.message}。"
        return text


def county_plan(processed_dir: str | os.PathLike, county: str, year: int, standards: Any = None, *,
                optimise: bool = True, caps: Any = None) -> CountyPlan:
    """Build a county's plan from the processed tables (with the analyst's edits when
    core_plan_edits holds any) and, unless ``optimise=False``, the least-cost resource plan.

    >>> import tempfile
    >>> from analysis.indicators.evaluation import example_inputs
    >>> from analysis.tables import write_tables
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = write_tables(dict(example_inputs()), d)
    ...     cp = county_plan(d, "示例县", 2024)
    >>> cp.text()[:28], cp.result.passes
    ('示例县依据2024年数据共有1项整改事项（资源配置1项）', True)
    """
    inputs = load_inputs(processed_dir, year=int(year), counties=[county])
    ev = evaluate(inputs, year=int(year), counties=[county], standards=as_standards(standards))
    plan = build_plan(ev, county, int(year), inputs=inputs, edits=load_edits(Path(processed_dir)))
    result = None
    if optimise:
        parts = [c for c in (caps_frame(caps), caps_frame(plan.loc[plan["max_quantity"].notna()]) if len(plan) else None)
                 if c is not None and len(c)]
        result = run_optimiser(inputs, county, int(year), standards, caps=pd.concat(parts, ignore_index=True) if parts else None,
                               baseline=plan)
    return CountyPlan(county, int(year), plan, result, ev.data_label)
