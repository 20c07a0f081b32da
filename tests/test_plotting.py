"""Charts: every chart type renders to PNG with Chinese glyphs, a source line and its standards."""

from __future__ import annotations

import warnings

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from test_analyses_fixture import build_tables

from analysis import plotting as pl
from analysis.fonts import CJK_FONTS, FontNotFoundError, configure_cjk_font, find_cjk_font
from analysis.missing import is_missing
from analysis.studies import (
    class_size_cap,
    cv_thresholds,
    enrolment,
    gaps,
    projection,
    resource_standards,
    teachers,
)

SOURCE = "示例市教育事业统计报表（示例数据生成器）"
COUNTY = "河西县"


@pytest.fixture(scope="module")
def frames():
    t = build_tables()
    sec, sch, cls, enr, tea = (
        t[k]
        for k in [
            "core_school_sections",
            "core_schools",
            "core_classes",
            "core_enrolment",
            "core_teachers",
        ]
    )
    prep = teachers.prepare_teachers(tea, sch)
    levels, gap = gaps.urban_rural_gaps(sec, classes=cls, schools=sch, teachers=prep)
    now = lambda df: df.loc[(df["county"] == COUNTY) & (df["year"] == 2024)]  # noqa: E731
    pub = enrolment.published_enrolment(t["core_published"])
    return {
        "trends": enrolment.enrolment_trends(sec).query(
            "county == @COUNTY and area_group == 'all'"
        ),
        "published": pub,
        "projection": projection.project_enrolment(enr, sch, sec, horizon=6),
        "cv": gaps.published_cvs(t["core_published"]),
        "levels": now(levels),
        "gaps": now(gap),
        "school_values": gaps.school_view(
            gaps.school_resource_values(sec),
            county=COUNTY,
            year=2024,
            indicator="L4",
            section="primary",
            standard=4.5,
        ),
        "bands": now(gaps.class_size_bands(cls, sch)),
        "classes": cls.loc[cls["year"] == 2024],
        "age_bands": now(teachers.age_bands(prep)),
        "degrees": now(teachers.degree_structure(prep)),
        "retirements": now(teachers.retirements(prep)),
        "staffing": now(teachers.subject_staffing(prep)),
    }


CHARTS = {
    "trend": lambda f: pl.trend_chart(f["trends"], title="在校生数", source=SOURCE, synthetic=True),
    "trend_published": lambda f: pl.trend_chart(
        f["published"], title="长治市主城区在校生数", source=f["published"]["source"].iloc[0]
    ),
    "projection": lambda f: pl.projection_chart(
        f["projection"], county=COUNTY, source=SOURCE, synthetic=True
    ),
    "cv": lambda f: pl.cv_chart(f["cv"], thresholds=cv_thresholds(), source="万盛经开区自评报告"),
    "levels": lambda f: pl.levels_chart(
        f["levels"],
        section="primary",
        standards=resource_standards("primary"),
        source=SOURCE,
        synthetic=True,
    ),
    "gap_ratio": lambda f: pl.gap_ratio_chart(
        f["gaps"], section="primary", source=SOURCE, synthetic=True
    ),
    "school_values": lambda f: pl.school_values_chart(
        f["school_values"], indicator="L4", standard=4.5, source=SOURCE, synthetic=True
    ),
    "class_bands": lambda f: pl.class_band_chart(f["bands"], source=SOURCE, synthetic=True),
    "class_sizes": lambda f: pl.class_size_chart(f["classes"], source=SOURCE, synthetic=True),
    "age_bands": lambda f: pl.age_band_chart(f["age_bands"], source=SOURCE, synthetic=True),
    "degrees": lambda f: pl.degree_chart(f["degrees"], source=SOURCE, synthetic=True),
    "retirements": lambda f: pl.retirement_chart(f["retirements"], source=SOURCE, synthetic=True),
    "subjects": lambda f: pl.subject_chart(f["staffing"], source=SOURCE, synthetic=True),
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_chart_renders_chinese_without_missing_glyphs(name, frames, tmp_path):
    path = tmp_path / f"{name}.png"
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error"
        )  # a "Glyph ... missing from font(s)" UserWarning fails the test
        fig = CHARTS[name](frames)
        pl.save_figure(fig, path)
    texts = [t.get_text() for t in fig.texts]
    plt.close(fig)
    assert path.stat().st_size > 10_000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    source = [t for t in texts if t.startswith("数据来源：")]
    assert len(source) == 1
    if name in ("trend_published", "cv"):
        assert (
            "示例数据（合成）" not in source[0]
        )  # real published figures are not labelled synthetic
    else:
        assert source[0].endswith("示例数据（合成）")


def test_missing_glyphs_are_detected_without_a_cjk_font(tmp_path):
    """The glyph check above can fail: DejaVu Sans alone cannot draw Chinese."""
    with mpl.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("城乡差距")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(tmp_path / "boxes.png")
        plt.close(fig)
    assert any("missing from font" in str(w.message) for w in caught)


def _ref_lines(ax):
    return {
        round(float(line.get_ydata()[0]), 3)
        for line in ax.get_lines()
        if len(set(line.get_ydata())) == 1
    }


def test_standards_are_drawn_as_reference_lines(frames):
    fig = CHARTS["cv"](frames)
    assert {0.5, 0.45} <= _ref_lines(fig.axes[0])
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "小学差异系数上限 0.50" in labels and "初中差异系数上限 0.45" in labels
    plt.close(fig)
    fig = CHARTS["levels"](frames)
    by_title = {ax.get_title(): _ref_lines(ax) for ax in fig.axes if ax.get_visible()}
    assert 4.2 in by_title["L1 高学历教师"] and 2000 in by_title["L6 生均仪器设备"]
    plt.close(fig)
    fig = CHARTS["class_sizes"](frames)
    xs = {round(float(line.get_xdata()[0])) for line in fig.axes[0].get_lines()}
    assert set(class_size_cap().values()) <= xs
    plt.close(fig)
    fig = CHARTS["projection"](frames)
    assert any(
        t.get_text().startswith("预测方法：年级递进") for t in fig.texts
    )  # method drawn on the chart
    plt.close(fig)


def test_labels_come_from_the_column_dictionary(frames):
    fig = CHARTS["trend"](frames)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "年份" and ax.get_ylabel() == "学生数（人）"
    assert ax.get_legend().get_title().get_text() == "学段"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["小学", "初中", "义务教育"]
    plt.close(fig)


def test_source_is_required():
    assert pl.source_line("长治市人民政府") == "数据来源：长治市人民政府"
    with pytest.raises(ValueError, match="needs a source"):
        pl.source_line("  ")
    with pytest.raises(ValueError, match="needs a source"):
        pl.trend_chart(
            pd.DataFrame({"year": [2024], "students": [1], "section_group": ["primary"]}), source=""
        )


def test_font_is_configured_or_the_error_says_make_font():
    name = configure_cjk_font()
    assert name in CJK_FONTS
    assert (
        mpl.rcParams["font.sans-serif"][0] == name and mpl.rcParams["axes.unicode_minus"] is False
    )
    with pytest.raises(FontNotFoundError, match="make font"):
        find_cjk_font(("No Such CJK Font",))


@pytest.mark.parametrize("name", ["levels", "projection", "subjects"])
def test_fixed_layout_renders_exactly_as_the_constrained_layout(name, frames):
    """fix_layout solves the layout once and keeps it (the PNG and the SVG download reuse
    it): the pixels are those of matplotlib's own save, which solves the layout on every
    save; figure_png is that picture as an indexed-colour PNG (flat colours exact, edge
    pixels within one palette step)."""
    import io

    import numpy as np

    from analysis.chart_png import decoded, is_indexed_png

    def plain(fig, fmt):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=pl.params()["chart"]["dpi"])
        return buffer.getvalue()

    reference = CHARTS[name](frames)
    expected = decoded(plain(reference, "png"))
    fig = CHARTS[name](frames)
    pl.fix_layout(fig)
    assert fig.get_layout_engine() is None  # layout fixed; no engine left to make savefig draw twice
    assert np.array_equal(decoded(plain(fig, "png")), expected)
    png = pl.figure_png(fig)
    assert is_indexed_png(png) and len(png) < len(plain(fig, "png")) / 2
    got = decoded(png)
    assert got.shape == expected.shape
    diff = np.abs(got.astype(int) - expected.astype(int)).max(axis=2)
    assert diff.max() <= 16 and (diff == 0).mean() > 0.9
    # the most frequent colours (background, grid) are exact
    colours, counts = np.unique(expected.reshape(-1, 3), axis=0, return_counts=True)
    for colour in colours[np.argsort(-counts)[:3]]:
        where = (expected == colour).all(axis=2)
        assert (got[where] == colour).all()
    # a second format keeps the same axes positions
    positions = [ax.get_position().bounds for ax in fig.axes]
    assert plain(fig, "svg").startswith(b"<?xml")
    assert [ax.get_position().bounds for ax in fig.axes] == positions
    assert [ax.get_position().bounds for ax in reference.axes] == positions
    plt.close(fig)
    plt.close(reference)


@pytest.mark.parametrize("name", list(CHARTS))
def test_titles_sit_where_the_automatic_placement_would_put_them(name, frames):
    """The house style fixes every axes title at the top of its axes (axes.titley = 1.0)
    instead of letting matplotlib measure every tick label to place it: nothing is drawn
    above an axes (no offset or power-of-ten text), so the pixels are the same."""
    import io

    import numpy as np

    from analysis.chart_png import decoded

    def pixels(fig):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=pl.params()["chart"]["dpi"])
        plt.close(fig)
        return decoded(buffer.getvalue())

    fig = CHARTS[name](frames)
    if is_missing(fig):
        pytest.skip("nothing drawn for the fixture")
    fixed = pixels(fig)
    assert all(ax.yaxis.offsetText.get_text() == "" and ax.xaxis.offsetText.get_text() == "" for ax in fig.axes)
    with mpl.rc_context({"axes.titley": None}):
        automatic = pixels(CHARTS[name](frames))
    assert np.array_equal(fixed, automatic)


def test_big_numbers_print_whole_on_the_axis():
    fig, axes = pl.new_figure()
    axes[0, 0].plot([2021, 2022, 2023], [4_200_000, 4_200_350, 4_200_700])
    pl.figure_png(fig)
    labels = [t.get_text() for t in axes[0, 0].get_yticklabels() if t.get_text()]
    plt.close(fig)
    assert axes[0, 0].yaxis.offsetText.get_text() == "" and any(len(t.replace(",", "")) >= 7 for t in labels)


def test_a_chart_with_transparent_parts_stays_as_matplotlib_draws_it():
    """figure_png keeps an RGBA PNG when the figure is not opaque (no palette can hold alpha)."""
    from analysis.chart_png import decoded, is_indexed_png

    fig, axes = pl.new_figure()
    fig.patch.set_alpha(0.0)
    axes[0, 0].plot([0, 1], [0, 1])
    png = pl.figure_png(fig)
    plt.close(fig)
    assert not is_indexed_png(png) and png.startswith(b"\x89PNG") and decoded(png).shape[2] == 3


def test_the_chart_style_is_seaborns_whitegrid_theme_without_importing_seaborn():
    """analysis/data/chart_style.yaml holds what seaborn's set_theme(style="whitegrid",
    palette="deep") sets; the charts apply it so a report kernel never imports seaborn."""
    import subprocess
    import sys

    code = r'''
import json, sys
import matplotlib as mpl
mpl.use("Agg")
import matplotlib.colors as mcolors
def state():
    fonts = ("font.sans-serif", "font.family", "axes.unicode_minus", "image.cmap")  # analysis.fonts sets these
    rc = {k: str(v) for k, v in mpl.rcParams.items() if k not in fonts and k != "axes.prop_cycle"}
    rc["axes.prop_cycle"] = str([[round(x, 6) for x in mcolors.to_rgb(c["color"])] for c in mpl.rcParams["axes.prop_cycle"]])
    return rc, {k: list(mcolors.to_rgb(mcolors.colorConverter.colors[k])) for k in "bgrcmyk"}
if sys.argv[1] == "ours":
    from analysis import plotting
    plotting._style()
    assert "seaborn" not in sys.modules
else:
    import seaborn as sns
    from analysis import plotting
    sns.set_theme(style="whitegrid", palette="deep")
    chart = plotting.params()["chart"]
    mpl.rcParams.update({"figure.dpi": chart["dpi"], "savefig.dpi": chart["dpi"], "axes.titleweight": "normal",
        "axes.titlesize": 11, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8,
        "legend.title_fontsize": 8, "figure.titlesize": 13, "figure.titleweight": "normal",
        "axes.formatter.useoffset": False, "axes.formatter.limits": (-5, 12), "axes.titley": 1.0})
print(json.dumps(state()))
'''
    import json

    ours, seaborns = (json.loads(subprocess.run([sys.executable, "-c", code, which], capture_output=True, text=True,
                                                check=True).stdout) for which in ("ours", "seaborn"))
    for code in "bgrcmyk":
        assert ours[1][code] == pytest.approx(seaborns[1][code]), code
    assert {k: v for k, v in ours[0].items() if v != seaborns[0].get(k)} == {}
    import numpy as np
    import seaborn as sns

    assert np.allclose(pl.red_shades(4), sns.color_palette("Reds", 4))


@pytest.mark.parametrize("name", ["trend", "trend_published", "projection", "levels", "school_values"])
def test_value_axes_separate_thousands_and_year_axes_never_do(name, frames):
    """Axes print numbers as the bar labels and the tables do (7,000); a year is never 2,024."""
    fig = CHARTS[name](frames)
    pl.figure_png(fig)
    years = [t.get_text() for ax in fig.axes for t in ax.get_xticklabels()] if name != "school_values" else []
    values = [t.get_text() for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
              for t in axis.get_ticklabels() if t.get_text()]
    plt.close(fig)
    assert not [y for y in years if "," in y and y.replace(",", "").isdigit() and 1900 <= int(y.replace(",", "")) <= 2100]
    assert not [v for v in values if v.lstrip("-").replace(".", "").isdigit() and abs(float(v)) >= 1000
                and v not in years]
