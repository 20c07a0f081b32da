"""The presentation layer: everything a notebook uses to show results, in one place.

- :mod:`.kinds`: the kind of every displayed value and the one formatter per kind (page,
  workbook and Word document print a figure the same way);
- :mod:`.report_table`: report tables (Chinese headers with units, every row and column);
- :mod:`.display`: :func:`show` for sentences, charts and tables;
- :mod:`.context`: the county and region a notebook works on;
- :mod:`.county`: a county's evaluation (through :mod:`.cache`), summary and shortfalls;
- :mod:`.record`: the recorder of what a report displays (publishing registers into it, for
  the report's workbook and chart files);
- :mod:`.excel`: tables written to a workbook by kind.

Modules below this layer (analysis, indicators, plotting) never import it, except the
leaf formatter :mod:`.kinds`; publishing sits above it.
"""

from __future__ import annotations

import importlib
from typing import Any

#: the public names and the module of each; loaded on first use (PEP 562), so that the
#: engine can import the leaf formatter :mod:`.kinds` without loading the whole layer
_EXPORTS = {
    "CountyContext": "context", "DataContext": "context", "RegionContext": "context",
    "load_context": "context", "load_region_context": "context",
    "county_rows": "county", "county_summary": "county", "evaluate_county": "county",
    "scorecard_table": "county", "shortfall_table": "county",
    "fmt": "kinds", "pass_text": "kinds",
    "show": "display", "show_figure": "display",
    "ReportTable": "report_table", "table": "report_table",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"analysis.presentation.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'analysis.presentation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
