"""Which raw table kinds supply each indicator (``analysis/data/indicator_sources.yaml``).

Used to say what is missing when an indicator or a part cannot be decided ("数据缺失：需要
学校基本情况"), to decide which indicators a county-year without a school table cannot
have, and by the data-entry template's instructions.

Examples
--------
>>> needs_school_table("G4"), needs_school_table("G9"), needs_school_table("Q1")
(True, False, False)
>>> missing_text("G5")
'数据缺失：需要学校基本情况和班级'
>>> missing_text("G9")
'数据缺失：需要专任教师名册或县级保障'
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from analysis.indicators._base import MISSING

SOURCES_PATH = Path(__file__).resolve().parent.parent / "data" / "indicator_sources.yaml"


@functools.cache
def _sources() -> dict[str, Any]:
    return yaml.safe_load(SOURCES_PATH.read_text(encoding="utf-8"))


@functools.cache
def kind_labels() -> dict[str, str]:
    """Chinese label of every raw table kind (synonyms.yaml), plus the kinds defined here.

    >>> kind_labels()["cohort_flows"]
    '学生变动'
    """
    from analysis.clean.header import load_synonyms

    return {name: spec.label for name, spec in load_synonyms().kinds.items()}


def indicator_sources(indicator: str) -> list[list[str]]:
    """The inputs of ``indicator``, each a list of alternative kinds.

    >>> indicator_sources("L1")
    [['schools'], ['teachers', 'teacher_counts']]
    """
    table = _sources()["indicators"]
    if indicator not in table:
        raise KeyError(f"indicator_sources.yaml has no entry for {indicator!r}; known: {', '.join(table)}")
    return [list(group) for group in table[indicator]]


def school_kinds() -> frozenset[str]:
    """Kinds whose rows belong to schools (they need the school table of the same year)."""
    return frozenset(_sources()["school_kinds"])


def needs_school_table(indicator: str) -> bool:
    """True when ``indicator`` cannot be decided without the school table (some input of it
    has only school-level kinds as alternatives)."""
    kinds = school_kinds()
    return any(set(group) <= kinds for group in indicator_sources(indicator))


def needed_text(indicator: str) -> str:
    """What supplies ``indicator``, in Chinese ("学校基本情况和专任教师名册或分校教师汇总").

    >>> needed_text("L1")
    '学校基本情况和专任教师名册或分校教师汇总'
    """
    labels = kind_labels()
    return "和".join("或".join(labels.get(k, k) for k in group) for group in indicator_sources(indicator))


def missing_text(indicator: str) -> str:
    """The 数据缺失 detail naming the table kinds that would supply ``indicator``."""
    return f"{MISSING}：需要{needed_text(indicator)}"
