"""Entry points of the local worker processes, kept free of heavy imports.

A spawned worker unpickles :func:`init` before anything else, so the start-up tweak
below is in place before nbformat (via papermill and nbconvert) is imported.
"""

from __future__ import annotations

import sys
from typing import Any


def skip_slow_optional_imports() -> None:
    """Keep ``jsonschema`` from importing the optional ``rfc3987_syntax``.

    nbformat validates notebooks with jsonschema, which imports ``rfc3987_syntax`` if it
    is installed; that module builds a Lark parser at import time (about 3 s on a
    2-core machine, more than most notebooks take to run). It is only used to check the
    ``iri``/``uri`` string formats, which notebook schemas never ask for. Called only in
    processes this package owns (the CLI and its workers), never on library import.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def init(options: dict[str, Any]) -> None:
    """Process-pool initializer: start this worker's warm kernel right away."""
    skip_slow_optional_imports()
    from multiprocessing.util import Finalize

    from analysis.publish.kernel import WorkerOptions, close_workers, worker_for

    worker_for(WorkerOptions(**options))
    Finalize(None, close_workers, exitpriority=10)  # runs when the pool shuts the worker down
