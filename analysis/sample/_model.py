"""Simulate the clean facts of the synthetic city 示例市 (示例数据，合成).

The model runs year by year and is vectorised over schools and teachers (numpy), so a
province-sized city of ~10,000 schools is as cheap per row as the default 12 counties.
Everything it draws is calibrated in ``city.yaml``. The output is *clean*: coded values of
the column dictionary, yuan not 万元; :mod:`analysis.sample._render` turns it into messy
bureau exports.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.config import PACKAGE_DIR, load_yaml
from analysis.dictionary import value_labels
from analysis.sections import area_type_from_code, load_rules, teacher_counts_from_roster

#: the sample generator's own parameter files (beside this module)
PARAMS_DIR = PACKAGE_DIR / "sample"
AREAS = ("urban", "town", "rural")
INDICATORS = ("L4", "L5", "L6", "L7")
ATTESTED_ITEMS = tuple(value_labels("item"))
DEGREES = ("postgraduate", "bachelor", "associate", "senior_secondary", "below_senior_secondary")
BACKBONE_OF_LABEL = {v: k for k, v in value_labels("backbone_level").items()}
# First grade a section teaches and its grades.
SECTION_OF_GRADE = np.array(["", *["primary"] * 6, *["junior"] * 3])


@functools.cache
def load_params() -> dict[str, Any]:
    """Calibration (``city.yaml``), bureau styles (``styles.yaml``) and headers (``headers.yaml``)."""
    out: dict[str, Any] = {}
    for name in ("city", "styles", "headers"):
        out[name] = load_yaml(PARAMS_DIR / f"{name}.yaml")
    return out


# ----------------------------------------------------------------------------- counties


@dataclass(frozen=True)
class County:
    """One county of the synthetic city."""

    number: int  # 1-based, also in the school identifiers
    name: str
    kind: str
    style: int
    overrides: dict


def build_counties(n_counties: int, city: dict[str, Any]) -> list[County]:
    """The first ``n_counties`` counties: the listed ones, then generated names.

    >>> [c.name for c in build_counties(3, load_params()["city"])]
    ['城东区', '青山县', '河口市']
    """
    if n_counties < 1:
        raise ValueError(f"n_counties must be at least 1, got {n_counties}")
    listed = city["counties"]
    out = [
        County(i + 1, c["name"], c["kind"], int(c.get("style", i)), dict(c.get("overrides") or {}))
        for i, c in enumerate(listed[:n_counties])
    ]
    extra = city["extra_county_names"]
    taken = {c["name"] for c in listed}
    names = [f"{a}{b}县" for b in extra["second"] for a in extra["first"]]
    names = [n for n in names if n not in taken]
    n_styles = len(load_params()["styles"]["styles"])
    for i in range(len(out), n_counties):
        j = i - len(listed)
        if j >= len(names):
            raise ValueError(f"at most {len(listed) + len(names)} counties can be generated")
        kind = extra["kinds"][j % len(extra["kinds"])]
        out.append(County(i + 1, names[j], kind, i % n_styles, {}))
    return out


# ----------------------------------------------------------------------------- schools


def _allocate(counts: list[int], total: int) -> list[int]:
    """Scale ``counts`` to sum to ``total`` by largest remainders (each kept >= 0).

    >>> _allocate([12, 5, 1], 9)
    [6, 3, 0]
    """
    base = sum(counts)
    raw = [c * total / base for c in counts]
    out = [math.floor(r) for r in raw]
    order = sorted(range(len(counts)), key=lambda i: (out[i] - raw[i], -counts[i]))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


class _Names:
    """Unique school names within a county from the place-name pools."""

    def __init__(self, county: str, places: dict[str, list[str]], rng: np.random.Generator):
        self.county = county
        self.towns = self._pool(places["towns"], rng)
        self.villages = self._pool(places["villages"], rng)
        self.counters: dict[str, int] = {}
        self.used: set[str] = set()

    @staticmethod
    def _pool(names: list[str], rng: np.random.Generator) -> list[str]:
        extra = [a + b[-1] for a in names for b in names if a != b]
        return list(rng.permutation(names)) + list(rng.permutation(extra))

    def _next(self, key: str) -> int:
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    def _take(self, pool: list[str], key: str) -> str:
        return pool[(self._next(key) - 1) % len(pool)]

    def name(self, school_type: str, code: str, private: bool) -> str:
        cn = "一二三四五六七八九十"
        c = self.county
        for _ in range(1000):
            name = self._draw(school_type, code, private, c, cn)
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("ran out of school names")  # pragma: no cover

    def _draw(self, school_type: str, code: str, private: bool, c: str, cn: str) -> str:
        def ordinal(key: str) -> str:
            n = self._next(key)
            return (
                cn[n - 1]
                if n <= 10
                else f"{cn[n // 10 - 1] if n >= 20 else ''}十{cn[n % 10 - 1] if n % 10 else ''}"
            )

        if school_type == "special":
            return f"{c}特殊教育学校"
        if private:
            brand = ["博雅", "启明", "英才", "育英", "明德", "新星", "华夏", "春晖"][
                (self._next("private") - 1) % 8
            ]
            suffix = {"primary": "小学", "twelve_year": "学校", "nine_year": "学校"}.get(
                school_type, "学校"
            )
            return f"{c}{brand}{suffix}"
        if school_type == "teaching_point":
            return f"{self._take(self.villages, 'village')}教学点"
        if code in ("111", "112"):
            if school_type == "primary":
                return f"{c}第{ordinal('primary')}小学"
            if school_type in ("junior", "complete_secondary"):
                return f"{c}第{ordinal('middle')}中学"
            return f"{c}第{ordinal('school')}学校"
        town = self._take(self.towns, "town")
        level = "乡" if code.startswith("2") else "镇"
        if code == "123":
            return f"{town}林场小学" if school_type == "primary" else f"{town}林场学校"
        if code == "220" and school_type == "primary":
            return f"{self._take(self.villages, 'village')}小学"
        if school_type == "primary":
            return f"{town}{level}中心小学"
        if school_type in ("junior", "complete_secondary"):
            return f"{town}{level}中学"
        return f"{town}{level}九年制学校"


def build_schools(
    counties: list[County],
    years: list[int],
    rng: np.random.Generator,
    schools_per_county: int | None,
    city: dict[str, Any],
) -> pd.DataFrame:
    """The school registry: one row per school, static attributes and calibration draws."""
    rows = []
    for county in counties:
        kind = city["kinds"][county.kind]
        templates = kind["templates"]
        regular = [t for t in templates if t["type"] != "special"]
        counts = [t["n"] for t in regular]
        if schools_per_county is not None:
            n_special = sum(t["n"] for t in templates if t["type"] == "special")
            counts = _allocate(counts, max(schools_per_county - n_special, 1))
        names = _Names(county.name, city["place_names"], rng)
        seq = 0
        county_rows = []
        for tpl, n in [
            *zip(regular, counts, strict=True),
            *[(t, t["n"]) for t in templates if t["type"] == "special"],
        ]:
            for _ in range(n):
                seq += 1
                private = bool(rng.random() < tpl.get("private", 0.0))
                lo, hi = tpl["intake"]
                county_rows.append(
                    {
                        "county_number": county.number,
                        "county": county.name,
                        "school_id": f"2{county.number % 1000:03d}{seq:06d}",
                        "school_type": tpl["type"],
                        "urban_rural_code": tpl["code"],
                        "is_private": private,
                        "is_boarding": bool(rng.random() < tpl.get("boarding", 0.0)),
                        "is_hot": bool(rng.random() < tpl.get("hot", 0.0)),
                        "intake": float(rng.uniform(lo, hi)),
                        "senior_intake": float(rng.uniform(*tpl["senior_intake"]))
                        if "senior_intake" in tpl
                        else 0.0,
                        "growth": kind["intake_growth"]
                        + rng.normal(0, city["enrolment"]["intake_growth_sd"]),
                        "migration": kind["migration"],
                        "school_name": names.name(tpl["type"], tpl["code"], private),
                    }
                )
        _plan_events(county_rows, county, years, rng, names)
        rows.extend(county_rows)
    schools = pd.DataFrame(rows)
    schools["area_type"] = area_type_from_code(schools["urban_rural_code"]).astype("str")
    grades = city["grades_of_type"]
    schools["grade_lo"] = schools["school_type"].map(lambda t: grades[t][0])
    schools["grade_hi"] = schools["school_type"].map(lambda t: grades[t][1])
    schools["open_year"] = schools["open_year"].fillna(-1).astype(int)
    schools["close_year"] = schools["close_year"].fillna(10_000).astype(int)
    n = len(schools)
    # Quality draws: a school factor shared by its indicators, and one per indicator.
    z_school = rng.normal(size=n)
    fac = city["facilities"]
    for ind in INDICATORS:
        disp = np.array(
            [
                _county_override(counties, cn, "dispersion", {}).get(ind, fac["dispersion"])
                for cn in schools["county_number"]
            ]
        )
        w = fac["school_weight"]
        z = w * z_school + np.sqrt(1 - w**2) * rng.normal(size=n)
        schools[f"q_{ind}"] = np.exp(fac["quality_mean"] + disp * z)
    tch = city["teachers"]
    schools["pe_art_factor"] = rng.uniform(*tch["pe_art_factor"], n)
    schools["backbone_factor"] = rng.uniform(*tch["backbone_factor"], n)
    schools["slack"] = rng.uniform(*fac["slack"], n)
    schools["has_gym"] = (
        rng.random(n) < schools["area_type"].map(fac["indoor_sports_probability"]).to_numpy()
    )
    schools["gym_share"] = rng.uniform(*fac["indoor_sports_share"], n)
    schools["music_short"] = rng.random(n) < fac["music_room_shortfall_probability"]
    cs = city["class_size"]
    schools["class_cap_primary"] = _class_caps(schools, cs["primary"], rng)
    schools["class_cap_junior"] = _class_caps(schools, cs["junior"], rng)
    schools["has_super_classes"] = schools["is_hot"] & (rng.random(n) < cs["super_class_share"])
    funds = city["funds"]
    schools["training_share"] = [
        rng.uniform(*_county_override(counties, cn, "training_share", funds["training_share"]))
        for cn in schools["county_number"]
    ]
    schools["daily_hours"] = np.where(
        schools["grade_lo"] >= 7,
        np.round(rng.uniform(*funds["daily_hours"]["junior"], n) * 2) / 2,
        np.round(rng.uniform(*funds["daily_hours"]["primary"], n) * 2) / 2,
    )
    share = np.array([rng.uniform(*funds["migrant_share"][a]) for a in schools["area_type"]])
    schools["migrant_share"] = np.where(
        schools["is_private"],
        np.minimum(share * funds["private_migrant_factor"], funds["private_migrant_max"]),
        share,
    )
    schools["nearby_primary"] = np.where(
        rng.random(n) < funds["nearby_full_share"],
        1.0,
        rng.uniform(*funds["nearby_rate"]["primary"], n),
    )
    schools["nearby_junior"] = rng.uniform(*funds["nearby_rate"]["junior"], n)
    bought = funds["purchased"]
    schools["purchased_share"] = np.where(
        rng.random(n) < bought["probability"], rng.uniform(*bought["share"], n), 0.0
    )
    return schools


def _county_override(counties: list[County], number: int, key: str, default: Any) -> Any:
    return counties[number - 1].overrides.get(key, default)


def _class_caps(
    schools: pd.DataFrame, sizes: dict[str, list[float]], rng: np.random.Generator
) -> np.ndarray:
    n = len(schools)
    out = np.empty(n)
    for area in AREAS:
        m = (schools["area_type"] == area).to_numpy()
        out[m] = rng.uniform(*sizes[area], m.sum())
    hot = schools["is_hot"].to_numpy()
    out[hot] = rng.uniform(*sizes["hot"], hot.sum())
    return out


def _plan_events(
    rows: list[dict], county: County, years: list[int], rng: np.random.Generator, names: _Names
) -> None:
    """Openings, closures, renames and teaching-point parents within one county."""
    for r in rows:
        r.update(
            open_year=None,
            close_year=None,
            rename_year=None,
            former_name=None,
            parent_school_id=None,
        )
    primaries = [r for r in rows if r["school_type"] == "primary" and not r["is_private"]]
    villages = [r for r in primaries if r["urban_rural_code"] in ("210", "220")] or primaries
    for r in rows:
        if r["school_type"] == "teaching_point" and villages:
            r["parent_school_id"] = villages[int(rng.integers(len(villages)))]["school_id"]
    parents = {r.get("parent_school_id") for r in rows}
    span = years[-1] - years[0]
    if span >= 3:
        urban = [r for r in primaries if r["urban_rural_code"] in ("111", "112")]
        if county.kind == "main" and urban:
            # A new school opens as the main district grows.
            r = urban[-1]
            r["open_year"] = years[0] + 2
        closable = [
            r for r in primaries if r["urban_rural_code"] == "220" and r["school_id"] not in parents
        ]
        if closable:
            closable[0]["close_year"] = years[-1] - 1  # merged into a central school (撤并)
    if span >= 1:
        # Renames: a township becomes a town (撤乡设镇), an urban school takes a new name.
        renamed = 0
        for r in rows:
            if renamed >= 2:
                break
            old = r["school_name"]
            new = None
            if "乡中心小学" in old:
                new = old.replace("乡中心小学", "镇中心小学")
            elif r["school_type"] == "primary" and r["urban_rural_code"] == "111" and "第" in old:
                new = f"{county.name}实验小学" if renamed == 0 else f"{county.name}育才小学"
            if new and new not in names.used and r["open_year"] is None:
                names.used.add(new)
                r["former_name"], r["school_name"] = old, new
                r["rename_year"] = years[0] + (span + 1) // 2
                renamed += 1


# ----------------------------------------------------------------------------- students


@dataclass
class Enrolment:
    """Simulated students: ``grades[t, school, g]`` for grades 1-9 and senior totals."""

    sim_years: list[int]
    grades: np.ndarray  # (T, n_schools, 10); index 0 unused
    senior: np.ndarray  # (T, n_schools)

    def at(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        t = self.sim_years.index(year)
        return self.grades[t], self.senior[t]


def simulate_enrolment(
    schools: pd.DataFrame, years: list[int], burn_in: int, rng: np.random.Generator, city: dict
) -> Enrolment:
    """Cohort progression: each grade is last year's lower grade times migration."""
    p = city["enrolment"]
    sim_years = list(range(years[0] - burn_in, years[-1] + 1))
    n = len(schools)
    lo = schools["grade_lo"].to_numpy()
    hi = schools["grade_hi"].to_numpy()
    g = np.arange(10)
    served = (g[None, :] >= lo[:, None]) & (g[None, :] <= hi[:, None]) & (g[None, :] >= 1)
    intake = schools["intake"].to_numpy()
    growth = schools["growth"].to_numpy()
    mig = schools["migration"].to_numpy()
    special = (schools["school_type"] == "special").to_numpy()
    nine = served[:, 7] & served[:, 6]
    open_year = schools["open_year"].to_numpy()
    close_year = schools["close_year"].to_numpy()
    T = len(sim_years)
    grades = np.zeros((T, n, 10))
    senior = np.zeros((T, n))
    # Start near a steady state: every grade about the intake (junior grades of 九年一贯制
    # schools a little bigger, as they take pupils from village schools too).
    start = intake[:, None] * rng.uniform(*p["start_spread"], (n, 10))
    start[nine, 7:] *= p["nine_year_junior_boost"]
    grades[0] = np.where(served, start, 0)
    senior_intake = schools["senior_intake"].to_numpy()
    senior[0] = senior_intake * 3
    for t in range(1, T):
        year = sim_years[t]
        prev = grades[t - 1]
        cur = np.zeros((n, 10))
        cur[:, 2:] = prev[:, 1:-1] * (
            1 + mig[:, None] + rng.normal(0, p["cohort_noise_sd"], (n, 8))
        )
        first = intake * (1 + growth) ** t * rng.uniform(*p["intake_noise"], n)
        cur[np.arange(n), lo] = first
        if nine.any():
            boost = p["nine_year_junior_boost"] + rng.normal(
                0, 2 * p["cohort_noise_sd"], nine.sum()
            )
            cur[nine, 7] = prev[nine, 6] * boost
        cur[special] = intake[special, None] * rng.uniform(
            *p["special_spread"], (special.sum(), 10)
        )
        cur = np.where(served, cur, 0)
        senior[t] = senior_intake * 3 * (1 + growth / 2) ** t * rng.uniform(*p["senior_noise"], n)
        grades[t] = cur
        # Not open yet or closed: no students; a new school starts with its first grade.
        newly = open_year == year
        grades[t, newly] = 0
        grades[t, newly, lo[newly]] = first[newly]
        gone = (year < open_year) | (year >= close_year)
        grades[t, gone] = 0
        senior[t, gone] = 0
    return Enrolment(
        sim_years, np.maximum(np.rint(grades), 0).astype(np.int64), np.rint(senior).astype(np.int64)
    )


# ----------------------------------------------------------------------------- classes


def simulate_classes(
    schools: pd.DataFrame, enrol: Enrolment, years: list[int], rng: np.random.Generator, city: dict
) -> pd.DataFrame:
    """One row per class: year, school, grade, class number k (1-based) and students."""
    cs = city["class_size"]
    parts = []
    special = (schools["school_type"] == "special").to_numpy()
    for year in years:
        g, _ = enrol.at(year)
        idx_s, idx_g = np.nonzero(g[:, 1:] > 0)
        idx_g = idx_g + 1
        students = g[idx_s, idx_g]
        cap = np.where(
            idx_g <= 6,
            schools["class_cap_primary"].to_numpy()[idx_s],
            schools["class_cap_junior"].to_numpy()[idx_s],
        )
        special_rows = special[idx_s]
        cap[special_rows] = rng.uniform(*cs["special"], special_rows.sum())
        k = np.maximum(1, np.ceil(students / cap)).astype(np.int64)
        k[(students < cs["single_class_below"]) & ~special_rows] = 1
        rep = np.repeat(np.arange(len(students)), k)
        j = np.arange(len(rep)) - np.repeat(np.cumsum(k) - k, k)
        s = students[rep]
        kk = k[rep]
        size = s // kk + (j < s % kk)
        # Zero-sum noise between the first two classes of a grade.
        d = rng.integers(0, 3, len(students))[rep]
        ok = (kk >= 2) & (size - d >= 1)
        pair_ok = np.zeros(len(students), bool)
        np.logical_or.at(pair_ok, rep[(j == 1) & ok], True)
        size = (
            size + np.where(pair_ok[rep] & (j == 0), d, 0) - np.where(pair_ok[rep] & (j == 1), d, 0)
        )
        # 超大班额: one class of 66+ in the lower grades of some hot schools, early years only.
        if year <= cs["super_class_last_year"]:
            big = rng.integers(
                cs["super_class_size"][0], cs["super_class_size"][1] + 1, len(students)
            )
            flag = schools["has_super_classes"].to_numpy()[idx_s] & (idx_g <= 2) & (k >= 2)
            rest = students - big
            flag &= rest / np.maximum(k - 1, 1) >= 35
            fr = flag[rep]
            k1 = np.maximum(kk - 1, 1)
            r = rest[rep]
            other = r // k1 + ((j - 1) < r % k1)
            size = np.where(fr, np.where(j == 0, big[rep], other), size)
        parts.append(
            pd.DataFrame(
                {
                    "year": year,
                    "school_idx": idx_s[rep],
                    "grade": idx_g[rep],
                    "class_no": j + 1,
                    "students": size.astype(np.int64),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


# ----------------------------------------------------------------------------- school facts


def school_facts(
    schools: pd.DataFrame,
    enrol: Enrolment,
    classes: pd.DataFrame,
    years: list[int],
    rng: np.random.Generator,
    counties: list[County],
    city: dict,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """core_schools-like rows (clean) for every output year, and core_enrolment rows.

    Section counts a school does not have are 0 here; ``na_*`` flags mark them (the renderer
    writes them as 0 or as missing, depending on the bureau's habit).
    """
    cls = _classes_by_section(classes)
    fixed = _facilities(schools, enrol, cls, len(years), rng, city["facilities"])
    floor_ok = np.array(
        [
            counties[c - 1].overrides.get("small_school_floor", True)
            for c in schools["county_number"]
        ]
    )
    special = (schools["school_type"] == "special").to_numpy()
    rows = []
    enrol_rows = []
    for yi, year in enumerate(years):
        g, sen = enrol.at(year)
        sp = g[:, 1:7].sum(axis=1)
        sj = g[:, 7:10].sum(axis=1)
        alive = (sp + sj + sen) > 0
        migrants = np.rint((sp + sj) * schools["migrant_share"].to_numpy()).astype(np.int64)
        frame = _year_facts(
            schools, year, g, sen, migrants, cls, fixed,
            age=enrol.sim_years.index(year) - fixed.first_t, yi=yi, floor_ok=floor_ok, city=city,
        )
        rows.append(frame[alive])
        enrol_rows.append(_year_enrolment(schools, year, g, migrants, special, rng, city["funds"]))
    facts = pd.concat(rows, ignore_index=True)
    enrolment = pd.concat(enrol_rows, ignore_index=True)
    return facts, enrolment


@dataclass(frozen=True)
class _Facilities:
    """Each school's facilities fixed at its design capacity (rooms added over the years)."""

    first_t: np.ndarray  # simulated year index of the school's design capacity
    equipment_base: np.ndarray  # equipment value needed at design capacity (yuan)
    net_teaching: np.ndarray
    indoor: np.ndarray
    ground: np.ndarray
    rooms0: np.ndarray
    extra_rooms: np.ndarray  # (output years, schools): multimedia rooms added so far
    music: np.ndarray
    music_area: np.ndarray
    art: np.ndarray
    art_area: np.ndarray


def _classes_by_section(classes: pd.DataFrame) -> pd.DataFrame:
    """Primary and junior classes of each school and year (indexed by year, school_idx)."""
    return (
        classes.assign(
            classes_primary=(classes["grade"] <= 6).astype(np.int64),
            classes_junior=(classes["grade"] >= 7).astype(np.int64),
        )
        .groupby(["year", "school_idx"])[["classes_primary", "classes_junior"]]
        .sum()
    )


def _design_needs(
    schools: pd.DataFrame, enrol: Enrolment, fac: dict
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Facility needs (L4-L7) at each school's design capacity, and the year index of it."""
    std = fac["standards"]
    n = len(schools)
    sim = enrol.sim_years
    # Design capacity: students of the school's first simulated year with students.
    tot = enrol.grades.sum(axis=2) + enrol.senior
    first_t = np.argmax(tot > 0, axis=0)
    prim = enrol.grades[:, :, 1:7].sum(axis=2)
    jun = enrol.grades[:, :, 7:10].sum(axis=2)
    ar = np.arange(n)
    opened_late = schools["open_year"].to_numpy() > sim[0]
    span = (schools["grade_hi"] - schools["grade_lo"] + 1).to_numpy()
    design_p = np.where(opened_late, schools["intake"] * np.minimum(span, 6), prim[first_t, ar])
    design_j = np.where(opened_late, 0, jun[first_t, ar])
    design_s = enrol.senior[first_t, ar]
    slack = 1 + schools["slack"].to_numpy()
    mult = np.where(
        schools["school_type"] == "special",
        fac["special_school_multiplier"],
        np.where(schools["school_type"] == "teaching_point", fac["teaching_point_multiplier"], 1.0),
    )
    base = {}
    for ind in INDICATORS:
        need = (
            design_p * std[ind]["primary"]
            + design_j * std[ind]["junior"]
            + design_s * std[ind]["senior"]
        )
        base[ind] = need * slack * mult * schools[f"q_{ind}"].to_numpy()
    return base, first_t


def _facilities(
    schools: pd.DataFrame, enrol: Enrolment, cls: pd.DataFrame, n_years: int,
    rng: np.random.Generator, fac: dict,
) -> _Facilities:
    """Areas, rooms and equipment of every school from its design needs (draws from ``rng``)."""
    n = len(schools)
    base, first_t = _design_needs(schools, enrol, fac)
    net_teaching = np.round(base["L4"], 0)
    indoor = np.where(schools["has_gym"], np.round(net_teaching * schools["gym_share"], 0), 0.0)
    ground = np.maximum(np.round(base["L5"] - indoor, 0), 0.0)
    rooms0 = np.maximum(1, np.rint(base["L7"] / 100)).astype(np.int64)
    extra_rooms = np.cumsum(
        rng.random((n_years, n)) < fac["multimedia_room_add_probability"], axis=0
    )
    first_classes = cls.groupby(level="school_idx").first().reindex(np.arange(n), fill_value=0)
    needed_rooms = np.ceil(
        (first_classes["classes_primary"] + first_classes["classes_junior"]).to_numpy() / 12
    )
    music = np.maximum(needed_rooms - schools["music_short"].to_numpy(), 1).astype(np.int64)
    art = np.maximum(needed_rooms, 1).astype(np.int64)
    tp = (schools["school_type"] == "teaching_point").to_numpy()
    music_area = np.round(music * rng.uniform(*fac["music_room_area"], n), 1)
    art_area = np.round(art * rng.uniform(*fac["art_room_area"], n), 1)
    tp_area = fac["teaching_point_room_area"]
    music_area[tp] = np.round(rng.uniform(*tp_area["music"], tp.sum()), 1)
    art_area[tp] = np.round(rng.uniform(*tp_area["art"], tp.sum()), 1)
    return _Facilities(
        first_t=first_t, equipment_base=base["L6"], net_teaching=net_teaching, indoor=indoor,
        ground=ground, rooms0=rooms0, extra_rooms=extra_rooms, music=music, music_area=music_area,
        art=art, art_area=art_area,
    )


def _budget(
    sp: np.ndarray, sj: np.ndarray, sen: np.ndarray, special: np.ndarray, floor_ok: np.ndarray,
    funds: dict,
) -> np.ndarray:
    """Public funds per school (yuan, rounded to 100): per student, small schools floored."""
    funded = np.where(
        floor_ok & (sp + sj < funds["small_school_floor"]) & ~special,
        funds["small_school_floor"],
        sp + sj,
    )
    budget = (
        np.where(
            special,
            (sp + sj) * funds["per_student"]["special"],
            np.where(
                sj > 0,
                funded
                * (sp * funds["per_student"]["primary"] + sj * funds["per_student"]["junior"])
                / np.maximum(sp + sj, 1),
                funded * funds["per_student"]["primary"],
            ),
        )
        + sen * funds["per_student"]["senior"]
    )
    return np.round(budget / 100) * 100


def _year_facts(
    schools: pd.DataFrame, year: int, g: np.ndarray, sen: np.ndarray, migrants: np.ndarray,
    cls: pd.DataFrame, fixed: _Facilities, *, age: np.ndarray, yi: int, floor_ok: np.ndarray,
    city: dict,
) -> pd.DataFrame:
    """One year's core_schools-like row of every school (closed schools included)."""
    fac, funds = city["facilities"], city["funds"]
    n = len(schools)
    ar = np.arange(n)
    sp = g[:, 1:7].sum(axis=1)
    sj = g[:, 7:10].sum(axis=1)
    c = (
        cls.xs(year, level="year").reindex(ar, fill_value=0)
        if year in cls.index.get_level_values(0)
        else None
    )
    equip = (
        np.round(fixed.equipment_base * (1 + fac["equipment_growth"]) ** np.maximum(age, 0) / 100)
        * 100
    )
    entry = np.zeros(n, np.int64)
    lo = schools["grade_lo"].to_numpy()
    entry += g[ar, lo]
    has7 = (lo < 7) & (schools["grade_hi"].to_numpy() >= 7)
    entry[has7] += g[has7, 7]
    nearby_rate = np.where(lo >= 7, schools["nearby_junior"], schools["nearby_primary"])
    nearby = np.minimum(np.rint(entry * nearby_rate), entry).astype(np.int64)
    special = (schools["school_type"] == "special").to_numpy()
    budget = _budget(sp, sj, sen, special, floor_ok, funds)
    training = np.round(budget * schools["training_share"].to_numpy() / 100) * 100
    return pd.DataFrame(
        {
            "year": year,
            "school_idx": ar,
            "school_id": schools["school_id"],
            "school_name": np.where(
                schools["rename_year"].notna() & (year < schools["rename_year"].fillna(0)),
                schools["former_name"],
                schools["school_name"],
            ),
            "city": city["city"],
            "county": schools["county"],
            "urban_rural_code": schools["urban_rural_code"],
            "area_type": schools["area_type"],
            "school_type": schools["school_type"],
            "is_private": schools["is_private"],
            "is_boarding": schools["is_boarding"],
            "is_counted_school": schools["school_type"] != "teaching_point",
            "parent_school_id": schools.get("parent_school_id"),
            "students_primary": sp,
            "students_junior": sj,
            "students_senior": sen,
            "classes_primary": c["classes_primary"].to_numpy() if c is not None else 0,
            "classes_junior": c["classes_junior"].to_numpy() if c is not None else 0,
            "new_entrants": entry,
            "nearby_enrolled_students": nearby,
            "migrant_students": migrants,
            "teaching_area_m2": fixed.net_teaching + fixed.indoor,
            "indoor_sports_area_m2": fixed.indoor,
            "sports_ground_area_m2": fixed.ground,
            "equipment_value_yuan": equip,
            "multimedia_rooms": fixed.rooms0 + fixed.extra_rooms[yi],
            "music_rooms": fixed.music,
            "music_room_area_m2": fixed.music_area,
            "art_rooms": fixed.art,
            "art_room_area_m2": fixed.art_area,
            "public_funds_budget_yuan": budget,
            "teacher_training_funds_yuan": training,
            "daily_hours_in_school": schools["daily_hours"],
            # Not-applicable flags for the renderer.
            "na_primary": ~(schools["grade_lo"] <= 6).to_numpy(),
            "na_junior": ~(schools["grade_hi"] >= 7).to_numpy(),
            "na_senior": sen == 0,
            "na_indoor": ~schools["has_gym"].to_numpy(),
        }
    )


def _year_enrolment(
    schools: pd.DataFrame, year: int, g: np.ndarray, migrants: np.ndarray, special: np.ndarray,
    rng: np.random.Generator, funds: dict,
) -> pd.DataFrame:
    """One year's students by compulsory grade, migrants and disabled spread over the grades."""
    n = len(schools)
    sp_sj = g[:, 1:7].sum(axis=1) + g[:, 7:10].sum(axis=1)  # primary + junior
    s_idx, g_idx = np.nonzero(g[:, 1:] > 0)
    g_idx = g_idx + 1
    st = g[s_idx, g_idx]
    mig = _spread(migrants, s_idx, st, rng)
    dis_total = np.where(
        special, sp_sj, rng.integers(*funds["disabled_per_school"], n, endpoint=True)
    )
    dis_total = np.minimum(dis_total, sp_sj)
    dis = _spread(dis_total, s_idx, st, rng)
    return pd.DataFrame(
        {
            "year": year,
            "school_idx": s_idx,
            "school_id": schools["school_id"].to_numpy()[s_idx],
            "section": SECTION_OF_GRADE[g_idx],
            "grade": g_idx,
            "students": st,
            "migrant_students": mig,
            "disabled_students": dis,
        }
    )


def _spread(
    totals: np.ndarray, owner: np.ndarray, weights: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Split each owner's total over its rows in proportion to ``weights`` (exact integers)."""
    out = np.zeros(len(owner), np.int64)
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(len(totals) + 1))
    for i in np.nonzero(totals > 0)[0]:
        rows = order[bounds[i] : bounds[i + 1]]
        if len(rows) == 0:
            continue
        w = weights[rows].astype(float)
        cap = weights[rows]
        draw = rng.multinomial(int(min(totals[i], cap.sum())), w / w.sum())
        out[rows] = np.minimum(draw, cap)
    return out


# ----------------------------------------------------------------------------- teachers


def _draw_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Categorical draw per row of a probability matrix."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(probs))
    return np.minimum((cum < u[:, None]).sum(axis=1), probs.shape[1] - 1)


def _planned(rng: np.random.Generator, group: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Flag about ``sum(p)`` members of each group (randomly rounded), chosen at random.

    >>> flags = _planned(np.random.default_rng(0), np.array([1, 1, 1, 1, 2, 2]), np.full(6, 0.5))
    >>> int(flags[:4].sum()), int(flags[4:].sum())
    (2, 1)
    """
    order = np.lexsort((rng.random(len(group)), group))
    g = group[order]
    starts = np.r_[0, np.nonzero(g[1:] != g[:-1])[0] + 1]
    sizes = np.diff(np.r_[starts, len(g)])
    expected = np.add.reduceat(p[order], starts)
    quota = np.floor(expected + rng.random(len(starts))).astype(np.int64)
    rank = np.arange(len(g)) - np.repeat(starts, sizes)
    out = np.empty(len(g), bool)
    out[order] = rank < np.repeat(quota, sizes)
    return out


def _draw_bands(rng: np.random.Generator, bands: list[list[float]], n: int) -> np.ndarray:
    p = np.array([b[2] for b in bands], float)
    which = rng.choice(len(bands), n, p=p / p.sum())
    lo = np.array([b[0] for b in bands])[which]
    hi = np.array([b[1] for b in bands])[which]
    return rng.integers(lo, hi + 1)


def teacher_needs(
    schools: pd.DataFrame, facts: pd.DataFrame, teachers_scale: float, city: dict
) -> pd.DataFrame:
    """Full-time teachers each school section needs in a year (students / ratio, per class)."""
    tch = city["teachers"]
    rows = []
    sections = load_rules()["sections_of_type"]
    for sec in ("primary", "junior", "senior"):
        has = facts["school_type"].map(lambda t, s=sec: s in sections.get(t, ())).astype(bool)
        f = facts[has & (facts[f"students_{sec}"] > 0)]
        students = f[f"students_{sec}"].to_numpy(float)
        classes = np.ceil(students / 50) if sec == "senior" else f[f"classes_{sec}"].to_numpy(float)
        ratio = f["area_type"].map(tch["ratio"][sec]).to_numpy(float)
        per_class = np.where(
            f["school_type"] == "teaching_point",
            tch["per_class"]["teaching_point"],
            tch["per_class"][sec],
        )
        need = np.maximum(students / ratio, classes * per_class)
        special = (f["school_type"] == "special").to_numpy()
        need[special] = students[special] / tch["ratio"]["special"]
        need = np.maximum(1, np.rint(need * teachers_scale)).astype(np.int64)
        rows.append(
            pd.DataFrame(
                {"year": f["year"], "school_idx": f["school_idx"], "section": sec, "need": need}
            )
        )
    return pd.concat(rows, ignore_index=True)


class _Hirer:
    """Draws new teachers (vectorised) with area-, section- and school-specific attributes."""

    def __init__(
        self, schools: pd.DataFrame, counties: list[County], rng: np.random.Generator, city: dict
    ):
        self.s = schools
        self.counties = counties
        self.rng = rng
        self.t = city["teachers"]
        self.serial = np.zeros(len(counties) + 1, np.int64)
        subj = self.t["subjects"]
        self.subjects = {
            sec: (list(d), np.array(list(d.values()), float)) for sec, d in subj.items()
        }
        cert = np.array(
            [c.overrides.get("certificate_rate", self.t["certificate_rate"]) for c in counties]
        )
        self.cert_rate = cert

    def new(
        self, school_idx: np.ndarray, section: np.ndarray, year: int, initial: bool
    ) -> pd.DataFrame:
        rng, t, s = self.rng, self.t, self.s
        n = len(school_idx)
        area = s["area_type"].to_numpy()[school_idx]
        age = np.empty(n, np.int64)
        degree = np.empty(n, np.int64)
        female = np.empty(n, bool)
        for a in AREAS:
            m = area == a
            if not m.any():
                continue
            age[m] = _draw_bands(rng, t["age_bands"][a] if initial else t["hire_ages"], m.sum())
            female[m] = rng.random(m.sum()) < t["female_share"][a]
            p = np.array(t["degree"][a] if initial else t["hire_degree"], float)
            probs = np.tile(p, (m.sum(), 1))
            upper = section[m] != "primary"
            # Junior and senior teachers: half the below-bachelor share moves to 本科.
            moved = probs[upper, 2:].sum(axis=1) / 2
            probs[upper, 2:] /= 2
            probs[upper, 1] += moved
            degree[m] = _draw_rows(rng, probs)
        female &= age <= t["retirement_age"]["female"]
        birth_year = year - age
        month = rng.integers(1, 13, n)
        day = rng.integers(1, 29, n)
        birth = pd.to_datetime(pd.DataFrame({"year": birth_year, "month": month, "day": day}))
        # Subjects: per section, PE/art shares scaled by the school's factor. A school's first
        # staff follows a staffing plan (the expected number of PE/art and backbone teachers,
        # randomly rounded); teachers hired later are drawn one by one.
        group = school_idx * 4 + np.searchsorted(["junior", "primary", "senior"], section)
        subject = np.empty(n, object)
        pe_f = s["pe_art_factor"].to_numpy()[school_idx] * np.array(
            [t["pe_art_area_factor"][a] for a in area]
        )
        for sec, (names, p) in self.subjects.items():
            m = section == sec
            if not m.any():
                continue
            is_pe = np.isin(names, t["pe_art_subjects"])
            p_pe = np.minimum(p[is_pe].sum() * pe_f[m], 1.0)
            pe = _planned(rng, group[m], p_pe) if initial else rng.random(m.sum()) < p_pe
            probs = np.tile(p, (m.sum(), 1))
            probs[np.ix_(pe, ~is_pe)] = 0
            probs[np.ix_(~pe, is_pe)] = 0
            subject[m] = np.array(names, object)[_draw_rows(rng, probs)]
        for name, (variant, share) in t["subject_spellings"].items():
            m = (subject == name) & (rng.random(n) < share)
            subject[m] = variant
        share = np.minimum(
            np.array([t["backbone_share"][a] for a in area])
            * s["backbone_factor"].to_numpy()[school_idx],
            1.0,
        )
        hired = rng.random(n) < share * t["hire_backbone_factor"]
        backbone = _planned(rng, group, share) if initial else hired
        levels = list(t["backbone_levels"])
        lv = np.array(levels, object)[
            rng.choice(len(levels), n, p=np.array(list(t["backbone_levels"].values())))
        ]
        bb = np.where(backbone, lv, np.where(rng.random(n) < t["school_level_share"], "校级", "无"))
        county_no = s["county_number"].to_numpy()[school_idx]
        ids = np.empty(n, object)
        for c in np.unique(county_no):
            m = county_no == c
            start = self.serial[c]
            self.serial[c] += m.sum()
            ids[m] = [f"T{c % 1000:03d}{k:07d}" for k in range(start + 1, start + m.sum() + 1)]
        return pd.DataFrame(
            {
                "teacher_id": ids,
                "school_idx": school_idx,
                "teaching_section": section,
                "gender": np.where(female, "female", "male"),
                "birth_date": birth,
                "degree_idx": degree,
                "main_subject": subject,
                "backbone_label": bb,
                "has_teacher_certificate": rng.random(n) < self.cert_rate[county_no - 1],
                "is_on_quota": rng.random(n) < t["on_quota_rate"],
            }
        )


def simulate_teachers(
    schools: pd.DataFrame,
    facts: pd.DataFrame,
    years: list[int],
    counties: list[County],
    teachers_scale: float,
    rng: np.random.Generator,
    city: dict,
) -> pd.DataFrame:
    """The teacher roster of every output year (clean codes), with ids stable across years.

    Teachers age, retire (men after 60, women after 55), leave, and are hired where a school
    section needs more; surplus teachers move away. Degrees improve and backbone teachers are
    promoted over the years; exchange flags and training hours are drawn each year.
    """
    t = city["teachers"]
    needs = teacher_needs(schools, facts, teachers_scale, city)
    hirer = _Hirer(schools, counties, rng, city)
    county_rate = {}
    out = []
    pool = None
    for year in range(years[0], years[-1] + 1):
        need = needs[needs["year"] == year]
        if need.empty:
            continue
        if pool is None:
            pool = hirer.new(
                np.repeat(need["school_idx"].to_numpy(), need["need"]),
                np.repeat(need["section"].to_numpy(), need["need"]),
                year,
                True,
            )
        else:
            age = year - pool["birth_date"].dt.year
            retire = np.where(
                pool["gender"] == "female",
                age > t["retirement_age"]["female"],
                age > t["retirement_age"]["male"],
            )
            leave = rng.random(len(pool)) < t["attrition"]
            pool = pool[~retire & ~leave]
            # Surplus teachers of a section move away (random ones).
            key = pool["school_idx"].astype(str) + "|" + pool["teaching_section"]
            pool = pool.assign(_r=rng.random(len(pool)), _key=key)
            pool["_rank"] = pool.groupby("_key")["_r"].rank(method="first")
            cap = need.assign(
                _key=need["school_idx"].astype(str) + "|" + need["section"]
            ).set_index("_key")["need"]
            limit = pool["_key"].map(cap).fillna(0).to_numpy()
            pool = pool[pool["_rank"].to_numpy() <= limit].drop(columns=["_r", "_rank"])
            have = pool.groupby("_key").size()
            deficit = cap - have.reindex(cap.index, fill_value=0)
            deficit = deficit[deficit > 0]
            nd = need.set_index(need["school_idx"].astype(str) + "|" + need["section"])
            sidx = nd.loc[deficit.index, "school_idx"].to_numpy()
            sec = nd.loc[deficit.index, "section"].to_numpy()
            hired = hirer.new(
                np.repeat(sidx, deficit.to_numpy()), np.repeat(sec, deficit.to_numpy()), year, False
            )
            pool = pd.concat([pool.drop(columns=["_key"]), hired], ignore_index=True)
            # In-service degree upgrades and backbone promotions.
            up = (pool["degree_idx"] == 2) & (rng.random(len(pool)) < t["degree_upgrade"])
            pool.loc[up, "degree_idx"] = 1
            promo = pool["backbone_label"].isin(["无", "校级"]) & (
                rng.random(len(pool)) < t["backbone_promotion"]
            )
            pool.loc[promo, "backbone_label"] = "县级"
        pool = _pe_art_minimum(pool, schools, t)
        out.append(_yearly_flags(pool, schools, year, rng, t, county_rate))
    roster = pd.concat(out, ignore_index=True)
    roster = roster[roster["year"].isin(years)].reset_index(drop=True)
    return roster


def _pe_art_minimum(pool: pd.DataFrame, schools: pd.DataFrame, t: dict) -> pd.DataFrame:
    """Most schools assign at least one PE/art teacher once they have a few teachers."""
    is_pe = pool["main_subject"].isin(t["pe_art_subjects"]).to_numpy()
    key = (
        pool["school_idx"].to_numpy() * 4
        + pool["teaching_section"].map({"primary": 0, "junior": 1, "senior": 2}).to_numpy()
    )
    size = pd.Series(1, index=key).groupby(level=0).transform("size").to_numpy()
    has_pe = pd.Series(is_pe, index=key).groupby(level=0).transform("any").to_numpy()
    keen = (
        schools["pe_art_factor"].rank(pct=True).to_numpy()[pool["school_idx"].to_numpy()]
        > 1 - t["pe_art_minimum_share"]
    )
    candidate = ~has_pe & keen & (size >= t["pe_art_minimum_from"]) & ~is_pe
    first = candidate & ~pd.Series(candidate, index=key).groupby(level=0).cumsum().gt(1).to_numpy()
    if not first.any():
        return pool
    pool = pool.copy()
    pool.loc[first, "main_subject"] = "体育与健康"
    return pool


def _yearly_flags(
    pool: pd.DataFrame,
    schools: pd.DataFrame,
    year: int,
    rng: np.random.Generator,
    t: dict,
    county_rate: dict,
) -> pd.DataFrame:
    n = len(pool)
    age = year - pool["birth_date"].dt.year.to_numpy()
    eligible = (age <= 55) & (rng.random(n) < t["exchange_eligible_share"])
    county_no = schools["county_number"].to_numpy()[pool["school_idx"].to_numpy()]
    rates = {c: rng.uniform(*t["exchange_rate"]) for c in np.unique(county_no)}
    county_rate.update({(c, year): r for c, r in rates.items()})
    backbone = pool["backbone_label"].isin(["县级", "市级", "省级", "国家级"]).to_numpy()
    weight = np.where(backbone, t["exchange_backbone_boost"], 1.0)
    mean_w = _group_mean(weight, eligible, county_no)
    p = np.array([rates[c] for c in county_no]) * weight / mean_w
    exchanged = eligible & (rng.random(n) < p)
    hours = rng.normal(t["training_hours"]["mean"], t["training_hours"]["sd"], n)
    low = rng.random(n) < t["training_hours"]["low_share"]
    hours[low] = rng.uniform(*t["training_hours"]["low"], low.sum())
    return pool.assign(
        year=year,
        is_exchange_eligible=eligible,
        is_exchanged=exchanged,
        training_hours_5y=np.round(np.maximum(hours, 0)),
    )


def _group_mean(weight: np.ndarray, mask: np.ndarray, group: np.ndarray) -> np.ndarray:
    s = pd.Series(np.where(mask, weight, np.nan)).groupby(group).mean().fillna(1.0)
    return s.reindex(group).to_numpy()


def roster_codes(roster: pd.DataFrame, schools: pd.DataFrame, city: dict) -> pd.DataFrame:
    """Roster in the codes of core_teachers (plus helper columns county / county_number)."""
    groups = city["subject_groups"]
    out = pd.DataFrame(
        {
            "year": roster["year"].to_numpy(),
            "school_id": schools["school_id"].to_numpy()[roster["school_idx"].to_numpy()],
            "teacher_id": roster["teacher_id"].to_numpy(),
            "gender": roster["gender"].to_numpy(),
            "birth_date": roster["birth_date"].to_numpy(),
            "degree": np.array(DEGREES, object)[roster["degree_idx"].to_numpy()],
            "teaching_section": roster["teaching_section"].to_numpy(),
            "main_subject": roster["main_subject"].to_numpy(),
            "subject_group": roster["main_subject"].map(groups).to_numpy(),
            "backbone_level": roster["backbone_label"].map(BACKBONE_OF_LABEL).to_numpy(),
            "has_teacher_certificate": roster["has_teacher_certificate"].to_numpy(),
            "is_exchange_eligible": roster["is_exchange_eligible"].to_numpy(),
            "is_exchanged": roster["is_exchanged"].to_numpy(),
            "training_hours_5y": roster["training_hours_5y"].to_numpy(),
            "is_on_quota": roster["is_on_quota"].to_numpy(),
            "county_number": schools["county_number"].to_numpy()[roster["school_idx"].to_numpy()],
        }
    )
    missing = out["subject_group"].isna()
    if missing.any():
        raise ValueError(
            f"subjects without a group in city.yaml: {sorted(out.loc[missing, 'main_subject'].unique())}"
        )
    return out


def teacher_counts(roster: pd.DataFrame) -> pd.DataFrame:
    """Per school, year and section counts (what a bureau without a roster reports)."""
    return teacher_counts_from_roster(roster)
