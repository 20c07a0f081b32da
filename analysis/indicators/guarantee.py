"""Government guarantee (政府保障程度): the G indicators of ``analysis/data/indicators.yaml``.

Attested items (G1, G2, G10) come from core_attestations; the others are computed from
core_schools, core_classes, core_teachers and core_county_figures, per school where the
method says "every school" and per county otherwise. A county whose data cannot decide an
indicator gets status ``missing`` with the reason, never a crash.

Examples
--------
>>> keys = pd.DataFrame({"year": [2024], "county": ["万盛经开区"]})
>>> figures = pd.DataFrame({"county": ["万盛经开区"], "year": [2024], "hs_quota_total": [1400],
...                         "hs_quota_to_junior": [835]})
>>> row = g14_quota(keys, figures, load_standards("national"))
>>> round(float(row["value"].iloc[0]), 1), row["status"].iloc[0]
(59.6, 'met')
>>> g14_quota(keys, figures, load_standards("shanxi"))["status"].iloc[0]
'not_met'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.indicator_catalog import indicator
from analysis.indicators.common import (
    MISSING,
    ceil_count,
    fmt,
    ge,
    group_texts,
    key_positions,
    key_tuples,
    le,
    to_bool,
    to_float,
    tri,
)
from analysis.indicators.parts import (
    PartFrames,
    column_values,
    compulsory_students,
    rows_in_keys,
    school_type_codes,
    teachers_with_schools,  # noqa: F401  (doctest)
)
from analysis.indicators.procedure import g3_area_rules
from analysis.indicators.registry import evaluate_part, register
from analysis.indicators.rows import (
    aggregate_schools,
    county_rows,
    measure_rows,
    rate_rows,
    school_rows,
)
from analysis.standards import Standards, load_standards  # noqa: F401  (doctest)

# ---------------------------------------------------------------------------- G3


@register("G3")
def g3_music_art_rooms(keys: pd.DataFrame, schools: pd.DataFrame | None, std: Standards,
                       classes: pd.DataFrame | None = None) -> PartFrames:
    """Music and art rooms: ceil(classes / 12) of each, 96 / 90 m² per room.

    Only the total area of each kind is reported, so the per-room area is checked as the
    average per room (a necessary condition for every room to reach it). The 2024
    procedure's rules (:mod:`analysis.indicators.procedure`) waive the area for schools built
    before 2016 and lower it to the ordinary classroom for rural small schools; each
    application is named in the row's detail. Rooms and m² are separate shortfalls: the
    county gap counts rooms (间), the m² go to their own measure (``area_short_m2``).

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> res = g3_music_art_rooms(keys, inp["core_schools"], load_standards())
    >>> res.county[0]["status"].tolist(), res.schools[0]["measure"].unique().tolist()[:2]
    (['met'], ['music_rooms', 'music_room_area'])
    """
    res = PartFrames()
    cfg = std.get("guarantee.G3")
    if schools is None:
        res.county.append(county_rows(keys, "G3", None))
        return res
    scope = schools.loc[np.isin(school_type_codes(schools), cfg["school_types"])].reset_index(drop=True)
    p, j = column_values(scope, "classes_primary"), column_values(scope, "classes_junior")
    classes_n = np.where(np.isnan(p) & np.isnan(j), np.nan, np.nan_to_num(p) + np.nan_to_num(j))
    needed = ceil_count(classes_n / float(cfg["classes_per_room"]))
    rules = g3_area_rules(scope, classes, std)
    count_only = rules["count_only"].to_numpy(dtype=bool)
    own_std = rules["area_standard"].to_numpy(dtype="float64")
    small = rules["small_rural"].to_numpy(dtype=bool)
    rule_note = rules["note"].to_numpy(dtype=object)
    rows = []
    for kind, min_area in (("music", cfg["music_room_min_m2"]), ("art", cfg["art_room_min_m2"])):
        rooms = column_values(scope, f"{kind}_rooms")
        area = column_values(scope, f"{kind}_room_area_m2")
        met = ge(rooms, needed)
        word = "音乐" if kind == "music" else "美术"
        detail = [f"{fmt(c, 0)}个班，需{word}专用教室{fmt(nd, 0)}间，现有{fmt(r, 0)}间"
                  for c, nd, r in zip(classes_n, needed, rooms, strict=True)]
        rows.append(school_rows(scope, "G3", f"{kind}_rooms", value=rooms, standard=needed, is_met=met,
                                gap=np.where(met == 0.0, needed - rooms, np.nan), gap_unit="rooms",
                                unit="间", detail=detail))
        has_rooms = np.nan_to_num(rooms) > 0
        sub = scope.loc[has_rooms].reset_index(drop=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = area[has_rooms] / rooms[has_rooms]
        # the rural small-school rule only relaxes: a room reaching 96 / 90 m² passes anyway
        own = own_std[has_rooms]
        standard = np.where(small[has_rooms] & ~np.isnan(own), np.minimum(own, float(min_area)), float(min_area))
        a_met = ge(avg, standard)
        a_met = np.where(small[has_rooms] & np.isnan(own) & (a_met == 0.0), np.nan, a_met)
        a_met = np.where(count_only[has_rooms], 1.0, a_met)
        standard = np.where(count_only[has_rooms], np.nan, standard)
        gap = np.where(a_met == 0.0, standard * rooms[has_rooms] - area[has_rooms], np.nan)
        notes = rule_note[has_rooms]
        detail = [(f"{n}；" if isinstance(n, str) else "")
                  + f"{word}专用教室{fmt(r, 0)}间共{fmt(a, 1)}平方米，平均每间{fmt(v, 1)}平方米"
                  + ("" if isinstance(n, str) and co else "（仅有总面积，按平均面积判断）")
                  for r, a, v, n, co in zip(rooms[has_rooms], area[has_rooms], avg, notes, count_only[has_rooms], strict=True)]
        rows.append(school_rows(sub, "G3", f"{kind}_room_area", value=avg, standard=standard,
                                is_met=a_met, gap=gap, gap_unit="m2", unit="平方米/间", detail=detail))
    frame = pd.concat(rows, ignore_index=True)
    res.schools.append(frame)
    # the county gap counts rooms only; m² are a separate measure (never added to rooms)
    is_rooms = frame["measure"].isin(["music_rooms", "art_rooms"]).to_numpy()
    county = aggregate_schools(keys, "G3", frame.assign(gap=np.where(is_rooms, frame["gap"], 0.0)), gap_unit="rooms")
    failed = frame["is_met"].astype("boolean").fillna(True).to_numpy() == False  # noqa: E712
    tmp = pd.DataFrame({"year": frame["year"].astype("int64").to_numpy(), "county": frame["county"].astype("object").to_numpy(),
                        "music": np.where(failed & (frame["measure"] == "music_rooms").to_numpy(), to_float(frame["gap"]), 0.0),
                        "art": np.where(failed & (frame["measure"] == "art_rooms").to_numpy(), to_float(frame["gap"]), 0.0),
                        "m2": np.where(failed & ~is_rooms, to_float(frame["gap"]), 0.0)})
    agg = tmp.groupby(["year", "county"], sort=True).sum().reset_index()
    if len(agg):
        res.measures += [
            measure_rows(agg, "G3", "music_rooms_short", value=agg["music"], standard=0, unit="间"),
            measure_rows(agg, "G3", "art_rooms_short", value=agg["art"], standard=0, unit="间"),
            measure_rows(agg, "G3", "rooms_short", value=agg["music"] + agg["art"], standard=0, unit="间"),
            measure_rows(agg, "G3", "area_short_m2", value=agg["m2"], standard=0, unit="平方米"),
        ]
        texts = {(int(y), c): f"缺音乐专用教室{fmt(a, 0)}间、美术专用教室{fmt(b, 0)}间；专用教室面积缺口{fmt(m, 1)}平方米（另计，不折算为间）"
                 for y, c, a, b, m in zip(agg["year"], agg["county"], agg["music"], agg["art"], agg["m2"], strict=True)
                 if a or b or m}
        notes_n = int(sum(isinstance(x, str) for x in rule_note))
        county = county.copy()
        for i, (y, c) in enumerate(zip(county["year"], county["county"], strict=True)):
            extra = texts.get((int(y), c))
            if extra:
                county.loc[i, "detail"] = f"{county.loc[i, 'detail']}；{extra}"
            if notes_n:
                n_here = int(sum(isinstance(x, str) for x, yy, cc in zip(rule_note, scope["year"], scope["county"], strict=True)
                                 if int(yy) == int(y) and cc == c))
                if n_here:
                    county.loc[i, "detail"] = f"{county.loc[i, 'detail']}；按2024年规程特殊规定核定{n_here}所"
    res.county.append(county)
    return res


# ---------------------------------------------------------------------------- G4


@register("G4")
def g4_school_size(keys: pd.DataFrame, schools: pd.DataFrame | None, std: Standards) -> PartFrames:
    """School size: compulsory-part students against the cap of the school type.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> g4_school_size(keys, inp["core_schools"], load_standards()).county[0][["n_schools", "status"]].values.tolist()
    [[3, 'met']]
    """
    res = PartFrames()
    if schools is None:
        res.county.append(county_rows(keys, "G4", None))
        return res
    caps = std.get("guarantee.G4.max_students")
    types = school_type_codes(schools)
    scope = schools.loc[np.isin(types, list(caps))].reset_index(drop=True)
    cap = np.array([float(caps[t]) for t in school_type_codes(scope)]) if len(scope) else np.zeros(0)
    students = compulsory_students(scope)
    met = le(students, cap)
    detail = [f"义务教育阶段在校生{fmt(s, 0)}人，上限{fmt(c, 0)}人" for s, c in zip(students, cap, strict=True)]
    frame = school_rows(scope, "G4", "school_size", value=students, standard=cap, is_met=met,
                        gap=np.where(met == 0.0, students - cap, np.nan), gap_unit="students",
                        unit="人", detail=detail)
    res.schools.append(frame)
    res.county.append(aggregate_schools(keys, "G4", frame, gap_unit="students"))
    return res


# ---------------------------------------------------------------------------- G5


def class_band(size: np.ndarray, edges: dict[str, float]) -> np.ndarray:
    """Class-size band code of each class size (normal / above_normal / large / very_large).

    >>> class_band(np.array([45, 46, 56, 66, np.nan]), {"normal": 45, "above_normal": 55, "large": 65}).tolist()
    ['normal', 'above_normal', 'large', 'very_large', None]
    """
    size = np.asarray(size, dtype="float64")
    out = np.where(size <= edges["normal"], "normal",
                   np.where(size <= edges["above_normal"], "above_normal",
                            np.where(size <= edges["large"], "large", "very_large"))).astype(object)
    return np.where(np.isnan(size), None, out)


def extra_classrooms(cls: pd.DataFrame, size: np.ndarray, cap: np.ndarray, over: np.ndarray) -> pd.Series:
    """Classrooms to add per (year, school_id, section) so that no class is over the cap:
    per grade with a class over the cap, ceil(grade students / cap) − classes of the grade
    (the grade's students redistributed); classes without a grade alone (ceil(size / cap) − 1).

    >>> cls = pd.DataFrame({"year": 2024, "school_id": "1", "section": "primary", "grade": [1, 1, 2],
    ...                     "students": [50, 46, 40]})
    >>> size = cls["students"].to_numpy(dtype=float)
    >>> extra_classrooms(cls, size, np.full(3, 45.0), size > 45).tolist()
    [1.0]
    """
    grade = to_float(cls["grade"]) if "grade" in cls else np.full(len(cls), np.nan)
    tmp = pd.DataFrame({"year": cls["year"].astype("int64").to_numpy(), "school_id": cls["school_id"].astype("object").to_numpy(),
                        "section": cls["section"].astype("object").to_numpy(),
                        "grade": np.where(np.isnan(grade), -np.arange(1, len(cls) + 1), grade),
                        "size": np.nan_to_num(size), "cap": cap, "over": over, "n": 1})
    g = tmp.groupby(["year", "school_id", "section", "grade"], sort=True).agg(
        size=("size", "sum"), cap=("cap", "first"), over=("over", "any"), n=("n", "sum")).reset_index()
    g["extra"] = np.where(g["over"], np.maximum(ceil_count(g["size"].to_numpy() / g["cap"].to_numpy()) - g["n"], 0.0), 0.0)
    return g.groupby(["year", "school_id", "section"], sort=True)["extra"].sum()


@register("G5")
def g5_class_size(
    keys: pd.DataFrame, classes: pd.DataFrame | None, schools: pd.DataFrame | None, std: Standards
) -> PartFrames:
    """Class size: every primary class <= 45, every junior class <= 50.

    Per school section: classes over the cap and the students above it (section-level
    shortfalls); every class over the cap (out_class_excess); county bands.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> res = g5_class_size(keys, inp["core_classes"], inp["core_schools"], load_standards())
    >>> res.county[0]["status"].tolist(), len(res.class_excess[0])
    (['met'], 0)
    """
    res = PartFrames()
    if classes is None or schools is None:
        res.county.append(county_rows(keys, "G5", None))
        return res
    cfg = std.get("guarantee.G5")
    caps = cfg["max_class_size"]
    info_cols = [c for c in ("year", "school_id", "county", "school_name", "school_type", "area_type") if c in schools]
    sch = schools[info_cols].assign(year=schools["year"].astype("int64"))
    cls = classes.loc[classes["section"].astype("object").isin(list(caps))]
    cls = cls.assign(year=cls["year"].astype("int64")).merge(sch, on=["year", "school_id"], how="inner")
    cap = cls["section"].astype("object").map({k: float(v) for k, v in caps.items()}).to_numpy(dtype="float64")
    size = to_float(cls["students"])
    met = le(size, cap)
    over = met == 0.0
    band = class_band(size, cfg["band_edges"])
    excess = cls.loc[over, ["year", "county", "school_id", "school_name", "section", "grade", "class_name", "students"]].copy()
    excess["standard"] = cap[over]
    excess["gap"] = size[over] - cap[over]
    excess["class_size_band"] = band[over]
    res.class_excess.append(excess.reset_index(drop=True))

    # per school section: shortfall rows where a class is over the cap
    tmp = pd.DataFrame({"year": cls["year"].to_numpy(), "school_id": cls["school_id"].to_numpy(),
                        "section": cls["section"].astype("object").to_numpy(), "over": over,
                        "unknown": np.isnan(size), "excess": np.where(over, size - cap, 0.0),
                        "size": size, "cap": cap})
    per = tmp.groupby(["year", "school_id", "section"], sort=True).agg(
        n=("over", "size"), n_over=("over", "sum"), unknown=("unknown", "any"),
        excess=("excess", "sum"), max_size=("size", "max"), cap=("cap", "first")).reset_index()
    per = per.merge(sch, on=["year", "school_id"], how="left")
    short = per.loc[per["n_over"] > 0].reset_index(drop=True)
    if len(short):
        sf = short[["year", "county", "school_id", "school_name", "section", "school_type", "area_type"]].copy()
        sf["indicator"] = "G5"
        sf["measure"] = "class_size"
        sf["value"] = short["max_size"].to_numpy(dtype="float64")
        sf["standard"] = short["cap"].to_numpy(dtype="float64")
        sf["ratio_to_standard"] = sf["value"] / sf["standard"]
        sf["gap"] = short["excess"].to_numpy(dtype="float64")
        sf["gap_to_pass"] = np.nan
        sf["gap_unit"] = "students"
        sf["is_blocking"] = pd.array([True] * len(sf), dtype="boolean")
        extra = extra_classrooms(cls, size, cap, over)
        ex = extra.reindex(pd.MultiIndex.from_frame(short[["year", "school_id", "section"]])).to_numpy(dtype="float64")
        ex = np.nan_to_num(ex)
        sf["detail"] = [f"{int(o)}个班超过{fmt(c, 0)}人，最大班额{fmt(m, 0)}人，共超出{fmt(e, 0)}人；分班化解需增加教室{fmt(x, 0)}间"
                        for o, c, m, e, x in zip(short["n_over"], short["cap"], short["max_size"], short["excess"], ex, strict=True)]
        # the same shortfall in its other units: classes over the cap, classrooms to split them
        n_over = short["n_over"].to_numpy(dtype="float64")
        sf_classes = sf.assign(measure="classes_over_cap", value=n_over, standard=0.0, ratio_to_standard=np.nan,
                               gap=n_over, gap_unit="classes",
                               detail=[f"{int(o)}个班超过班额上限{fmt(c, 0)}人" for o, c in zip(n_over, short["cap"], strict=True)])
        sf_rooms = sf.assign(measure="extra_classrooms", value=ex, standard=0.0, ratio_to_standard=np.nan,
                             gap=ex, gap_unit="rooms",
                             detail=[f"按年级重新分班，需增加{fmt(x, 0)}个班（教室{fmt(x, 0)}间）" for x in ex])
        res.shortfalls += [sf, sf_classes, sf_rooms]

    # per school (all its sections): met when no class is over the cap
    scope_types = list(cfg["school_types"])
    in_scope = schools.loc[np.isin(school_type_codes(schools), scope_types) & (np.nan_to_num(compulsory_students(schools)) > 0)]
    by_school = tmp.groupby(["year", "school_id"], sort=True).agg(
        n_over=("over", "sum"), unknown=("unknown", "any"), excess=("excess", "sum"),
        max_size=("size", "max"), n=("over", "size")).reset_index()
    scope = in_scope.assign(year=in_scope["year"].astype("int64")).merge(by_school, on=["year", "school_id"], how="left")
    no_rows = scope["n"].isna().to_numpy()
    n_over = scope["n_over"].fillna(0).to_numpy(dtype="float64")
    school_met = np.where(no_rows, np.nan, np.where(n_over > 0, 0.0, np.where(scope["unknown"].fillna(False).to_numpy(dtype=bool), np.nan, 1.0)))
    detail = ["无班级数据" if nr else f"{int(n)}个班，{int(o)}个班超过班额上限，最大班额{fmt(m, 0)}人"
              for nr, n, o, m in zip(no_rows, scope["n"].fillna(0), n_over, scope["max_size"], strict=True)]
    frame = school_rows(scope, "G5", "class_size", value=scope["max_size"].to_numpy(dtype="float64"),
                        standard=np.nan, is_met=school_met,
                        gap=np.where(school_met == 0.0, scope["excess"].to_numpy(dtype="float64"), np.nan),
                        gap_unit="students", unit="人", detail=detail)
    county = aggregate_schools(keys, "G5", frame, gap_unit="students")
    res.county.append(county)
    res.schools.append(frame)

    # county measures: classes, over cap, bands
    cc = pd.DataFrame({"year": cls["year"].to_numpy(), "county": cls["county"].astype("object").to_numpy(),
                       "over": over, "band": band, "size": size})
    if len(cc):
        agg = cc.groupby(["year", "county"], sort=True).agg(
            classes=("over", "size"), over=("over", "sum"), max_size=("size", "max")).reset_index()
        bands = pd.crosstab([cc["year"], cc["county"]], cc["band"]).reset_index()
        agg = agg.merge(bands, on=["year", "county"], how="left")
        with np.errstate(invalid="ignore", divide="ignore"):
            pct = 100.0 * agg["over"].to_numpy(dtype="float64") / agg["classes"].to_numpy(dtype="float64")
        res.measures += [
            measure_rows(agg, "G5", "classes", value=agg["classes"], unit="个"),
            measure_rows(agg, "G5", "classes_over_cap", value=agg["over"], standard=0, unit="个",
                         is_met=np.where(agg["over"].to_numpy() > 0, 0.0, 1.0)),
            measure_rows(agg, "G5", "class_over_cap_pct", value=pct, unit="%",
                         numerator=agg["over"], denominator=agg["classes"]),
            measure_rows(agg, "G5", "class_size", value=agg["max_size"], unit="人"),
        ]
        ex = extra_classrooms(cls, size, cap, over).reset_index()
        if len(ex):
            ex = ex.merge(sch[["year", "school_id", "county"]], on=["year", "school_id"], how="left")
            per_c = ex.groupby(["year", "county"], sort=True)["extra"].sum()
            vals = per_c.reindex(pd.MultiIndex.from_frame(agg[["year", "county"]])).fillna(0).to_numpy(dtype="float64")
            res.measures.append(measure_rows(agg, "G5", "extra_classrooms", value=vals, standard=0, unit="间"))
        for b in ("normal", "above_normal", "large", "very_large"):
            vals = agg[b].fillna(0).to_numpy(dtype="float64") if b in agg else np.zeros(len(agg))
            res.measures.append(measure_rows(agg, "G5", f"band_{b}", value=vals, unit="个"))
    return res


# ---------------------------------------------------------------------------- G6, G7


@register("G6")
def g6_small_school_funds(keys: pd.DataFrame, schools: pd.DataFrame | None, std: Standards) -> PartFrames:
    """Village schools and teaching points under 100 students funded as 100 students.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> g6_small_school_funds(keys, inp["core_schools"], load_standards()).county[0]["status"].tolist()
    ['not_applicable']
    """
    res = PartFrames()
    if schools is None:
        res.county.append(county_rows(keys, "G6", None))
        return res
    cfg = std.get("guarantee.G6")
    types = school_type_codes(schools)
    area = schools["area_type"].astype("object").to_numpy() if "area_type" in schools else np.full(len(schools), None)
    students = compulsory_students(schools)
    funded = float(cfg["funded_students"])
    in_scope = ((np.isin(types, cfg["school_types"]) & np.isin(area, cfg["area_types"]))
                | np.isin(types, cfg["any_area_types"])) & (students < funded)
    scope = schools.loc[in_scope].reset_index(drop=True)
    rate = cfg["per_student_yuan"]
    p = np.nan_to_num(column_values(scope, "students_primary"))
    j = np.nan_to_num(column_values(scope, "students_junior"))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_student = np.where(p + j > 0, (p * rate["primary"] + j * rate["junior"]) / (p + j), float(rate["primary"]))
    required = funded * per_student
    budget = column_values(scope, "public_funds_budget_yuan")
    met = ge(budget, required)
    detail = [f"在校生{fmt(s, 0)}人，按{fmt(funded, 0)}人核定公用经费应不少于{fmt(r, 0)}元，预算{fmt(b, 0)}元"
              for s, r, b in zip(compulsory_students(scope), required, budget, strict=True)]
    frame = school_rows(scope, "G6", "public_funds", value=budget, standard=required, is_met=met,
                        gap=np.where(met == 0.0, required - budget, np.nan), gap_unit="yuan", unit="元",
                        detail=detail)
    res.schools.append(frame)
    res.county.append(aggregate_schools(keys, "G6", frame, gap_unit="yuan",
                                        not_applicable_detail="无不足100名学生的村小学和教学点（不适用）"))
    return res


@register("G7")
def g7_special_school_funds(
    keys: pd.DataFrame, schools: pd.DataFrame | None, figures: pd.DataFrame | None, std: Standards
) -> PartFrames:
    """Special-school public funds per student >= 6000 元.

    Per special school (budget ÷ students) where core_schools has the figures; otherwise
    the county's reported per-student figure.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> g7_special_school_funds(keys, inp["core_schools"], inp["core_county_figures"], load_standards()
    ...                         ).county[0][["value", "status"]].values.tolist()
    [[6000.0, 'met']]
    """
    res = PartFrames()
    minimum = float(std.get("guarantee.G7.min_per_student_yuan"))
    parts: list[pd.DataFrame] = []
    if schools is not None:
        sp = schools.loc[school_type_codes(schools) == "special"].reset_index(drop=True)
        students = compulsory_students(sp) + np.nan_to_num(column_values(sp, "students_senior"))
        budget = column_values(sp, "public_funds_budget_yuan")
        with np.errstate(invalid="ignore", divide="ignore"):
            per = np.where(students > 0, budget / np.where(students > 0, students, 1.0), np.nan)
        met = ge(per, minimum)
        detail = [f"公用经费{fmt(b, 0)}元，学生{fmt(s, 0)}人，生均{fmt(v, 0)}元" for b, s, v in zip(budget, students, per, strict=True)]
        frame = school_rows(sp, "G7", "funds_per_student", value=per, standard=minimum, is_met=met,
                            gap=np.where(met == 0.0, (minimum - per) * students, np.nan), gap_unit="yuan",
                            unit="元", detail=detail)
        res.schools.append(frame)
        known = ~np.isnan(per)
        if known.any():
            tmp = pd.DataFrame({"year": sp["year"].astype("int64").to_numpy(), "county": sp["county"].astype("object").to_numpy(),
                                "budget": np.where(known, budget, 0.0), "students": np.where(known, students, 0.0),
                                "fail": met == 0.0, "unknown": ~known, "gap": np.where(met == 0.0, (minimum - per) * students, 0.0),
                                "n": 1})
            agg = tmp.groupby(["year", "county"], sort=True).sum(numeric_only=True).reset_index()
            agg = agg.loc[agg["students"] > 0].reset_index(drop=True)
            fail = agg["fail"].to_numpy() > 0
            unknown = agg["unknown"].to_numpy() > 0
            value = agg["budget"].to_numpy(dtype="float64") / agg["students"].to_numpy(dtype="float64")
            data = agg[["year", "county"]].copy()
            data["value"] = value
            data["standard"] = minimum
            data["numerator"] = agg["budget"].to_numpy(dtype="float64")
            data["denominator"] = agg["students"].to_numpy(dtype="float64")
            data["n_schools"] = agg["n"].to_numpy(dtype="int64")
            data["n_schools_met"] = (agg["n"] - agg["fail"] - agg["unknown"]).to_numpy(dtype="int64")
            data["is_met"] = pd.arrays.BooleanArray(~fail, ~fail & unknown)
            data["gap"] = np.where(fail, agg["gap"].to_numpy(dtype="float64"), np.nan)
            data["gap_unit"] = np.where(fail, "yuan", None)
            data["detail"] = [f"特殊教育学校{int(n)}所，公用经费合计{fmt(b, 0)}元，学生{fmt(st, 0)}人，生均{fmt(v, 0)}元"
                              for n, b, st, v in zip(agg["n"], data["numerator"], data["denominator"], value, strict=True)]
            parts.append(data)
    fig = rows_in_keys(figures, keys)
    if fig is not None:
        per = column_values(fig, "special_school_funds_per_student_yuan")
        funds, students = column_values(fig, "special_school_public_funds_yuan"), column_values(fig, "special_school_students")
        with np.errstate(invalid="ignore", divide="ignore"):
            from_total = np.where(students > 0, funds / np.where(students > 0, students, 1.0), np.nan)
        v = np.where(np.isnan(per), from_total, per)
        texts = [_g7_figure_text(p, f, st) for p, f, st in zip(per, funds, students, strict=True)]
        keep = ~np.isnan(v)
        if parts:  # counties decided from their schools keep that figure; the county's is noted
            pos = key_positions(parts[0], fig)
            noted = [f"；县级填报{texts[i]}（未采用，以学校数据为准）" if i >= 0 and keep[i] else "" for i in pos]
            parts[0]["detail"] = [d + n for d, n in zip(parts[0]["detail"], noted, strict=True)]
            keep &= key_positions(fig, parts[0]) < 0
        if keep.any():
            f = fig.loc[keep, ["year", "county"]].reset_index(drop=True)
            f["value"] = v[keep]
            f["standard"] = minimum
            f["numerator"] = np.where(np.isnan(per[keep]), funds[keep], np.nan)
            f["denominator"] = np.where(np.isnan(per[keep]), students[keep], np.nan)
            met = ge(v[keep], minimum)
            f["is_met"] = tri(met)
            gap = np.where(np.isnan(per[keep]), (minimum - v[keep]) * students[keep], np.nan)
            f["gap"] = np.where(met == 0.0, gap, np.nan)
            f["gap_unit"] = np.where((met == 0.0) & ~np.isnan(gap), "yuan", None)
            f["detail"] = [f"县级填报{t}" for t, k in zip(texts, keep, strict=True) if k]
            parts.append(f)
    data = pd.concat(parts, ignore_index=True) if parts else None
    res.county.append(county_rows(keys, "G7", data, missing_detail=indicator("G7").missing_detail))
    return res


def _g7_figure_text(per: float, funds: float, students: float) -> str:
    """The county's G7 figure in words (per student as given, or total ÷ students).

    >>> _g7_figure_text(np.nan, 1_080_000.0, 180.0)
    '特殊教育公用经费108.00万元 ÷ 特殊教育学生180人 = 生均6000元'
    >>> _g7_figure_text(6000.0, np.nan, np.nan)
    '特殊教育学校生均公用经费6000元'
    """
    if not np.isnan(per):
        return f"特殊教育学校生均公用经费{fmt(per, 0)}元"
    with np.errstate(invalid="ignore", divide="ignore"):
        v = funds / students if students > 0 else np.nan
    return f"特殊教育公用经费{fmt(funds / 1e4, 2)}万元 ÷ 特殊教育学生{fmt(students, 0)}人 = 生均{fmt(v, 0)}元"


# ---------------------------------------------------------------------------- G8


@register("G8")
def g8_teacher_pay(keys: pd.DataFrame, figures: pd.DataFrame | None, std: Standards) -> pd.DataFrame:
    """Teachers' average pay >= local civil servants' average pay.

    >>> keys = pd.DataFrame({"year": [2023], "county": ["万盛经开区"]})
    >>> fig = pd.DataFrame({"county": ["万盛经开区"], "year": [2023],
    ...     "teacher_avg_salary_yuan": [154203.0], "civil_servant_avg_salary_yuan": [153549.0]})
    >>> g8_teacher_pay(keys, fig, load_standards())[["value", "status"]].values.tolist()
    [[154203.0, 'met']]
    """
    fig = rows_in_keys(figures, keys)
    ratio = float(std.get("guarantee.G8.min_ratio_to_civil_servants"))
    if fig is None or "teacher_avg_salary_yuan" not in fig:
        return county_rows(keys, "G8", None, missing_detail=indicator("G8").missing_detail)
    # a county-figures row that gives other figures only (G9, Q2 …) says nothing about pay
    fig = fig.loc[fig["teacher_avg_salary_yuan"].notna()
                  | (fig["civil_servant_avg_salary_yuan"].notna() if "civil_servant_avg_salary_yuan" in fig else False)]
    fig = fig.reset_index(drop=True)
    t = to_float(fig["teacher_avg_salary_yuan"])
    c = to_float(fig["civil_servant_avg_salary_yuan"]) if "civil_servant_avg_salary_yuan" in fig else np.full(len(fig), np.nan)
    standard = c * ratio
    met = ge(t, standard)
    data = pd.DataFrame({"year": fig["year"].to_numpy(), "county": fig["county"].to_numpy()})
    data["value"] = t
    data["standard"] = standard
    data["numerator"] = t
    data["denominator"] = c
    data["is_met"] = tri(met)
    data["gap"] = np.where(met == 0.0, standard - t, np.nan)
    data["gap_unit"] = np.where(met == 0.0, "yuan_per_teacher", None)
    data["detail"] = [f"教师年平均工资{fmt(a / 1e4, 4)}万元，公务员年平均工资{fmt(b / 1e4, 4)}万元，差额{fmt((a - b) / 1e4, 4)}万元"
                      for a, b in zip(t, c, strict=True)]
    return county_rows(keys, "G8", data, missing_detail=indicator("G8").missing_detail)


# ---------------------------------------------------------------------------- G9, G12


def _teacher_share(
    keys: pd.DataFrame,
    teachers: pd.DataFrame | None,
    schools: pd.DataFrame | None,
    indicator: str,
    measure: str,
    ok: np.ndarray | None,
    min_share_pct: float,
    what: str,
) -> PartFrames:
    """Share of teachers satisfying ``ok`` (1/0/NaN per teacher), per school and county."""
    res = PartFrames()
    if teachers is None or schools is None or ok is None:
        res.county.append(county_rows(keys, indicator, None))
        return res
    t = teachers
    tmp = pd.DataFrame({"year": t["year"].to_numpy(), "county": t["county"].astype("object").to_numpy(),
                        "school_id": t["school_id"].to_numpy(), "ok": ok == 1.0, "no": ok == 0.0,
                        "unknown": np.isnan(ok)})
    per = tmp.groupby(["year", "county", "school_id"], sort=True).agg(
        n=("ok", "size"), ok=("ok", "sum"), no=("no", "sum"), unknown=("unknown", "sum")).reset_index()
    info_cols = [c for c in ("year", "school_id", "school_name", "school_type", "area_type") if c in schools]
    per = per.merge(schools[info_cols].assign(year=schools["year"].astype("int64")), on=["year", "school_id"], how="left")
    known = (per["ok"] + per["no"]).to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(known > 0, 100.0 * per["ok"].to_numpy(dtype="float64") / np.where(known > 0, known, 1.0), np.nan)
    met = ge(share, min_share_pct)
    met = np.where((met == 1.0) & (per["unknown"].to_numpy() > 0), np.nan, met)
    gap_s = np.maximum(ceil_count(min_share_pct / 100.0 * known - per["ok"].to_numpy(dtype="float64")), 0.0)
    detail = [f"专任教师{int(n)}人，{what}{int(o)}人" + (f"，{int(u)}人无数据" if u else "")
              for n, o, u in zip(per["n"], per["ok"], per["unknown"], strict=True)]
    frame = school_rows(per, indicator, measure, value=share, standard=min_share_pct, is_met=met,
                        gap=np.where(met == 0.0, gap_s, np.nan), gap_unit="teachers", unit="%", detail=detail)
    res.schools.append(frame)

    county = tmp.groupby(["year", "county"], sort=True).agg(
        n=("ok", "size"), ok=("ok", "sum"), no=("no", "sum"), unknown=("unknown", "sum")).reset_index()
    k = (county["ok"] + county["no"]).to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(k > 0, 100.0 * county["ok"].to_numpy(dtype="float64") / np.where(k > 0, k, 1.0), np.nan)
    cmet = ge(value, min_share_pct)
    cmet = np.where((cmet == 1.0) & (county["unknown"].to_numpy() > 0), np.nan, cmet)
    gap = np.maximum(ceil_count(min_share_pct / 100.0 * k - county["ok"].to_numpy(dtype="float64")), 0.0)
    data = pd.DataFrame({"year": county["year"], "county": county["county"], "value": value,
                         "standard": float(min_share_pct), "numerator": county["ok"].astype("float64"),
                         "denominator": k, "is_met": tri(cmet),
                         "gap": np.where(cmet == 0.0, gap, np.nan),
                         "gap_unit": np.where(cmet == 0.0, "teachers", None)})
    sch_all = frame[["year", "county"]].assign(
        n_schools=1, n_schools_met=frame["is_met"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    ).groupby(["year", "county"], sort=True).sum().reset_index()
    data = data.merge(sch_all, on=["year", "county"], how="left")
    data["detail"] = [f"专任教师{int(n)}人，{what}{int(o)}人（{fmt(v, 1, '%')}）" + (f"；{int(u)}人无数据，待核实" if u else "")
                      for n, o, v, u in zip(county["n"], county["ok"], value, county["unknown"], strict=True)]
    res.county.append(county_rows(keys, indicator, data, missing_detail=f"{MISSING}：无教师名册"))
    return res


def with_county_figure(
    res: PartFrames,
    keys: pd.DataFrame,
    figures: pd.DataFrame | None,
    indicator: str,
    numerator: str,
    denominator: str,
    min_share_pct: float,
    describe: str,
    gap_unit: str = "teachers",
) -> PartFrames:
    """Add the county's own figure (numerator ÷ denominator of core_county_figures) to a
    roster-based share indicator: counties without a roster take the county figure; where
    both exist the roster wins and the county figure is noted in the detail.

    ``describe`` is a format string with ``{num}``, ``{den}`` and ``{rate}``.

    >>> keys = pd.DataFrame({"year": [2024], "county": ["万盛经开区"]})
    >>> fig = pd.DataFrame({"county": ["万盛经开区"], "year": [2024], "full_time_teachers": [1493],
    ...                     "certified_full_time_teachers": [1493]})
    >>> res = PartFrames(county=[county_rows(keys, "G12", None)])
    >>> out = with_county_figure(res, keys, fig, "G12", "certified_full_time_teachers", "full_time_teachers",
    ...                          100, "专任教师{den}人，持证{num}人（{rate}）")
    >>> out.county[0][["value", "status", "is_attested", "detail"]].values.tolist()
    [[100.0, 'met', False, '县级填报：专任教师1493人，持证1493人（100.0%）']]
    """
    fig = rows_in_keys(figures, keys)
    if fig is None or numerator not in fig or denominator not in fig:
        return res
    fig = fig.loc[fig[numerator].notna() & fig[denominator].notna()].reset_index(drop=True)
    if not len(fig):
        return res
    num, den = to_float(fig[numerator]), to_float(fig[denominator])
    data = rate_rows(fig, num, den, min_share_pct, gap_unit=gap_unit, describe="县级填报：" + describe,
                     zero_denominator="missing")
    over = num > den
    if over.any():
        data.loc[over, "detail"] = data.loc[over, "detail"] + "（分子大于分母，请核实）"
    from_fig = county_rows(keys, indicator, data)
    current = res.county[0] if res.county else county_rows(keys, indicator, None)
    texts = current["detail"].astype("object").to_numpy()
    roster = np.array([isinstance(t, str) and not t.startswith(MISSING) for t in texts], dtype=bool)
    has_fig = key_positions(keys, fig) >= 0
    out = current.copy()
    take = has_fig & ~roster
    out.loc[take] = from_fig.loc[take].to_numpy()
    note = has_fig & roster
    if note.any():
        fig_text = from_fig["detail"].astype("object").to_numpy()
        out.loc[note, "detail"] = [f"{d}；{f}（未采用，以教师名册为准）" for d, f in zip(texts[note], fig_text[note], strict=True)]
    out = out.astype(current.dtypes.to_dict())
    res.county = [out, *res.county[1:]]
    return res


@register("G9")
def g9_training(keys, teachers, schools, std: Standards, figures: pd.DataFrame | None = None) -> PartFrames:
    """Teachers who completed 360 training hours in 5 years (100 %).

    From the roster (per school and county); a county without a roster may give its own
    counts (training_teachers, training_completed_teachers of core_county_figures).

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> t = teachers_with_schools(inp["core_teachers"], inp["core_schools"])
    >>> g9_training(keys, t, inp["core_schools"], load_standards()).county[0][["value", "status"]].values.tolist()
    [[100.0, 'met']]
    """
    cfg = std.get("guarantee.G9")
    ok = None
    if teachers is not None and "training_hours_5y" in teachers:
        ok = ge(to_float(teachers["training_hours_5y"]), float(cfg["min_hours_5y"]))
    hours = fmt(cfg["min_hours_5y"], 0)
    res = _teacher_share(keys, teachers, schools, "G9", "training_completion", ok,
                         float(cfg["min_share_pct"]), f"完成{hours}学时培训")
    return with_county_figure(res, keys, figures, "G9", "training_completed_teachers", "training_teachers",
                              float(cfg["min_share_pct"]),
                              f"义务教育阶段学校教师{{den}}人，完成5年{hours}学时培训{{num}}人（{{rate}}）")


@register("G12")
def g12_certificates(keys, teachers, schools, std: Standards, figures: pd.DataFrame | None = None) -> PartFrames:
    """Full-time teachers holding a teaching certificate (100 %).

    From the roster; a county without a roster may give its own counts
    (full_time_teachers, certified_full_time_teachers of core_county_figures).

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> t = teachers_with_schools(inp["core_teachers"], inp["core_schools"])
    >>> g12_certificates(keys, t, inp["core_schools"], load_standards()).county[0]["status"].tolist()
    ['met']
    """
    ok = None
    if teachers is not None and "has_teacher_certificate" in teachers:
        b = teachers["has_teacher_certificate"].astype("boolean")
        ok = np.where(b.isna(), np.nan, b.fillna(False).astype(float))
    minimum = float(std.get("guarantee.G12.min_share_pct"))
    res = _teacher_share(keys, teachers, schools, "G12", "certificate_share", ok, minimum, "持有教师资格证")
    return with_county_figure(res, keys, figures, "G12", "certified_full_time_teachers", "full_time_teachers",
                              minimum, "专任教师{den}人，持有教师资格证{num}人（{rate}）")


# ---------------------------------------------------------------------------- G11


def exchange_gap(eligible, exchanged, backbone, min_pct: float, min_backbone_pct: float):
    """Fewest extra exchanges (of backbone teachers) that meet both G11 conditions.

    Adding k backbone exchanges: (e + k) / E >= r1 and (b + k) / (e + k) >= r2, so
    k = max(ceil(r1·E − e), ceil((r2·e − b) / (1 − r2))), at least 0. Works on scalars and
    on arrays (one value per county).

    >>> exchange_gap(449, 40, 5, 10, 20), exchange_gap(449, 123, 49, 10, 20)
    (5.0, 0.0)
    >>> exchange_gap(np.array([449, 100]), np.array([40, 10]), np.array([5, 0]), 10, 20).tolist()
    [5.0, 3.0]
    """
    r1, r2 = min_pct / 100.0, min_backbone_pct / 100.0
    e_all, e, b = (np.asarray(x, dtype="float64") for x in (eligible, exchanged, backbone))
    k1 = ceil_count(r1 * e_all - e)
    k2 = ceil_count((r2 * e - np.nan_to_num(b)) / (1.0 - r2)) if r2 < 1 else np.full_like(k1, np.inf)
    out = np.maximum(0.0, np.maximum(k1, k2))
    return float(out) if out.ndim == 0 else out


@register("G11")
def g11_exchange(keys, figures, teachers, std: Standards) -> PartFrames:
    """Exchange/rotation >= 10 % of eligible teachers; backbone >= 20 % of those exchanged.

    County counts (core_county_figures) where reported; otherwise counted from the roster
    (private schools left out when the standards say so).

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> t = teachers_with_schools(inp["core_teachers"], inp["core_schools"])
    >>> row = g11_exchange(keys, inp["core_county_figures"], t, load_standards()).county[0].iloc[0]
    >>> round(float(row["value"]), 2), row["detail"][:6]
    (35.71, '教师名册统计')
    """
    res = PartFrames()
    cfg = std.get("guarantee.G11")
    r1, r2 = float(cfg["min_exchange_pct"]), float(cfg["min_backbone_pct"])
    sources: list[pd.DataFrame] = []
    fig = rows_in_keys(figures, keys)
    if fig is not None and {"exchange_eligible_teachers", "exchanged_teachers"} <= set(fig):
        e_all, e = to_float(fig["exchange_eligible_teachers"]), to_float(fig["exchanged_teachers"])
        b = column_values(fig, "exchanged_backbone_teachers")
        ok = ~np.isnan(e_all) & ~np.isnan(e)
        if ok.any():
            sources.append(pd.DataFrame({"year": fig["year"].to_numpy()[ok], "county": fig["county"].to_numpy()[ok],
                                         "eligible": e_all[ok], "exchanged": e[ok], "backbone": b[ok], "source": "县级填报"}))
    if teachers is not None and {"is_exchange_eligible", "is_exchanged"} <= set(teachers):
        t = teachers
        if cfg["exclude_private"] and "is_private" in t:
            t = t.loc[~to_bool(t["is_private"], False)]
        elig = t["is_exchange_eligible"].astype("boolean")
        # the rate is exchanged eligible teachers over eligible teachers: a teacher flagged
        # exchanged but not eligible is a data inconsistency, kept out of the numerator so
        # that it never exceeds the denominator
        exch = t["is_exchanged"].astype("boolean") & elig
        bb = t["backbone_level"].astype("object").isin(cfg["backbone_levels"]).to_numpy() if "backbone_level" in t else np.zeros(len(t), bool)
        tmp = pd.DataFrame({"year": t["year"].to_numpy(), "county": t["county"].astype("object").to_numpy(),
                            "eligible": elig.fillna(False).to_numpy(dtype=bool),
                            "exchanged": exch.fillna(False).to_numpy(dtype=bool),
                            "backbone": exch.fillna(False).to_numpy(dtype=bool) & bb,
                            "known": (elig.notna() | exch.notna()).to_numpy(dtype=bool)})
        agg = tmp.groupby(["year", "county"], sort=True).sum().reset_index()
        agg = agg.loc[agg["known"] > 0]
        if sources:  # county counts, where reported, win over the roster
            agg = agg.loc[key_positions(agg, sources[0]) < 0]
        if len(agg):
            sources.append(pd.DataFrame({"year": agg["year"].to_numpy(), "county": agg["county"].to_numpy(),
                                         "eligible": agg["eligible"].to_numpy(dtype="float64"),
                                         "exchanged": agg["exchanged"].to_numpy(dtype="float64"),
                                         "backbone": agg["backbone"].to_numpy(dtype="float64"), "source": "教师名册统计"}))
    if not sources:
        res.county.append(county_rows(keys, "G11", None, missing_detail=indicator("G11").missing_detail))
        return res
    f = pd.concat(sources, ignore_index=True)
    E, e, b = (f[c].to_numpy(dtype="float64") for c in ("eligible", "exchanged", "backbone"))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(E > 0, 100.0 * e / np.where(E > 0, E, 1.0), np.nan)
        share = np.where(e > 0, 100.0 * b / np.where(e > 0, e, 1.0), np.nan)
    m1 = ge(rate, r1)
    m2 = ge(share, r2)
    both = np.where((m1 == 0.0) | (m2 == 0.0), 0.0, np.where(np.isnan(m1) | np.isnan(m2), np.nan, 1.0))
    gaps = exchange_gap(E, e, b, r1, r2)
    data = pd.DataFrame({"year": f["year"], "county": f["county"], "value": rate, "standard": r1,
                         "numerator": e, "denominator": E, "is_met": tri(both),
                         "gap": np.where(both == 0.0, gaps, np.nan),
                         "gap_unit": np.where(both == 0.0, "teachers", None)})
    data["detail"] = [f"{src}：交流轮岗{fmt(x, 0)}人/符合条件{fmt(a, 0)}人={fmt(r, 2, '%')}；其中骨干教师{fmt(y, 0)}人，占{fmt(s, 2, '%')}"
                      + (f"；至少还需交流{fmt(g, 0)}名（骨干）教师" if m == 0.0 else "")
                      for src, a, x, y, r, s, g, m in zip(f["source"], E, e, b, rate, share, gaps, both, strict=True)]
    # zero eligible teachers: nothing to exchange
    zero = E == 0
    data.loc[zero, "is_met"] = True
    data.loc[zero, "status"] = "not_applicable"
    res.county.append(county_rows(keys, "G11", data, missing_detail=indicator("G11").missing_detail))
    res.measures += [
        measure_rows(f, "G11", "exchange_rate", value=rate, standard=r1, unit="%", numerator=e, denominator=E, is_met=m1),
        measure_rows(f, "G11", "backbone_share", value=share, standard=r2, unit="%", numerator=b, denominator=e, is_met=m2),
    ]
    return res


# ---------------------------------------------------------------------------- G13


@register("G13")
def g13_nearby_enrolment(keys, schools, std: Standards) -> PartFrames:
    """Nearby zoned enrolment in urban and town public non-boarding schools: 100 % / 95 %.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> g13_nearby_enrolment(keys, inp["core_schools"], load_standards()).county[0]["detail"].iloc[0]
    '小学80/80=100.0%（标准100%）；初中80/80=100.0%（标准95%）'
    """
    res = PartFrames()
    if schools is None or "new_entrants" not in schools or "nearby_enrolled_students" not in schools:
        res.county.append(county_rows(keys, "G13", None))
        return res
    cfg = std.get("guarantee.G13")
    sec_of = cfg["section_of_type"]
    types = school_type_codes(schools)
    area = schools["area_type"].astype("object").to_numpy() if "area_type" in schools else np.full(len(schools), None)
    keep = np.isin(types, list(sec_of)) & np.isin(area, cfg["area_types"])
    if cfg["public_only"] and "is_private" in schools:
        keep &= ~to_bool(schools["is_private"], False)
    if cfg["exclude_boarding"] and "is_boarding" in schools:
        keep &= ~to_bool(schools["is_boarding"], False)
    scope = schools.loc[keep]
    section = np.array([sec_of[t] for t in school_type_codes(scope)], dtype=object) if len(scope) else np.zeros(0, dtype=object)
    entrants = column_values(scope, "new_entrants")
    nearby = column_values(scope, "nearby_enrolled_students")
    known = ~np.isnan(entrants) & ~np.isnan(nearby)
    tmp = pd.DataFrame({"year": scope["year"].astype("int64").to_numpy(), "county": scope["county"].astype("object").to_numpy(),
                        "section": section, "entrants": np.where(known, entrants, 0.0),
                        "nearby": np.where(known, nearby, 0.0), "unknown": ~known, "n": 1})
    agg = tmp.groupby(["year", "county", "section"], sort=True).sum().reset_index()
    order = {lvl: i for i, lvl in enumerate(cfg["min_share_pct"])}  # primary before junior
    agg = agg.assign(_o=agg["section"].map(order)).sort_values(["year", "county", "_o"], kind="stable").drop(columns="_o")
    mins = cfg["min_share_pct"]
    standard = agg["section"].map({k: float(v) for k, v in mins.items()}).to_numpy(dtype="float64")
    entrants = agg["entrants"].to_numpy(dtype="float64")
    nearby = agg["nearby"].to_numpy(dtype="float64")
    unknown = agg["unknown"].to_numpy(dtype="int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(entrants > 0, 100.0 * nearby / np.where(entrants > 0, entrants, 1.0), np.nan)
    m = ge(rate, standard)
    m = np.where((m == 1.0) & (unknown > 0), np.nan, m)
    m = np.where((entrants == 0) & (unknown == 0), 1.0, m)
    row_gap = np.where(m == 0.0, ceil_count(standard / 100.0 * entrants - nearby), 0.0)
    for lvl in mins:
        sub = (agg["section"] == lvl).to_numpy()
        if sub.any():
            res.measures.append(measure_rows(agg.loc[sub], "G13", lvl, value=rate[sub], standard=standard[sub], unit="%",
                                             numerator=nearby[sub], denominator=entrants[sub], is_met=m[sub]))
    label = {"primary": "小学", "junior": "初中"}
    texts = [f"{label.get(sec, sec)}{fmt(b, 0)}/{fmt(a, 0)}={fmt(r, 1, '%')}（标准{fmt(st, 0, '%')}）"
             + (f"，{int(u)}所学校无数据" if u else "")
             for sec, a, b, r, st, u in zip(agg["section"], entrants, nearby, rate, standard, unknown, strict=True)]
    per = agg[["year", "county"]].assign(fail=m == 0.0, unk=np.isnan(m), gap=row_gap, n=agg["n"].to_numpy())
    county = per.groupby(["year", "county"], sort=True).agg(fail=("fail", "any"), unk=("unk", "any"),
                                                            gap=("gap", "sum"), n=("n", "sum"))
    joined = group_texts(key_tuples(agg, ["year", "county"]), texts)
    data = county.reset_index()[["year", "county"]]
    fail = county["fail"].to_numpy(dtype=bool)
    data["value"] = np.nan
    data["standard"] = np.nan
    data["n_schools"] = county["n"].to_numpy(dtype="int64")
    data["is_met"] = pd.arrays.BooleanArray(~fail, ~fail & county["unk"].to_numpy(dtype=bool))
    data["gap"] = np.where(fail, county["gap"].to_numpy(dtype="float64"), np.nan)
    data["gap_unit"] = np.where(fail, "students", None)
    data["detail"] = ["；".join(joined[k]) for k in key_tuples(data, ["year", "county"])]
    out = county_rows(keys, "G13", data if len(data) else None)
    none = ~out.set_index(["year", "county"]).index.isin(
        pd.MultiIndex.from_frame(agg[["year", "county"]]) if len(agg) else pd.MultiIndex.from_tuples([], names=["year", "county"]))
    out.loc[none, "is_met"] = True
    out.loc[none, "status"] = "not_applicable"
    out.loc[none, "detail"] = "无城区和镇区公办非寄宿制小学、初中（不适用）"
    res.county.append(out)
    return res


# ---------------------------------------------------------------------------- G14, G15


@register("G14")
def g14_quota(keys: pd.DataFrame, figures: pd.DataFrame | None, std: Standards) -> pd.DataFrame:
    """Quality high-school places allocated to junior schools (>= 50 %; Shanxi 70 %).

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> g14_quota(keys, inp["core_county_figures"], load_standards())["gap"].tolist()
    [nan]
    """
    fig = rows_in_keys(figures, keys)
    if fig is None or "hs_quota_total" not in fig or "hs_quota_to_junior" not in fig:
        return county_rows(keys, "G14", None)
    fig = fig.loc[fig["hs_quota_total"].notna() & fig["hs_quota_to_junior"].notna()]
    data = rate_rows(fig, to_float(fig["hs_quota_to_junior"]), to_float(fig["hs_quota_total"]),
                     float(std.get("guarantee.G14.min_share_pct")), gap_unit="places",
                     describe="优质高中招生名额{den}个，分配到初中{num}个，占{rate}（向农村初中倾斜情况需人工核实）",
                     zero_denominator="missing")
    return county_rows(keys, "G14", data, missing_detail=indicator("G14").missing_detail)


@register("G15")
def g15_migrant_children(keys: pd.DataFrame, figures: pd.DataFrame | None, std: Standards) -> pd.DataFrame:
    """Eligible migrant children in public or government-purchased private schools >= 85 %.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> g15_migrant_children(keys, inp["core_county_figures"], load_standards())[["value", "status"]].values.tolist()
    [[95.0, 'met']]
    """
    fig = rows_in_keys(figures, keys)
    if fig is None or "eligible_migrant_children" not in fig or "migrant_children_in_public" not in fig:
        return county_rows(keys, "G15", None)
    fig = fig.loc[fig["eligible_migrant_children"].notna() & fig["migrant_children_in_public"].notna()]
    data = rate_rows(fig, to_float(fig["migrant_children_in_public"]), to_float(fig["eligible_migrant_children"]),
                     float(std.get("guarantee.G15.min_share_pct")), gap_unit="children",
                     describe="符合条件随迁子女{den}人，在公办及政府购买服务学校就读{num}人，占{rate}")
    return county_rows(keys, "G15", data, missing_detail=indicator("G15").missing_detail)


# ---------------------------------------------------------------------------- the part


def evaluate_guarantee(keys: pd.DataFrame, inputs: dict[str, pd.DataFrame | None], std: Standards) -> PartFrames:
    """Every guarantee indicator for the counties of ``keys``, in the method's order
    (the registry's, :func:`analysis.indicators.registry.evaluate_part`).

    ``inputs`` holds the core tables filtered to those counties (``None`` when absent);
    ``schools`` and ``teachers`` already carry ``county``.

    >>> from analysis.indicators.evaluation import example_inputs
    >>> inp, keys = example_inputs(), pd.DataFrame({"year": [2024], "county": ["示例县"]})
    >>> tables = {"schools": inp["core_schools"], "core_classes": inp["core_classes"],
    ...           "core_county_figures": inp["core_county_figures"], "core_attestations": inp["core_attestations"],
    ...           "teachers": teachers_with_schools(inp["core_teachers"], inp["core_schools"])}
    >>> rows = pd.concat(evaluate_guarantee(keys, tables, load_standards()).county)
    >>> rows["indicator"].tolist() == [f"G{i}" for i in range(1, 16)]
    True
    """
    return evaluate_part("guarantee", keys, inputs, std)
