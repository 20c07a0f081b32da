"""Run parameterised notebooks on a warm, reused Jupyter kernel.

Starting Python, a kernel and pandas/matplotlib costs seconds per notebook, often more
than the notebook itself. A :class:`WarmKernel` starts one kernel, imports the heavy
modules once, and runs notebook after notebook in it; before each run
:func:`analysis.publish.kernel_state.restore` resets the namespace and process state, so
runs do not leak into each other. Execution goes through papermill (parameters injected
after the ``parameters`` cell, failing cell marked, run metadata recorded) with a small
papermill engine (``edu-warm``) that hands papermill the already running kernel.

All kernel I/O happens on the kernel's own thread, so a :class:`NotebookWorker` can be
used from a process-pool worker, a Dask worker thread or the main process alike.
A notebook that kills or hangs its kernel is recorded as failed and the kernel restarted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.utils import run_sync
from nbclient.output_widget import OutputWidget
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.execute import execute_notebook, raise_for_execution_errors
from papermill.translators import PythonTranslator, papermill_translators

from analysis.publish import prelaunch
from analysis.publish.export import (
    OfflineHTMLExporter,
    external_references,
    notebook_to_page,
    png_key,
)
from analysis.publish.prelaunch import default_kernel_name, start_kernel_process

#: papermill engine name of the warm-kernel engine
ENGINE_NAME = "edu-warm"

#: notebooks whose downloads include the county's Word documents (自查自评报告, 整改方案)
DOCUMENT_NOTEBOOKS = ("county_report",)
#: notebooks after which the kernel computes the county's row of the index's verdict
#: summary from the evaluation the notebook cached (:func:`analysis.publish.index.county_rows`)
SUMMARY_NOTEBOOKS = ("county_report",)

#: modules imported once per kernel, before the first notebook (missing ones are skipped)
DEFAULT_PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "matplotlib",
    "matplotlib.pyplot",
    "IPython.display",
    "analysis.dictionary",
    "analysis.tables",
    "analysis.standards",
    "analysis.indicators",
    "analysis.studies",
    "analysis.plotting",
    "analysis.fonts",
)


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker runs notebooks (hashable: one warm kernel per distinct options).

    Attributes
    ----------
    kernel_name : str
        Jupyter kernel spec name.
    preload : tuple of str
        Modules the kernel imports once after start-up.
    startup_timeout : float
        Seconds to wait for a kernel to start.
    cell_timeout : float or None
        Seconds a single cell may run (``None``: no limit).
    keep_stderr : bool
        Keep ``stderr`` outputs (warnings) in the HTML page.
    runs_per_kernel : int or None
        Replace the kernel after this many notebooks (bounds memory growth in long
        batches; ``None``: never).
    downloads : bool
        Record every displayed table and chart so the publisher writes them beside the
        HTML (``.xlsx``, PNG, SVG; :mod:`analysis.publish.downloads`).
    memo : bool
        Let the kernel reuse evaluations and standards across notebooks
        (:mod:`analysis.presentation.cache`).
    """

    kernel_name: str = field(default_factory=default_kernel_name)
    preload: tuple[str, ...] = DEFAULT_PRELOAD
    startup_timeout: float = 60.0
    cell_timeout: float | None = 600.0
    keep_stderr: bool = False
    runs_per_kernel: int | None = 100
    #: record displayed tables and charts for the report's downloads (analysis.presentation.record)
    downloads: bool = True
    memo: bool = True


@dataclass(frozen=True)
class Job:
    """One notebook to run for one county.

    ``source`` is the notebook's JSON text, so a worker on another machine needs no copy
    of ``notebooks/``; ``meta`` is shown around the HTML page (see
    :func:`analysis.publish.export.notebook_to_html`).
    """

    county: str
    year: int
    notebook: str
    source: str
    source_path: str
    parameters: dict[str, Any]
    cwd: str
    fingerprint: str
    meta: dict[str, Any]


@dataclass
class JobResult:
    """What a worker returns: status, error line, executed notebook and its HTML."""

    county: str
    notebook: str
    status: str  # "ok" or "failed"
    fingerprint: str
    seconds: float
    error: str | None = None
    ipynb: str | None = None
    html: str | None = None
    warnings: list[str] = field(default_factory=list)
    worker: str = ""
    #: download files to write beside the HTML, ``{relative path: bytes}``
    files: dict[str, bytes] = field(default_factory=dict)
    #: the county's row of the index's verdict summary (a DataFrame, see
    #: :func:`analysis.publish.index.county_rows`), computed by the kernel after a
    #: successful :data:`SUMMARY_NOTEBOOKS` run; ``None`` otherwise
    summary: Any = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


#: seconds a wait for a kernel message lasts before the socket is polled afresh
POLL_SLICE = 1.0


def poll_in_slices(channel: Any, slice_seconds: float = POLL_SLICE) -> None:
    """Make ``channel.get_msg`` wait in short slices, each a fresh poll of the socket.

    A zmq socket signals readability by an edge-triggered file descriptor. When a send on
    the same socket (nbclient's Output-widget mimic writes to the shell channel while the
    reply to the running cell is awaited) consumes that edge, a message can sit in the
    socket while the pending poll never wakes: the kernel is idle, the reply is there and
    the run waits for the cell timeout (seen once per few hundred explorer runs; the same
    mechanism as ipykernel's kernel-side fix, ipython/ipykernel#1529, and
    jupyter/nbclient#312). Every new poll reads the socket's events first, so waiting in
    slices bounds such a stall to ``slice_seconds``; an overall ``timeout`` still applies.
    """
    wait = channel.get_msg

    async def get_msg(timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = slice_seconds if deadline is None else min(slice_seconds, max(0.0, deadline - time.monotonic()))
            try:
                return await wait(timeout=left)
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = get_msg


class QuietOutputWidget(OutputWidget):
    """nbclient's Output-widget mimic without the comm messages it sends the kernel.

    The mimic records what an ``Output`` widget shows (kept in the notebook's widget
    state, as before) and also echoes every change to the kernel on the shell channel, as
    a browser would. A batch run has no browser that needs the kernel's copy, and that
    send, made while the reply to the running cell is awaited on the same socket, is what
    can leave the reply unnoticed (see :func:`poll_in_slices`).
    """

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        return None


class WarmKernelEngine(Engine):
    """papermill engine that executes on the caller's running kernel (``warm=``)."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        warm: WarmKernel | None = None,
        **kwargs: Any,
    ) -> Any:
        if warm is None or warm.km is None or warm.kc is None:
            raise ValueError(f"papermill engine {ENGINE_NAME!r} needs warm=<a started WarmKernel>")
        client = PapermillNotebookClient(
            nb_man,
            km=warm.km,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client.kc = warm.kc  # reuse the open channels: nbclient then neither starts nor stops
        client.widget_registry["@jupyter-widgets/output"] = {"OutputModel": QuietOutputWidget}
        warm.client = client
        return client.execute()


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


class ReadablePythonTranslator(PythonTranslator):
    """papermill's Python translator, but strings keep their Chinese characters.

    papermill writes ``county = "\\u7532\\u53bf"``; ``repr`` gives ``county = '甲县'``,
    equally valid Python and readable in the executed notebook.
    """

    @classmethod
    def translate_str(cls, val: str) -> str:
        return repr(val)


class KernelCallError(RuntimeError):
    """Code sent to the warm kernel (warm-up or reset) failed."""


class WarmKernel:
    """One Jupyter kernel kept alive across notebook runs, driven from its own thread.

    The kernel starts in the background as soon as the object is created. Use
    :meth:`run_notebook` for each notebook and :meth:`close` at the end.
    """

    def __init__(self, options: WorkerOptions | None = None) -> None:
        self.options = options or WorkerOptions()
        if papermill_translators.find_translator(self.options.kernel_name, "python") is PythonTranslator:
            papermill_translators.register(self.options.kernel_name, ReadablePythonTranslator)
        self.km: Any = None
        self.kc: Any = None
        self.client: PapermillNotebookClient | None = None
        self.starts = 0
        self.runs = 0
        self._runs_on_kernel = 0
        self._prelaunched = prelaunch.take(self.options.kernel_name)
        self.tmp = self._prelaunched.folder if self._prelaunched else Path(tempfile.mkdtemp(prefix="edu-kernel-"))
        self._log = None
        self._tasks: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="edu-warm-kernel", daemon=True)
        self._thread.start()
        self._closed = False
        self._submit(self._start)  # pre-start: the first run waits for it in the queue

    # -- the kernel thread -------------------------------------------------------------
    def _serve(self) -> None:
        while True:
            item = self._tasks.get()
            if item is None:
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)

    def _submit(self, fn: Callable, *args: Any, **kwargs: Any) -> Future:
        if self._closed:
            raise RuntimeError("this WarmKernel is closed")
        future: Future = Future()
        self._tasks.put((future, fn, args, kwargs))
        return future

    def _call(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        return self._submit(fn, *args, **kwargs).result()

    # -- kernel life cycle (kernel thread only) ----------------------------------------
    def _start(self) -> None:
        pre, self._prelaunched = self._prelaunched, None
        if pre is not None:  # started by analysis.publish.prelaunch before this object existed
            km, self._log = pre.km, pre.log
        else:
            km, self._log = start_kernel_process(self.options.kernel_name, self.tmp, self.starts)
        kc = km.client()
        kc.start_channels()
        for channel in (kc.shell_channel, kc.iopub_channel):
            poll_in_slices(channel)
        try:
            run_sync(kc.wait_for_ready)(timeout=self.options.startup_timeout)
        except Exception:
            kc.stop_channels()
            run_sync(km.shutdown_kernel)(now=True)
            raise
        self.km, self.kc = km, kc
        self.starts += 1
        self._runs_on_kernel = 0
        self._execute(
            "import analysis.publish.kernel_state as _edu_ks\n"
            f"_edu_missing = _edu_ks.warm_up({list(self.options.preload)!r}, memo={self.options.memo!r})\n"
            "del _edu_ks, _edu_missing"
        )

    def _shutdown(self) -> None:
        kc, km, self.kc, self.km, self.client = self.kc, self.km, None, None, None
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        if km is not None:
            with contextlib.suppress(Exception):
                run_sync(km.shutdown_kernel)(now=True)
            with contextlib.suppress(Exception):
                run_sync(km.cleanup_resources)()
        if self._log is not None:
            self._log.close()
            self._log = None

    def _restart(self) -> None:
        self._shutdown()
        self._start()

    def _alive(self) -> bool:
        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def _execute(self, code: str, timeout: float = 120) -> dict:
        reply = run_sync(self.kc.execute_interactive)(
            code, store_history=False, timeout=timeout, output_hook=lambda msg: None
        )
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelCallError(f"{content.get('ename')}: {content.get('evalue')}")
        return content

    def _run(self, nb_path: str, out_path: str, parameters: dict, cwd: str) -> Any:
        limit = self.options.runs_per_kernel
        if not self._alive() or (limit and self._runs_on_kernel >= limit):
            self._restart()
        reset = f"__import__('analysis.publish.kernel_state', fromlist=['restore']).restore({str(cwd)!r})"
        try:
            self._execute(reset)
        except (KernelCallError, TimeoutError, RuntimeError):
            self._restart()  # a kernel that cannot be reset is not reused
            self._execute(reset)
        self.client = None
        self.runs += 1
        self._runs_on_kernel += 1
        if self.options.downloads:
            self._collect(f"start({str(self.collect_dir)!r})")
        try:
            return execute_notebook(
                nb_path,
                out_path,
                parameters=parameters,
                engine_name=ENGINE_NAME,
                kernel_name=self.options.kernel_name,
                progress_bar=False,
                request_save_on_cell_execute=False,
                start_timeout=self.options.startup_timeout,
                execution_timeout=self.options.cell_timeout,
                warm=self,
            )
        except PapermillExecutionError:
            raise
        except Exception as exc:
            # The kernel died, a cell timed out (the kernel is still busy) or nbclient
            # failed: restart, then mark the interrupted cell the way papermill does.
            partial = self.client.nb if self.client is not None else None
            self._restart()
            if partial is None:
                raise
            _mark_interrupted_cell(partial, exc)
            raise_for_execution_errors(partial, out_path)
            raise

    # -- report downloads (kernel side: analysis.presentation.record) --------------------
    @property
    def collect_dir(self) -> Path:
        """Where the kernel records the displayed tables and charts of the current run."""
        return self.tmp / "collect"

    def _collect(self, call: str) -> None:
        with contextlib.suppress(Exception):  # downloads never fail a report
            self._execute(f"__import__('analysis.presentation.record', fromlist=['start']).{call}")

    def write_documents(self, parameters: dict[str, Any]) -> None:
        """Write the county's Word documents into the recording folder, in the kernel (the
        county report's cached evaluation serves them: analysis.documents.county).

        Raises :class:`KernelCallError` when the documents cannot be written.
        """
        args = ", ".join(repr(parameters.get(k)) for k in ("processed_dir", "county", "year", "standards"))
        call = ("__import__('analysis.documents.county', fromlist=['write_county_documents'])"
                f".write_county_documents({args}, {str(self.collect_dir)!r})")
        self._call(self._execute, call)

    def summary_rows(self, parameters: dict[str, Any]) -> Any:
        """The county's row of the index's verdict summary, computed in the kernel from the
        evaluation the county report cached there (:func:`analysis.publish.index.county_rows`).

        The kernel pickles the DataFrame (dtypes kept exactly) into its temporary folder and
        this process reads it back. Raises :class:`KernelCallError` when the row cannot be
        computed.
        """
        import pandas as pd

        path = self.tmp / "summary_rows.pkl"
        path.unlink(missing_ok=True)
        args = ", ".join(repr(parameters.get(k)) for k in ("processed_dir", "county", "year", "standards"))
        call = ("__import__('analysis.publish.index', fromlist=['county_rows'])"
                f".county_rows({args}).to_pickle({str(path)!r})")
        self._call(self._execute, call)
        try:
            return pd.read_pickle(path)
        finally:
            path.unlink(missing_ok=True)

    def finish_collect(self) -> Path:
        """Stop recording (the manifest is written) and return the folder."""
        self._call(self._collect, "finish()")
        return self.collect_dir

    # -- public API (any thread) -------------------------------------------------------
    def run_notebook(self, nb_path: str | os.PathLike, out_path: str | os.PathLike,
                     parameters: dict[str, Any], cwd: str | os.PathLike) -> Any:
        """Execute the notebook at ``nb_path`` with ``parameters`` in folder ``cwd``.

        Returns the executed notebook. Raises papermill's ``PapermillExecutionError``
        when a cell fails; the notebook with the failing cell marked is then at
        ``out_path``.
        """
        return self._call(self._run, str(nb_path), str(out_path), dict(parameters), str(cwd))

    def wait_ready(self) -> None:
        """Block until the kernel has started (raises if it could not start)."""
        self._call(lambda: None if self._alive() else self._restart())

    def close(self) -> None:
        """Shut the kernel down and stop the thread; idempotent."""
        if self._closed:
            return
        with contextlib.suppress(Exception):
            self._call(self._shutdown)
        self._closed = True
        self._tasks.put(None)
        self._thread.join(timeout=30)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _mark_interrupted_cell(nb: Any, exc: BaseException) -> None:
    """Give the cell that was running when ``exc`` happened an error output."""
    started = [
        cell for cell in nb.cells
        if cell.get("cell_type") == "code" and cell.metadata.get("papermill", {}).get("start_time")
    ]
    if not started:
        return
    cell = started[-1]
    if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
        return
    cell.setdefault("outputs", []).append(
        nbformat.v4.new_output("error", ename=type(exc).__name__, evalue=str(exc), traceback=[str(exc)])
    )
    cell.metadata.setdefault("papermill", {})["exception"] = True


def _one_line(exc: PapermillExecutionError) -> str:
    value = " ".join(str(exc.evalue).split())
    if len(value) > 300:
        value = value[:297] + "..."
    return f"{exc.ename}: {value} (cell In [{exc.exec_count}])"


def _chart_files(files: dict[str, bytes], links: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The PNG chart downloads, for the page to show those files: ``path``, ``title``,
    ``key`` (:func:`~analysis.publish.export.png_key`) and ``source`` (the cell's key)."""
    from urllib.parse import unquote

    out = []
    for chart in (links or {}).get("charts", []):
        rel = unquote(chart["png"]) if chart.get("png") else None
        if rel in files:
            out.append({"path": rel, "title": chart.get("title", ""), "key": png_key(files[rel]),
                        "source": chart.get("source")})
    return out


class NotebookWorker:
    """Runs :class:`Job`\\ s on a :class:`WarmKernel` and exports their HTML."""

    def __init__(self, options: WorkerOptions | None = None) -> None:
        self.options = options or WorkerOptions()
        self.kernel = WarmKernel(self.options)
        self._exporter: OfflineHTMLExporter | None = None
        self.name = f"{os.uname().nodename}:{os.getpid()}:{threading.get_ident()}"

    @property
    def exporter(self) -> OfflineHTMLExporter:
        if self._exporter is None:
            self._exporter = OfflineHTMLExporter()
        return self._exporter

    def _materialize(self, job: Job) -> Path:
        digest = hashlib.sha256(job.source.encode("utf-8")).hexdigest()[:16]
        path = self.kernel.tmp / "src" / digest / f"{job.notebook}.ipynb"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(job.source, encoding="utf-8")
        return path

    def run(self, job: Job) -> JobResult:
        """Execute ``job`` and export it; never raises for notebook errors."""
        start = time.perf_counter()
        out_path = self.kernel.tmp / "executed.ipynb"
        out_path.unlink(missing_ok=True)
        shutil.rmtree(self.kernel.collect_dir, ignore_errors=True)  # no records of an earlier run
        status, error, nb = "ok", None, None
        try:
            nb = self.kernel.run_notebook(self._materialize(job), out_path, job.parameters, job.cwd)
        except PapermillExecutionError as exc:
            status, error = "failed", _one_line(exc)
            if out_path.exists():
                nb = nbformat.read(out_path, as_version=4)
        except Exception as exc:  # noqa: BLE001 - one county's failure must not stop the others
            status, error = "failed", f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        result = JobResult(
            county=job.county, notebook=job.notebook, status=status, error=error,
            fingerprint=job.fingerprint, seconds=0.0, worker=self.name,
        )
        if status == "ok" and job.notebook in SUMMARY_NOTEBOOKS and job.county:
            try:  # the index's verdicts of the county, from the evaluation the report cached
                result.summary = self.kernel.summary_rows(job.parameters)
            except Exception:  # noqa: BLE001 - the publishing process then evaluates the county itself
                result.summary = None
        if nb is not None:
            pm = nb.metadata.setdefault("papermill", {})
            pm["input_path"] = job.source_path
            pm["output_path"] = f"{job.notebook}.ipynb"
            result.ipynb = nbformat.writes(nb)
            links = self._downloads(job, nb, result)
            try:
                # deferred: keeps the command line's start-up light
                from analysis.publish.downloads import charts_dir

                result.html, images = notebook_to_page(
                    nb, meta={**job.meta, "failed": status != "ok", "downloads": links}, exporter=self.exporter,
                    keep_stderr=self.options.keep_stderr, image_dir=charts_dir(job.notebook),
                    charts=_chart_files(result.files, links),
                )
                result.files.update(images)  # charts shown but not recorded as downloads
                # deferred: keeps the command line's start-up light
                from analysis.publish.charts import shrink_files

                result.files = shrink_files(result.files)  # after the page matched its charts by bytes
                remote = external_references(result.html)
                if remote:
                    result.warnings.append(f"page refers to network resources: {remote[:3]}")
            except Exception as exc:  # noqa: BLE001
                result.status = "failed"
                result.error = (error + "; " if error else "") + f"HTML export failed: {type(exc).__name__}: {exc}"
        result.seconds = time.perf_counter() - start
        return result

    def _downloads(self, job: Job, nb: Any, result: JobResult) -> dict[str, Any] | None:
        """The run's tables and charts as files for ``result`` and their links for the page."""
        if not self.options.downloads:
            return None
        # deferred: keeps the command line's start-up light
        from analysis.publish.downloads import build

        if job.notebook in DOCUMENT_NOTEBOOKS and result.status == "ok":
            try:  # the Word documents of the county, downloads of its report like the workbook
                self.kernel.write_documents(job.parameters)
            except Exception as exc:  # noqa: BLE001 - the report itself is still published
                result.warnings.append(f"Word documents not written: {type(exc).__name__}: {exc}")
        try:
            result.files, links = build(self.kernel.finish_collect(), nb, job.notebook, job.meta)
            result.warnings.extend(f"downloads: {e}" for e in (links or {}).get("errors", []))
        except Exception as exc:  # noqa: BLE001 - the report itself is still published
            result.warnings.append(f"downloads not written: {type(exc).__name__}: {exc}")
            return None
        return links

    def close(self) -> None:
        self.kernel.close()


# -- one worker per (thread, options) in each process: process pools, Dask, inline ------
_WORKERS: dict[tuple[int, WorkerOptions], NotebookWorker] = {}
_WORKERS_LOCK = threading.Lock()


def worker_for(options: WorkerOptions) -> NotebookWorker:
    """The calling thread's :class:`NotebookWorker` for ``options`` (created on first use)."""
    key = (threading.get_ident(), options)
    with _WORKERS_LOCK:
        worker = _WORKERS.get(key)
        if worker is None:
            worker = _WORKERS[key] = NotebookWorker(options)
    return worker


def run_job(job: Job, options: WorkerOptions) -> JobResult:
    """Run ``job`` on this thread's warm worker (the task function of every backend)."""
    return worker_for(options).run(job)


def close_workers() -> int:
    """Shut down every warm kernel of this process; returns how many were closed."""
    with _WORKERS_LOCK:
        workers = list(_WORKERS.values())
        _WORKERS.clear()
    for worker in workers:
        worker.close()
    return len(workers)
