"""Default folders of the project layout (no heavy imports: the command line reads them)."""

from __future__ import annotations

from pathlib import Path

#: where cleaning writes the core tables and the engine reads them
DEFAULT_PROCESSED = Path("data/processed")
