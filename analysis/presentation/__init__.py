"""The presentation layer: everything a notebook uses to show results, in one place.

- :mod:`.kinds`: the kind of every displayed value and the one formatter per kind (page,
  workbook and Word document print a figure the same way);
- :mod:`.table`: report tables (Chinese headers with units, every row and column);
- :mod:`.show`: :func:`show` for sentences, charts and tables;
- :mod:`.context`: the county and region a notebook works on;
- :mod:`.county`: a county's evaluation (through :mod:`.cache`), summary and shortfalls;
- :mod:`.record`: the recorder of what a report displays (publishing registers into it, for
  the report's workbook and chart files);
- :mod:`.excel`: tables written to a workbook by kind.

Modules below this layer (analysis, indicators, plotting) never import it, except the
leaf formatter :mod:`.kinds`; publishing sits above it.
"""

from __future__ import annotations

from analysis.presentation.context import (
    CountyContext,
    DataContext,
    RegionContext,
    load_context,
    load_region_context,
)
from analysis.presentation.county import (
    county_rows,
    county_summary,
    evaluate_county,
    scorecard_table,
    shortfall_table,
)
from analysis.presentation.kinds import fmt, pass_text
from analysis.presentation.show import show, show_figure
from analysis.presentation.table import ReportTable, table

__all__ = [
    "CountyContext",
    "DataContext",
    "RegionContext",
    "ReportTable",
    "county_rows",
    "county_summary",
    "evaluate_county",
    "fmt",
    "load_context",
    "load_region_context",
    "pass_text",
    "scorecard_table",
    "shortfall_table",
    "show",
    "show_figure",
    "table",
]
