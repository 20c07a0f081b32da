"""Round trip: cleaning the generated sample city recovers exactly what its files encode."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SAMPLE_COUNTIES, SAMPLE_SEED, SAMPLE_YEARS

from analysis.tables import read_table


@pytest.fixture(scope="module")
def truth(tmp_path_factory):
    """The truth of the session sample (the generator is deterministic: same arguments,
    same files, same truth)."""
    from analysis.sample import generate_sample

    out = tmp_path_factory.mktemp("truth") / "sample"
    return generate_sample(out, seed=SAMPLE_SEED, n_counties=SAMPLE_COUNTIES, years=SAMPLE_YEARS)


def _no_source(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=[c for c in df.columns if c.startswith("source_")]).reset_index(drop=True)


@pytest.mark.parametrize(
    "name",
    ["core_schools", "core_teachers", "core_classes", "core_enrolment", "core_cohort_flows",
     "core_county_figures", "core_attestations", "core_survey", "core_births"],
)
def test_clean_sample_equals_truth(sample_processed, truth, name):
    got = _no_source(read_table(name, sample_processed))
    expected = truth.tables[name].reset_index(drop=True)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(got, expected[got.columns], check_dtype=False)


def test_rejects_are_exactly_the_corrupted_and_non_data_rows(sample_processed, truth):
    rejects = read_table("qa_rejects", sample_processed)
    non_data = rejects["is_skipped_row"]
    assert (non_data == rejects["reason"].str.endswith("（非数据）")).all()
    got = {
        (r.source_file, None if pd.isna(r.source_sheet) else r.source_sheet, int(r.source_row),
         None if pd.isna(r.source_column) else r.source_column)
        for r in rejects.loc[~non_data].itertuples()
    }
    expected = {(f, None if pd.isna(s) else s, int(row), c) for f, s, row, c in truth.expected_rejects}
    assert got == expected
    nd = truth.non_data_rows
    assert set(zip(rejects.loc[non_data, "source_file"], rejects.loc[non_data, "source_sheet"].fillna(""),
                   rejects.loc[non_data, "source_row"], strict=True)) == set(
        zip(nd["source_file"], nd["source_sheet"].fillna(""), nd["source_row"], strict=True))


def test_accounting_equals_truth(sample_processed, truth):
    acc = read_table("qa_accounting", sample_processed)
    key = ["source_file", "source_sheet"]
    expected = truth.accounting.sort_values(key).reset_index(drop=True)
    got = acc.sort_values(key).reset_index(drop=True)[expected.columns]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert (acc["rows_read"] == acc["rows_kept"] + acc["rows_skipped"] + acc["rows_rejected"]).all()


def test_school_sections_take_counts_from_roster_or_counts_table(sample_processed, truth):
    sections = read_table("core_school_sections", sample_processed)
    counts = truth.teacher_counts
    assert len(counts) > 0
    merged = counts.merge(sections, on=["year", "school_id", "section"], suffixes=("_truth", ""))
    assert len(merged) == len(counts)
    assert (merged["teacher_count_source"] == "counts").all()
    for col in ("teachers", "above_degree_teachers", "backbone_teachers", "pe_art_teachers"):
        assert (merged[col].astype("int64") == merged[f"{col}_truth"].astype("int64")).all(), col
    roster = read_table("core_teachers", sample_processed)
    from_roster = sections.loc[sections["teacher_count_source"] == "roster"]
    assert from_roster["teachers"].sum() == roster.merge(
        from_roster[["year", "school_id", "section"]],
        left_on=["year", "school_id", "teaching_section"], right_on=["year", "school_id", "section"]).shape[0]
