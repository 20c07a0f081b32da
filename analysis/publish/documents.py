"""``publish``'s hook for the Word documents: written beside each county report.

The documents themselves are :mod:`analysis.documents`; this module records them in the
county's publish state (the index links them) and keeps a failure from stopping a run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from analysis.documents.county import write_county_documents
from analysis.publish.state import read_state, write_state

__all__ = ["publish_documents"]


def publish_documents(processed_dir: str | os.PathLike, county: str, year: int, standards: Any,
                      folder: str | os.PathLike) -> list[str]:
    """``publish``'s hook: write both documents into the county's report folder and record
    them in its state (``documents``: file names, linked from the index); a failure is
    recorded as a warning in the state and never stops the publishing run."""
    folder = Path(folder)
    state = read_state(folder)
    try:
        names = [p.name for p in write_county_documents(processed_dir, county, year, standards, folder)]
        state["documents"] = names
        state.pop("documents_error", None)
    except Exception as exc:  # noqa: BLE001 - a document failure must not stop the reports
        names = []
        state["documents_error"] = f"{type(exc).__name__}: {exc}"
    write_state(folder, state)
    return names
