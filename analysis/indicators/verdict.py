"""The county verdict: which of the five parts pass, why not, and the overall result.

A county is recognised (优质均衡) when resource allocation, government guarantee, education
quality and social recognition all pass and no one-vote veto applies. Each part is met, not
met, or undecided (数据缺失) when data are missing and nothing fails; the reasons list the
failing indicators in Chinese. Counts are aggregated with groupby over all counties at once;
only the reason texts are assembled row by row.

Examples
--------
>>> ind = pd.DataFrame({"year": 2024, "county": "甲县", "part": ["guarantee", "guarantee"],
...     "indicator": ["G4", "G5"], "is_met": pd.array([True, False]),
...     "status": ["met", "not_met"], "value": [100.0, 84.6]})
>>> v = part_verdicts(ind)
>>> v[["part", "is_met", "reason"]].values.tolist()
[['guarantee', False, '未达标：G5 班额']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.dictionary import table_columns
from analysis.indicators.common import (
    MISSING,
    first_per_group,
    fmt,
    group_texts,
    indicator_label,
    join_labels,
    key_positions,
    status_of,
)
from analysis.indicators.resource import section_label

PARTS = ("resource", "guarantee", "quality", "recognition", "veto")
PART_LABELS = {"resource": "资源配置", "guarantee": "政府保障程度", "quality": "教育质量",
               "recognition": "社会认可度", "veto": "一票否决", "overall": "综合结论"}
VERDICT_COLUMNS = tuple(table_columns("out_county_verdict"))
_KEY = ["year", "county"]


def _plain_keys(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = pd.DataFrame({c: frame[c].astype("object").to_numpy() if c != "year" else frame[c].astype("int64").to_numpy()
                        for c in cols})
    return out


def _tally(codes: np.ndarray, ok: np.ndarray, is_met: pd.Series, size: int
           ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Rows that fail and rows that are undecided (``is_met`` False / missing, among ``ok``),
    and per group code: rows, failures, undecided.

    >>> f, u, counts = _tally(np.array([0, 0, 1]), np.array([True] * 3), pd.Series([True, False, None]), 2)
    >>> f.tolist(), u.tolist(), [c.tolist() for c in counts]
    ([False, True, False], [False, False, True], [[2, 1], [1, 0], [0, 1]])
    """
    met = is_met.astype("boolean")
    fail = np.asarray(met.fillna(True) == False, dtype=bool) & ok  # noqa: E712
    unknown = np.asarray(met.isna(), dtype=bool) & ok
    counts = tuple(np.bincount(codes[m], minlength=size) for m in (ok, fail, unknown))
    return fail, unknown, counts


def _tri_array(fail: np.ndarray, unknown: np.ndarray) -> pd.arrays.BooleanArray:
    fail = np.asarray(fail, dtype=bool)
    unknown = np.asarray(unknown, dtype=bool) & ~fail
    return pd.arrays.BooleanArray(~fail & ~unknown, unknown)


def _names_by_key(pos: np.ndarray, texts: np.ndarray, n_keys: int, limit: int = 5) -> list[str | None]:
    """Per key position: the first ``limit`` texts joined (and 等N所), None when none."""
    counts = np.bincount(pos, minlength=n_keys) if len(pos) else np.zeros(n_keys, dtype=np.int64)
    first = first_per_group(pos, limit)
    groups = group_texts(((int(p),) for p in pos[first]), texts[first].tolist())
    out: list[str | None] = [None] * n_keys
    for (p,), names in groups.items():
        total = int(counts[p])
        out[p] = "、".join(names) + (f"等{total}所" if total > limit else "")
    return out


def resource_verdict(keys: pd.DataFrame, schools: pd.DataFrame, cv: pd.DataFrame) -> pd.DataFrame:
    """Resource part per county: every counted section passes the per-school rule and every
    difference coefficient is within its limit.

    >>> keys = pd.DataFrame({"year": [2024], "county": ["甲县"]})
    >>> sch = pd.DataFrame({"year": 2024, "county": "甲县", "school_name": ["一小", "二小"],
    ...     "section": "primary", "is_counted": True, "is_passing": pd.array([True, False])})
    >>> cv = pd.DataFrame({"year": 2024, "county": "甲县", "section": "primary", "indicator": ["L1"],
    ...     "cv": [0.503], "threshold": [0.5], "is_met": pd.array([False])})
    >>> resource_verdict(keys, sch, cv)["reason"].iloc[0]
    '未达标：小学差异系数超过上限：L1 高于规定学历教师 0.503（上限0.50）；1所学校（学段）未达到“至少6项达标、余项不低于85%”：二小（小学）'
    """
    base = _plain_keys(keys, _KEY)
    k = len(base)
    n = np.zeros(k, dtype=np.int64)
    nf = np.zeros(k, dtype=np.int64)
    nu = np.zeros(k, dtype=np.int64)
    sf: list[str | None] = [None] * k
    su: list[str | None] = [None] * k
    if len(schools):
        # work on masks of the whole frame: no copy of its (many) string columns
        counted = np.asarray(schools["is_counted"], dtype=bool)
        pos = np.where(counted, key_positions(schools, base), -1)
        inside = pos >= 0
        s_fail, s_unknown, (n, nf, nu) = _tally(pos, inside, schools["is_passing"], k)
        labels = {s: section_label(s) for s in ("primary", "junior", "senior")}

        def texts(mask: np.ndarray) -> list[str | None]:
            idx = np.flatnonzero(mask)
            first = first_per_group(pos[idx], 5)
            keep = idx[first]  # only these rows' names are decoded
            names = schools["school_name"].iloc[keep].astype("object").to_numpy()
            secs = schools["section"].iloc[keep].astype("object").to_numpy()
            full = np.empty(len(idx), dtype=object)
            full[first] = [f"{a}（{labels.get(b, b)}）" for a, b in zip(names, secs, strict=True)]
            return _names_by_key(pos[idx], full, k)

        sf, su = texts(s_fail), texts(s_unknown)
    cvf: list[str | None] = [None] * k
    cvu: list[str | None] = [None] * k
    if len(cv):
        cpos = key_positions(cv, base)
        cmet = cv["is_met"].astype("boolean")
        c_fail = np.asarray(cmet.fillna(True) == False, dtype=bool) & (cpos >= 0)  # noqa: E712
        c_unknown = np.asarray(cmet.isna(), dtype=bool) & (cpos >= 0)
        bad = np.flatnonzero(c_fail)
        ind = cv["indicator"].astype("object").to_numpy()
        secs_cv = cv["section"].astype("object").to_numpy()
        cvs, thr = cv["cv"].to_numpy(dtype="float64"), cv["threshold"].to_numpy(dtype="float64")
        per: dict[tuple[int, str], list[str]] = group_texts(
            ((int(cpos[i]), str(secs_cv[i])) for i in bad),
            [f"{ind[i]} {indicator_label(str(ind[i]), short=True)} {fmt(cvs[i], 3)}（上限{fmt(thr[i], 2)}）" for i in bad])
        by_key: dict[int, list[str]] = {}
        for (p, sec), items in sorted(per.items(), key=lambda kv: (kv[0][0], kv[0][1] != "primary", kv[0][1])):
            by_key.setdefault(p, []).append(f"{section_label(sec)}差异系数超过上限：" + "、".join(items))
        for p, items in by_key.items():
            cvf[p] = "；".join(items)
        unk = group_texts(((int(cpos[i]),) for i in np.flatnonzero(c_unknown)), [str(ind[i]) for i in np.flatnonzero(c_unknown)])
        for (p,), items in unk.items():
            cvu[p] = "差异系数待定（学校数据缺失）：" + "、".join(sorted(set(items)))

    fail_any = (nf > 0) | np.array([t is not None for t in cvf], dtype=bool)
    unknown_any = (nu > 0) | np.array([t is not None for t in cvu], dtype=bool) | (n == 0)
    reasons = []
    for i in range(k):
        if n[i] == 0:
            reasons.append(f"{MISSING}：无计入资源配置评估的学校")
            continue
        fails = [cvf[i]] if cvf[i] else []
        if nf[i]:
            fails.append(f"{nf[i]}所学校（学段）未达到“至少6项达标、余项不低于85%”：{sf[i]}")
        missing = [cvu[i]] if cvu[i] else []
        if nu[i]:
            missing.append(f"{nu[i]}所学校（学段）指标数据缺失：{su[i]}")
        if fails:
            reasons.append("未达标：" + "；".join(fails) + (f"；{MISSING}：" + "；".join(missing) if missing else ""))
        elif missing:
            reasons.append(f"{MISSING}：" + "；".join(missing))
        else:
            reasons.append(f"达标：{n[i]}所学校（学段）均达到“至少6项达标、余项不低于85%”，各项差异系数均不超过上限")
    out = base.copy()
    out["part"] = "resource"
    out["is_met"] = _tri_array(fail_any, unknown_any)
    out["reason"] = reasons
    return out


def part_verdicts(county_indicators: pd.DataFrame, keys: pd.DataFrame | None = None) -> pd.DataFrame:
    """Guarantee, quality, recognition and veto per county from the indicator rows."""
    parts = [p for p in PARTS if p != "resource"]
    if not len(county_indicators):
        return pd.DataFrame(columns=["year", "county", "part", "is_met", "reason"])
    ci = county_indicators
    base = _plain_keys(keys if keys is not None else ci.drop_duplicates(_KEY), _KEY).drop_duplicates().reset_index(drop=True)
    pos = key_positions(ci, base)
    part_idx = pd.Index(parts).get_indexer(ci["part"].astype("object"))
    ok = (pos >= 0) & (part_idx >= 0)
    code = np.where(ok, pos * len(parts) + part_idx, -1)
    size = len(base) * len(parts)
    fail, unknown, (n, nf, nu) = _tally(code, ok, ci["is_met"], size)
    ind = ci["indicator"].astype("object").to_numpy()

    def lists(mask: np.ndarray) -> dict[tuple, list[str]]:
        idx = np.flatnonzero(mask)
        return group_texts(((int(c),) for c in code[idx]), ind[idx].tolist())

    fail_lists, unk_lists = lists(fail), lists(unknown)
    values = ci["value"].to_numpy(dtype="float64") if "value" in ci else np.full(len(ci), np.nan)
    rec = np.full(size, np.nan)
    is_rec = ok & (ci["part"].astype("object").to_numpy() == "recognition")
    rec[code[is_rec]] = values[is_rec]
    rows, reasons = [], []
    for c in np.flatnonzero(n):
        p = parts[c % len(parts)]
        fl = fail_lists.get((int(c),), [])
        ul = unk_lists.get((int(c),), [])
        if p == "veto":
            reason = ("存在一票否决情形：" + join_labels(fl) if fl else
                      f"{MISSING}：" + join_labels(ul) + "（未提供认定材料）" if ul else "无一票否决情形")
        elif p == "recognition":
            reason = (f"未达标：社会认可度{fmt(rec[c], 1, '%')}，低于标准" if fl else
                      f"{MISSING}：无社会认可度问卷" if ul else f"达标：社会认可度{fmt(rec[c], 1, '%')}")
        elif fl:
            reason = "未达标：" + join_labels(fl, limit=15) + (f"；{MISSING}：" + join_labels(ul, limit=15) if ul else "")
        elif ul:
            reason = f"{MISSING}：" + join_labels(ul, limit=15)
        else:
            reason = f"达标：{n[c]}项指标均达标"
        rows.append(c)
        reasons.append(reason)
    rows = np.asarray(rows, dtype=np.int64)
    out = base.take(rows // len(parts)).reset_index(drop=True)
    out["part"] = np.asarray(parts, dtype=object)[rows % len(parts)]
    out["is_met"] = _tri_array(nf[rows] > 0, nu[rows] > 0)
    out["reason"] = reasons
    return out


def overall_verdict(parts: pd.DataFrame) -> pd.DataFrame:
    """Overall: all five parts pass and no veto; False as soon as one fails.

    >>> p = pd.DataFrame({"year": 2024, "county": "甲县", "part": list(PARTS),
    ...     "is_met": pd.array([True, False, True, None, True])})
    >>> overall_verdict(p)[["is_met", "reason"]].values.tolist()
    [[False, '未通过：政府保障程度未达标；社会认可度数据缺失']]
    """
    met = parts["is_met"].astype("boolean")
    code = np.where(met.isna(), "missing", np.where(met.fillna(False), "met", "not_met"))
    wide = _plain_keys(parts, [*_KEY, "part"]).assign(code=code).pivot(index=_KEY, columns="part", values="code")
    wide = wide.reindex(columns=list(PARTS)).fillna("missing")
    arr = wide.to_numpy()
    fail = (arr == "not_met").any(axis=1)
    unknown = (arr == "missing").any(axis=1)
    reasons = []
    for row, f, u in zip(arr, fail, unknown, strict=True):
        if not f and not u:
            reasons.append("通过：资源配置、政府保障程度、教育质量、社会认可度均达标，无一票否决情形")
            continue
        pieces = []
        failed = [p for p, c in zip(PARTS, row, strict=True) if c == "not_met"]
        missing = [p for p, c in zip(PARTS, row, strict=True) if c == "missing"]
        if "veto" in failed:
            pieces.append("存在一票否决情形")
        others = [p for p in failed if p != "veto"]
        if others:
            pieces.append("、".join(PART_LABELS[p] for p in others) + "未达标")
        if missing:
            pieces.append("、".join(PART_LABELS[p] for p in missing) + MISSING)
        reasons.append(("未通过：" if f else "待定：") + "；".join(pieces))
    out = wide.reset_index()[_KEY]
    out["part"] = "overall"
    out["is_met"] = _tri_array(fail, unknown)
    out["reason"] = reasons
    return out


def county_verdict(
    keys: pd.DataFrame, schools: pd.DataFrame, cv: pd.DataFrame, county_indicators: pd.DataFrame,
    standards_name: str,
) -> pd.DataFrame:
    """out_county_verdict: one row per county × part (five parts and overall).

    >>> from analysis.indicators.evaluation import evaluate, example_inputs
    >>> ev = evaluate(example_inputs())
    >>> ev.verdict[["part", "status"]].values.tolist()[-1]
    ['overall', 'not_met']
    """
    parts = pd.concat([resource_verdict(keys, schools, cv), part_verdicts(county_indicators, keys)], ignore_index=True)
    parts = parts.astype({"year": "int64"})
    parts["county"] = parts["county"].astype("object")
    k = _plain_keys(keys, _KEY)
    full = k.merge(pd.DataFrame({"part": list(PARTS)}), how="cross").merge(parts, on=["year", "county", "part"], how="left")
    full["reason"] = full["reason"].fillna(MISSING)
    full["is_met"] = full["is_met"].astype("boolean")
    out = pd.concat([full, overall_verdict(full)], ignore_index=True)
    order = {p: i for i, p in enumerate((*PARTS, "overall"))}
    out["_o"] = out["part"].map(order)
    out = out.sort_values(["year", "county", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    out["status"] = status_of(out["is_met"])
    out["standards"] = standards_name
    # final_status / judgement_note: analysis.indicators.judgement.apply_verdict
    out["final_status"] = out["status"]
    out["judgement_note"] = None
    out["standards_periods"] = None
    return out[list(VERDICT_COLUMNS)]
