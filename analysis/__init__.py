"""Analysis workbench for China's compulsory-education quality-balance evaluation.

Layers: raw bureau exports (``data/raw``, read-only) → core tables (``core_*``: tidy, typed,
validated; :mod:`analysis.clean`) → out tables (``out_*``: indicators, verdicts, shortfalls;
:mod:`analysis.indicators`) → charts and notebooks → published HTML reports
(:mod:`analysis.publish`). Every column is described once in the column dictionary
(:mod:`analysis.dictionary`).
"""

__version__ = "0.1.0"
