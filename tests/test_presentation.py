"""Report craft: every column printed by its kind (years without separators, counts as
integers, shares with %, coefficients to 3 decimals), long tables collapsed, single-series
charts replaced by a sentence, the generated summary of a passing and a failing county, the
"missing" result."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.missing import Missing, is_missing, missing
from analysis.presentation import county_summary, fmt, shortfall_table, show, table
from analysis.presentation.report_table import collapse_rows


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        pytest.param(1105.0, "count", "1,105", id="count-float"),
        pytest.param(1234567, "count", "1,234,567", id="count-int"),
        pytest.param(12345.678, "area", "12,345.68", id="area"),
        pytest.param(0.4512, "coef", "0.451", id="cv"),
        pytest.param(2024, "year", "2024", id="year"),
        pytest.param(2024.0, "year", "2024", id="year-float"),
        pytest.param("2010000005", "id", "2010000005", id="id"),
        pytest.param(72.4138, "share", "72.4%", id="share"),
        pytest.param(6796.256, "yuan", "6,796.26", id="yuan"),
        pytest.param(-0.001, "wan", "0.00", id="no-negative-zero"),
        pytest.param(float("nan"), "count", "—", id="nan"),
        pytest.param(pd.NA, "share", "—", id="na"),
        pytest.param(False, "bool", "否", id="bool"),
    ],
)
def test_one_formatter_per_kind(value, kind, expected):
    assert fmt(value, kind) == expected


def test_counts_print_as_integers_with_separators_and_units_in_headers():
    df = pd.DataFrame({
        "year": [2023, 2024],
        "students": [1105.0, 23336.0],  # a count that went through float (NaN elsewhere)
        "teachers": pd.array([12, None], dtype="Int64"),
        "share_pct": [12.345, 50.0],
        "section": ["primary", "junior"],
    })
    rt = table(df)
    t = rt.text_frame()
    assert t.columns.tolist()[:3] == ["年份", "学生数（人）", "专任教师数（人）"]
    assert t["学生数（人）"].tolist() == ["1,105", "23,336"]
    assert t["专任教师数（人）"].tolist() == ["12", "—"]
    assert t["年份"].tolist() == ["2023", "2024"]  # years are not 2,024
    assert t.iloc[1, 4] == "初中"
    html = rt.to_html()
    assert ">1105.0<" not in html and ">2,024<" not in html and "<th></th>" not in html
    assert html.count("<tr>") == 3  # one header row, no index-name row


def test_pivot_row_labels_are_kept_and_positions_are_not():
    wide = pd.DataFrame({"城区": [10.0, 20.0]}, index=pd.Index(["30岁以下", "50岁以上"], name="age_group"))
    t = table(wide)
    assert t.text_rows()[0][0] == "30岁以下" and t.headers[0] != "age_group"
    filtered = pd.DataFrame({"students": [1, 2, 3]}).iloc[[2]]  # index 2: a position, not data
    assert table(filtered).headers == ["学生数（人）"]


def test_every_column_and_row_is_there():
    wide = pd.DataFrame({f"c{i}": range(400) for i in range(30)})
    html = table(wide, kinds={f"c{i}": "count" for i in range(30)})._repr_html_()
    assert "..." not in html and "rows ×" not in html
    assert html.count("<tr>") == 401 and html.count("<th>") == 31


@pytest.mark.parametrize(("rows", "collapsed"), [(15, False), (16, True), (300, True)])
def test_long_tables_collapse_with_their_row_count(rows, collapsed):
    assert collapse_rows() == 15
    t = table(pd.DataFrame({"students": range(rows)}))
    html = t._repr_html_()
    assert t.is_collapsed is collapsed
    assert html.startswith("<details") is collapsed
    if collapsed:
        assert f"<summary>共 {rows:,} 行（点击展开）</summary>" in html
    assert html.count("<tr>") >= rows  # every row is there, only folded


def test_table_threshold_is_a_parameter():
    assert not table(pd.DataFrame({"a": range(40)}), collapse_rows=50).is_collapsed


def _levels(areas):
    rows = [{"year": 2024, "county": "甲区", "section_group": "primary", "indicator": "L4", "area_group": a,
             "value": 5.0} for a in [*areas, "all"]]
    return pd.DataFrame(rows)


def test_single_area_chart_is_replaced_by_a_sentence():
    from analysis import plotting as pl

    out = pl.levels_chart(_levels(["urban"]), section="primary", source="示例", synthetic=True)
    assert is_missing(out)
    assert out.sentence() == "该县（区）小学只有城区学校，无法进行城乡比较（各项水平见下表）。"
    fig = pl.levels_chart(_levels(["urban", "rural"]), section="primary", source="示例", synthetic=True)
    assert not is_missing(fig)
    pl.plt.close(fig)


def test_single_area_trend_is_replaced_but_a_section_trend_is_drawn():
    from analysis import plotting as pl

    t = pd.DataFrame({"year": [2023, 2024] * 2, "students": [10, 12, 5, 6],
                      "area_group": ["urban"] * 2 + ["all"] * 2, "section_group": ["primary"] * 2 + ["junior"] * 2})
    assert pl.trend_chart(t, hue="area_group", source="示例").sentence().startswith("该县（区）只有城区学校")
    fig = pl.trend_chart(t, source="示例")
    assert not is_missing(fig)
    pl.plt.close(fig)


def test_charts_pass_a_missing_through():
    from analysis import plotting as pl

    m = missing("计算教师年龄结构", "core_teachers")
    assert pl.age_band_chart(m, source="示例") is m
    assert show(m) is None


def test_missing_is_a_null_object_with_one_sentence():
    m = missing("预测学位需求", "core_enrolment", "core_schools")
    assert m.sentence() == "缺少分年级在校生数（在校生分年级表）和学校基本情况（学校基本情况表），无法预测学位需求。"
    assert m.places.query("area_group == 'all'")["students"].map(str) is m
    assert not m and len(m) == 0 and m.empty and list(m) == []
    with pytest.raises(ValueError, match="unknown missing inputs"):
        Missing("x", ("core_nothing",))
    with pytest.raises(ValueError, match="needs missing inputs or a reason"):
        Missing("x")


def _evaluation(passing: bool):
    from analysis.indicators import evaluate
    from analysis.indicators.evaluation import example_inputs
    from analysis.sections import build_school_sections, teacher_counts_from_roster

    inputs = example_inputs()
    if passing:  # 示例二小 gets the sports ground it lacks (L5 was its one unmet indicator)
        schools = inputs["core_schools"].copy()
        schools.loc[schools["school_name"] == "示例二小", "sports_ground_area_m2"] = 3000.0
        inputs["core_schools"] = schools
        inputs["core_school_sections"] = build_school_sections(schools, teacher_counts_from_roster(inputs["core_teachers"]))
    return evaluate(inputs, year=2024, standards="national")


def test_summary_of_a_failing_county_names_the_verdict_numbers_and_what_is_missing():
    text = county_summary(_evaluation(False), "示例县")
    lines = text.splitlines()
    assert lines[0].startswith("**评估结论：未通过**（示例县，2024年）")
    assert "达到“6项达标、余项不低于85%”的学校（学段）2/3（66.7%）" in text
    assert "小学差异系数最大" in text and "上限0.50" in text
    assert any(line.startswith("- 要达标还需：") and "L5" in line and "450" in line for line in lines)
    assert "资源配置未达标" in text


def test_summary_of_a_passing_county():
    ev = _evaluation(True)
    text = county_summary(ev, "示例县")
    assert text.startswith("**评估结论：通过**")
    assert "的学校（学段）3/3（100.0%）" in text
    assert "要达标还需" not in text
    assert text.splitlines()[-1] == "- 五个方面均达标，且无一票否决情形。"
    assert shortfall_table(ev, "示例县") == "各校（学段）资源配置指标均无缺口。"


def test_summary_without_an_evaluation_says_what_is_missing():
    m = missing("按评估办法进行评估", "core_schools")
    assert county_summary(m, "甲县").sentence() == "缺少学校基本情况（学校基本情况表），无法给出评估摘要。"


def test_the_layer_exports_its_functions_whatever_was_imported_first():
    import importlib

    for mod in ("record", "excel", "report_table", "display", "context", "county", "kinds", "cache"):
        importlib.import_module(f"analysis.presentation.{mod}")
    import analysis.presentation as p

    for name in p.__all__:
        assert callable(getattr(p, name)), name
