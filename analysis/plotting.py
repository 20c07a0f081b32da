"""Charts for county reports, in one consistent style.

Every chart function takes a table of :mod:`analysis.studies` (or of the indicator
engine), returns a matplotlib :class:`~matplotlib.figure.Figure` and

- writes titles, axis labels and legends in Chinese, from the column dictionary
  (:func:`analysis.dictionary.column_label`, :func:`~analysis.dictionary.value_label`);
- draws the standard as a reference line where one exists (indicator standards, the
  difference-coefficient limits 0.50 / 0.45, the class-size caps 45 / 50, target shares);
- puts a source line under the chart, ``数据来源：…``, followed by ``示例数据（合成）`` when
  the caller says the data are synthetic. ``source`` is required;
- returns a :class:`~analysis.missing.Missing` instead of a figure when there is nothing to
  draw: given a Missing (the analysis could not be computed), given no rows for the
  selection, or when a comparison has a single series (an urban–rural chart of a district
  with only 城区 schools). :func:`show` renders it as its sentence.

Chinese needs a CJK font: :func:`use_style` configures one (:mod:`analysis.fonts`).

A chart of another module is built with the same kit: :func:`new_figure`, :func:`finish`,
:func:`number_text` and :func:`bar_labels` (as :mod:`analysis.region_plots` and
:mod:`analysis.plan.report` do).

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"year": [2022, 2023, 2024] * 2, "students": [10, 12, 13, 5, 6, 6],
...                   "section_group": ["primary"] * 3 + ["junior"] * 3})
>>> fig = trend_chart(t, title="在校生数", source="示例市教育事业统计", synthetic=True)
>>> [t.get_text() for t in fig.texts][-1]
'数据来源：示例市教育事业统计　示例数据（合成）'
>>> plt.close(fig)
"""

from __future__ import annotations

import functools
import io
import os
import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib as mpl
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.figure import Figure

from analysis.chart_png import indexed_png
from analysis.config import load_yaml
from analysis.dictionary import column_label, value_label, value_labels
from analysis.fonts import configure_cjk_font
from analysis.missing import is_missing, missing, passes_missing
from analysis.studies import AREA_ORDER, class_size_band_edges, params, source_line
from analysis.studies import class_size_cap as default_caps
from analysis.studies.gaps import CLASS_SIZE_BANDS, measure_label, measure_unit

__all__ = [
    "AREA_COLORS",
    "REFERENCE_COLOR",
    "SECTION_COLORS",
    "age_band_chart",
    "bar_labels",
    "class_band_chart",
    "class_size_chart",
    "cv_chart",
    "degree_chart",
    "finish",
    "gap_ratio_chart",
    "levels_chart",
    "new_figure",
    "number_text",
    "projection_chart",
    "retirement_chart",
    "save_figure",
    "school_values_chart",
    "source_line",
    "subject_chart",
    "trend_chart",
    "use_style",
]

AREA_COLORS = {"urban": "#4C72B0", "town": "#DD8452", "rural": "#55A868", "all": "#8C8C8C"}
SECTION_COLORS = {
    "primary": "#4C72B0",
    "junior": "#C44E52",
    "senior": "#8172B3",
    "compulsory": "#8C8C8C",
}
BAND_COLORS = ("#55A868", "#CCB974", "#DD8452", "#C44E52")
DEGREE_COLORS = ("#2F4B7C", "#4C72B0", "#8EB1D9", "#DD8452", "#C44E52", "#BBBBBB")
REFERENCE_COLOR = "#C0392B"
_SOURCE_COLOR = "#555555"
_TEXT_LINE_IN = 0.16  # height of a line of small text under the chart, inches
_CHARS_PER_IN = 8.5  # CJK characters of small text (7.5 pt) per inch of figure width
_TEXT_BOTTOM: dict[int, float] = {}  # figure id -> top of the text block under the axes


@functools.cache
def _style() -> str:
    chart = params()["chart"]
    style = load_yaml("chart_style.yaml")
    plt.rcParams.update(style["rc"])
    plt.rcParams["axes.prop_cycle"] = cycler(color=style["palette"])
    for code, colour in style["color_codes"].items():  # as seaborn's set_palette(color_codes=True)
        mcolors.colorConverter.colors[code] = mcolors.to_rgb(colour)
    mcolors.colorConverter.cache.clear()
    plt.rcParams.update({
        "figure.dpi": chart["dpi"],
        "savefig.dpi": chart["dpi"],
        "axes.titleweight": "normal",
        "axes.titlesize": 11,
        "axes.labelsize": 9,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "legend.fontsize": 8,
        "legend.title_fontsize": 8,
        "figure.titlesize": 13,
        "figure.titleweight": "normal",
        # tick labels print whole numbers, never an offset or a power of ten above the axis
        # ("+4.2e4", "1e6") that a reader of a Chinese report would have to decode ...
        "axes.formatter.useoffset": False,
        "axes.formatter.limits": (-5, 12),
        # ... so nothing is ever drawn above an axes and a title sits at its top: the same
        # place matplotlib's automatic title placement finds, without it measuring every
        # tick label of the figure at each draw (a fifth of a multi-panel chart's time)
        "axes.titley": 1.0,
    })
    return configure_cjk_font()


def red_shades(n: int) -> list[tuple[float, float, float]]:
    """``n`` shades of the "Reds" colour map, light to dark, as seaborn's
    ``color_palette("Reds", n)`` gives them.

    >>> len(red_shades(3)), red_shades(1)[0] == red_shades(1)[0]
    (3, True)
    """
    cmap = mpl.colormaps["Reds"]
    return [tuple(float(x) for x in cmap(v)[:3]) for v in np.linspace(0, 1, int(n) + 2)[1:-1]]


def use_style() -> str:
    """Apply the chart style (seaborn's whitegrid theme, ``analysis/data/chart_style.yaml``,
    and a CJK font); return the font's name."""
    name = _style()
    if plt.rcParams["font.sans-serif"][:1] != [name]:  # something reset rcParams since
        _style.cache_clear()
        name = _style()
    return name


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize=None, text_lines: int = 1, **kw):
    """A figure in the house style (chart kit): ``(fig, axes)`` with ``axes`` always 2-D and room
    left at the foot for ``text_lines`` lines of note and source (see :func:`finish`)."""
    use_style()
    size = tuple(figsize or params()["chart"]["figsize"])
    fig, axes = plt.subplots(nrows, ncols, figsize=size, layout="constrained", squeeze=False, **kw)
    bottom = min(0.45, (_TEXT_LINE_IN * text_lines + 0.12) / size[1])
    fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    _TEXT_BOTTOM[id(fig)] = bottom
    return fig, axes


def _wrap(text: str, width: int) -> str:
    return "\n".join(
        textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False)
    )


class GroupedTicks(matplotlib.ticker.ScalarFormatter):
    """matplotlib's tick labels with the thousands separated (``7,000``), as the bar labels
    and the tables print them, on an axis whose ticks step by 100 or more: a year axis
    (2018, 2020, …) never gets a separator.

    >>> fig, axes = new_figure(); ax = axes[0, 0]; _ = ax.plot([2018, 2024], [0, 7500])
    >>> _ = finish(fig, title=None, source="示例", synthetic=True); _ = figure_png(fig)
    >>> [t.get_text() for t in ax.get_yticklabels()][-2:], [t.get_text() for t in ax.get_xticklabels()][1:3]
    (['7,000', '8,000'], ['2018', '2019'])
    >>> plt.close(fig)
    """

    _DIGITS = re.compile(r"^(-?)(\d{4,})(\.\d+)?$")

    _grouped = False

    def set_locs(self, locs):
        locs = np.asarray(locs, dtype="float64")
        self._grouped = len(locs) > 1 and bool(np.min(np.abs(np.diff(locs))) >= 100)
        super().set_locs(locs)

    def __call__(self, x, pos=None):
        text = super().__call__(x, pos)
        if not self._grouped:
            return text
        match = self._DIGITS.match(text)
        if not match:
            return text
        return f"{match.group(1)}{int(match.group(2)):,}{match.group(3) or ''}"


def finish(
    fig: Figure, *, title: str | None, source: str, synthetic: bool, note: str | None = None
) -> Figure:
    """Finish a figure of :func:`new_figure` (chart kit): its title, a wrapped note and the
    source line (marked synthetic when it is) at the foot; axes left with matplotlib's own
    number format separate thousands (:class:`GroupedTicks`)."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_formatter()) is matplotlib.ticker.ScalarFormatter:
                axis.set_major_formatter(GroupedTicks())
    line = source_line(source, synthetic)
    bottom = _TEXT_BOTTOM.pop(id(fig), 0.1)
    if title:
        fig.suptitle(title)
    width = int(fig.get_figwidth() * _CHARS_PER_IN)
    if note:
        fig.text(
            0.01,
            bottom - 0.01,
            _wrap(note, width),
            ha="left",
            va="top",
            fontsize=7.5,
            color="#333333",
        )
    fig.text(0.01, 0.012, line, ha="left", va="bottom", fontsize=7.5, color=_SOURCE_COLOR)
    return fig


def _lines_needed(note: str | None, fig_width: float) -> int:
    if not note:
        return 1
    return 1 + len(textwrap.wrap(note, width=int(fig_width * _CHARS_PER_IN)))


def _ref_line(ax, y: float, label: str, color: str = REFERENCE_COLOR, **kw) -> None:
    ax.axhline(
        y,
        color=color,
        linestyle=kw.pop("linestyle", "--"),
        linewidth=kw.pop("linewidth", 1.3),
        label=label,
        **kw,
    )


def number_text(v: float) -> str:
    """A chart's number label: thousands separated from 100, fewer decimals the larger it is.

    >>> number_text(1234.5), number_text(12.34), number_text(1.50), number_text(0.1234), number_text(float("nan"))
    ('1,234', '12.3', '1.5', '0.123', '')
    """
    if pd.isna(v):
        return ""
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}".rstrip("0").rstrip(".") if abs(v) >= 1 else f"{v:.3f}".rstrip("0").rstrip(".")


def bar_labels(ax, bars, values, fontsize: float = 7) -> None:
    """Write each bar's value (:func:`number_text`) at its end."""
    ax.bar_label(bars, labels=[number_text(v) for v in values], fontsize=fontsize, padding=1.5)


def _legend(ax, **kw) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, frameon=False, **kw)


# ---------------------------------------------------------------------------- trends


def trend_chart(
    df: pd.DataFrame,
    *,
    source: str,
    synthetic: bool = False,
    title: str | None = None,
    y: str = "students",
    x: str = "year",
    hue: str | None = "section_group",
    annotate: bool = True,
) -> Figure:
    """Line chart of ``y`` over ``x``, one line per ``hue`` value (e.g. students by section).

    Values are written at the points when a line has at most 8 points. With
    ``hue="area_group"`` (an urban–rural comparison) a single area type gives a Missing
    saying so.
    """
    if df.empty:
        return missing("绘制变化趋势图", reason="没有可绘制的数据")
    if hue == "area_group":
        single = _single_area(df)
        if single:
            return missing("进行城乡比较（各年数值见下表）", reason=f"该县（区）只有{single}学校")
    fig, axes = new_figure()
    ax = axes[0, 0]
    if hue is None:
        groups = [(None, df)]
    else:
        order = {k: i for i, k in enumerate([*SECTION_COLORS, *AREA_COLORS])}
        keys = sorted(df[hue].dropna().unique(), key=lambda k: (order.get(k, len(order)), str(k)))
        groups = [(k, df.loc[df[hue] == k]) for k in keys]
    for key, grp in groups:
        grp = grp.sort_values(x)
        color = SECTION_COLORS.get(key) if hue == "section_group" else AREA_COLORS.get(key)
        label = value_label(hue, key) if hue else column_label(y, with_unit=False)
        ax.plot(grp[x], grp[y], marker="o", linewidth=1.8, color=color, label=label)
        if annotate and len(grp) <= 8:
            for xv, yv in zip(grp[x], grp[y], strict=True):
                ax.annotate(
                    number_text(yv),
                    (xv, yv),
                    textcoords="offset points",
                    xytext=(0, 5),
                    ha="center",
                    fontsize=7,
                )
    ax.set_xlabel(column_label(x))
    ax.set_ylabel(column_label(y))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.margins(y=0.15)
    _legend(ax, title=column_label(hue) if hue else None)
    return finish(fig, title=title, source=source, synthetic=synthetic)


def projection_chart(
    projection,
    *,
    county: str,
    source: str,
    synthetic: bool = False,
    area_group: str = "all",
    title: str | None = None,
) -> Figure:
    """Observed and projected students per section against current capacity.

    ``projection`` is an :class:`analysis.studies.projection.Projection`; its method text is
    printed under the chart. Capacity (classes × class-size cap) is a dotted line per section.
    """
    if is_missing(projection):
        return projection
    places = projection.places
    d = places.loc[(places["county"] == county) & (places["area_group"] == area_group)]
    if d.empty:
        return missing("绘制学位需求预测图",
                       reason=f"{county}{value_label('area_group', area_group)}没有预测结果")
    size = params()["chart"]["figsize"]
    fig, axes = new_figure(
        figsize=(size[0], size[1] + 0.6), text_lines=_lines_needed(projection.method, size[0])
    )
    ax = axes[0, 0]
    base = projection.base_year
    for sec in [s for s in SECTION_COLORS if s in set(d["section"])]:
        grp = d.loc[d["section"] == sec].sort_values("year")
        color = SECTION_COLORS.get(sec)
        obs = grp.loc[grp["year"] <= base]
        proj = grp.loc[grp["year"] >= base]
        name = value_label("section", sec)
        ax.plot(
            obs["year"],
            obs["students_projected"],
            marker="o",
            color=color,
            linewidth=1.8,
            label=f"{name}（实际）",
        )
        ax.plot(
            proj["year"],
            proj["students_projected"],
            marker="o",
            markersize=3,
            color=color,
            linestyle="--",
            linewidth=1.6,
            label=f"{name}（预测）",
        )
        cap = grp["capacity_places"].dropna()
        if not cap.empty:
            _ref_line(
                ax,
                float(cap.iloc[0]),
                f"{name}现有学位容量 {number_text(float(cap.iloc[0]))}",
                color=color,
                linestyle=":",
                linewidth=1.4,
            )
    ax.axvspan(base + 0.5, d["year"].max() + 0.5, color="#EEEEEE", zorder=0, label="预测期")
    ax.set_xlabel(column_label("year"))
    ax.set_ylabel(column_label("students"))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    _legend(ax, fontsize=7, loc="best", ncol=2)
    title = (
        title
        or f"{county}{value_label('area_group', area_group) if area_group != 'all' else ''}义务教育学生数预测与学位需求"
    )
    return finish(fig, title=title, source=source, synthetic=synthetic, note=projection.method)


# ---------------------------------------------------------------------------- indicators


def _indicator_tick(key: str) -> str:
    short = measure_label(key, short=True)
    return f"{key}\n{short}" if short != key else key


def cv_chart(
    cv: pd.DataFrame,
    *,
    source: str,
    synthetic: bool = False,
    title: str | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> Figure:
    """Difference coefficients per indicator and section against their limits.

    ``cv`` has ``section, indicator, cv`` and usually ``threshold`` (the engine's
    out_difference_coefficients); ``thresholds`` ({section: limit}) fills in where it has
    none. Bars above the limit are hatched.
    """
    fig, axes = new_figure()
    ax = axes[0, 0]
    d = cv.copy()
    if "threshold" not in d:
        d["threshold"] = np.nan
    if thresholds:
        d["threshold"] = d["threshold"].fillna(d["section"].map(thresholds))
    indicators = list(dict.fromkeys(d.sort_values("indicator")["indicator"]))
    secs = [s for s in ("primary", "junior") if s in set(d["section"])] or list(
        dict.fromkeys(d["section"])
    )
    width = 0.8 / max(len(secs), 1)
    x = np.arange(len(indicators))
    for i, sec in enumerate(secs):
        sd = d.loc[d["section"] == sec].set_index("indicator").reindex(indicators)
        vals = sd["cv"].astype("float64").to_numpy()
        over = vals > sd["threshold"].astype("float64").to_numpy()
        color = SECTION_COLORS.get(sec, "#777777")
        bars = ax.bar(
            x + (i - (len(secs) - 1) / 2) * width,
            vals,
            width * 0.95,
            color=color,
            label=value_label("section", sec),
            edgecolor=np.where(over, REFERENCE_COLOR, color),
        )
        for b, o in zip(bars, over, strict=True):
            if o:
                b.set_hatch("///")
        bar_labels(ax, bars, vals, fontsize=6.5)
        thr = sd["threshold"].dropna()
        if not thr.empty:
            _ref_line(
                ax,
                float(thr.iloc[0]),
                f"{value_label('section', sec)}差异系数上限 {float(thr.iloc[0]):.2f}",
                color=color,
                linestyle="--",
            )
    ax.set_xticks(x, [_indicator_tick(k) for k in indicators])
    ax.set_ylabel("校际差异系数")
    ax.margins(y=0.15)
    _legend(ax, ncol=2, loc="upper left")
    return finish(fig, title=title or "校际差异系数", source=source, synthetic=synthetic)


def levels_chart(
    levels: pd.DataFrame,
    *,
    section: str,
    source: str,
    synthetic: bool = False,
    title: str | None = None,
    indicators: Sequence[str] | None = None,
    standards: Mapping[str, float] | None = None,
) -> Figure:
    """One panel per indicator: its level in 城区 / 镇区 / 乡村 / 全部, with the standard.

    ``levels`` is ``out_area_levels``; ``standards`` maps an indicator to its standard for
    this section (e.g. from the engine's ``resource_values.standard``).
    """
    d = levels.loc[levels["section_group"] == section]
    keys = list(
        indicators or [k for k in params()["resource_indicators"] if k in set(d["indicator"])]
    )
    if not keys:
        return missing(f"绘制{value_label('section', section)}指标图",
                       reason=f"该县（区）没有{value_label('section', section)}学校（学段）")
    single = _single_area(d)
    if single:
        return missing("进行城乡比较（各项水平见下表）",
                       reason=f"该县（区）{value_label('section', section)}只有{single}学校")
    ncols = min(4, len(keys))
    nrows = int(np.ceil(len(keys) / ncols))
    fig, axes = new_figure(nrows, ncols, figsize=(2.3 * ncols + 0.6, 2.4 * nrows + 0.7))
    areas = [a for a in AREA_ORDER if a in set(d["area_group"])]
    for ax, key in zip(axes.flat, keys, strict=False):
        sd = d.loc[d["indicator"] == key].set_index("area_group").reindex(areas)
        vals = sd["value"].astype("float64").to_numpy()
        bars = ax.bar(range(len(areas)), vals, color=[AREA_COLORS[a] for a in areas], width=0.7)
        bar_labels(ax, bars, vals, fontsize=6.5)
        if standards and key in standards and pd.notna(standards[key]):
            _ref_line(ax, float(standards[key]), f"标准 {number_text(float(standards[key]))}")
            ax.legend(frameon=False, fontsize=6.5, loc="best")
        ax.set_xticks(range(len(areas)), [value_label("area_group", a) for a in areas])
        unit = measure_unit(key)
        ax.set_title(f"{key} {measure_label(key, short=True)}", fontsize=9)
        ax.set_ylabel(unit, fontsize=8)
        ax.margins(y=0.18)
    for ax in list(axes.flat)[len(keys) :]:
        ax.set_visible(False)
    title = title or f"{value_label('section', section)}资源配置指标城乡比较"
    return finish(fig, title=title, source=source, synthetic=synthetic)


def gap_ratio_chart(
    gaps: pd.DataFrame,
    *,
    section: str,
    source: str,
    synthetic: bool = False,
    title: str | None = None,
    indicators: Sequence[str] | None = None,
) -> Figure:
    """Urban ÷ rural ratio of each indicator (``out_area_gaps``), with parity (=1) marked."""
    d = gaps.loc[gaps["section_group"] == section]
    if indicators:
        d = d.loc[d["indicator"].isin(indicators)]
    d = d.dropna(subset=["urban_rural_ratio"])
    if d.empty:
        return missing("计算城乡比（城区÷乡村）",
                       reason=f"该县（区）{value_label('section_group', section)}没有同时设有城区和乡村学校")
    d = d.iloc[::-1]
    fig, axes = new_figure(figsize=(8.0, 0.35 * len(d) + 1.6))
    ax = axes[0, 0]
    vals = d["urban_rural_ratio"].astype("float64").to_numpy()
    colors = np.where(vals >= 1, AREA_COLORS["urban"], AREA_COLORS["rural"])
    bars = ax.barh(range(len(d)), vals, color=colors, height=0.6)
    ax.bar_label(bars, labels=[f"{v:.2f}" for v in vals], fontsize=7, padding=2)
    ax.axvline(1.0, color=REFERENCE_COLOR, linestyle="--", linewidth=1.2, label="城乡持平（=1）")
    ax.set_yticks(
        range(len(d)),
        [
            f"{k} {measure_label(k, short=True)}" if k.startswith("L") else measure_label(k)
            for k in d["indicator"]
        ],
    )
    ax.set_xlabel(column_label("urban_rural_ratio"))
    ax.margins(x=0.12)
    _legend(ax, loc="lower right")
    title = title or f"{value_label('section_group', section)}城乡差距（城区÷乡村）"
    return finish(fig, title=title, source=source, synthetic=synthetic)


def school_values_chart(
    values: pd.DataFrame,
    *,
    indicator: str,
    source: str,
    synthetic: bool = False,
    title: str | None = None,
    standard: float | None = None,
    near_share: float = 0.85,
    max_schools: int = 40,
) -> Figure:
    """Each school's value of one indicator, lowest first, with the standard and 85 % of it.

    ``values`` has ``school_name`` and ``value`` (one indicator and section). Schools below
    85 % of the standard are red, below the standard orange. At most ``max_schools``
    (the lowest) are drawn.
    """
    d = values.dropna(subset=["value"]).sort_values("value").head(max_schools)
    if d.empty:
        return missing(f"绘制各校{measure_label(indicator)}",
                       reason=f"所选学校都没有{measure_label(indicator)}的数值")
    fig, axes = new_figure(figsize=(8.0, 0.22 * len(d) + 1.8))
    ax = axes[0, 0]
    vals = d["value"].astype("float64").to_numpy()
    colors = np.full(len(d), AREA_COLORS["urban"], dtype=object)
    if standard is not None and pd.notna(standard):
        colors[vals < standard] = "#DD8452"
        colors[vals < near_share * standard] = REFERENCE_COLOR
    ax.barh(range(len(d)), vals, color=colors, height=0.7)
    ax.set_yticks(range(len(d)), d["school_name"].astype("str").tolist(), fontsize=7)
    if standard is not None and pd.notna(standard):
        ax.axvline(
            standard,
            color=REFERENCE_COLOR,
            linestyle="--",
            linewidth=1.2,
            label=f"标准 {number_text(standard)}",
        )
        ax.axvline(
            near_share * standard,
            color="#DD8452",
            linestyle=":",
            linewidth=1.2,
            label=f"标准的{near_share * 100:.0f}% {number_text(near_share * standard)}",
        )
    ax.set_xlabel(
        f"{measure_label(indicator)}（{measure_unit(indicator)}）"
        if measure_unit(indicator)
        else measure_label(indicator)
    )
    _legend(ax, loc="lower right")
    return finish(
        fig, title=title or f"各校{measure_label(indicator)}", source=source, synthetic=synthetic
    )


# ---------------------------------------------------------------------------- class sizes


def _band_labels(edges: Sequence[int] | None = None) -> list[str]:
    e = [int(v) for v in (edges or class_size_band_edges())]
    ranges = [
        f"≤{e[0]}人",
        *[f"{a + 1}-{b}人" for a, b in zip(e[:-1], e[1:], strict=True)],
        f"≥{e[-1] + 1}人",
    ]
    return [
        f"{value_label('class_size_band', b)}（{r}）"
        for b, r in zip(CLASS_SIZE_BANDS, ranges, strict=True)
    ]


def class_band_chart(
    bands: pd.DataFrame,
    *,
    source: str,
    synthetic: bool = False,
    title: str | None = None,
    edges: Sequence[int] | None = None,
) -> Figure:
    """Share of classes in each class-size band, per section and area type (stacked to 100 %)."""
    d = bands.loc[bands["section_group"].isin(["primary", "junior"])]
    rows = []
    for sec in ("primary", "junior"):
        for area in AREA_ORDER:
            sd = d.loc[(d["section_group"] == sec) & (d["area_group"] == area)]
            if not sd.empty and sd["classes"].sum() > 0:
                rows.append(
                    (
                        f"{value_label('section', sec)}·{value_label('area_group', area)}",
                        sd.set_index("class_size_band")
                        .reindex(CLASS_SIZE_BANDS)["share_pct"]
                        .fillna(0)
                        .to_numpy(),
                    )
                )
    if not rows:
        return missing("绘制班额分布图", "core_classes")
    rows = rows[::-1]
    fig, axes = new_figure(figsize=(8.0, 0.4 * len(rows) + 1.8))
    ax = axes[0, 0]
    left = np.zeros(len(rows))
    mat = np.vstack([r[1] for r in rows])
    for j, (label, color) in enumerate(zip(_band_labels(edges), BAND_COLORS, strict=True)):
        bars = ax.barh(
            range(len(rows)), mat[:, j], left=left, color=color, label=label, height=0.65
        )
        ax.bar_label(
            bars,
            labels=[f"{v:.0f}%" if v >= 6 else "" for v in mat[:, j]],
            label_type="center",
            fontsize=7,
        )
        left += mat[:, j]
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    ax.set_xlim(0, 100)
    ax.set_xlabel("班级数占比（%）")
    ax.legend(frameon=False, ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return finish(fig, title=title or "班额分布", source=source, synthetic=synthetic)


def class_size_chart(
    classes: pd.DataFrame,
    *,
    source: str,
    synthetic: bool = False,
    title: str | None = None,
    class_size_cap: Mapping[str, int] | None = None,
) -> Figure:
    """Distribution of class sizes per section, with the class-size caps (45 / 50)."""
    cap = dict(class_size_cap or default_caps())
    d = classes.loc[classes["section"].isin(list(cap))].copy()
    d["students"] = pd.to_numeric(d["students"], errors="coerce")
    d = d.dropna(subset=["students"])
    if d.empty:
        return missing("绘制班额分布图", "core_classes")
    fig, axes = new_figure()
    ax = axes[0, 0]
    lo, hi = int(d["students"].min()), int(d["students"].max())
    bins = np.arange(max(lo - 1, 0), hi + 3, 2)
    for sec in cap:
        sd = d.loc[d["section"] == sec, "students"]
        if sd.empty:
            continue
        color = SECTION_COLORS[sec]
        ax.hist(sd, bins=bins, alpha=0.55, color=color, label=value_label("section", sec))
        ax.axvline(
            cap[sec],
            color=color,
            linestyle="--",
            linewidth=1.4,
            label=f"{value_label('section', sec)}班额上限 {cap[sec]}人",
        )
    ax.set_xlabel("班额（人）")
    ax.set_ylabel("班级数（个）")
    _legend(ax)
    return finish(fig, title=title or "班额分布", source=source, synthetic=synthetic)


# ---------------------------------------------------------------------------- teachers


def _grouped_bars(
    ax,
    d: pd.DataFrame,
    *,
    x: str,
    x_order: Sequence,
    hue: str,
    hue_order: Sequence,
    y: str,
    colors: Mapping,
    label_fmt=None,
) -> None:
    width = 0.8 / max(len(hue_order), 1)
    xs = np.arange(len(x_order))
    for i, h in enumerate(hue_order):
        sd = d.loc[d[hue] == h].set_index(x).reindex(x_order)
        vals = sd[y].astype("float64").to_numpy()
        bars = ax.bar(
            xs + (i - (len(hue_order) - 1) / 2) * width,
            vals,
            width * 0.95,
            color=colors.get(h),
            label=value_label(hue, h),
        )
        if len(x_order) * len(hue_order) <= 24:
            ax.bar_label(bars, labels=[(label_fmt or number_text)(v) for v in vals], fontsize=6, padding=1)
    ax.set_xticks(xs, [value_label(x, v) for v in x_order])


def _areas(d: pd.DataFrame, include_all: bool) -> list[str]:
    """Area groups to draw; with a single area type its 全部 bar would repeat it, so it is dropped."""
    present = set(d["area_group"])
    own = [a for a in AREA_ORDER if a in present and a != "all"]
    if len(own) <= 1 and own:
        return own
    return [a for a in AREA_ORDER if a in present and (include_all or a != "all")]


def _single_area(d: pd.DataFrame) -> str | None:
    """The Chinese name of the only area type in ``d`` (``area_group``), or None when there
    are several (or none) to compare.

    >>> _single_area(pd.DataFrame({"area_group": ["urban", "all"]}))
    '城区'
    >>> _single_area(pd.DataFrame({"area_group": ["urban", "rural", "all"]})) is None
    True
    """
    if "area_group" not in d:
        return None
    own = [a for a in AREA_ORDER if a in set(d["area_group"]) and a != "all"]
    return value_label("area_group", own[0]) if len(own) == 1 else None


def age_band_chart(
    bands: pd.DataFrame,
    *,
    source: str,
    synthetic: bool = False,
    title: str | None = None,
    section_group: str = "compulsory",
    include_all: bool = True,
) -> Figure:
    """Share of teachers in each age band, per area type (``out_teacher_age_bands``)."""
    d = bands.loc[bands["section_group"] == section_group]
    order = list(dict.fromkeys(d["age_band"]))
    fig, axes = new_figure(figsize=(9.0, 4.6))
    ax = axes[0, 0]
    _grouped_bars(
        ax,
        d,
        x="age_band",
        x_order=order,
        hue="area_group",
        hue_order=_areas(d, include_all),
        y="share_pct",
        colors=AREA_COLORS,
        label_fmt=lambda v: "",
    )
    ax.set_xlabel(column_label("age_band"))
    ax.set_ylabel(column_label("share_pct"))
    _legend(ax, title=column_label("area_group"))
    title = title or f"{value_label('section_group', section_group)}专任教师年龄结构"
    return finish(fig, title=title, source=source, synthetic=synthetic)


def degree_chart(
    degrees: pd.DataFrame,
    *,
    source: str,
    synthetic: bool = False,
    title: str | None = None,
    section_group: str = "compulsory",
) -> Figure:
    """Degree structure of teachers per area type, stacked to 100 % (``out_teacher_degrees``)."""
    d = degrees.loc[degrees["section_group"] == section_group]
    areas = _areas(d, True)[::-1]
    codes = list(value_labels("degree"))
    has_unknown = d["degree"].isna().any()
    fig, axes = new_figure(figsize=(8.0, 0.45 * len(areas) + 2.0))
    ax = axes[0, 0]
    left = np.zeros(len(areas))
    for j, code in enumerate(codes + ([None] if has_unknown else [])):
        sel = d["degree"].isna() if code is None else d["degree"] == code
        vals = d.loc[sel].set_index("area_group").reindex(areas)["share_pct"].fillna(0).to_numpy()
        label = "未填" if code is None else value_label("degree", code)
        bars = ax.barh(
            range(len(areas)), vals, left=left, color=DEGREE_COLORS[j], label=label, height=0.6
        )
        ax.bar_label(
            bars,
            labels=[f"{v:.0f}%" if v >= 5 else "" for v in vals],
            label_type="center",
            fontsize=7,
        )
        left += vals
    ax.set_yticks(range(len(areas)), [value_label("area_group", a) for a in areas])
    ax.set_xlim(0, 100)
    ax.set_xlabel("教师数占比（%）")
    ax.legend(frameon=False, ncol=6, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    title = title or f"{value_label('section_group', section_group)}专任教师学历结构"
    return finish(fig, title=title, source=source, synthetic=synthetic)


def retirement_chart(
    retirements: pd.DataFrame,
    *,
    source: str,
    synthetic: bool = False,
    title: str | None = None,
    section_group: str = "compulsory",
) -> Figure:
    """Teachers reaching retirement age within each horizon, per area type."""
    d = retirements.loc[retirements["section_group"] == section_group].copy()
    areas = _areas(d, True)
    horizons = sorted(d["horizon_years"].unique())
    fig, axes = new_figure()
    ax = axes[0, 0]
    width = 0.8 / max(len(horizons), 1)
    xs = np.arange(len(areas))
    shades = red_shades(len(horizons) + 1)[1:]
    for i, h in enumerate(horizons):
        sd = d.loc[d["horizon_years"] == h].set_index("area_group").reindex(areas)
        vals = sd["retiring_teachers"].astype("float64").to_numpy()
        shares = sd["retiring_share_pct"].astype("float64").to_numpy()
        bars = ax.bar(
            xs + (i - (len(horizons) - 1) / 2) * width,
            vals,
            width * 0.95,
            color=shades[i],
            label=f"{h}年内",
        )
        ax.bar_label(
            bars,
            labels=[f"{v:,.0f}\n({s:.1f}%)" for v, s in zip(vals, shares, strict=True)],
            fontsize=6.5,
            padding=1,
        )
    ax.set_xticks(xs, [value_label("area_group", a) for a in areas])
    ax.set_ylabel(column_label("retiring_teachers"))
    ax.margins(y=0.2)
    _legend(ax, title="到达退休年龄")
    title = title or f"{value_label('section_group', section_group)}专任教师到龄退休预测"
    return finish(fig, title=title, source=source, synthetic=synthetic)


def subject_chart(
    staffing: pd.DataFrame,
    *,
    source: str,
    synthetic: bool = False,
    title: str | None = None,
    section_group: str = "compulsory",
    include_all: bool = False,
) -> Figure:
    """Share of PE, music, art and psychology teachers per area type against target shares."""
    d = staffing.loc[staffing["section_group"] == section_group]
    subjects = list(dict.fromkeys(d["subject"]))
    labels = d.drop_duplicates("subject").set_index("subject")["subject_label"]
    areas = _areas(d, include_all) or _areas(d, True)
    fig, axes = new_figure(figsize=(8.5, 4.6))
    ax = axes[0, 0]
    dd = d.assign(_x=d["subject"])
    _grouped_bars(
        ax,
        dd,
        x="_x",
        x_order=subjects,
        hue="area_group",
        hue_order=areas,
        y="share_pct",
        colors=AREA_COLORS,
        label_fmt=lambda v: f"{v:.1f}" if pd.notna(v) else "",
    )
    targets = (
        d.drop_duplicates("subject").set_index("subject").reindex(subjects)["target_share_pct"]
    )
    for i, t in enumerate(targets):
        ax.hlines(
            t,
            i - 0.45,
            i + 0.45,
            color=REFERENCE_COLOR,
            linestyle="--",
            linewidth=1.4,
            label="目标占比" if i == 0 else None,
        )
    ax.set_xticks(range(len(subjects)), [labels[s] for s in subjects])
    ax.set_ylabel("占专任教师比例（%）")
    ax.margins(y=0.15)
    _legend(ax, ncol=4, loc="upper left")
    title = title or f"{value_label('section_group', section_group)}体育、艺术、心理健康教师配备"
    return finish(fig, title=title, source=source, synthetic=synthetic)


# ---------------------------------------------------------------------------- output


def fix_layout(fig: Figure) -> Figure:
    """Solve ``fig``'s constrained layout once and keep it: later renderings reuse it.

    ``savefig`` on a figure with a layout engine draws the whole figure once without output
    to run the layout, then draws it again for the file: per chart that first pass (mostly
    measuring every text) costs as much as the rendering itself, and a second format (the
    SVG download) would pay it again. The layout is in figure fractions, so it holds for
    every format and resolution.
    """
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        # no engine at all, not the "none" placeholder: ``savefig`` runs its layout draw pass
        # for any engine, the placeholder included, which would draw the figure twice again
        with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
            fig.set_layout_engine(None)
    return fig


def figure_png(fig: Figure) -> bytes:
    """``fig`` rendered as PNG at the chart resolution (its layout fixed, :func:`fix_layout`).

    An opaque chart is an indexed-colour PNG made from matplotlib's pixels
    (:func:`analysis.chart_png.indexed_png`: every flat colour exact, a third of the bytes);
    the pixels are rendered once and encoded once. A figure with transparent parts is
    saved as matplotlib's own RGBA PNG.
    """
    fix_layout(fig)
    dpi = params()["chart"]["dpi"]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="rgba", dpi=dpi)
    pixels = _rgba_pixels(buffer.getbuffer(), tuple(fig.get_size_inches() * dpi))
    if pixels is None or pixels[..., 3].min() < 255:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()
    return indexed_png(pixels[..., :3], dpi=dpi)


def _rgba_pixels(raw: memoryview, size: tuple[float, float]) -> np.ndarray | None:
    """Raw RGBA bytes as height × width × 4, ``size`` the figure's size in pixels (which
    matplotlib truncates); None if the bytes do not make that image."""
    flat = np.frombuffer(raw, dtype=np.uint8)
    for w in dict.fromkeys((int(size[0]), round(size[0]))):
        for h in dict.fromkeys((int(size[1]), round(size[1]))):
            if w > 0 and h > 0 and len(flat) == 4 * w * h:
                return flat.reshape(h, w, 4)
    return None


def save_figure(fig: Figure, path: str | os.PathLike, png: bytes | None = None) -> Path:
    """Save ``fig`` (or its already rendered ``png``) as PNG, folders created; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(figure_png(fig) if png is None else png)
    return path


def births_projection_chart(
    projection,
    *,
    county: str,
    source: str,
    synthetic: bool = False,
    area_group: str = "all",
    title: str | None = None,
) -> Figure:
    """Students per section from the births-based projection, with its low/high band, the
    current capacity, the peak year and where the known births end.

    ``projection`` is an :class:`analysis.studies.births.BirthsProjection`; its method text
    is printed under the chart. Years after the last cohort known from births (the intake
    rests on the extension assumption) are shaded darker than the births-driven years.
    """
    d = projection.levels
    d = d.loc[(d["county"] == county) & (d["area_group"] == area_group)]
    if d.empty:
        raise ValueError(f"no births-based projection for county={county!r}, area_group={area_group!r}")
    size = params()["chart"]["figsize"]
    fig, axes = new_figure(figsize=(size[0], size[1] + 0.8), text_lines=_lines_needed(projection.method, size[0]))
    ax = axes[0, 0]
    base = projection.base_year
    end = int(d["year"].max())
    entry = projection.entry
    last = entry.loc[(entry["county"] == county) & (entry["area_group"] == area_group), "last_cohort_year"]
    last = int(last.iloc[0]) if len(last) and pd.notna(last.iloc[0]) else None
    ax.axvspan(base + 0.5, min(last, end) + 0.5 if last else end + 0.5, color="#EEEEEE", zorder=0,
               label="预测期（出生人口推算）" if last else "预测期")
    if last is not None and last < end:
        ax.axvspan(last + 0.5, end + 0.5, color="#DDDDDD", zorder=0, label="预测期（出生人口外推假设）")
    outlook = projection.outlook
    for sec in [s for s in SECTION_COLORS if s in set(d["section"])]:
        grp = d.loc[d["section"] == sec].sort_values("year")
        color = SECTION_COLORS.get(sec)
        name = value_label("section", sec)
        obs, proj = grp.loc[grp["year"] <= base], grp.loc[grp["year"] >= base]
        ax.plot(obs["year"], obs["students_projected"], marker="o", color=color, linewidth=1.8, label=f"{name}（实际）")
        ax.plot(proj["year"], proj["students_projected"], marker="o", markersize=3, color=color, linestyle="--",
                linewidth=1.6, label=f"{name}（预测）")
        ax.fill_between(proj["year"], proj["students_low"], proj["students_high"], color=color, alpha=0.18,
                        linewidth=0, label=f"{name}预测区间")
        cap = grp["capacity_places"].dropna()
        if not cap.empty:
            _ref_line(ax, float(cap.iloc[0]), f"{name}现有学位容量 {number_text(float(cap.iloc[0]))}", color=color,
                      linestyle=":", linewidth=1.4)
        o = outlook.loc[(outlook["county"] == county) & (outlook["area_group"] == area_group)
                        & (outlook["section"] == sec)]
        if len(o):
            py, pv = int(o["peak_year"].iloc[0]), float(o["peak_students"].iloc[0])
            ax.plot([py], [pv], marker="*", markersize=11, color=color, linestyle="none")
            ax.annotate(f"峰值 {py}年 {number_text(pv)}", (py, pv), textcoords="offset points", xytext=(4, 6),
                        fontsize=7, color=color)
    ax.set_xlabel(column_label("year"))
    ax.set_ylabel(column_label("students"))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    _legend(ax, fontsize=7, loc="best", ncol=2)
    area = value_label("area_group", area_group) if area_group != "all" else ""
    title = title or f"{county}{area}学龄人口（在校生）趋势预测：出生人口推算"
    return finish(fig, title=title, source=source, synthetic=synthetic, note=projection.method)


# Every chart given a Missing (an analysis that could not be computed) returns it.
for _name in ("age_band_chart", "births_projection_chart", "class_band_chart", "class_size_chart", "cv_chart", "degree_chart",
              "gap_ratio_chart", "levels_chart", "retirement_chart", "school_values_chart",
              "subject_chart", "trend_chart"):
    globals()[_name] = passes_missing()(globals()[_name])
del _name
