"""``publish --scope city|province`` end to end on the small sample (示例数据（合成）), also on partial data."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis.publish.export import external_references
from analysis.tables import read_table, write_tables

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _errors(nb) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.get("output_type") == "error"]


def _text(nb) -> str:
    out = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            data = o.get("data", {})
            out.append(data.get("text/markdown", "") + data.get("text/plain", "") + data.get("text/html", ""))
    return "\n".join(out)


def test_city_notebook_is_stored_stripped_with_scalar_parameters():
    nb = nbformat.read(NOTEBOOKS / "city_report.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    names = {line.split("=")[0].strip() for line in code[0].source.splitlines() if "=" in line.split("#")[0]}
    assert names == {"scope", "region", "year", "processed_dir", "output_dir", "standards", "groups_file"}
    assert sum(len(c.source.splitlines()) for c in code) < 120


def test_publish_scope_city_and_province_end_to_end(sample_processed, tmp_path):
    from analysis.__main__ import main

    out = tmp_path / "reports"
    code = main(["publish", "--processed", str(sample_processed), "--out", str(out), "--scope", "city,province",
                 "--jobs", "1", "--no-progress", "--notebooks-dir", str(NOTEBOOKS), "--keep-notebooks"])
    assert code == 0
    year = int(read_table("core_schools", sample_processed, columns=["year"])["year"].max())
    index = (out / str(year) / "index.html").read_text(encoding="utf-8")
    assert 'href="city/%E7%A4%BA%E4%BE%8B%E5%B8%82/city_report.html">示例市</a>' in index
    assert 'href="province/%E7%A4%BA%E4%BE%8B%E7%9C%81/city_report.html">示例省</a>' in index
    folder = out / str(year) / "city" / "示例市"
    nb = nbformat.read(folder / "city_report.ipynb", as_version=4)
    assert not _errors(nb)
    text = _text(nb)
    for county in read_table("core_schools", sample_processed, columns=["county"])["county"].unique():
        assert county in text  # every county in the comparison
    assert "主城区" in text and "示例数据（合成）" in text
    html = (folder / "city_report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and external_references(html) == []
    assert 'href="../../index.html"' in html
    # each chart stored once: the page shows the PNG download files, no base64 copies
    assert "data:image/png;base64," not in html and html.count('<img alt="图表：') >= 4
    assert 'href="../../_assets/report.css"' in html
    # downloads beside the page: the tables in one workbook, the charts as PNG and SVG, linked
    import openpyxl

    sheets = openpyxl.load_workbook(folder / "city_report.xlsx").sheetnames
    assert sheets[0] == "说明" and any("四、各县（区）对比" in n for n in sheets)
    charts = sorted((folder / "city_report_charts").glob("*"))
    assert len([c for c in charts if c.suffix == ".png"]) == len([c for c in charts if c.suffix == ".svg"]) >= 4
    assert 'href="city_report.xlsx"' in html and "city_report_charts/" in html
    # a county-only run afterwards keeps the city report linked from the index
    from analysis.publish.runner import publish

    again = publish(sample_processed, out, counties="all", notebooks_dir=NOTEBOOKS, notebooks=["published_figures"],
                    jobs=1, echo=None, verdicts=False)
    assert "city/%E7%A4%BA%E4%BE%8B%E5%B8%82/city_report.html" in again.index_path.read_text(encoding="utf-8")
    # nothing changed: the city report is skipped the second time
    third = publish(sample_processed, out, scope="city", notebooks_dir=NOTEBOOKS, jobs=1, echo=None, verdicts=False)
    assert third.results == [] and third.skipped == [("示例市", "city_report")]


def test_city_scope_refuses_a_county_run_of_the_city_notebook(sample_processed, tmp_path):
    from analysis.publish.runner import publish

    with pytest.raises(ValueError, match="--scope city"):
        publish(sample_processed, tmp_path, notebooks=["city_report"], notebooks_dir=NOTEBOOKS, echo=None)


@pytest.fixture(scope="module")
def partial_processed(sample_processed, tmp_path_factory) -> Path:
    """The sample with one county without any school-keyed table (only its county figures,
    attestations and survey) and another without a roster and classes."""
    out = tmp_path_factory.mktemp("partial_city")
    shutil.copytree(sample_processed, out, dirs_exist_ok=True)
    schools = read_table("core_schools", out)
    counties = sorted(schools["county"].unique())
    gone, no_roster = counties[0], counties[1]
    gone_ids = set(schools.loc[schools["county"] == gone, "school_id"])
    roster_ids = set(schools.loc[schools["county"] == no_roster, "school_id"])
    frames = {"core_schools": schools.loc[schools["county"] != gone]}
    sections = read_table("core_school_sections", out)
    frames["core_school_sections"] = sections.loc[sections["county"] != gone]
    for name, drop in [("core_teachers", gone_ids | roster_ids), ("core_classes", gone_ids | roster_ids),
                       ("core_enrolment", gone_ids)]:
        t = read_table(name, out)
        frames[name] = t.loc[~t["school_id"].isin(drop)]
    write_tables(frames, out)
    return out


def no_roster_county(processed: Path) -> str:
    schools = read_table("core_schools", processed, columns=["school_id", "county"])
    with_roster = set(schools.loc[schools["school_id"].isin(set(read_table("core_teachers", processed)["school_id"])),
                                  "county"])
    return sorted(set(schools["county"]) - with_roster)[0]


def test_city_report_on_partial_data_shows_dashes_and_notes(partial_processed, tmp_path):
    # publishing passes no output folder; run the notebook with one to read its comparison table
    from analysis.publish.kernel import WarmKernel, WorkerOptions

    schools = read_table("core_schools", partial_processed, columns=["county"])
    figures = read_table("core_county_figures", partial_processed, columns=["county"])
    gone = sorted(set(figures["county"]) - set(schools["county"]))
    assert gone, "the partial fixture must have a county without schools"
    year = int(read_table("core_schools", partial_processed, columns=["year"])["year"].max())
    out = tmp_path / "city_report.ipynb"
    warm = WarmKernel(WorkerOptions(cell_timeout=300))
    try:
        warm.run_notebook(NOTEBOOKS / "city_report.ipynb", out, {
            "scope": "city", "region": "示例市", "year": year, "processed_dir": str(partial_processed),
            "output_dir": str(tmp_path / "out"), "standards": "national", "groups_file": ""}, NOTEBOOKS)
    finally:
        warm.close()
    nb = nbformat.read(out, as_version=4)
    assert not _errors(nb)
    text = _text(nb)
    assert "未提供专任教师名册（表2），未计入" in text
    table = pd.read_csv(tmp_path / "out" / f"示例市_{year}_各县对比.csv")
    rows = table.set_index("县（区）")
    row = rows.loc[gone[0]]
    # no schools: no coefficient, the reason named (the engine may still judge its county figures)
    assert pd.isna(row["小学L1"]) and pd.isna(row["初中L7"])
    assert f"{year}年未提供学校基本情况表（表1）" in row["说明"]
    assert "专任教师名册（表2）" in rows.loc[no_roster_county(partial_processed), "说明"]
