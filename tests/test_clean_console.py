"""What ``python -m analysis clean`` prints: a short summary about the analyst's data, in
Chinese with the English figures beside (issue 17). Files are built in code (示例数据（合成）)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.__main__ import main
from tests.test_clean_pipeline import write_csv

HEADER = ["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者", "小学在校生数"]


def _school(i: int, students: object = 300) -> list:
    return [2023, f"41010200{i:02d}", f"第{i}小学", "城东区", 111, "小学", "公办", students]


def _raw(tmp_path: Path, *, problems: bool) -> Path:
    raw = tmp_path / "raw"
    rows = [HEADER, _school(1), _school(2), ["合计", None, None, None, None, None, None, 600],
            ["注：示例数据（合成）", None, None, None, None, None, None, None]]
    if problems:
        rows[3:3] = [_school(3, "约三百"), _school(4, "-5"), _school(5, "-7"), _school(6, "见附表")]
    write_csv(raw / "学校.csv", rows)
    write_csv(raw / "县级保障.csv", [["县", "年份", "教师年平均工资(万元)", "公务员年平均工资(万元)"],
                                    ["城东区", 2023, 9.5, 9.1]])
    (raw / "说明.md").write_text("示例数据（合成）", encoding="utf-8")
    return raw


def _run(capsys, raw: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["clean", "--raw", str(raw), "--out", str(out), *extra])
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def test_a_clean_run_prints_only_the_summary(tmp_path, capsys):
    code, out, err = _run(capsys, _raw(tmp_path, problems=False), tmp_path / "out")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("清洗完成（cleaning done）：")
    assert "  读取文件 2 个（files read），工作表 2 张（sheets）" in lines
    assert "  读入数据行 5 行（rows read）" in lines
    assert "  保留 3 行（rows kept）" in lines
    assert "  跳过合计、注释等非数据行 2 行，属正常（total / note rows skipped, not problems）" in lines
    assert "  因数据有问题剔除 0 行（rows rejected: problems in the data）" in lines
    assert "  不是表格、未读取的文件 1 个（files skipped, not tables）：说明.md" in lines
    # nothing went wrong: no per-file table, no reasons, no notes about the mapping files
    assert "文件 (file)" not in out and "按原因" not in out
    assert "synonyms.yaml" not in out and "never used" not in out
    assert str(tmp_path / "out" / "qa_rejects.csv") in out and str(tmp_path / "out" / "qa_accounting.csv") in out
    assert len(lines) <= 15


def test_real_problems_are_grouped_by_reason_with_places_and_their_file_is_tabled(tmp_path, capsys):
    code, out, _ = _run(capsys, _raw(tmp_path, problems=True), tmp_path / "out")
    assert code == 0
    assert "  因数据有问题剔除 4 行（rows rejected: problems in the data）" in out
    assert "  跳过合计、注释等非数据行 2 行" in out
    lines = out.splitlines()
    # the per-file table: only the file with problems, kinds in Chinese
    table = lines[lines.index("有问题行的文件（files with rejected rows）：") + 1:]
    assert table[0].split()[:2] == ["文件", "(file)"]
    assert table[1].split() == ["学校.csv", "学校基本情况", "8", "2", "2", "4"]
    assert not table[2].strip()  # the county file had no problem: not listed
    reasons = lines[lines.index("剔除的行，按原因（rejected rows by reason）："):]
    assert reasons[1] == "  无法识别的数值：2 行（2 rows），如："
    assert reasons[2] == "    学校.csv 第4行 列「小学在校生数」 值「约三百」"
    assert reasons[3] == "    学校.csv 第7行 列「小学在校生数」 值「见附表」"
    assert reasons[4] == "  数值为负：2 行（2 rows），如："
    assert "合计行" not in "\n".join(reasons)  # skipped rows are not problems
    acc = pd.read_csv(tmp_path / "out" / "qa_accounting.csv", encoding="utf-8-sig").set_index("source_file")
    assert acc.loc["学校.csv", ["rows_read", "rows_kept", "rows_skipped", "rows_rejected"]].tolist() == [8, 2, 2, 4]


def test_places_are_cut_to_the_first_few(tmp_path, capsys):
    raw = tmp_path / "raw"
    write_csv(raw / "学校.csv", [HEADER, *[_school(i, "待核") for i in range(1, 8)], _school(9)])
    code, out, _ = _run(capsys, raw, tmp_path / "out")
    assert "  无法识别的数值：7 行（7 rows），如：" in out
    assert out.count("值「待核」") == 3 and "    …另 4 行（4 more）" in out


def test_verbose_prints_every_file_and_the_mapping_notes(tmp_path, capsys):
    raw = _raw(tmp_path, problems=False)
    code, out, _ = _run(capsys, raw, tmp_path / "out", "--verbose")
    assert code == 0
    assert "每个文件的行数（rows per file and sheet）：" in out
    assert "学校.csv" in out and "县级保障.csv" in out and "县级保障 " in out
    assert "关于映射文件的说明" in out and "synonyms.yaml [schools]: synonyms never used in this run" in out
    # written to the QA file in any case
    notes = (tmp_path / "out" / "qa_warnings.txt").read_text(encoding="utf-8")
    assert "synonyms.yaml [schools]: synonyms never used in this run" in notes


def test_quiet_prints_the_figures_only(tmp_path, capsys):
    code, out, _ = _run(capsys, _raw(tmp_path, problems=True), tmp_path / "out", "--quiet")
    assert code == 0 and "因数据有问题剔除 4 行" in out
    assert "文件 (file)" not in out and "按原因" not in out


def test_warnings_about_the_data_are_shown_and_cut_to_ten(tmp_path, capsys):
    raw = tmp_path / "raw"
    for i in range(12):  # no 年份 column: the year is taken from each file name, with a warning
        write_csv(raw / f"2023年学校{i:02d}.csv", [HEADER[1:], _school(i + 1)[1:]])
    code, out, _ = _run(capsys, raw, tmp_path / "out")
    assert code == 0
    assert "提示 12 条（warnings about the data）：" in out
    assert out.count("no 年份 column; year 2023 taken from the file name") == 10
    assert "…另有 2 条，见 qa_warnings.txt 或用 --verbose" in out
    assert "  提示 12 条（warnings about the data）" in out  # counted in the summary too


def test_a_file_that_cannot_be_used_is_named_with_its_reason_and_exit_2(tmp_path, capsys):
    raw = _raw(tmp_path, problems=False)
    (raw / "坏文件.xlsx").write_bytes(b"PK\x03\x04 truncated download")
    code, out, err = _run(capsys, raw, tmp_path / "out")
    assert code == 2
    assert "  无法使用的文件 1 个（files that could not be used），原因见下（reasons below）" in out
    err_lines = err.splitlines()
    assert err_lines[0].startswith("无法使用的文件 1 个，未进入数据表，退出状态 2")
    assert err_lines[1].startswith("  坏文件.xlsx: unreadable workbook")


@pytest.mark.parametrize("text, width", [pytest.param("abc", 3, id="ascii"), pytest.param("学校", 4, id="cjk"),
                                         pytest.param("（注）", 6, id="fullwidth-brackets")])
def test_display_width(text, width):
    from analysis.clean.cli import display_width

    assert display_width(text) == width


def test_the_table_of_files_with_problems_is_cut_to_ten_most_rejected_first(tmp_path, capsys):
    raw = tmp_path / "raw"
    for i in range(12):
        bad = [_school(j + 20, "待核") for j in range(2 if i == 11 else 1)]
        write_csv(raw / f"学校{i:02d}.csv", [HEADER, _school(i + 1), *bad])
    code, out, _ = _run(capsys, raw, tmp_path / "out")
    lines = out.splitlines()
    table = lines[lines.index("有问题行的文件（files with rejected rows）：") + 1:]
    assert table[1].split()[0] == "学校11.csv"  # two rejected rows: first
    assert [t.split()[0] for t in table[2:11]] == [f"学校{i:02d}.csv" for i in range(9)]
    assert table[11].startswith("…另有 2 个工作表有问题行，见 qa_accounting.csv 或用 --verbose")
    assert "  因数据有问题剔除 13 行" in out
