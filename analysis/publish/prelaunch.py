"""Start the kernel processes of a publish run before the rest of the command is imported.

A kernel takes about 2 s to start and import the heavy modules; the publishing process
meanwhile spends about a second importing papermill, nbconvert and the runner and
planning the jobs. :func:`launch` starts the kernel processes first, so both happen at
once; a :class:`analysis.publish.kernel.WarmKernel` created later for the same kernel
name adopts one (:func:`take`) instead of starting its own. This module imports only
the standard library and ``jupyter_client`` (light).

Kernels nobody adopted are shut down by :func:`discard_all` (``publish`` calls it when
it returns; it also runs at exit).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

#: matplotlib backend of the notebook kernels (figures as PNG outputs)
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


@dataclass
class Launched:
    """A started kernel process: its manager, its folder (IPC sockets, log) and the open log."""

    kernel_name: str
    km: Any
    folder: Path
    log: IO[bytes]


def default_kernel_name() -> str:
    """Kernel to run notebooks with: ``$EDU_KERNEL`` or ``python3``."""
    return os.environ.get("EDU_KERNEL", "python3")


def default_jobs() -> int:
    """One worker per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_POOL: list[Launched] = []
_LOCK = threading.Lock()


def start_kernel_process(kernel_name: str, folder: Path, n: int = 0) -> tuple[Any, IO[bytes]]:
    """Start a kernel process with its sockets and log in ``folder``; returns (manager, log).

    IPC sockets in the folder (no TCP port, no "unencrypted TCP" warning), history in
    memory, stderr to ``folder/kernel.log``, and charts inline whatever backend the
    caller's shell exported (``MPLBACKEND=Agg`` in a headless job would leave
    ``plt.show()`` cells without their image).
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name=kernel_name, transport="ipc", ip=str(folder / f"kernel-{n}"))
    log = open(folder / "kernel.log", "ab")  # noqa: SIM115 - kept open while the kernel runs
    try:
        run_sync(km.start_kernel)(
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=str(folder),
            env={**os.environ, "MPLBACKEND": INLINE_BACKEND},
        )
    except BaseException:
        log.close()
        raise
    return km, log


def launch(kernel_name: str, n: int) -> int:
    """Start ``n`` kernel processes of ``kernel_name`` for later adoption; returns how many
    started (a kernel that cannot start is left to the worker, which reports the error)."""
    started = 0
    for _ in range(max(0, n)):
        folder = Path(tempfile.mkdtemp(prefix="edu-kernel-"))
        try:
            km, log = start_kernel_process(kernel_name, folder)
        except Exception:  # noqa: BLE001 - the worker's own start reports it properly
            continue
        with _LOCK:
            _POOL.append(Launched(kernel_name, km, folder, log))
        started += 1
    return started


def take(kernel_name: str) -> Launched | None:
    """A launched kernel of ``kernel_name`` that is still running, or None."""
    while True:
        with _LOCK:
            item = next((x for x in _POOL if x.kernel_name == kernel_name), None)
            if item is None:
                return None
            _POOL.remove(item)
        if item.km.provisioner is not None and item.km.provisioner.process.poll() is None:
            return item
        _discard(item)  # it died: try the next one


def _discard(item: Launched) -> None:
    from jupyter_core.utils import run_sync

    with contextlib.suppress(Exception):
        run_sync(item.km.shutdown_kernel)(now=True)
    with contextlib.suppress(Exception):
        run_sync(item.km.cleanup_resources)()
    item.log.close()
    shutil.rmtree(item.folder, ignore_errors=True)


@atexit.register
def discard_all() -> None:
    """Shut down every launched kernel nobody adopted."""
    with _LOCK:
        items, _POOL[:] = list(_POOL), []
    for item in items:
        _discard(item)
