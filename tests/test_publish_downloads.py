"""Report downloads: every displayed table in one .xlsx, every chart as PNG and SVG, linked from the HTML.

Works for any notebook: the end-to-end test publishes a small notebook written here that
shows tables and charts in the ways notebooks do (last expression, ``display``, ``pl.show``,
``plt.show``), with nothing about downloads in it. Data: the small synthetic sample
(示例数据（合成）).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import openpyxl  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from test_publish_support import unlinked_files  # noqa: E402

from analysis.presentation import record as collect  # noqa: E402
from analysis.publish import downloads  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _check_png(data: bytes) -> None:
    assert data.startswith(PNG_MAGIC) and len(data) > 1000


def _check_svg(data: bytes) -> None:
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")


def test_recorded_tables_and_charts_become_a_workbook_and_files(tmp_path):
    from analysis.plotting import use_style

    use_style()  # the CJK font, as in every chart of the project
    collect.start(tmp_path / "rec", install=False)
    collect.record_heading("## 一、评估结论")
    collect.record_table(pd.DataFrame({"评估内容": ["资源配置"], "达标情况": ["未达标"]}))
    collect.record_table(pd.DataFrame({"x": [1.5, None]}))  # same heading: gets （2）
    collect.record_table(pd.DataFrame())  # empty: not a sheet
    wide = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("城区", "小学"), ("乡村", "小学")]))
    collect.record_heading("### 城乡/对比[全部]")
    collect.record_table(wide)
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    fig.suptitle("城东区在校生数")
    collect.record_figure(fig)
    plt.close(fig)
    manifest = collect.finish()
    assert [i["kind"] for i in manifest["items"]] == ["table", "table", "table", "figure"]
    assert not collect.active()

    files, links = downloads.build(tmp_path / "rec", None, "county_report",
                                   {"title": "县域报告", "county": "城东区", "year": 2024, "source": "示例数据（合成）"})
    assert links["xlsx"] == {"href": "county_report.xlsx", "sheets": 3}
    path = tmp_path / "county_report.xlsx"
    path.write_bytes(files["county_report.xlsx"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["说明", "表01 一、评估结论", "表02 一、评估结论（2）", "表03 城乡_对比_全部_"]
    about = [r for r in wb["说明"].iter_rows(values_only=True)]
    assert ("县（区）/地区", "城东区") in about and any("示例数据（合成）" in str(v) for r in about for v in r)
    first = list(wb["表01 一、评估结论"].iter_rows(values_only=True))
    assert first[0][0] == "一、评估结论" and "示例数据（合成）" in first[1][0]
    assert first[3] == ("评估内容", "达标情况") and first[4] == ("资源配置", "未达标")
    assert list(wb["表03 城乡_对比_全部_"].iter_rows(values_only=True))[3] == ("城区 / 小学", "乡村 / 小学")
    chart = links["charts"][0]
    assert chart["title"] == "城东区在校生数"
    _check_png(files[unquote(chart["png"])])
    _check_svg(files[unquote(chart["svg"])])


def test_without_a_manifest_there_are_no_downloads(tmp_path):
    assert downloads.build(tmp_path, None, "x", {}) == ({}, None)


def test_write_files_replaces_earlier_downloads_and_stays_inside(tmp_path):
    downloads.write_files(tmp_path, "r", {"r.xlsx": b"1", "r_charts/01_a.png": b"2"})
    downloads.write_files(tmp_path, "r", {"r_charts/01_b.png": b"3"})
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["01_b.png"]
    with pytest.raises(ValueError, match="would leave"):
        downloads.write_files(tmp_path, "r", {"../x.png": b"4"})


PROBE = [
    nbformat.v4.new_markdown_cell("# 探针报告"),
    nbformat.v4.new_code_cell('county = ""\nyear = 0\nprocessed_dir = ""\noutput_dir = ""\nstandards = "national"',
                              metadata={"tags": ["parameters"]}),
    nbformat.v4.new_markdown_cell("## 一、学校数"),
    nbformat.v4.new_code_cell(
        "import pandas as pd\nfrom analysis.studies import display_table\n"
        "display_table(pd.DataFrame({'county': [county], 'students': [1105]}))"),
    nbformat.v4.new_code_cell(
        "from IPython.display import Markdown, display\nimport matplotlib.pyplot as plt\n"
        "from analysis import plotting as pl\n"
        "display(Markdown('### 二、分城乡'))\ndisplay(pd.DataFrame({'a': [1, 2]}))\n"
        "fig, ax = plt.subplots(); ax.bar(['城区'], [3]); fig.suptitle('用 pl.show 显示的图')\npl.show(fig)\n"
        "fig2, ax2 = plt.subplots(); ax2.plot([1, 2]); ax2.set_title('用 plt.show 显示的图')\nplt.show()"),
]


def test_publish_writes_downloads_for_any_notebook_and_links_them(sample_processed, tmp_path):
    from analysis.publish.runner import counties_of_year, latest_year, publish

    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=PROBE, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}), nbdir / "probe.ipynb")
    year = latest_year(sample_processed)
    county = counties_of_year(sample_processed, year)[0]
    result = publish(sample_processed, tmp_path / "out", counties=county, notebooks_dir=nbdir, jobs=1,
                     echo=None, verdicts=False, keep_notebooks=True)
    assert not result.failed, result.summary()
    folder = result.out_dir / str(year) / county
    wb = openpyxl.load_workbook(folder / "probe.xlsx")
    assert wb.sheetnames == ["说明", "表01 一、学校数", "表02 二、分城乡"]
    rows = list(wb["表01 一、学校数"].iter_rows(values_only=True))
    assert rows[3][1:] == ("县（区）", "学生数（人）") and rows[4][1:] == (county, 1105)
    pngs = sorted((folder / "probe_charts").glob("*.png"))
    svgs = sorted((folder / "probe_charts").glob("*.svg"))
    assert [p.stem for p in pngs] == [p.stem for p in svgs]
    assert [p.stem[:2] for p in pngs] == ["01", "02"] and "pl.show" in pngs[0].stem and "plt.show" in pngs[1].stem
    for p in pngs:
        _check_png(p.read_bytes())
    for s in svgs:
        _check_svg(s.read_bytes())
    html = (folder / "probe.html").read_text(encoding="utf-8")
    hrefs = {unquote(h) for h in re.findall(r'href="([^"]+)"', html)}
    assert "probe.xlsx" in hrefs
    for f in [*pngs, *svgs]:
        assert f"probe_charts/{f.name}" in hrefs
    # each chart stored once: the page shows the download PNGs (pl.show's and the inline
    # backend's), titled, with no base64 copy and no other image file
    srcs = [unquote(x) for x in re.findall(r'<img [^>]*src="([^"]+)"', html)]
    assert srcs == [f"probe_charts/{p.name}" for p in pngs]
    assert "base64," not in html and 'alt="图表：用 pl.show 显示的图"' in html
    assert unlinked_files(folder, result.out_dir / str(year)) == ["probe.ipynb"]  # kept: asked for
    # the notebook's own outputs are unchanged: still the two images, no recorder output
    nb = nbformat.read(folder / "probe.ipynb", as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2
    assert not any(collect.MIME in o.get("data", {}) for o in outputs)


def test_no_downloads_option(sample_processed, tmp_path):
    from analysis.publish.kernel import WorkerOptions
    from analysis.publish.runner import counties_of_year, latest_year, publish

    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=PROBE[:4], metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}}), nbdir / "probe.ipynb")
    year = latest_year(sample_processed)
    county = counties_of_year(sample_processed, year)[0]
    result = publish(sample_processed, tmp_path / "out", counties=county, notebooks_dir=nbdir, jobs=1,
                     echo=None, verdicts=False, options=WorkerOptions(downloads=False))
    folder = result.out_dir / str(year) / county
    assert not result.failed and not (folder / "probe.xlsx").exists()
    assert '<div class="edu-downloads">' not in (folder / "probe.html").read_text(encoding="utf-8")

