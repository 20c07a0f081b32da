"""Kernel side of the report downloads: record every table and chart a notebook displays.

Imported *inside* the notebook kernel (light: no nbformat, pandas and matplotlib only when
used). While a publish run is active (:func:`start` … :func:`finish`, called by
:class:`analysis.publish.kernel.WarmKernel` around each notebook), every displayed
``pandas.DataFrame`` (or Styler) and every chart is written to the run's folder: tables as
pickles, charts as PNG and SVG, with a ``manifest.json`` saying what each file is, in which
cell (execution count) it was displayed and under which heading. The publisher
(:mod:`analysis.publish.downloads`) turns that into one ``.xlsx`` and the chart files beside
the HTML. Nothing changes in the notebook's outputs: the recorder is an IPython display
formatter whose results are always empty.

Charts reach the recorder in two ways: :func:`analysis.presentation.show_figure` calls
:func:`record_figure` (it displays a PNG, not the figure), and a figure displayed any other
way (``display(fig)``, the inline backend) passes the formatter.

Outside a run every function is a no-op.

Examples
--------
>>> import pandas as pd, tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     start(d, install=False)
...     record_heading("## 一、评估结论")
...     record_table(pd.DataFrame({"a": [1]}))
...     manifest = finish()
>>> [(i["kind"], i["heading"]) for i in manifest["items"]]
[('table', '一、评估结论')]
>>> record_table(pd.DataFrame({"a": [1]}))  # not active: nothing happens
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from analysis.presentation.report_table import ReportTable, table

#: the formatter's MIME type (it never produces output under it)
MIME = "application/vnd.edu-balance.collect+json"
MANIFEST = "manifest.json"
#: tables larger than this many cells are not recorded (they would not fit an Excel sheet well)
MAX_CELLS = 2_000_000

_STATE: dict[str, Any] = {"dir": None, "items": [], "heading": {}}


def active() -> bool:
    return _STATE["dir"] is not None


def _cell() -> int | None:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return int(shell.execution_count) if shell is not None else None
    except Exception:  # noqa: BLE001
        return None


def source_key(source: str) -> str:
    """Key of a cell's source text: records are matched to the executed notebook's cells by it
    (execution counts during a run differ between IPython versions)."""
    import hashlib

    return hashlib.sha1(str(source).strip().encode("utf-8")).hexdigest()[:16]


def _source() -> str | None:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return source_key(shell.history_manager.input_hist_raw[-1]) if shell is not None else None
    except Exception:  # noqa: BLE001
        return None


def heading_of(text: str) -> str | None:
    found = None  # the last heading of the text: the most specific one
    for line in str(text).splitlines():
        m = re.match(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$", line) or re.match(r"^\s*\*\*(.+?)\*\*\s*$", line)
        if m:
            found = re.sub(r"[*_`]", "", m.group(1)).strip()
    return found


def record_heading(text: str) -> None:
    """Remember a heading displayed in the current cell (a Markdown output)."""
    if not active():
        return
    heading = heading_of(text)
    if heading:
        _STATE["heading"][_cell()] = heading


def _add(kind: str, **fields: Any) -> dict[str, Any]:
    cell = _cell()
    item = {"kind": kind, "n": len(_STATE["items"]) + 1, "cell": cell, "source": _source(),
            "heading": _STATE["heading"].get(cell), **fields}
    _STATE["items"].append(item)
    return item


def record_table(df: Any, title: str | None = None) -> None:
    """Record a displayed table: a :class:`~analysis.presentation.report_table.ReportTable`, or a
    DataFrame (a Styler by its data) made into one, so the workbook prints it by kind."""
    if not active():
        return
    try:
        import pickle

        rt = df if isinstance(df, ReportTable) else None
        if rt is None:
            frame = df.data if type(df).__name__ == "Styler" else df
            if not hasattr(frame, "to_pickle"):
                return
            rt = table(frame)
        if rt.frame.empty:
            return
        if rt.frame.size > MAX_CELLS:
            _STATE.setdefault("errors", []).append(f"table of {rt.frame.shape[0]} rows × {rt.frame.shape[1]} columns "
                                                   f"not put in the workbook (over {MAX_CELLS:,} cells)")
            return
        item = _add("table", title=title or rt.title, rows=int(rt.frame.shape[0]), columns=int(rt.frame.shape[1]))
        name = f"table{item['n']:03d}.pkl"
        (Path(_STATE["dir"]) / name).write_bytes(pickle.dumps(rt, protocol=pickle.HIGHEST_PROTOCOL))
        item["file"] = name
    except Exception as exc:  # noqa: BLE001 - a download must never break a report
        _STATE.setdefault("errors", []).append(f"table: {type(exc).__name__}: {exc}")


def _figure_title(fig: Any) -> str | None:
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text().strip():
        return sup.get_text().strip()
    for ax in fig.axes:
        if ax.get_title().strip():
            return ax.get_title().strip()
    return None


def record_figure(fig: Any, png: bytes | None = None, title: str | None = None) -> None:
    """Record a displayed chart: PNG (``png`` if already rendered) and SVG files."""
    if not active():
        return
    try:
        item = _add("figure", title=title or _figure_title(fig))
        base = Path(_STATE["dir"]) / f"figure{item['n']:03d}"
        from analysis.plotting import figure_png, fix_layout  # preloaded in publishing kernels

        fix_layout(fig)  # one layout for the PNG and the SVG (no-op after show_figure)
        Path(f"{base}.png").write_bytes(figure_png(fig) if png is None else png)
        fig.savefig(f"{base}.svg", format="svg")
        item["png"], item["svg"] = f"{base.name}.png", f"{base.name}.svg"
    except Exception as exc:  # noqa: BLE001
        _STATE.setdefault("errors", []).append(f"figure: {type(exc).__name__}: {exc}")


def declare_source(source: str, synthetic: bool) -> None:
    """Say where the report's figures come from (its workbook's 说明 sheet prints it): the
    contexts do this for bureau data; a report of published real figures names their
    documents and is never labelled synthetic."""
    if active():
        _STATE["source"] = {"source": str(source), "synthetic": bool(synthetic)}


def _formatter():
    from IPython.core.formatters import BaseFormatter
    from traitlets import ObjectName, Unicode

    class CollectFormatter(BaseFormatter):
        """Records displayed tables, charts and Markdown headings; formats nothing."""

        format_type = Unicode(MIME)
        print_method = ObjectName("_edu_collect_")

        def __call__(self, obj):  # noqa: D102 - never raises, never returns output
            if not active():
                return None
            try:
                mod = type(obj).__module__ or ""
                name = type(obj).__name__
                if mod.startswith("pandas") and name in ("DataFrame", "Styler"):
                    record_table(obj)
                elif mod.startswith("matplotlib") and name == "Figure":
                    record_figure(obj)
                elif name == "Markdown" and mod.startswith("IPython"):
                    record_heading(getattr(obj, "data", "") or "")
                elif hasattr(obj, "_edu_table"):  # report tables (analysis.presentation.report_table)
                    record_table(obj._edu_table)
            except Exception:  # noqa: BLE001
                pass
            return None

    return CollectFormatter


def install() -> bool:
    """Add the recording formatter to this IPython shell (once); False outside IPython."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        return False
    if shell is None:
        return False
    formatters = shell.display_formatter.formatters
    if MIME not in formatters:
        formatters[MIME] = _formatter()(parent=shell.display_formatter)
    return True


def start(folder: str | os.PathLike, *, install: bool = True) -> None:
    """Start recording into ``folder`` (created and emptied of earlier records)."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for old in path.iterdir():
        if old.is_file():
            old.unlink()
    _STATE.update({"dir": str(path), "items": [], "heading": {}, "errors": [], "source": None})
    if install:
        globals()["install"]()


def finish() -> dict[str, Any]:
    """Stop recording; write and return the manifest (``items``, ``errors``)."""
    if not active():
        return {"items": [], "errors": []}
    manifest = {"items": _STATE["items"], "errors": _STATE.get("errors", [])}
    if _STATE.get("source"):
        manifest["source"] = _STATE["source"]
    (Path(_STATE["dir"]) / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    _STATE.update({"dir": None, "items": [], "heading": {}, "errors": [], "source": None})
    return manifest


__all__ = ["MIME", "active", "declare_source", "finish", "heading_of", "install", "record_figure", "record_heading", "record_table", "start"]
