"""Batch runs of the county notebooks and offline HTML publishing.

``python -m analysis publish`` (see :mod:`analysis.publish.cli`) runs every
parameterised notebook of ``notebooks/`` for every county, in parallel on warm kernels
(:mod:`.kernel`) or on a Dask cluster (:mod:`.dask_backend`), exports offline HTML
(:mod:`.export`), skips unchanged runs (:mod:`.state`), keeps names from data harmless
(:mod:`.safety`) and rebuilds ``reports/<year>/index.html`` (:mod:`.index`).

The public names below are imported lazily, so ``python -m analysis --help`` stays fast.

>>> from analysis.publish import safe_component
>>> safe_component("城东区")
'城东区'
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "publish": "runner",
    "PublishResult": "runner",
    "run_local": "runner",
    "discover_notebooks": "runner",
    "select_notebooks": "runner",
    "select_counties": "runner",
    "Job": "kernel",
    "JobResult": "kernel",
    "NotebookWorker": "kernel",
    "WarmKernel": "kernel",
    "WorkerOptions": "kernel",
    "run_dask": "dask_backend",
    "OfflineHTMLExporter": "export",
    "notebook_to_html": "export",
    "external_references": "export",
    "county_summary": "index",
    "render_index": "index",
    "evaluation_summary": "index",
    "safe_component": "safety",
    "county_dir": "safety",
    "sanitize_html": "safety",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'analysis.publish' has no attribute {name!r}")
    module = importlib.import_module(f"analysis.publish.{_EXPORTS[name]}")
    return getattr(module, name)
