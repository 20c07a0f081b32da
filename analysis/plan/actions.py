"""The costed rectification plan (整改方案): shortfalls → actions with quantity, cost, year, offices.

Every failing item of an evaluation becomes one or more actions (``out_plan``):

* L1-L7 per school section: teachers to hire (L3 split into 体育 / 音乐 / 美术 by the mix of
  plan_costs.yaml, towards that mix where the roster says who teaches what; L1 by the teachers
  still missing once the L3 hires, hired with the required degree, are counted), backbone
  teachers to develop, m² of teaching rooms and of sports ground, 元 of equipment, multimedia
  rooms;
* G3 music and art rooms (rooms, and m² where the rooms are too small), G4 students over the
  school-size cap, G5 classrooms to add to split the oversized classes of a grade (per grade
  from core_classes: ceil(students / cap) − classes; without classes, per oversized class);
* other per-school gaps (G6, Q4 funds, …) and county-level failures as their own action
  (追加经费 or 整改落实) with the engine's gap.

Each action has a reference unit cost (参考值, plan_costs.yaml), its cost in 万元, a default
target year and the responsible offices (plan_offices.yaml, the 平顺 plan). The analyst's
edits (core_plan_edits) replace quantity, limit, target year and offices: see
:func:`apply_edits`.

Examples
--------
>>> from analysis.indicators.evaluation import evaluate, example_inputs
>>> inp = example_inputs()
>>> plan = build_plan(evaluate(inp), inputs=inp)
>>> plan.loc[plan["indicator"] == "L5", ["action_school_name", "action", "quantity", "cost_10k_yuan"]].values.tolist()
[['示例二小', 'build_sports_ground', 450.0, 9.0]]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.dictionary import coerce, empty_frame, table_columns, value_label, value_labels
from analysis.indicators.common import RESOURCE_KEYS, ceil_count, fmt, indicator_info, indicators
from analysis.plan.costs import (
    action_for,
    action_spec,
    default_target_year,
    l3_mix,
    new_hires_meet_degree,
    offices_for,
)
from analysis.tables import table_path

if TYPE_CHECKING:
    from analysis.indicators.evaluation import Evaluation

PLAN_COLUMNS = tuple(table_columns("out_plan"))
#: roster subject groups counted for each L3 hire group (art teaches both music and fine art)
_GROUP_WEIGHTS = {"pe": {"pe": 1.0}, "music": {"music": 1.0, "art": 0.5}, "fine_art": {"fine_art": 1.0, "art": 0.5}}


def action_id(indicator: str, school_id: Any, section: Any, action: str, group: Any = None) -> str:
    """The stable key of an action: ``indicator-school-section-action[-group]``.

    >>> action_id("L3", "1000000002", "primary", "hire_teachers", "pe")
    'L3-1000000002-primary-hire_teachers-pe'
    >>> action_id("G14", None, None, "rectify")
    'G14-县-rectify'
    """
    parts = [indicator, school_id if isinstance(school_id, str) and school_id else "县"]
    if isinstance(section, str) and section:
        parts.append(section)
    parts.append(action)
    if isinstance(group, str) and group:
        parts.append(group)
    return "-".join(parts)


def _round_quantity(q: float, action: str) -> float:
    """Whole units for integer actions, continuous ones up to their step (never below the need)."""
    if q is None or (isinstance(q, float) and math.isnan(q)):
        return float("nan")
    spec = action_spec(action)
    if spec.integer:
        return float(max(0.0, ceil_count(np.array([q]))[0]))
    step = spec.step or 1.0
    return float(max(0.0, ceil_count(np.array([q / step]))[0] * step))


def split_hires(gap: int, current: Mapping[str, float] | None, mix: Mapping[str, float]) -> dict[str, int]:
    """Split ``gap`` teachers between groups, each hire going to the group furthest below its
    share of the total after hiring (ties in the order of ``mix``).

    >>> split_hires(4, None, {"pe": 0.5, "music": 0.25, "fine_art": 0.25})
    {'pe': 2, 'music': 1, 'fine_art': 1}
    >>> split_hires(2, {"pe": 3, "music": 0, "fine_art": 1}, {"pe": 0.5, "music": 0.25, "fine_art": 0.25})
    {'pe': 0, 'music': 2, 'fine_art': 0}
    """
    have = {g: float((current or {}).get(g, 0.0)) for g in mix}
    out = {g: 0 for g in mix}
    total = sum(have.values())
    for k in range(int(gap)):
        after = total + k + 1
        best = max(mix, key=lambda g: (mix[g] * after - have[g] - out[g], -list(mix).index(g)))
        out[best] += 1
    return out


def roster_groups(inputs: Mapping[str, pd.DataFrame] | None, year: int) -> dict[tuple[str, str], dict[str, float]]:
    """PE / music / fine-art teachers per (school, section) from the roster (art counts half to each)."""
    if not inputs or inputs.get("core_teachers") is None:
        return {}
    t = inputs["core_teachers"]
    if not {"school_id", "teaching_section", "subject_group"} <= set(t.columns):
        return {}
    t = t.loc[t["year"].astype("int64") == int(year)] if "year" in t else t
    groups = t["subject_group"].astype("object")
    keep = groups.isin(["pe", "music", "fine_art", "art"]).to_numpy()
    sub = pd.DataFrame({"school_id": t["school_id"].astype("object").to_numpy()[keep],
                        "section": t["teaching_section"].astype("object").to_numpy()[keep],
                        "group": groups.to_numpy()[keep]})
    out: dict[tuple[str, str], dict[str, float]] = {}
    for (sid, sec, grp), n in sub.value_counts().items():
        d = out.setdefault((str(sid), str(sec)), {"pe": 0.0, "music": 0.0, "fine_art": 0.0})
        for target, weights in _GROUP_WEIGHTS.items():
            d[target] += weights.get(grp, 0.0) * int(n)
    return out


def _row(year: int, county: str, indicator: str, action: str, quantity: float, *, school_id: Any = None,
         school_name: Any = None, section: Any = None, group: Any = None, unit: Any = None,
         is_blocking: Any = pd.NA, detail: str = "", base_year: int) -> dict[str, Any]:
    spec = action_spec(action)
    unit = spec.unit if spec.unit is not None else unit
    return {
        "year": int(year), "county": county,
        "action_id": action_id(indicator, school_id, section, action, group),
        "part": indicator_info(indicator)["part"], "indicator": indicator,
        "action_school_id": school_id, "action_school_name": school_name, "action_section": section,
        "action": action, "hire_group": group, "quantity_unit": unit,
        "required_quantity": quantity, "quantity": quantity, "max_quantity": np.nan,
        "target_year": default_target_year(indicator, base_year), "offices": offices_for(indicator),
        "is_blocking": is_blocking, "is_edited": False, "plan_note": None, "detail": detail,
    }


def _resource_rows(sf: pd.DataFrame, year: int, county: str, groups: dict, base_year: int) -> list[dict]:
    rows: list[dict] = []
    mix = l3_mix()
    count_l3 = new_hires_meet_degree()
    for (sid, sec), grp in sf.groupby(["school_id", "section"], sort=False):
        by = {r.indicator: r for r in grp.itertuples(index=False)}
        name = grp["school_name"].iloc[0]
        common = {"school_id": sid, "school_name": name, "section": sec, "base_year": base_year}
        sec_text = value_label("section", sec)
        l3_total = 0
        if "L3" in by:
            r = by["L3"]
            split = split_hires(int(_round_quantity(r.gap, "hire_teachers")), groups.get((sid, sec)), mix)
            for g, n in split.items():
                if n:
                    rows.append(_row(year, county, "L3", "hire_teachers", float(n), group=g, is_blocking=r.is_blocking,
                                     detail=f"{sec_text}体育艺术专任教师每百名学生{fmt(r.value, 2)}人，标准{fmt(r.standard, 2)}人，"
                                            f"共缺{fmt(r.gap, 0)}人；其中{value_label('hire_group', g)}教师{n}人", **common))
            l3_total = sum(split.values())
        if "L1" in by:
            r = by["L1"]
            need = _round_quantity(r.gap, "hire_teachers")
            covered = min(need, float(l3_total)) if count_l3 else 0.0
            text = (f"{sec_text}高于规定学历教师每百名学生{fmt(r.value, 2)}人，标准{fmt(r.standard, 2)}人，缺{fmt(need, 0)}人")
            if covered:
                text += f"；新聘体育艺术教师{fmt(covered, 0)}人计入，另需{fmt(need - covered, 0)}人"
            rows.append(_row(year, county, "L1", "hire_teachers", need - covered, group="other",
                             is_blocking=r.is_blocking, detail=text, **common))
        for key in RESOURCE_KEYS:
            if key in ("L1", "L3") or key not in by:
                continue
            r = by[key]
            action = action_for(key, "value")
            q = _round_quantity(r.gap, action)
            info = indicator_info(key)
            unit_text = value_label("quantity_unit", action_spec(action).unit)
            rows.append(_row(year, county, key, action, q, is_blocking=r.is_blocking,
                             detail=f"{sec_text}{info['short']}{fmt(r.value, int(info.get('decimals', 2)))}，标准"
                                    f"{fmt(r.standard, int(info.get('decimals', 2)))}，需{fmt(q, 0)}{unit_text}", **common))
    return rows


def _classrooms(ev_short: pd.DataFrame, classes: pd.DataFrame | None, excess: pd.DataFrame, year: int) -> dict:
    """Classrooms to add per (school, section) to bring every class of a grade under the cap.

    Per grade: ceil(students / cap) − classes (students moved between the classes of a grade
    need no new room); without core_classes: per oversized class ceil(size / cap) − 1.
    """
    out: dict[tuple[str, str], tuple[float, str]] = {}
    caps = {(r.school_id, r.section): float(r.standard) for r in ev_short.itertuples(index=False)}
    if classes is not None and len(classes):
        c = classes.loc[classes["year"].astype("int64") == int(year)]
        c = c.assign(school_id=c["school_id"].astype("object"), section=c["section"].astype("object"))
        c = c.loc[[(s, x) in caps for s, x in zip(c["school_id"], c["section"], strict=True)]]
        g = c.groupby(["school_id", "section", "grade"], sort=True, observed=True).agg(
            n=("students", "size"), students=("students", "sum")).reset_index()
        for (sid, sec), sub in g.groupby(["school_id", "section"], sort=False):
            cap = caps[(sid, sec)]
            need = np.maximum(np.ceil(sub["students"].to_numpy(dtype=float) / cap) - sub["n"].to_numpy(dtype=float), 0)
            parts = [f"{int(gr)}年级{int(s)}人{int(n)}个班需{int(n + d)}个班" for gr, s, n, d in
                     zip(sub["grade"], sub["students"], sub["n"], need, strict=True) if d > 0]
            text = "；".join(parts) if parts else "各年级学生在班级间调整即可，不需新增教室"
            out[(sid, sec)] = (float(need.sum()), text)
        return out
    if len(excess):
        e = excess.loc[excess["year"].astype("int64") == int(year)]
        for (sid, sec), sub in e.groupby(["school_id", "section"], sort=False):
            size = sub["students"].to_numpy(dtype=float)
            cap = sub["standard"].to_numpy(dtype=float)
            out[(sid, sec)] = (float((np.ceil(size / cap) - 1).sum()), f"{len(sub)}个超额班级逐班拆分（无班级分年级数据）")
    return out


def _plan_one(ev: Evaluation, year: int, county: str, inputs: Mapping[str, pd.DataFrame] | None,
              base_year: int) -> list[dict]:
    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        if not len(frame):
            return frame
        return frame.loc[(frame["year"].astype("int64") == year) & (frame["county"].astype("object") == county)]

    rows: list[dict] = []
    sf = pick(ev.shortfalls)
    res = sf.loc[sf["indicator"].astype("object").isin(RESOURCE_KEYS)]
    rows += _resource_rows(res, year, county, roster_groups(inputs, year), base_year)
    covered = set(res["indicator"].astype("object"))

    g5_all = sf.loc[sf["indicator"].astype("object") == "G5"]
    # one action per school section: the class-size row (students over the cap); where the
    # engine also gives the shortfall in classrooms (measure extra_classrooms), that count is used
    measure = g5_all["measure"].astype("object")
    g5 = g5_all.loc[measure == "class_size"] if (measure == "class_size").any() else g5_all.drop_duplicates(["school_id", "section"])
    engine_rooms = {(r.school_id, r.section): float(r.gap) for r in g5_all.loc[measure == "extra_classrooms"].itertuples(index=False)
                    if pd.notna(r.gap)}
    if len(g5):
        classes = inputs.get("core_classes") if inputs else None
        rooms = _classrooms(g5, classes, pick(ev.class_excess), year)
        for r in g5.itertuples(index=False):
            q, text = rooms.get((r.school_id, r.section), (float("nan"), ""))
            if (r.school_id, r.section) in engine_rooms and (r.school_id, r.section) not in rooms:
                q = engine_rooms[(r.school_id, r.section)]
            detail = "；".join(filter(None, [r.detail if isinstance(r.detail, str) else "", text]))
            rows.append(_row(year, county, "G5", "add_classrooms", q, school_id=r.school_id, school_name=r.school_name,
                             section=r.section, is_blocking=True, detail=detail, base_year=base_year))
        covered.add("G5")
    other = sf.loc[~sf["indicator"].astype("object").isin([*RESOURCE_KEYS, "G5"])]
    for r in other.itertuples(index=False):
        action = action_for(r.indicator, r.measure)
        rows.append(_row(year, county, r.indicator, action, _round_quantity(r.gap, action), school_id=r.school_id,
                         school_name=r.school_name, section=r.section, unit=r.gap_unit, is_blocking=r.is_blocking,
                         detail=r.detail if isinstance(r.detail, str) else "", base_year=base_year))
        covered.add(r.indicator)

    ss = pick(ev.school_shortfalls)
    for r in ss.itertuples(index=False):
        action = action_for(r.indicator, r.measure)
        spec = action_spec(action)
        if spec.unit is not None and isinstance(r.gap_unit, str) and spec.unit != r.gap_unit and not (
                spec.unit == "classrooms" and r.gap_unit == "rooms"):
            action = "rectify"  # the gap is not in the action's unit (e.g. a G3 m² gap labelled rooms)
        q = _round_quantity(r.gap, action) if action != "rectify" else (float(r.gap) if pd.notna(r.gap) else float("nan"))
        rows.append(_row(year, county, r.indicator, action, q, school_id=r.school_id, school_name=r.school_name,
                         unit=r.gap_unit, is_blocking=True, detail=f"{r.measure_label}：{r.detail}" if isinstance(r.detail, str) else "",
                         base_year=base_year, group=None, section=None) | {
                             "action_id": action_id(r.indicator, r.school_id, None, action, r.measure)})
        covered.add(r.indicator)

    ci = pick(ev.county_indicators)
    for r in ci.loc[ci["status"].astype("object") == "not_met"].itertuples(index=False):
        if r.indicator in covered:
            continue
        action = action_for(r.indicator, "value")
        gap = float(r.gap) if pd.notna(r.gap) else float("nan")
        q = _round_quantity(gap, action) if action != "rectify" else gap
        rows.append(_row(year, county, r.indicator, action, q, unit=r.gap_unit if isinstance(r.gap_unit, str) else None,
                         is_blocking=True, detail=r.detail if isinstance(r.detail, str) else "", base_year=base_year))
    return rows


def price(plan: pd.DataFrame) -> pd.DataFrame:
    """Unit cost, cost in 万元 and the cost's source of every action (from its planned quantity).

    >>> p = price(pd.DataFrame({"action": ["build_sports_ground", "rectify"], "quantity": [450.0, 1.0]}))
    >>> p[["unit_cost_yuan", "cost_10k_yuan", "is_reference_cost"]].values.tolist()
    [[200.0, 9.0, True], [nan, nan, False]]
    """
    out = plan.copy()
    specs = {a: action_spec(a) for a in pd.unique(out["action"].astype("object"))}
    unit_cost = out["action"].map(lambda a: specs[a].unit_cost_yuan).astype("float64")
    q = pd.to_numeric(out["quantity"], errors="coerce").astype("float64")
    out["unit_cost_yuan"] = unit_cost
    out["cost_10k_yuan"] = q * unit_cost / 1e4
    out["is_reference_cost"] = unit_cost.notna().to_numpy()
    out["cost_source"] = out["action"].map(lambda a: specs[a].source or None)
    return out


def build_plan(
    ev: Evaluation,
    county: str | None = None,
    year: int | None = None,
    *,
    inputs: Mapping[str, pd.DataFrame] | None = None,
    edits: pd.DataFrame | None = None,
    base_year: int | None = None,
) -> pd.DataFrame:
    """The costed rectification plan (``out_plan``) of one county or of every evaluated county.

    Parameters
    ----------
    ev : the evaluation (:func:`analysis.indicators.evaluation.evaluate`).
    county, year : one county / year (None: every county / year of ``ev``).
    inputs : the core tables the evaluation was computed from (optional): the roster splits
        the L3 hires between PE, music and fine art, core_classes gives the classrooms per grade.
    edits : core_plan_edits rows (the analyst's edits cleaned back in), applied by :func:`apply_edits`.
    base_year : year the plan's default target years count from (default: the data year).

    Returns
    -------
    pandas.DataFrame with the columns of out_plan (costs are reference values, 参考值).
    """
    pairs = ev.verdict[["year", "county"]].drop_duplicates()
    if county is not None:
        if county not in ev.counties:
            raise ValueError(f"unknown county {county!r}; counties evaluated: {', '.join(ev.counties)}")
        pairs = pairs.loc[pairs["county"].astype(str) == county]
    if year is not None:
        if int(year) not in ev.years:
            raise ValueError(f"year {year} was not evaluated; years: {', '.join(map(str, ev.years))}")
        pairs = pairs.loc[pairs["year"].astype(int) == int(year)]
    rows: list[dict] = []
    for y, c in pairs.itertuples(index=False):
        rows += _plan_one(ev, int(y), str(c), inputs, int(base_year) if base_year is not None else int(y))
    plan = pd.DataFrame(rows, columns=[c for c in PLAN_COLUMNS if c not in ("unit_cost_yuan", "cost_10k_yuan",
                                                                          "is_reference_cost", "cost_source")])
    if edits is not None and len(edits):
        plan = apply_edits(plan, edits, base_year=base_year)
    if not len(plan):
        return empty_frame("out_plan")
    plan = price(plan)
    return sort_plan(coerce(plan, "out_plan"))


def sort_plan(plan: pd.DataFrame) -> pd.DataFrame:
    """Year, county, indicator in method order, then school, section and action."""
    if not len(plan):
        return plan
    rank = {k: i for i, k in enumerate(indicators())}
    order = plan.assign(_o=plan["indicator"].map(rank).fillna(len(rank)),
                        _s=plan["action_school_id"].fillna(""), _c=plan["action_section"].fillna(""))
    order = order.sort_values(["year", "county", "_o", "_s", "_c", "action_id"], kind="stable")
    return order.drop(columns=["_o", "_s", "_c"]).reset_index(drop=True)


def parse_action_id(text: str) -> dict[str, Any]:
    """The parts of an action id (inverse of :func:`action_id`).

    >>> parse_action_id("L3-1000000002-primary-hire_teachers-pe")
    {'indicator': 'L3', 'school_id': '1000000002', 'section': 'primary', 'action': 'hire_teachers', 'group': 'pe'}
    >>> parse_action_id("G14-县-rectify")["action"]
    'rectify'
    """
    parts = str(text).split("-")
    out: dict[str, Any] = {"indicator": parts[0], "school_id": None, "section": None, "action": None, "group": None}
    rest = parts[1:]
    if rest and rest[0] != "县":
        out["school_id"] = rest[0]
    rest = rest[1:]
    if rest and rest[0] in ("primary", "junior", "senior"):
        out["section"] = rest.pop(0)
    if rest:
        out["action"] = rest.pop(0)
    if rest:
        out["group"] = rest.pop(0)
    return out


def load_edits(processed: Path) -> pd.DataFrame | None:
    """core_plan_edits of the processed folder (None when never built or empty)."""
    path = table_path("core_plan_edits", processed)
    if not path.exists():
        return None
    edits = pd.read_parquet(path)
    return edits if len(edits) else None


def apply_edits(plan: pd.DataFrame, edits: pd.DataFrame, *, base_year: int | None = None) -> pd.DataFrame:
    """The plan with the analyst's edits (core_plan_edits) applied, matched on year, county and action_id.

    An edited quantity, limit, target year or offices replaces the default (a blank cell keeps
    it); ``is_edited`` marks the rows changed. An edited action the current data no longer
    need (the shortfall is gone) is kept with a required quantity of 0, so no edit is lost.

    >>> plan = pd.DataFrame({"year": [2024], "county": ["甲县"], "action_id": ["L5-1000000001-primary-build_sports_ground"],
    ...     "part": "resource", "indicator": "L5", "action": "build_sports_ground", "quantity_unit": "m2",
    ...     "required_quantity": [450.0], "quantity": [450.0], "max_quantity": [np.nan], "target_year": [2030],
    ...     "offices": ["县教育局"], "is_edited": [False], "plan_note": [None]})
    >>> edits = pd.DataFrame({"year": [2024], "county": ["甲县"], "action_id": ["L5-1000000001-primary-build_sports_ground"],
    ...     "quantity": [300.0], "max_quantity": [300.0], "target_year": [2027], "offices": [None], "plan_note": ["租用场地"]})
    >>> apply_edits(plan, edits)[["quantity", "required_quantity", "target_year", "offices", "is_edited"]].values.tolist()
    [[300.0, 450.0, 2027, '县教育局', True]]
    """
    out = plan.copy()
    e = edits.copy()
    e = e.assign(year=e["year"].astype("int64"), county=e["county"].astype("object"), action_id=e["action_id"].astype("object"))
    e = e.drop_duplicates(["year", "county", "action_id"], keep="first")
    have = {(int(y), str(c)) for y, c in out[["year", "county"]].itertuples(index=False)} if len(out) else set()
    if have:  # only the edits of the counties and years being planned
        e = e.loc[[(int(y), str(c)) in have for y, c in e[["year", "county"]].itertuples(index=False)]]
    index = {(int(y), str(c), str(a)): i for i, (y, c, a) in enumerate(out[["year", "county", "action_id"]].itertuples(index=False))}
    new_rows = []
    out = out.astype({"target_year": "Int64"}) if len(out) else out
    for r in e.itertuples(index=False):
        key = (int(r.year), str(r.county), str(r.action_id))
        i = index.get(key)
        if i is None:
            p = parse_action_id(r.action_id)
            ind = p["indicator"] if p["indicator"] in indicators() else getattr(r, "indicator", None)
            if ind not in indicators():
                continue
            action = p["action"] if p["action"] in _known_actions() else "rectify"
            row = _row(int(r.year), str(r.county), ind, action, 0.0, school_id=p["school_id"], section=p["section"],
                       group=p["group"] if p["group"] in ("pe", "music", "fine_art", "other") else None,
                       base_year=base_year if base_year is not None else int(r.year),
                       detail="调整表中的事项：当前数据已无此缺口（保留分析人员的调整）")
            row["action_id"] = str(r.action_id)
            new_rows.append(_edited(row, r))
            continue
        row = out.iloc[i].to_dict()
        out.iloc[i] = pd.Series(_edited(row, r))
    if new_rows:
        out = pd.concat([out, pd.DataFrame(new_rows)], ignore_index=True)
    return out


def _known_actions() -> set[str]:
    return set(value_labels("action"))


def _blank(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _edited(row: dict, r: Any) -> dict:
    changed = False
    for col in ("quantity", "max_quantity", "target_year", "offices", "plan_note"):
        v = getattr(r, col, None)
        if _blank(v):
            continue
        if col in ("quantity", "max_quantity"):
            v = float(v)
        elif col == "target_year":
            v = int(v)
        else:
            v = str(v).strip()
        old = row.get(col)
        if _blank(old) or old != v:
            changed = True
        row[col] = v
    row["is_edited"] = bool(row.get("is_edited")) or changed
    return row
