"""Notebook helpers: parameters resolved against the data, county filters, output names."""

from __future__ import annotations

import pandas as pd
import pytest
from test_analyses_fixture import COUNTIES, small_processed  # noqa: F401  (fixture)

from analysis.presentation import load_context
from analysis.studies import data_source, params, with_groups
from analysis.tables import read_table


def test_defaults_pick_the_first_county_and_its_latest_year(small_processed):  # noqa: F811
    ctx = load_context(small_processed)
    assert ctx.county == sorted(COUNTIES)[0] and ctx.year == 2024
    assert ctx.counties == tuple(sorted(COUNTIES)) and ctx.years == (2022, 2023, 2024)
    assert ctx.synthetic and ctx.heading().endswith("示例数据（合成）")
    assert ctx.output_dir is None and ctx.output_path("x.png") is None


def test_unknown_county_or_year_lists_the_allowed_values(small_processed):  # noqa: F811
    with pytest.raises(ValueError, match="choose one of: '城东区'"):
        load_context(small_processed, county="不存在县")
    with pytest.raises(ValueError, match="year=2019 is not allowed"):
        load_context(small_processed, county="河西县", year=2019)


def test_standards_are_checked_and_named_in_the_heading(small_processed):  # noqa: F811
    ctx = load_context(small_processed, standards="shanxi")
    assert ctx.standards_label == "山西省标准" and "（评估标准：山西省标准）" in ctx.heading()
    with pytest.raises(ValueError, match="nowhere"):
        load_context(small_processed, standards="nowhere")


def test_tables_are_shown_whole_in_reports(small_processed):  # noqa: F811
    with pd.option_context("display.max_colwidth", 50, "display.max_rows", 60):
        load_context(small_processed)
        long = pd.DataFrame({"说明": ["很长的说明" * 30] * 120})
        html = long._repr_html_()
    assert "…" not in html and html.count("</tr>") == 121  # header + 120 rows


def test_read_restricts_to_the_county_and_year(small_processed, tmp_path):  # noqa: F811
    ctx = load_context(
        small_processed, county="河西县", year=2023, output_dir=str(tmp_path / "out")
    )
    schools = read_table("core_schools", small_processed)
    mine = set(schools.loc[schools["county"] == "河西县", "school_id"])
    classes = ctx.read("core_classes", all_years=False)
    assert set(classes["school_id"]) <= mine and set(classes["year"]) == {2023}
    assert len(ctx.read("core_classes")) > len(classes)  # all years
    assert set(ctx.read("core_school_sections")["county"]) == {"河西县"}
    assert ctx.read("core_teachers", all_years=False)["school_id"].isin(mine).all()
    path = ctx.save_table(pd.DataFrame({"a": [1]}), "表")
    assert path == tmp_path / "out" / "河西县_2023_表.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel


def test_county_names_from_data_cannot_leave_the_output_folder(tmp_path):
    from analysis.presentation import DataContext

    ctx = DataContext(
        tmp_path, "../evil", 2024, ("../evil",), (2024,), "s", False, tmp_path / "out"
    )
    path = ctx.output_path("a.png")
    assert path.parent == tmp_path / "out" and path.name.endswith("_2024_a.png")


def test_data_source_and_groups():
    src, synthetic = data_source(
        pd.DataFrame({"city": ["示例市"], "source_file": ["x/城东区_示例.xlsx"]})
    )
    assert synthetic and src.startswith("示例市")
    assert data_source(pd.DataFrame({"city": ["长治市"], "source_file": ["a.xlsx"]})) == (
        "长治市教育事业统计报表",
        False,
    )
    df = pd.DataFrame({"area_type": ["urban"], "section": ["senior"]})
    out = with_groups(df, section="section")
    assert sorted(out["section_group"]) == ["senior", "senior"]  # senior is not compulsory
    assert params()["standards"] == "national"
