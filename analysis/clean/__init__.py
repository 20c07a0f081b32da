"""Cleaning bureau exports (xlsx, xls, csv) into validated core tables.

``python -m analysis clean`` (and ``make data``) runs :func:`clean` on ``data/raw``:

- :mod:`analysis.clean.read` reads workbooks and CSV files into grids of raw cells;
- :mod:`analysis.clean.header` finds the header row(s), maps column names through
  ``analysis/data/synonyms.yaml`` and recognises the table kind;
- :mod:`analysis.clean.parse` parses values column-wise (numbers, codes, dates, grades, ids);
- :mod:`analysis.clean.kinds` turns each kind's rows into core-table rows;
- :mod:`analysis.clean.pipeline` runs it all, rejects duplicates and orphans, builds
  core_school_sections and writes everything with its accounting.
"""

from analysis.clean.pipeline import CleanReport, clean

__all__ = ["CleanReport", "clean"]
