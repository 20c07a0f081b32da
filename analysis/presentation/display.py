"""Display of the reports: one :func:`show` for sentences, charts and tables.

Notebooks stay thin: they compute with :mod:`analysis.studies` and hand every result to
:func:`show`, which renders it the report's way:

- a :class:`~analysis.missing.Missing` result (a section that cannot be computed) as its one
  Chinese sentence, once per cell (a chart and its table do not repeat it);
- a matplotlib figure as an embedded PNG (:func:`show_figure`), recorded for the report's
  downloads in a publish run (:mod:`analysis.presentation.record`);
- a frame as a :class:`~analysis.presentation.report_table.ReportTable`: Chinese headers with
  units, every column printed by its kind, every row and column (long tables folded);
- text as Markdown.

Examples
--------
>>> import pandas as pd
>>> t = table(pd.DataFrame({"students": [1105.0, 20.0]}), collapse_rows=1)
>>> html = t._repr_html_()
>>> html.startswith("<details") and "共 2 行" in html and "1,105" in html
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from analysis.missing import Missing, is_missing
from analysis.plotting import figure_png, save_figure
from analysis.presentation import record
from analysis.presentation.report_table import table

__all__ = ["show", "show_figure", "table"]

#: sentences already shown, per notebook cell: {execution count: {sentence}}
_SHOWN: dict[Any, set[str]] = {}


def _cell_key() -> Any:
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except ImportError:  # pragma: no cover - IPython is a dependency
        ip = None
    return None if ip is None else ip.execution_count


def _new_sentence(m: Missing) -> bool:
    """True the first time ``m``'s sentence is shown in the current cell."""
    key = _cell_key()
    if key not in _SHOWN:
        _SHOWN.clear()  # a new cell: forget the previous one's sentences
        _SHOWN[key] = set()
    seen = _SHOWN[key]
    if m.sentence() in seen:
        return False
    seen.add(m.sentence())
    return True


def show(
    obj: Any,
    path: str | os.PathLike | None = None,
    *,
    heading: str | None = None,
    columns: Mapping[str, str] | None = None,
    kinds: Mapping[str, str] | None = None,
    title: str | None = None,
) -> None:
    """Display ``obj`` the report's way (see the module docstring).

    Returns None, so a ``show(...)`` ending a cell is not displayed a second time.

    Parameters
    ----------
    obj : a Missing, a matplotlib Figure, a DataFrame, a :class:`ReportTable`, text, or
        anything IPython can display (``None`` shows nothing).
    path : where a figure is saved (PNG), if anywhere.
    heading : Markdown shown first (a sub-heading); a new heading starts a new section, so
        a sentence already shown in this cell is shown again under it.
    columns, kinds : headers and kinds of columns the dictionary does not know (frames).
    title : the table's title in the workbook (default: the heading above it).
    """
    from IPython.display import Markdown, display

    if heading:
        _SHOWN.pop(_cell_key(), None)
        display(Markdown(heading))
    if obj is None:
        return None
    if is_missing(obj):
        if _new_sentence(obj):
            display(Markdown(obj.sentence()))
        return None
    if isinstance(obj, Figure):
        show_figure(obj, path)
        return None
    if isinstance(obj, pd.DataFrame):
        display(table(obj, columns, kinds, title=title))
    elif isinstance(obj, str):
        display(Markdown(obj))
    else:
        display(obj)
    return None


def show_figure(fig: Figure | Missing, path: str | os.PathLike | None = None) -> Figure | Missing:
    """Display ``fig`` as an embedded PNG (and save it to ``path`` if given), then close it.

    The PNG is rendered here rather than left to the kernel's matplotlib backend, so the
    chart shows whatever ``MPLBACKEND`` the kernel inherited (with ``Agg`` a figure would
    otherwise be displayed as its text repr, ``<Figure size ...>``). A Missing is shown as
    its sentence.
    """
    if is_missing(fig):
        return show(fig)

    try:
        from IPython.display import Image, display

        png = figure_png(fig)
        if path is not None:
            save_figure(fig, path, png)
        record.record_figure(fig, png)
        display(Image(data=png, format="png"))
    finally:
        plt.close(fig)
    return fig
