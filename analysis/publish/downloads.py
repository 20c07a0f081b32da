"""Downloads beside each report: its tables as one ``.xlsx``, its charts as PNG and SVG.

The kernel records what a notebook displays (:mod:`analysis.publish.collect`); after the
run :func:`build` reads those records, names each table and chart (the chart's own title;
for a table the heading displayed just before it in its cell, else the notebook's nearest
Markdown heading above the cell), and returns the files to write beside the HTML and the
links the page shows:

- ``<notebook>.xlsx``: a 说明 sheet (report, place, year, data source, standards, time, and
  示例数据（合成） for synthetic data; the list of sheets) and one sheet per table, with the
  table's title and source line above it;
- ``<notebook>_charts/NN_<title>.png`` and ``.svg``.

Works for every notebook: nothing in a notebook refers to it.

Examples
--------
>>> sheet_name(3, "资源配置：未达标学校与缺口/明细[1]", set())
'表03 资源配置：未达标学校与缺口_明细_1_'
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from analysis.publish.collect import MANIFEST, _heading_of, source_key
from analysis.publish.safety import safe_component

#: characters Excel refuses in sheet names
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
SYNTHETIC_LABEL = "示例数据（合成）"


def charts_dir(notebook: str) -> str:
    """Folder of a report's chart files, beside its HTML."""
    return f"{notebook}_charts"


def sheet_name(n: int, title: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name (≤ 31 characters) for table ``n``."""
    base = _BAD_SHEET.sub("_", f"表{n:02d} {title}".strip())[:31].rstrip("'")
    name, i = base, 2
    while name.casefold() in used:
        suffix = f"（{i}）"
        name, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(name.casefold())
    return name


def _headings(nb: Any) -> dict[str, str]:
    """Source key of each code cell → the nearest Markdown heading above it."""
    out: dict[str, str] = {}
    current = ""
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            current = _heading_of("".join(source) if isinstance(source, list) else source) or current
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


def _number(value: Any) -> Any:
    """A printed number back as a number, so Excel can sum it; other values unchanged.

    >>> [_number(v) for v in ["1,105", "0.782", "-12", "0012", "L5", "—", 3]]
    [1105, 0.782, -12, '0012', 'L5', '—', 3]
    """
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        text = value.strip().replace(",", "")
        return float(text) if "." in text else int(text)
    return value


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for j in range(out.shape[1]):  # by position: display tables may repeat a header
        if pd.api.types.is_object_dtype(out.dtypes.iloc[j]):
            out.iloc[:, j] = out.iloc[:, j].map(_number)
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" / ".join(str(x) for x in col if str(x) != "") for col in out.columns]
    out.columns = [str(c) for c in out.columns]
    if isinstance(out.index, pd.MultiIndex) or out.index.name is not None or not isinstance(out.index, pd.RangeIndex):
        out = out.reset_index()
        out.columns = [str(c) if not str(c).startswith("level_") and c != "index" else "" for c in out.columns]
    return out


def workbook(tables: list[tuple[str, pd.DataFrame]], meta: Mapping[str, Any]) -> bytes:
    """The ``.xlsx`` of a report: a 说明 sheet, then one sheet per ``(title, frame)``."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    source = str(meta.get("source") or "")
    synthetic = SYNTHETIC_LABEL in source or "合成" in source or bool(meta.get("synthetic"))
    line = f"数据来源：{source}" + (f"　{SYNTHETIC_LABEL}" if synthetic and SYNTHETIC_LABEL not in source else "")
    used: set[str] = {"说明"}
    names = [sheet_name(i, t, used) for i, (t, _) in enumerate(tables, start=1)]
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        about = [["报告", str(meta.get("title") or "")], ["县（区）/地区", str(meta.get("county") or "")],
                 ["年份", str(meta.get("year") or "")], ["数据来源", line.removeprefix("数据来源：")],
                 ["评估标准", str(meta.get("standards") or "")], ["生成时间", str(meta.get("run_date") or "")]]
        if synthetic:
            about.append(["说明", f"{SYNTHETIC_LABEL}：示例数据，合成，非真实统计"])
        about += [["", ""], ["工作表", "表格"]] + [[n, t] for n, (t, _) in zip(names, tables, strict=True)]
        pd.DataFrame(about).to_excel(writer, sheet_name="说明", index=False, header=False)
        ws = writer.sheets["说明"]
        ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 18, 60
        for (title, frame), name in zip(tables, names, strict=True):
            flat = _flat(frame)
            flat.to_excel(writer, sheet_name=name, index=False, startrow=3)
            ws = writer.sheets[name]
            ws["A1"], ws["A2"] = title, line
            ws["A1"].font = Font(bold=True, size=12)
            ws.freeze_panes = "A5"
            for j, col in enumerate(flat.columns, start=1):
                width = max([len(str(col))] + [len(str(v)) for v in flat.iloc[:200, j - 1]]) * 1.6 + 2
                ws.column_dimensions[get_column_letter(j)].width = min(max(width, 6), 60)
    return buf.getvalue()


def build(folder: str | Path, nb: Any, notebook: str, meta: Mapping[str, Any]
          ) -> tuple[dict[str, bytes], dict[str, Any] | None]:
    """Files to write beside ``<notebook>.html`` and the page's download links.

    ``folder`` is where the kernel recorded (see :mod:`analysis.publish.collect`); without a
    manifest (recording off, or the kernel died) there are no downloads.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        return {}, None
    manifest = json.loads(path.read_text(encoding="utf-8"))
    items = manifest.get("items", [])
    names = titles(items, nb)
    files: dict[str, bytes] = {}
    tables: list[tuple[str, pd.DataFrame]] = []
    charts: list[dict[str, str]] = []
    for item, title in zip(items, names, strict=True):
        if item["kind"] == "table" and item.get("file") and (folder / item["file"]).is_file():
            tables.append((title, pd.read_pickle(folder / item["file"])))  # noqa: S301 - written by our kernel
        elif item["kind"] == "figure" and item.get("png"):
            stem = f"{len(charts) + 1:02d}_{safe_component(title[:40])}"
            entry = {"title": title}
            for ext in ("png", "svg"):
                src = folder / item.get(ext, "")
                if item.get(ext) and src.is_file():
                    rel = f"{charts_dir(notebook)}/{stem}.{ext}"
                    files[rel] = src.read_bytes()
                    entry[ext] = "/".join(quote(p) for p in rel.split("/"))
            charts.append(entry)
    links: dict[str, Any] = {"charts": charts, "xlsx": None, "errors": manifest.get("errors", [])}
    if tables:
        files[f"{notebook}.xlsx"] = workbook(tables, meta)
        links["xlsx"] = {"href": quote(f"{notebook}.xlsx"), "sheets": len(tables)}
    if not tables and not charts:
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
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        written.append(rel)
    return sorted(written)
