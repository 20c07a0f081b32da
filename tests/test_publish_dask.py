"""``--scheduler tcp://…``: the runs fan out to a Dask cluster's workers (loopback only)."""

from __future__ import annotations

import pytest
from test_publish_support import CHART_CELLS, failing_cells, fake_processed, write_notebooks

from analysis.publish import kernel
from analysis.publish.runner import publish
from analysis.safe_names import safe_component

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, host="127.0.0.1",
        dashboard_address=None, protocol="tcp",
    ) as local:
        yield local


def test_publish_on_a_dask_cluster(tmp_path, cluster):
    nbs = write_notebooks(tmp_path / "nbs", {"chart": CHART_CELLS, "fails": failing_cells("乙县")})
    processed = fake_processed(tmp_path / "processed")
    out = tmp_path / "reports"
    counties = ["甲县", "乙县", "<b>丙县</b>"]
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")

    result = publish(processed, out, counties=counties, year=2024, notebooks_dir=nbs,
                     scheduler=cluster.scheduler_address, verdicts=False, echo=None, keep_notebooks=True)

    assert len(result.results) == 6
    assert [(r.county, r.notebook) for r in result.failed] == [("乙县", "fails")]
    assert result.exit_code == 1
    workers = {r.worker for r in result.results}
    assert len(workers) >= 1  # each Dask worker thread has its own warm kernel
    for county in counties:
        folder = out / "2024" / safe_component(county)
        assert (folder / "chart.html").is_file() and (folder / "fails.ipynb").is_file()
        assert not (folder / "marker.txt").exists()  # no output folder: the notebook writes no files
    html = (out / "2024" / safe_component("<b>丙县</b>") / "chart.html").read_text(encoding="utf-8")
    assert "<title>&lt;b&gt;丙县&lt;/b&gt; · 测试报告（示例数据（合成））</title>" in html  # names from data are text
    index = result.index_path.read_text(encoding="utf-8")
    assert "ValueError: bad data for 乙县" in index and "&lt;b&gt;丙县&lt;/b&gt;" in index
    # the warm kernels were shut down on the workers when the batch finished
    assert kernel._WORKERS == {}

    # a second run skips everything unchanged and does not need the cluster's work
    again = publish(processed, out, counties=counties, year=2024, notebooks_dir=nbs,
                    scheduler=cluster.scheduler_address, verdicts=False, echo=None)
    assert len(again.skipped) == 5 and [(r.county, r.notebook) for r in again.results] == [("乙县", "fails")]


def test_bad_scheduler_address(tmp_path):
    nbs = write_notebooks(tmp_path / "nbs", {"chart": CHART_CELLS})
    with pytest.raises(ValueError, match="scheduler must be an address like tcp://"):
        publish(fake_processed(tmp_path / "p"), tmp_path / "r", counties="甲县", year=2024, notebooks_dir=nbs,
                scheduler="127.0.0.1:8786", verdicts=False, echo=None)
