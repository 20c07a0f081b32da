"""Tests of the synthetic sample generator (analysis.sample; 示例数据，合成).

The central test reads every generated file back with a small, independent reference reader
(header synonyms from headers.yaml, NFKC, missing tokens, 万元, date formats, total and note
rows, bad rows) and checks that it recovers ``SampleTruth`` exactly: the truth is what a
correct cleaner must produce.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from analysis.dictionary import coerce, table_columns, validate, value_labels
from analysis.sample import SampleTruth, generate_sample, parse_years
from analysis.sample._model import load_params
from analysis.sections import area_type_from_code

SEED, COUNTIES, YEARS = 20240901, 3, (2022, 2023, 2024)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, SampleTruth]:
    out = tmp_path_factory.mktemp("sample") / "raw"
    return out, generate_sample(out, seed=SEED, n_counties=COUNTIES, years=YEARS)


# ----------------------------------------------------------------------------- reference reader

KIND_OF_NAME = {
    "学校基本情况": "schools",
    "专任教师名册": "teachers",
    "分校专任教师汇总": "teacher_counts",
    "班级": "classes",
    "在校生分年级": "enrolment",
    "学生变动": "cohort_flows",
    "县级保障": "county_figures",
    "社会认可度问卷": "survey",
    "出生人口": "births",
}
MISSING = {"", "-", "—", "/", "无"}
NON_DATA = re.compile(r"^(合计|总计|小计)$|^(注|填表人|合计)[:：]")
GRADES = {
    g: i
    for i, g in enumerate(
        [
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
    )
    if g
}


def _inverse(name: str) -> dict[str, str]:
    return {v: k for k, v in value_labels(name).items()}


VALUE_MAPS = {
    "school_type": {
        **_inverse("school_type"),
        "九年一贯制": "nine_year",
        "十二年一贯制": "twelve_year",
        "特教学校": "special",
    },
    "is_private": {"公办": False, "民办": True},
    "is_on_quota": {"在编": True, "编外": False, "是": True, "否": False},
    "gender": _inverse("gender"),
    "degree": _inverse("degree"),
    "teaching_section": _inverse("teaching_section"),
    "section": _inverse("section"),
    "backbone_level": _inverse("backbone_level"),
    "respondent_group": _inverse("respondent_group"),
    "overall_answer": _inverse("overall_answer"),
    "area_group": {"城区": "urban", "镇区": "town", "乡村": "rural"},
}
BOOLS = {
    "is_boarding",
    "is_counted_school",
    "has_teacher_certificate",
    "is_exchange_eligible",
    "is_exchanged",
}
TEXT = {
    "school_id",
    "school_name",
    "city",
    "county",
    "urban_rural_code",
    "parent_school_id",
    "teacher_id",
    "main_subject",
    "class_name",
    "questionnaire_id",
}


class Reject(Exception):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column = column


def _norm(v) -> str:
    return "" if v is None else unicodedata.normalize("NFKC", str(v)).strip()


def _number(v, header: str, negative_ok: bool = False):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        x = float(v)
    else:
        s = _norm(v).replace(",", "")
        if s in MISSING:
            return None
        s = s.rstrip("%")
        try:
            x = float(s)
        except ValueError:
            raise Reject(header, "text in a number column") from None
    if x < 0 and not negative_ok:
        raise Reject(header, "negative")
    return x * 10000 if "万元" in header else x


def _birth(v, header: str):
    if isinstance(v, (dt.datetime, dt.date)):
        return pd.Timestamp(v)
    s = _norm(v)
    for pat, fmt in (
        (r"\d{4}-\d{2}", "%Y-%m"),
        (r"\d{4}\.\d{2}", "%Y.%m"),
        (r"\d{6}", "%Y%m"),
        (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"),
        (r"\d{4}/\d{1,2}/\d{1,2}", "%Y/%m/%d"),
    ):
        if re.fullmatch(pat, s):
            return pd.Timestamp(dt.datetime.strptime(s, fmt))
    raise Reject(header, "bad date")


def _field_maps(kind: str) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    spec = load_params()["headers"][kind]
    flat = {}
    for fld, variants in spec["fields"].items():
        for v in variants:
            for unit in ("万元", "元"):
                flat[_norm(v.format(unit=unit))] = fld
    grouped = {
        (upper, lower): fld
        for upper, members in spec.get("groups", {}).items()
        for fld, lower in members.items()
    }
    return flat, grouped


def _read_rows(path: Path) -> list[tuple[str | None, list[list]]]:
    if path.suffix == ".xlsx":
        wb = CalamineWorkbook.from_path(str(path))
        return [
            (
                name,
                [
                    [None if c == "" else c for c in row]
                    for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
                ],
            )
            for name in wb.sheet_names
        ]
    raw = path.read_bytes()
    text = raw[3:].decode("utf-8") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("gbk")
    return [
        (None, [[c if c != "" else None for c in row] for row in csv.reader(text.splitlines())])
    ]


def read_sample(root: Path) -> dict:
    """Parse every generated file; returns clean frames, rejects, non-data rows and accounting."""
    frames: dict[str, list[dict]] = {}
    rejects, non_data, accounting = [], [], []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name == "README.md":
            continue
        kind = next(k for n, k in KIND_OF_NAME.items() if f"_{n}_" in path.name)
        rel = path.relative_to(root).as_posix()
        for sheet, rows in _read_rows(path):
            flat, grouped = _field_maps(kind)
            h = next(
                i
                for i, r in enumerate(rows)
                if sum(_norm(c) in flat or _norm(c)[:2] in ("G1", "Q3") for c in r) >= 2
            )
            header = [_norm(c) for c in rows[h]]
            first = h + 1
            below = rows[h + 1]
            if (
                grouped
                and below[0] is None
                and any(_norm(c) in {lo for _, lo in grouped} for c in below)
            ):
                upper, fields = "", []
                for up, lo in zip(header, [_norm(c) for c in rows[h + 1]], strict=True):
                    upper = up or upper
                    fields.append(grouped.get((upper, lo)) if lo else flat.get(up))
                headers = [
                    f"{a}{b}" for a, b in zip(header, [_norm(c) for c in rows[h + 1]], strict=True)
                ]
                first = h + 2
            else:
                fields, headers = [flat.get(c) for c in header], header
            kept = skip = rej = 0
            for i in range(first, len(rows)):
                row = rows[i]
                texts = [_norm(c) for c in row if c is not None]
                if any(NON_DATA.search(t) for t in texts if isinstance(t, str)):
                    non_data.append((rel, sheet, i + 1))
                    skip += 1
                    continue
                try:
                    rec = _parse(kind, row, fields, headers)
                except Reject as exc:
                    rejects.append((rel, sheet, i + 1, exc.column))
                    rej += 1
                    continue
                frames.setdefault(kind, []).append(rec)
                kept += 1
            accounting.append((rel, sheet, kept + skip + rej, kept, skip, rej))
    return {
        "frames": {k: pd.DataFrame(v) for k, v in frames.items()},
        "rejects": rejects,
        "non_data": non_data,
        "accounting": accounting,
    }


def _parse(kind: str, row: list, fields: list, headers: list[str]) -> dict:
    rec: dict = {}
    for v, fld, head in zip(row, fields, headers, strict=False):
        if kind == "county_figures" and fld is None and head[:1] in ("G", "Q", "V"):
            key = re.match(r"[GQV]\d+", head)[0]
            if re.search(r"(说明|备注)$", head):
                rec.setdefault("notes", {})[key] = _norm(v) or None
            else:
                rec.setdefault("met", {})[key] = {"是": True, "否": False}.get(_norm(v))
            continue
        if kind == "survey" and fld is None:
            rec.setdefault("answers", []).append(_norm(v))
            continue
        if fld is None or fld == "seq":
            continue
        if fld in ("school_id", "parent_school_id"):
            s = _norm(int(v) if isinstance(v, float) else v)
            if not s and fld == "parent_school_id":
                rec[fld] = None
                continue
            if not re.fullmatch(r"\d{10}", s):
                raise Reject(head, "bad id")
            rec[fld] = s
        elif fld == "questionnaire_id":
            if not _norm(v):
                raise Reject(head, "missing id")
            rec[fld] = _norm(v)
        elif fld == "urban_rural_code":
            rec[fld] = _norm(int(v) if isinstance(v, float) else v)
        elif fld == "birth_date":
            rec[fld] = _birth(v, head)
        elif fld == "grade":
            rec[fld] = GRADES.get(_norm(v)) or int(float(_norm(v)))
        elif fld in VALUE_MAPS:
            rec[fld] = VALUE_MAPS[fld].get(_norm(v)) if _norm(v) else None
        elif fld in BOOLS:
            rec[fld] = {"是": True, "否": False}.get(_norm(v))
        elif fld in TEXT:
            rec[fld] = _norm(v) or None
        else:
            rec[fld] = _number(v, head)
    return rec


def _typed(df: pd.DataFrame, name: str) -> pd.DataFrame:
    cols = [c for c in table_columns(name) if not c.startswith("source_")]
    full = coerce(df.assign(source_file="-", source_sheet=None, source_row=1), name)
    return full[cols]


def _same(got: pd.DataFrame, want: pd.DataFrame, key: list[str]) -> None:
    got = got.sort_values(key).reset_index(drop=True)
    want = want.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)


# ----------------------------------------------------------------------------- tests


def test_reference_reader_recovers_the_truth(small):
    root, truth = small
    parsed = read_sample(root)
    f = parsed["frames"]
    subject_groups = load_params()["city"]["subject_groups"]

    schools = f["schools"].assign(area_type=lambda d: area_type_from_code(d["urban_rural_code"]))
    _same(_typed(schools, "core_schools"), truth.tables["core_schools"], ["year", "school_id"])

    teachers = f["teachers"].assign(subject_group=lambda d: d["main_subject"].map(subject_groups))
    _same(_typed(teachers, "core_teachers"), truth.tables["core_teachers"], ["year", "teacher_id"])

    counts = f["teacher_counts"].astype(
        {
            c: "Int64"
            for c in ("teachers", "above_degree_teachers", "backbone_teachers", "pe_art_teachers")
        }
    )
    want = truth.teacher_counts
    _same(
        counts[want.columns].astype({"year": "int64"}),
        want.astype({"year": "int64"}),
        ["year", "school_id", "section"],
    )

    _same(
        _typed(f["classes"], "core_classes"),
        truth.tables["core_classes"],
        ["year", "school_id", "grade", "class_name"],
    )
    enrol = f["enrolment"].assign(section=lambda d: np.where(d["grade"] <= 6, "primary", "junior"))
    _same(
        _typed(enrol, "core_enrolment"),
        truth.tables["core_enrolment"],
        ["year", "school_id", "grade"],
    )
    _same(
        _typed(f["cohort_flows"], "core_cohort_flows"),
        truth.tables["core_cohort_flows"],
        ["county", "graduation_year"],
    )

    figures = f["county_figures"]
    _same(
        _typed(figures, "core_county_figures"),
        truth.tables["core_county_figures"],
        ["county", "year"],
    )
    att = pd.DataFrame(
        [
            {
                "county": r["county"],
                "year": r["year"],
                "item": k,
                "is_met": m,
                "note": r["notes"].get(k),
            }
            for _, r in figures.iterrows()
            for k, m in r["met"].items()
        ]
    )
    _same(
        _typed(att, "core_attestations"),
        truth.tables["core_attestations"],
        ["county", "year", "item"],
    )

    sv = f["survey"]
    answers = sv["answers"].tolist()
    survey = sv.drop(columns=["answers"]).assign(
        n_questions=[len(a) for a in answers],
        n_answered=[sum(x != "" for x in a) for a in answers],
        n_satisfied_answers=[sum(x in ("满意", "基本满意") for x in a) for a in answers],
    )
    if "overall_answer" not in survey:
        survey["overall_answer"] = None
    _same(
        _typed(survey, "core_survey"),
        truth.tables["core_survey"],
        ["county", "year", "questionnaire_id"],
    )

    births = f["births"]
    if "area_group" not in births:
        births["area_group"] = None
    long = births.melt(id_vars=["county", "year", "area_group"], value_vars=[
        c for c in ("births", "registered_births") if c in births], var_name="population_measure",
        value_name="population").dropna(subset=["population"])
    long = long.assign(area_group=long["area_group"].fillna("all"), age=0, birth_year=long["year"])
    _same(
        _typed(long, "core_births"),
        truth.tables["core_births"],
        ["county", "year", "area_group", "population_measure"],
    )

    assert sorted(parsed["rejects"]) == sorted(truth.expected_rejects)
    nd = truth.non_data_rows.astype(object).where(truth.non_data_rows.notna(), None)
    assert sorted(parsed["non_data"]) == sorted(
        zip(nd["source_file"], nd["source_sheet"], nd["source_row"], strict=True)
    )
    acc = truth.accounting.astype(object).where(truth.accounting.notna(), None)
    want_acc = sorted(
        zip(
            acc["source_file"],
            acc["source_sheet"],
            acc["rows_read"],
            acc["rows_kept"],
            acc["rows_skipped"],
            acc["rows_rejected"],
            strict=True,
        )
    )
    assert sorted(parsed["accounting"]) == want_acc


def test_truth_tables_validate_against_the_dictionary(small):
    _, truth = small
    assert set(truth.tables) == {
        "core_schools",
        "core_teachers",
        "core_classes",
        "core_enrolment",
        "core_cohort_flows",
        "core_county_figures",
        "core_attestations",
        "core_survey",
        "core_births",
    }
    for name, frame in truth.tables.items():
        assert len(frame) > 0, name
        assert list(frame.columns) == [
            c for c in table_columns(name) if not c.startswith("source_")
        ]
        validate(coerce(frame.assign(source_file="x", source_sheet=None, source_row=1), name), name)


def test_truth_text_survives_nfkc(small):
    """A cleaner normalises text (full-width digits); clean text values must not change."""
    _, truth = small
    for name, frame in truth.tables.items():
        for col in frame.columns:
            if frame[col].dtype == "str" or frame[col].dtype == object:
                vals = frame[col].dropna().astype(str).unique()
                changed = [v for v in vals if unicodedata.normalize("NFKC", v).strip() != v]
                assert not changed, (name, col, changed[:3])


def test_same_arguments_give_identical_bytes(tmp_path, small):
    root, truth = small
    again = generate_sample(tmp_path / "again", seed=SEED, n_counties=COUNTIES, years=YEARS)
    assert again.files == truth.files
    for rel in [*truth.files, "README.md"]:
        assert (root / rel).read_bytes() == (tmp_path / "again" / rel).read_bytes(), rel
    other = generate_sample(
        tmp_path / "other", seed=SEED + 1, n_counties=1, years=[2024], schools_per_county=5
    )
    assert (tmp_path / "other" / other.files[0]).read_bytes() != (
        root / truth.files[0]
    ).read_bytes()


def test_files_formats_and_synthetic_labels(small):
    root, truth = small
    paths = [root / f for f in truth.files]
    assert all("示例" in p.name for p in paths)
    suffixes = {p.suffix for p in paths}
    assert suffixes == {".xlsx", ".csv"}
    boms = {p.read_bytes().startswith(b"\xef\xbb\xbf") for p in paths if p.suffix == ".csv"}
    assert boms == {True, False}  # UTF-8 with BOM and GBK
    for p in paths:
        for sheet, rows in _read_rows(p):
            assert "示例数据" in _norm(rows[0][0]), (p.name, sheet)
            assert len(rows) >= 3
    assert "示例数据（合成）" in (root / "README.md").read_text(encoding="utf-8")


def test_xlsx_has_real_merged_two_row_headers(small):
    import openpyxl

    root, truth = small
    merged = []
    for f in truth.files:
        if f.endswith(".xlsx") and ("学校基本情况" in f or "分校专任教师汇总" in f):
            wb = openpyxl.load_workbook(root / f, read_only=False)
            for ws in wb.worksheets:
                merged += [
                    (ws.cell(r.min_row, r.min_col).value, r.max_col - r.min_col + 1)
                    for r in ws.merged_cells.ranges
                    if r.min_row > 1
                ]
    assert ("在校生数", 3) in merged and ("班数", 2) in merged and ("专任教师", 4) in merged


def test_the_mess_is_there(small):
    root, truth = small
    cells = []
    for f in truth.files:
        for _, rows in _read_rows(root / f):
            cells += [c for r in rows for c in r if isinstance(c, str)]
    text = set(cells)
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", c) for c in text), "thousands separators"
    assert any(re.search("[０-９]", c) for c in text), "full-width digits"
    assert any(c.endswith(" ") for c in text), "trailing spaces"
    assert {"-", "—", "/", "无"} <= text, "missing tokens"
    assert any(c.endswith("%") for c in text), "percent"
    assert {"合计", "总计", "小计"} <= text
    assert any(c.startswith("注：") for c in text) and any(c.startswith("填表人：") for c in text)
    assert any("万元" in c for c in text) and any(
        c.startswith("教学仪器设备") and "（元）" in c for c in text
    )
    for pattern in (r"\d{4}-\d{2}", r"\d{4}\.\d{2}", r"\d{6}", r"\d{4}-\d{2}-\d{2}"):
        assert any(re.fullmatch(pattern, c) for c in text), pattern
    headers = {
        "学校名称",
        "校名",
        "单位名称",
        "学校标识码",
        "学校代码",
        "学校识别码",
        "出生年月",
        "出生日期",
        "最高学历",
        "学历",
        "主要任教课程",
        "任教学科",
        "骨干教师级别",
        "骨干级别",
        "城乡分类代码",
        "城乡代码",
        "县",
        "区县",
        "县（市、区）",
    }
    assert headers <= text
    assert {"一年级", "九年级"} <= text  # grades in Chinese (and as numbers elsewhere)


def test_expected_rejects_are_listed_with_reasons(small):
    _, truth = small
    d = truth.reject_details
    assert len(truth.expected_rejects) == len(d) >= 5
    assert set(d["reason"]) >= {"学校标识码不是10位数字", "学生数为负数", "数值列含文字"}
    assert all(isinstance(r[2], int) and r[2] > 2 for r in truth.expected_rejects)
    acc = truth.accounting
    assert (acc["rows_read"] == acc["rows_kept"] + acc["rows_skipped"] + acc["rows_rejected"]).all()
    assert int(acc["rows_rejected"].sum()) == len(truth.expected_rejects)
    assert int(acc["rows_skipped"].sum()) == len(truth.non_data_rows)


def test_the_city_looks_like_the_spec(small):
    _, truth = small
    s = truth.tables["core_schools"]
    assert set(s["urban_rural_code"]) == {"111", "112", "121", "122", "123", "210", "220"}
    assert set(s["school_type"]) == {
        "primary",
        "junior",
        "nine_year",
        "twelve_year",
        "complete_secondary",
        "teaching_point",
        "special",
    }
    special = s[s["school_type"] == "special"].groupby(["year", "county"]).size()
    assert (special == 1).all() and len(special) == COUNTIES * len(YEARS)
    tp = s[s["school_type"] == "teaching_point"]
    assert (~tp["is_counted_school"]).all() and tp["parent_school_id"].notna().all()
    assert ((tp["students_primary"].fillna(0)) < 50).any()
    assert s["is_private"].any()
    names = s.groupby("school_id")["school_name"].nunique()
    assert (names > 1).any(), "a few schools are renamed across years"
    assert set(s["parent_school_id"].dropna()) <= set(s["school_id"])


def test_numbers_agree_with_each_other(small):
    _, truth = small
    s = truth.tables["core_schools"].set_index(["year", "school_id"])
    e = (
        truth.tables["core_enrolment"]
        .groupby(["year", "school_id", "section"])["students"]
        .sum()
        .unstack()
    )
    c = truth.tables["core_classes"]
    # Grade enrolment sums to the school's students; classes sum to the grade.
    both = e.join(s[["students_primary", "students_junior"]], how="inner")
    off = (both["primary"].fillna(0) != both["students_primary"].fillna(0)) | (
        both["junior"].fillna(0) != both["students_junior"].fillna(0)
    )
    assert off.sum() <= 1  # the school-year whose grade row is a deliberate reject
    by_grade = c.groupby(["year", "school_id", "grade"])["students"].sum()
    grades = truth.tables["core_enrolment"].set_index(["year", "school_id", "grade"])["students"]
    common = by_grade.index.intersection(grades.index)
    assert len(common) > 0.99 * len(grades)  # the odd class row is a deliberate reject
    assert (by_grade[common] != grades[common]).sum() <= 1  # the grade of the rejected class row
    # Classes per school agree with the schools table; teachers about students / ratio.
    n_classes = c[c["section"] == "primary"].groupby(["year", "school_id"]).size()
    k = n_classes.index.intersection(s.index)
    assert (np.abs(n_classes[k] - s.loc[k, "classes_primary"].fillna(0)) <= 1).all()
    t = truth.tables["core_teachers"]
    per_school = t[t["teaching_section"] == "primary"].groupby(["year", "school_id"]).size()
    ratio = (s.loc[per_school.index, "students_primary"] / per_school).astype(float)
    assert 9 < ratio.median() < 20
    cf = truth.tables["core_county_figures"]
    assert (cf["exchanged_teachers"] <= cf["exchange_eligible_teachers"]).all()
    assert (cf["migrant_children_in_public"] <= cf["eligible_migrant_children"]).all()


def test_calibration(small):
    """Figures of the seed documents: class sizes, rural teachers, growth, retention, survey."""
    _, truth = small
    T = truth.tables
    s = T["core_schools"]
    c = T["core_classes"].merge(s[["year", "school_id", "area_type"]], on=["year", "school_id"])
    urban = c[(c["section"] == "primary") & (c["area_type"] == "urban")]["students"]
    assert 45 <= urban.mean() <= 51  # about 48 (上党区 2024)
    assert (urban >= 55).mean() > 0.05
    rural = s[(s["area_type"] == "rural") & (s["school_type"] == "primary")]
    assert (rural["students_primary"] < 100).mean() > 0.4
    main = s[s["county"] == truth.counties[0]].groupby("year")["students_primary"].sum()
    growth = main.pct_change().dropna()
    assert growth.between(0.04, 0.10).all()  # about 7 % a year (长治 main district)
    t = T["core_teachers"].merge(s[["year", "school_id", "area_type"]], on=["year", "school_id"])
    r = t[t["area_type"] == "rural"]
    age = r["year"] - r["birth_date"].dt.year
    assert 0.12 <= age.between(51, 55).mean() <= 0.24
    assert 0.04 <= age.between(56, 60).mean() <= 0.13
    assert (
        0.22
        <= r["degree"].isin(["associate", "senior_secondary", "below_senior_secondary"]).mean()
        <= 0.42
    )
    f = T["core_cohort_flows"]
    retention = f["graduates"] / (
        f["grade7_students_3y_before"] + f["transfers_in"] - f["transfers_out"] - f["deaths"]
    )
    assert retention.between(0.95, 0.998).all()
    sv = T["core_survey"]
    valid = sv[sv["n_answered"] == sv["n_questions"]]
    assert 0 < (sv["n_answered"] < sv["n_questions"]).sum() < 0.05 * len(sv)
    ok = np.where(
        valid["overall_answer"].notna(),
        valid["overall_answer"].isin(["satisfied", "basically_satisfied"]),
        valid["n_satisfied_answers"] == valid["n_questions"],
    )
    rate = pd.Series(ok, index=valid.index).groupby([valid["county"], valid["year"]]).mean()
    assert rate.between(0.8, 0.97).all()
    a = T["core_attestations"]
    assert 0.85 < a.loc[~a["item"].str.startswith("V"), "is_met"].mean() < 1


def test_options_are_checked(tmp_path):
    with pytest.raises(ValueError, match="n_counties"):
        generate_sample(tmp_path, n_counties=0)
    with pytest.raises(ValueError, match="years"):
        generate_sample(tmp_path, years=[])
    with pytest.raises(ValueError, match="teachers_scale"):
        generate_sample(tmp_path, teachers_scale=0)
    with pytest.raises(ValueError, match="schools_per_county"):
        generate_sample(tmp_path, schools_per_county=1)


def test_scaling_and_replacing_earlier_files(tmp_path):
    stale = tmp_path / "城东区" / "城东区_旧表_示例.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("old", encoding="utf-8")
    keep = tmp_path / "real_bureau_data.xlsx"
    keep.write_bytes(b"not ours")
    truth = generate_sample(
        tmp_path, n_counties=14, years=[2024], schools_per_county=9, teachers_scale=0.5
    )
    assert not stale.exists() and keep.exists()
    per_county = truth.tables["core_schools"].groupby("county").size()
    assert len(per_county) == 14 and (per_county >= 9).all() and (per_county <= 10).all()
    assert truth.counties[-1].endswith("县") and len(set(truth.counties)) == 14


def test_fast_and_public_xlsx_paths_write_the_same_cells(tmp_path):
    from analysis.sample._render import Row, Sheet
    from analysis.sample._write import write_xlsx

    block = np.array(
        [
            [2024, "2001000001", "a&b <c>", dt.datetime(1975, 3, 12), 1.5, None],
            [2024, " 12 ", "１２３", "1,234", True, "—"],
        ],
        dtype=object,
    )
    sheet = Sheet(
        "teachers",
        "名册",
        [["标题（示例数据）", None, None, None, None, None], list("ABCDEF")],
        [block, Row(["合计", None, None, None, 3, None])],
    )
    created = dt.datetime(2024, 9, 1)
    write_xlsx(tmp_path / "fast.xlsx", [sheet], created, fast=True)
    write_xlsx(tmp_path / "slow.xlsx", [sheet], created, fast=False)
    fast, slow = _read_rows(tmp_path / "fast.xlsx"), _read_rows(tmp_path / "slow.xlsx")
    assert fast == slow
    assert fast[0][1][2][:4] == [2024, "2001000001", "a&b <c>", dt.date(1975, 3, 12)]
    assert fast[0][1][3][1] == " 12 "


def test_birth_formats():
    from analysis.sample._render import Context, birth_cells

    births = pd.Series(pd.to_datetime(["1975-03-12"] * 6))
    expect = {
        "ym_dash": "1975-03",
        "ym_dot": "1975.03",
        "ym_compact": "197503",
        "full_dash": "1975-03-12",
        "full_slash": "1975/3/12",
    }
    for fmt, cell in expect.items():
        ctx = Context(
            "县",
            1,
            "市",
            "合成",
            {"birth": {fmt: 1.0}, "mess": {}, "header": 0},
            {},
            np.random.default_rng(0),
        )
        cells, truth = birth_cells(births, ctx)
        assert cells[0] == cell
        assert str(truth[0])[:10] == ("1975-03-01" if fmt.startswith("ym") else "1975-03-12")
    with pytest.raises(ValueError, match="allowed"):
        birth_cells(
            births,
            Context(
                "县",
                1,
                "市",
                "合成",
                {"birth": {"roman": 1.0}, "mess": {}, "header": 0},
                {},
                np.random.default_rng(0),
            ),
        )


def test_cli(tmp_path, capsys):
    from analysis.__main__ import main

    assert (
        main(
            [
                "sample",
                "--out",
                str(tmp_path / "s"),
                "--counties",
                "2",
                "--years",
                "2023-2024",
                "--seed",
                "7",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "示例数据（合成）" in out and "files" in out
    assert (tmp_path / "s" / "城东区").is_dir() and (tmp_path / "s" / "青山县").is_dir()
    assert parse_years("2018-2020") == [2018, 2019, 2020]
    with pytest.raises(Exception, match="range"):
        parse_years("2018..2020")


def test_births_are_consistent_with_the_grade1_intakes(small):
    root, truth = small
    city = load_params()["city"]
    births = truth.tables["core_births"].query("population_measure == 'births'")
    schools = truth.tables["core_schools"][["year", "school_id", "county", "area_type"]]
    g1 = truth.tables["core_enrolment"].query("grade == 1").merge(schools, on=["year", "school_id"])
    # one county gives totals (with 户籍出生人口), one area types, one no births table at all
    kinds = {c: set(g["area_group"]) for c, g in births.groupby("county")}
    assert len(kinds) == 2 and {"all"} in kinds.values()
    assert not any(list((root / c).glob("*出生人口*")) for c in set(truth.counties) - set(kinds))
    assert set(births["year"]) == set(range(YEARS[0] - 6, YEARS[-1] + 1))
    for county, areas in kinds.items():
        mine = births.loc[births["county"] == county]
        for area in areas:
            b = mine.loc[mine["area_group"] == area].set_index("year")["population"]
            grp = g1.loc[g1["county"] == county]
            if area != "all":
                grp = grp.loc[grp["area_type"] == area]
            entrants = grp.groupby("year")["students"].sum()
            ratio = (entrants / b.rename(index=lambda y: y + 6)).dropna()
            assert len(ratio) == len(YEARS)
            lo, hi = city["births"]["entry_ratio"]
            assert 0.8 * lo < ratio.mean() < 1.15 * hi, (county, area)
            # one ratio per county (and area), noise of ±1.5 % (a few rejected rows aside)
            assert ratio.max() / ratio.min() < 1.08, (county, area)
            # later cohorts follow the stated year-on-year change (± the noise)
            for y in range(YEARS[-1] - 5, YEARS[-1] + 1):
                change = city["births"]["change_by_year"].get(y, city["births"]["default_change"])
                assert b[y] / b[y - 1] == pytest.approx(1 + change, abs=0.035), (county, area, y)
    files = [f for f in truth.files if "出生人口" in f]
    assert files and all("示例" in f for f in files)
