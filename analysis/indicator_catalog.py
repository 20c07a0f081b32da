"""The indicator catalogue: every indicator of the method, declared once.

Each entry of ``analysis/data/indicators.yaml`` gives an indicator's key, part, Chinese
names, unit, the raw table kinds that supply it (``inputs``), the shape of its thresholds in
the standards files (``standards``) and its 数据缺失 reason (``missing``); the file's order
is the method's order. Everything that lists indicators reads them from here: the standards
schema (:mod:`analysis.standards`), the 数据缺失 sentences
(:mod:`analysis.indicators.sources`), the engine's computation order and the scorecard
(:mod:`analysis.indicators.registry`), the cleaning's message about unknown indicator keys.

This module depends on nothing of the engine, so that :mod:`analysis.standards` and the
cleaning can read it without importing :mod:`analysis.indicators`.

Examples
--------
>>> indicator("G14").part, indicator("G14").standards_at, indicator("L1").standards_at
('guarantee', 'guarantee.G14', 'resource.standards.L1')
>>> codes("quality")[:3], code_ranges()
(['Q1', 'Q2', 'Q3'], 'L1-L7、G1-G15、Q1-Q9、R、V1-V6')
>>> indicator("G11").missing_detail, indicator("G3").missing_detail
('数据缺失：无交流轮岗数据', '数据缺失')
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.config import data_path, load_yaml
from analysis.errors import InputError

#: The school-level tables (the resource part and the per-school indicators need one).
REQUIRED_ANY = ("core_school_sections", "core_schools")
#: County-level tables and their year column: a county-year found in one of them is
#: evaluated for the parts its data support, with or without a school table.
COUNTY_TABLES: dict[str, str] = {
    "core_county_figures": "year",
    "core_attestations": "year",
    "core_survey": "year",
    "core_cohort_flows": "graduation_year",
}

INDICATORS_PATH = data_path("indicators.yaml")
#: the kinds whose rows belong to schools (analysis/data/indicator_sources.yaml)
SOURCES_PATH = data_path("indicator_sources.yaml")
#: The five parts of the evaluation, in the method's order.
PARTS = ("resource", "guarantee", "quality", "recognition", "veto")
#: Message of an indicator that the data cannot decide.
MISSING = "数据缺失"
#: Fields an entry of indicators.yaml must have, and those it may have.
REQUIRED_FIELDS = ("part", "name", "short", "unit", "attested", "inputs")
OPTIONAL_FIELDS = ("decimals", "compare", "numerator", "scale", "gap_unit", "measures", "per_school",
                   "standards", "missing")
#: Where a part's thresholds sit in a standards file (default ``<part>.<key>``).
STANDARDS_AT = {"resource": "resource.standards.{code}", "recognition": "recognition"}


@dataclass(frozen=True)
class Indicator:
    """One indicator as declared in indicators.yaml.

    Attributes
    ----------
    code : key (``L1`` … ``V6``).
    order : position in the method's order (0 for the first).
    part : one of :data:`PARTS`.
    inputs : the raw table kinds that supply it: each input a tuple of alternative kinds.
    standards : the shape of its thresholds (a type, or a mapping key -> type; None: none).
    missing : the 数据缺失 reason when its data are absent (None: the reason names ``inputs``).
    info : the whole entry (names, unit, decimals, measures …).
    """

    code: str
    order: int
    part: str
    name: str
    short: str
    unit: str | None
    attested: bool
    inputs: tuple[tuple[str, ...], ...]
    per_school: bool = False
    standards: Any = None
    missing: str | None = None
    info: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def standards_at(self) -> str:
        """Dotted path of its thresholds in a standards file."""
        return STANDARDS_AT.get(self.part, "{part}.{code}").format(part=self.part, code=self.code)

    @property
    def missing_detail(self) -> str:
        """``数据缺失：<missing>``, or the bare ``数据缺失`` (explained from ``inputs`` later)."""
        return f"{MISSING}：{self.missing}" if self.missing else MISSING


@functools.cache
def entries() -> dict[str, dict[str, Any]]:
    """The raw entries of indicators.yaml by key, checked (see :func:`catalog`)."""
    return {code: dict(ind.info) for code, ind in catalog().items()}


@functools.cache
def catalog() -> dict[str, Indicator]:
    """Every indicator by key, in the method's order.

    Raises :class:`analysis.errors.InputError` naming the file, the key and the field for an
    entry without a required field, with an unknown field or an unknown part.
    """
    path = INDICATORS_PATH
    raw = load_yaml(path)
    if not isinstance(raw, dict) or not raw:
        raise InputError(str(path), "must be a mapping of indicator keys to their entries")
    out = {}
    for order, (code, entry) in enumerate(raw.items()):
        out[str(code)] = _indicator(str(code), order, entry, path)
    return out


def _indicator(code: str, order: int, entry: Any, path: Path) -> Indicator:
    if not isinstance(entry, dict):
        raise InputError(str(path), f"indicator {code}: the entry must be a mapping of fields")
    lacking = [f for f in REQUIRED_FIELDS if f not in entry]
    if lacking:
        raise InputError(str(path), f"indicator {code}: lacks {', '.join(lacking)}")
    unknown = [f for f in entry if f not in REQUIRED_FIELDS + OPTIONAL_FIELDS]
    if unknown:
        raise InputError(str(path), f"indicator {code}: unknown field {unknown[0]!r}; allowed: "
                                    f"{', '.join(REQUIRED_FIELDS + OPTIONAL_FIELDS)}")
    if entry["part"] not in PARTS:
        raise InputError(str(path), f"indicator {code}: unknown part {entry['part']!r}; allowed: {', '.join(PARTS)}")
    inputs = entry["inputs"]
    if not (isinstance(inputs, list) and inputs and all(isinstance(g, list) and g and all(isinstance(k, str) for k in g)
                                                        for g in inputs)):
        raise InputError(str(path), f"indicator {code}: inputs must be a list of lists of table kinds, "
                                    f"e.g. [[schools], [teachers, teacher_counts]]")
    return Indicator(code=code, order=order, part=entry["part"], name=str(entry["name"]), short=str(entry["short"]),
                     unit=entry["unit"], attested=bool(entry["attested"]),
                     inputs=tuple(tuple(g) for g in inputs), per_school=bool(entry.get("per_school", False)),
                     standards=entry.get("standards"), missing=entry.get("missing"), info=entry)


def indicator(code: str) -> Indicator:
    """The declaration of one indicator; an unknown key raises KeyError listing the known ones.

    >>> indicator("Q1").name
    '全县初中三年巩固率达到95%以上'
    """
    try:
        return catalog()[code]
    except KeyError:
        raise KeyError(f"unknown indicator {code!r}; known: {', '.join(catalog())}") from None


def codes(part: str | None = None) -> list[str]:
    """Indicator keys in the method's order, of one part or all.

    >>> codes("recognition")
    ['R']
    """
    if part is not None and part not in PARTS:
        raise ValueError(f"unknown part {part!r}; allowed: {', '.join(PARTS)}")
    return [c for c, ind in catalog().items() if part is None or ind.part == part]


def code_ranges() -> str:
    """The keys as a person reads them: runs of one letter written ``G1-G15``.

    >>> code_ranges().split("、")[0]
    'L1-L7'
    """
    out = []
    parsed = [(m.group(1), m.group(2)) if (m := re.fullmatch(r"([A-Z]+)(\d*)", c)) else (c, "") for c in codes()]
    for letter, run in itertools.groupby(parsed, key=lambda p: p[0]):
        numbers = [n for _, n in run]
        if len(numbers) > 1 and all(numbers) and [int(n) for n in numbers] == list(
                range(int(numbers[0]), int(numbers[0]) + len(numbers))):
            out.append(f"{letter}{numbers[0]}-{letter}{numbers[-1]}")
        else:
            out.extend(f"{letter}{n}" for n in numbers)
    return "、".join(out)


@functools.cache
def school_kinds() -> frozenset[str]:
    """Raw table kinds whose rows belong to schools (they need the school table of the same year).

    >>> "teachers" in school_kinds(), "county_figures" in school_kinds()
    (True, False)
    """
    return frozenset(load_yaml(SOURCES_PATH)["school_kinds"])


#: Functions to call when the catalogue is read again (caches built from it).
_RELOAD_HOOKS: list = []


def on_reload(hook: Any) -> Any:
    """Register ``hook`` (a function without arguments) to run on :func:`reload`; returns it,
    so that a cached function can be decorated with it."""
    _RELOAD_HOOKS.append(getattr(hook, "cache_clear", hook))
    return hook


def reload() -> None:
    """Read indicators.yaml again (after :data:`INDICATORS_PATH` changed, e.g. in a test), and
    clear every cache built from it."""
    catalog.cache_clear()
    entries.cache_clear()
    school_kinds.cache_clear()
    for hook in _RELOAD_HOOKS:
        hook()
