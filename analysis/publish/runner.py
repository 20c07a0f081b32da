"""Run the county notebooks for a year and publish them: ``python -m analysis publish``.

:func:`publish` plans one job per county × notebook, skips those whose inputs,
parameters and notebook did not change since their last successful run (see
:mod:`analysis.publish.state`), runs the rest on warm kernels in parallel
(:func:`run_local`, county by county) or on a Dask cluster (:mod:`analysis.publish.dask_backend`),
writes each offline HTML page and its downloads to ``reports/<year>/<county>/`` as
results arrive, and finally rebuilds ``reports/<year>/index.html`` with every county's
verdicts, also after failures: a kernel that ran a county's report hands back the county's
row of the verdict summary from the evaluation it cached (:data:`~analysis.publish.kernel.
SUMMARY_NOTEBOOKS`), and only the counties no kernel gave a row for are evaluated in this
process (those without a report to run while the kernels work).

What is published stays light: the style sheet and script every page shares are written
once to ``reports/<year>/_assets/``; each chart is one PNG file (plus its SVG download);
the executed notebooks are kept only with ``keep_notebooks`` (``--keep-notebooks``); the
notebooks write no files of their own (no ``output_dir``); a notebook that does not depend
on the county (:data:`YEAR_NOTEBOOKS`, the officially published figures) is published once
per year as ``reports/<year>/<notebook>.html`` and linked from every county page and the
index. The up-to-date check covers the package itself
(:func:`~analysis.publish.state.package_digest`): a changed unit cost republishes.

Examples
--------
>>> select_notebooks({"county_report": "a", "explore": "b"})
['county_report', 'explore']
>>> select_notebooks({"county_report": "a", "explore": "b"}, exclude=["explore"])
['county_report']
>>> select_counties(["城东区", "城西区"], "城西区")
['城西区']
>>> select_counties(["城东区"], "北区")
Traceback (most recent call last):
...
ValueError: unknown counties ['北区']; available: 城东区
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import os
import queue
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.config import DEFAULT_PROCESSED, atomic_write
from analysis.publish.export import ASSETS_DIR
from analysis.publish.index import (
    assemble_summary,
    describe_source,
    evaluation_summary,
    render_index,
    summary_counties,
    write_index,
)
from analysis.publish.kernel import (
    SUMMARY_NOTEBOOKS,
    Job,
    JobResult,
    NotebookWorker,
    WorkerOptions,
)
from analysis.publish.prelaunch import default_jobs
from analysis.publish.safety import county_dir
from analysis.publish.state import (
    PACKAGE_ROOT,
    file_digest,
    files_digest,
    inputs_digest,
    is_up_to_date,
    job_fingerprint,
    package_digest,
    read_state,
    write_state,
)
from analysis.safe_names import assign_dirs

DEFAULT_NOTEBOOKS_DIR = Path("notebooks")
DEFAULT_OUT_DIR = Path("reports")
#: notebooks meant for interactive use only, left out unless named with ``--notebooks``;
#: none: the explorer's controls also work in its published page (:mod:`analysis.explorer`)
INTERACTIVE_NOTEBOOKS: tuple[str, ...] = ()
#: notebooks whose page does not depend on the county: published once per year, as
#: ``reports/<year>/<name>.html``, and linked from every county page and the index
YEAR_NOTEBOOKS: tuple[str, ...] = ("published_figures",)
#: where the reports' code and data files are (its digest enters every fingerprint)
package_root: Path = PACKAGE_ROOT


def discover_notebooks(notebooks_dir: str | os.PathLike) -> dict[str, Path]:
    """``{name: path}`` of the notebooks in ``notebooks_dir`` (sorted, no checkpoints)."""
    folder = Path(notebooks_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: notebooks folder not found")
    return {
        p.stem: p
        for p in sorted(folder.glob("*.ipynb"))
        if not p.name.startswith((".", "_")) and p.is_file()
    }


def select_notebooks(
    available: Mapping[str, Any], names: Sequence[str] | None = None,
    exclude: Iterable[str] = INTERACTIVE_NOTEBOOKS,
) -> list[str]:
    """The notebooks to run: ``names`` (checked), or all available except ``exclude``."""
    if not available:
        raise FileNotFoundError("no notebooks (*.ipynb) to run")
    if not names:
        chosen = [n for n in available if n not in set(exclude)]
        if not chosen:
            raise ValueError(f"only interactive notebooks found ({', '.join(available)}); name them with --notebooks")
        return chosen
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(f"unknown notebooks {unknown}; available: {', '.join(available)}")
    return list(dict.fromkeys(names))


def county_notebooks(available: Mapping[str, Any], names: Sequence[str] | None = None) -> list[str]:
    """The per-county notebooks to publish: ``names`` (checked; the city/province report is
    refused, it has its own scope), or every available one except the interactive ones and
    the region report.

    >>> county_notebooks({"county_report": "a", "city_report": "b"})
    ['county_report']
    """
    # deferred: keeps the command line's start-up light
    from analysis.publish.regions import REGION_NOTEBOOK

    if names and REGION_NOTEBOOK in names:
        raise ValueError(f"{REGION_NOTEBOOK} is the city/province report: publish it with --scope city or province")
    return select_notebooks(available, names, exclude=(*INTERACTIVE_NOTEBOOKS, REGION_NOTEBOOK))


def latest_year(processed_dir: str | os.PathLike) -> int:
    """The latest statistics year in ``core_schools``."""
    # deferred: keeps the command line's start-up light
    from analysis.tables import read_table

    years = read_table("core_schools", processed_dir, columns=["year"])["year"].dropna()
    if years.empty:
        raise ValueError(f"{processed_dir}: core_schools has no rows; run `make data` first")
    return int(years.max())


def counties_of_year(processed_dir: str | os.PathLike, year: int) -> list[str]:
    """Counties with schools in ``core_schools`` for ``year``, sorted."""
    # deferred: keeps the command line's start-up light
    from analysis.tables import read_table

    frame = read_table("core_schools", processed_dir, columns=["county"], filters=[("year", "==", int(year))])
    return sorted(frame["county"].dropna().astype(str).unique())


def _split_names(names: str | Sequence[str]) -> list[str]:
    items = names.split(",") if isinstance(names, str) else list(names)
    return list(dict.fromkeys(str(n).strip() for n in items if str(n).strip()))


def select_counties(available: Sequence[str], requested: str | Sequence[str] | None) -> list[str]:
    """``requested`` (``"all"``, ``None``, ``"A,B"`` or a list) checked against ``available``."""
    if requested is None or requested == "all" or (not isinstance(requested, str) and list(requested) == ["all"]):
        return list(available)
    names = _split_names(requested)
    unknown = [n for n in names if n not in set(available)]
    if unknown:
        raise ValueError(f"unknown counties {unknown}; available: {', '.join(available) or '(none)'}")
    return list(dict.fromkeys(names))


# -- backends -------------------------------------------------------------------------
def _failed(job: Job, exc: BaseException) -> JobResult:
    return JobResult(
        county=job.county, notebook=job.notebook, status="failed", fingerprint=job.fingerprint,
        seconds=0.0, error=f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}",
    )


def next_job(pending: list[Job], last: str | None, taken: Iterable[str] = (),
             expected: Callable[[Job], float] | None = None) -> Job:
    """Take the job a free worker runs next out of ``pending`` (ordered longest first).

    A worker stays with the county it ran last while that county has jobs left, so the
    county's notebooks share its kernel's caches (the same tables and evaluation);
    otherwise it starts the longest job of a county no other worker is on, and only when
    every remaining county is taken does it help with another worker's county. Within the
    county it picks, ``expected`` (seconds a job is expected to take, e.g. learnt from the
    runs so far) puts the longest first, so a short notebook is what runs alone at the end.

    >>> jobs = [Job("甲县", 2024, n, "", "", {}, "", "", {}) for n in ("a", "b")]
    >>> jobs += [Job("乙县", 2024, n, "", "", {}, "", "", {}) for n in ("a", "b")]
    >>> [(j.county, j.notebook) for j in (next_job(jobs, None, ["甲县"]), next_job(jobs, "甲县"))]
    [('乙县', 'a'), ('甲县', 'a')]
    >>> (next_job(jobs, "丙县", ["甲县", "乙县"]).notebook, len(jobs))
    ('b', 1)
    >>> jobs = [Job("甲县", 2024, n, "", "", {}, "", "", {}) for n in ("a", "b", "c")]
    >>> took = {"a": 0.1, "b": 2.0}  # c: not seen yet
    >>> [next_job(jobs, "甲县", expected=lambda j: took.get(j.notebook)).notebook for _ in range(3)]
    ['c', 'b', 'a']
    """
    mine = [i for i, job in enumerate(pending) if job.county == last]
    if not mine:
        busy = set(taken)
        free = [job.county for job in pending if job.county not in busy]
        county = free[0] if free else pending[0].county
        mine = [i for i, job in enumerate(pending) if job.county == county]
    if expected is not None:
        def key(i: int) -> float:
            value = expected(pending[i])
            return float("inf") if value is None else value

        return pending.pop(max(mine, key=key))  # max keeps the first of equals
    return pending.pop(mine[0])


def _mean(values: list[float] | None) -> float | None:
    return sum(values) / len(values) if values else None


def run_local(jobs: Sequence[Job], options: WorkerOptions, workers: int) -> Iterator[JobResult]:
    """Run ``jobs`` on ``workers`` warm kernels; results are yielded as they complete.

    Each worker is a thread of this process driving its own kernel (a separate process,
    where the notebook code runs); the workers' kernels start at once, in parallel. The
    thread only waits on its kernel and exports the HTML, so no worker processes have to
    start and import papermill and nbconvert again. Jobs are handed out by
    :func:`next_job` (county by county, longest first).
    """
    if not jobs:
        return
    n = max(1, min(workers, len(jobs)))
    pending = list(jobs)
    lock = threading.Lock()
    results: queue.Queue = queue.Queue()
    on_county: dict[int, str] = {}
    took: dict[str, list[float]] = {}  # seconds each notebook took so far in this run
    pool = [NotebookWorker(options) for _ in range(n)]  # each kernel starts in the background

    def serve(slot: int, worker: NotebookWorker) -> None:
        last: str | None = None
        try:
            while True:
                with lock:
                    if not pending:
                        return
                    job = next_job(pending, last, [c for s, c in on_county.items() if s != slot],
                                   expected=lambda j: _mean(took.get(j.notebook)))
                    on_county[slot] = last = job.county
                try:
                    result = worker.run(job)
                except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
                    result = _failed(job, exc)
                with lock:  # a failed run's time counts too: it is what the notebook costs
                    took.setdefault(job.notebook, []).append(result.seconds)
                results.put(result)
        finally:
            results.put(None)

    threads = [threading.Thread(target=serve, args=(i, w), name=f"edu-publish-{i}", daemon=True)
               for i, w in enumerate(pool)]
    for thread in threads:
        thread.start()
    try:
        running = len(threads)
        while running:
            item = results.get()
            if item is None:
                running -= 1
            else:
                yield item
    finally:
        with lock:
            pending.clear()  # the caller stopped early: start nothing new
        for thread in threads:
            thread.join()
        closers = [threading.Thread(target=w.close, daemon=True) for w in pool]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join(timeout=60)


# -- progress ----------------------------------------------------------------------
class Progress:
    """Progress of a publish run: the tqdm bar when ``stream`` is a terminal, otherwise (a
    log file, a pipe) one line per county (or region) when its last report is finished.

    ``mode``: ``"bar"``, ``"lines"`` or ``None`` (silent); :meth:`choose` picks it.

    >>> import io
    >>> jobs = [Job("东岭县", 2024, n, "", "", {}, "", f"{n}", {}) for n in ("a", "b")]
    >>> out = io.StringIO()
    >>> p = Progress(jobs, 2024, "lines", out)
    >>> for j, status in zip(jobs, ("ok", "failed"), strict=True):
    ...     p.update(JobResult("东岭县", j.notebook, status, j.fingerprint, 6.15))
    >>> p.close()
    >>> print(out.getvalue().strip())
    [1/1] 东岭县 2024：1 个报告完成，1 个失败（12.3 s）
    """

    def __init__(self, jobs: Sequence[Job], year: int, mode: str | None, stream: Any = None) -> None:
        from tqdm import tqdm

        self.year = year
        self.mode = mode
        self.stream = stream if stream is not None else sys.stderr
        self.expected = Counter(j.county for j in jobs)
        self.done: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.finished = 0
        self.bar = tqdm(total=len(jobs), desc=f"publish {year}", unit="nb", file=self.stream,
                        disable=mode != "bar")

    @staticmethod
    def choose(progress: bool | None, stream: Any = None) -> str | None:
        """``"bar"`` on a terminal (or ``progress=True``), ``"lines"`` elsewhere, ``None``
        with ``progress=False``.

        >>> import io
        >>> Progress.choose(None, io.StringIO()), Progress.choose(True, io.StringIO()), Progress.choose(False)
        ('lines', 'bar', None)
        """
        if progress is False:
            return None
        if progress:
            return "bar"
        stream = stream if stream is not None else sys.stderr
        isatty = getattr(stream, "isatty", None)
        return "bar" if isatty is not None and isatty() else "lines"

    def update(self, result: JobResult) -> None:
        """Count one finished job; print the county's line when it was its last."""
        c = result.county
        self.done[c] += 1
        self.failed[c] += 0 if result.ok else 1
        self.seconds[c] += result.seconds or 0.0
        self.bar.set_postfix_str(f"{c}/{result.notebook} {result.status}")
        self.bar.update(1)
        if self.mode == "lines" and self.done[c] == self.expected.get(c, 0):
            self.finished += 1
            ok = self.done[c] - self.failed[c]
            place = c or "全年报告（各县共用）"  # a year page belongs to no county
            print(f"[{self.finished}/{len(self.expected)}] {place} {self.year}：{ok} 个报告完成，"
                  f"{self.failed[c]} 个失败（{self.seconds[c]:.1f} s）", file=self.stream, flush=True)

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# -- the command ---------------------------------------------------------------------
@dataclass
class PublishResult:
    """What :func:`publish` did."""

    year: int
    out_dir: Path
    index_path: Path | None
    counties: list[str]
    notebooks: list[str]
    results: list[JobResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    evaluation_error: str | None = None
    #: city / province reports run: ``(scope, name)``
    regions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        """0 when every run succeeded and verdicts were computed, 1 otherwise."""
        return 1 if self.failed or self.evaluation_error else 0

    def summary(self) -> str:
        """A short report for the terminal."""
        ok = len(self.results) - len(self.failed)
        lines = [
            f"publish {self.year}: {len(self.counties)} counties × {len(self.notebooks)} notebooks: "
            f"{ok} ok, {len(self.failed)} failed, {len(self.skipped)} unchanged (skipped)"
        ]
        if self.regions:
            lines[0] += f"; region reports: {', '.join(f'{s} {n}' for s, n in self.regions)}"
        for r in sorted(self.failed, key=lambda r: (r.county, r.notebook)):
            lines.append(f"  FAILED {r.county} / {r.notebook}: {r.error}")
        for r in self.results:
            lines.extend(f"  warning {r.county} / {r.notebook}: {w}" for w in r.warnings)
        if self.evaluation_error:
            lines.append(f"  verdicts not computed: {self.evaluation_error}")
        if self.index_path is not None:
            lines.append(f"index: {self.index_path}")
        return "\n".join(lines)


def longest_first(jobs: Sequence[Job], states: Mapping[str, Mapping[str, Any]]) -> list[Job]:
    """``jobs`` ordered by how long they took last time, longest first.

    Starting the long notebooks first keeps every worker busy to the end instead of one
    long notebook running alone at the tail. A run never seen before is expected to take
    as long as that notebook took on average for the other counties; with no history at
    all the order is kept.
    """
    took: dict[tuple[str, str], float] = {}
    by_notebook: dict[str, list[float]] = {}
    for county, state in states.items():
        for name, entry in state.get("notebooks", {}).items():
            if entry.get("status") == "ok" and entry.get("seconds") is not None:
                took[(county, name)] = float(entry["seconds"])
                by_notebook.setdefault(name, []).append(float(entry["seconds"]))
    mean = {name: sum(v) / len(v) for name, v in by_notebook.items()}

    def expected(job: Job) -> float:
        return took.get((job.county, job.notebook), mean.get(job.notebook, float("inf")))

    return sorted(jobs, key=lambda job: -expected(job))


def _template_digest() -> str:
    """Digest of the report template and the files it inlines (the index template does not
    change the reports)."""
    # deferred: keeps the command line's start-up light
    from analysis.publish.export import REPORT_ASSETS, REPORT_TEMPLATE, TEMPLATES_DIR

    return files_digest([TEMPLATES_DIR / n for n in (REPORT_TEMPLATE, *REPORT_ASSETS)], TEMPLATES_DIR)


def _standards_info(standards: str) -> tuple[str, str, str]:
    """(value passed to notebooks, Chinese label, digest of the files)."""
    # deferred: keeps the command line's start-up light
    from analysis.standards import load_standards

    std = load_standards(standards)
    value = str(Path(standards).resolve()) if Path(str(standards)).suffix in (".yaml", ".yml") else str(standards)
    return value, std.label, files_digest(std.files)


#: the index's verdicts of the last run and what they were computed from (in reports/<year>/)
SUMMARY_FILE = "index_summary.parquet"
SUMMARY_KEY_FILE = "index_summary.json"


def cached_summary(folder: Path, key: str) -> Any:
    """The verdict summary saved by the last run when it was computed from ``key``, else None."""
    import json

    import pandas as pd

    try:
        saved = json.loads((folder / SUMMARY_KEY_FILE).read_text(encoding="utf-8"))
        if saved.get("key") != key:
            return None
        return pd.read_parquet(folder / SUMMARY_FILE)
    except (OSError, ValueError, KeyError, AttributeError, ImportError):
        return None


def save_summary(folder: Path, key: str, summary: Any) -> None:
    """Keep ``summary`` for the next run (best effort: a failure only costs a recomputation)."""
    # deferred: keeps the command line's start-up light
    from analysis.tables import write_json_atomic

    try:
        atomic_write(folder / SUMMARY_FILE, lambda fh: summary.to_parquet(fh, index=False))
        write_json_atomic({"key": key}, folder / SUMMARY_KEY_FILE)
    except Exception:  # noqa: BLE001
        return


@dataclass
class _Summary:
    """The index's verdict summary as far as it is known before the runs.

    ``summary``/``error``: the complete result (cached, or computed here because no kernel
    will evaluate any of the counties); otherwise ``rows`` holds the rows of the counties
    no kernel evaluates and ``waiting`` the counties whose county report runs, whose rows
    the kernels hand back (:attr:`JobResult.summary`).
    """

    summary: Any = None
    error: str | None = None
    cached: bool = False
    rows: list[Any] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.summary is not None or self.error is not None


def _summary_before(processed: Path, year: int, standards: str, folder: Path, key: str,
                    promised: Iterable[str] = ()) -> _Summary:
    """The index's verdicts before the runs: those of the last run if nothing they depend
    on changed; else the rows of the counties for which no county report runs
    (``promised``: those for which one does, the kernels then compute their rows)."""
    summary = cached_summary(folder, key)
    if summary is not None:
        return _Summary(summary=summary, cached=True)
    promised = set(promised)
    expected: list[str] = []
    if promised:
        try:
            expected = summary_counties(processed, year)
        except Exception:  # noqa: BLE001 - the engine's run below says what is wrong
            expected = []
    waiting = [c for c in expected if c in promised]
    if not waiting:  # no kernel evaluates a county of the summary: all of them here, at once
        return _Summary(*evaluation_summary(processed, year, standards))
    others = [c for c in expected if c not in promised]
    if not others:
        return _Summary(waiting=waiting)
    rows, error = evaluation_summary(processed, year, standards, counties=others)
    if error is not None:
        return _Summary(error=error)
    return _Summary(rows=[rows], waiting=waiting)


def _summary_after(before: _Summary, kernel_rows: Mapping[str, Any], processed: Path, year: int,
                   standards: str, folder: Path, key: str) -> tuple[Any, str | None]:
    """The index's verdicts after the runs: the rows the kernels handed back for the
    counties ``before`` waits for, the others evaluated here; saved for the next run."""
    if before.complete:
        summary, error = before.summary, before.error
    else:
        rows = list(before.rows)
        missing = []
        for county in before.waiting:
            row = kernel_rows.get(county)
            if row is not None and list(row["county"].astype(str)) == [county]:
                rows.append(row)
            else:  # no kernel row: report not run or failed, kernel lost, row not computed
                missing.append(county)
        summary, error = None, None
        if missing:
            extra, error = evaluation_summary(processed, year, standards, counties=missing)
            rows.append(extra)
        if error is None:
            try:
                summary = assemble_summary(rows)
            except Exception as exc:  # noqa: BLE001 - shown in the index, like the engine's errors
                error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    if summary is not None and error is None and not before.cached:
        save_summary(folder, key, summary)
    return summary, error


def _kernel_rows(results: Iterable[JobResult]) -> dict[str, Any]:
    """County → its summary row handed back by a kernel in this run."""
    return {r.county: r.summary for r in results if r.summary is not None and r.county}


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _store(result: JobResult, folder: Path, title: str, keep_notebook: bool = False) -> None:
    """Write a result's HTML (and with ``keep_notebook`` its executed notebook) into
    ``folder`` and record it in the state; an executed notebook of an earlier run that
    kept one is removed otherwise."""
    entry: dict[str, Any] = {
        "status": result.status, "fingerprint": result.fingerprint, "error": result.error,
        "seconds": round(result.seconds, 3), "finished_at": _now(), "title": title,
        "warnings": result.warnings, "worker": result.worker, "html": None, "ipynb": None,
    }
    if result.ipynb is not None and keep_notebook:
        atomic_write(folder / f"{result.notebook}.ipynb", result.ipynb)
        entry["ipynb"] = f"{result.notebook}.ipynb"
    else:
        (folder / f"{result.notebook}.ipynb").unlink(missing_ok=True)
    if result.html is not None:
        atomic_write(folder / f"{result.notebook}.html", result.html)
        entry["html"] = f"{result.notebook}.html"
    if result.html is not None:  # the page's downloads (.xlsx, charts), replacing earlier ones
        # deferred: keeps the command line's start-up light
        from analysis.publish.downloads import write_files

        entry["downloads"] = write_files(folder, result.notebook, result.files)
    state = read_state(folder)
    if result.county:
        state.update({"county": result.county})
    state["notebooks"][result.notebook] = entry
    write_state(folder, state)


def _resolve_counties(processed: Path, year: int, counties: str | Sequence[str] | None
                      ) -> tuple[list[str], list[str]]:
    """(every county of the year, the counties to run)."""
    if (processed / "core_schools.parquet").is_file():
        available = counties_of_year(processed, year)
        return available, select_counties(available, counties)
    if counties is None or counties == "all":
        raise FileNotFoundError(f"{processed}: core_schools has not been built; run `make data` first")
    return [], _split_names(counties)  # no school table (e.g. a bare test folder): as named


def plan_jobs(
    counties: Sequence[str],
    notebooks: Mapping[str, Path],
    *,
    processed: Path,
    out_root: Path,
    year: int,
    standards: str,
    force: bool = False,
    extra: Sequence[str] = (),
    meta: Mapping[str, Any] | None = None,
    data_digest: str | None = None,
    keep_notebooks: bool = False,
) -> tuple[list[Job], list[tuple[str, str]]]:
    """One job per county × notebook, minus those unchanged since their last success.

    Creates the county folders. Returns ``(jobs, skipped)``; ``skipped`` lists
    ``(county, notebook)`` pairs. ``extra`` digests (standards files, template, kernel)
    enter every fingerprint; ``meta`` is added to every job's page metadata;
    ``data_digest`` is :func:`~analysis.publish.state.inputs_digest` of ``processed``
    (computed when not given); with ``keep_notebooks`` a run that kept no executed
    notebook is not up to date.
    """
    data_digest = data_digest or inputs_digest(processed)
    sources = {name: path.read_text(encoding="utf-8") for name, path in notebooks.items()}
    digests = {name: file_digest(path) for name, path in notebooks.items()}
    titles = {name: _title(text, name) for name, text in sources.items()}
    _NOTEBOOK_TITLES.update(titles)
    jobs: list[Job] = []
    skipped: list[tuple[str, str]] = []
    for county in counties:
        folder = county_dir(out_root, year, county)
        folder.mkdir(parents=True, exist_ok=True)
        for name, path in notebooks.items():
            job, _ = _notebook_job(
                name, path, sources[name], county, folder=folder, processed=processed, year=year,
                standards=standards, digests=(data_digest, digests[name], *extra), title=titles[name],
                meta=meta or {}, force=force, keep_notebooks=keep_notebooks)
            if job is None:
                skipped.append((county, name))
            else:
                jobs.append(job)
    return jobs, skipped


def _notebook_job(name: str, path: Path, source: str, county: str, *, folder: Path, processed: Path, year: int,
                  standards: str, digests: Sequence[str], title: str, meta: Mapping[str, Any], force: bool,
                  keep_notebooks: bool = False) -> tuple[Job | None, str]:
    """The job of notebook ``name`` for ``county`` (``""``: published once for the year)
    and its fingerprint; no job when the page in ``folder`` is up to date. ``digests``: the
    data's, the notebook's and the extra ones, in that order."""
    # no output folder: the page and its downloads are all that is published
    parameters = {"county": county, "year": year, "processed_dir": str(processed), "output_dir": "",
                  "standards": standards}
    data_digest, notebook_digest, *extra = digests
    fingerprint = job_fingerprint(data_digest, parameters, notebook_digest, *extra)
    if not force and is_up_to_date(folder, name, fingerprint, keep_notebooks):
        return None, fingerprint
    return Job(
        county=county, year=year, notebook=name, source=source, source_path=str(path), parameters=parameters,
        cwd=str(path.parent.resolve()), fingerprint=fingerprint,
        meta={**meta, "title": title, "county": county, "year": year},
    ), fingerprint


def plan_year_jobs(
    notebooks: Mapping[str, Path],
    *,
    processed: Path,
    out_root: Path,
    year: int,
    standards: str,
    force: bool = False,
    extra: Sequence[str] = (),
    meta: Mapping[str, Any] | None = None,
    data_digest: str,
) -> tuple[list[Job], list[tuple[str, str]], dict[str, Path]]:
    """One job per notebook of :data:`YEAR_NOTEBOOKS`, published in ``<out_root>/<year>/``;
    returns ``(jobs, skipped, {fingerprint: folder})``. Skipped pairs are ``("", name)``."""
    folder = out_root / str(int(year))
    folder.mkdir(parents=True, exist_ok=True)
    jobs: list[Job] = []
    skipped: list[tuple[str, str]] = []
    folders: dict[str, Path] = {}
    for name, path in notebooks.items():
        source = path.read_text(encoding="utf-8")
        job, fingerprint = _notebook_job(
            name, path, source, "", folder=folder, processed=processed, year=year, standards=standards,
            digests=(data_digest, file_digest(path), *extra), title=_title(source, name),
            meta={**(meta or {}), "index_href": "index.html", "assets_href": ASSETS_DIR}, force=force)
        folders[fingerprint] = folder
        if job is None:
            skipped.append(("", name))
        else:
            jobs.append(job)
    return jobs, skipped, folders


def year_links(out_root: str | os.PathLike, year: int) -> list[dict[str, Any]]:
    """The pages published once for the year (:data:`YEAR_NOTEBOOKS`), for the index and the
    county pages: title, link (relative to the year folder), status."""
    # deferred: keeps the command line's start-up light
    from analysis.publish.index import STATUS_LABELS

    state = read_state(Path(out_root) / str(int(year)))
    links = []
    for name in YEAR_NOTEBOOKS:
        entry = state["notebooks"].get(name)
        if not entry:
            continue
        status = entry.get("status", "missing")
        links.append({"name": entry.get("title") or name, "html": entry.get("html"), "status": status,
                      "status_label": STATUS_LABELS.get(status, status), "error": entry.get("error") or ""})
    return links


def publish(
    processed_dir: str | os.PathLike = DEFAULT_PROCESSED,
    out_dir: str | os.PathLike = DEFAULT_OUT_DIR,
    *,
    counties: str | Sequence[str] | None = "all",
    year: int | None = None,
    notebooks: Sequence[str] | None = None,
    notebooks_dir: str | os.PathLike = DEFAULT_NOTEBOOKS_DIR,
    jobs: int | None = None,
    force: bool = False,
    standards: str = "national",
    scheduler: str | None = None,
    options: WorkerOptions | None = None,
    verdicts: bool = True,
    source: str | None = None,
    progress: bool | None = None,
    echo: Callable[[str], Any] | None = print,
    scope: str | Sequence[str] = "county",
    regions: str | Sequence[str] | None = "all",
    groups_file: str | os.PathLike | None = None,
    keep_notebooks: bool = False,
) -> PublishResult:
    """Run the notebooks for every selected county and rebuild the year's index.

    Parameters
    ----------
    processed_dir : path
        Processed tables (``core_*``); passed to the notebooks as ``processed_dir``.
    out_dir : path
        Reports root; results go to ``<out_dir>/<year>/<county>/``.
    counties : ``"all"``, ``"A,B"`` or list of names
        Counties to run (checked against ``core_schools`` of the year when it exists).
    year : int, optional
        Statistics year; default the latest year in ``core_schools``.
    notebooks : list of str, optional
        Notebook names (file stems); default every notebook in ``notebooks_dir``.
    notebooks_dir : path
        Folder of the parameterised notebooks.
    jobs : int, optional
        Parallel workers (warm kernels); default one per core. Ignored with ``scheduler``.
    force : bool
        Run even where nothing changed since the last successful run.
    standards : str
        Standards name or YAML path, passed to the notebooks and the engine.
    scheduler : str, optional
        ``tcp://host:port`` of a Dask scheduler: run on its workers instead.
    options : WorkerOptions, optional
        Kernel name, preloaded modules, timeouts.
    verdicts : bool
        Show the verdicts in the index: the rows the kernels computed after the county
        reports, the indicator engine run here for the other counties.
    source : str, optional
        Data-source line; default decided from the data (示例数据（合成） for the sample).
    progress : bool, optional
        True: the progress bar; False: no progress; None (default): the bar when stderr is a
        terminal, otherwise one line on stderr per county finished (see :class:`Progress`).
    echo : callable, optional
        Where the summary is printed (``None``: silent).
    scope : str
        ``county`` (default: the county notebooks per county), ``city`` or ``province``
        (``notebooks/city_report.ipynb`` once per city or province), or a comma list.
    regions : ``"all"`` or names
        Cities (provinces) to report with scope city (province).
    groups_file : path, optional
        County-groups file (YAML or CSV); default ``analysis/data/county_groups.yaml``.
    keep_notebooks : bool
        Also keep each executed notebook (``.ipynb``) beside its page.

    Returns
    -------
    PublishResult
        Its ``exit_code`` is non-zero when a notebook failed or verdicts were not computed.
    """
    options = options or WorkerOptions()
    if scheduler:
        # deferred: keeps the command line's start-up light
        from analysis.publish.dask_backend import check_address

        check_address(scheduler)
    run = _settings(
        processed_dir, out_dir, counties=counties, year=year, notebooks=notebooks,
        notebooks_dir=notebooks_dir, standards=standards, source=source, scope=scope, regions=regions,
        groups_file=groups_file, kernel_name=options.kernel_name,
    )
    planned, skipped, folders_of = _plan(run, force=force, keep_notebooks=keep_notebooks)
    titles = {job.fingerprint: job.meta["title"] for job in planned}

    result = PublishResult(year=run.year, out_dir=run.out_root, index_path=None, counties=run.selected,
                           notebooks=run.chosen + (run.per_year if "county" in run.scopes else []),
                           skipped=skipped,
                           regions=[(s, n) for s in run.region_scopes for n in run.region_names[s]])
    # The verdicts: the kernels hand back the rows of the counties whose county report they
    # run (its evaluation is cached there); the other counties are evaluated here, those
    # known beforehand while the workers run the notebooks.
    with cf.ThreadPoolExecutor(2) as background:
        # deferred: keeps the command line's start-up light
        from analysis.publish.export import write_shared_assets

        # the style sheet and script every page links, written while the kernels work
        assets_future = background.submit(write_shared_assets, run.year_dir)
        summary_key = _summary_key(run)
        promised = {job.county for job in planned if job.notebook in SUMMARY_NOTEBOOKS and job.county}
        summary_future = background.submit(
            _summary_before, run.processed, run.year, standards, run.year_dir, summary_key, promised,
        ) if verdicts else None
        try:
            _run_jobs(planned, run, result, folders_of=folders_of, titles=titles, options=options,
                      scheduler=scheduler, jobs=jobs, progress=progress, keep_notebooks=keep_notebooks)
        finally:
            summary, error = (_summary_after(summary_future.result(), _kernel_rows(result.results), run.processed,
                                             run.year, standards, run.year_dir, summary_key)
                              if summary_future else (None, None))
            result.evaluation_error = error
            result.index_path = _write_year_index(run, summary, error)
            assets_future.result()  # after the index: a failure here still leaves the index current
    if echo is not None:
        echo(result.summary())
    return result


def _summary_key(run: _RunSettings) -> str:
    """Key of the saved verdicts: unchanged data, standards and package give those of the
    last run (an unchanged re-run then neither runs a notebook nor the engine)."""
    return job_fingerprint(run.data_digest, {"year": run.year, "standards": run.std_value, "index": True,
                                             "package": run.package_digest}, run.std_digest)


@dataclass
class _RunSettings:
    """What a publishing run works on: the selection, the shared page metadata, the digests."""

    processed: Path
    out_root: Path
    year: int
    year_dir: Path
    scopes: list[str]
    #: every notebook found, the county notebooks chosen, the chosen ones published once a year
    available: dict[str, Path]
    chosen: list[str]
    per_year: list[str]
    #: counties on the index, counties run, and their folder names
    listed: list[str]
    selected: list[str]
    folders: dict[str, str]
    region_scopes: list[str]
    region_names: dict[str, list[str]]
    groups_file: str | None
    #: the standards as passed to notebooks, their label and the digest of their files
    std_value: str
    std_label: str
    std_digest: str
    source: str
    run_date: str
    data_digest: str
    #: digest of the package's code and data files (analysis/)
    package_digest: str
    #: digests entering every fingerprint (standards, template, package, kernel)
    extra: tuple[str, ...]


def _settings(
    processed_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    counties: str | Sequence[str] | None,
    year: int | None,
    notebooks: Sequence[str] | None,
    notebooks_dir: str | os.PathLike,
    standards: str,
    source: str | None,
    scope: str | Sequence[str],
    regions: str | Sequence[str] | None,
    groups_file: str | os.PathLike | None,
    kernel_name: str,
) -> _RunSettings:
    """Resolve the arguments of :func:`publish`: year, counties, notebooks, regions, digests."""
    processed = Path(processed_dir).resolve()
    out_root = Path(out_dir).resolve()
    # deferred: keeps the command line's start-up light
    from analysis.publish.regions import REGION_NOTEBOOK, find_regions, parse_scopes

    scopes = parse_scopes(scope)
    available = discover_notebooks(notebooks_dir)
    chosen = county_notebooks(available, notebooks)
    per_year = [n for n in chosen if n in YEAR_NOTEBOOKS]
    chosen = [n for n in chosen if n not in YEAR_NOTEBOOKS]
    year = int(year) if year is not None else latest_year(processed)
    all_counties, selected = _resolve_counties(processed, year, counties)
    if "county" not in scopes:
        selected = []
    region_scopes = [s for s in scopes if s != "county"]
    if region_scopes and REGION_NOTEBOOK not in available:
        raise FileNotFoundError(f"{notebooks_dir}: {REGION_NOTEBOOK}.ipynb (the city/province report) not found")
    groups = str(groups_file) if groups_file else None
    region_names = {s: find_regions(processed, s, groups, regions if len(region_scopes) == 1 else "all")
                    for s in region_scopes}
    listed = list(dict.fromkeys([*all_counties, *selected]))
    folders = assign_dirs(listed)
    std_value, std_label, std_digest = _standards_info(standards)
    source = source or describe_source(processed)
    run_date = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    data_digest = inputs_digest(processed)
    package = package_digest(package_root)
    extra = (std_digest, _template_digest(), package, kernel_name)
    return _RunSettings(
        processed=processed, out_root=out_root, year=year, year_dir=out_root / str(int(year)),
        scopes=scopes, available=available, chosen=chosen, per_year=per_year,
        listed=listed, selected=selected, folders=folders, region_scopes=region_scopes,
        region_names=region_names, groups_file=groups, std_value=std_value, std_label=std_label,
        std_digest=std_digest, source=source, run_date=run_date, data_digest=data_digest,
        package_digest=package, extra=extra,
    )


def _plan(run: _RunSettings, *, force: bool, keep_notebooks: bool
          ) -> tuple[list[Job], list[tuple[str, str]], dict[str, Path]]:
    """The jobs to run (region reports first, then the year's pages, then the counties'
    longest first), the skipped ``(county, notebook)`` pairs and each job's folder."""
    # deferred: keeps the command line's start-up light
    from analysis.publish.regions import REGION_NOTEBOOK, plan_region_jobs

    processed, out_root, year, available, extra = run.processed, run.out_root, run.year, run.available, run.extra
    # every county page links the year's pages (those of this run and those already there)
    year_names = list(dict.fromkeys([*run.per_year, *(n for n in YEAR_NOTEBOOKS if n in available
                                                       and (run.year_dir / f"{n}.html").is_file())]))
    related = [{"href": f"../{n}.html", "label": _title(available[n].read_text(encoding="utf-8"), n)}
               for n in year_names if "county" in run.scopes]
    planned, skipped = plan_jobs(
        run.selected, {name: available[name] for name in run.chosen}, processed=processed, out_root=out_root,
        year=year, standards=run.std_value, force=force, extra=(*extra, *(r["href"] for r in related)),
        meta={"source": run.source, "standards": run.std_label, "run_date": run.run_date,
              "index_href": "../index.html", "assets_href": f"../{ASSETS_DIR}", "related": related},
        data_digest=run.data_digest, keep_notebooks=keep_notebooks,
    )
    planned = longest_first(planned, {c: read_state(county_dir(out_root, year, c)) for c in run.selected})
    folders_of = {job.fingerprint: county_dir(out_root, year, job.county) for job in planned}
    if run.per_year and "county" in run.scopes:
        jobs_y, skipped_y, where = plan_year_jobs(
            {n: available[n] for n in run.per_year}, processed=processed, out_root=out_root, year=year,
            standards=run.std_value, force=force, extra=extra, data_digest=run.data_digest,
            meta={"source": run.source, "standards": run.std_label, "run_date": run.run_date},
        )
        planned = jobs_y + planned
        skipped += skipped_y
        folders_of.update(where)
    for s in run.region_scopes:
        jobs_s, skipped_s, where = plan_region_jobs(
            s, run.region_names[s], available[REGION_NOTEBOOK], processed=processed, out_root=out_root,
            year=year, standards=run.std_value, groups_file=run.groups_file,
            data_digest=run.data_digest, force=force, extra=extra,
            meta={"source": run.source, "standards": run.std_label, "run_date": run.run_date,
                  "assets_href": f"../../{ASSETS_DIR}"},
        )
        planned = jobs_s + planned  # one region report covers many counties: start it first
        skipped += skipped_s
        folders_of.update(where)
    return planned, skipped, folders_of


def _run_jobs(
    planned: list[Job],
    run: _RunSettings,
    result: PublishResult,
    *,
    folders_of: Mapping[str, Path],
    titles: Mapping[str, str],
    options: WorkerOptions,
    scheduler: str | None,
    jobs: int | None,
    progress: bool | None,
    keep_notebooks: bool,
) -> None:
    """Run the jobs (locally or on Dask) and store each result as it comes, into ``result``."""
    if scheduler:
        # deferred: keeps the command line's start-up light
        from analysis.publish.dask_backend import run_dask

        results = run_dask(planned, options, scheduler)
    else:
        results = run_local(planned, options, jobs or default_jobs())
    with Progress(planned, run.year, Progress.choose(progress)) as bar:
        for job_result in results:
            folder = folders_of[job_result.fingerprint]
            _store(job_result, folder, titles[job_result.fingerprint], keep_notebooks)
            result.results.append(job_result)
            bar.update(job_result)


def _write_year_index(run: _RunSettings, summary: Any, error: str | None) -> Path:
    """Render and write the year's index from the folders' states; returns its path."""
    # deferred: keeps the command line's start-up light
    from analysis.publish.regions import region_links

    states = {c: read_state(county_dir(run.out_root, run.year, c)) for c in run.listed}
    titles_by_name = {n: _NOTEBOOK_TITLES.get(n, n) for n in run.chosen}
    html = render_index(
        run.year, run.listed, run.folders, states, summary=summary, evaluation_error=error,
        notebooks=run.chosen, source=run.source, standards=run.std_label, run_date=run.run_date,
        regions=region_links(run.out_root, run.year), year_pages=year_links(run.out_root, run.year),
        titles=titles_by_name,
    )
    return write_index(html, run.out_root, run.year)


#: notebook name → its title, as read in this process (the index names reports not run yet)
_NOTEBOOK_TITLES: dict[str, str] = {}


def _title(source: str, default: str) -> str:
    import nbformat

    # deferred: keeps the command line's start-up light
    from analysis.publish.export import notebook_title

    try:
        return notebook_title(nbformat.reads(source, as_version=4), default)
    except Exception:  # noqa: BLE001 - a title is only decoration
        return default
