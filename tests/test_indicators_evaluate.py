"""The whole evaluation: load_inputs, evaluate, verdicts, out tables (示例数据（合成）).

``build_tables`` writes a tiny synthetic city by hand: 城东区 meets every requirement (its
county figures are those 重庆万盛经开区 published in 2025), 河西县 fails resource indicators and
has no county figures, attestations or survey.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.dictionary import coerce, table_columns, validate
from analysis.indicators import Evaluation, available, difference_coefficient, evaluate, load_inputs
from analysis.indicators.evaluation import INPUT_COLUMNS, SYNTHETIC_LABEL, TABLE_ATTRIBUTES
from analysis.sections import build_school_sections, teacher_counts_from_roster
from analysis.standards import load_standards
from analysis.tables import read_table, write_tables

YEAR = 2024
SOURCE = "示例/示例数据_合成.xlsx"


def _school(sid, name, county, stype, code, area, sp, sj, cp, cj, **kw):
    n = (sp or 0) + (sj or 0)
    row = dict(year=YEAR, school_id=sid, school_name=name, city="示例市", county=county, urban_rural_code=code,
               area_type=area, school_type=stype, is_private=False, is_boarding=False, is_counted_school=True,
               parent_school_id=None, students_primary=sp, students_junior=sj, students_senior=None,
               classes_primary=cp, classes_junior=cj, new_entrants=100, nearby_enrolled_students=100,
               migrant_students=5, teaching_area_m2=6.0 * n, indoor_sports_area_m2=0.0,
               sports_ground_area_m2=11.0 * n, equipment_value_yuan=3000.0 * n, multimedia_rooms=0.03 * n,
               music_rooms=1, music_room_area_m2=100.0, art_rooms=1, art_room_area_m2=95.0,
               public_funds_budget_yuan=1e6, teacher_training_funds_yuan=6e4, daily_hours_in_school=6.0,
               source_file=SOURCE, source_sheet="2024年", source_row=0)
    row.update(kw)
    return row


def build_tables(school_name_1: str = "城东一小", county_1: str = "城东区") -> dict[str, pd.DataFrame]:
    """Core tables of the tiny synthetic city (validated dtypes)."""
    a = county_1
    rows = [
        _school("1000000001", school_name_1, a, "primary", "111", "urban", 500, None, 12, None),
        _school("1000000002", "城东二小", a, "primary", "112", "urban", 500, None, 12, None),
        _school("1000000003", "城东中学", a, "junior", "111", "urban", None, 600, None, 12),
        _school("1000000004", "城东九年制学校", a, "nine_year", "121", "town", 600, 400, 14, 8,
                music_rooms=2, music_room_area_m2=200.0, art_rooms=2, art_room_area_m2=190.0),
        _school("1000000005", "城东特殊教育学校", a, "special", "111", "urban", 40, 20, 6, 3,
                public_funds_budget_yuan=4e5, teacher_training_funds_yuan=3e4),
        _school("1000000006", "城东教学点", a, "teaching_point", "220", "rural", 30, None, 3, None,
                is_counted_school=False, parent_school_id="1000000001", public_funds_budget_yuan=8e4,
                teacher_training_funds_yuan=5e3),
        _school("2000000001", "河西一小", "河西县", "primary", "210", "rural", 300, None, 7, None,
                sports_ground_area_m2=0.70 * 7.5 * 300),
        _school("2000000002", "河西二小", "河西县", "primary", "220", "rural", 300, None, 7, None),
    ]
    for i, r in enumerate(rows):
        r["source_row"] = i + 4
    schools = coerce(pd.DataFrame(rows), "core_schools")

    teachers = []
    for r in schools.itertuples():
        for sec, n in (("primary", r.students_primary), ("junior", r.students_junior)):
            if pd.isna(n):
                continue
            k = int(round(n / 15))
            pe = max(1, int(np.ceil(0.012 * n)))  # >= 0.9 per hundred
            bb = max(1, int(np.ceil(0.012 * n)))  # >= 1.0 per hundred
            if r.school_id == "2000000001":
                pe = 1  # 0.33 per hundred: L3 fails
            for i in range(k):
                teachers.append(dict(
                    year=YEAR, school_id=r.school_id, teacher_id=f"{r.school_id}{sec[0]}{i:03d}", gender="female",
                    birth_date=pd.Timestamp("1985-03-01"), degree="bachelor", teaching_section=sec, main_subject="语文",
                    subject_group="pe" if i < pe else "chinese", backbone_level="county" if i < bb else "none",
                    has_teacher_certificate=True, is_exchange_eligible=True, is_exchanged=i % 5 == 0,
                    training_hours_5y=400.0, is_on_quota=True, source_file=SOURCE, source_sheet="教师",
                    source_row=len(teachers) + 2))
    teachers = coerce(pd.DataFrame(teachers), "core_teachers")
    sections = build_school_sections(schools, teacher_counts_from_roster(teachers))

    classes = []
    for r in schools.itertuples():
        for sec, n, c in (("primary", r.students_primary, r.classes_primary), ("junior", r.students_junior, r.classes_junior)):
            if pd.isna(n) or pd.isna(c):
                continue
            sizes = np.full(int(c), int(n) // int(c))
            sizes[: int(n) % int(c)] += 1
            for i, s in enumerate(sizes):
                classes.append(dict(year=YEAR, school_id=r.school_id, section=sec,
                                    grade=(1 if sec == "primary" else 7) + i % (6 if sec == "primary" else 3),
                                    class_name=f"{i + 1}班", students=int(s), source_file=SOURCE, source_sheet=None,
                                    source_row=len(classes) + 2))
    classes = coerce(pd.DataFrame(classes), "core_classes")
    src = {"source_file": SOURCE, "source_sheet": None, "source_row": 2}
    flows = coerce(pd.DataFrame([dict(county=a, graduation_year=YEAR, grade7_students_3y_before=2046, transfers_in=47,
                                      transfers_out=49, deaths=2, suspended=35, resumed=19, graduates=2026, **src)]),
                   "core_cohort_flows")
    figures = coerce(pd.DataFrame([dict(
        county=a, year=YEAR, teacher_avg_salary_yuan=154_203.0, civil_servant_avg_salary_yuan=153_549.0,
        hs_quota_total=1400, hs_quota_to_junior=835, eligible_migrant_children=1505, migrant_children_in_public=1505,
        disabled_children=194, disabled_children_enrolled=194, exchange_eligible_teachers=449, exchanged_teachers=123,
        exchanged_backbone_teachers=49, special_school_funds_per_student_yuan=6000.0, **src)]), "core_county_figures")
    items = ["G1", "G2", "G10", "Q3", "Q5", "Q6", "Q7", "Q9", "V1", "V2", "V3", "V4", "V5", "V6"]
    attestations = coerce(pd.DataFrame([dict(county=a, year=YEAR, item=i, is_met=not i.startswith("V"), note=None, **src)
                                        for i in items]), "core_attestations")
    questionnaires = [dict(county=a, year=YEAR, questionnaire_id=f"Q{i:03d}", respondent_group="parent", n_questions=10,
                           n_answered=10 if i < 379 else 9, n_satisfied_answers=10,
                           overall_answer="satisfied" if i < 337 or i >= 379 else "unsatisfied",
                           source_file=SOURCE, source_sheet=None, source_row=i + 2) for i in range(385)]
    survey = coerce(pd.DataFrame(questionnaires), "core_survey")
    return {"core_schools": schools, "core_school_sections": sections, "core_teachers": teachers,
            "core_classes": classes, "core_cohort_flows": flows, "core_county_figures": figures,
            "core_attestations": attestations, "core_survey": survey}


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    out = tmp_path_factory.mktemp("indicators") / "processed"
    write_tables(build_tables(), out)
    return out


@pytest.fixture(scope="module")
def ev(processed) -> Evaluation:
    return evaluate(load_inputs(processed, year=YEAR), year=YEAR)


def status(ev: Evaluation, county: str, part: str) -> str:
    v = ev.verdict
    return v.loc[(v["county"] == county) & (v["part"] == part), "status"].item()


# ---------------------------------------------------------------------------- verdicts


def test_a_county_meeting_everything_is_recognised(ev):
    for part in ("resource", "guarantee", "quality", "recognition", "veto", "overall"):
        assert status(ev, "城东区", part) == "met", part
    ci = ev.county_indicators.query("county == '城东区'")
    assert set(ci["indicator"]) == {f"G{i}" for i in range(1, 16)} | {f"Q{i}" for i in range(1, 10)} | {"R"} | {
        f"V{i}" for i in range(1, 7)}
    assert ci["status"].eq("met").all(), ci.loc[ci["status"] != "met", ["indicator", "status", "detail"]]
    assert ci.set_index("indicator").loc["G6", "n_schools"] == 1  # the 30-student teaching point
    q1 = ci.set_index("indicator").loc["Q1"]
    assert round(q1["value"], 1) == 99.2
    assert round(ci.set_index("indicator").loc["R", "value"], 1) == 88.9


def test_a_county_failing_and_lacking_data_is_explained(ev):
    assert status(ev, "河西县", "resource") == "not_met"
    reason = ev.verdict.query("county == '河西县' and part == 'resource'")["reason"].item()
    assert "河西一小（小学）" in reason and "至少6项达标" in reason
    assert status(ev, "河西县", "recognition") == "missing"
    assert status(ev, "河西县", "veto") == "missing"
    overall = ev.verdict.query("county == '河西县' and part == 'overall'")
    assert overall["status"].item() == "not_met"
    assert overall["reason"].item().startswith("未通过：资源配置")
    assert "数据缺失" in overall["reason"].item()
    school = ev.resource_schools.query("school_name == '河西一小'").iloc[0]
    assert school["failed_indicators"] == "L3,L5" and not school["is_passing"]


def test_a_veto_fails_a_county_whatever_its_figures(tmp_path):
    tables = build_tables()
    att = tables["core_attestations"]
    att.loc[att["item"] == "V3", "is_met"] = True  # key classes exist
    result = evaluate(tables, year=YEAR)
    assert status(result, "城东区", "veto") == "not_met"
    overall = result.verdict.query("county == '城东区' and part == 'overall'")
    assert overall["status"].item() == "not_met"
    assert "一票否决" in overall["reason"].item()
    assert status(result, "城东区", "resource") == "met"


def test_standards_are_a_parameter(processed, ev):
    nat = ev.county_indicators.query("county == '城东区'").set_index("indicator")
    sx = evaluate(load_inputs(processed, counties="城东区"), standards=load_standards("shanxi"))
    assert nat.loc["G14", "status"] == "met" and set(ev.verdict["standards"]) == {"national"}
    g14 = sx.county_indicators.set_index("indicator").loc["G14"]
    assert g14["standard"] == 70 and g14["status"] == "not_met" and g14["gap"] == 145
    assert set(sx.verdict["standards"]) == {"shanxi"}
    assert status(sx, "城东区", "guarantee") == "not_met"


def test_missing_optional_tables_are_missing_data_never_a_crash():
    tables = build_tables()
    result = evaluate({"core_schools": tables["core_schools"], "core_school_sections": tables["core_school_sections"]})
    ci = result.county_indicators
    for key in ("G8", "G9", "G11", "G12", "G14", "G15", "Q1", "Q2", "R", "V1", "G5"):
        assert (ci.loc[ci["indicator"] == key, "status"] == "missing").all(), key
    assert set(result.verdict.query("part == 'overall'")["status"]) <= {"missing", "not_met"}


def test_sections_are_derived_when_only_schools_and_roster_are_given(ev):
    tables = build_tables()
    derived = evaluate({"core_schools": tables["core_schools"], "core_teachers": tables["core_teachers"]})
    pd.testing.assert_frame_equal(derived.cv, ev.cv)


# ---------------------------------------------------------------------------- consistency


def test_cv_rows_recompute_from_the_school_values(ev):
    rv = ev.resource_values
    for (county, sec, ind), grp in rv.loc[rv["is_counted"]].groupby(["county", "section", "indicator"]):
        expected = difference_coefficient(grp["value"], grp["students"].astype(float))
        got = ev.cv.loc[(ev.cv["county"] == county) & (ev.cv["section"] == sec) & (ev.cv["indicator"] == ind), "cv"].item()
        assert got == pytest.approx(expected, nan_ok=True)


def test_shortfall_totals_add_up(ev):
    sf = ev.shortfalls.query("county == '河西县' and indicator == 'L5'")
    total = ev.shortfall_totals.query("county == '河西县' and indicator == 'L5'").iloc[0]
    assert total["gap"] == pytest.approx(sf["gap"].sum())
    assert total["n_schools"] == len(sf) == 1
    assert sf["gap"].item() == pytest.approx(7.5 * 300 - 0.70 * 7.5 * 300)
    l3 = ev.shortfalls.query("county == '河西县' and indicator == 'L3'").iloc[0]
    assert l3["gap"] == 2 and l3["gap_unit"] == "teachers"  # 0.9 x 300 / 100 = 2.7 -> 3 teachers, has 1


def test_every_out_table_validates_and_is_written(ev, processed, tmp_path):
    tables = ev.tables()
    assert set(tables) == set(TABLE_ATTRIBUTES)
    for name, frame in tables.items():
        validate(coerce(frame, name), name)
    written = ev.write(tmp_path)
    assert set(written) == set(TABLE_ATTRIBUTES)
    back = read_table("out_county_verdict", tmp_path)
    assert back["is_met"].dtype == "boolean"
    assert len(back) == 12


def test_views_of_the_parts(ev):
    assert set(ev.guarantee["indicator"]) == {f"G{i}" for i in range(1, 16)}
    assert set(ev.quality["indicator"]) == {f"Q{i}" for i in range(1, 10)}
    assert set(ev.recognition["indicator"]) == {"R"}
    assert ev.veto["is_attested"].all()
    assert ev.data_label == SYNTHETIC_LABEL


# ---------------------------------------------------------------------------- load_inputs


def test_load_inputs_reads_only_needed_columns_and_rows(processed):
    inputs = load_inputs(processed, year=YEAR, counties=["河西县"])
    for name, frame in inputs.items():
        assert set(frame.columns) <= set(INPUT_COLUMNS[name]), name
    assert set(inputs["core_schools"]["county"].astype(str)) == {"河西县"}
    assert set(inputs["core_teachers"]["school_id"].astype(str)) == {"2000000001", "2000000002"}
    assert "teacher_id" not in inputs["core_teachers"]
    assert len(inputs["core_survey"]) == 0
    assert evaluate(inputs).counties == ("河西县",)


def test_without_section_table_the_roster_still_gives_l1_to_l3(tmp_path):
    tables = build_tables()
    out = tmp_path / "processed"
    write_tables({k: v for k, v in tables.items() if k != "core_school_sections"}, out)
    from_disk = evaluate(load_inputs(out, year=YEAR), year=YEAR).resource_values
    in_memory = evaluate({k: v for k, v in tables.items() if k != "core_school_sections"}, year=YEAR).resource_values
    pick = ["school_id", "section", "indicator", "value"]
    l1 = [f.loc[f["indicator"].astype(str).isin(["L1", "L2", "L3"]), pick].astype(str).sort_values(pick)
          .reset_index(drop=True) for f in (from_disk, in_memory)]
    assert (l1[0]["value"] != "nan").all()
    pd.testing.assert_frame_equal(l1[0], l1[1])


def test_unknown_county_or_year_lists_what_exists(processed):
    with pytest.raises(ValueError, match="unknown county 南山县 in 2024; counties available: 城东区, 河西县"):
        load_inputs(processed, year=YEAR, counties="南山县")
    with pytest.raises(ValueError, match="no data for year 2019; years available: 2024"):
        load_inputs(processed, year=2019)
    with pytest.raises(ValueError, match="counties available"):
        evaluate(build_tables(), counties=["南山县"])
    assert available(processed)["county"].tolist() == ["城东区", "河西县"]


def test_several_years_at_once():
    t = build_tables()
    nxt = {k: (v.assign(year=v["year"] + 1) if "year" in v else v.assign(graduation_year=v["graduation_year"] + 1))
           for k, v in t.items()}
    both = {k: pd.concat([t[k], nxt[k]], ignore_index=True) for k in t}
    result = evaluate(both)
    assert result.years == (2024, 2025)
    assert len(result.verdict) == 2 * 2 * 6
    assert (result.verdict.query("county == '城东区' and part == 'overall'")["status"] == "met").all()
    q1 = result.county_indicators.query("county == '城东区' and indicator == 'Q1'")
    assert q1["value"].round(1).tolist() == [99.2, 99.2]  # each year its own graduating cohort


# ---------------------------------------------------------------------------- the generated sample


def test_generated_sample_evaluates_end_to_end(sample_processed):
    inputs = load_inputs(sample_processed)
    result = evaluate(inputs)
    pairs = available(sample_processed)
    assert len(result.verdict) == 6 * len(pairs)
    assert result.data_label == SYNTHETIC_LABEL
    for name, frame in result.tables().items():
        validate(coerce(frame, name), name)
    assert set(result.verdict["status"]) <= {"met", "not_met", "missing"}
    assert len(result.resource_values) == 7 * len(result.resource_schools)
    assert table_columns("out_resource_values")[:4] == ["year", "county", "school_id", "school_name"]
