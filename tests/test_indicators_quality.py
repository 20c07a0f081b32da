"""Education quality Q1-Q9 and social recognition, with the published figures of
重庆万盛经开区's 2025 self-evaluation (seeds/002)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.indicators.quality import (
    q1_retention,
    q2_disabled_enrolment,
    q4_training_funds,
    q8_daily_hours,
    retention_rate,
)
from analysis.indicators.survey import evaluate_recognition, questionnaire_status
from analysis.standards import load_standards

NAT = load_standards("national")
WANSHENG = pd.DataFrame({"year": [2024], "county": ["万盛经开区"]})


def one(frame: pd.DataFrame) -> pd.Series:
    assert len(frame) == 1
    return frame.iloc[0]


def test_q1_wansheng_2024_retention_is_99_2_percent():
    """2026 graduates from 2046 grade-7 students, 47 in, 49 out, 2 deaths (35 suspended and
    19 resumed are not part of the formula)."""
    flows = pd.DataFrame({"county": ["万盛经开区"], "graduation_year": [2024], "grade7_students_3y_before": [2046],
                          "transfers_in": [47], "transfers_out": [49], "deaths": [2], "suspended": [35],
                          "resumed": [19], "graduates": [2026]})
    row = one(q1_retention(WANSHENG, flows, NAT))
    assert row["denominator"] == 2046 + 47 - 49 - 2
    assert row["value"] == pytest.approx(100 * 2026 / 2042)
    assert round(row["value"], 1) == 99.2
    assert row["status"] == "met"
    # the cohort is the one graduating in the evaluated year
    other_year = pd.DataFrame({"year": [2023], "county": ["万盛经开区"]})
    assert one(q1_retention(other_year, flows, NAT))["status"] == "missing"


def test_q1_below_95_percent_gap_in_students_and_missing_transfers():
    assert retention_rate(900, 1000, 0, 0, 0) == pytest.approx(90.0)
    flows = pd.DataFrame({"county": ["万盛经开区"], "graduation_year": [2024], "grade7_students_3y_before": [1000],
                          "transfers_in": [None], "transfers_out": [None], "deaths": [None], "graduates": [900]})
    row = one(q1_retention(WANSHENG, flows, NAT))
    assert row["status"] == "not_met" and row["gap"] == 50 and row["gap_unit"] == "students"
    assert "缺失按0计" in row["detail"]


def test_q2_wansheng_disabled_children_all_enrolled():
    """194 disabled children: 59 in the special school, 94 in regular classes, 41 taught at home."""
    assert 59 + 94 + 41 == 194
    fig = pd.DataFrame({"county": ["万盛经开区"], "year": [2024], "disabled_children": [194],
                        "disabled_children_enrolled": [59 + 94 + 41]})
    row = one(q2_disabled_enrolment(WANSHENG, fig, NAT))
    assert row["value"] == 100 and row["status"] == "met"
    row = one(q2_disabled_enrolment(WANSHENG, fig.assign(disabled_children_enrolled=180), NAT))
    assert row["status"] == "not_met" and row["gap"] == 185 - 180  # ceil(0.95 x 194) = 185


def test_q4_training_funds_share_per_school():
    """Wansheng 2024: 6 of 26 schools at >= 5 % (23 %); county total 78.83 of 1814.2 万元."""
    budgets = [1814.2e4 / 26] * 26
    training = [0.06 * b for b in budgets[:6]] + [0.02 * b for b in budgets[6:]]
    sch = pd.DataFrame({"year": 2024, "county": "万盛经开区", "school_id": [f"{5_000_000_000 + i}" for i in range(26)],
                        "school_name": [f"学校{i}" for i in range(26)], "school_type": "primary", "area_type": "urban",
                        "is_counted_school": True, "public_funds_budget_yuan": budgets,
                        "teacher_training_funds_yuan": training})
    res = q4_training_funds(WANSHENG, sch, NAT)
    row = one(res.county[0])
    assert row["n_schools"] == 26 and row["n_schools_met"] == 6
    assert round(row["value"]) == 23
    assert row["status"] == "not_met"
    # the printed county totals: 78.83 / 1814.2 = 4.35 %
    total = pd.DataFrame({"year": [2024], "county": ["万盛经开区"], "school_id": ["5000000000"], "school_name": ["合计"],
                          "school_type": "primary", "public_funds_budget_yuan": [1814.2e4],
                          "teacher_training_funds_yuan": [78.83e4]})
    m = one(q4_training_funds(WANSHENG, total, NAT).measures[0])
    assert round(m["value"], 2) == 4.35
    gap = one(q4_training_funds(WANSHENG, total, NAT).schools[0])["gap"]
    assert gap == pytest.approx(0.05 * 1814.2e4 - 78.83e4)


def test_q4_teaching_point_without_own_budget_is_funded_through_its_parent():
    sch = pd.DataFrame({"year": 2024, "county": "万盛经开区", "school_id": ["5000000001", "5000000002"],
                        "school_name": ["中心校", "教学点"], "school_type": ["primary", "teaching_point"],
                        "is_counted_school": [True, False], "public_funds_budget_yuan": [1e6, None],
                        "teacher_training_funds_yuan": [6e4, None]})
    row = one(q4_training_funds(WANSHENG, sch, NAT).county[0])
    assert row["n_schools"] == 1 and row["status"] == "met"


def test_q8_daily_hours_six_primary_seven_junior():
    sch = pd.DataFrame({"year": 2024, "county": "万盛经开区", "school_id": ["1", "2", "3", "4"],
                        "school_name": ["一小", "一中", "二中", "九年制"],
                        "school_type": ["primary", "junior", "junior", "nine_year"],
                        "daily_hours_in_school": [6.0, 7.0, 7.5, 6.5]})
    res = q8_daily_hours(WANSHENG, sch, NAT)
    rows = res.schools[0].set_index("school_id")
    assert rows["is_met"].tolist() == [True, True, False, False]
    assert rows.loc["3", "gap"] == pytest.approx(0.5) and rows.loc["4", "standard"] == 6
    assert one(res.county[0])["n_schools_met"] == 2


# ---------------------------------------------------------------------------- survey


def survey(n_valid_satisfied: int, n_valid_other: int, n_invalid: int, overall: bool = True) -> pd.DataFrame:
    rows = []
    for i in range(n_valid_satisfied + n_valid_other + n_invalid):
        satisfied = i < n_valid_satisfied
        invalid = i >= n_valid_satisfied + n_valid_other
        rows.append({"county": "万盛经开区", "year": 2024, "questionnaire_id": str(i),
                     "respondent_group": ["student", "parent", "teacher"][i % 3], "n_questions": 10,
                     "n_answered": 9 if invalid else 10,
                     "n_satisfied_answers": 10 if satisfied else 8,
                     "overall_answer": ("basically_satisfied" if i % 2 else "satisfied") if (overall and satisfied)
                     else ("unsatisfied" if overall else None),
                     "source_file": "示例/问卷.csv", "source_sheet": None})
    return pd.DataFrame(rows)


def test_wansheng_survey_337_of_379_valid_is_88_9_percent():
    """385 questionnaires, 379 valid, 337 satisfied: 88.9 % >= 85 %."""
    res = evaluate_recognition(WANSHENG, survey(337, 42, 6), NAT)
    row = one(res.county[0])
    assert row["numerator"] == 337 and row["denominator"] == 379
    assert round(row["value"], 1) == 88.9 and row["status"] == "met"
    m = pd.concat(res.measures).set_index("measure")
    assert m.loc["questionnaires", "value"] == 385 and m.loc["valid", "value"] == 379
    assert {"student", "parent", "teacher"} <= set(m.index)


def test_survey_below_85_percent_gap_in_questionnaires():
    row = one(evaluate_recognition(WANSHENG, survey(80, 20, 0), NAT).county[0])
    assert row["value"] == 80 and row["status"] == "not_met" and row["gap"] == 5


def test_survey_without_overall_column_uses_the_parameter_rule():
    q = survey(60, 40, 0, overall=False)  # 60 answered all 10 questions 满意/基本满意, 40 only 8 of 10
    assert one(evaluate_recognition(WANSHENG, q, NAT).county[0])["value"] == 60
    lenient = evaluate_recognition(WANSHENG, q, NAT, no_overall_min_share_pct=80)
    assert one(lenient.county[0])["value"] == 100
    std = load_standards("national", {"recognition": {"no_overall_min_share_pct": 80}})
    assert one(evaluate_recognition(WANSHENG, q, std).county[0])["value"] == 100


def test_blank_overall_answer_in_a_survey_with_an_overall_column_is_not_satisfied():
    q = survey(3, 0, 0)
    q.loc[0, "overall_answer"] = None  # answered every question, left the overall blank
    s = questionnaire_status(q)
    assert s["is_valid"].tolist() == [True, True, True]
    assert s["is_satisfied"].tolist() == [False, True, True]


def test_missing_survey_is_missing():
    assert one(evaluate_recognition(WANSHENG, None, NAT).county[0])["status"] == "missing"
