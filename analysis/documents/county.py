"""Both Word documents of one county and year, written into a folder (publishing calls this).

>>> import tempfile
>>> from analysis.indicators.evaluation import example_inputs
>>> from analysis.tables import write_tables
>>> with tempfile.TemporaryDirectory() as d:
...     _ = write_tables(dict(example_inputs()), d)
...     paths = write_county_documents(d, "示例县", 2024, "national", d)
...     [p.name for p in paths]
['示例县_自查自评报告_2024.docx', '示例县_整改方案_2024.docx']
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from analysis.documents.plandoc import write_plan_docx
from analysis.documents.selfeval import county_frames, write_selfeval
from analysis.indicators.evaluation import load_inputs
from analysis.plan.actions import build_plan, load_edits
from analysis.presentation.cache import evaluate
from analysis.standards import as_standards

__all__ = ["document_names", "write_county_documents"]


def document_names(county: str, year: int) -> dict[str, str]:
    """File names of the two documents (the county page and the index link to them)."""
    return {"selfeval": f"{county}_自查自评报告_{int(year)}.docx", "plan": f"{county}_整改方案_{int(year)}.docx"}


def write_county_documents(processed_dir: str | os.PathLike, county: str, year: int, standards: Any,
                           folder: str | os.PathLike, *, template_dir: str | os.PathLike | None = None) -> list[Path]:
    """Write the 自查自评报告 and the 整改方案 of ``county`` into ``folder``; returns the paths.

    One evaluation serves both, through the evaluation cache (in a publishing kernel, the
    county report's). ``template_dir`` may hold a county's ``selfeval.docx`` and
    ``plan.docx`` (the defaults otherwise).
    """

    std = as_standards(standards)
    inputs = load_inputs(processed_dir, year=int(year), counties=[county])
    ev = evaluate(inputs, year=int(year), counties=[county], standards=std)
    schools, sections = county_frames(processed_dir, county, year)
    names = document_names(county, year)
    folder = Path(folder)

    def own(name: str) -> Path | None:
        if template_dir is None:
            return None
        p = Path(template_dir) / f"{name}.docx"
        return p if p.is_file() else None

    out = [write_selfeval(ev, county, year, folder / names["selfeval"], schools=schools, sections=sections,
                          template=own("selfeval"))]
    plan = build_plan(ev, county, int(year), inputs=inputs, edits=load_edits(Path(processed_dir)))
    out.append(write_plan_docx(plan, county, year, folder / names["plan"], standards=std, data_label=ev.data_label,
                               template=own("plan")))
    return out
