"""The cleaning steps one by one: read per file in isolation, shape, and rules across tables
that take frames and return frames with their rejects and warnings, never changing their input.

Every input here is written in the test (synthetic data).
"""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.clean.accounting import account
from analysis.clean.frames import StepResult
from analysis.clean.header import load_synonyms
from analysis.clean.reconcile import (
    DUPLICATE_KEY,
    NO_SCHOOL,
    drop_duplicate_keys,
    match_sections,
    reconcile,
    school_table,
)
from analysis.clean.school_sections import finish_tables
from analysis.clean.shape import shape_kinds
from analysis.clean.sheets import read_files, read_one_file
from analysis.errors import InputError

SCHOOLS = [
    ["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者", "小学在校生数"],
    [2023, "4101020001", "一小", "城东区", "111", "小学", "公办", 300],
    [2023, "4101020002", "二小", "城东区", "111", "小学", "公办", 200],
    [2023, "4101020001", "一小（重复）", "城东区", "111", "小学", "公办", 301],
    ["合计", "", "", "", "", "", "", 801],
]
COUNTS = [
    ["年份", "学校标识码", "学段", "专任教师数"],
    [2023, "4101020002", "小学", 12],
    [2023, "4101029999", "小学", 5],
]


def write_csv(path: Path, rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(",".join(str(v) for v in r) for r in rows) + "\n", encoding="utf-8-sig")
    return path


@pytest.fixture()
def raw(tmp_path: Path) -> Path:
    d = tmp_path / "raw"
    write_csv(d / "a_学校.csv", SCHOOLS)
    (d / "b_坏文件.xlsx").write_bytes(b"not a workbook")
    write_csv(d / "c_分校教师.csv", COUNTS)
    return d


def test_one_bad_file_fails_alone_and_positions_follow_the_files(raw):
    syn = load_synonyms()
    files = sorted(raw.iterdir())
    bad = read_one_file(files[1], files[1].name, syn)
    assert not bad.sheets and len(bad.failures) == 1 and bad.failures[0].file == "b_坏文件.xlsx"
    with pytest.raises(InputError):
        read_one_file(files[1], files[1].name, syn, strict=True)
    read = read_files(raw, files, syn)
    assert [(s.file, s.seq, s.kind) for s in read.sheets] == [("a_学校.csv", 1, "schools"),
                                                             ("c_分校教师.csv", 2, "teacher_counts")]
    assert [f.file for f in read.failures] == ["b_坏文件.xlsx"]
    assert read.sheets[0].rejects["reason"].str.startswith("合计").tolist() == [True]


def _shaped(raw: Path):
    syn = load_synonyms()
    read = read_files(raw, sorted(raw.iterdir()), syn)
    return read, shape_kinds(read.sheets, syn)


def _snapshot(frames) -> dict[str, pd.DataFrame]:
    return {k: v.copy() for k, v in frames.items()}


def test_duplicate_rule_returns_new_frames_and_leaves_its_input_alone(raw):
    read, shaped = _shaped(raw)
    before = _snapshot(shaped.frames)
    kind_of = {s.seq: s.kind for s in read.sheets}
    r = drop_duplicate_keys(shaped.frames, kind_of, np.empty(0, "int64"))
    assert isinstance(r, StepResult) and r.frames is not shaped.frames
    for name, f in before.items():
        pd.testing.assert_frame_equal(shaped.frames[name], f)
    assert r.frames["core_schools"]["school_name"].tolist() == ["一小", "二小"]
    (rej,) = r.rejects
    assert rej["reason"].tolist() == [DUPLICATE_KEY.format(first="a_学校.csv 第2行")]
    assert r.warnings == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.warnings = ("x",)  # type: ignore[misc]


def test_section_rule_rejects_counts_of_a_school_that_does_not_exist(raw):
    read, shaped = _shaped(raw)
    kind_of = {s.seq: s.kind for s in read.sheets}
    schools = school_table(shaped.frames)
    r = match_sections(shaped.frames, schools=schools, kind_of=kind_of)
    assert r.frames["_teacher_counts"]["school_id"].tolist() == ["4101020002"]
    assert len(shaped.frames["_teacher_counts"]) == 2  # the input is untouched
    (rej,) = r.rejects
    assert rej[["source_file", "source_row", "reason"]].values.tolist() == [["c_分校教师.csv", 3, NO_SCHOOL]]


def test_the_steps_chain_into_balanced_accounting(raw):
    read, shaped = _shaped(raw)
    kind_of = {s.seq: s.kind for s in read.sheets}
    hidden = np.concatenate([s.hidden_rids for s in read.sheets])
    reconciled = shaped.then(partial(reconcile, kind_of=kind_of, hidden_rids=hidden))
    finished = reconciled.then(finish_tables)
    qa_rejects, qa_accounting = account(read.sheets, reconciled.frames, finished.rejects, read.failures)
    assert qa_accounting[["source_file", "rows_read", "rows_kept", "rows_skipped", "rows_rejected",
                          "file_status"]].values.tolist() == [
        ["a_学校.csv", 4, 2, 1, 1, "ok"], ["b_坏文件.xlsx", 0, 0, 0, 0, "failed"], ["c_分校教师.csv", 2, 1, 0, 1, "ok"]]
    assert qa_rejects["is_skipped_row"].tolist().count(True) == 1
    secs = finished.frames["core_school_sections"].set_index("school_id")
    assert secs.loc["4101020002", "teachers"] == 12 and secs.loc["4101020002", "teacher_count_source"] == "counts"
