"""City and province reports: a whole city (or province), its named county groups, and every county side by side.

Reports of the 长治市 kind speak of a city and of groups of its counties ("主城区小学在校生
2018—2021年分别为42971人、…"; "全市农村学校50岁以上教师占比27%"). The groups are data:
``analysis/data/county_groups.yaml`` (or a CSV, see :func:`load_groups`) names each city's
province and its groups (e.g. 主城区 = the urban districts). A county's city comes from the
data (``core_schools.city``) and, where the data have none, from that file.

Every city-level figure is computed from the member counties' rows, never from county
figures averaged: the series are sums of students, the shares are over all teachers, the
urban-rural levels are Σ numerator ÷ Σ students (:mod:`analysis.studies.gaps`). A region
is reported over the counties that sent the table a figure needs; the coverage (how many
counties, which are missing) goes with every figure, and a year in which a member county
sent nothing is marked incomplete and left out of the derived figures (change, average
annual change, compound growth), so a missing county never looks like a fall in enrolment.

Examples
--------
>>> g = load_groups()
>>> g.cities["示例市"]["groups"]["主城区"]
('城东区', '城西区', '北郊区')
>>> places = county_places(pd.DataFrame({"county": ["城东区", "青山县", "甲县"],
...                                      "city": ["示例市", "示例市", None]}), g)
>>> places.values.tolist()
[['城东区', '示例市', '示例省'], ['甲县', '未注明地市', '未注明省份'], ['青山县', '示例市', '示例省']]
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.config import data_path, load_yaml
from analysis.dictionary import coerce, empty_frame, value_label
from analysis.studies import COMPULSORY, check_choice, params
from analysis.studies.enrolment import (
    add_yoy_change,
    period_change,
    published_enrolment,
    students_by_level,
)
from analysis.studies.gaps import urban_rural_gaps
from analysis.studies.teachers import age_groups, degree_structure, prepare_teachers

__all__ = [
    "GROUPS_PATH",
    "SCOPES",
    "CountyGroups",
    "GroupsFileError",
    "Region",
    "area_contrast",
    "comparison_long",
    "comparison_table",
    "county_places",
    "coverage",
    "key_shortfalls",
    "region_note",
    "status_long",
    "load_groups",
    "missing_notes",
    "published_beside",
    "published_derived",
    "published_teacher_beside",
    "region_enrolment",
    "region_enrolment_summary",
    "region_gaps",
    "region_teacher_shares",
    "region_teachers",
    "regions",
    "relabel",
]

GROUPS_PATH = data_path("county_groups.yaml")
SCOPES = ("city", "province")
UNKNOWN_CITY = "未注明地市"
UNKNOWN_PROVINCE = "未注明省份"
#: column of :func:`relabel` output that keeps the member county's own name
MEMBER = "member_county"
#: CSV header of a groups file (Chinese or English names accepted)
CSV_COLUMNS = {"省": "province", "province": "province", "市": "city", "city": "city",
               "分组": "group", "group": "group", "县": "county", "county": "county",
               "县（区）": "county", "县(区)": "county"}
_CITY_KEYS = {"province", "counties", "groups", "synthetic"}
PARTS = ("resource", "guarantee", "quality", "recognition", "veto")


class GroupsFileError(ValueError):
    """A county-groups file that cannot be used; the message names the file and the place."""


@dataclass(frozen=True)
class CountyGroups:
    """Cities with their province, declared counties and named groups (from one file)."""

    cities: dict[str, dict[str, Any]]
    path: str = ""

    def city_of(self, county: str) -> str | None:
        """The city whose counties or groups list ``county`` (first in file order), or None."""
        for name, spec in self.cities.items():
            if county in spec["counties"] or any(county in m for m in spec["groups"].values()):
                return name
        return None

    def province_of(self, city: str) -> str | None:
        spec = self.cities.get(city)
        return spec["province"] if spec else None


def _names(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise GroupsFileError(f"{where}: expected a list of county names, got {value!r}")
    names = [str(v).strip() for v in value]
    if any(not n for n in names):
        raise GroupsFileError(f"{where}: empty county name in {list(value)!r}")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise GroupsFileError(f"{where}: county listed twice: {', '.join(dup)}")
    return tuple(names)


def _from_yaml(path: Path) -> dict[str, dict[str, Any]]:
    try:
        doc = load_yaml(Path(path).resolve()) or {}
    except yaml.YAMLError as exc:
        raise GroupsFileError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, Mapping) or set(doc) - {"cities"}:
        raise GroupsFileError(f"{path}: the top level must be one key 'cities' (got {sorted(doc) if isinstance(doc, Mapping) else type(doc).__name__})")
    cities: dict[str, dict[str, Any]] = {}
    for city, spec in (doc.get("cities") or {}).items():
        where = f"{path}: cities.{city}"
        spec = spec or {}
        if not isinstance(spec, Mapping):
            raise GroupsFileError(f"{where}: expected a mapping with {', '.join(sorted(_CITY_KEYS))}")
        unknown = set(spec) - _CITY_KEYS
        if unknown:
            raise GroupsFileError(f"{where}: unknown keys {sorted(unknown)}; allowed: {', '.join(sorted(_CITY_KEYS))}")
        groups = {}
        for gname, members in (spec.get("groups") or {}).items():
            names = _names(members, f"{where}.groups.{gname}")
            if not names:
                raise GroupsFileError(f"{where}.groups.{gname}: a group needs at least one county")
            groups[str(gname)] = names
        cities[str(city)] = {
            "province": str(spec["province"]).strip() if spec.get("province") else None,
            "counties": _names(spec.get("counties"), f"{where}.counties"),
            "groups": groups,
            "synthetic": bool(spec.get("synthetic", False)),
        }
    return cities


def _from_csv(path: Path) -> dict[str, dict[str, Any]]:
    cities: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = {h: CSV_COLUMNS.get((h or "").strip()) for h in reader.fieldnames or []}
        missing = {"city", "county"} - set(header.values())
        if missing:
            raise GroupsFileError(f"{path}: header needs columns 市 and 县 (and optionally 省, 分组); got {reader.fieldnames}")
        for i, raw in enumerate(reader, start=2):
            row = {header[k]: (v or "").strip() for k, v in raw.items() if header.get(k)}
            if not row.get("city") and not row.get("county"):
                continue  # blank line
            for col in ("city", "county"):
                if not row.get(col):
                    raise GroupsFileError(f"{path}: row {i}, column {'市' if col == 'city' else '县'}: empty")
            spec = cities.setdefault(row["city"], {"province": None, "counties": (), "groups": {}, "synthetic": False})
            prov = row.get("province") or None
            if prov and spec["province"] and prov != spec["province"]:
                raise GroupsFileError(f"{path}: row {i}, column 省: {row['city']} is in {spec['province']} on an earlier row, here {prov}")
            spec["province"] = spec["province"] or prov
            if row["county"] not in spec["counties"]:
                spec["counties"] = (*spec["counties"], row["county"])
            if row.get("group"):
                members = spec["groups"].setdefault(row["group"], ())
                if row["county"] not in members:
                    spec["groups"][row["group"]] = (*members, row["county"])
    return cities


def load_groups(path: str | os.PathLike | None = None) -> CountyGroups:
    """Read a county-groups file: YAML (``cities: {城市: {province, counties, groups}}``) or CSV.

    Parameters
    ----------
    path : YAML (``.yaml``/``.yml``) or CSV (``.csv``, header ``省,市,分组,县``, one row per county
        and group) file; default ``analysis/data/county_groups.yaml``.

    Raises
    ------
    GroupsFileError
        Naming the file and the key or row: unknown keys, a group without counties, a
        county listed twice in one list, a county in two cities, a city in two provinces.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "g.csv"
    ...     _ = p.write_text("省,市,分组,县\\n甲省,甲市,主城区,东区\\n甲省,甲市,,北县\\n", encoding="utf-8")
    ...     g = load_groups(p)
    >>> g.cities["甲市"]["counties"], g.cities["甲市"]["groups"]
    (('东区', '北县'), {'主城区': ('东区',)})
    """
    p = Path(path) if path else GROUPS_PATH
    if not p.is_file():
        raise GroupsFileError(f"{p}: county-groups file not found")
    if p.suffix.lower() in (".yaml", ".yml"):
        cities = _from_yaml(p)
    elif p.suffix.lower() == ".csv":
        cities = _from_csv(p)
    else:
        raise GroupsFileError(f"{p}: a county-groups file is .yaml, .yml or .csv")
    seen: dict[str, str] = {}
    for city, spec in cities.items():
        for county in {*spec["counties"], *[c for m in spec["groups"].values() for c in m]}:
            if county in seen and seen[county] != city:
                raise GroupsFileError(f"{p}: county {county} is listed under two cities: {seen[county]} and {city}")
            seen[county] = city
    return CountyGroups(cities, str(p))


def county_places(schools: pd.DataFrame, groups: CountyGroups | None = None) -> pd.DataFrame:
    """``county, city, province`` for every county of ``schools`` (a frame with ``county``, maybe ``city``).

    The data's city wins (the most frequent non-empty value of the county); otherwise the
    groups file's; otherwise :data:`UNKNOWN_CITY`. The province comes from the groups file
    (:data:`UNKNOWN_PROVINCE` when the city is not in it).
    """
    groups = groups or load_groups()
    d = schools.assign(county=schools["county"].astype("object")).dropna(subset=["county"])
    d = d.assign(county=d["county"].astype(str))
    counties = sorted(d["county"].unique())
    data_city: dict[str, str] = {}
    if "city" in d:
        c = d.dropna(subset=["city"])
        c = c.loc[c["city"].astype(str).str.strip() != ""]
        if len(c):
            data_city = c.groupby("county")["city"].agg(lambda s: s.astype(str).value_counts().index[0]).to_dict()
    rows = []
    for county in counties:
        city = data_city.get(county) or groups.city_of(county) or UNKNOWN_CITY
        rows.append((county, city, groups.province_of(city) or UNKNOWN_PROVINCE))
    return pd.DataFrame(rows, columns=["county", "city", "province"])


@dataclass(frozen=True)
class Region:
    """A city or province of the data: its counties, its named groups and who is missing.

    ``groups`` keep only counties of the data; ``absent`` lists, per group (and under the
    region's own name), counties the groups file names that the data do not have.
    """

    scope: str
    name: str
    counties: tuple[str, ...]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    absent: dict[str, tuple[str, ...]] = field(default_factory=dict)
    synthetic: bool = False

    def members(self) -> dict[str, tuple[str, ...]]:
        """``{region or group name: its counties}``, the region first (groups named like the
        region are left out)."""
        out = {self.name: self.counties}
        for g, m in self.groups.items():
            if g != self.name and m:
                out[g] = m
        return out

    def label(self) -> str:
        return "全市" if self.scope == "city" else "全省"


def regions(places: pd.DataFrame, groups: CountyGroups | None = None, scope: str = "city") -> dict[str, Region]:
    """Every city (or province) of ``places`` (:func:`county_places`) as a :class:`Region`.

    A province's groups are its cities. Examples:

    >>> places = pd.DataFrame({"county": ["城东区", "青山县"], "city": ["示例市"] * 2, "province": ["示例省"] * 2})
    >>> r = regions(places)["示例市"]
    >>> r.counties, r.groups["主城区"], r.absent["主城区"]
    (('城东区', '青山县'), ('城东区',), ('城西区', '北郊区'))
    >>> regions(places, scope="province")["示例省"].groups
    {'示例市': ('城东区', '青山县')}
    """
    check_choice("scope", scope, SCOPES)
    groups = groups or load_groups()
    key = "city" if scope == "city" else "province"
    out: dict[str, Region] = {}
    for name, part in places.groupby(key, sort=True):
        have = tuple(sorted(part["county"].astype(str)))
        cities = sorted(part["city"].unique())
        specs = {c: groups.cities.get(c) for c in cities}
        synthetic = any(s and s["synthetic"] for s in specs.values())
        if scope == "city":
            spec = specs[name] or {"counties": (), "groups": {}}
            declared = {name: tuple(dict.fromkeys([*spec["counties"], *[c for m in spec["groups"].values() for c in m]]))}
            declared.update(spec["groups"])
        else:
            declared = {}
            for c in cities:
                spec = specs[c] or {"counties": (), "groups": {}}
                declared[c] = tuple(dict.fromkeys([*spec["counties"], *[x for m in spec["groups"].values() for x in m]]))
            declared[name] = tuple(x for m in declared.values() for x in m)
        grp = {}
        if scope == "city":
            grp = {g: tuple(c for c in m if c in have) for g, m in declared.items() if g != name}
        else:
            grp = {c: tuple(sorted(part.loc[part["city"] == c, "county"].astype(str))) for c in cities}
        absent = {g: tuple(c for c in m if c not in have) for g, m in declared.items()}
        out[str(name)] = Region(scope, str(name), have, grp, {g: a for g, a in absent.items() if a}, synthetic)
    return out


def relabel(df: pd.DataFrame, members: Mapping[str, Sequence[str]], column: str = "county") -> pd.DataFrame:
    """Rows of each region's member counties with ``column`` set to the region's name.

    A county in several regions appears once per region; its own name is kept in
    :data:`MEMBER`.

    >>> d = pd.DataFrame({"county": ["甲", "乙", "丙"], "students": [1, 2, 3]})
    >>> out = relabel(d, {"全市": ["甲", "乙", "丙"], "主城区": ["甲"]})
    >>> out[["county", "member_county", "students"]].values.tolist()
    [['全市', '甲', 1], ['全市', '乙', 2], ['全市', '丙', 3], ['主城区', '甲', 1]]
    """
    own = df[column].astype("object").astype(str)
    parts = []
    for name, counties in members.items():
        sel = df.loc[own.isin(list(counties))]
        parts.append(sel.assign(**{MEMBER: own[sel.index], column: name}))
    if not parts:
        return df.iloc[0:0].assign(**{MEMBER: pd.Series(dtype=str)})
    return pd.concat(parts, ignore_index=True)


def _order_regions(df: pd.DataFrame, names: Sequence[str], column: str = "region") -> pd.DataFrame:
    rank = {n: i for i, n in enumerate(names)}
    return df.assign(_r=df[column].map(rank)).sort_values("_r", kind="stable").drop(columns="_r").reset_index(drop=True)


def region_enrolment(sections: pd.DataFrame, members: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Students by region, area type, section and year, with coverage and the year-on-year change.

    Parameters
    ----------
    sections : core_school_sections of the member counties (all years).
    members : ``{region: counties}``, e.g. :meth:`Region.members`.

    Returns
    -------
    pandas.DataFrame
        ``out_region_enrolment``: ``region, area_group, section_group, year, students,
        n_counties`` (member counties with school sections in any year), ``n_counties_reporting``
        (that year), ``is_complete`` and ``yoy_change`` / ``yoy_change_pct`` (between complete
        years only).

    Examples
    --------
    >>> sec = pd.DataFrame({"year": [2020, 2021, 2020, 2021, 2021], "county": ["甲", "甲", "乙", "乙", "丙"],
    ...     "area_type": "urban", "section": "primary", "students": [100, 110, 50, 55, 7]})
    >>> t = region_enrolment(sec, {"全市": ["甲", "乙", "丙"], "主城区": ["甲", "乙"]})
    >>> t.query("area_group == 'all' and section_group == 'primary'")[
    ...     ["region", "year", "students", "n_counties_reporting", "is_complete", "yoy_change"]].values.tolist()
    [['全市', 2020, 150, 2, False, nan], ['全市', 2021, 172, 3, True, nan], ['主城区', 2020, 150, 2, True, nan], ['主城区', 2021, 165, 2, True, 15.0]]
    """
    d = relabel(sections, members)
    names = list(members)
    if d.empty:
        return coerce(pd.DataFrame(columns=["region"]), "out_region_enrolment")
    levels = students_by_level(d).rename(columns={"county": "region"})
    comp = d.loc[d["section"].isin(params()["compulsory_sections"])]
    expected = comp.groupby("county")[MEMBER].nunique().rename("n_counties")
    reporting = comp.groupby(["county", "year"])[MEMBER].nunique().rename("n_counties_reporting")
    out = levels.merge(expected, left_on="region", right_index=True, how="left")
    out = out.merge(reporting, left_on=["region", "year"], right_index=True, how="left")
    out["n_counties_reporting"] = out["n_counties_reporting"].fillna(0)
    out["is_complete"] = out["n_counties_reporting"] >= out["n_counties"]
    keys = ["region", "area_group", "section_group"]
    complete = add_yoy_change(out.loc[out["is_complete"]], by=keys)
    out = out.merge(complete[[*keys, "year", "yoy_change", "yoy_change_pct"]], on=[*keys, "year"], how="left")
    out = _order_regions(out, names)
    return coerce(out, "out_region_enrolment")


def region_enrolment_summary(trends: pd.DataFrame) -> pd.DataFrame:
    """Total change, average annual change and compound growth over each region's complete years.

    ``trends`` is :func:`region_enrolment` output. A region with fewer than two complete
    years has no row (its coverage note says why).

    >>> t = pd.DataFrame({"region": ["主城区"] * 4, "area_group": "all", "section_group": "primary",
    ...     "year": [2018, 2019, 2020, 2021], "students": [42971, 46014, 52579, 52656], "is_complete": True})
    >>> r = region_enrolment_summary(t).iloc[0]
    >>> int(r["total_change"]), round(float(r["avg_annual_change"])), round(float(r["cagr_pct"]), 2)
    (9685, 3228, 7.01)
    """
    keys = ["region", "area_group", "section_group"]
    d = trends.loc[trends["is_complete"].astype(bool)] if "is_complete" in trends else trends
    n_years = d.groupby(keys, observed=True)["year"].transform("nunique") if len(d) else pd.Series(dtype=int)
    d = d.loc[n_years >= 2]
    if d.empty:
        return coerce(pd.DataFrame(columns=keys), "out_region_enrolment_summary")
    names = list(dict.fromkeys(trends["region"]))
    out = period_change(d, by=keys)
    return coerce(_order_regions(out, names), "out_region_enrolment_summary")


def coverage(frame: pd.DataFrame, region: Region, *, what: str, kind: str) -> str:
    """One Chinese sentence: which of the region's counties ``frame`` covers (by ``county``).

    >>> r = Region("city", "甲市", ("东区", "北县"))
    >>> coverage(pd.DataFrame({"county": ["东区"]}), r, what="教师结构", kind="专任教师名册（表2）")
    '教师结构按1个县（区）计算（东区）；北县未提供专任教师名册（表2），未计入。'
    """
    have = sorted(set(frame["county"].astype(str)) & set(region.counties)) if len(frame) else []
    lacking = [c for c in region.counties if c not in have]
    text = f"{what}按{len(have)}个县（区）计算（{'、'.join(have) or '无'}）"
    if lacking:
        text += f"；{'、'.join(lacking)}未提供{kind}，未计入"
    return text + "。"


def published_beside(trends: pd.DataFrame, published: pd.DataFrame | None, region: Region) -> pd.DataFrame:
    """Computed enrolment beside the figures official documents printed for the region or its groups.

    A published series matches when its ``region`` is the region's name and its ``area`` is
    全部 (the whole region) or names one of the groups (e.g. 主城区). The document stays the
    source of every published figure.

    Returns
    -------
    pandas.DataFrame
        ``region, section_group, year, students`` (computed; missing where the data have no
        such year), ``published_students, difference`` (computed − published), ``source``.

    Examples
    --------
    >>> t = pd.DataFrame({"region": ["主城区"], "area_group": ["all"], "section_group": ["primary"],
    ...     "year": [2021], "students": [52000]})
    >>> pub = pd.DataFrame({"region": ["甲市"], "indicator": ["在校生数"], "published_section": ["小学"],
    ...     "area": ["主城区"], "year": [2021], "value": [52656.0], "unit": ["人"], "source": ["甲市政府"]})
    >>> r = Region("city", "甲市", ("东区",), {"主城区": ("东区",)})
    >>> published_beside(t, pub, r)[["region", "year", "students", "published_students", "difference"]].values.tolist()
    [['主城区', 2021, 52000.0, 52656.0, -656.0]]
    """
    cols = ["region", "section_group", "year", "students", "published_students", "difference", "source"]
    if published is None or published.empty:
        return pd.DataFrame(columns=cols)
    series = published_enrolment(published, min_years=1)
    series = series.loc[series["region"].astype(str) == region.name]
    names = set(region.members())
    area = series["area"].fillna("全部").astype(str)
    target = area.where(area.isin(names - {region.name}), None)
    target = target.where(target.notna(), area.map(lambda a: region.name if a in ("全部", region.name) else None))
    series = series.assign(region=target).dropna(subset=["region"])
    if series.empty:
        return pd.DataFrame(columns=cols)
    pub = series.rename(columns={"students": "published_students"})[
        ["region", "section_group", "year", "published_students", "source"]]
    mine = trends.loc[trends["area_group"] == "all", ["region", "section_group", "year", "students"]]
    out = pub.merge(mine, on=["region", "section_group", "year"], how="left")
    out["students"] = out["students"].astype("float64")
    out["difference"] = out["students"] - out["published_students"]
    return _order_regions(out[cols].sort_values(["region", "section_group", "year"]), list(region.members()))


def published_derived(published: pd.DataFrame | None, region: Region, *,
                      words: Sequence[str] = ("增长", "增加", "减少")) -> pd.DataFrame:
    """Derived enrolment figures a document printed for the region or its groups (3年增长, 年均增长, …),
    with their source, to read beside :func:`region_enrolment_summary`.

    >>> pub = pd.DataFrame({"region": ["甲市", "甲市"], "indicator": ["在校生数", "在校生3年增长人数"],
    ...     "published_section": ["小学", "小学"], "area": ["主城区", "主城区"], "year": [2021, 2021],
    ...     "value": [52656.0, 9685.0], "unit": ["人", "人"], "source": ["甲市政府"] * 2})
    >>> published_derived(pub, Region("city", "甲市", ("东区",), {"主城区": ("东区",)}))[["area", "indicator", "value"]].values.tolist()
    [['主城区', '在校生3年增长人数', 9685.0]]
    """
    cols = ["region", "area", "indicator", "published_section", "year", "value", "unit", "source"]
    if published is None or published.empty:
        return pd.DataFrame(columns=cols)
    ind = published["indicator"].astype(str)
    area = published["area"].fillna("全部").astype(str)
    hit = (published["region"].astype(str) == region.name) & ind.str.contains("在校生") \
        & ind.map(lambda t: any(w in t for w in words)) & area.isin({"全部", *region.members()})
    return published.loc[hit, cols].reset_index(drop=True)


def region_teachers(teachers: pd.DataFrame, schools: pd.DataFrame,
                    members: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The roster prepared per region (:func:`~analysis.studies.teachers.prepare_teachers`),
    with ``county`` = the region; a county in two regions counts in both."""
    parts = []
    own = schools["county"].astype("object").astype(str)
    for name, counties in members.items():
        sch = schools.loc[own.isin(list(counties))].assign(county=name)
        if len(sch) and len(teachers):
            parts.append(prepare_teachers(teachers, sch))
    if not parts:
        return prepare_teachers(teachers.iloc[0:0], schools.iloc[0:0])
    return pd.concat(parts, ignore_index=True)


def region_teacher_shares(prepared: pd.DataFrame, section_group: str = COMPULSORY) -> pd.DataFrame:
    """Age-group and degree shares by area type per region (one long frame).

    Returns ``region, area_group, measure, category, teachers, share_pct`` where ``measure``
    is ``age_group`` (50岁以上 / 51-55岁 / 56-60岁) or ``degree`` (研究生 … 高中以下, and
    本科以下 together, as reports quote it).

    >>> prep = pd.DataFrame({"year": 2024, "county": "甲市", "area_group": ["rural"] * 4,
    ...     "section_group": "compulsory", "age": pd.array([30, 52, 58, 40], dtype="Int64"),
    ...     "degree": ["bachelor", "associate", "associate", "senior_secondary"]})
    >>> s = region_teacher_shares(prep)
    >>> s.loc[s["category"].isin(["50岁以上", "本科以下"]), ["category", "teachers", "share_pct"]].values.tolist()
    [['50岁以上', 2, 50.0], ['本科以下', 3, 75.0]]
    """
    cols = ["region", "area_group", "measure", "category", "teachers", "share_pct"]
    d = prepared.loc[prepared["section_group"] == section_group] if len(prepared) else prepared
    if d.empty:
        return pd.DataFrame(columns=cols)
    ages = age_groups(d).rename(columns={"age_group": "category"}).assign(measure="age_group")
    deg = degree_structure(d)
    below = set(params()["below_bachelor_degrees"])
    sums = deg.loc[deg["degree"].isin(below)].groupby(["year", "county", "area_group", "section_group"],
                                                     observed=True, sort=False)
    below_rows = sums["teachers"].sum().reset_index().assign(degree="本科以下")
    totals = d.groupby(["year", "county", "area_group", "section_group"], observed=True).size().rename("_n")
    below_rows = below_rows.merge(totals.reset_index(), on=["year", "county", "area_group", "section_group"])
    below_rows = below_rows.assign(share_pct=below_rows["teachers"] / below_rows["_n"] * 100).drop(columns="_n")
    deg = pd.concat([deg.assign(degree=deg["degree"].map(lambda v: value_label("degree", v))), below_rows],
                    ignore_index=True)
    deg = deg.rename(columns={"degree": "category"}).assign(measure="degree")
    out = pd.concat([ages, deg], ignore_index=True).rename(columns={"county": "region"})
    out = out.dropna(subset=["category"])
    area = {k: i for i, k in enumerate(["urban", "town", "rural", "all"])}
    out = out.assign(_a=out["area_group"].map(area), _m=out["measure"].map({"age_group": 0, "degree": 1}))
    out = out.sort_values(["_m", "_a"], kind="stable").drop(columns=["_a", "_m"])
    names = list(dict.fromkeys(prepared["county"]))
    out["teachers"] = out["teachers"].astype("int64")
    return _order_regions(out[cols], names)


def published_teacher_beside(shares: pd.DataFrame, published: pd.DataFrame | None, region: Region) -> pd.DataFrame:
    """Computed teacher shares beside the shares a document printed for the region (e.g. 长治市
    农村学校50岁以上教师占比27%), with the document as source.

    The printed indicators and areas are mapped by ``published_teacher_shares`` of the
    parameters. Returns ``region, area_group, category, share_pct`` (computed; missing where
    the data have none), ``published_pct, difference`` (percentage points), ``year, source``.

    >>> shares = pd.DataFrame({"region": ["甲市"], "area_group": ["rural"], "measure": ["age_group"],
    ...     "category": ["50岁以上"], "teachers": [44], "share_pct": [21.5]})
    >>> pub = pd.DataFrame({"region": ["甲市"], "indicator": ["50岁以上教师占比"], "published_section": ["全部"],
    ...     "area": ["农村"], "year": [2021], "value": [27.0], "unit": ["%"], "source": ["甲市政府"]})
    >>> published_teacher_beside(shares, pub, Region("city", "甲市", ("东区",)))[
    ...     ["area_group", "category", "share_pct", "published_pct", "difference"]].values.tolist()
    [['rural', '50岁以上', 21.5, 27.0, -5.5]]
    """
    cols = ["region", "area_group", "category", "share_pct", "published_pct", "difference", "year", "source"]
    if published is None or published.empty:
        return pd.DataFrame(columns=cols)
    spec = params()["published_teacher_shares"]
    d = published.loc[(published["region"].astype(str) == region.name)
                      & published["indicator"].astype(str).isin(list(spec["indicators"]))]
    if d.empty:
        return pd.DataFrame(columns=cols)
    pub = pd.DataFrame({"region": region.name,
                        "area_group": d["area"].fillna("全部").astype(str).map(spec["areas"]),
                        "category": d["indicator"].astype(str).map(spec["indicators"]),
                        "published_pct": d["value"].astype("float64"), "year": d["year"], "source": d["source"]})
    pub = pub.dropna(subset=["area_group"])
    mine = shares.loc[shares["region"] == region.name, ["region", "area_group", "category", "share_pct"]] \
        if len(shares) else pd.DataFrame(columns=["region", "area_group", "category", "share_pct"])
    out = pub.merge(mine, on=["region", "area_group", "category"], how="left")
    out["share_pct"] = out["share_pct"].astype("float64")
    out["difference"] = out["share_pct"] - out["published_pct"]
    return out[cols].reset_index(drop=True)


def area_contrast(frame: pd.DataFrame, region: str, column: str = "region") -> bool:
    """Whether ``region`` has rows for at least two area types (城区 / 镇区 / 乡村), so that a
    chart by area compares something.

    >>> area_contrast(pd.DataFrame({"region": ["甲", "甲"], "area_group": ["urban", "all"]}), "甲")
    False
    """
    areas = frame.loc[frame[column] == region, "area_group"] if len(frame) else pd.Series(dtype=str)
    return areas[areas != "all"].nunique() >= 2


def region_gaps(sections: pd.DataFrame, members: Mapping[str, Sequence[str]], *,
                classes: pd.DataFrame | None = None, schools: pd.DataFrame | None = None,
                teachers: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Urban-rural levels and gaps per region (:func:`~analysis.studies.gaps.urban_rural_gaps`).

    ``teachers`` is :func:`region_teachers` output (already per region). L1-L7 levels are
    Σ numerator ÷ Σ students over the region's counted school sections.
    """
    levels, gaps_ = [], []
    for name, counties in members.items():
        sec = sections.loc[sections["county"].astype("object").astype(str).isin(list(counties))].assign(county=name)
        if sec.empty:
            continue
        sch = cls = None
        if schools is not None and classes is not None and len(classes):
            sch = schools.loc[schools["county"].astype("object").astype(str).isin(list(counties))].assign(county=name)
            cls = classes.loc[classes["school_id"].isin(set(sch["school_id"]))]
        prep = teachers.loc[teachers["county"] == name] if teachers is not None and len(teachers) else None
        lv, gp = urban_rural_gaps(sec, classes=cls, schools=sch, teachers=prep)
        levels.append(lv)
        gaps_.append(gp)
    if not levels:
        return empty_frame("out_area_levels"), empty_frame("out_area_gaps")
    return pd.concat(levels, ignore_index=True), pd.concat(gaps_, ignore_index=True)


# ---------------------------------------------------------------------------- comparison
def comparison_long(ev: Any, counties: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The engine's tables restricted to ``counties``: ``cv``, ``verdict``, ``shortfalls``.

    Empty frames (with the columns) where ``ev`` is None.
    """
    empty = {"cv": ["county", "section", "indicator", "cv", "threshold", "is_met"],
             "verdict": ["county", "part", "status", "is_met", "reason"],
             "shortfalls": ["county", "part", "indicator", "gap_unit", "gap", "n_schools"]}
    if ev is None:
        return {k: pd.DataFrame(columns=v) for k, v in empty.items()}
    sel = set(counties)
    return {
        "cv": ev.cv.loc[ev.cv["county"].astype(str).isin(sel)].reset_index(drop=True),
        "verdict": ev.verdict.loc[ev.verdict["county"].astype(str).isin(sel)].reset_index(drop=True),
        "shortfalls": ev.shortfall_totals.loc[ev.shortfall_totals["county"].astype(str).isin(sel)].reset_index(drop=True),
    }


def _gap_text(row: Mapping[str, Any]) -> str:
    unit = value_label("gap_unit", row["gap_unit"]).replace("教师（人）", "人").replace("学生（人）", "人")
    gap = float(row["gap"])
    amount = f"{gap:,.0f}" if abs(gap) >= 10 or gap == int(gap) else f"{gap:,.1f}"
    return f"{row['indicator']}缺{amount}{unit}"


def key_shortfalls(shortfalls: pd.DataFrame, *, parts: Sequence[str] = ("resource",),
                   also: Sequence[str] = ("G5",), limit: int = 8) -> pd.Series:
    """Per county, the shortfalls that decide the resource part (and class size G5) in words.

    >>> s = pd.DataFrame({"county": ["甲", "甲", "甲"], "part": ["resource", "resource", "guarantee"],
    ...     "indicator": ["L3", "L5", "G5"], "gap_unit": ["teachers", "m2", "students"],
    ...     "gap": [9.0, 28614.8, 2900.0]})
    >>> key_shortfalls(s)["甲"]
    'L3缺9人；L5缺28,615平方米；G5缺2,900人'
    """
    if shortfalls is None or shortfalls.empty:
        return pd.Series(dtype=str)
    d = shortfalls.loc[(shortfalls["part"].isin(list(parts)) | shortfalls["indicator"].isin(list(also)))
                       & pd.to_numeric(shortfalls["gap"], errors="coerce").gt(0)]
    if d.empty:
        return pd.Series(dtype=str)
    d = d.assign(_text=[_gap_text(r) for r in d.to_dict("records")])
    return d.groupby(d["county"].astype(str), sort=False)["_text"].agg(lambda s: "；".join(list(s)[:limit]))


def missing_notes(ctx: Any) -> dict[str, str]:
    """Per county of the region, the table kinds it did not send for the year, in Chinese.

    Read from the processed folder: 学校基本情况表（表1） (core_schools), 专任教师名册（表2）,
    班级（表3）, 社会认可度问卷（表7）; the comparison table shows them in 说明.
    """
    kinds = [("core_schools", "学校基本情况表（表1）"), ("core_teachers", "专任教师名册（表2）"),
             ("core_classes", "班级表（表3）"), ("core_survey", "社会认可度问卷（表7）")]
    schools = ctx.read("core_schools", all_years=False)
    county_of = dict(zip(schools["school_id"], schools["county"].astype(str), strict=False))
    have: dict[str, set[str]] = {}
    for name, _ in kinds:
        frame = schools if name == "core_schools" else ctx.read(name, all_years=False)
        if "county" in frame:
            have[name] = set(frame["county"].astype(str))
        else:
            have[name] = {county_of[s] for s in frame["school_id"] if s in county_of}
    notes = {}
    for county in ctx.region.counties:
        lacking = [label for name, label in kinds if county not in have[name]]
        if county not in have["core_schools"]:
            lacking = [kinds[0][1]]  # without schools the school-keyed kinds cannot be matched
        if lacking:
            notes[county] = f"{ctx.year}年未提供" + "、".join(lacking)
    return notes


def comparison_table(ev: Any, counties: Sequence[str], *, notes: Mapping[str, str] | None = None
                     ) -> pd.DataFrame:
    """Every county in one row: the verdict of each part, the 14 difference coefficients and the key shortfalls.

    A county the engine could not evaluate, or a part or coefficient it could not compute
    (no junior schools, no survey, ...), is empty — with the reason in 说明; the coefficients
    above their limit are listed in 超过上限的差异系数. Returns a frame with Chinese headers
    whose coefficient columns are numbers (their kind, ``coef``, is declared in
    ``attrs["kinds"]`` for the report table).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> ev = SimpleNamespace(
    ...     cv=pd.DataFrame({"county": ["甲"], "section": ["primary"], "indicator": ["L5"], "cv": [0.782],
    ...                      "threshold": [0.5], "is_met": [False]}),
    ...     verdict=pd.DataFrame({"county": ["甲", "甲"], "part": ["resource", "overall"],
    ...                           "status": ["not_met", "not_met"], "is_met": [False, False], "reason": ["", ""]}),
    ...     shortfall_totals=pd.DataFrame({"county": ["甲"], "part": ["resource"], "indicator": ["L5"],
    ...                                    "gap_unit": ["m2"], "gap": [100.0], "n_schools": [2]}))
    >>> t = comparison_table(ev, ["甲", "乙"])
    >>> t.loc[0, ["县（区）", "综合结论", "资源配置", "超过上限的差异系数", "主要缺口"]].tolist(), float(t.loc[0, "小学L5"])
    (['甲', '未达标', '未达标', '小学L5', 'L5缺100平方米'], 0.782)
    >>> t.loc[1, "综合结论"], t.loc[1, "说明"], t.attrs["kinds"]["小学L5"]
    ('—', '未能评估', 'coef')
    """
    tables = comparison_long(ev, counties)
    cv, verdict, short = tables["cv"], tables["verdict"], tables["shortfalls"]
    keys = list(params()["resource_indicators"])
    texts = key_shortfalls(short)
    notes = dict(notes or {})
    rows = []
    evaluated = set(verdict["county"].astype(str))
    for county in counties:
        row: dict[str, Any] = {"县（区）": county}
        note = [notes[county]] if county in notes else []
        v = verdict.loc[verdict["county"].astype(str) == county].set_index("part")
        for part in ("overall", *PARTS):
            status = v["status"].get(part) if part in v.index else None
            row[value_label("part", part)] = value_label("status", status) if status else "—"
        if county not in evaluated:
            note.append("未能评估")
        c = cv.loc[cv["county"].astype(str) == county]
        over = []
        for section in ("primary", "junior"):
            sc = c.loc[c["section"] == section].set_index("indicator")
            if county in evaluated and sc["cv"].notna().sum() == 0:
                note.append(f"无{value_label('section', section)}差异系数（没有参评的{value_label('section', section)}学校或数据缺失）")
            for k in keys:
                name = f"{value_label('section', section)}{k}"
                val = sc["cv"].get(k) if k in sc.index else None
                row[name] = float("nan") if val is None or pd.isna(val) else float(val)
                met = sc["is_met"].get(k) if k in sc.index else None
                if met is not None and not pd.isna(met) and not bool(met):
                    over.append(name)
        row["超过上限的差异系数"] = "、".join(over) if over else ("—" if county not in evaluated else "无")
        row["主要缺口"] = texts.get(county, "—" if county not in evaluated else "无")
        row["说明"] = "；".join(dict.fromkeys(note))
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["kinds"] = {f"{value_label('section', s)}{k}": "coef" for s in ("primary", "junior") for k in keys}
    return out


def status_long(ev: Any, counties: Sequence[str]) -> pd.DataFrame:
    """``county, part, status`` for every county and part (``missing`` where not evaluated)."""
    verdict = comparison_long(ev, counties)["verdict"]
    idx = pd.MultiIndex.from_product([list(counties), ["overall", *PARTS]], names=["county", "part"])
    v = verdict.assign(county=verdict["county"].astype(str)).drop_duplicates(["county", "part"])
    s = v.set_index(["county", "part"])["status"].reindex(idx)
    return s.fillna("missing").reset_index()


def region_note(region: Region) -> str:
    """Chinese lines on the region's counties, groups and counties named but without data."""
    lines = [f"{region.name}：数据中共{len(region.counties)}个县（区）（{'、'.join(region.counties)}）。"]
    if region.absent.get(region.name):
        lines.append(f"分组文件列出的{'、'.join(region.absent[region.name])}未报送数据，不在统计之内。")
    word = "分组" if region.scope == "city" else "所辖市"
    for g, m in region.groups.items():
        missing = region.absent.get(g)
        tail = f"（所列的{'、'.join(missing)}未报送数据）" if missing else ""
        lines.append(f"{word}“{g}”：{'、'.join(m) if m else '数据中没有其所列县（区）'}{tail}。")
    return "\n\n".join(lines)

