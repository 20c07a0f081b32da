"""Warm kernels reuse a county's evaluation and the standards, and never serve stale results."""

from __future__ import annotations

import os

import nbformat
import pandas as pd
import pytest

from analysis.indicators import evaluate, example_inputs
from analysis.presentation.cache import EvaluationMemo, FileMemo, StandardsMemo, frame_key
from analysis.publish.kernel import NotebookWorker, WorkerOptions
from analysis.standards import load_standards
from analysis.tables import read_table, write_tables


def test_an_evaluation_is_reused_for_the_same_data_only():
    memo = EvaluationMemo(evaluate)
    first = memo(example_inputs(), year=2024, counties="示例县", standards="national")
    again = memo(example_inputs(), 2024, ["示例县"][0], "national")  # same call, written differently
    assert (memo.hits, memo.misses) == (1, 1)
    pd.testing.assert_frame_equal(first.verdict, again.verdict)
    # what a notebook does to its result does not reach the next notebook
    again.verdict.loc[:, "reason"] = "改过了"
    third = memo(example_inputs(), year=2024, counties="示例县", standards="national")
    pd.testing.assert_frame_equal(third.verdict, first.verdict)
    # other data, other standards: computed again
    changed = example_inputs()
    changed["core_school_sections"] = changed["core_school_sections"].assign(
        students=changed["core_school_sections"]["students"] + 1)
    memo(changed, year=2024, counties="示例县", standards="national")
    memo(example_inputs(), year=2024, counties="示例县", standards="shanxi")
    assert (memo.hits, memo.misses) == (2, 3)


def test_read_tables_and_inputs_are_reused_while_their_files_stay_the_same(tmp_path):
    from analysis.indicators import load_inputs

    write_tables(dict(example_inputs()), tmp_path)
    reads, loads = FileMemo(read_table, "processed_dir"), FileMemo(load_inputs, "processed_dir")
    first = reads("core_schools", tmp_path, filters=[("county", "==", "示例县")])
    again = reads("core_schools", str(tmp_path), None, [("county", "==", "示例县")])  # written differently
    assert (reads.hits, reads.misses) == (1, 1)
    pd.testing.assert_frame_equal(first, again)
    again.loc[:, "school_name"] = "改过了"  # a notebook's change does not reach the next one
    pd.testing.assert_frame_equal(reads("core_schools", tmp_path, filters=[("county", "==", "示例县")]), first)
    reads("core_schools", tmp_path, columns=["school_id"])  # other arguments: read
    assert (reads.hits, reads.misses) == (2, 2)

    inputs = loads(tmp_path, year=2024, counties=["示例县"])
    copy_ = loads(tmp_path, 2024, ["示例县"])
    assert type(copy_).__name__ == "Inputs" and copy_.data_label == inputs.data_label and loads.hits == 1
    assert copy_["core_schools"] is not inputs["core_schools"]
    pd.testing.assert_frame_equal(copy_["core_schools"], inputs["core_schools"])

    # a rebuilt table (another file in its place) is read again
    changed = dict(example_inputs())
    changed["core_schools"] = changed["core_schools"].assign(school_name="新校名")
    write_tables({"core_schools": changed["core_schools"]}, tmp_path)
    assert set(reads("core_schools", tmp_path, filters=[("county", "==", "示例县")])["school_name"]) == {"新校名"}
    assert set(loads(tmp_path, 2024, ["示例县"])["core_schools"]["school_name"]) == {"新校名"}
    assert (reads.misses, loads.misses) == (3, 2)


def test_row_order_and_dtypes_are_part_of_the_key():
    a = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    assert frame_key(a) != frame_key(a.iloc[::-1].reset_index(drop=True))
    assert frame_key(a) != frame_key(a.astype({"x": "float64"}))


def test_standards_are_reloaded_when_their_file_changes(tmp_path):
    memo = StandardsMemo(load_standards)
    f = tmp_path / "province.yaml"
    f.write_text("name: province\nlabel: 某省\nextends: national\nguarantee:\n  G14:\n    min_share_pct: 60\n",
                 encoding="utf-8")
    assert memo(str(f)).get("guarantee.G14.min_share_pct") == 60
    assert memo(str(f)).get("guarantee.G14.min_share_pct") == 60 and memo.hits == 1
    f.write_text("name: province\nlabel: 某省\nextends: national\nguarantee:\n  G14:\n    min_share_pct: 75\n",
                 encoding="utf-8")
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))
    assert memo(str(f)).get("guarantee.G14.min_share_pct") == 75 and memo.hits == 1
    assert memo("national").name == "national"
    with pytest.raises(ValueError, match="unknown standards"):
        memo("nope")


def test_a_warm_kernel_evaluates_a_county_once_for_two_notebooks(tmp_path, sample_processed):
    from analysis.indicators import load_inputs  # noqa: F401 - the notebooks import it in the kernel

    county = sorted(pd.read_parquet(sample_processed / "core_schools.parquet", columns=["county"])["county"])[0]
    code = (
        "from analysis.indicators import load_inputs\nfrom analysis.presentation import cache\n"
        "from analysis.presentation.cache import evaluate\n"
        f"ev = evaluate(load_inputs({str(sample_processed)!r}, year=2024, counties=[{county!r}]), year=2024, "
        f"counties=[{county!r}], standards='national')\n"
        "ev.verdict.loc[:, 'reason'] = 'changed by the notebook'\n"
        "s = cache.statistics()['evaluate']\nprint('hits', s['hits'], 'misses', s['misses'], len(ev.verdict))"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    from analysis.publish.kernel import Job

    worker = NotebookWorker(WorkerOptions(cell_timeout=300))
    try:
        outputs = []
        for name in ("a", "b"):
            job = Job(county=county, year=2024, notebook=name, source=nbformat.writes(nb), source_path=f"{name}.ipynb",
                      parameters={}, cwd=str(tmp_path), fingerprint="x", meta={})
            result = worker.run(job)
            assert result.ok, result.error
            run = nbformat.reads(result.ipynb, as_version=4)
            outputs.append("".join(o.get("text", "") for o in run.cells[0].outputs).split())
    finally:
        worker.close()
    assert outputs[0][:4] == ["hits", "0", "misses", "1"]
    assert outputs[1][:4] == ["hits", "1", "misses", "1"]  # the second notebook got a copy
    assert outputs[0][4] == outputs[1][4]
