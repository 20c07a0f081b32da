"""Downloads beside each report: its tables as one ``.xlsx``, its charts as PNG and SVG.

The kernel records what a notebook displays (:mod:`analysis.presentation.record`); after the
run :func:`build` reads those records, names each table and chart (the chart's own title;
for a table the heading displayed just before it in its cell, else the notebook's nearest
Markdown heading above the cell), and returns the files to write beside the HTML and the
links the page shows:

- ``<notebook>.xlsx``: a 说明 sheet (report, place, year, data source, standards, time, and
  示例数据（合成） for synthetic data; the list of sheets) and one sheet per table, with the
  table's title and source line above it;
- ``<notebook>_charts/NN_<title>.png`` and ``.svg``.

Works for every notebook: nothing in a notebook refers to it.

The workbook itself is written by :func:`analysis.presentation.excel.workbook`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from analysis.config import atomic_write
from analysis.presentation.excel import workbook
from analysis.presentation.record import MANIFEST, heading_of, source_key
from analysis.presentation.report_table import ReportTable, table
from analysis.safe_names import safe_component


def charts_dir(notebook: str) -> str:
    """Folder of a report's chart files, beside its HTML."""
    return f"{notebook}_charts"


def _headings(nb: Any) -> dict[str, str]:
    """Source key of each code cell → the nearest Markdown heading above it."""
    out: dict[str, str] = {}
    current = ""
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            current = heading_of("".join(source) if isinstance(source, list) else source) or current
        elif cell.get("cell_type") == "code":
            source = cell.get("source", "")
            out.setdefault(source_key("".join(source) if isinstance(source, list) else source), current)
    return out


def titles(items: list[Mapping[str, Any]], nb: Any = None) -> list[str]:
    """A title for every recorded item, unique within its kind (repeats get （2）, （3）…).

    >>> titles([{"kind": "table", "heading": "一、评估结论", "cell": 3},
    ...         {"kind": "table", "heading": None, "cell": 3},
    ...         {"kind": "figure", "title": "差异系数", "cell": 4}])
    ['一、评估结论', '表2', '差异系数']
    """
    above = _headings(nb) if nb is not None else {}
    out, seen = [], {}
    for i, item in enumerate(items, start=1):
        t = item.get("title") or item.get("heading") or above.get(item.get("source") or "") or ""
        t = " ".join(str(t).split()) or ("表" if item["kind"] == "table" else "图") + str(i)
        key = (item["kind"], t)
        seen[key] = seen.get(key, 0) + 1
        out.append(t if seen[key] == 1 else f"{t}（{seen[key]}）")
    return out


#: a number as reports print it (1,105 / -3.5 / 0.782), not an identifier with leading zeros
_NUMBER = re.compile(r"^-?(?:0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?:\.\d+)?$")


def document_order(name: str) -> tuple[int, str]:
    """Sort key of the Word documents: the self-evaluation first, then the plan."""
    label = document_label(name)
    return (0 if label == "自查自评报告" else 1 if label == "整改方案" else 2, name)


def document_label(name: str) -> str:
    """What a Word document beside a report is, from its file name.

    >>> document_label("甲_县_自查自评报告_2024.docx"), document_label("乙县_整改方案_2024.docx")
    ('自查自评报告', '整改方案')
    """
    for label in ("自查自评报告", "整改方案"):
        if label in name:
            return label
    return name.rsplit(".", 1)[0]


def build(folder: str | Path, nb: Any, notebook: str, meta: Mapping[str, Any]
          ) -> tuple[dict[str, bytes], dict[str, Any] | None]:
    """Files to write beside ``<notebook>.html`` and the page's download links.

    ``folder`` is where the kernel recorded (see :mod:`analysis.presentation.record`); without a
    manifest (recording off, or the kernel died) there are no downloads.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        return {}, None
    manifest = json.loads(path.read_text(encoding="utf-8"))
    items = manifest.get("items", [])
    meta = {**meta, "synthetic": "示例" in str(meta.get("source") or "") or "合成" in str(meta.get("source") or ""),
            **(manifest.get("source") or {})}
    names = titles(items, nb)
    files: dict[str, bytes] = {}
    tables: list[tuple[str, ReportTable]] = []
    charts: list[dict[str, str]] = []
    for item, title in zip(items, names, strict=True):
        if item["kind"] == "table" and item.get("file") and (folder / item["file"]).is_file():
            import pickle

            rt = pickle.loads((folder / item["file"]).read_bytes())  # noqa: S301 - written by our kernel
            tables.append((title, rt if isinstance(rt, ReportTable) else table(rt)))
        elif item["kind"] == "figure" and item.get("png"):
            stem = f"{len(charts) + 1:02d}_{safe_component(title[:40])}"
            entry = {"title": title, "source": item.get("source")}  # source: the page shows this file
            for ext in ("png", "svg"):
                src = folder / item.get(ext, "")
                if item.get(ext) and src.is_file():
                    rel = f"{charts_dir(notebook)}/{stem}.{ext}"
                    files[rel] = src.read_bytes()
                    entry[ext] = "/".join(quote(p) for p in rel.split("/"))
            charts.append(entry)
    documents = []
    for doc in sorted(folder.glob("*.docx"), key=lambda p: document_order(p.name)):  # by the kernel
        files[doc.name] = doc.read_bytes()
        documents.append({"label": f"{document_label(doc.name)}（Word）", "href": quote(doc.name)})
    links: dict[str, Any] = {"charts": charts, "xlsx": None, "errors": manifest.get("errors", []),
                             "documents": documents}
    if tables:
        files[f"{notebook}.xlsx"] = workbook(tables, meta)
        links["xlsx"] = {"href": quote(f"{notebook}.xlsx"), "sheets": len(tables)}
    if not tables and not charts and not documents:
        return files, None
    return files, links


def write_files(folder: str | Path, notebook: str, files: Mapping[str, bytes]) -> list[str]:
    """Write a run's download files beside its HTML; returns their paths (relative).

    The chart folder is replaced as a whole and an old ``.xlsx`` removed, so a report never
    links files of an earlier run. Paths are checked to stay inside ``folder``.
    """
    import shutil

    folder = Path(folder)
    shutil.rmtree(folder / charts_dir(notebook), ignore_errors=True)
    (folder / f"{notebook}.xlsx").unlink(missing_ok=True)
    root = folder.resolve()
    written = []
    for rel, data in files.items():
        target = (folder / rel).resolve()
        if not target.is_relative_to(root):
            raise ValueError(f"download {rel!r} would leave {folder}")
        atomic_write(target, data)
        written.append(rel)
    return sorted(written)
