"""Special rules of the 2024 procedure (教督厅函〔2024〕10号) on top of the 2017 method.

《县域义务教育优质均衡发展国家督导评估认定工作规程》 relaxes three checks; each is a standards
option (``procedure.*`` in ``analysis/data/standards/national.yaml``) that a jurisdiction may
switch off, and every application is named in the row it changes ("按2024年规程：…"):

* G3, schools built before 2016: the number of music and art rooms is checked, not their area
  (:func:`g3_area_rules`).
* G3, rural small schools whose largest class is under 30: the rooms need only be as large as
  the school's own ordinary classroom (:func:`g3_area_rules`).
* L5, centre-city schools: converted campus space and sports space rented by contract for
  school hours count as sports area (:func:`l5_extra_space`).

docs/procedure-2024.md quotes each rule with its source.

Examples
--------
>>> schools = pd.DataFrame({"year": 2024, "school_id": ["1", "2", "3"], "area_type": ["urban", "rural", "rural"],
...     "built_year": [2010, 2020, 2020], "ordinary_classroom_area_m2": [None, 52.0, 52.0],
...     "max_class_size": [None, 14, 40]})
>>> rules = g3_area_rules(schools, None, load_standards())
>>> rules["count_only"].tolist(), rules["area_standard"].tolist()
([True, False, False], [nan, 52.0, nan])
>>> rules["note"].tolist()[:2]
['按2024年规程：2016年前建成（2010年），只核数量，不限单间面积', '按2024年规程：乡村小规模学校（最大班额14人），专用教室面积不低于本校普通教室面积（52.0平方米）']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.indicators.common import fmt, to_bool, to_float
from analysis.indicators.parts import column_values
from analysis.standards import Standards, load_standards  # noqa: F401  (doctest)

RULE_PREFIX = "按2024年规程："


def largest_class(schools: pd.DataFrame, classes: pd.DataFrame | None) -> np.ndarray:
    """Students of each school's largest class: from the classes table when it has the
    school's classes, else the school's 最大班额 column (NaN when neither).

    >>> s = pd.DataFrame({"year": 2024, "school_id": ["1", "2"], "max_class_size": [20, 14]})
    >>> c = pd.DataFrame({"year": 2024, "school_id": ["1", "1"], "students": [31, 28]})
    >>> largest_class(s, c).tolist()
    [31.0, 14.0]
    """
    own = column_values(schools, "max_class_size")
    if classes is None or not len(classes) or not len(schools):
        return own
    mx = classes.assign(year=classes["year"].astype("int64"), _s=to_float(classes["students"])).groupby(
        ["year", "school_id"], sort=False, observed=True)["_s"].max()
    idx = pd.MultiIndex.from_arrays([schools["year"].astype("int64").to_numpy(),
                                     schools["school_id"].astype("object").to_numpy()])
    from_classes = mx.reindex(idx).to_numpy(dtype="float64")
    return np.where(np.isnan(from_classes), own, from_classes)


def g3_area_rules(schools: pd.DataFrame, classes: pd.DataFrame | None, std: Standards) -> pd.DataFrame:
    """Per school (rows of ``schools``): whether the G3 area check is waived (count only),
    the area standard replacing 96 / 90 m² (NaN: the national one) and the note."""
    n = len(schools)
    count_only = np.zeros(n, dtype=bool)
    area_std = np.full(n, np.nan)
    small = np.zeros(n, dtype=bool)
    notes = np.full(n, None, dtype=object)
    old = std.get("procedure.g3_count_only_built_before")
    built = column_values(schools, "built_year")
    if old["enabled"]:
        count_only = ~np.isnan(built) & (built < float(old["year"]))
        for i in np.flatnonzero(count_only):
            notes[i] = f"{RULE_PREFIX}{int(old['year'])}年前建成（{int(built[i])}年），只核数量，不限单间面积"
    rural = std.get("procedure.g3_small_rural_schools")
    if rural["enabled"] and n:
        area = schools["area_type"].astype("object").to_numpy() if "area_type" in schools else np.full(n, None)
        biggest = largest_class(schools, classes)
        small = np.isin(area, rural["area_types"]) & ~np.isnan(biggest) & (biggest < float(rural["max_class_size_below"]))
        ordinary = column_values(schools, "ordinary_classroom_area_m2")
        for i in np.flatnonzero(small & ~count_only):
            area_std[i] = ordinary[i]
            notes[i] = (f"{RULE_PREFIX}乡村小规模学校（最大班额{int(biggest[i])}人），专用教室面积不低于本校普通教室面积"
                        + (f"（{fmt(ordinary[i], 1)}平方米）" if not np.isnan(ordinary[i]) else "；普通教室面积缺失，未达96/90平方米时无法判断"))
    return pd.DataFrame({"count_only": count_only, "small_rural": small & ~count_only,
                         "area_standard": area_std, "note": notes})


def l5_extra_space(schools: pd.DataFrame | None, std: Standards) -> pd.DataFrame:
    """Sports space a centre-city school may add to L5 (m², per school) and the note.

    Converted campus space always counts; rented space counts only with a contract note when
    ``require_contract_note`` (the procedure requires a contract reserving school hours).

    >>> s = pd.DataFrame({"year": 2024, "school_id": ["1", "2", "3"], "is_central_city": [True, True, False],
    ...     "rented_sports_area_m2": [1200.0, 800.0, 500.0], "converted_sports_area_m2": [300.0, None, None],
    ...     "sports_space_contract_note": ["租赁合同2024-2027，上课时间专用", None, "合同"]})
    >>> out = l5_extra_space(s, load_standards())
    >>> out["extra_m2"].tolist()
    [1500.0, 0.0]
    >>> out["note"].tolist()[1]
    '按2024年规程：中心城区学校，租用场地800.0平方米无租赁合同说明，未计入'
    """
    cols = ["year", "school_id", "extra_m2", "note"]
    cfg = std.get("procedure.l5_central_city_space")
    if schools is None or not len(schools) or not cfg["enabled"] or "is_central_city" not in schools:
        return pd.DataFrame(columns=cols)
    central = to_bool(schools["is_central_city"], False)
    rented = np.nan_to_num(column_values(schools, "rented_sports_area_m2"))
    converted = np.nan_to_num(column_values(schools, "converted_sports_area_m2"))
    note_col = (schools["sports_space_contract_note"].astype("object").to_numpy()
                if "sports_space_contract_note" in schools else np.full(len(schools), None))
    has_contract = np.array([isinstance(x, str) and bool(x.strip()) for x in note_col], dtype=bool)
    rented_ok = np.where(has_contract | (not cfg["require_contract_note"]), rented, 0.0)
    keep = central & ((rented > 0) | (converted > 0))
    sub = schools.loc[keep]
    extra = (rented_ok + converted)[keep]
    notes = []
    for r, c, ok, txt in zip(rented[keep], converted[keep], rented_ok[keep], note_col[keep], strict=True):
        bits = []
        if c > 0:
            bits.append(f"计入改造体育活动空间{fmt(c, 1)}平方米")
        if r > 0 and ok > 0:
            bits.append(f"计入租用体育场地{fmt(r, 1)}平方米（{txt.strip()}）" if isinstance(txt, str) and txt.strip()
                        else f"计入租用体育场地{fmt(r, 1)}平方米")
        elif r > 0:
            bits.append(f"租用场地{fmt(r, 1)}平方米无租赁合同说明，未计入")
        notes.append(f"{RULE_PREFIX}中心城区学校，" + "；".join(bits))
    return pd.DataFrame({"year": sub["year"].astype("int64").to_numpy(), "school_id": sub["school_id"].astype("object").to_numpy(),
                         "extra_m2": extra, "note": notes}, columns=cols)


def add_l5_space(sections: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """Sections with the extra sports space added to ``sports_ground_area_m2`` (split by the
    section's facility share, as every shared facility is) and ``_l5_note`` set.

    >>> secs = pd.DataFrame({"year": 2024, "school_id": ["1", "1"], "section": ["primary", "junior"],
    ...     "facility_share": [0.6, 0.4], "sports_ground_area_m2": [3000.0, 2000.0]})
    >>> extra = pd.DataFrame({"year": [2024], "school_id": ["1"], "extra_m2": [1000.0], "note": ["按2024年规程：…"]})
    >>> add_l5_space(secs, extra)["sports_ground_area_m2"].tolist()
    [3600.0, 2400.0]
    """
    out = sections.copy()
    out["_l5_note"] = None
    if extra is None or not len(extra) or not len(out):
        return out
    idx = pd.MultiIndex.from_arrays([out["year"].astype("int64").to_numpy(), out["school_id"].astype("object").to_numpy()])
    e = extra.set_index(["year", "school_id"])
    pos = e.index.get_indexer(idx)
    hit = pos >= 0
    if not hit.any():
        return out
    if "facility_share" in out:
        share = to_float(out["facility_share"])
    else:
        share = np.full(len(out), np.nan)
    # hand-built sections without a share: split by students
    if np.isnan(share[hit]).any():
        st = np.nan_to_num(column_values(out, "students"))
        tot = pd.Series(st).groupby([out["year"].to_numpy(), out["school_id"].astype("object").to_numpy()]).transform("sum").to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(np.isnan(share), np.where(tot > 0, st / np.where(tot > 0, tot, 1), 1.0), share)
    add = np.where(hit, e["extra_m2"].to_numpy(dtype="float64")[np.maximum(pos, 0)] * share, 0.0)
    base = column_values(out, "sports_ground_area_m2")
    out["sports_ground_area_m2"] = np.where(hit, np.nan_to_num(base) + add, base)
    out.loc[hit, "_l5_note"] = e["note"].to_numpy(dtype=object)[pos[hit]]
    return out


def attach_rule_notes(values: pd.DataFrame, schools: pd.DataFrame, sections: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``rule_applied`` of out_resource_values (L5 rows) and out_resource_schools from the
    ``_l5_note`` of the sections (see :func:`add_l5_space`)."""
    values = values.copy()
    schools = schools.copy()
    values["rule_applied"] = None
    schools["rule_applied"] = None
    if "_l5_note" not in sections or not len(values) or not sections["_l5_note"].notna().any():
        return values, schools
    s = sections.loc[sections["_l5_note"].notna()]
    notes = dict(zip(zip(s["year"].astype("int64"), s["school_id"].astype("object"), s["section"].astype("object"),
                         strict=True), s["_l5_note"], strict=True))

    def lookup(frame: pd.DataFrame) -> list:
        return [notes.get((int(y), sid, sec)) for y, sid, sec in
                zip(frame["year"], frame["school_id"].astype("object"), frame["section"].astype("object"), strict=True)]

    v = lookup(values)
    values["rule_applied"] = np.where(values["indicator"].astype("object").to_numpy() == "L5", np.array(v, dtype=object), None)
    schools["rule_applied"] = lookup(schools)
    return values, schools
