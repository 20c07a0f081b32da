"""Charts of the city and province reports: small multiples across counties, in the house style.

Built on :mod:`analysis.plotting` (same CJK font, colours, reference lines and the
``数据来源：…`` line, ``示例数据（合成）`` for synthetic data). A county without a value (not
evaluated, no junior schools, ...) keeps its place in every panel, marked —, so the panels
stay comparable and nothing is silently dropped.

Examples
--------
>>> import pandas as pd
>>> cv = pd.DataFrame({"county": ["甲", "乙"], "section": "primary", "indicator": "L5",
...                    "cv": [0.78, 0.2], "threshold": 0.5, "is_met": [False, True]})
>>> fig = cv_small_multiples(cv, section="primary", counties=["甲", "乙", "丙"], source="示例", synthetic=True)
>>> len(fig.axes), fig.texts[-1].get_text()
(8, '数据来源：示例　示例数据（合成）')
>>> plt.close(fig)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.dictionary import value_label
from analysis.plotting import (
    AREA_COLORS,
    REFERENCE_COLOR,
    SECTION_COLORS,
    finish,
    new_figure,
    number_text,
)
from analysis.studies import params
from analysis.studies.gaps import measure_label

__all__ = ["cv_small_multiples", "region_trend_multiples", "status_grid", "teacher_share_multiples"]

STATUS_COLORS = {"met": "#55A868", "not_met": "#C44E52", "missing": "#DDDDDD", "not_applicable": "#EEEEEE"}


def _grid(n: int, ncols: int) -> tuple[int, int]:
    return max(1, int(np.ceil(n / ncols))), ncols


def cv_small_multiples(
    cv: pd.DataFrame,
    *,
    section: str,
    counties: Sequence[str],
    source: str,
    synthetic: bool = False,
    title: str | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> Figure:
    """One panel per indicator L1-L7: every county's difference coefficient, the limit dashed.

    ``cv`` is the engine's ``out_difference_coefficients`` (``county, section, indicator, cv,
    threshold``). Bars above the limit are red and hatched; a county without a value shows —.
    """
    keys = list(params()["resource_indicators"])

    counties = list(counties)
    nrows, ncols = _grid(len(keys) + 1, 4)
    per = 0.22 if len(counties) <= 30 else 0.12  # a province of 100 counties stays legible
    small = len(counties) > 30
    height = max(4.8, 1.2 + nrows * (0.9 + per * len(counties)))
    fig, axes = new_figure(nrows, ncols, figsize=(10.0, height), sharex=False)
    d = cv.loc[cv["section"] == section] if len(cv) else cv
    color = SECTION_COLORS["primary"]  # one neutral colour: red is kept for "above the limit"
    y = np.arange(len(counties))
    for i, key in enumerate(keys):
        ax = axes.flat[i]
        sd = d.loc[d["indicator"] == key].drop_duplicates("county").set_index("county") if len(d) else None
        vals = (sd["cv"].reindex(counties).astype("float64").to_numpy() if sd is not None
                else np.full(len(counties), np.nan))
        thr = None
        if sd is not None and "threshold" in sd and sd["threshold"].notna().any():
            thr = float(sd["threshold"].dropna().iloc[0])
        elif thresholds and section in thresholds:
            thr = float(thresholds[section])
        over = np.where(np.isnan(vals), False, vals > (thr if thr is not None else np.inf))
        bars = ax.barh(y, np.nan_to_num(vals), color=np.where(over, REFERENCE_COLOR, color), height=0.7)
        for b, o in zip(bars, over, strict=True):
            if o:
                b.set_hatch("///")
        for yi, v in zip(y, vals, strict=True):
            ax.text(0 if np.isnan(v) else v, yi, " —" if np.isnan(v) else f" {v:.2f}", va="center",
                    fontsize=5 if small else 6.5)
        if thr is not None:
            ax.axvline(thr, color=REFERENCE_COLOR, linestyle="--", linewidth=1.1)
        ax.set_yticks(y, counties if i % ncols == 0 else [""] * len(counties))
        ax.tick_params(axis="y", labelsize=5.5 if small else 8)
        ax.invert_yaxis()
        ax.set_title(f"{key} {measure_label(key, short=True)}", fontsize=9)
        top = np.nanmax([*(vals[~np.isnan(vals)] if (~np.isnan(vals)).any() else [0.0]), thr or 0.0])
        ax.set_xlim(0, max(0.1, top * 1.3))
        ax.tick_params(axis="x", labelsize=7)
    legend_ax = axes.flat[len(keys)]
    legend_ax.axis("off")
    limit = f"上限{thresholds[section]:.2f}" if thresholds and section in thresholds else "上限"
    legend_ax.text(0.02, 0.8, f"虚线：差异系数{limit}\n红色斜线：超过上限\n—：无数据或未评估",
                   fontsize=8, va="top", transform=legend_ax.transAxes)
    for ax in list(axes.flat)[len(keys) + 1:]:
        ax.axis("off")
    title = title or f"各县（区）{value_label('section', section)}资源配置指标校际差异系数"
    return finish(fig, title=title, source=source, synthetic=synthetic)


def status_grid(
    status: pd.DataFrame, *, counties: Sequence[str], source: str, synthetic: bool = False,
    title: str | None = None,
) -> Figure:
    """A grid of counties × parts (综合结论 and the five parts) coloured 达标 / 未达标 / 数据缺失.

    ``status`` has ``county, part, status`` (:func:`analysis.studies.city.status_long`).
    """
    parts = ["overall", "resource", "guarantee", "quality", "recognition", "veto"]
    counties = list(counties)
    fig, axes = new_figure(figsize=(8.0, max(2.6, 1.4 + 0.32 * len(counties))))
    ax = axes[0, 0]
    s = status.drop_duplicates(["county", "part"]).set_index(["county", "part"])["status"]
    for i, county in enumerate(counties):
        for j, part in enumerate(parts):
            code = s.get((county, part), "missing")
            code = code if isinstance(code, str) else "missing"
            ax.add_patch(plt.Rectangle((j, i), 0.96, 0.9, color=STATUS_COLORS.get(code, "#DDDDDD")))
            label = value_label("status", code) if code != "missing" else "—"
            ax.text(j + 0.48, i + 0.45, label, ha="center", va="center", fontsize=7.5,
                    color="white" if code in ("met", "not_met") else "#333333")
    ax.set_xlim(0, len(parts))
    ax.set_ylim(len(counties), 0)
    ax.set_xticks(np.arange(len(parts)) + 0.48, [value_label("part", p) for p in parts])
    ax.set_yticks(np.arange(len(counties)) + 0.45, counties)
    ax.tick_params(length=0)
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.xaxis.tick_top()
    return finish(fig, title=title or "各县（区）评估结论", source=source, synthetic=synthetic)


def region_trend_multiples(
    trends: pd.DataFrame, *, regions: Sequence[str], source: str, synthetic: bool = False,
    title: str | None = None, area_group: str = "all",
) -> Figure:
    """One panel per region (the city and each group): students by section and year.

    Years in which a member county sent nothing (``is_complete`` false) are drawn hollow.
    """
    regions = [r for r in regions if (trends["region"] == r).any()] or list(regions)[:1]
    nrows, ncols = _grid(len(regions), min(3, len(regions)))
    fig, axes = new_figure(nrows, ncols, figsize=(10.0 if ncols > 1 else 8.0, 1.2 + 3.0 * nrows))
    d = trends.loc[trends["area_group"] == area_group]
    for i, name in enumerate(regions):
        ax = axes.flat[i]
        rd = d.loc[d["region"] == name]
        for sec in ("primary", "junior", "compulsory"):
            sd = rd.loc[rd["section_group"] == sec].sort_values("year")
            if sd.empty:
                continue
            color = SECTION_COLORS.get(sec)
            ax.plot(sd["year"], sd["students"], color=color, linewidth=1.6, label=value_label("section_group", sec))
            full = sd["is_complete"].astype(bool) if "is_complete" in sd else pd.Series(True, index=sd.index)
            ax.scatter(sd["year"], sd["students"], s=18, color=np.where(full, color, "white"),
                       edgecolors=color, zorder=3)
            if len(sd) <= 6:
                for xv, yv in zip(sd["year"], sd["students"], strict=True):
                    ax.annotate(number_text(float(yv)), (xv, yv), textcoords="offset points", xytext=(0, 4),
                                ha="center", fontsize=6)
        ax.set_title(name, fontsize=9)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.margins(y=0.2)
        ax.tick_params(labelsize=7)
        if i == 0:
            ax.legend(frameon=False, fontsize=7)
    for ax in list(axes.flat)[len(regions):]:
        ax.axis("off")
    note = "空心点：该年有成员县（区）未报送数据，不计入期间变化。" if "is_complete" in d and not d["is_complete"].all() else None
    return finish(fig, title=title or "在校生数（人）", source=source, synthetic=synthetic, note=note)


def teacher_share_multiples(
    shares: pd.DataFrame, *, region: str, source: str, synthetic: bool = False, title: str | None = None,
    categories: Sequence[str] = ("50岁以上", "51-55岁", "56-60岁", "本科以下", "高中以下"),
) -> Figure:
    """One panel per figure reports quote (50岁以上, 51-55岁, 56-60岁, 本科以下, 高中以下):
    its share of the region's teachers in 城区 / 镇区 / 乡村 / 全部."""
    d = shares.loc[shares["region"] == region]
    cats = [c for c in categories if (d["category"] == c).any()]
    nrows, ncols = _grid(max(len(cats), 1), min(5, max(len(cats), 1)))
    fig, axes = new_figure(nrows, ncols, figsize=(10.0, 3.6 * nrows))
    areas = [a for a in ("urban", "town", "rural", "all") if (d["area_group"] == a).any()]
    for i, cat in enumerate(cats):
        ax = axes.flat[i]
        cd = d.loc[d["category"] == cat].drop_duplicates("area_group").set_index("area_group").reindex(areas)
        vals = cd["share_pct"].astype("float64").to_numpy()
        bars = ax.bar(range(len(areas)), np.nan_to_num(vals), color=[AREA_COLORS[a] for a in areas])
        ax.bar_label(bars, labels=[number_text(v) if not np.isnan(v) else "—" for v in vals], fontsize=6.5, padding=1)
        ax.set_xticks(range(len(areas)), [value_label("area_group", a) for a in areas])
        ax.set_title(cat, fontsize=9)
        ax.set_ylabel("占比（%）" if i % ncols == 0 else "")
        ax.margins(y=0.2)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(cats):]:
        ax.axis("off")
    return finish(fig, title=title or f"{region}专任教师年龄、学历结构（分城乡）", source=source, synthetic=synthetic)
