"""Fan the notebook runs out to a Dask distributed cluster (``--scheduler tcp://…``).

Each Dask worker thread keeps its own warm kernel (:func:`analysis.publish.kernel.
run_job`), reused across the jobs it receives; the kernels are shut down on every worker
when the batch is done. A job carries the notebook's text, and the executed notebook and
HTML travel back to this process, which writes them. The workers must be able to import
``analysis`` and to read ``processed_dir`` at the same path (a shared file system).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence

from analysis.publish.kernel import Job, JobResult, WorkerOptions, close_workers, run_job

#: seconds to wait for the scheduler
CONNECT_TIMEOUT = 30


#: address schemes Dask's communication layer understands
SCHEMES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")


def check_address(scheduler: str) -> str:
    """``scheduler`` if it looks like a Dask address, else a ValueError saying what is expected.

    >>> check_address("tcp://127.0.0.1:8786")
    'tcp://127.0.0.1:8786'
    """
    if not str(scheduler).startswith(SCHEMES):
        raise ValueError(
            f"scheduler must be an address like tcp://host:8786 (schemes: {', '.join(SCHEMES)}), "
            f"got {scheduler!r}"
        )
    return str(scheduler)


def run_dask(
    jobs: Sequence[Job], options: WorkerOptions, scheduler: str, *, timeout: float = CONNECT_TIMEOUT
) -> Iterator[JobResult]:
    """Run ``jobs`` on the workers of the Dask scheduler at ``scheduler``; yield results.

    The address is checked at once; a job whose task fails on the cluster (e.g. a worker
    died) is yielded as failed.
    """
    check_address(scheduler)
    return _run(list(jobs), options, scheduler, timeout)


def _run(jobs: list[Job], options: WorkerOptions, scheduler: str, timeout: float) -> Iterator[JobResult]:
    if not jobs:
        return
    from distributed import Client, as_completed

    batch = uuid.uuid4().hex[:12]  # task keys must not clash with another batch on the cluster
    with Client(scheduler, timeout=timeout, set_as_default=False) as client:
        futures = {
            client.submit(run_job, job, options, pure=False, key=f"edu-publish-{batch}-{i}"): job
            for i, job in enumerate(jobs)
        }
        try:
            for future in as_completed(futures, loop=client.loop):
                job = futures[future]
                try:
                    yield future.result()
                except Exception as exc:  # noqa: BLE001 - one job's failure does not stop the batch
                    yield JobResult(
                        county=job.county, notebook=job.notebook, status="failed",
                        fingerprint=job.fingerprint, seconds=0.0,
                        error=f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}",
                    )
        finally:
            for future in futures:
                future.cancel()
            with contextlib.suppress(Exception):
                client.run(close_workers)
