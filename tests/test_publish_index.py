"""The year's index page: verdicts, key figures, links, escaping; and the skip state."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.publish.index import (
    PARTS,
    SYNTHETIC_LABEL,
    county_summary,
    describe_source,
    render_index,
)
from analysis.publish.state import (
    inputs_digest,
    is_up_to_date,
    job_fingerprint,
    read_state,
    write_state,
)

COUNTIES = ["城东区", "乙县", "<script>alert(1)</script>"]


@pytest.fixture
def engine_tables():
    parts = [*PARTS, "overall"]
    verdict = pd.DataFrame({
        "year": 2024,
        "county": [c for c in COUNTIES for _ in parts],
        "part": parts * len(COUNTIES),
        "is_met": [True] * 6 + [True, False, True, True, True, False] + [False, True, True, True, False, False],
        "reason": [""] * 6 + ["", "", "", "", "", "政府保障程度未达标"] + [""] * 5 + ["一票否决：<b>x</b>"],
    })
    cv = pd.DataFrame({
        "county": ["城东区", "城东区", "乙县", "乙县"],
        "section": ["primary", "junior", "primary", "junior"],
        "indicator": ["L4", "L4", "L6", "L1"],
        "cv": [0.31, 0.40, 0.62, 0.47],
        "threshold": [0.50, 0.45, 0.50, 0.45],
        "is_met": [True, True, False, False],
    })
    resource_schools = pd.DataFrame({
        "county": ["城东区", "城东区", "城东区", "乙县"], "passes": [True, False, False, pd.NA],
        "is_counted": [True, True, False, True],  # a special school's section is not counted
    })
    schools = pd.DataFrame({
        "county": ["城东区", "城东区", "乙县", "乙县", "乙县"],
        "is_counted_school": [True, True, True, False, True],
        "students_primary": pd.array([1200, 800, 300, 20, pd.NA], dtype="Int64"),
        "students_junior": pd.array([0, 600, 150, 0, 200], dtype="Int64"),
    })
    return verdict, cv, resource_schools, schools


def test_county_summary_figures(engine_tables):
    summary = county_summary(*engine_tables).set_index("county")
    east, yi, bad = summary.loc["城东区"], summary.loc["乙县"], summary.loc[COUNTIES[2]]
    assert bool(east.overall) and bool(east.resource)
    assert not bool(yi.overall) and not bool(yi.guarantee) and bool(yi.resource)
    assert yi.overall_reason == "政府保障程度未达标"
    assert (east.n_schools, east.n_students) == (2, 2600)
    assert (yi.n_schools, yi.n_students) == (2, 670)  # the teaching point is not counted as a school
    assert (east.n_cv, east.n_cv_over, yi.n_cv_over) == (2, 0, 2)
    assert yi.cv_over_detail == "小学 L6 0.620 > 0.50；初中 L1 0.470 > 0.45"
    assert (east.n_sections, east.n_sections_failing) == (2, 1)
    assert yi.n_sections_failing == 1  # an unknown pass is not a pass
    assert pd.isna(bad.n_sections) or bad.n_sections == 0


def test_county_summary_without_optional_tables(engine_tables):
    verdict = engine_tables[0]
    summary = county_summary(verdict)
    assert list(summary["county"]) == sorted(COUNTIES)
    assert summary["n_schools"].isna().all() and summary["n_cv_over"].isna().all()
    assert str(summary["overall"].dtype) == "boolean"


def _states():
    return {
        "城东区": {"notebooks": {
            "county_report": {"status": "ok", "html": "county_report.html", "ipynb": "county_report.ipynb",
                              "title": "县域报告", "finished_at": "2024-09-01T10:00:00+08:00", "error": None},
            "teacher_structure": {"status": "failed", "html": "teacher_structure.html",
                                  "ipynb": "teacher_structure.ipynb", "title": "教师结构",
                                  "error": "KeyError: '<b>年龄</b>' (cell In [4])"},
        }},
        COUNTIES[2]: {"notebooks": {
            "county_report": {"status": "ok", "html": "county_report.html", "ipynb": "county_report.ipynb",
                              "title": "县域报告"},
        }},
    }


def test_render_index(engine_tables):
    summary = county_summary(*engine_tables)
    folders = {"城东区": "城东区", "乙县": "乙县", COUNTIES[2]: "_script_alert(1)__script_-abc"}
    html = render_index(
        2024, COUNTIES, folders, _states(), summary=summary,
        notebooks=["county_report", "teacher_structure"], source=SYNTHETIC_LABEL, standards="国家标准",
        run_date="2024-09-01 10:00",
    )
    assert '<html lang="zh-CN">' in html
    assert "示例数据（合成）" in html and "2024-09-01 10:00" in html and "国家标准" in html
    # every county listed, the hostile name escaped everywhere
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the only script is the inlined table script (sorting, filtering)
    assert html.lower().count("<script") == 1 and "function enhanceTable" in html
    assert "一票否决：&lt;b&gt;x&lt;/b&gt;" in html
    # links are URL-encoded and relative to the index
    assert 'href="%E5%9F%8E%E4%B8%9C%E5%8C%BA/county_report.html"' in html
    assert 'href="_script_alert%281%29__script_-abc/county_report.html"' in html
    # failures are visible with their error; a county that never ran says so
    assert "KeyError: &#39;&lt;b&gt;年龄&lt;/b&gt;&#39; (cell In [4])" in html
    assert html.count("未运行") >= 2  # 乙县 has no reports at all
    row_yi = re.search(r"<tr class=\"status-missing\">.*?</tr>", html, re.S).group(0)
    assert "乙县" in row_yi and "未达标" in row_yi
    assert "差异系数超标项" in html and "小学 L6 0.620 &gt; 0.50" in html
    assert "运行失败 1 个" in html
    assert "http://" not in html and "https://" not in html


def test_render_index_without_verdicts():
    html = render_index(2024, ["城东区"], {"城东区": "城东区"}, {}, evaluation_error="MissingTableError: x")
    assert "未能计算评估结论：MissingTableError: x" in html
    assert "—" in html


def test_describe_source(tmp_path, monkeypatch):
    from analysis.dictionary import empty_frame

    assert describe_source(tmp_path) != SYNTHETIC_LABEL  # no table: nothing says it is synthetic
    frame = empty_frame("core_schools")
    import analysis.tables as tables

    def fake_read(name, processed_dir, columns=None, filters=None):
        return pd.DataFrame({"source_file": ["城东区/城东区_学校基本情况_2018-2024_示例.xlsx"]})

    monkeypatch.setattr(tables, "read_table", fake_read)
    assert describe_source(tmp_path) == SYNTHETIC_LABEL
    monkeypatch.setattr(tables, "read_table", lambda *a, **k: pd.DataFrame({"source_file": ["2024年统计.xlsx"]}))
    assert describe_source(tmp_path) != SYNTHETIC_LABEL
    assert "source_file" in frame.columns


def test_skip_state(tmp_path):
    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "core_schools.parquet").write_bytes(b"v1")
    digest = inputs_digest(processed)
    params = {"county": "城东区", "year": 2024}
    fp = job_fingerprint(digest, params, "nb-digest")
    folder = tmp_path / "reports" / "2024" / "城东区"
    assert not is_up_to_date(folder, "county_report", fp)  # never ran
    folder.mkdir(parents=True)
    (folder / "county_report.html").write_text("x")
    (folder / "county_report.ipynb").write_text("{}")
    entry = {"status": "ok", "fingerprint": fp, "html": "county_report.html", "ipynb": "county_report.ipynb"}
    write_state(folder, {"county": "城东区", "notebooks": {"county_report": entry}})
    assert read_state(folder)["notebooks"]["county_report"]["fingerprint"] == fp
    assert is_up_to_date(folder, "county_report", fp)
    # changed input, parameter or notebook: a different fingerprint
    (processed / "core_schools.parquet").write_bytes(b"v2")
    assert job_fingerprint(inputs_digest(processed), params, "nb-digest") != fp
    assert job_fingerprint(digest, {**params, "year": 2023}, "nb-digest") != fp
    assert job_fingerprint(digest, params, "other") != fp
    # a failed last run or a deleted page is never up to date
    write_state(folder, {"notebooks": {"county_report": {**entry, "status": "failed"}}})
    assert not is_up_to_date(folder, "county_report", fp)
    write_state(folder, {"notebooks": {"county_report": entry}})
    (folder / "county_report.html").unlink()
    assert not is_up_to_date(folder, "county_report", fp)
    # an unreadable state is an empty one
    (folder / "publish_state.json").write_text("{not json")
    assert read_state(folder) == {"notebooks": {}}
