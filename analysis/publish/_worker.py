"""Start-up tweaks for the processes this package owns (the CLI), kept free of heavy imports."""

from __future__ import annotations

import sys


def skip_slow_optional_imports() -> None:
    """Keep ``jsonschema`` from importing the optional ``rfc3987_syntax``.

    nbformat validates notebooks with jsonschema, which imports ``rfc3987_syntax`` if it
    is installed; that module builds a Lark parser at import time (about 3 s on a
    2-core machine, more than most notebooks take to run). It is only used to check the
    ``iri``/``uri`` string formats, which notebook schemas never ask for. Called only in
    processes this package owns (the CLI), never on library import.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
