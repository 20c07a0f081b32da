"""Cleaning bureau exports (xlsx, xls, csv) into validated core tables.

``python -m analysis clean`` (and ``make data``) runs :func:`clean` on ``data/raw``; the
steps, in :mod:`analysis.clean.pipeline`'s order:

- read: :mod:`analysis.clean.sheets` reads each file on its own — :mod:`analysis.clean.read`
  into grids of raw cells, :mod:`analysis.clean.header` finds the header row(s), maps column
  names through ``analysis/data/synonyms.yaml`` and recognises the table kind,
  :mod:`analysis.clean.rows` flags the total and note rows;
- shape: :mod:`analysis.clean.shape` converts each kind's rows (:mod:`analysis.clean.kinds`,
  values parsed column-wise by :mod:`analysis.clean.parse`) into core-table rows;
- reconcile: :mod:`analysis.clean.reconcile` applies the rules across tables (duplicates,
  the roster wins, sections, orphans), each frames in, frames out
  (:mod:`analysis.clean.frames`);
- finish: :mod:`analysis.clean.school_sections` sorts the core tables and builds
  core_school_sections;
- account: :mod:`analysis.clean.accounting` builds qa_rejects and qa_accounting;
- write: :mod:`analysis.clean.outputs` writes everything atomically.
"""

from analysis.clean.pipeline import CleanReport, clean

__all__ = ["CleanReport", "clean"]
