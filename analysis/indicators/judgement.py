"""The analyst's judgements (评估认定) beside the computed results.

Self-evaluations record conclusions the data alone do not give: 综合评估认定达标 (an
indicator judged met under the 2024 procedure's "实用、够用、管用" clause), 整改后达标 (met once
a rectification plan is carried out), or a plain 达标 / 未达标. The analyst records them as
data (sheet kind 评估认定 -> ``core_judgements``); this module applies them to the engine's
frames **without touching the computed result**: every table keeps ``is_met`` / ``status``
as computed and gains ``judged_status`` and ``final_status`` / ``is_met_final`` beside them.

Rules
-----
* A judgement concerns a county indicator (no school) or one school (by identifier, else by
  name). A school judgement wins over the county judgement for that school's rows.
* A judged pass of a computed failure (or of missing data) keeps its own status:
  ``judged_met`` (认定达标), ``met_by_judgement`` (综合评估认定达标) or
  ``met_after_rectification`` (整改后达标); a computed pass stays ``met``.
* A judged 未达标 makes the final result a failure (``judged_not_met`` where the data pass).
* Which judged passes a jurisdiction accepts is ``judgement.accepted`` of the standards; a
  judgement that is not accepted is listed but changes nothing.
* The county verdict says which parts pass only by judgement (``final_status`` and
  ``judgement_note`` of out_county_verdict).

Examples
--------
>>> final_status(np.array([0.0, 1.0, 0.0, np.nan]), np.array(["not_met", "met", "not_met", "missing"], dtype=object),
...              np.array(["met_by_judgement", "not_met", None, "met_after_rectification"], dtype=object),
...              ("met", "met_by_judgement", "met_after_rectification"))[0].tolist()
['met_by_judgement', 'judged_not_met', 'not_met', 'met_after_rectification']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.dictionary import empty_frame, table_columns, value_label
from analysis.indicators.common import (
    MISSING,
    RESOURCE_KEYS,
    ge,
    indicator_info,
    indicator_label,
    key_positions,
    tri,
)

#: a judged pass of a computed failure -> its final status
PASS_FINAL = {"met": "judged_met", "met_by_judgement": "met_by_judgement",
              "met_after_rectification": "met_after_rectification"}
#: final statuses that pass only by judgement, weakest claim first (a part that needs a
#: rectification to pass is 整改后达标 even if another of its indicators is 综合评估认定达标)
JUDGED_PASSES = ("met_after_rectification", "met_by_judgement", "judged_met")
FAILS = ("not_met", "judged_not_met")
JUDGEMENT_COLUMNS = tuple(table_columns("core_judgements"))


def final_status(computed_met: np.ndarray, computed_status: np.ndarray, judged: np.ndarray,
                 accepted: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Final status and final met (1/0/NaN) of rows from the computed result and the judgement.

    ``computed_met`` is 1.0 / 0.0 / NaN, ``judged`` a judged_status code or None per row.
    """
    met = np.asarray(computed_met, dtype="float64")
    status = np.asarray(computed_status, dtype=object)
    judged = np.asarray(judged, dtype=object)
    has = np.array([isinstance(j, str) for j in judged], dtype=bool)
    ok = has & np.isin(judged, list(accepted))
    passed = has & (judged != "not_met") & ok
    failed = has & (judged == "not_met")
    out = status.copy()
    out_met = met.copy()
    flip = passed & (met != 1.0)
    out[flip] = [PASS_FINAL[j] for j in judged[flip]]
    out_met[passed] = 1.0
    out[failed & (met == 0.0)] = "not_met"
    out[failed & (met != 0.0)] = "judged_not_met"
    out_met[failed] = 0.0
    return out, out_met


def _texts(j: pd.DataFrame) -> list[str]:
    parts = []
    for r in j.itertuples(index=False):
        bits = [value_label("judged_status", r.judged_status)]
        if isinstance(r.judgement_reason, str) and r.judgement_reason:
            bits.append(f"理由：{r.judgement_reason}")
        if isinstance(r.judgement_evidence, str) and r.judgement_evidence:
            bits.append(f"佐证：{r.judgement_evidence}")
        who = "，".join(x for x in (r.judged_by if isinstance(r.judged_by, str) else "",
                                    _date(r.judged_on)) if x)
        if who:
            bits.append(f"认定：{who}")
        parts.append("；".join(bits))
    return parts


def _date(v: object) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    try:
        ts = pd.Timestamp(v)
    except (TypeError, ValueError):
        return str(v)
    return "" if pd.isna(ts) else f"{ts.year}年{ts.month}月{ts.day}日"


@dataclass
class Judgements:
    """The judgements of the evaluated counties, schools resolved.

    ``county`` and ``school`` map ``(year, county, indicator)`` and
    ``(year, county, indicator, school_id)`` to ``(judged_status, text)``.
    """

    frame: pd.DataFrame
    county: dict[tuple, tuple[str, str]]
    school: dict[tuple, tuple[str, str]]
    accepted: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.county and not self.school

    def lookup(self, years, counties, indicators, school_ids=None) -> tuple[np.ndarray, np.ndarray]:
        """judged_status and text per row (school judgement first, then the county's)."""
        n = len(years)
        status = np.full(n, None, dtype=object)
        text = np.full(n, None, dtype=object)
        if self.empty or not n:
            return status, text
        wanted = {k[:3] for k in self.county} | {k[:3] for k in self.school}
        years = np.asarray(years, dtype="int64")
        counties = np.asarray(counties, dtype=object)
        inds = np.asarray(indicators, dtype=object)
        sids = np.asarray(school_ids, dtype=object) if school_ids is not None else None
        for i in range(n):
            k = (int(years[i]), counties[i], inds[i])
            if k not in wanted:
                continue
            hit = self.school.get((*k, sids[i])) if sids is not None else None
            if hit is None:
                hit = self.county.get(k)
            if hit is not None:
                status[i], text[i] = hit
        return status, text


def prepare(judgements: pd.DataFrame | None, keys: pd.DataFrame, schools: pd.DataFrame | None,
            accepted: Sequence[str]) -> Judgements:
    """Judgements of the evaluated ``(year, county)`` keys, schools matched by id or name."""
    empty = Judgements(empty_frame("core_judgements").assign(school_id_matched=None), {}, {}, tuple(accepted))
    if judgements is None or not len(judgements):
        return empty
    j = judgements.copy()
    j = j.loc[j["year"].notna()] if "year" in j else j
    if not len(j):
        return empty
    j["year"] = j["year"].astype("int64")
    j["county"] = j["county"].astype("object")
    j = j.loc[key_positions(j, keys) >= 0].reset_index(drop=True)
    for c in JUDGEMENT_COLUMNS:
        if c not in j:
            j[c] = None
    matched = np.array([x.strip() if isinstance(x, str) and x.strip() else None
                        for x in j["judged_school_id"].astype("object")] + [None], dtype=object)[:-1]
    by_name: dict[tuple, str] = {}
    if schools is not None and len(schools) and "school_name" in schools:
        for y, c, name, sid in zip(schools["year"].astype("int64"), schools["county"].astype("object"),
                                   schools["school_name"].astype("object"), schools["school_id"].astype("object"),
                                   strict=True):
            by_name.setdefault((int(y), c, str(name).strip()), sid)
    # a judgement naming a school never becomes a county judgement: unmatched names stay "" (applied nowhere)
    names = j["judged_school_name"].astype("object").to_numpy()
    for i in range(len(j)):
        if matched[i] is None and isinstance(names[i], str) and names[i].strip():
            matched[i] = by_name.get((int(j["year"].iloc[i]), j["county"].iloc[i], names[i].strip()), "")
    j["school_id_matched"] = pd.Series(matched, index=j.index, dtype=object)
    texts = _texts(j)
    county: dict[tuple, tuple[str, str]] = {}
    school: dict[tuple, tuple[str, str]] = {}
    for i, r in enumerate(j.itertuples(index=False)):
        k = (int(r.year), r.county, r.indicator)
        if not isinstance(r.school_id_matched, str):
            county[k] = (r.judged_status, texts[i])
        elif r.school_id_matched:
            school[(*k, r.school_id_matched)] = (r.judged_status, texts[i])
    return Judgements(j, county, school, tuple(accepted))


# ---------------------------------------------------------------------------- resource


def apply_resource(values: pd.DataFrame, schools: pd.DataFrame, cv: pd.DataFrame, jd: Judgements,
                   min_met: int, min_ratio: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Add the judgement columns to out_resource_values, out_resource_schools and
    out_difference_coefficients, recomputing the per-school rule with the judged indicators."""
    values = values.copy()
    schools = schools.copy()
    cv = cv.copy()
    if jd.empty or not len(values):
        values["judged_status"] = None
        values["is_met_final"] = values["is_met"].astype("boolean")
        schools["is_passing_final"] = schools["is_passing"].astype("boolean")
        schools["judged_indicators"] = None
    else:
        ind = values["indicator"].astype("object").to_numpy()
        status, _ = jd.lookup(values["year"], values["county"].astype("object"), ind,
                              values["school_id"].astype("object"))
        counted = values["is_counted"].astype(bool).to_numpy()
        status = np.where(counted, status, None)
        met = values["is_met"].astype("boolean")
        met_f = np.where(met.isna(), np.nan, met.fillna(False).astype(float))
        comp = np.where(np.isnan(met_f), "missing", np.where(met_f == 1.0, "met", "not_met")).astype(object)
        _, final = final_status(met_f, comp, status, jd.accepted)
        values["judged_status"] = status
        values["is_met_final"] = tri(final)
        # the per-school rule, again, with the final results
        sec_key = pd.MultiIndex.from_arrays([values["year"].astype("int64").to_numpy(),
                                             values["school_id"].astype("object").to_numpy(),
                                             values["section"].astype("object").to_numpy()])
        codes, uniq = pd.factorize(sec_key)
        ratio = values["ratio_to_standard"].to_numpy(dtype="float64")
        fail = final == 0.0
        n_fail = np.bincount(codes, weights=fail, minlength=len(uniq))
        n_miss = np.bincount(codes, weights=np.isnan(final), minlength=len(uniq))
        low = np.full(len(uniq), np.inf)
        np.minimum.at(low, codes[fail], np.where(np.isnan(ratio[fail]), np.inf, ratio[fail]))
        k = len(RESOURCE_KEYS)
        below = (n_fail > 0) & np.isfinite(low) & (ge(low, min_ratio) == 0.0)
        passes = np.where((n_fail > k - min_met) | below, 0.0, np.where(n_miss == 0, 1.0, np.nan))
        judged_txt: dict[int, list[str]] = {}
        for i in np.flatnonzero(pd.notna(status)):
            judged_txt.setdefault(int(codes[i]), []).append(f"{ind[i]}（{value_label('judged_status', status[i])}）")
        s_key = pd.MultiIndex.from_arrays([schools["year"].astype("int64").to_numpy(),
                                           schools["school_id"].astype("object").to_numpy(),
                                           schools["section"].astype("object").to_numpy()])
        pos = uniq.get_indexer(s_key)
        p = np.where(pos >= 0, passes[np.maximum(pos, 0)], np.nan)
        s_counted = schools["is_counted"].astype(bool).to_numpy()
        orig = schools["is_passing"].astype("boolean")
        final_pass = tri(np.where(s_counted, p, np.nan))
        schools["is_passing_final"] = pd.array(np.where(s_counted, final_pass, orig), dtype="boolean")
        schools["judged_indicators"] = ["、".join(judged_txt[q]) if q >= 0 and q in judged_txt else None for q in pos]
    if jd.empty or not len(cv):
        cv["judged_status"] = None
        cv["is_met_final"] = cv["is_met"].astype("boolean") if len(cv) else pd.array([], dtype="boolean")
    else:
        status, _ = jd.lookup(cv["year"], cv["county"].astype("object"), cv["indicator"].astype("object"))
        met = cv["is_met"].astype("boolean")
        met_f = np.where(met.isna(), np.nan, met.fillna(False).astype(float))
        comp = np.where(np.isnan(met_f), "missing", np.where(met_f == 1.0, "met", "not_met")).astype(object)
        _, final = final_status(met_f, comp, status, jd.accepted)
        cv["judged_status"] = status
        cv["is_met_final"] = tri(final)
    return values, schools, cv


# ---------------------------------------------------------------------------- other parts


def apply_schools(rows: pd.DataFrame, jd: Judgements) -> pd.DataFrame:
    """out_school_indicators with ``judged_status`` and ``final_status`` (school judgement,
    else the county judgement of the indicator)."""
    out = rows.copy()
    met = out["is_met"].astype("boolean") if len(out) else pd.array([], dtype="boolean")
    met_f = np.where(pd.isna(met), np.nan, pd.array(met).fillna(False).astype(float)) if len(out) else np.zeros(0)
    comp = np.where(np.isnan(met_f), "missing", np.where(met_f == 1.0, "met", "not_met")).astype(object)
    if jd.empty or not len(out):
        out["judged_status"] = None
        out["final_status"] = comp
        return out
    status, _ = jd.lookup(out["year"], out["county"].astype("object"), out["indicator"].astype("object"),
                          out["school_id"].astype("object"))
    final, _ = final_status(met_f, comp, status, jd.accepted)
    out["judged_status"] = status
    out["final_status"] = final
    return out


def apply_county(ci: pd.DataFrame, school_rows: pd.DataFrame, jd: Judgements) -> pd.DataFrame:
    """out_county_indicators with ``judged_status``, ``final_status`` and ``judgement_detail``.

    A county judgement applies to the county row. Per-school indicators without one take the
    schools' final results: the county passes by judgement when every school that fails as
    computed passes by its judgement.
    """
    out = ci.copy()
    n = len(out)
    met = out["is_met"].astype("boolean")
    met_f = np.where(met.isna(), np.nan, met.fillna(False).astype(float))
    status_c = out["status"].astype("object").to_numpy()
    judged, text = jd.lookup(out["year"], out["county"].astype("object"), out["indicator"].astype("object"))
    final, _ = final_status(met_f, status_c, judged, jd.accepted)
    detail = np.array(text, dtype=object)
    if not jd.empty and len(school_rows) and "final_status" in school_rows:
        sr = school_rows
        judged_rows = sr.loc[sr["judged_status"].notna()]
        if len(judged_rows):
            ind_keys = {(int(y), c, i) for y, c, i in zip(judged_rows["year"], judged_rows["county"].astype("object"),
                                                        judged_rows["indicator"].astype("object"), strict=True)}
            for r in range(n):
                k = (int(out["year"].iloc[r]), out["county"].iloc[r], out["indicator"].iloc[r])
                if k not in ind_keys or isinstance(judged[r], str):
                    continue
                sub = sr.loc[(sr["year"].astype("int64") == k[0]) & (sr["county"].astype("object") == k[1])
                             & (sr["indicator"].astype("object") == k[2])]
                per = sub.groupby("school_id", sort=False)["final_status"].agg(list)
                names = sub.groupby("school_id", sort=False)["school_name"].first()
                fails = [s for s, sts in per.items() if any(x in FAILS for x in sts)]
                unknown = [s for s, sts in per.items() if s not in fails and "missing" in sts]
                kinds = {x for sts in per for x in sts if x in JUDGED_PASSES}
                flipped = sub.loc[sub["judged_status"].notna(), ["school_id", "judged_status"]].drop_duplicates()
                note = "学校认定：" + "、".join(f"{names[s]}（{value_label('judged_status', js)}）"
                                           for s, js in zip(flipped["school_id"], flipped["judged_status"], strict=True))
                if fails:
                    final[r] = "not_met" if status_c[r] == "not_met" else "judged_not_met"
                elif unknown:
                    final[r] = status_c[r] if status_c[r] != "met" else "missing"
                elif status_c[r] in ("met", "not_applicable"):
                    final[r] = status_c[r]
                else:
                    final[r] = next(x for x in JUDGED_PASSES if x in kinds) if kinds else status_c[r]
                detail[r] = note
    out["judged_status"] = judged
    out["final_status"] = final
    out["judgement_detail"] = detail
    return out


#: final statuses ranked from the weakest: a group's final status is its weakest member's
RANK = ("not_met", "missing", "met_after_rectification", "met_by_judgement", "judged_met", "met")
_RANK_OF = {s: i for i, s in enumerate(RANK)} | {"judged_not_met": 0, "not_applicable": 5}


def _ranks(statuses) -> np.ndarray:
    return np.array([_RANK_OF.get(s, 1) if isinstance(s, str) else 1 for s in statuses], dtype=np.int64)


def _min_by_key(pos: np.ndarray, ranks: np.ndarray, k: int) -> np.ndarray:
    out = np.full(k, len(RANK) - 1, dtype=np.int64)
    ok = pos >= 0
    np.minimum.at(out, pos[ok], ranks[ok])
    return out


def _flips(frame: pd.DataFrame, keys: pd.DataFrame, k: int) -> dict[int, list[tuple[str, str]]]:
    """Per key position, (indicator, final status) of the rows a judgement turned into a pass."""
    if not len(frame) or "judged_status" not in frame:
        return {}
    js = frame["judged_status"].astype("object").to_numpy()
    has = pd.notna(js)
    if not has.any():
        return {}
    pos = key_positions(frame, keys)
    comp = np.asarray(frame["is_met"].astype("boolean").fillna(False), dtype=bool)
    fin = np.asarray(frame["is_met_final"].astype("boolean").fillna(False), dtype=bool)
    ind = frame["indicator"].astype("object").to_numpy()
    out: dict[int, list[tuple[str, str]]] = {}
    for i in np.flatnonzero(has & (pos >= 0) & ~comp & fin):
        out.setdefault(int(pos[i]), []).append((ind[i], PASS_FINAL[js[i]]))
    return out


def _resource_final(values: pd.DataFrame, schools: pd.DataFrame, cv: pd.DataFrame, keys: pd.DataFrame
                    ) -> tuple[np.ndarray, dict[int, list[tuple[str, str]]]]:
    """Rank of the resource part's final status per key (fail / missing / pass), and the
    judged indicators that turned failures into passes."""
    k = len(keys)
    rank = np.full(k, len(RANK) - 1, dtype=np.int64)
    if len(schools):
        pos = key_positions(schools, keys)
        counted = schools["is_counted"].astype(bool).to_numpy()
        fin = schools["is_passing_final"].astype("boolean")
        r = np.where(np.asarray(fin.isna(), dtype=bool), 1, np.where(np.asarray(fin.fillna(False), dtype=bool), 5, 0))
        rank = np.minimum(rank, _min_by_key(np.where(counted, pos, -1), r.astype(np.int64), k))
    if len(cv):
        pos = key_positions(cv, keys)
        fin = cv["is_met_final"].astype("boolean")
        r = np.where(np.asarray(fin.isna(), dtype=bool), 1, np.where(np.asarray(fin.fillna(False), dtype=bool), 5, 0))
        rank = np.minimum(rank, _min_by_key(pos, r.astype(np.int64), k))
    notes = _flips(values, keys, k)
    for p, items in _flips(cv, keys, k).items():
        notes.setdefault(p, []).extend(items)
    return rank, notes


def _note(items: list[tuple[str, str]]) -> str | None:
    if not items:
        return None
    seen: dict[str, str] = {}
    for ind, st in items:
        prev = seen.get(ind)
        if prev is None or JUDGED_PASSES.index(st) < JUDGED_PASSES.index(prev):
            seen[ind] = st
    return "仅经认定达标：" + "、".join(f"{i} {indicator_label(i, short=True)}（{value_label('final_status', s)}）"
                                 for i, s in seen.items())


def _combine(statuses: list[str]) -> str:
    """The weakest final status of a group.

    >>> _combine(["met", "met_by_judgement", "met_after_rectification"]), _combine(["met", "missing", "judged_not_met"])
    ('met_after_rectification', 'not_met')
    """
    return RANK[int(_ranks(statuses).min())] if len(statuses) else "met"


def apply_verdict(verdict: pd.DataFrame, keys: pd.DataFrame, values: pd.DataFrame, schools: pd.DataFrame,
                  cv: pd.DataFrame, ci: pd.DataFrame) -> pd.DataFrame:
    """out_county_verdict with ``final_status`` and ``judgement_note`` per part and overall.

    The computed ``is_met`` / ``status`` / ``reason`` are kept; a part whose failures all pass by
    judgement gets the judgement's status, and the note names those indicators. Vectorised over
    counties: only the (few) judged keys get Python-built notes.
    """
    out = verdict.copy()
    k = len(keys)
    parts = list(_PART_LABELS)
    part_idx = {p: i for i, p in enumerate(parts)}
    # rank of each (key, part): resource from the sections and CVs, the others from their indicators
    rank = np.full((k, len(parts)), len(RANK) - 1, dtype=np.int64)
    res_rank, res_notes = _resource_final(values, schools, cv, keys)
    rank[:, 0] = res_rank
    notes: dict[tuple[int, str], list[tuple[str, str]]] = {(p, "resource"): v for p, v in res_notes.items()}
    if len(ci):
        pos = key_positions(ci, keys)
        pi = np.array([part_idx.get(p, -1) for p in ci["part"].astype("object")], dtype=np.int64)
        fs = ci["final_status"].astype("object").to_numpy()
        r = _ranks(fs)
        ok = (pos >= 0) & (pi >= 0)
        flat = np.full(k * len(parts), len(RANK) - 1, dtype=np.int64)
        np.minimum.at(flat, (pos * len(parts) + pi)[ok], r[ok])
        rank[:, 1:] = np.minimum(rank[:, 1:], flat.reshape(k, len(parts))[:, 1:])
        judged = ok & np.isin(fs, list(JUDGED_PASSES))
        ind = ci["indicator"].astype("object").to_numpy()
        for i in np.flatnonzero(judged):
            notes.setdefault((int(pos[i]), parts[pi[i]]), []).append((ind[i], fs[i]))
    vpos = key_positions(out, keys)
    vpart = out["part"].astype("object").to_numpy()
    computed = out["status"].astype("object").to_numpy()
    finals = np.array(computed, dtype=object)
    note_col = np.full(len(out), None, dtype=object)
    # a part computed as failing whose final rows all pass: the weakest judgement that made it pass
    v_key = {(int(vpos[i]), vpart[i]): computed[i] for i in range(len(out)) if vpos[i] >= 0}
    for j, q in enumerate(parts):
        for p in np.flatnonzero(rank[:, j] == len(RANK) - 1):
            if v_key.get((int(p), q)) not in (None, "met"):
                kinds = [st for _, st in notes.get((int(p), q), [])]
                if kinds:
                    rank[p, j] = min(_RANK_OF[x] for x in kinds)
    overall_rank = rank.min(axis=1) if k else np.zeros(0, dtype=np.int64)
    for i in range(len(out)):
        p = int(vpos[i])
        if p < 0:
            continue
        if vpart[i] == "overall":
            fs = RANK[int(overall_rank[p])]
        else:
            fs = RANK[int(rank[p, part_idx[vpart[i]]])]
        if computed[i] == "met":
            fs = "met" if fs in JUDGED_PASSES or fs == "met" else ("not_met" if fs == "not_met" else fs)
        elif fs == "met":
            fs = computed[i]  # nothing judged changed it (e.g. not applicable parts)
        finals[i] = fs
        if fs in JUDGED_PASSES:
            if vpart[i] == "overall":
                judged_parts = [f"{_PART_LABELS[q]}（{value_label('final_status', RANK[int(rank[p, j])])}）"
                                for j, q in enumerate(parts) if RANK[int(rank[p, j])] in JUDGED_PASSES]
                note_col[i] = "计算结果未通过；经认定后通过，仅经认定达标的部分：" + "、".join(judged_parts)
            else:
                note_col[i] = _note(notes.get((p, vpart[i]), []))
    out["final_status"] = finals
    out["judgement_note"] = note_col
    return out


_PART_LABELS = {"resource": "资源配置", "guarantee": "政府保障程度", "quality": "教育质量",
                "recognition": "社会认可度", "veto": "一票否决"}


def judgement_table(jd: Judgements, values: pd.DataFrame, school_rows: pd.DataFrame, ci: pd.DataFrame,
                    cv: pd.DataFrame) -> pd.DataFrame:
    """out_judgements: every judgement beside the computed result it concerns."""
    j = jd.frame
    cols = table_columns("out_judgements")
    if not len(j):
        return empty_frame("out_judgements")
    rows = []
    for r in j.itertuples(index=False):
        info = indicator_info(r.indicator)
        y, c, ind = int(r.year), r.county, r.indicator
        sid = r.school_id_matched if isinstance(r.school_id_matched, str) else None
        if sid == "":
            computed, detail = "unmatched", f"未找到学校“{r.judged_school_name}”，认定未应用"
        elif info["part"] == "resource":
            v = values.loc[(values["year"].astype("int64") == y) & (values["county"].astype("object") == c)
                           & (values["indicator"].astype("object") == ind) & values["is_counted"].astype(bool)]
            if sid is not None:
                v = v.loc[v["school_id"].astype("object") == sid]
            met = v["is_met"].astype("boolean")
            n_fail = int((met.fillna(True) == False).sum())  # noqa: E712
            cvs = cv.loc[(cv["year"].astype("int64") == y) & (cv["county"].astype("object") == c)
                         & (cv["indicator"].astype("object") == ind)] if sid is None and len(cv) else cv.iloc[:0]
            cv_fail = int((cvs["is_met"].astype("boolean").fillna(True) == False).sum()) if len(cvs) else 0  # noqa: E712
            computed = "not_met" if n_fail or cv_fail else ("missing" if (not len(v) or met.isna().any()) else "met")
            detail = (f"计算：{len(v)}个学校（学段）中{int(met.fillna(False).sum())}个达标"
                      + (f"，{n_fail}个未达标" if n_fail else "") + (f"；差异系数{cv_fail}项超限" if cv_fail else ""))
        elif sid is not None:
            s = school_rows.loc[(school_rows["year"].astype("int64") == y) & (school_rows["county"].astype("object") == c)
                                & (school_rows["indicator"].astype("object") == ind)
                                & (school_rows["school_id"].astype("object") == sid)]
            met = s["is_met"].astype("boolean")
            computed = "missing" if not len(s) else ("not_met" if (met.fillna(True) == False).any() else  # noqa: E712
                                                     ("missing" if met.isna().any() else "met"))
            detail = "；".join(str(d) for d in s["detail"] if isinstance(d, str)) or (MISSING if not len(s) else "")
        else:
            row = ci.loc[(ci["year"].astype("int64") == y) & (ci["county"].astype("object") == c)
                         & (ci["indicator"].astype("object") == ind)]
            computed = str(row["status"].iloc[0]) if len(row) else "missing"
            detail = str(row["detail"].iloc[0]) if len(row) and isinstance(row["detail"].iloc[0], str) else ""
        cm = {"met": 1.0, "not_applicable": 1.0, "not_met": 0.0}.get(computed, np.nan)
        fs, _ = final_status(np.array([cm]), np.array([computed if computed != "unmatched" else "missing"], dtype=object),
                             np.array([r.judged_status if computed != "unmatched" else None], dtype=object), jd.accepted)
        if computed != "unmatched" and r.judged_status not in jd.accepted and r.judged_status != "not_met":
            detail = f"{detail}；所选标准不采纳“{value_label('judged_status', r.judged_status)}”，认定未改变结论"
        rows.append({"year": y, "county": c, "part": info["part"], "indicator": ind,
                     "judged_school_id": r.judged_school_id, "judged_school_name": r.judged_school_name,
                     "school_id_matched": sid or None, "computed_status": computed,
                     "judged_status": r.judged_status, "final_status": fs[0],
                     "judgement_reason": r.judgement_reason, "judgement_evidence": r.judgement_evidence,
                     "judged_by": r.judged_by, "judged_on": r.judged_on, "detail": detail or None})
    return pd.DataFrame(rows, columns=cols)
