"""Which raw table kinds supply each indicator (the ``inputs`` of ``analysis/data/indicators.yaml``).

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

from analysis.clean.header import load_synonyms
from analysis.indicator_catalog import MISSING, indicator, on_reload, school_kinds


@functools.cache
def kind_labels() -> dict[str, str]:
    """Chinese label of every raw table kind (synonyms.yaml).

    >>> kind_labels()["cohort_flows"]
    '学生变动'
    """
    return {name: spec.label for name, spec in load_synonyms().kinds.items()}


@on_reload
@functools.cache
def _sources(code: str) -> tuple[tuple[str, ...], ...]:
    return indicator(code).inputs


def indicator_sources(code: str) -> list[list[str]]:
    """The inputs of an indicator (its ``inputs`` in indicators.yaml), each a list of
    alternative kinds.

    >>> indicator_sources("L1")
    [['schools'], ['teachers', 'teacher_counts']]
    """
    return [list(group) for group in _sources(code)]


def needs_school_table(code: str) -> bool:
    """True when an indicator cannot be decided without the school table (some input of it
    has only school-level kinds as alternatives)."""
    kinds = school_kinds()
    return any(set(group) <= kinds for group in indicator_sources(code))


def needed_text(code: str) -> str:
    """What supplies an indicator, in Chinese ("学校基本情况和专任教师名册或分校教师汇总").

    >>> needed_text("L1")
    '学校基本情况和专任教师名册或分校教师汇总'
    """
    labels = kind_labels()
    return "和".join("或".join(labels.get(k, k) for k in group) for group in indicator_sources(code))


def missing_text(code: str) -> str:
    """The 数据缺失 detail naming the table kinds that would supply an indicator."""
    return f"{MISSING}：需要{needed_text(code)}"
