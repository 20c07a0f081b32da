"""City and province reports in ``python -m analysis publish --scope city|province``.

The city report notebook (``notebooks/city_report.ipynb``) runs once per city (scope
``city``) or once per province (scope ``province``) of the year's data, with the parameters
``scope, region, year, processed_dir, output_dir, standards, groups_file`` (``output_dir``
empty: the page and its downloads are all that is published). Its results go
to ``reports/<year>/city/<city>/`` and ``reports/<year>/province/<province>/`` (the same
state file and skip-if-unchanged rule as the county folders), and the year's index links
every region report found there, also after a county-only run.

Examples
--------
>>> parse_scopes("county,city")
('county', 'city')
>>> parse_scopes("town")
Traceback (most recent call last):
...
ValueError: unknown scope 'town'; choose from: county, city, province
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from analysis.publish.kernel import Job
from analysis.publish.state import file_digest, is_up_to_date, job_fingerprint, read_state
from analysis.safe_names import safe_component

SCOPES = ("county", "city", "province")
#: the notebook run per city / province; never run per county
REGION_NOTEBOOK = "city_report"
#: folder of each region scope under ``reports/<year>/``
SCOPE_DIRS = {"city": "city", "province": "province"}
SCOPE_LABELS = {"city": "市级报告", "province": "省级报告"}


def parse_scopes(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"county"``, ``"city"``, ``"province"`` or a comma list of them, checked."""
    items = (text or "county").split(",") if isinstance(text, str) or text is None else list(text)
    out = tuple(dict.fromkeys(s.strip() for s in items if s and s.strip()))
    for s in out:
        if s not in SCOPES:
            raise ValueError(f"unknown scope {s!r}; choose from: {', '.join(SCOPES)}")
    return out or ("county",)


def region_dir(out_root: str | os.PathLike, year: int, scope: str, name: str) -> Path:
    """``<out_root>/<year>/<city|province>/<safe name>``, checked to stay inside its root."""
    root = Path(out_root) / str(int(year)) / SCOPE_DIRS[scope]
    target = root / safe_component(name)
    if not target.resolve().is_relative_to(root.resolve()) or target.resolve() == root.resolve():
        raise ValueError(f"report folder of {name!r} would leave {root}")
    return target


def find_regions(processed: Path, scope: str, groups_file: str | None = None,
                 requested: str | Sequence[str] | None = None) -> list[str]:
    """The cities (or provinces) of the data, or those ``requested`` (checked)."""
    # deferred: keeps the command line's start-up light (the context loads the engine)
    from analysis.presentation.context import county_frames
    from analysis.studies import city

    groups = city.load_groups(groups_file)
    places = city.county_places(county_frames(processed), groups)
    names = list(city.regions(places, groups, scope))
    if requested is None or requested == "all":
        return names
    wanted = [n.strip() for n in (requested.split(",") if isinstance(requested, str) else requested) if n.strip()]
    unknown = [n for n in wanted if n not in names]
    if unknown:
        raise ValueError(f"unknown {scope} {unknown}; available: {', '.join(names) or '(none)'}")
    return wanted


def plan_region_jobs(
    scope: str, names: Sequence[str], notebook: Path, *, processed: Path, out_root: Path, year: int,
    standards: str, groups_file: str | None, data_digest: str, force: bool = False,
    extra: Sequence[str] = (), meta: Mapping[str, Any] | None = None,
) -> tuple[list[Job], list[tuple[str, str]], dict[str, Path]]:
    """One job per region; returns ``(jobs, skipped, {fingerprint: folder})``."""
    # deferred: keeps the command line's start-up light
    from analysis.studies.city import GROUPS_PATH

    source = notebook.read_text(encoding="utf-8")
    digest = file_digest(notebook)
    groups_path = Path(groups_file).resolve() if groups_file else GROUPS_PATH
    groups_digest = file_digest(groups_path)
    jobs: list[Job] = []
    skipped: list[tuple[str, str]] = []
    folders: dict[str, Path] = {}
    for name in names:
        folder = region_dir(out_root, year, scope, name)
        folder.mkdir(parents=True, exist_ok=True)
        parameters = {"scope": scope, "region": name, "year": year, "processed_dir": str(processed),
                      "output_dir": "", "standards": standards, "groups_file": str(groups_path)}
        fingerprint = job_fingerprint(data_digest, parameters, digest, groups_digest, *extra)
        folders[fingerprint] = folder
        if not force and is_up_to_date(folder, REGION_NOTEBOOK, fingerprint):
            skipped.append((name, REGION_NOTEBOOK))
            continue
        jobs.append(Job(
            county=name, year=year, notebook=REGION_NOTEBOOK, source=source, source_path=str(notebook),
            parameters=parameters, cwd=str(notebook.parent.resolve()), fingerprint=fingerprint,
            meta={**(meta or {}), "title": "市（省）域义务教育发展报告", "county": name, "year": year,
                  "index_href": "../../index.html"},
        ))
    return jobs, skipped, folders


def region_links(out_root: str | os.PathLike, year: int) -> list[dict[str, Any]]:
    """Every region report of the year's folder, for the index: scope label, name, link, status."""
    links = []
    for scope, sub in SCOPE_DIRS.items():
        root = Path(out_root) / str(int(year)) / sub
        if not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            state = read_state(folder)
            entry = state.get("notebooks", {}).get(REGION_NOTEBOOK)
            if not entry:
                continue
            status = entry.get("status", "missing")
            href = f"{sub}/{quote(folder.name)}/{quote(str(entry['html']))}" if entry.get("html") else None
            links.append({
                "scope": SCOPE_LABELS[scope], "name": state.get("county") or folder.name, "html": href,
                "status": status, "status_label": {"ok": "成功", "failed": "失败"}.get(status, "未运行"),
                "error": entry.get("error") or "",
            })
    return links
