"""Render the clean facts of the synthetic city as messy bureau exports (示例数据，合成).

Each ``render_*`` function takes clean rows of one county (and year), the county's
:class:`Context` (its export style and random stream) and returns the sheet to write plus
the clean rows a correct cleaner recovers from it (the truth: values missing in the file
are missing in the truth, dates given as year and month fall on the 1st, deliberately
corrupted rows are left out). The mess is drawn per cell with numpy, never per cell in a
Python loop over the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.dictionary import value_labels

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
GRADE_CN = [
    "",
    "一年级",
    "二年级",
    "三年级",
    "四年级",
    "五年级",
    "六年级",
    "七年级",
    "八年级",
    "九年级",
]
GRADE_SHORT_CN = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
SECTION_CN = value_labels("section")
TYPE_CN = value_labels("school_type")
TYPE_SHORT = {
    **TYPE_CN,
    "nine_year": "九年一贯制",
    "twelve_year": "十二年一贯制",
    "special": "特教学校",
}
DEGREE_CN = value_labels("degree")
BACKBONE_CN = value_labels("backbone_level")
GENDER_CN = value_labels("gender")
AREA_ORDER = {"urban": 0, "town": 1, "rural": 2}
TYPE_ORDER = {
    t: i
    for i, t in enumerate(
        [
            "primary",
            "teaching_point",
            "nine_year",
            "junior",
            "complete_secondary",
            "twelve_year",
            "special",
        ]
    )
}


def fullwidth(text: str) -> str:
    """Digits as full-width characters, as some hand-edited sheets carry them.

    >>> fullwidth("1,234.5")
    '１,２３４.５'
    """
    return text.translate(FULLWIDTH)


# ----------------------------------------------------------------------------- sheets


@dataclass
class Row:
    """A single row written as is: a total or note row, or a deliberately bad data row.

    ``tag`` is ``("nondata", text)`` or ``("reject", column_header, raw_value, reason)``.
    """

    cells: list
    tag: tuple | None = None


@dataclass
class Sheet:
    """One table of a raw file: rows above the data, merges, then the data area in order.

    ``parts`` holds data blocks (2-D object arrays of raw cells, columns in sheet order) and
    :class:`Row` objects, in the order they appear in the sheet.
    """

    kind: str
    name: str | None
    top: list[list]
    parts: list = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass
class RawFile:
    """A raw file to write: path relative to the output folder, format and sheets."""

    path: str
    fmt: str  # "xlsx" or "csv"
    sheets: list[Sheet]
    encoding: str | None = None


@dataclass
class Context:
    """What a county's renderers need: names, its style, headers and a random stream."""

    county: str
    county_number: int
    city: str
    title_note: str
    style: dict[str, Any]
    headers: dict[str, Any]
    rng: np.random.Generator

    def header(self, kind: str, fld: str, **fmt: str) -> str:
        variants = self.headers[kind]["fields"][fld]
        text = variants[self.style["header"] % len(variants)]
        return text.format(**fmt) if fmt else text

    def title(self, text: str) -> str:
        return f"{text}（{self.title_note}）"

    @property
    def mess(self) -> dict[str, float]:
        return self.style["mess"]


# ----------------------------------------------------------------------------- cell values


def messy_numbers(
    values: np.ndarray,
    decimals: int,
    ctx: Context,
    *,
    xlsx: bool,
    missing: np.ndarray | None = None,
) -> np.ndarray:
    """Raw cells for numbers: mostly plain, some with ``1,234``, full-width digits, text, spaces.

    ``values`` are floats (NaN = missing, written as one of the style's missing tokens). In
    xlsx, plain values stay numbers; in CSV every cell is text anyway.

    >>> import numpy as np
    >>> ctx = Context("县", 1, "市", "合成", {"mess": {"thousands": 1.0, "fullwidth": 0.0,
    ...     "text": 0.0, "space": 0.0}, "missing": ["-"], "header": 0}, {}, np.random.default_rng(0))
    >>> messy_numbers(np.array([1234.0, 5.0, np.nan]), 0, ctx, xlsx=False).tolist()
    ['1,234', '5', '-']
    """
    rng, mess = ctx.rng, ctx.mess
    v = np.asarray(values, dtype=float)
    n = len(v)
    miss = np.isnan(v) if missing is None else (missing | np.isnan(v))
    out = np.empty(n, dtype=object)
    tokens = np.array([t if t else None for t in ctx.style["missing"]], dtype=object)
    out[miss] = tokens[rng.integers(0, len(tokens), miss.sum())]
    present = ~miss
    rounded = np.round(np.where(present, v, 0), decimals)
    thousands = present & (np.abs(rounded) >= 1000) & (rng.random(n) < mess["thousands"])
    full = present & (rng.random(n) < mess["fullwidth"])
    text = present & (rng.random(n) < mess["text"])
    space = present & (rng.random(n) < mess["space"])
    as_text = present if not xlsx else (thousands | full | text | space)
    if xlsx:
        plain = present & ~as_text
        if decimals == 0:
            out[plain] = rounded[plain].astype(np.int64).tolist()
        else:
            out[plain] = rounded[plain].tolist()
    idx = np.nonzero(as_text)[0]
    if len(idx):
        fmt_plain = f"{{:.{decimals}f}}"
        fmt_sep = f"{{:,.{decimals}f}}"
        strs = [(fmt_sep if thousands[i] else fmt_plain).format(rounded[i]) for i in idx]
        f_full, f_space = full[idx], space[idx]
        strs = [fullwidth(s) if f else s for s, f in zip(strs, f_full, strict=True)]
        strs = [s + " " if f else s for s, f in zip(strs, f_space, strict=True)]
        out[idx] = strs
    return out


def truth_numbers(
    values: np.ndarray, decimals: int, missing: np.ndarray | None = None
) -> np.ndarray:
    """The clean value of :func:`messy_numbers`' cells: rounded, NaN where missing."""
    v = np.round(np.asarray(values, dtype=float), decimals)
    if missing is not None:
        v = np.where(missing, np.nan, v)
    return v


def lookup(values: pd.Series | np.ndarray, mapping: dict) -> np.ndarray:
    """Map values through a dict (None where missing), hashing each distinct value once.

    >>> lookup(np.array(["primary", "junior", "primary"], dtype=object), {"primary": "小学"}).tolist()
    ['小学', None, '小学']
    """
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    mapped = np.array([mapping.get(u) for u in uniques] + [None], dtype=object)
    return mapped[codes]


def order_by(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Rows sorted by ``columns`` (stable), via integer codes: fast on text columns."""
    keys = [pd.factorize(df[c].to_numpy(dtype=object), sort=True)[0] for c in reversed(columns)]
    return df.iloc[np.lexsort(keys)].reset_index(drop=True)


def yes_no(values: pd.Series | np.ndarray) -> np.ndarray:
    """是/否 for booleans, empty for missing.

    >>> yes_no(np.array([True, False, None], dtype=object)).tolist()
    ['是', '否', None]
    """
    v = np.asarray(values, dtype=object)
    na = pd.isna(v)
    yes = np.where(na, False, v).astype(bool)
    return np.where(na, None, np.where(yes, "是", "否").astype(object))


def with_spaces(values: np.ndarray, ctx: Context) -> np.ndarray:
    """Some text cells get a trailing space (hand-edited sheets)."""
    out = np.asarray(values, dtype=object).copy()
    m = ctx.rng.random(len(out)) < ctx.mess["space"]
    out[m] = [f"{v} " for v in out[m]]
    return out


def _frame(columns: list[np.ndarray]) -> np.ndarray:
    """A data block: a 2-D object array of raw cells, one column per sheet column."""
    out = np.empty((len(columns[0]) if columns else 0, len(columns)), dtype=object)
    for j, c in enumerate(columns):
        out[:, j] = c
    return out


def _blank(n: int) -> list:
    return [None] * n


def _label_row(n_cols: int, text: str, at: int = 0) -> list:
    row = _blank(n_cols)
    row[at] = text
    return row


def _splice(block: np.ndarray, rows: dict[int, list[Row]]) -> list:
    """Split a data block around rows inserted before given positions."""
    parts: list = []
    start = 0
    for pos in sorted(rows):
        if pos > start:
            parts.append(block[start:pos])
        parts.extend(rows[pos])
        start = max(start, pos)
    if start < len(block):
        parts.append(block[start:])
    return parts


def _pull(block: np.ndarray, pos: int, col: int, value: Any, header: str, reason: str) -> list:
    """Replace one data row by a corrupted copy tagged as an expected reject."""
    cells = block[pos].tolist()
    cells[col] = value
    bad = Row(cells, ("reject", header, None if value is None else str(value), reason))
    return [p for p in (block[:pos], bad, block[pos + 1 :]) if isinstance(p, Row) or len(p)]


def _header_rows(
    ctx: Context, kind: str, fields: list[str], headers: list[str], two_row: bool, n_top: int
) -> tuple[list[list], list[tuple[int, int, int, int]]]:
    """One header row, or two with the kind's groups merged over their lower cells."""
    if not two_row:
        return [headers], []
    groups = ctx.headers[kind].get("groups", {})
    upper, lower, merges = list(headers), _blank(len(headers)), []
    for label, members in groups.items():
        cols = [fields.index(f) for f in members if f in fields]
        if not cols:
            continue
        for c in cols:
            upper[c] = None
            lower[c] = members[fields[c]]
        upper[cols[0]] = label
        if len(cols) > 1:
            merges.append((n_top, cols[0], n_top, cols[-1]))
    return [upper, lower], merges


def _top(
    ctx: Context,
    kind: str,
    title: str,
    fields: list[str],
    headers: list[str],
    *,
    unit_line: str | None = None,
    two_row: bool = False,
) -> tuple[list[list], list]:
    n = len(headers)
    top = [_label_row(n, ctx.title(title))]
    merges = [(0, 0, 0, n - 1)] if n > 1 else []
    if unit_line:
        top.append(_label_row(n, unit_line))
    rows, header_merges = _header_rows(ctx, kind, fields, headers, two_row, len(top))
    return top + rows, merges + header_merges


def _signature(ctx: Context, year: int | None = None) -> str:
    when = f"  填报日期：{year}年10月15日" if year else ""
    return f"填表人：示例填表人  审核人：示例审核人{when}"


def _sum_cells(
    frame_truth: dict[str, np.ndarray],
    fields: list[str],
    numeric: dict[str, int],
    n_cols: int,
    label_at: int,
    label: str,
) -> Row:
    cells = _blank(n_cols)
    for i, f in enumerate(fields):
        if f in numeric:
            total = np.nansum(np.asarray(frame_truth[f], dtype=float))
            d = numeric[f]
            cells[i] = int(round(total)) if d == 0 else round(float(total), d)
    cells[label_at] = label
    return Row(cells, ("nondata", label))


# ----------------------------------------------------------------------------- schools

SCHOOL_INTS = [
    "students_primary",
    "students_junior",
    "students_senior",
    "classes_primary",
    "classes_junior",
    "new_entrants",
    "nearby_enrolled_students",
    "migrant_students",
    "multimedia_rooms",
    "music_rooms",
    "art_rooms",
]
SCHOOL_FLOATS = {
    "teaching_area_m2": 1,
    "indoor_sports_area_m2": 1,
    "sports_ground_area_m2": 1,
    "music_room_area_m2": 1,
    "art_room_area_m2": 1,
    "public_funds_budget_yuan": 2,
    "teacher_training_funds_yuan": 2,
    "daily_hours_in_school": 1,
}
# Columns a bureau sometimes leaves empty (nullable in core_schools).
SCHOOL_SOMETIMES_MISSING = ["nearby_enrolled_students", "migrant_students", "daily_hours_in_school"]
WAN = {"equipment_value_yuan", "public_funds_budget_yuan", "teacher_training_funds_yuan"}


def render_schools(
    facts: pd.DataFrame, ctx: Context, year: int, *, xlsx: bool, bad: list[str]
) -> tuple[Sheet, pd.DataFrame]:
    """学校基本情况 of one county-year: title, unit line, (two-row) header, 小计/合计, notes."""
    st = ctx.style["schools"]
    f = order_by(
        facts.assign(
            _area=lookup(facts["area_type"], AREA_ORDER),
            _type=lookup(facts["school_type"], TYPE_ORDER),
        ),
        ["_area", "_type", "school_id"],
    )
    n = len(f)
    unit = st["equipment_unit"]
    fields = list(ctx.headers["schools"]["fields"])
    if not st["seq"]:
        fields.remove("seq")
    if not st["daily_hours"]:
        fields.remove("daily_hours_in_school")
    headers = [ctx.header("schools", k, unit=unit) for k in fields]
    two_row = st["two_row"]
    truth, missing, boarding = _school_truth(f, ctx)
    cols = _school_cells(f, truth, missing, boarding, ctx, year, xlsx=xlsx)
    block = _frame([cols[k] for k in fields])
    out = _school_clean(f, truth, missing, boarding, year)
    # Layout: title, unit line, header; 小计 rows between area groups, bad rows, 合计, notes.
    nc = len(fields)
    label_at = 0 if st["label_in"] == "first" else fields.index("school_name")
    unit_line = ctx.headers["schools"]["unit_line"].format(unit=unit) if st["unit_line"] else None
    top, merges = _top(
        ctx,
        "schools",
        f"{year}年{ctx.county}中小学基本情况表",
        fields,
        headers,
        unit_line=unit_line,
        two_row=two_row,
    )
    numeric = (
        {c: 0 for c in SCHOOL_INTS}
        | {c: SCHOOL_FLOATS[c] for c in SCHOOL_FLOATS}
        | {"equipment_value_yuan": 2 if unit == "万元" else 0}
    )
    shown = {
        c: np.where(
            missing[c],
            np.nan,
            truth[c] / 10000
            if (c in WAN and (c != "equipment_value_yuan" or unit == "万元"))
            else truth[c],
        )
        for c in numeric
    }
    inserts = _school_group_rows(f, shown, fields, numeric, label_at, subtotals=st["subtotals"])
    for kind in bad:
        pos = int(ctx.rng.integers(1, max(n, 2)))
        inserts.setdefault(pos, []).append(
            _bogus_school(kind, block, fields, headers, ctx, two_row)
        )
    parts = _splice(block, inserts)
    parts.append(_sum_cells(shown, fields, numeric, nc, label_at, ctx.style["total_label"]))
    note = f"注：本表为{ctx.title_note}。教学仪器设备资产值单位为{unit}。"
    parts.append(Row(_label_row(nc, note), ("nondata", note)))
    parts.append(Row(_label_row(nc, _signature(ctx, year)), ("nondata", _signature(ctx, year))))
    return Sheet("schools", f"{year}年", top, parts, merges), out


def _school_truth(
    f: pd.DataFrame, ctx: Context
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], pd.Series]:
    """Clean numeric values, the cells left missing in the file, and the boarding flags."""
    st = ctx.style["schools"]
    st_blank = ctx.style["blank"]
    rng = ctx.rng
    n = len(f)
    truth: dict[str, np.ndarray] = {}
    missing: dict[str, np.ndarray] = {}
    for col in SCHOOL_INTS + list(SCHOOL_FLOATS) + ["equipment_value_yuan"]:
        truth[col] = f[col].to_numpy(dtype=float)
        missing[col] = np.zeros(n, bool)
    if st["zero_as_missing"]:
        for sec in ("primary", "junior", "senior"):
            missing[f"students_{sec}"] = f[f"na_{sec}"].to_numpy()
            if sec != "senior":
                missing[f"classes_{sec}"] = f[f"na_{sec}"].to_numpy()
        missing["indoor_sports_area_m2"] = f["na_indoor"].to_numpy()
    for col in SCHOOL_SOMETIMES_MISSING:
        missing[col] = missing[col] | (rng.random(n) < st_blank)
    if not st["daily_hours"]:
        missing["daily_hours_in_school"] = np.ones(n, bool)
    boarding = f["is_boarding"].astype(object).where(rng.random(n) >= st_blank, None)
    return truth, missing, boarding


def _parent_ids(f: pd.DataFrame) -> np.ndarray:
    """The parent school codes as objects (None where there is none)."""
    return (
        f["parent_school_id"]
        .astype(object)
        .where(f["parent_school_id"].notna(), None)
        .to_numpy(dtype=object)
    )


def _school_cells(
    f: pd.DataFrame, truth: dict[str, np.ndarray], missing: dict[str, np.ndarray],
    boarding: pd.Series, ctx: Context, year: int, *, xlsx: bool,
) -> dict[str, np.ndarray]:
    """The raw cells of every school column, as the bureau's habits write them."""
    st = ctx.style["schools"]
    unit = st["equipment_unit"]
    n = len(f)
    cols: dict[str, np.ndarray] = {}
    ids = f["school_id"].to_numpy(dtype=object)
    cols["seq"] = np.arange(1, n + 1, dtype=object)
    cols["year"] = np.full(n, year, dtype=object)
    cols["school_id"] = (
        np.array([int(i) for i in ids], dtype=object) if (xlsx and st["id_numeric"]) else ids
    )
    cols["school_name"] = with_spaces(f["school_name"].to_numpy(dtype=object), ctx)
    cols["city"] = f["city"].to_numpy(dtype=object)
    cols["county"] = f["county"].to_numpy(dtype=object)
    codes = f["urban_rural_code"].to_numpy(dtype=object)
    cols["urban_rural_code"] = (
        np.array([int(c) for c in codes], dtype=object) if (xlsx and st["id_numeric"]) else codes
    )
    names = TYPE_SHORT if ctx.style["type_names"] == "short" else TYPE_CN
    cols["school_type"] = lookup(f["school_type"], names)
    cols["is_private"] = np.where(f["is_private"], "民办", "公办").astype(object)
    cols["is_boarding"] = yes_no(boarding)
    cols["is_counted_school"] = yes_no(f["is_counted_school"])
    cols["parent_school_id"] = _parent_ids(f)
    for col in SCHOOL_INTS:
        cols[col] = messy_numbers(truth[col], 0, ctx, xlsx=xlsx, missing=missing[col])
    for col, d in SCHOOL_FLOATS.items():
        raw = truth[col] / 10000 if col in WAN else truth[col]
        cols[col] = messy_numbers(raw, d, ctx, xlsx=xlsx, missing=missing[col])
    eq = truth["equipment_value_yuan"]
    cols["equipment_value_yuan"] = messy_numbers(
        eq / 10000 if unit == "万元" else eq, 2 if unit == "万元" else 0, ctx, xlsx=xlsx
    )
    return cols


def _school_clean(
    f: pd.DataFrame, truth: dict[str, np.ndarray], missing: dict[str, np.ndarray],
    boarding: pd.Series, year: int,
) -> pd.DataFrame:
    """The clean truth of the schools, as cleaning the file should give it back."""
    clean = {
        "year": np.full(len(f), year),
        "school_id": f["school_id"].to_numpy(),
        "school_name": f["school_name"].to_numpy(),
        "city": f["city"].to_numpy(),
        "county": f["county"].to_numpy(),
        "urban_rural_code": f["urban_rural_code"].to_numpy(dtype=object),
        "area_type": f["area_type"].to_numpy(),
        "school_type": f["school_type"].to_numpy(),
        "is_private": f["is_private"].to_numpy(),
        "is_boarding": boarding.to_numpy(dtype=object),
        "is_counted_school": f["is_counted_school"].to_numpy(),
        "parent_school_id": _parent_ids(f),
    }
    for col in SCHOOL_INTS + list(SCHOOL_FLOATS) + ["equipment_value_yuan"]:
        d = 0 if col in SCHOOL_INTS else SCHOOL_FLOATS.get(col, 2)
        if col in WAN:
            clean[col] = np.where(
                missing[col], np.nan, np.round(np.round(truth[col] / 10000, 2) * 10000, 2)
            )
        else:
            clean[col] = truth_numbers(truth[col], d, missing[col])
    return pd.DataFrame(clean)


def _school_group_rows(
    f: pd.DataFrame, shown: dict[str, np.ndarray], fields: list[str], numeric: dict[str, int],
    label_at: int, *, subtotals: bool,
) -> dict[int, list[Row]]:
    """Rows inserted between the schools: 小计 after each area, else a note before village schools."""
    nc = len(fields)
    inserts: dict[int, list[Row]] = {}
    if subtotals:
        areas = f["area_type"].to_numpy()
        for a in AREA_ORDER:
            m = areas == a
            if m.any():
                end = int(np.nonzero(m)[0][-1]) + 1
                inserts.setdefault(end, []).append(
                    _sum_cells(
                        {c: v[m] for c, v in shown.items()}, fields, numeric, nc, label_at, "小计"
                    )
                )
    else:
        village = np.nonzero(f["urban_rural_code"].to_numpy() == "220")[0]
        if len(village):
            inserts.setdefault(int(village[0]), []).append(
                Row(
                    _label_row(nc, "注：以下为村小和教学点", label_at),
                    ("nondata", "注：以下为村小和教学点"),
                )
            )
    return inserts


def _bogus_school(
    kind: str, block: np.ndarray, fields: list[str], headers: list[str], ctx: Context, two_row: bool
) -> Row:
    """A school row that a correct cleaner must reject (it is not in the truth)."""
    rng = ctx.rng
    cells = block[int(rng.integers(len(block)))].tolist()
    serial = 900000 + int(rng.integers(1, 99999))
    cells[fields.index("school_name")] = f"{ctx.county}第{serial % 100}分校"
    cells[fields.index("school_id")] = f"2{ctx.county_number % 1000:03d}{serial:06d}"
    if kind == "school_bad_id":
        col, value, reason = (
            "school_id",
            f"2{ctx.county_number % 1000:03d}{serial % 100000:05d}",
            "学校标识码不是10位数字",
        )
    elif kind == "school_negative":
        col = "new_entrants" if two_row else "students_primary"
        value, reason = str(-int(rng.integers(5, 40))), "学生数为负数"
    elif kind == "school_text":
        col, value, reason = "teaching_area_m2", "在建", "数值列含文字"
    else:  # pragma: no cover - styles.yaml is checked by the tests
        raise ValueError(f"unknown bad school row {kind!r}")
    cells[fields.index(col)] = value
    return Row(cells, ("reject", headers[fields.index(col)], value, reason))


# ----------------------------------------------------------------------------- teachers

BIRTH_FORMATS = ("ym_dash", "ym_dot", "ym_compact", "excel", "full_dash", "full_slash")
MONTH_ONLY = {"ym_dash", "ym_dot", "ym_compact"}


def birth_cells(birth: pd.Series, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Raw 出生年月 cells in the style's formats, and the date a cleaner recovers.

    >>> ctx = Context("县", 1, "市", "合成", {"birth": {"ym_dot": 1.0}, "mess": {}, "header": 0},
    ...               {}, np.random.default_rng(0))
    >>> cells, truth = birth_cells(pd.Series(pd.to_datetime(["1975-03-12"])), ctx)
    >>> cells.tolist(), str(truth[0])[:10]
    (['1975.03'], '1975-03-01')
    """
    weights = ctx.style["birth"]
    names = [k for k in weights if k in BIRTH_FORMATS]
    if len(names) != len(weights):
        raise ValueError(
            f"unknown birth formats {sorted(set(weights) - set(BIRTH_FORMATS))}; allowed: {list(BIRTH_FORMATS)}"
        )
    p = np.array([weights[k] for k in names], float)
    which = np.array(names, dtype=object)[ctx.rng.choice(len(names), len(birth), p=p / p.sum())]
    y = birth.dt.year.to_numpy()
    m = birth.dt.month.to_numpy()
    d = birth.dt.day.to_numpy()
    cells = np.empty(len(birth), dtype=object)
    for fmt in names:
        sel = which == fmt
        if not sel.any():
            continue
        ys, ms, ds = y[sel], m[sel], d[sel]
        if fmt == "ym_dash":
            cells[sel] = [f"{a}-{b:02d}" for a, b in zip(ys, ms, strict=True)]
        elif fmt == "ym_dot":
            cells[sel] = [f"{a}.{b:02d}" for a, b in zip(ys, ms, strict=True)]
        elif fmt == "ym_compact":
            cells[sel] = [f"{a}{b:02d}" for a, b in zip(ys, ms, strict=True)]
        elif fmt == "excel":
            cells[sel] = list(birth[sel].dt.to_pydatetime())
        elif fmt == "full_dash":
            cells[sel] = [f"{a}-{b:02d}-{c:02d}" for a, b, c in zip(ys, ms, ds, strict=True)]
        else:
            cells[sel] = [f"{a}/{b}/{c}" for a, b, c in zip(ys, ms, ds, strict=True)]
    month_only = np.isin(which, list(MONTH_ONLY))
    first = pd.to_datetime(pd.DataFrame({"year": y, "month": m, "day": 1}))
    truth = np.where(month_only, first.to_numpy(), birth.to_numpy())
    return cells, truth


def render_roster(
    roster: pd.DataFrame, ctx: Context, year: int, *, bad: list[str]
) -> tuple[Sheet, pd.DataFrame]:
    """专任教师名册 of one county-year (one row per teacher)."""
    r = order_by(roster, ["school_id", "teaching_section", "teacher_id"])
    n = len(r)
    fields = list(ctx.headers["teachers"]["fields"])
    headers = [ctx.header("teachers", k) for k in fields]
    quota_yes_no = headers[fields.index("is_on_quota")].startswith("是否")
    births, birth_truth = birth_cells(r["birth_date"], ctx)
    cols = {
        "year": np.full(n, year, dtype=object),
        "school_id": r["school_id"].to_numpy(dtype=object),
        "teacher_id": r["teacher_id"].to_numpy(dtype=object),
        "gender": lookup(r["gender"], GENDER_CN),
        "birth_date": births,
        "degree": lookup(r["degree"], DEGREE_CN),
        "teaching_section": lookup(r["teaching_section"], SECTION_CN),
        "main_subject": r["main_subject"].to_numpy(dtype=object),
        "backbone_level": lookup(r["backbone_level"], BACKBONE_CN),
        "has_teacher_certificate": yes_no(r["has_teacher_certificate"]),
        "is_exchange_eligible": yes_no(r["is_exchange_eligible"]),
        "is_exchanged": yes_no(r["is_exchanged"]),
        "training_hours_5y": messy_numbers(
            r["training_hours_5y"].to_numpy(float), 0, ctx, xlsx=True
        ),
        "is_on_quota": yes_no(r["is_on_quota"])
        if quota_yes_no
        else np.where(r["is_on_quota"], "在编", "编外").astype(object),
    }
    block = _frame([cols[k] for k in fields])
    truth = r.drop(columns=["county_number"], errors="ignore").assign(birth_date=birth_truth)
    keep = np.ones(n, bool)
    parts: list = [block]
    if "roster_bad_id" in bad and n > 2:
        pos = int(ctx.rng.integers(1, n - 1))
        c = fields.index("school_id")
        value = str(block[pos, c])[:-1]
        parts = _pull(block, pos, c, value, headers[c], "学校标识码不是10位数字")
        keep[pos] = False
    nc = len(fields)
    total = f"合计：专任教师{n}人"
    parts.append(Row(_label_row(nc, total), ("nondata", total)))
    parts.append(Row(_label_row(nc, _signature(ctx, year)), ("nondata", _signature(ctx, year))))
    top, merges = _top(ctx, "teachers", f"{year}年{ctx.county}中小学专任教师名册", fields, headers)
    return Sheet("teachers", "专任教师名册", top, parts, merges), truth[keep]


def render_teacher_counts(
    counts: pd.DataFrame, names: pd.Series, ctx: Context, year: int, *, xlsx: bool
) -> tuple[Sheet, pd.DataFrame]:
    """分校专任教师汇总 of one county-year: per school and section, grouped two-row header."""
    c = order_by(counts, ["school_id", "section"])
    n = len(c)
    fields = list(ctx.headers["teacher_counts"]["fields"])
    headers = [ctx.header("teacher_counts", k) for k in fields]
    cols = {
        "year": np.full(n, year, dtype=object),
        "school_id": c["school_id"].to_numpy(dtype=object),
        "school_name": lookup(c["school_id"], names),
        "section": lookup(c["section"], SECTION_CN),
    }
    nums = ["teachers", "above_degree_teachers", "backbone_teachers", "pe_art_teachers"]
    for k in nums:
        cols[k] = messy_numbers(c[k].to_numpy(float), 0, ctx, xlsx=xlsx)
    block = _frame([cols[k] for k in fields])
    top, merges = _top(
        ctx,
        "teacher_counts",
        f"{year}年{ctx.county}分校专任教师情况汇总表",
        fields,
        headers,
        two_row=True,
    )
    parts = [
        block,
        _sum_cells(
            {k: c[k].to_numpy(float) for k in nums},
            fields,
            dict.fromkeys(nums, 0),
            len(fields),
            0,
            ctx.style["total_label"],
        ),
    ]
    return Sheet("teacher_counts", f"{year}年", top, parts, merges), c


# ----------------------------------------------------------------------------- classes, enrolment


def _grade_cells(grades: np.ndarray, ctx: Context) -> np.ndarray:
    if ctx.style["grade"] == "cn":
        return np.array(GRADE_CN, dtype=object)[grades]
    return grades.astype(object)


def class_names(grades: np.ndarray, numbers: np.ndarray, pattern: str) -> np.ndarray:
    """班级名称 from a pattern with {k} (class number), {g} (grade) and {gcn} (grade in Chinese).

    >>> class_names(np.array([1, 7]), np.array([2, 10]), "{gcn}{k}班").tolist()
    ['一年级2班', '七年级10班']
    """
    return np.array(
        [
            pattern.format(k=k, g=g, gcn=GRADE_CN[g], gs=GRADE_SHORT_CN[g])
            for g, k in zip(grades, numbers, strict=True)
        ],
        dtype=object,
    )


def render_classes(
    classes: pd.DataFrame, names: pd.Series, ctx: Context, year: int, *, xlsx: bool, bad: list[str]
) -> tuple[Sheet, pd.DataFrame]:
    """班级 of one county-year (one row per class)."""
    c = order_by(classes, ["school_id", "grade", "class_no"])
    n = len(c)
    fields = list(ctx.headers["classes"]["fields"])
    headers = [ctx.header("classes", k) for k in fields]
    grades = c["grade"].to_numpy()
    cname = class_names(grades, c["class_no"].to_numpy(), ctx.style["class_name"])
    section = np.where(grades <= 6, "primary", "junior")
    cols = {
        "year": np.full(n, year, dtype=object),
        "school_id": c["school_id"].to_numpy(dtype=object),
        "school_name": lookup(c["school_id"], names),
        "section": lookup(section, SECTION_CN),
        "grade": _grade_cells(grades, ctx),
        "class_name": cname,
        "students": messy_numbers(c["students"].to_numpy(float), 0, ctx, xlsx=xlsx),
    }
    block = _frame([cols[k] for k in fields])
    truth = pd.DataFrame(
        {
            "year": year,
            "school_id": c["school_id"],
            "section": section,
            "grade": grades,
            "class_name": cname,
            "students": c["students"],
        }
    )
    keep = np.ones(n, bool)
    parts: list = [block]
    if "class_text" in bad and n > 2:
        pos = int(ctx.rng.integers(1, n - 1))
        col = fields.index("students")
        parts = _pull(block, pos, col, "待核", headers[col], "数值列含文字")
        keep[pos] = False
    parts.append(
        _sum_cells(
            {"students": c["students"].to_numpy(float)},
            fields,
            {"students": 0},
            len(fields),
            0,
            ctx.style["total_label"],
        )
    )
    top, merges = _top(ctx, "classes", f"{year}年{ctx.county}中小学班级情况", fields, headers)
    return Sheet("classes", f"{year}年", top, parts, merges), truth[keep]


def render_enrolment(
    enrol: pd.DataFrame, ctx: Context, year: int, *, xlsx: bool, bad: list[str]
) -> tuple[Sheet, pd.DataFrame]:
    """在校生分年级 of one county-year (one row per school and grade)."""
    e = order_by(enrol, ["school_id", "grade"])
    n = len(e)
    fields = list(ctx.headers["enrolment"]["fields"])
    headers = [ctx.header("enrolment", k) for k in fields]
    nums = ["students", "migrant_students", "disabled_students"]
    cols = {
        "year": np.full(n, year, dtype=object),
        "school_id": e["school_id"].to_numpy(dtype=object),
        "grade": _grade_cells(e["grade"].to_numpy(), ctx),
    }
    for k in nums:
        cols[k] = messy_numbers(e[k].to_numpy(float), 0, ctx, xlsx=xlsx)
    block = _frame([cols[k] for k in fields])
    truth = e[["year", "school_id", "section", "grade", *nums]].copy()
    keep = np.ones(n, bool)
    parts: list = [block]
    if "enrol_negative" in bad and n > 2:
        pos = int(ctx.rng.integers(1, n - 1))
        col = fields.index("students")
        parts = _pull(
            block, pos, col, str(-int(e.at[pos, "students"])), headers[col], "学生数为负数"
        )
        keep[pos] = False
    parts.append(
        _sum_cells(
            {k: e[k].to_numpy(float) for k in nums},
            fields,
            dict.fromkeys(nums, 0),
            len(fields),
            0,
            ctx.style["total_label"],
        )
    )
    top, merges = _top(ctx, "enrolment", f"{year}年{ctx.county}在校生分年级情况", fields, headers)
    return Sheet("enrolment", f"{year}年", top, parts, merges), truth[keep]


# ----------------------------------------------------------------------------- county tables


def render_flows(
    flows: pd.DataFrame, ctx: Context, *, xlsx: bool, bad: list[str]
) -> tuple[Sheet, pd.DataFrame]:
    """学生变动 of one county (one row per graduating year)."""
    fl = flows.sort_values("graduation_year").reset_index(drop=True)
    n = len(fl)
    fields = list(ctx.headers["cohort_flows"]["fields"])
    headers = [ctx.header("cohort_flows", k) for k in fields]
    cols = {
        "county": fl["county"].to_numpy(dtype=object),
        "graduation_year": fl["graduation_year"].to_numpy(dtype=object),
    }
    for k in fields[2:]:
        cols[k] = messy_numbers(fl[k].to_numpy(float), 0, ctx, xlsx=xlsx)
    block = _frame([cols[k] for k in fields])
    keep = np.ones(n, bool)
    parts: list = [block]
    if "flows_text" in bad and n >= 1:
        pos = 0
        col = fields.index("graduates")
        parts = _pull(block, pos, col, "见附表", headers[col], "数值列含文字")
        keep[pos] = False
    note = "注：初中三年巩固率=毕业生数÷(三年前初一在校生数+转入-转出-死亡)"
    parts.append(Row(_label_row(len(fields), note), ("nondata", note)))
    top, merges = _top(ctx, "cohort_flows", f"{ctx.county}初中学生变动情况表", fields, headers)
    return Sheet("cohort_flows", "学生变动", top, parts, merges), fl[keep]


def render_county_figures(
    figs: pd.DataFrame, attest: pd.DataFrame, ctx: Context, *, xlsx: bool
) -> tuple[Sheet, pd.DataFrame, pd.DataFrame]:
    """县级保障 of one county: figures per year, then the attested items with their notes."""
    fg = figs.sort_values("year").reset_index(drop=True)
    spec = ctx.headers["county_figures"]
    fields = list(spec["fields"])
    headers = [ctx.header("county_figures", k) for k in fields]
    cols: dict[str, np.ndarray] = {
        "county": fg["county"].to_numpy(dtype=object),
        "year": fg["year"].to_numpy(dtype=object),
    }
    wan = {"teacher_avg_salary_yuan", "civil_servant_avg_salary_yuan"}
    for k in fields[2:]:
        v = fg[k].to_numpy(float)
        cols[k] = messy_numbers(v / 10000 if k in wan else v, 4 if k in wan else 0, ctx, xlsx=xlsx)
    columns = [cols[k] for k in fields]
    if ctx.style["county_rates"]:
        share = fg["hs_quota_to_junior"] / fg["hs_quota_total"] * 100
        rate = fg["disabled_children_enrolled"] / fg["disabled_children"] * 100
        for label, v in (
            (spec["rates"]["hs_quota_share"], share),
            (spec["rates"]["disabled_enrolment_rate"], rate),
        ):
            headers.append(label)
            columns.append(np.array([f"{x:.1f}%" for x in v], dtype=object))
    v = ctx.style["header"]
    keys = list(zip(attest["year"], attest["item"], strict=True))
    met_of = dict(zip(keys, attest["is_met"], strict=True))
    note_of = dict(zip(keys, attest["note"], strict=True))
    for item, label in spec["attested_labels"].items():
        headers.append(spec["attested"][v % len(spec["attested"])].format(key=item, label=label))
        headers.append(spec["attested_note"][v % len(spec["attested_note"])].format(key=item))
        met = np.array([met_of.get((y, item)) for y in fg["year"]], dtype=object)
        note = np.array([note_of.get((y, item)) for y in fg["year"]], dtype=object)
        columns.append(yes_no(met))
        columns.append(np.array([x if isinstance(x, str) else None for x in note], dtype=object))
    block = _frame(columns)
    nc = len(headers)
    note = "注：工资单位为万元；是/否栏目由县教育局据实填写。"
    parts = [
        block,
        Row(_label_row(nc, note), ("nondata", note)),
        Row(_label_row(nc, _signature(ctx)), ("nondata", _signature(ctx))),
    ]
    top, merges = _top(
        ctx,
        "county_figures",
        f"{ctx.county}县级人民政府义务教育保障情况",
        fields + [""] * (nc - len(fields)),
        headers,
    )
    truth_att = attest[attest["year"].isin(fg["year"])].copy()
    truth_att["note"] = truth_att["note"].where(truth_att["note"].notna(), None)
    return Sheet("county_figures", "县级保障", top, parts, merges), fg, truth_att


def render_survey(
    meta: pd.DataFrame,
    answers: np.ndarray,
    questions: list[str],
    ctx: Context,
    year: int,
    *,
    bad: list[str],
) -> tuple[Sheet, pd.DataFrame]:
    """社会认可度问卷 of one county-year (one row per questionnaire)."""
    # deferred: keeps the command line's start-up light
    from analysis.sample._county import ANSWERS

    n = len(meta)
    sv = ctx.style["survey"]
    fields = ["county", "year", "questionnaire_id", "respondent_group"]
    headers = [ctx.header("survey", k) for k in fields]
    cols = [
        meta["county"].to_numpy(dtype=object),
        np.full(n, year, dtype=object),
        meta["questionnaire_id"].to_numpy(dtype=object),
        meta["respondent_label"].to_numpy(dtype=object),
    ]
    q = answers[:, 1:]
    for i, text in enumerate(questions, start=1):
        headers.append(sv["question"].format(i=i, text=text))
        cols.append(ANSWERS[q[:, i - 1]])
    if sv["overall"]:
        headers.append(ctx.header("survey", "overall_answer"))
        cols.append(ANSWERS[answers[:, 0]])
    block = _frame(cols)
    code = {v: k for k, v in value_labels("overall_answer").items()}
    answered = (q > 0).sum(axis=1)
    truth = pd.DataFrame(
        {
            "county": meta["county"].to_numpy(),
            "year": year,
            "questionnaire_id": meta["questionnaire_id"].to_numpy(),
            "respondent_group": lookup(
                meta["respondent_label"],
                {v: k for k, v in value_labels("respondent_group").items()},
            ),
            "n_questions": len(questions),
            "n_answered": answered,
            "n_satisfied_answers": ((q == 1) | (q == 2)).sum(axis=1),
            "overall_answer": lookup(ANSWERS[answers[:, 0]], code) if sv["overall"] else None,
        }
    )
    keep = np.ones(n, bool)
    parts: list = [block]
    if "survey_no_id" in bad and n > 2:
        pos = int(ctx.rng.integers(1, n - 1))
        parts = _pull(block, pos, 2, None, headers[2], "问卷编号为空")
        keep[pos] = False
    top, merges = _top(
        ctx,
        "survey",
        f"{year}年{ctx.county}义务教育优质均衡社会认可度调查问卷",
        fields + [""] * (len(headers) - len(fields)),
        headers,
    )
    return Sheet("survey", f"{year}年", top, parts, merges), truth[keep]
