"""The rectification plan (整改方案): costed actions from the shortfalls, the analyst's edits,
and the least-cost way to pass the resource part.

* :func:`build_plan` — out_plan: every failing item as actions with quantity, unit, reference
  unit cost (参考值), cost in 万元, target year and responsible offices.
* :func:`optimise` — the cheapest set of resource actions that makes the county pass (MILP,
  HiGHS), checked by re-running the engine.
"""

from analysis.plan.actions import apply_edits, build_plan, price  # noqa: F401
