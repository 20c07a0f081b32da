"""The registry of computing functions: what computes each indicator, in the method's order.

An indicator is declared in ``analysis/data/indicators.yaml`` (:mod:`analysis.indicator_catalog`)
and computed by a function registered under its key::

    @register("G14")
    def g14_quota(keys, figures, std): ...

The function's parameters say which of the engine's tables it reads: ``keys`` (the evaluated
``(year, county)`` pairs) first, then any of :data:`TABLE_OF_PARAMETER` (``schools``,
``teachers``, ``classes``, ``figures`` …), ``std`` (the :class:`~analysis.standards.Standards`),
and keyword-only options with defaults (e.g. the survey's ``no_overall_min_share_pct``). It
returns a :class:`~analysis.indicators.parts.PartFrames` or the county rows alone.
:func:`evaluate_part` runs the indicators of a part in the order of indicators.yaml; an
attested indicator without a function is read from core_attestations. The resource part
(L1-L7) is computed as a whole from each indicator's ``numerator`` and ``scale``
(:mod:`analysis.indicators.resource`), not through this registry.

Examples
--------
>>> from analysis.indicators.evaluation import example_inputs, engine_tables
>>> keys = pd.DataFrame({"year": [2024], "county": ["示例县"]})
>>> tables = engine_tables(example_inputs(), [2024], None)
>>> rows = pd.concat(evaluate_part("veto", keys, tables, load_standards()).county)
>>> rows["indicator"].tolist()
['V1', 'V2', 'V3', 'V4', 'V5', 'V6']
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from analysis.indicator_catalog import codes, indicator
from analysis.indicators.parts import PartFrames, attested_rows
from analysis.standards import Standards, load_standards  # noqa: F401  (doctest)

#: The engine's tables a computing function may take, by parameter name.
TABLE_OF_PARAMETER: dict[str, str] = {
    "schools": "schools",  # core_schools of the evaluated counties
    "teachers": "teachers",  # core_teachers with their school's county, type and sector
    "classes": "core_classes",
    "figures": "core_county_figures",
    "attestations": "core_attestations",
    "flows": "core_cohort_flows",
    "monitoring": "core_quality_monitoring",
    "survey": "core_survey",
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def register(code: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the function that computes indicator ``code`` (a decorator).

    Raises KeyError for a key that indicators.yaml does not declare, and TypeError for a
    parameter that names no table (listing those allowed) or a key registered twice.

    >>> register("X1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "unknown indicator 'X1'; known: L1, L2, ...
    """
    indicator(code)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(fn).parameters.values())
        if not params or params[0].name != "keys":
            raise TypeError(f"{fn.__name__} (indicator {code}): the first parameter must be `keys`")
        for p in params[1:]:
            if p.name in TABLE_OF_PARAMETER or p.name == "std" or p.kind is p.KEYWORD_ONLY:
                continue
            raise TypeError(f"{fn.__name__} (indicator {code}): parameter {p.name!r} names no table; allowed: "
                            f"{', '.join(TABLE_OF_PARAMETER)}, std, or keyword-only options")
        known = _FUNCTIONS.get(code)
        if known is not None and known.__qualname__ != fn.__qualname__:
            raise TypeError(f"indicator {code} already has a function: {known.__module__}.{known.__qualname__}")
        _FUNCTIONS[code] = fn
        return fn

    return decorate


def unregister(code: str) -> None:
    """Forget the function of ``code`` (a test that registered a toy indicator cleans up)."""
    _FUNCTIONS.pop(code, None)


def function_of(code: str) -> Callable[..., Any] | None:
    """The function registered for ``code`` (None for attested items read as attested)."""
    return _FUNCTIONS.get(code)


def as_part_frames(result: PartFrames | pd.DataFrame) -> PartFrames:
    """A computing function's result as :class:`PartFrames` (county rows alone are wrapped)."""
    if isinstance(result, PartFrames):
        return result
    if isinstance(result, pd.DataFrame):
        return PartFrames(county=[result])
    raise TypeError(f"a computing function returns PartFrames or a DataFrame of county rows, not {type(result).__name__}")


def compute(code: str, keys: pd.DataFrame, tables: Mapping[str, pd.DataFrame | None], std: Standards,
            **options: Any) -> PartFrames:
    """Compute one indicator for the counties of ``keys`` from the engine's ``tables``.

    ``options`` go to the function's keyword-only parameters of the same name (others are
    ignored). An attested indicator without a function is read from core_attestations.
    """
    fn = _FUNCTIONS.get(code)
    if fn is None:
        if indicator(code).attested:
            return PartFrames(county=attested_rows(keys, tables.get("core_attestations"), [code]))
        raise LookupError(f"indicator {code} is computed but no function is registered for it; "
                          f"decorate its function with @register({code!r})")
    params = inspect.signature(fn).parameters
    kwargs: dict[str, Any] = {p: tables.get(TABLE_OF_PARAMETER[p]) for p in params if p in TABLE_OF_PARAMETER}
    kwargs.update({k: v for k, v in options.items() if k in params and params[k].kind is params[k].KEYWORD_ONLY})
    if "std" in params:
        kwargs["std"] = std
    return as_part_frames(fn(keys, **kwargs))


def evaluate_part(part: str, keys: pd.DataFrame, tables: Mapping[str, pd.DataFrame | None], std: Standards,
                  **options: Any) -> PartFrames:
    """Every indicator of ``part`` (guarantee, quality, recognition, veto) in the method's order."""
    if part == "resource":
        raise ValueError("the resource part is computed by analysis.indicators.resource.evaluate_resource")
    res = PartFrames()
    for code in codes(part):
        res.extend(compute(code, keys, tables, std, **options))
    return res
