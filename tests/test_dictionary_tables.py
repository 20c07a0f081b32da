"""The column dictionary, generated schemas, and atomic validated writes."""

from __future__ import annotations

import pandas as pd
import pandera.errors
import pytest

from analysis import dictionary
from analysis.dictionary import (
    column_label,
    data_dictionary,
    empty_frame,
    schema_for,
    tables,
    validate,
)
from analysis.tables import MissingTableError, read_table, table_path, write_tables


def _accounting(**over):
    base = {"source_file": ["a.xlsx"], "source_sheet": ["2024年"], "table_kind": ["schools"],
            "rows_read": [10], "rows_kept": [8], "rows_skipped": [1], "rows_rejected": [1], "file_status": ["ok"],
            "file_problem": [None]}
    base.update(over)
    return pd.DataFrame(base)


def test_every_table_column_is_in_the_dictionary_with_a_chinese_label():
    for tbl in tables().values():
        for col in tbl.columns:
            entry = dictionary.column(col)
            assert entry.label and not entry.label.isascii(), (tbl.name, col)
        assert set(tbl.key) <= set(tbl.columns), tbl.name


def test_naming_conventions():
    for name, col in dictionary.columns().items():
        if col.dtype in ("bool", "boolean"):
            assert name.startswith(("is_", "has_")), name
        if name.endswith("_id"):
            assert col.dtype == "str", name


def test_schema_reports_every_failure_together():
    bad = _accounting(rows_read=[-1], table_kind=["nonsense"])
    with pytest.raises(pandera.errors.SchemaErrors) as exc:
        validate(bad, "qa_accounting")
    text = str(exc.value)
    assert "rows_read" in text and "table_kind" in text


def test_schema_rejects_duplicate_keys():
    dup = pd.concat([_accounting(), _accounting()], ignore_index=True)
    with pytest.raises(pandera.errors.SchemaErrors):
        validate(dup, "qa_accounting")


def test_write_then_read_roundtrip(tmp_path):
    write_tables({"qa_accounting": _accounting()}, tmp_path)
    back = read_table("qa_accounting", tmp_path)
    assert back.loc[0, "rows_kept"] == 8
    assert list(back.columns) == dictionary.table_columns("qa_accounting")


def test_a_failing_table_writes_nothing_and_keeps_the_previous_files(tmp_path):
    write_tables({"qa_accounting": _accounting()}, tmp_path)
    before = table_path("qa_accounting", tmp_path).read_bytes()
    with pytest.raises(pandera.errors.SchemaErrors):
        write_tables(
            {"qa_accounting": _accounting(rows_kept=[7], rows_skipped=[2]),
             "qa_rejects": pd.DataFrame({"source_file": ["a"], "source_sheet": [None],
                                         "source_row": [0], "table_kind": ["schools"],
                                         "source_column": [None], "raw_value": [None],
                                         "reason": ["x"], "is_skipped_row": [False]})},
            tmp_path,
        )
    assert table_path("qa_accounting", tmp_path).read_bytes() == before
    assert not table_path("qa_rejects", tmp_path).exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_rewriting_the_same_frame_gives_identical_bytes(tmp_path):
    write_tables({"qa_accounting": _accounting()}, tmp_path / "a")
    write_tables({"qa_accounting": _accounting()}, tmp_path / "b")
    assert (tmp_path / "a" / "qa_accounting.parquet").read_bytes() == (
        tmp_path / "b" / "qa_accounting.parquet"
    ).read_bytes()


def test_missing_table_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(MissingTableError, match="make data"):
        read_table("core_schools", tmp_path)


def test_unknown_table_lists_known_ones():
    with pytest.raises(KeyError, match="core_schools"):
        schema_for("core_school")


def test_labels_and_dictionary_export():
    assert column_label("equipment_value_yuan") == "教学仪器设备资产值（元）"
    dd = data_dictionary()
    assert {"table", "column", "label_zh", "dtype", "unit", "description"} <= set(dd.columns)
    assert len(empty_frame("core_schools")) == 0
