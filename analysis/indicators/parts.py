"""The parts' common base: what a part of the evaluation produces and the helpers they share.

Every computing function of an indicator (:mod:`analysis.indicators.registry`) returns a
:class:`PartFrames`, or the county rows alone; attested items (G1, G2, G10, Q3, Q5-Q7,
V1-V6) come from :func:`attested_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.indicators.common import MISSING, indicator_info, key_positions, to_float
from analysis.indicators.rows import county_rows

#: The reason of an attested item that a county did not attest.
ATTESTATION_MISSING = f"{MISSING}：未提供认定材料"


@dataclass
class PartFrames:
    """What a part of the evaluation produces (lists of frames, concatenated later)."""

    county: list[pd.DataFrame] = field(default_factory=list)
    measures: list[pd.DataFrame] = field(default_factory=list)
    schools: list[pd.DataFrame] = field(default_factory=list)
    shortfalls: list[pd.DataFrame] = field(default_factory=list)
    class_excess: list[pd.DataFrame] = field(default_factory=list)

    def extend(self, other: PartFrames) -> None:
        for name in ("county", "measures", "schools", "shortfalls", "class_excess"):
            getattr(self, name).extend(getattr(other, name))


def compulsory_students(schools: pd.DataFrame) -> np.ndarray:
    """Primary + junior students of each school (NaN only when both are missing).

    >>> compulsory_students(pd.DataFrame({"students_primary": [600, None, None],
    ...     "students_junior": [400, 30, None]})).tolist()
    [1000.0, 30.0, nan]
    """
    p = to_float(schools["students_primary"]) if "students_primary" in schools else np.full(len(schools), np.nan)
    j = to_float(schools["students_junior"]) if "students_junior" in schools else np.full(len(schools), np.nan)
    both = np.isnan(p) & np.isnan(j)
    return np.where(both, np.nan, np.nan_to_num(p) + np.nan_to_num(j))


def column_values(frame: pd.DataFrame, col: str) -> np.ndarray:
    """A column as floats, all NaN when the frame lacks it.

    >>> column_values(pd.DataFrame({"a": [1, None]}), "a").tolist(), column_values(pd.DataFrame({"a": [1]}), "b").tolist()
    ([1.0, nan], [nan])
    """
    return to_float(frame[col]) if col in frame else np.full(len(frame), np.nan)


def school_type_codes(frame: pd.DataFrame) -> np.ndarray:
    """The ``school_type`` codes of the rows as an object array (None when the frame lacks them).

    >>> school_type_codes(pd.DataFrame({"school_type": pd.Categorical(["primary"])})).tolist()
    ['primary']
    """
    return frame["school_type"].astype("object").to_numpy() if "school_type" in frame else np.full(len(frame), None)


def rows_in_keys(frame: pd.DataFrame | None, keys: pd.DataFrame, year_col: str = "year") -> pd.DataFrame | None:
    """Rows of a county-level table (county, year) that belong to the evaluated counties
    (``year_col`` renamed ``year``); None when there are none.

    >>> keys = pd.DataFrame({"year": [2024], "county": ["甲县"]})
    >>> rows_in_keys(pd.DataFrame({"county": ["甲县", "乙县"], "graduation_year": [2024, 2024]}), keys,
    ...              year_col="graduation_year").values.tolist()
    [['甲县', 2024]]
    """
    if frame is None or not len(frame):
        return None
    f = frame.rename(columns={year_col: "year"}) if year_col != "year" else frame
    inside = key_positions(f, keys) >= 0
    if not inside.any():
        return None
    f = f.loc[inside] if not inside.all() else f
    return f.assign(year=f["year"].astype("int64"), county=f["county"].astype("object")).reset_index(drop=True)


def attested_rows(keys: pd.DataFrame, attestations: pd.DataFrame | None, items: list[str]) -> list[pd.DataFrame]:
    """County rows of attested items (yes/no and the note) from core_attestations.

    For veto items (V1-V6) the attestation says whether the violation exists; the row's
    ``is_met`` is the requirement "no such violation" (so True = no veto).

    >>> keys = pd.DataFrame({"year": [2024], "county": ["甲县"]})
    >>> att = pd.DataFrame({"county": ["甲县", "甲县"], "year": [2024, 2024], "item": ["G1", "V2"],
    ...                     "is_met": [True, False], "note": ["规划已批复", None]})
    >>> rows = attested_rows(keys, att, ["G1", "G2", "V2"])
    >>> [(r.indicator.iloc[0], r.status.iloc[0], r.detail.iloc[0]) for r in rows]
    [('G1', 'met', '县级认定：是。规划已批复'), ('G2', 'missing', '数据缺失：未提供认定材料'), ('V2', 'met', '县级认定：不存在')]
    """
    att = rows_in_keys(attestations, keys)
    out = []
    for item in items:
        info = indicator_info(item)
        data = None
        if att is not None:
            sub = att.loc[att["item"].astype("object") == item]
            if len(sub):
                raw = sub["is_met"].astype("boolean")
                veto = info["part"] == "veto"
                if veto:
                    met = ~raw
                    words = np.where(raw.isna(), "未填写", np.where(raw.fillna(False), "存在", "不存在"))
                else:
                    met = raw
                    words = np.where(raw.isna(), "未填写", np.where(raw.fillna(False), "是", "否"))
                notes = sub["note"].astype("object") if "note" in sub else pd.Series(None, index=sub.index)
                detail = [f"县级认定：{w}" + (f"。{n}" if isinstance(n, str) and n.strip() else "")
                          for w, n in zip(words, notes, strict=True)]
                data = pd.DataFrame({"year": sub["year"].to_numpy(), "county": sub["county"].to_numpy(),
                                     "is_met": pd.array(met, dtype="boolean"), "is_attested": True,
                                     "detail": detail})
        out.append(county_rows(keys, item, data, missing_detail=ATTESTATION_MISSING))
    return out


def teachers_with_schools(teachers: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """The roster rows of the evaluated schools, with the school's county, type and sector.

    >>> t = pd.DataFrame({"year": [2024, 2024], "school_id": ["1", "9"], "training_hours_5y": [400.0, 10.0]})
    >>> s = pd.DataFrame({"year": [2024], "school_id": ["1"], "county": ["甲县"], "is_private": [False]})
    >>> teachers_with_schools(t, s)[["school_id", "county"]].values.tolist()
    [['1', '甲县']]
    """
    cols = [c for c in ("year", "school_id", "county", "school_name", "school_type", "area_type", "is_private") if c in schools]
    sch = schools[cols].assign(year=schools["year"].astype("int64"))
    t = teachers.assign(year=teachers["year"].astype("int64"))
    return t.merge(sch, on=["year", "school_id"], how="inner")
