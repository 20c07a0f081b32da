"""What a report section cannot compute, and why: the :class:`Missing` result.

Real counties send partial data. An analysis that cannot be computed for a county (no
roster, no enrolment by grade, no classes, no school table, zero students, no 城区 *and*
乡村 schools to compare) returns a :class:`Missing` instead of raising. Its
:meth:`~Missing.sentence` says in one Chinese sentence what is missing and which table
kind would supply it; :func:`analysis.presentation.display` renders it in notebooks and reports.

A :class:`Missing` is a *null object*: a notebook may chain frame operations on it
(``m.query(...)``, ``m.loc[...]``, ``m.places``, ``m["x"].map(f)``) and gets the same
:class:`Missing` back, so thin notebook code runs unchanged whether the section could be
computed or not. It is empty (``len(m) == 0``, ``m.empty``) and false.

The inputs it can name, with their Chinese descriptions and the table kind supplying them,
are data: ``missing_inputs`` in ``analysis/data/report.yaml``.

Examples
--------
>>> m = missing("计算教师年龄结构", "core_teachers")
>>> m.sentence()
'缺少专任教师名册（专任教师表），无法计算教师年龄结构。'
>>> m.query("section_group == 'compulsory'").loc[:, "share_pct"] is m
True
>>> missing("进行城乡比较", reason="该县（区）只有城区学校").sentence()
'该县（区）只有城区学校，无法进行城乡比较。'
>>> m.because("计算教师学历结构").sentence()
'缺少专任教师名册（专任教师表），无法计算教师学历结构。'
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from analysis.config import data_path, load_yaml

REPORT_PARAMS = data_path("report.yaml")

__all__ = ["Missing", "first_missing", "is_missing", "missing", "missing_inputs", "needs_rows", "passes_missing", "report_params"]


@functools.cache
def _load(path: str) -> dict[str, Any]:
    return load_yaml(path)


def report_params() -> dict[str, Any]:
    """The report layout parameters (``analysis/data/report.yaml``)."""
    return _load(str(REPORT_PARAMS))


def missing_inputs() -> dict[str, dict[str, str]]:
    """``{input: {what, kind, supplied_by}}``: the inputs a section can lack."""
    return report_params()["missing_inputs"]


@dataclass(frozen=True, eq=True)
class Missing:
    """A report section that cannot be computed.

    Attributes
    ----------
    purpose : str
        What cannot be done, as the object of 无法…, e.g. ``计算教师年龄结构``.
    inputs : tuple of str
        Missing inputs (keys of ``missing_inputs`` in ``report.yaml``: core tables and a
        few derived inputs such as ``teacher_counts``).
    reason : str or None
        A fact stated instead of (or before) the missing inputs, e.g.
        ``该县（区）各校在校生数为0``.
    """

    purpose: str
    inputs: tuple[str, ...] = ()
    reason: str | None = None

    def __post_init__(self) -> None:
        known = missing_inputs()
        bad = [i for i in self.inputs if i not in known]
        if bad:
            raise ValueError(f"unknown missing inputs {bad}; choose from: {', '.join(known)}")
        if not self.inputs and not self.reason:
            raise ValueError("a Missing needs missing inputs or a reason")

    def sentence(self) -> str:
        """One Chinese sentence: what is missing, which table kind supplies it, what cannot be done."""
        parts = []
        if self.reason:
            parts.append(self.reason)
        if self.inputs:
            known = missing_inputs()
            seen: list[str] = []
            for i in self.inputs:
                text = f"{known[i]['what']}（{known[i]['supplied_by']}）"
                if text not in seen:
                    seen.append(text)
            parts.append("缺少" + "和".join(seen))
        return "，".join(parts) + f"，无法{self.purpose}。"

    def because(self, purpose: str) -> Missing:
        """The same missing inputs, stopping another section (``purpose``)."""
        return replace(self, purpose=purpose)

    # -- a null object: frame operations give the Missing back --------------------------
    empty = True

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return False

    def __iter__(self):
        return iter(())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Missing:
        return self

    def __getitem__(self, key: Any) -> Missing:
        return self

    def __str__(self) -> str:
        return self.sentence()

    def _repr_markdown_(self) -> str:
        return self.sentence()


def missing(purpose: str, *inputs: str, reason: str | None = None) -> Missing:
    """A :class:`Missing` for ``purpose``, naming missing ``inputs`` and/or a ``reason``."""
    return Missing(purpose, tuple(inputs), reason)


def is_missing(obj: Any) -> bool:
    """True for a :class:`Missing` result.

    >>> is_missing(missing("预测学位需求", "core_enrolment")), is_missing(None)
    (True, False)
    """
    return isinstance(obj, Missing)


def first_missing(*objs: Any) -> Missing | None:
    """The first :class:`Missing` among ``objs`` (None if there is none)."""
    return next((o for o in objs if isinstance(o, Missing)), None)


def passes_missing(purpose: str | None = None) -> Callable:
    """Decorator: a function given a :class:`Missing` as first argument returns it.

    With ``purpose`` the returned Missing names this function's purpose instead (each
    report section then says what *it* cannot do).

    >>> @passes_missing("计算教师学历结构")
    ... def degrees(prepared):
    ...     return prepared
    >>> degrees(missing("计算教师年龄结构", "core_teachers")).sentence()
    '缺少专任教师名册（专任教师表），无法计算教师学历结构。'
    """

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inner(first: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(first, Missing):
                return first.because(purpose) if purpose else first
            return fn(first, *args, **kwargs)

        return inner

    return wrap


def needs_rows(purpose: str, *inputs: str) -> Callable:
    """Decorator: a function given a :class:`Missing` or an empty frame as first argument
    returns a :class:`Missing` for ``purpose`` (naming ``inputs`` when the frame is empty).

    >>> import pandas as pd
    >>> @needs_rows("计算教师年龄结构", "core_teachers")
    ... def bands(prepared):
    ...     return len(prepared)
    >>> bands(pd.DataFrame({"age": []})).sentence()
    '缺少专任教师名册（专任教师表），无法计算教师年龄结构。'
    >>> bands(pd.DataFrame({"age": [30]}))
    1
    """

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inner(first: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(first, Missing):
                return first.because(purpose)
            if first is None or len(first) == 0:
                return Missing(purpose, tuple(inputs))
            return fn(first, *args, **kwargs)

        return inner

    return wrap
