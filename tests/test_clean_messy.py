"""Bureau files as they come (issue 8): isolation per file, files by content, years, wide
layouts. Every file is built in code (示例数据（合成）)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from analysis.clean import clean
from analysis.errors import InputError
from tests.test_clean_pipeline import write_csv, write_xlsx

SCHOOL_HEADER = ["学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者"]


def _school(i: int, name: str = "一小", stype: str = "小学") -> list:
    return [f"41010200{i:02d}", name, "城东区", "111", stype, "公办"]


def _xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write(r, c, v)
    wb.close()
    return buf.getvalue()


# ------------------------------------------------------------------ isolation and years


def test_a_file_without_a_year_among_good_ones_is_listed_and_the_others_written(tmp_path, capsys):
    from analysis.__main__ import main

    raw, out = tmp_path / "raw", tmp_path / "out"
    write_csv(raw / "2023年学校.csv", [SCHOOL_HEADER, _school(1)])
    write_csv(raw / "学校名单.csv", [SCHOOL_HEADER, _school(2, "二小")])  # no year anywhere
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "学校名单.csv: required column 年份 (year) is missing" in err and "--year" in err
    assert pd.read_parquet(out / "core_schools.parquet")["school_id"].tolist() == ["4101020001"]
    acc = pd.read_parquet(out / "qa_accounting.parquet").set_index("source_file")
    assert acc.loc["学校名单.csv", "file_status"] == "failed" and acc.loc["2023年学校.csv", "file_status"] == "ok"
    # --year gives the year to the file that names none; the other keeps its own
    assert main(["clean", "--raw", str(raw), "--out", str(out), "--year", "2024"]) == 0
    schools = pd.read_parquet(out / "core_schools.parquet")
    assert schools[["school_id", "year"]].values.tolist() == [["4101020001", 2023], ["4101020002", 2024]]
    assert "学校名单.csv: no 年份 column; year 2024 taken from the --year option" in capsys.readouterr().out


def test_a_year_in_a_folder_name_counts_like_one_in_the_file_name(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw / "城东区" / "2022年" / "学校.csv", [SCHOOL_HEADER, _school(1)])
    write_csv(raw / "2024年数据" / "城东区" / "学校.csv", [SCHOOL_HEADER, _school(1)])
    report = clean(raw, tmp_path / "out", write=False, year=2030)  # the folder wins over --year
    assert sorted(report.frames["core_schools"]["year"].tolist()) == [2022, 2024]
    assert "城东区/2022年/学校.csv: no 年份 column; year 2022 taken from the folder name" in report.warnings


def test_an_unreadable_file_among_good_ones_exits_2_and_the_others_are_written(tmp_path, capsys):
    from analysis.__main__ import main

    raw, out = tmp_path / "raw", tmp_path / "out"
    write_csv(raw / "2023年学校.csv", [SCHOOL_HEADER, _school(1)])
    write_csv(raw / "2023年教师.csv", [["学校标识码", "教师编号", "任教学段"], ["4101020001", "T1", "小学"]])
    (raw / "坏文件.xlsx").write_bytes(b"PK\x03\x04 truncated download")
    (raw / "空文件.csv").write_bytes(b"")
    assert main(["clean", "--raw", str(raw), "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        "无法使用的文件 2 个，未进入数据表，退出状态 2（2 files could not be used; not in the tables; exit status 2）：")
    assert err[1].startswith("  坏文件.xlsx: unreadable workbook") and err[2].startswith("  空文件.csv: empty file")
    assert len(pd.read_parquet(out / "core_teachers.parquet")) == 1
    failed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["failed"]
    assert [f["file"] for f in failed] == ["坏文件.xlsx", "空文件.csv"]
    # --strict: stop at the first, keep the previous output as it was
    before = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert main(["clean", "--raw", str(raw), "--out", str(out), "--strict"]) == 2
    assert capsys.readouterr().err.startswith("error: 坏文件.xlsx: unreadable workbook")
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir())} == before


def test_no_usable_file_at_all_fails_and_writes_nothing(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw / "学校名单.csv", [SCHOOL_HEADER, _school(1)])
    (raw / "坏文件.xlsx").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(InputError, match=r"no usable file \(2 files or sheets cannot be used: 坏文件\.xlsx: "):
        clean(raw, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ files by content


HTML_EXPORT = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<style>td {{ mso-number-format:"\\@"; }}</style></head><body>
<table border="1">
<tr><td colspan="8">2023年城东区中小学基本情况（示例数据（合成））</td></tr>
<tr><th rowspan="2">学校标识码</th><th rowspan="2">学校名称</th><th rowspan="2">县</th>
    <th rowspan="2">城乡分类代码</th><th rowspan="2">办学类型</th><th rowspan="2">举办者</th>
    <th colspan="2">在校生数</th></tr>
<tr><th>小学</th><th>初中</th></tr>
{rows}
</table></body></html>"""


def test_an_html_table_saved_as_xls_is_read_with_a_warning(tmp_path):
    raw = tmp_path / "raw"
    rows = "\n".join(
        f"<tr><td>41010200{i:02d}</td><td>城东区第{i}小学&nbsp;</td><td>城东区</td><td>111</td><td>小学</td>"
        f"<td>公办</td><td>{300 + i}</td><td>0</td></tr>" for i in (1, 2))
    raw.mkdir()
    (raw / "基本情况导出.xls").write_bytes(HTML_EXPORT.format(rows=rows).encode("gbk"))
    (raw / "基本情况导出2.xlsx").write_bytes(HTML_EXPORT.format(rows=rows.replace("城东区第", "城西区第")
                                                           .replace("41010200", "41010300")).encode("gbk"))
    report = clean(raw, tmp_path / "out", write=False)
    assert not report.failures
    s = report.frames["core_schools"]
    assert s["school_name"].tolist()[:2] == ["城东区第1小学", "城东区第2小学"]
    assert s["students_primary"].tolist() == [301, 302, 301, 302] and s["year"].unique().tolist() == [2023]
    assert ("基本情况导出.xls: the file is an HTML table (web-system export) although named .xls; read as such"
            in report.warnings)


def _spreadsheetml(rows: list[list], name: str = "学校基本情况", hidden_list: bool = True) -> str:
    def cell(v, merge=0):
        if v is None:
            return "<Cell/>"
        typ = "Number" if isinstance(v, (int, float)) else "String"
        m = f' ss:MergeAcross="{merge}"' if merge else ""
        return f'<Cell{m}><Data ss:Type="{typ}">{v}</Data></Cell>'

    body = "".join("<Row>" + "".join(cell(*c) if isinstance(c, tuple) else cell(c) for c in r) + "</Row>" for r in rows)
    hidden = ('<Worksheet ss:Name="下拉"><Table><Row><Cell><Data ss:Type="String">是</Data></Cell></Row></Table>'
              '<WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetHidden</Visible>'
              '</WorksheetOptions></Worksheet>') if hidden_list else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
            '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
            'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
            f'<Worksheet ss:Name="{name}"><Table>{body}</Table></Worksheet>{hidden}</Workbook>')


def test_a_spreadsheetml_2003_workbook_is_read(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = [[("2023年学校基本情况（示例数据（合成））", 7)],
            [*SCHOOL_HEADER, "年份", "小学在校生数"],
            [*_school(1), 2023, 420],
            [*_school(2, "二小"), 2023, 380]]
    (raw / "学校.xls").write_text(_spreadsheetml(rows), encoding="utf-8")
    (raw / "学校2.xml").write_text(_spreadsheetml([rows[1], [*_school(3, "三小"), 2023, 99]]), encoding="utf-8")
    (raw / "配置.xml").write_text("<config><a>1</a></config>", encoding="utf-8")  # not a workbook: skipped
    report = clean(raw, tmp_path / "out", write=False)
    assert not report.failures and "配置.xml" in report.skipped
    assert report.frames["core_schools"]["students_primary"].tolist() == [420, 380, 99]
    assert "学校.xls: the file is a SpreadsheetML 2003 XML workbook although named .xls; read as such" in report.warnings
    assert not any(w.startswith("学校2.xml: the file is") for w in report.warnings)
    assert any("学校.xls [下拉]: hidden sheet" in w for w in report.warnings)


def test_workbooks_and_csv_files_with_the_wrong_extension_are_read(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "2023年学校.csv").write_bytes(_xlsx_bytes({"Sheet1": [SCHOOL_HEADER, _school(1)]}))
    write_csv(raw / "2023年学校2.xls", [SCHOOL_HEADER, _school(2, "二小")], encoding="gbk")
    # the "Excel" export of some systems: tab-separated UTF-16 text named .xls
    text = "\r\n".join("\t".join(map(str, r)) for r in [SCHOOL_HEADER, _school(3, "三小")])
    (raw / "2023年学校3.xls").write_bytes(text.encode("utf-16"))
    report = clean(raw, tmp_path / "out", write=False)
    assert not report.failures
    assert report.frames["core_schools"]["school_name"].tolist() == ["一小", "二小", "三小"]
    assert "2023年学校.csv: the file is an Excel workbook (xlsx/ods) although named .csv; read as such" in report.warnings
    assert "2023年学校2.xls: the file is a text (CSV) file although named .xls; read as such" in report.warnings


# ------------------------------------------------------------------ wide layouts

FACILITIES = ["教学及辅助用房面积", "运动场地面积", "教学仪器设备值（万元）", "网络多媒体教室数"]


def _wide_rows() -> list[list]:
    """A county's own workbook: per-section teacher counts as columns, two-row header
    (小学 / 初中 under 在校生数 and under each teacher count)."""
    groups = ["在校生数", "专任教师数", "高于规定学历教师数", "县级及以上骨干教师数", "体育艺术专任教师数"]
    upper = [*SCHOOL_HEADER, *[g for g in groups for _ in (0, 1)], *FACILITIES]
    lower = [*SCHOOL_HEADER, *["小学", "初中"] * len(groups), *FACILITIES]
    return [
        ["2023年城东区学校基本情况（示例数据（合成））"],
        upper, lower,
        [*_school(1, "一小"), 600, 0, 40, 0, 36, 0, 7, 0, 5, 0, 3600, 5400, 150, 14],
        [*_school(2, "实验学校", "九年一贯制学校"), 500, 400, 30, 32, 27, 30, 5, 6, 4, 4, 6000, 9000, 320, 24],
        [*_school(3, "二小"), 300, None, 20, None, 17, None, 2, None, 2, None, 1800, 2700, 60, 7],
    ]


def _merged(rows: list[list]) -> tuple[list[list], list[tuple]]:
    """The same header as merged cells: group cells across their two columns, the other
    header cells down both header rows (as a bureau's workbook has them)."""
    upper, lower = rows[1], rows[2]
    merges, new_upper, new_lower = [], list(upper), list(lower)
    c = 0
    while c < len(upper):
        if c + 1 < len(upper) and upper[c + 1] == upper[c]:
            merges.append((1, c, 1, c + 1, upper[c]))
            new_upper[c + 1] = None
            c += 2
            continue
        merges.append((1, c, 2, c, upper[c]))
        new_lower[c] = None
        c += 1
    return [rows[0], new_upper, new_lower, *rows[3:]], merges


@pytest.mark.parametrize("layout", ["repeated", "merged"])
def test_teacher_counts_as_columns_of_the_school_sheet_feed_l1_to_l3(tmp_path, layout):
    from analysis.indicators import evaluate, load_inputs

    raw, out = tmp_path / "raw", tmp_path / "out"
    rows, merges = (_wide_rows(), []) if layout == "repeated" else _merged(_wide_rows())
    write_xlsx(raw / "学校基本情况.xlsx", {"学校": rows}, merges={"学校": merges})
    report = clean(raw, out)
    assert not report.failures
    assert not any("ignored" in w for w in report.warnings), report.warnings
    secs = report.frames["core_school_sections"].set_index(["school_id", "section"])
    assert secs.loc[("4101020002", "junior"), ["teachers", "above_degree_teachers", "backbone_teachers",
                                              "pe_art_teachers"]].tolist() == [32, 30, 6, 4]
    assert secs.loc[("4101020001", "primary"), "teacher_count_source"] == "school_table"
    ev = evaluate(load_inputs(out, year=2023), year=2023)
    values = ev.resource_values.set_index(["school_id", "section", "indicator"])["value"]
    assert values[("4101020001", "primary", "L1")] == pytest.approx(36 * 100 / 600)
    assert values[("4101020002", "junior", "L2")] == pytest.approx(6 * 100 / 400)
    cv = ev.cv.set_index(["section", "indicator"])
    for ind in ("L1", "L2", "L3"):
        assert cv.loc[("primary", ind), "n_missing"] == 0 and cv.loc[("primary", ind), "cv"] > 0
    assert not ev.resource_schools["detail"].str.contains("数据缺失").any()


@pytest.mark.parametrize("style", ["prefix", "brackets"])
def test_teacher_counts_as_one_row_headers(tmp_path, style):
    name = (lambda sec, f: f"{sec}{f}") if style == "prefix" else (lambda sec, f: f"{f}（{sec}）")
    fields = ["专任教师数", "高于规定学历教师数", "县级及以上骨干教师数", "体育艺术专任教师数"]
    header = [*SCHOOL_HEADER, "小学在校生数", "初中在校生数", *[name(s, f) for s in ("小学", "初中") for f in fields]]
    raw = tmp_path / "raw"
    write_csv(raw / "2023年学校.csv", [
        header,
        [*_school(1), 600, 0, 40, 36, 7, 5, 0, 0, 0, 0],  # 初中 counts of 0 for a primary school: not a problem
        [*_school(2, "实验学校", "九年一贯制学校"), 500, 400, 30, 27, 5, 4, 32, 30, 6, 4],
        [*_school(3, "二小"), 300, 0, 20, 17, 2, 2, 3, 3, 0, 0],  # 初中 teachers in a primary school
    ])
    report = clean(raw, tmp_path / "out", write=False)
    secs = report.frames["core_school_sections"].set_index(["school_id", "section"])
    assert secs.loc[("4101020002", "primary"), "above_degree_teachers"] == 27
    assert secs.loc[("4101020002", "junior"), "backbone_teachers"] == 6
    assert secs.loc[("4101020003", "primary"), "teachers"] == 20
    warned = [w for w in report.warnings if "has no 初中 section" in w]
    assert len(warned) == 1 and warned[0].startswith("2023年学校.csv 第4行: school 4101020003")
    assert report.accounting["rows_kept"].tolist() == [3]


def test_a_counts_table_wins_over_school_columns_and_a_roster_over_both(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw / "2023年学校.csv", [[*SCHOOL_HEADER, "小学在校生数", "专任教师数", "高于规定学历教师数"],
                                     [*_school(1), 600, 40, 36], [*_school(2, "二小"), 300, 20, 17]])
    write_csv(raw / "2023年分校教师汇总.csv", [["学校标识码", "学段", "专任教师数", "高于规定学历教师数"],
                                          ["4101020001", "小学", 41, 38]])
    write_csv(raw / "2023年教师名册.csv", [["学校标识码", "教师编号", "任教学段", "最高学历"],
                                       ["4101020002", "T1", "小学", "本科"]])
    report = clean(raw, tmp_path / "out", write=False)
    secs = report.frames["core_school_sections"].set_index("school_id")
    assert secs.loc["4101020001", ["teachers", "teacher_count_source"]].tolist() == [41, "counts"]
    assert secs.loc["4101020002", ["teachers", "teacher_count_source"]].tolist() == [1, "roster"]
    assert any("given both in the school table and in a 分校教师汇总 table, 1 of them with different figures" in w
               for w in report.warnings)
    assert any("the roster wins" in w for w in report.warnings)


def test_an_ignored_column_names_the_closest_known_field(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw / "2023年学校.csv", [[*SCHOOL_HEADER, "小学在校学生人数", "校训"], [*_school(1), 600, "勤学"]])
    report = clean(raw, tmp_path / "out", write=False)
    w = next(w for w in report.warnings if "'小学在校学生人数'" in w)
    assert "closest known: 小学在校学生数 (students_primary)" in w
    assert next(w for w in report.warnings if "'校训'" in w).endswith("ignored")


# ------------------------------------------------------------------ 测算表

# per school section: students and the inputs of L1-L7 (示例数据（合成）)
SHEET_INPUTS = [
    # id, section, students, above-degree, backbone, pe/art, teaching m², sports m², equipment 万元, rooms
    (1, "小学", 600, 36, 7, 5, 3600, 5400, 150, 14),
    (2, "小学", 500, 27, 5, 4, 2500, 4000, 100, 10),
    (2, "初中", 400, 30, 6, 4, 3200, 4800, 160, 11),
    (3, "小学", 300, 17, 2, 2, 1800, 2100, 60, 7),
    (4, "初中", 350, 26, 4, 3, 2900, 3300, 110, 9),
]
RAW_HEADER = ["学校标识码", "学校名称", "学段", "在校生数", "高于规定学历教师数", "县级及以上骨干教师数",
              "体育艺术专任教师数", "教学及辅助用房面积", "体育运动场馆面积", "教学仪器设备值（万元）", "网络多媒体教室数"]
VALUE_HEADER = ["学校标识码", "学校名称", "学段", "在校生数", "每百名学生拥有高于规定学历教师数",
                "每百名学生拥有县级及以上骨干教师数", "每百名学生拥有体育、艺术（美术、音乐）专任教师数",
                "生均教学及辅助用房面积（平方米）", "生均体育运动场馆面积（平方米）", "生均教学仪器设备值（元）",
                "每百名学生拥有网络多媒体教室数"]


def _sheet_schools(raw: Path) -> None:
    types = {1: "小学", 2: "九年一贯制学校", 3: "小学", 4: "初中"}
    write_csv(raw / "2023年学校.csv", [[*SCHOOL_HEADER, "小学在校生数", "初中在校生数"],
                                     *[[*_school(i, f"学校{i}", t), *{1: (600, 0), 2: (500, 400), 3: (300, 0),
                                                                    4: (0, 350)}[i]] for i, t in types.items()]])


def _value_rows(decimals: int | None) -> list[list]:
    out = []
    for i, sec, st, a, b, p, t, s, e, r in SHEET_INPUTS:
        vals = [a * 100 / st, b * 100 / st, p * 100 / st, t / st, s / st, e * 10000 / st, r * 100 / st]
        out.append([f"41010200{i:02d}", f"学校{i}", sec, st, *[v if decimals is None else round(v, decimals) for v in vals]])
    return out


def _evaluate(raw: Path, out: Path):
    from analysis.indicators import evaluate, load_inputs

    report = clean(raw, out)
    assert not report.failures, report.failures
    return report, evaluate(load_inputs(out, year=2023), year=2023)


def test_a_resource_sheet_in_indicator_value_form_gives_the_cvs_of_the_raw_form(tmp_path):
    raw_a, raw_b, raw_c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for raw in (raw_a, raw_b, raw_c):
        _sheet_schools(raw)
    write_xlsx(raw_a / "2023年城东区资源配置测算表.xlsx", {"测算表": [
        ["城东区义务教育学校资源配置测算表（示例数据（合成））"], RAW_HEADER,
        *[[f"41010200{i:02d}", f"学校{i}", sec, st, *rest] for i, sec, st, *rest in SHEET_INPUTS]]})
    write_xlsx(raw_b / "2023年城东区资源配置测算表.xlsx", {"测算表": [VALUE_HEADER, *_value_rows(None)]})
    write_xlsx(raw_c / "2023年城东区资源配置测算表.xlsx", {"测算表": [VALUE_HEADER, *_value_rows(2)]})
    rep_a, ev_a = _evaluate(raw_a, tmp_path / "out_a")
    rep_b, ev_b = _evaluate(raw_b, tmp_path / "out_b")
    _, ev_c = _evaluate(raw_c, tmp_path / "out_c")
    assert set(rep_a.accounting["table_kind"]) == set(rep_b.accounting["table_kind"]) == {"schools", "resource_sheet"}
    key = ["section", "indicator"]
    cv_a, cv_b, cv_c = (ev.cv.set_index(key).sort_index() for ev in (ev_a, ev_b, ev_c))
    assert cv_a["cv"].notna().all() and (cv_a["n_missing"] == 0).all()
    assert cv_b["cv"].to_numpy() == pytest.approx(cv_a["cv"].to_numpy(), rel=1e-9)
    # values rounded to 0.01 as counties write them: the CVs move by rounding only
    assert cv_c["cv"].to_numpy() == pytest.approx(cv_a["cv"].to_numpy(), abs=0.005)
    assert cv_b["is_met"].tolist() == cv_a["is_met"].tolist()
    sa, sb = (ev.resource_schools.set_index(["school_id", "section"]).sort_index() for ev in (ev_a, ev_b))
    assert sb["is_passing"].tolist() == sa["is_passing"].tolist()
    assert sb["n_met"].tolist() == sa["n_met"].tolist()
    # the output says which form it had
    assert set(cv_a["resource_input_form"]) == {"raw"} and set(cv_b["resource_input_form"]) == {"indicator_values"}
    assert set(sb["resource_input_form"]) == {"indicator_values"} and set(sa["resource_input_form"]) == {"raw"}
    assert set(ev_b.resource_values["resource_input_form"]) == {"indicator_values"}
    secs = rep_a.frames["core_school_sections"].set_index(["school_id", "section"])
    assert secs.loc[("4101020002", "junior"), ["backbone_teachers", "teacher_count_source"]].tolist() == [6, "resource_sheet"]
    assert secs.loc[("4101020002", "junior"), "equipment_value_yuan"] == 1_600_000


def test_a_resource_sheet_per_section_sheet_and_a_school_it_does_not_know(tmp_path):
    raw = tmp_path / "raw"
    _sheet_schools(raw)
    rows = _value_rows(2)
    header = [c for c in VALUE_HEADER if c != "学段"]
    strip = lambda r: [r[0], r[1], *r[3:]]  # noqa: E731
    write_xlsx(raw / "2023年测算表.xlsx", {
        "小学": [header, *[strip(r) for r in rows if r[2] == "小学"], ["4101029999", "不存在", 100, 1, 1, 1, 1, 1, 1, 1]],
        "初中": [header, *[strip(r) for r in rows if r[2] == "初中"]],
    })
    report = clean(raw, tmp_path / "out", write=False)
    assert report.rejects.loc[report.rejects["table_kind"] == "resource_sheet", "reason"].tolist() == [
        "同年学校基本情况表中没有该学校"]
    secs = report.frames["core_school_sections"].set_index(["school_id", "section"])
    assert secs.loc[("4101020002", "junior"), "backbone_teachers_per100"] == pytest.approx(1.5)
    assert secs.loc[("4101020002", "primary"), "backbone_teachers_per100"] == pytest.approx(1.0)
    assert (secs["resource_input_form"] == "indicator_values").all()


def test_the_cv_detail_says_when_values_came_from_the_resource_sheet(tmp_path):
    raw = tmp_path / "raw"
    _sheet_schools(raw)
    rows = _value_rows(None)
    rows[0][4] = None  # school 1 gives no L1 value: mixed for primary L1 … but then L1 is missing for it
    write_xlsx(raw / "2023年测算表.xlsx", {"测算表": [VALUE_HEADER, *rows]})
    _, ev = _evaluate(raw, tmp_path / "out")
    cv = ev.cv.set_index(["section", "indicator"])
    assert cv.loc[("junior", "L2"), "detail"] == "按测算表所填指标值计算"
    assert cv.loc[("primary", "L1"), "resource_input_form"] == "indicator_values"
    assert cv.loc[("primary", "L1"), "detail"].startswith("1所学校数据缺失")
    schools = ev.resource_schools.set_index(["school_id", "section"])
    assert schools.loc[("4101020001", "primary"), "resource_input_form"] == "mixed"


def test_a_resource_sheet_without_school_ids_is_matched_by_school_name(tmp_path):
    raw = tmp_path / "raw"
    _sheet_schools(raw)
    rows = [["序号", *VALUE_HEADER[1:]], *[[k, *r[1:]] for k, r in enumerate(_value_rows(2), 1)],
            [6, "学校9", "小学", 100, 1, 1, 1, 1, 1, 1, 1], ["合计", None, None, 2150]]
    write_xlsx(raw / "2023年城东区资源配置测算表.xlsx", {"Sheet1": [["城东区资源配置测算表（示例数据（合成））"], *rows]})
    report = clean(raw, tmp_path / "out", write=False)
    secs = report.frames["core_school_sections"].set_index(["school_id", "section"])
    assert secs.loc[("4101020002", "junior"), "backbone_teachers_per100"] == pytest.approx(1.5)
    assert (secs["resource_input_form"] == "indicator_values").all()
    rej = report.rejects.loc[report.rejects["table_kind"] == "resource_sheet"]
    assert sorted(rej["reason"]) == ["合计行（非数据）", "同年学校基本情况表中没有该学校"]
    assert "5 测算表 rows without 学校标识码 matched to the school table by school name" in report.warnings
