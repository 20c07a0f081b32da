"""The Word documents (自查自评报告, 整改方案), read back with python-docx and checked against the engine.

Counties: the small synthetic sample (示例数据（合成）), the crafted 万盛-shaped county of
test_procedure_2024 (its pass counts as the 2025 self-evaluation prints them: L3 22/23,
L5 18/23, G3 24/26, G5 22/26) and partial cases (tests/partial_data.py).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import docx
import pandas as pd
import pytest
from partial_data import write_case
from test_procedure_2024 import COUNTY as WS_COUNTY
from test_procedure_2024 import YEAR as WS_YEAR
from test_procedure_2024 import wansheng_like

from analysis.documents import write_county_documents
from analysis.documents.plandoc import write_plan_docx
from analysis.documents.selfeval import write_selfeval
from analysis.documents.word import TEMPLATE_DIR
from analysis.indicators import evaluate, indicator_label, load_inputs
from analysis.indicators.counting import pass_sentence
from analysis.indicators.evaluation import available
from analysis.presentation.kinds import column_kind, fmt, kind_of_unit, pass_text

# ---------------------------------------------------------------------------- helpers

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def doc_text(path) -> str:
    d = docx.Document(str(path))
    lines = [p.text for p in d.paragraphs]
    for t in d.tables:
        lines += [" | ".join(c.text for c in row.cells) for row in t.rows]
    return "\n".join(lines)


def headings(path) -> list[tuple[str, str]]:
    d = docx.Document(str(path))
    return [(p.style.name, p.text) for p in d.paragraphs if p.style.name.startswith("Heading")]


def pass_sentences(ev) -> list[str]:
    pc = ev.pass_counts
    pc = pc.loc[pc["level"] == "all"]
    return [pass_sentence(r.n_units_met, r.n_units, r.n_units_not_met, r.n_units_missing, r.unit_scope,
                          r.n_units_met_final) for r in pc.itertuples()]


def check_against_engine(path, ev) -> str:
    """Every pass count, CV, county indicator sentence and resource value of ``ev`` is in the document."""
    text = doc_text(path)
    for s in pass_sentences(ev):
        assert s in text, s
    for r in ev.cv.itertuples():
        if pd.notna(r.cv):
            assert fmt(r.cv, column_kind("cv")) in text
    ci = ev.county_indicators
    for r in ci.loc[ci["part"].isin(["guarantee", "quality"]) & (ci["status"] != "missing")].itertuples():
        assert str(r.detail).strip().rstrip("。") in text, r.indicator
    d = docx.Document(str(path))
    appendix = d.tables[0]
    header = [c.text for c in appendix.rows[0].cells]
    rows = {(r.cells[0].text, r.cells[1].text): [c.text for c in r.cells] for r in appendix.rows[1:]}
    rv = ev.resource_values.loc[ev.resource_values["is_counted"].astype(bool)]
    assert len(rows) == rv.drop_duplicates(["school_id", "section"]).shape[0]
    from analysis.dictionary import value_label

    for r in rv.itertuples():
        key = (r.school_name, value_label("section", r.section))
        col = next(i for i, h in enumerate(header) if h.startswith(f"{r.indicator}（"))
        assert rows[key][col] == fmt(r.value, kind_of_unit(_unit(r.indicator)))
    return text


def _unit(key: str) -> str:
    from analysis.indicators import indicator_info

    return indicator_info(key)["unit"]


# ---------------------------------------------------------------------------- 万盛-shaped county


@pytest.fixture(scope="module")
def wansheng():
    county = wansheng_like()
    return county, evaluate(county, year=WS_YEAR)


@pytest.fixture(scope="module")
def wansheng_doc(wansheng, tmp_path_factory):
    county, ev = wansheng
    out = tmp_path_factory.mktemp("ws") / "万盛.docx"
    write_selfeval(ev, WS_COUNTY, WS_YEAR, out, schools=county["core_schools"], sections=county["core_school_sections"])
    return out


def test_wansheng_pass_counts_as_the_self_evaluation_prints_them(wansheng_doc, wansheng):
    text = check_against_engine(wansheng_doc, wansheng[1])
    for n, m in ((22, 23), (20, 23), (18, 23), (24, 26), (22, 26)):
        assert pass_text(n, m) in text
    assert "达标22/23（95.7%）" in text and "达标18/23（78.3%）" in text
    assert "未计入：特殊教育学校1所、50人以下教学点2个" in text
    assert "不达标小学4所、小学教学点1个" in text  # L5, failing units counted by kind
    assert "不达标初中1所" in text  # L3


def test_wansheng_basic_information(wansheng_doc, wansheng):
    county, _ = wansheng
    text = doc_text(wansheng_doc)
    s = county["core_schools"]
    students = int(s["students_primary"].fillna(0).sum() + s["students_junior"].fillna(0).sum())
    assert ("全区纳入接受义务教育优质均衡发展督导评估的学校（含校点）26所，其中，单办小学13所，单办初中5所，"
            "九年一贯制学校1所（含初中部1所、小学部1所），特殊教育学校1所，小学教学点5个（含2个50人以下教学点）。") in text
    assert f"义务教育阶段在校学生{fmt(students, 'count')}人" in text
    teachers = int(county["core_school_sections"]["teachers"].sum())
    assert f"专任教师{fmt(teachers, 'count')}人" in text


def test_outline_is_word_headings_and_missing_parts_are_named(wansheng_doc):
    h = headings(wansheng_doc)
    assert ("Heading 1", "一、基本情况") in h and ("Heading 1", "二、指标完成情况") in h
    assert ("Heading 2", "（一）资源配置情况") in h
    assert sum(1 for s, t in h if s == "Heading 3" and t.startswith("指标")) == 7 + 15 + 9
    text = doc_text(wansheng_doc)
    # the crafted county has no county figures: each such indicator says what is missing, never a figure
    assert "缺少评估该指标所需的数据（需要县级保障表），无法评估该指标。" in text
    assert "缺少社会认可度问卷（社会认可度问卷表），无法计算社会认可度。" in text
    assert "示例数据（合成）" in text  # synthetic data labelled


def test_judgement_is_written_beside_a_computed_failure(wansheng, tmp_path):
    county, ev = wansheng
    ci = ev.county_indicators.copy()
    g5 = ci["indicator"] == "G5"
    ci.loc[g5, "final_status"] = "met_after_rectification"
    ci.loc[g5, "judgement_detail"] = "2025年秋季学期新建教室4间"
    ev2 = type(ev)(**{**ev.__dict__, "county_indicators": ci})
    out = write_selfeval(ev2, WS_COUNTY, WS_YEAR, tmp_path / "j.docx", schools=county["core_schools"],
                         sections=county["core_school_sections"])
    text = doc_text(out)
    assert "自评结论：整改后达标（评估认定）；计算结果：未达标。认定说明：2025年秋季学期新建教室4间。" in text


# ---------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_docs(sample_processed, tmp_path_factory):
    pairs = available(sample_processed)
    year = int(pairs["year"].max())
    out = tmp_path_factory.mktemp("docs")
    docs = {}
    for county in sorted(pairs.loc[pairs["year"] == year, "county"].unique()):
        docs[county] = write_county_documents(sample_processed, county, year, "national", out / county)
    return year, docs


def test_sample_documents_carry_the_engine_figures(sample_docs, sample_processed):
    year, docs = sample_docs
    assert len(docs) == 3
    for county, (selfeval, plan) in docs.items():
        ev = evaluate(load_inputs(sample_processed, year=year, counties=[county]), year=year, counties=[county])
        text = check_against_engine(selfeval, ev)
        assert "示例数据（合成）" in text
        veto = ev.county_indicators.loc[ev.county_indicators["part"] == "veto"]
        if (veto["status"] == "met").all():
            assert "不存在以考试方式招生" in text
        ptext = doc_text(plan)
        assert ptext.count("（一）") >= 1 or "无需整改" in ptext


def test_plan_document_per_failing_indicator(sample_processed, tmp_path):
    from analysis.plan.actions import build_plan

    pairs = available(sample_processed)
    year = int(pairs["year"].max())
    county = sorted(pairs["county"].unique())[0]
    inputs = load_inputs(sample_processed, year=year, counties=[county])
    ev = evaluate(inputs, year=year, counties=[county])
    plan = build_plan(ev, county, year, inputs=inputs)
    assert len(plan)
    out = write_plan_docx(plan, county, year, tmp_path / "plan.docx", data_label=ev.data_label)
    text = doc_text(out)
    h = headings(out)
    for key in plan["indicator"].unique():
        assert any(t.endswith(indicator_label(key)) for s, t in h if s == "Heading 2"), key
    total = pd.to_numeric(plan["cost_10k_yuan"]).sum()
    assert f"计划费用合计{fmt(total, 'wan')}万元" in text
    for r in plan.itertuples():
        assert (not isinstance(r.action_school_name, str) or r.action_school_name in text) and str(r.target_year) in text


# ---------------------------------------------------------------------------- partial data


@pytest.mark.parametrize("case", ["schools_only", "no_roster"])
def test_partial_county_says_what_is_missing(case, tmp_path):
    from partial_data import PARTIAL_COUNTY

    folder = write_case(case, tmp_path / case)
    pairs = available(folder)
    year = int(pairs["year"].max())
    selfeval, _ = write_county_documents(folder, PARTIAL_COUNTY, year, "national", tmp_path / "out")
    text = doc_text(selfeval)
    assert "缺少评估该指标所需的数据" in text
    if case == "schools_only":
        assert "缺少社会认可度问卷（社会认可度问卷表），无法计算社会认可度。" in text
        assert "缺少县级认定事项（县级保障表）" in text


# ---------------------------------------------------------------------------- the template


def test_template_is_a4_with_cjk_fonts_and_page_numbers(wansheng_doc):
    d = docx.Document(str(wansheng_doc))
    sec = d.sections[0]
    assert abs(sec.page_width.cm - 21.0) < 0.01 and abs(sec.page_height.cm - 29.7) < 0.01
    footer = sec.footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    rfonts = d.styles["Normal"].element.rPr.rFonts
    assert rfonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "宋体"
    assert len(d.tables) == 3


def test_a_county_template_is_used(wansheng, tmp_path):
    county, ev = wansheng
    own = tmp_path / "own.docx"
    d = docx.Document(str(TEMPLATE_DIR / "selfeval.docx"))
    d.sections[0].header.paragraphs[0].text = "某县教育局（信笺）"
    d.save(str(own))
    out = write_selfeval(ev, WS_COUNTY, WS_YEAR, tmp_path / "x.docx", template=own, schools=county["core_schools"])
    assert docx.Document(str(out)).sections[0].header.paragraphs[0].text == "某县教育局（信笺）"


def test_one_document_is_written_in_about_a_second(wansheng, tmp_path):
    county, ev = wansheng
    kw = dict(schools=county["core_schools"], sections=county["core_school_sections"])
    write_selfeval(ev, WS_COUNTY, WS_YEAR, tmp_path / "warm.docx", **kw)
    t = time.perf_counter()
    write_selfeval(ev, WS_COUNTY, WS_YEAR, tmp_path / "t.docx", **kw)
    # under 1 s on an idle machine (benchmarks/bench_documents.py); slack for a shared CI runner
    assert time.perf_counter() - t < 3.0


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdffonts") is None,
                    reason="LibreOffice (soffice) or poppler (pdffonts) is not installed")
def test_pdf_pages_carry_a_cjk_font(wansheng_doc, tmp_path):
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(wansheng_doc)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / (wansheng_doc.stem + ".pdf")
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert any(k in fonts for k in ("CJK", "WenQuanYi", "Song", "Hei", "Ming", "Droid")), fonts


def test_publish_writes_both_documents_beside_the_county_report_and_links_them(sample_processed, tmp_path):
    """The kernel that ran the county report writes the documents (its cached evaluation
    serves them); the page's downloads and the index link them."""
    from urllib.parse import unquote

    from analysis.publish.runner import publish

    pairs = available(sample_processed)
    year = int(pairs["year"].max())
    county = sorted(pairs["county"].unique())[0]
    result = publish(sample_processed, tmp_path / "reports", counties=county, notebooks=["county_report"],
                     notebooks_dir=NOTEBOOKS, jobs=1, verdicts=False, echo=None)
    assert not result.failed, result.summary()
    folder = tmp_path / "reports" / str(year) / county
    names = [f"{county}_自查自评报告_{year}.docx", f"{county}_整改方案_{year}.docx"]
    assert all((folder / n).is_file() for n in names)
    page = (folder / "county_report.html").read_text(encoding="utf-8")
    assert all(n in unquote(page) for n in names) and "自查自评报告（Word）" in page
    assert unquote(page).index(names[0]) < unquote(page).index(names[1])  # the self-evaluation first
    index = unquote(result.index_path.read_text(encoding="utf-8"))
    assert all(f"{county}/{n}" in index for n in names)
    assert index.index(names[0]) < index.index(names[1])
