"""Progress of ``publish``: the bar on a terminal, one line per county finished in a log (issue 17)."""

from __future__ import annotations

import io

from analysis.publish.kernel import Job, JobResult
from analysis.publish.runner import Progress


def _jobs(plan: dict[str, int]) -> list[Job]:
    return [Job(county, 2024, f"nb{i}", "", "", {}, "", f"{county}-{i}", {})
            for county, n in plan.items() for i in range(n)]


def _result(job: Job, status: str = "ok", seconds: float = 1.0) -> JobResult:
    return JobResult(job.county, job.notebook, status, job.fingerprint, seconds)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_one_line_per_county_when_it_is_finished_in_the_order_they_finish():
    jobs = _jobs({"东岭县": 2, "城东区": 3})
    out = io.StringIO()
    with Progress(jobs, 2024, Progress.choose(None, out), out) as p:
        # interleaved, as parallel workers return them
        for job, status in zip([jobs[2], jobs[0], jobs[3], jobs[1], jobs[4]],
                               ["ok", "ok", "failed", "ok", "ok"], strict=True):
            p.update(_result(job, status, 2.5))
            if job is jobs[0]:
                assert out.getvalue() == ""  # 东岭县 not finished yet
    assert out.getvalue().splitlines() == [
        "[1/2] 东岭县 2024：2 个报告完成，0 个失败（5.0 s）",
        "[2/2] 城东区 2024：2 个报告完成，1 个失败（7.5 s）",
    ]


def test_the_bar_on_a_terminal_and_nothing_with_no_progress():
    jobs = _jobs({"东岭县": 1})
    term = _Terminal()
    assert Progress.choose(None, term) == "bar"
    with Progress(jobs, 2024, "bar", term) as p:
        p.update(_result(jobs[0]))
    assert "publish 2024" in term.getvalue() and "个报告完成" not in term.getvalue()
    quiet = io.StringIO()
    assert Progress.choose(False, _Terminal()) is None
    with Progress(jobs, 2024, None, quiet) as p:
        p.update(_result(jobs[0]))
    assert quiet.getvalue() == ""


def test_a_year_page_is_named_as_such_in_the_progress_lines():
    import io

    from analysis.publish.kernel import Job, JobResult
    from analysis.publish.runner import Progress

    job = Job("", 2024, "published_figures", "", "", {}, "", "pf", {})
    out = io.StringIO()
    with Progress([job], 2024, "lines", out) as p:
        p.update(JobResult("", "published_figures", "ok", "pf", 2.0))
    assert out.getvalue().startswith("[1/1] 全年报告（各县共用） 2024：1 个报告完成")
