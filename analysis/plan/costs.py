"""Reference unit costs and default offices / target years of the rectification plan.

Both live in data: ``analysis/data/plan_costs.yaml`` (unit costs, marked 参考值, each with its
source; which action closes which shortfall) and ``analysis/data/plan_offices.yaml`` (the
平顺 plan's indicator → responsible offices and target year).

Examples
--------
>>> spec = action_spec("build_sports_ground")
>>> spec.unit, spec.unit_cost_yuan
('m2', 200.0)
>>> offices_for("L1")
'县委编办、县人社局、县教育局'
>>> default_target_year("L6", base_year=2024)
2026
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from analysis.config import data_path, load_yaml
from analysis.dictionary import value_labels
from analysis.indicator_catalog import codes

COSTS_PATH = data_path("plan_costs.yaml")
OFFICES_PATH = data_path("plan_offices.yaml")
#: separator of the offices in one cell (as the 平顺 table writes them)
OFFICE_SEPARATOR = "、"


@dataclass(frozen=True)
class ActionSpec:
    """One kind of rectification action and its reference unit cost."""

    code: str
    label: str
    unit: str | None
    unit_cost_yuan: float | None
    integer: bool
    step: float
    source: str


@functools.cache
def _costs() -> dict[str, Any]:
    raw = load_yaml(COSTS_PATH)
    allowed = set(value_labels("action"))
    bad = set(raw["actions"]) - allowed
    if bad:
        raise ValueError(f"{COSTS_PATH.name}: unknown actions {sorted(bad)}; allowed (columns_plan.yaml): {sorted(allowed)}")
    units = set(value_labels("quantity_unit"))
    for code, a in raw["actions"].items():
        if a.get("unit") is not None and a["unit"] not in units:
            raise ValueError(f"{COSTS_PATH.name}: action {code!r} has unit {a['unit']!r}; allowed: {sorted(units)}")
    for ind, measures in raw.get("shortfall_actions", {}).items():
        for m, code in measures.items():
            if code not in raw["actions"]:
                raise ValueError(f"{COSTS_PATH.name}: shortfall_actions.{ind}.{m} names unknown action {code!r}")
    mix = raw.get("l3_mix", {})
    if abs(sum(mix.values()) - 1.0) > 1e-9 or set(mix) - set(value_labels("hire_group")):
        raise ValueError(f"{COSTS_PATH.name}: l3_mix must give shares of {sorted(value_labels('hire_group'))} adding up to 1")
    return raw


def action_specs() -> dict[str, ActionSpec]:
    """Every action of plan_costs.yaml by code."""
    return {code: action_spec(code) for code in _costs()["actions"]}


@functools.cache
def action_spec(code: str) -> ActionSpec:
    """One action; unknown codes raise KeyError listing the known ones."""
    actions = _costs()["actions"]
    if code not in actions:
        raise KeyError(f"unknown action {code!r}; known: {', '.join(actions)}")
    a = actions[code]
    cost = a.get("unit_cost_yuan")
    return ActionSpec(code=code, label=str(a["label"]), unit=a.get("unit"),
                      unit_cost_yuan=None if cost is None else float(cost), integer=bool(a.get("integer", False)),
                      step=float(a.get("step", 1)), source=" ".join(str(a.get("source", "")).split()))


def action_for(indicator: str, measure: str) -> str:
    """The action that closes a shortfall of ``indicator`` / ``measure`` (``rectify`` when none is listed).

    >>> action_for("G3", "art_rooms"), action_for("G9", "training"), action_for("Q4", "x")
    ('add_art_rooms', 'rectify', 'add_funds')
    """
    m = _costs().get("shortfall_actions", {}).get(indicator) or {}
    return str(m.get(measure) or m.get("*") or "rectify")


def l3_mix() -> dict[str, float]:
    """Shares of PE, music and fine-art teachers among the L3 hires."""
    return {k: float(v) for k, v in _costs()["l3_mix"].items()}


def new_hires_meet_degree() -> bool:
    """Whether a teacher hired for L3 also counts for L1 (hired with the required degree)."""
    return bool(_costs().get("new_hires_meet_degree", True))


def reference_label() -> str:
    return str(_costs().get("reference_label", "参考值"))


@functools.cache
def _offices() -> dict[str, Any]:
    raw = load_yaml(OFFICES_PATH)
    bad = set(raw["indicators"]) - set(codes())
    if bad:
        raise ValueError(f"{OFFICES_PATH.name}: unknown indicators {sorted(bad)}")
    return raw


def offices_for(indicator: str) -> str:
    """Default responsible offices of an indicator, joined by 、 (the 平顺 plan's)."""
    raw = _offices()
    entry = raw["indicators"].get(indicator) or raw["default"]
    return OFFICE_SEPARATOR.join(entry["offices"])


def default_target_year(indicator: str, base_year: int) -> int:
    """Default target year: ``base_year`` + (the 平顺 plan's year − the year it was written)."""
    raw = _offices()
    entry = raw["indicators"].get(indicator) or raw["default"]
    return int(base_year) + int(entry["target_year"]) - int(raw["plan_year"])


def offices_source() -> str:
    return str(_offices()["source"])
