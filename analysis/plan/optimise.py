"""The cheapest way to pass the resource part (资源配置): a mixed-integer programme (HiGHS).

For every counted school section of a county, the actions are: teachers to hire with the
required degree (for L1), PE or arts teachers to hire (L3, and L1 when new hires meet the
degree), backbone teachers to develop (L2, at most the section's teachers who are not
backbone teachers yet), m² of teaching rooms (L4) and sports ground (L5), 元 of equipment
(L6), multimedia rooms (L7). Binary ``y[s, j]`` says indicator j of section s reaches its
standard. The programme minimises the reference cost (参考值, plan_costs.yaml) subject to

* ``num + added ≥ standard × students / scale × y``  (indicator met when y = 1);
* ``num + added ≥ 0.85 × standard × students / scale``  (the remaining one ≥ 85 %);
* ``Σ_j y[s, j] ≥ 6``  (6 of 7);
* every difference coefficient within its limit: ``CV² ≤ c²`` is
  ``g(a) = Σ P_s X_s² / P − (1 + c²) X̄² ≤ 0``, a quadratic in the additions. It is handled by
  cutting planes: each round adds the linearisation of g at the current solution for every
  coefficient the engine still finds over its limit, and solves again, until the engine
  (:func:`analysis.indicators.resource.evaluate_resource`, then the engine's resource verdict,
  :func:`~analysis.indicators.evaluation.resource_part_status`, as in the full
  :func:`~analysis.indicators.evaluation.evaluate`) agrees that the county passes.

Limits (caps) bound an action per section, e.g. no land for a sports ground. Every
constraint has a heavily penalised slack, so an impossible county still gets a solution
whose positive slacks name the blocking school, section and indicator (or coefficient).

Examples
--------
示例二小 has 6.0 m² of sports ground per student against 7.5 (80 %) and meets the other six:
113 m² bring it to the 85 % the sixth-of-seven rule asks, far cheaper than 450 m² to the standard.

>>> from analysis.indicators.evaluation import example_inputs
>>> res = optimise(example_inputs(), "示例县", 2024)
>>> res.status, res.passes, res.actions[["action_school_name", "action", "quantity"]].values.tolist()
('optimal', True, [['示例二小', 'build_sports_ground', 113.0]])
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from analysis.dictionary import coerce, empty_frame, table_columns, value_label
from analysis.indicators.common import RESOURCE_KEYS, ceil_count, indicator_info, to_float
from analysis.indicators.evaluation import (
    evaluate,
    filter_rows,
    resource_part_status,
    sections_from,
)
from analysis.indicators.resource import evaluate_resource, numerators
from analysis.plan.actions import action_id, build_plan, roster_groups, split_hires
from analysis.plan.costs import action_spec, l3_mix, new_hires_meet_degree
from analysis.presentation.kinds import fmt
from analysis.standards import Standards, as_standards

#: the optimiser's actions: (code, plan action, section column it adds to, indicators it raises)
ACTIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("hire_degree", "hire_teachers", "above_degree_teachers", ("L1",)),
    ("hire_pe_art", "hire_teachers", "pe_art_teachers", ("L3",)),
    ("develop_backbone", "develop_backbone", "backbone_teachers", ("L2",)),
    ("build_teaching_rooms", "build_teaching_rooms", "teaching_area_m2", ("L4",)),
    ("build_sports_ground", "build_sports_ground", "sports_ground_area_m2", ("L5",)),
    ("buy_equipment", "buy_equipment", "equipment_value_yuan", ("L6",)),
    ("add_multimedia_rooms", "add_multimedia_rooms", "multimedia_rooms", ("L7",)),
)
CODES = tuple(a[0] for a in ACTIONS)
#: first tangent point of a coefficient constraint: today's mean moved this share of the way
#: towards the mean once every section reaches the standard
ANCHOR_LIFT = 0.0
#: penalty (万元) per unit of slack: far above any real plan
PENALTY = 1e7
OPTIMAL_COLUMNS = tuple(table_columns("out_plan_optimal"))


@dataclass
class OptimResult:
    """What :func:`optimise` found.

    Attributes
    ----------
    status : ``optimal`` (the county passes with ``actions``), ``infeasible`` (it cannot pass
        within the caps: see ``blocking``), ``undecided`` (missing data), ``already_passing``.
    passes : whether the engine, re-run on the data with the actions applied, passes the
        resource part (the engine's resource verdict, as the full evaluation gives it).
    actions : out_plan_optimal rows.
    cost_10k_yuan : total reference cost of ``actions`` (万元).
    baseline_cost_10k_yuan : cost of bringing every failing school section to every standard
        (the L1-L7 rows of the plan); ``baseline_passes`` whether that plan passes.
    blocking : school sections and indicators (or difference coefficients) that block passing.
    """

    year: int
    county: str
    status: str
    passes: bool | None
    actions: pd.DataFrame
    cost_10k_yuan: float
    baseline_cost_10k_yuan: float
    baseline_passes: bool | None
    blocking: pd.DataFrame
    iterations: int
    seconds: float
    cv_after: pd.DataFrame
    message: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def saving_10k_yuan(self) -> float:
        """Baseline cost minus the optimal cost (万元)."""
        return self.baseline_cost_10k_yuan - self.cost_10k_yuan

    def summary(self) -> pd.DataFrame:
        """A small Chinese table: the optimal cost, the baseline and what the difference means.

        When fixing every school to its standard would still not pass, there is no saving to
        speak of: the last row says what the cheapest passing plan costs more, and why.
        """
        verdict = {True: "达标", False: "未达标", None: "待定"}
        rows = [
            ("最低费用方案（参考值）", _num(self.cost_10k_yuan), float("nan"), f"复核：资源配置{verdict[self.passes]}"),
            ("逐校逐项补足到标准（参考值）", _num(self.baseline_cost_10k_yuan), float("nan"),
             f"复核：资源配置{verdict[self.baseline_passes]}"),
        ]
        if self.baseline_passes is False and self.passes:
            more = self.saving_10k_yuan < 0
            rows.append(("最低费用方案比逐校补足" + ("多需" if more else "少用"), _num(abs(self.saving_10k_yuan)),
                         float("nan"), "逐校逐项补足到标准后仍未达标（校际差异系数等仍超限），"
                         + ("需按最低费用方案增加投入" if more else "最低费用方案花费更少且使资源配置达标")))
        else:
            pct = (100.0 * self.saving_10k_yuan / self.baseline_cost_10k_yuan
                   if self.baseline_cost_10k_yuan > 0 else float("nan"))
            rows.append(("节约", _num(self.saving_10k_yuan), pct, "占逐校逐项补足费用的比例"))
        return _with_kinds(pd.DataFrame(rows, columns=["项目", "金额", "比例", "说明"]))


def optimum_sentence(cost: float, base_cost: float, base_passes: bool | None) -> str:
    """What the cheapest passing plan costs against fixing every school to its standard.

    When fixing every school would not pass, there is no saving to compare: the sentence says
    what the naive plan fails to reach and what the passing plan costs more (or less).

    >>> optimum_sentence(416.85, 77.6, False)
    '最低费用416.85万元（参考值）。逐校逐项补足到标准（77.60万元）后校际差异系数仍未全部达标，不能使资源配置达标；最低费用方案多需339.25万元，使资源配置达标'
    >>> optimum_sentence(5256.6, 8230.96, False)[-37:]
    '不能使资源配置达标；最低费用方案少用2,974.36万元，并使资源配置达标'
    >>> optimum_sentence(60.0, 77.6, True)
    '最低费用60.00万元（参考值），较逐校逐项补足到标准（77.60万元）节约17.60万元（22.7%）'
    """
    head = f"最低费用{fmt(cost, 'wan')}万元（参考值）"
    if base_passes is False:
        more = (f"多需{fmt(cost - base_cost, 'wan')}万元，使资源配置达标" if cost > base_cost
                else f"少用{fmt(base_cost - cost, 'wan')}万元，并使资源配置达标")
        return (f"{head}。逐校逐项补足到标准（{fmt(base_cost, 'wan')}万元）后校际差异系数仍未全部达标，"
                f"不能使资源配置达标；最低费用方案{more}")
    saving = base_cost - cost
    share = f"（{fmt(100.0 * saving / base_cost, 'share')}）" if base_cost > 0 else ""
    return f"{head}，较逐校逐项补足到标准（{fmt(base_cost, 'wan')}万元）节约{fmt(saving, 'wan')}万元{share}"


def _with_kinds(out: pd.DataFrame) -> pd.DataFrame:
    """``金额`` in 万元 and ``比例`` as a share, headed with their units."""
    renamed = out.rename(columns={"金额": "金额（万元）", "比例": "比例（%）"})
    renamed.attrs["kinds"] = {"金额（万元）": "wan", "比例（%）": "share"}
    return renamed


def _num(x: float) -> float:
    return round(float(x), 2) if x == x else float("nan")


def _unit_costs_10k() -> np.ndarray:
    return np.array([(action_spec(a[1]).unit_cost_yuan or 0.0) / 1e4 for a in ACTIONS])


def _effects() -> np.ndarray:
    """(actions × 7) numerator added per unit of each action."""
    e = np.zeros((len(ACTIONS), len(RESOURCE_KEYS)))
    idx = {k: j for j, k in enumerate(RESOURCE_KEYS)}
    for i, (_, _, _, inds) in enumerate(ACTIONS):
        for k in inds:
            e[i, idx[k]] = 1.0
    if new_hires_meet_degree():
        e[CODES.index("hire_pe_art"), idx["L1"]] = 1.0
    return e


def caps_frame(caps: Mapping[str, float] | pd.DataFrame | None) -> pd.DataFrame:
    """Caps as a frame (school_id or None for every school, section or None, action, max_quantity).

    ``caps`` is a ``{plan action: max per section}`` mapping (e.g. ``{"build_sports_ground": 0}``),
    or a frame with ``action`` and ``max_quantity`` and optionally ``school_id`` / ``section``
    (or the plan's ``action_school_id`` / ``action_section``).

    >>> caps_frame({"build_sports_ground": 0}).values.tolist()
    [[None, None, 'build_sports_ground', 0.0]]
    """
    cols = ["school_id", "section", "action", "max_quantity"]
    if caps is None:
        return pd.DataFrame(columns=cols)
    if isinstance(caps, Mapping):
        return pd.DataFrame([{"school_id": None, "section": None, "action": k, "max_quantity": float(v)}
                             for k, v in caps.items()], columns=cols)
    f = caps.rename(columns={"action_school_id": "school_id", "action_section": "section"})
    f = f.loc[pd.to_numeric(f["max_quantity"], errors="coerce").notna()]
    out = pd.DataFrame({c: (f[c].astype("object").where(f[c].notna(), None) if c in f else None) for c in cols[:3]})
    out["max_quantity"] = pd.to_numeric(f["max_quantity"]).astype(float).to_numpy()
    known = {a[1] for a in ACTIONS}
    bad = sorted(set(out["action"]) - known - {"rectify", "add_funds", "add_music_rooms", "add_art_rooms",
                                               "enlarge_special_rooms", "add_classrooms", "reduce_enrolment"})
    if bad:
        raise ValueError(f"unknown action in caps: {', '.join(map(str, bad))}; allowed: {', '.join(sorted(known))}")
    return out.groupby(["school_id", "section", "action"], dropna=False, sort=False)["max_quantity"].sum().reset_index()


def _cap_matrix(sec: pd.DataFrame, caps: pd.DataFrame) -> np.ndarray:
    """Per section and plan action: the upper bound (inf without a cap); hires share one cap."""
    n = len(sec)
    plan_actions = sorted({a[1] for a in ACTIONS})
    out = {a: np.full(n, np.inf) for a in plan_actions}
    sid = sec["school_id"].astype("object").to_numpy()
    ssec = sec["section"].astype("object").to_numpy()
    for r in caps.itertuples(index=False):
        if r.action not in out:
            continue
        mask = np.ones(n, dtype=bool)
        if isinstance(r.school_id, str):
            mask &= sid == r.school_id
        if isinstance(r.section, str):
            mask &= ssec == r.section
        out[r.action][mask] = np.minimum(out[r.action][mask], float(r.max_quantity))
    return out


@dataclass
class _Model:
    sec: pd.DataFrame
    num: np.ndarray       # (n × 7) numerators
    req: np.ndarray       # (n × 7) numerator needed for the standard
    students: np.ndarray
    levels: np.ndarray    # level of each section
    scale: np.ndarray
    caps: dict[str, np.ndarray]
    backbone_room: np.ndarray


def _build_model(sec: pd.DataFrame, std: Standards, caps: pd.DataFrame) -> _Model:
    students = to_float(sec["students"])
    num = numerators(sec)
    scale = np.array([float(indicator_info(k)["scale"]) for k in RESOURCE_KEYS])
    levels = sec["section"].astype("object").to_numpy()
    std_rows = np.array([[float(std.get(f"resource.standards.{k}.{lvl}")) for k in RESOURCE_KEYS] for lvl in levels]) \
        if len(sec) else np.zeros((0, len(RESOURCE_KEYS)))
    req = std_rows * students[:, None] / scale[None, :]
    teachers = to_float(sec["teachers"]) if "teachers" in sec else np.full(len(sec), np.nan)
    backbone = to_float(sec["backbone_teachers"]) if "backbone_teachers" in sec else np.zeros(len(sec))
    room = np.where(np.isnan(teachers), np.inf, np.maximum(teachers - np.nan_to_num(backbone), 0.0))
    return _Model(sec, num, req, students, levels, scale, _cap_matrix(sec, caps), room)


# variables per section: 7 actions, 7 y, 7 slack (standard), 7 slack (85 % floor)
_NA, _NK = len(ACTIONS), len(RESOURCE_KEYS)
_PER = _NA + 3 * _NK


def _solve(m: _Model, cvs: list[_CV], min_met: int, min_ratio: float, time_limit: float,
           elastic: bool = False, mip_gap: float = 1e-3) -> tuple[np.ndarray | None, str]:
    """Solve the programme; ``elastic`` adds the penalised slacks (to name what blocks an
    infeasible county). Returns (x, message); x is None when the programme is infeasible."""
    n = len(m.sec)
    n_cv = len(cvs)
    seg_start = n * _PER + n_cv
    nv = seg_start + sum(c.n_segments for c in cvs)
    cost = np.zeros(nv)
    integrality = np.zeros(nv)
    lb, ub = np.zeros(nv), np.full(nv, np.inf)
    unit = _unit_costs_10k()
    eff = _effects()
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    caps_by_code = {a[0]: m.caps[a[1]] for a in ACTIONS}
    for s in range(n):
        base = s * _PER
        for i, (code, plan_action, _, _) in enumerate(ACTIONS):
            # a PE/arts hire counts for L1 too: at equal cost the plain hire is preferred, so a
            # tie-break of 1 元 keeps the choice the one a planner would write
            cost[base + i] = unit[i] + (1e-4 if code == "hire_pe_art" else 0.0)
            integrality[base + i] = 1 if action_spec(plan_action).integer else 0
            if code not in ("hire_degree", "hire_pe_art"):
                ub[base + i] = caps_by_code[code][s]
        ub[base + CODES.index("develop_backbone")] = min(ub[base + CODES.index("develop_backbone")], m.backbone_room[s])
        hire_cap = caps_by_code["hire_degree"][s]
        if np.isfinite(hire_cap):  # one cap for every teacher hired at the section
            rows += [r, r]
            cols += [base + CODES.index("hire_degree"), base + CODES.index("hire_pe_art")]
            vals += [1.0, 1.0]
            lo.append(-np.inf)
            hi.append(hire_cap)
            r += 1
        for j in range(_NK):
            y, sa, sb = base + _NA + j, base + _NA + _NK + j, base + _NA + 2 * _NK + j
            integrality[y] = 1
            ub[y] = 1.0
            ub[sa] = ub[sb] = 1.0 if elastic else 0.0
            cost[sa] = cost[sb] = PENALTY if elastic else 0.0
            req = m.req[s, j]
            if not req > 0:
                continue
            acts = np.flatnonzero(eff[:, j])
            # (num + Σ e x) / req − y + σa ≥ −num / req
            rows += [r] * (len(acts) + 2)
            cols += [base + a for a in acts] + [y, sa]
            vals += [eff[a, j] / req for a in acts] + [-1.0, 1.0]
            lo.append(-m.num[s, j] / req)
            hi.append(np.inf)
            r += 1
            # floor: (num + Σ e x) / req + σb ≥ min_ratio
            rows += [r] * (len(acts) + 1)
            cols += [base + a for a in acts] + [sb]
            vals += [eff[a, j] / req for a in acts] + [1.0]
            lo.append(min_ratio - m.num[s, j] / req)
            hi.append(np.inf)
            r += 1
        rows += [r] * _NK
        cols += [base + _NA + j for j in range(_NK)]
        vals += [1.0] * _NK
        lo.append(float(min_met))
        hi.append(np.inf)
        r += 1
    pos = seg_start
    for k, cv in enumerate(cvs):
        acts = np.flatnonzero(eff[:, cv.j])
        lhs_cols, lhs_vals = [], []
        for i, s_idx in enumerate(cv.idx):
            widths, coefs = cv.widths[i], cv.coefs[i]
            # link: added numerator of indicator j at section s = sum of its segments
            rows += [r] * (len(acts) + len(widths))
            cols += [s_idx * _PER + a for a in acts] + list(range(pos, pos + len(widths)))
            vals += [float(eff[a, cv.j]) for a in acts] + [-1.0] * len(widths)
            lo.append(0.0)
            hi.append(0.0)
            r += 1
            for w, c in zip(widths, coefs, strict=True):
                ub[pos] = w
                lhs_cols.append(pos)
                lhs_vals.append(c)
                pos += 1
        rows += [r] * (len(lhs_cols) + 1)
        cols += lhs_cols + [n * _PER + k]
        vals += lhs_vals + [-1.0]
        lo.append(-np.inf)
        hi.append(cv.rhs)
        r += 1
    for k in range(n_cv):
        cost[n * _PER + k] = PENALTY if elastic else 0.0
        ub[n * _PER + k] = np.inf if elastic else 0.0
    a_mat = coo_matrix((vals, (rows, cols)), shape=(r, nv)).tocsr()
    res = milp(cost, integrality=integrality, bounds=Bounds(lb, ub),
               constraints=[LinearConstraint(a_mat, np.array(lo), np.array(hi))] if r else None,
               options={"time_limit": time_limit, "mip_rel_gap": mip_gap, "disp": False})
    if res.x is None and res.status != 2:  # 2: infeasible
        raise RuntimeError(f"the solver found no solution ({res.message})")
    return res.x, str(res.message)


def _rounded(m: _Model, x: np.ndarray) -> np.ndarray:
    """Action quantities (n × actions) rounded: integers to whole units, m² and 元 up to their step."""
    n = len(m.sec)
    acts = x[: n * _PER].reshape(n, _PER)[:, :_NA].copy()
    for i, (_, plan_action, _, _) in enumerate(ACTIONS):
        spec = action_spec(plan_action)
        if spec.integer:
            acts[:, i] = np.round(acts[:, i])
        else:
            step = spec.step or 1.0
            acts[:, i] = np.maximum(ceil_count(np.maximum(acts[:, i] - 1e-7 * np.maximum(1, acts[:, i]), 0) / step) * step, 0)
    return np.maximum(acts, 0.0)


def apply_actions(sections: pd.DataFrame, quantities: pd.DataFrame) -> pd.DataFrame:
    """core_school_sections with the actions done: the numerator columns raised.

    ``quantities``: one row per section (``school_id``, ``section``) and optimiser action code
    (columns of :data:`CODES`). Hired teachers also count in ``teachers``.

    >>> secs = pd.DataFrame({"year": [2024], "school_id": ["1000000001"], "section": ["primary"],
    ...     "sports_ground_area_m2": [800.0], "teachers": [20], "above_degree_teachers": [18], "pe_art_teachers": [2]})
    >>> q = pd.DataFrame({"school_id": ["1000000001"], "section": ["primary"], "build_sports_ground": [150.0],
    ...     "hire_pe_art": [1.0]})
    >>> apply_actions(secs, q)[["sports_ground_area_m2", "teachers", "above_degree_teachers", "pe_art_teachers"]].values.tolist()
    [[950.0, 21.0, 19.0, 3.0]]
    """
    out = sections.copy()
    key = pd.MultiIndex.from_arrays([out["school_id"].astype("object"), out["section"].astype("object")])
    q = quantities.set_index(["school_id", "section"]).reindex(key).fillna(0.0)
    degree = new_hires_meet_degree()
    for code, _, col, _ in ACTIONS:
        if code not in q:
            continue
        add = q[code].to_numpy(dtype=float)
        if not add.any():
            continue
        base = to_float(out[col]) if col in out else np.zeros(len(out))
        # a missing figure stays missing unless something is added to it
        out[col] = np.where(np.isnan(base) & (add > 0), add, base + add)
        if code in ("hire_degree", "hire_pe_art"):
            t = to_float(out["teachers"]) if "teachers" in out else np.full(len(out), np.nan)
            out["teachers"] = t + add
            if code == "hire_pe_art" and degree:
                out["above_degree_teachers"] = to_float(out["above_degree_teachers"]) + add
    return out


def _resource_passes(sections: pd.DataFrame, std: Standards) -> tuple[bool | None, pd.DataFrame, pd.DataFrame]:
    res = evaluate_resource(sections, std, contributions="none")
    counted = res.schools.loc[res.schools["is_counted"].astype(bool)]
    ok = counted["is_passing"].astype("boolean")
    cv_ok = res.cv["is_met"].astype("boolean")
    if (ok.fillna(True) == False).any() or (cv_ok.fillna(True) == False).any():  # noqa: E712
        return False, res.schools, res.cv
    if ok.isna().any() or cv_ok.isna().any():
        return None, res.schools, res.cv
    return True, res.schools, res.cv


@dataclass
class _CV:
    """One difference-coefficient constraint ``CV ≤ limit`` of a level and indicator, made
    linear and conservative (whatever satisfies it passes):

    ``Σ P X² / P`` is separable and convex in each section's addition: it is replaced by its
    piecewise-linear interpolation (segments of 1 unit for whole teachers and rooms, so exact at
    every whole number; otherwise 8 segments), which lies above it; ``X̄²`` is replaced by its
    tangent at ``anchor`` (``X̄² ≥ 2·anchor·X̄ − anchor²``), which lies below it. The anchor is
    moved to the solution's mean between rounds, which makes the constraint tighter to the truth.
    """

    level: str
    j: int
    limit: float
    anchor: float
    idx: np.ndarray
    widths: list[np.ndarray]
    coefs: list[np.ndarray]
    rhs: float

    @property
    def n_segments(self) -> int:
        return int(sum(len(w) for w in self.widths))


_INTEGER_INDICATORS = {"L1", "L2", "L3", "L7"}


def _cv_constraint(m: _Model, level: str, j: int, limit: float, anchor: float | None = None) -> _CV:
    idx = np.flatnonzero((m.levels == level) & ~np.isnan(m.num[:, j]) & (m.students > 0))
    p = m.students[idx]
    n = m.num[idx, j]
    s = m.scale[j]
    total = p.sum()
    mean0 = s * n.sum() / total
    std_level = np.nanmax(m.req[idx, j] * s / p) if len(idx) else 1.0
    if anchor is None or not anchor > 0:
        # first tangent point: today's mean, or (ANCHOR_LIFT > 0) part of the way to the mean
        # once every section reaches the standard
        lifted = np.maximum(n, m.req[idx, j])
        anchor = mean0 + ANCHOR_LIFT * (s * lifted.sum() / total - mean0)
    a = anchor if anchor > 0 else (mean0 if mean0 > 0 else std_level)
    integer = RESOURCE_KEYS[j] in _INTEGER_INDICATORS
    c2 = 1.0 + limit ** 2
    widths, coefs = [], []
    const = 0.0
    for i in range(len(idx)):
        # largest useful addition: the standard, or 2.5 times the (anchor) mean, whichever is more
        top = max(m.req[idx[i], j], 2.5 * a * p[i] / s) - n[i]
        top = max(top, 0.0)
        if integer:
            top = math.ceil(top - 1e-9)
            k = max(1, min(int(top), 20))
            w = np.full(k, math.ceil(top / k) if top > 0 else 0.0)
        else:
            w = np.full(8, top / 8.0)
        b = np.concatenate([[0.0], np.cumsum(w)])
        t = s * s * (n[i] + b) ** 2 / p[i]
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where(w > 0, np.diff(t) / np.where(w > 0, w, 1.0), 0.0)
        const += t[0]
        widths.append(w)
        # segment coefficient: its slope of Σ P X², minus the tangent of (1 + c²) X̄², over P·anchor²
        coefs.append(slope / (total * a * a) - 2.0 * c2 * s / (total * a))
    rhs = -const / (total * a * a) + c2 * (2.0 * s * n.sum() / (total * a) - 1.0)
    return _CV(level, j, limit, a, idx, widths, coefs, float(rhs))


def optimise(
    inputs: Mapping[str, pd.DataFrame],
    county: str,
    year: int,
    standards: Standards | str | None = None,
    *,
    caps: Mapping[str, float] | pd.DataFrame | None = None,
    max_iterations: int = 30,
    time_limit: float = 20.0,
    refine_rounds: int = 1,
    raise_tries: int = 0,
    refine_seconds: float = 15.0,
    baseline: pd.DataFrame | None = None,
) -> OptimResult:
    """The least-cost set of resource actions that makes ``county`` pass the resource part.

    Parameters
    ----------
    inputs : the core tables (as for :func:`~analysis.indicators.evaluation.evaluate`).
    county, year : the county and statistics year.
    standards : the standards (default national).
    caps : limits per action (see :func:`caps_frame`): ``{"build_sports_ground": 0}`` for no
        land anywhere, or a frame per school (the plan's ``max_quantity`` column).
    max_iterations : rounds of difference-coefficient cuts before giving up.
    time_limit : seconds the solver may take per round (it then keeps the best solution found;
        the relative optimality gap asked for is 0.1 %).
    refine_rounds, refine_seconds : once a solution passes, how many more rounds may move the
        tangent points to its means (each makes the coefficient constraints less cautious and
        the cost lower), and not after this many seconds; the cheapest passing solution is kept.
    baseline : the plan (out_plan) whose L1-L7 rows are the "every failing school to the
        standard" comparison (default: :func:`~analysis.plan.actions.build_plan`).

    Returns
    -------
    OptimResult
    """

    started = time.perf_counter()
    std = as_standards(standards)
    all_sections = sections_from(inputs)
    if all_sections is None:
        raise ValueError("optimise needs core_school_sections or core_schools in its inputs")
    levels = list(std.get("resource.cv_max"))
    sections = filter_rows(all_sections, [int(year)], [county])
    if sections is None or not len(sections):
        raise ValueError(f"no school sections of {county} in {year}")
    sections = sections.reset_index(drop=True)
    cap_rows = caps_frame(caps)
    passes0, schools0, cv0 = _resource_passes(sections, std)

    sec = _counted_sections(sections, schools0, levels)
    m = _build_model(sec, std, cap_rows)
    missing = np.isnan(m.num).any(axis=1)
    min_met = int(std.get("resource.school_rule.min_indicators_met"))
    min_ratio = float(std.get("resource.school_rule.min_ratio_others"))
    limits = {lvl: float(std.get(f"resource.cv_max.{lvl}")) for lvl in levels}

    base_cost, base_pass = _baseline(inputs, county, year, std, sections, baseline)
    if missing.any():
        return _undecided(sec.loc[missing], county, year, base_cost, base_pass, time.perf_counter() - started, cv0)
    if passes0:
        return OptimResult(int(year), county, "already_passing", True, empty_frame("out_plan_optimal"), 0.0, base_cost,
                           base_pass, _no_blocking(), 0, time.perf_counter() - started, cv0, "资源配置已达标，无需整改")

    cvs: dict[tuple[str, int], _CV] = {}
    shrink: dict[tuple[str, int], float] = {}

    _watch(m, cvs, limits, cv0, 0.9)
    best: tuple[pd.DataFrame, float, pd.DataFrame] | None = None
    n_passing = 0
    iterations = 0
    passes: bool | None = False
    quantities = None
    cv_after = cv0
    blocking = _no_blocking()
    while iterations < max_iterations:
        iterations += 1
        x, blocking, again = _solve_round(m, cvs, shrink, limits, (min_met, min_ratio, time_limit), raise_tries,
                                          may_move=iterations < max_iterations)
        if again:
            continue
        q = _rounded(m, x)
        quantities = pd.DataFrame(q, columns=list(CODES))
        quantities.insert(0, "section", sec["section"].astype("object").to_numpy())
        quantities.insert(0, "school_id", sec["school_id"].astype("object").to_numpy())
        after = apply_actions(sections, quantities)
        passes, _, cv_after = _resource_passes(after, std)
        if len(blocking):
            return OptimResult(int(year), county, "infeasible", passes, _optimal_rows(quantities, sec, inputs, year, county),
                               _cost(q), base_cost, base_pass, blocking, iterations, time.perf_counter() - started,
                               cv_after, _blocking_text(blocking))
        new = _watch(m, cvs, limits, cv_after, 1.0)
        moved = _move_tangents(m, cvs, shrink, limits, q @ _effects(), 1e-6, cv_after)
        if passes:
            cost = _cost(q)
            if best is None or cost < best[1] - 1e-9:
                best = (quantities, cost, cv_after)
            n_passing += 1
            # refine (tangent points at the solution's means) once, and only within the budget
            if not moved or n_passing >= refine_rounds + 1 or time.perf_counter() - started > refine_seconds:
                break
        elif not new and not moved:
            break
    if best is not None:
        quantities, _, cv_after = best
        passes = True
    actions = _optimal_rows(quantities, sec, inputs, year, county)
    if passes:
        passes = _engine_agrees(inputs, all_sections, quantities, county, year, std)
    status = "optimal" if passes else "not_converged"
    cost = _cost(quantities[list(CODES)].to_numpy())
    msg = (optimum_sentence(cost, base_cost, base_pass)
           if passes else f"经{iterations}轮求解，差异系数仍未全部达标")
    return OptimResult(int(year), county, status, passes, actions, cost, base_cost,
                       base_pass, _no_blocking(), iterations, time.perf_counter() - started, cv_after, msg)


def _watch(m: _Model, cvs: dict, limits: Mapping[str, float], cv: pd.DataFrame, near: float) -> int:
    """Constrain the coefficients over ``near`` × their limit (or undefined), adding them to
    ``cvs``: returns how many are new."""
    k = 0
    for r in cv.itertuples(index=False):
        lvl, j = str(r.section), RESOURCE_KEYS.index(r.indicator)
        if lvl not in limits or (lvl, j) in cvs:
            continue
        if r.cv == r.cv and r.cv <= near * limits[lvl]:
            continue
        cvs[(lvl, j)] = _cv_constraint(m, lvl, j, limits[lvl])
        k += 1
    return k


def _solve_round(m: _Model, cvs: dict, shrink: dict, limits: Mapping[str, float], rule: tuple[int, float, float],
                 raise_tries: int, *, may_move: bool) -> tuple[np.ndarray, pd.DataFrame, bool]:
    """One round of the solver under the coefficient constraints ``cvs``; ``rule`` is
    (min_indicators_met, min_ratio_others, time_limit).

    When infeasible: tries the tangent points higher (``raise_tries`` times), then solves the
    elastic programme that names what blocks. Returns the solution, what blocks (empty when
    feasible) and whether only coefficients block and their tangent points moved (solve again).
    """
    min_met, min_ratio, time_limit = rule
    order = list(cvs)
    x, _ = _solve(m, [cvs[k] for k in order], min_met, min_ratio, time_limit)
    raised = 0
    while x is None and cvs and raised < raise_tries:
        # the tangent points may lie far below the means the additions reach (the tangent
        # is then very cautious): try them higher before asking what blocks
        raised += 1
        for key, c in list(cvs.items()):
            cvs[key] = _cv_constraint(m, key[0], key[1], limits[key[0]] * shrink.get(key, 1.0), c.anchor * 1.2)
        x, _ = _solve(m, [cvs[k] for k in order], min_met, min_ratio, time_limit)
    if x is not None:
        return x, _no_blocking(), False
    # infeasible: the elastic programme says what blocks
    x, _ = _solve(m, [cvs[k] for k in order], min_met, min_ratio, time_limit, elastic=True)
    blocking = _blocking(m, x, order)
    # only coefficients block: their linearisation may be too cautious far from its tangent
    # point; move the tangent points to the elastic solution and solve again
    again = bool(len(blocking) and blocking["school_id"].isna().all() and may_move
                 and _move_tangents(m, cvs, shrink, limits, _rounded(m, x) @ _effects(), 1e-3))
    return x, blocking, again


def _undecided(missing: pd.DataFrame, county: str, year: int, base_cost: float, base_pass: bool | None,
               seconds: float, cv: pd.DataFrame) -> OptimResult:
    """The result when school sections lack data: nothing can be decided until they are filled."""
    names = missing["school_name"].astype(str).tolist()
    blocking = pd.DataFrame({"school_id": missing["school_id"], "school_name": names, "section": missing["section"],
                             "indicator": None, "reason": "数据缺失，无法判断能否达标"})
    return OptimResult(int(year), county, "undecided", None, empty_frame("out_plan_optimal"), 0.0, base_cost, base_pass,
                       blocking.reset_index(drop=True), 0, seconds, cv,
                       f"{len(names)}个学段数据缺失（{'、'.join(names[:5])}），补齐数据后才能求解")


def _counted_sections(sections: pd.DataFrame, schools: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """The school sections counted for the resource part, of the levels with CV limits."""
    counted = schools.loc[schools["is_counted"].astype(bool), ["school_id", "section"]]
    key = pd.MultiIndex.from_frame(counted.astype("object"))
    sk = pd.MultiIndex.from_arrays([sections["school_id"].astype("object"), sections["section"].astype("object")])
    return sections.loc[np.asarray(sk.isin(key)) & sections["section"].isin(levels).to_numpy()].reset_index(drop=True)


def _move_tangents(m: _Model, cvs: dict, shrink: dict, limits: Mapping[str, float], added: np.ndarray,
                   tolerance: float, cv_after: pd.DataFrame | None = None) -> int:
    """Move each coefficient constraint's tangent point to the mean the additions reach
    (tighter to the true coefficient); with ``cv_after``, a coefficient that rounding pushed
    over its limit also aims a little lower. Changes ``cvs`` and ``shrink``; returns how many moved."""
    moved = 0
    for key, c in list(cvs.items()):
        lvl, j = key
        failing = False
        if cv_after is not None:
            row = cv_after.loc[(cv_after["section"] == lvl) & (cv_after["indicator"] == RESOURCE_KEYS[j])]
            failing = bool(len(row)) and not bool(row["is_met"].fillna(False).iloc[0])
            if failing:  # rounding pushed it over: aim a little lower
                shrink[key] = shrink.get(key, 1.0) * 0.995
        mean = m.scale[j] * (m.num[c.idx, j] + added[c.idx, j]).sum() / m.students[c.idx].sum()
        if failing or abs(mean - c.anchor) > tolerance * max(mean, 1e-9):
            cvs[key] = _cv_constraint(m, lvl, j, limits[lvl] * shrink.get(key, 1.0), mean)
            moved += 1
    return moved


def _engine_agrees(inputs: Mapping[str, pd.DataFrame], all_sections: pd.DataFrame, quantities: pd.DataFrame,
                   county: str, year: int, std: Standards) -> bool:
    """Whether the engine, re-run on the sections with the actions done, passes the resource part
    (its resource verdict alone: :func:`~analysis.indicators.evaluation.resource_part_status`)."""
    new_inputs = dict(inputs)
    mine = ((all_sections["year"].astype("int64") == int(year)).to_numpy()
            & (all_sections["county"].astype("object") == county).to_numpy())
    done = apply_actions(all_sections.loc[mine], quantities)
    new_inputs["core_school_sections"] = pd.concat([all_sections.loc[~mine], done], ignore_index=True)
    status = resource_part_status(new_inputs, year=int(year), counties=county, standards=std)["status"]
    return bool(len(status)) and bool((status == "met").all())


def _cost(q: np.ndarray) -> float:
    return float((np.asarray(q) * _unit_costs_10k()[None, :]).sum()) if len(q) else 0.0


def _no_blocking() -> pd.DataFrame:
    return pd.DataFrame(columns=["school_id", "school_name", "section", "indicator", "reason"])


def _blocking(m: _Model, x: np.ndarray, order: list[tuple[str, int]]) -> pd.DataFrame:
    n = len(m.sec)
    per = x[: n * _PER].reshape(n, _PER) if n else np.zeros((0, _PER))
    sa = per[:, _NA + _NK: _NA + 2 * _NK]
    sb = per[:, _NA + 2 * _NK:]
    rows = []
    for s, j in zip(*np.nonzero((sa > 1e-6) | (sb > 1e-6)), strict=True):
        k = RESOURCE_KEYS[j]
        why = "在可实施上限内达不到标准的85%" if sb[s, j] > 1e-6 else "在可实施上限内无法达到标准（已有另一项未达标）"
        rows.append({"school_id": m.sec["school_id"].iloc[s], "school_name": m.sec["school_name"].iloc[s],
                     "section": m.sec["section"].iloc[s], "indicator": k,
                     "reason": f"{k} {indicator_info(k)['short']}{why}"})
    tail = x[n * _PER:]
    for k, (lvl, j) in enumerate(order):
        if tail[k] > 1e-6:
            key = RESOURCE_KEYS[j]
            rows.append({"school_id": None, "school_name": None, "section": lvl, "indicator": key,
                         "reason": f"{value_label('section', lvl)}{key} {indicator_info(key)['short']}的校际差异系数在可实施上限内无法降到限值以内"})
    return pd.DataFrame(rows, columns=["school_id", "school_name", "section", "indicator", "reason"])


def _blocking_text(blocking: pd.DataFrame) -> str:
    inds = sorted(set(blocking["indicator"].dropna()), key=RESOURCE_KEYS.index)
    head = "在给定的可实施上限内无法使资源配置达标，受阻指标：" + "、".join(f"{k} {indicator_info(k)['short']}" for k in inds)
    return head + "（" + "；".join(f"{r.school_name or ''}{r.reason}" for r in blocking.head(5).itertuples(index=False)) + "）"


def _optimal_rows(q: pd.DataFrame, sec: pd.DataFrame, inputs: Mapping[str, pd.DataFrame], year: int,
                  county: str) -> pd.DataFrame:
    groups = roster_groups(inputs, year)
    names = dict(zip(sec["school_id"].astype("object"), sec["school_name"].astype("object"), strict=False))
    rows = []
    for r in q.itertuples(index=False):
        for code, plan_action, _, inds in ACTIONS:
            qty = float(getattr(r, code))
            if qty <= 0:
                continue
            spec = action_spec(plan_action)
            ind = inds[0]
            parts: list[tuple[str | None, float]] = [(None, qty)]
            if code == "hire_pe_art":
                parts = [(g, float(n)) for g, n in split_hires(int(qty), groups.get((r.school_id, r.section)), l3_mix()).items() if n]
            elif code == "hire_degree":
                parts = [("other", qty)]
            for g, n in parts:
                rows.append({"year": int(year), "county": county,
                             "action_id": action_id(ind, r.school_id, r.section, plan_action, g), "part": "resource",
                             "indicator": ind, "action_school_id": r.school_id, "action_school_name": names.get(r.school_id),
                             "action_section": r.section, "action": plan_action, "hire_group": g, "quantity_unit": spec.unit,
                             "quantity": n, "unit_cost_yuan": spec.unit_cost_yuan,
                             "cost_10k_yuan": n * (spec.unit_cost_yuan or 0.0) / 1e4, "is_reference_cost": True,
                             "detail": _detail(code, n, spec.unit)})
    if not rows:
        return empty_frame("out_plan_optimal")
    return coerce(pd.DataFrame(rows), "out_plan_optimal")


def _detail(code: str, n: float, unit: str | None) -> str:
    text = f"{value_label('action', dict((a[0], a[1]) for a in ACTIONS)[code])}{n:,.0f}{value_label('quantity_unit', unit)}"
    if code == "hire_pe_art" and new_hires_meet_degree():
        text += "（同时计入高于规定学历教师）"
    return text


def _baseline(inputs: Mapping[str, pd.DataFrame], county: str, year: int, std: Standards, sections: pd.DataFrame,
              plan: pd.DataFrame | None) -> tuple[float, bool | None]:
    """Cost of the plan's L1-L7 rows and whether doing them passes the resource part."""
    if plan is None:
        plan = build_plan(evaluate(inputs, year=int(year), counties=county, standards=std, contributions="none"),
                          county, int(year), inputs=inputs)
    res = plan.loc[plan["indicator"].isin(RESOURCE_KEYS) & (plan["county"] == county) & (plan["year"].astype(int) == int(year))]
    cost = float(pd.to_numeric(res["cost_10k_yuan"], errors="coerce").fillna(0).sum())
    if not len(res):
        return cost, None
    code_of = {"L1": "hire_degree", "L2": "develop_backbone", "L3": "hire_pe_art", "L4": "build_teaching_rooms",
               "L5": "build_sports_ground", "L6": "buy_equipment", "L7": "add_multimedia_rooms"}
    q = res.assign(code=res["indicator"].map(code_of), school_id=res["action_school_id"], section=res["action_section"])
    wide = q.pivot_table(index=["school_id", "section"], columns="code", values="quantity", aggfunc="sum").reset_index()
    passes, _, _ = _resource_passes(apply_actions(sections, wide), std)
    return cost, passes

