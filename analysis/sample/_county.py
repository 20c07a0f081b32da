"""County-level facts of the synthetic city: cohort flows, guarantee figures, attested
items and the satisfaction survey (clean values; 示例数据，合成).

They are derived from the simulated schools, pupils and teachers wherever the real figure
would be (graduates from last year's grade 9, migrant children from the schools, exchange
counts from the roster), so that the county tables agree with the school tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.sample._model import ATTESTED_ITEMS, County, Enrolment

BACKBONE = ("county", "city", "province", "national")


def cohort_flows(
    schools: pd.DataFrame,
    enrol: Enrolment,
    counties: list[County],
    years: list[int],
    rng: np.random.Generator,
    city: dict,
) -> pd.DataFrame:
    """Junior cohort flows per county and graduating year (retention ~96-99.5 %).

    The cohort was in grade 7 three statistics years before graduation and in grade 9 the
    autumn before; transfers balance the difference, graduates come from that grade 9.
    """
    cf = city["county_figures"]
    regular = (schools["school_type"] != "special").to_numpy()
    rows = []
    for county in counties:
        m = regular & (schools["county_number"] == county.number).to_numpy()
        for year in years:
            g7 = int(enrol.at(year - 3)[0][m, 7].sum())
            g9 = int(enrol.at(year - 1)[0][m, 9].sum())
            if g7 == 0 or g9 == 0:
                continue
            graduates = int(round(g9 * rng.uniform(*cf["graduating_share"])))
            base = graduates / rng.uniform(*cf["retention"])
            deaths = int(rng.poisson(g7 * cf["death_rate"]))
            out_ = int(round(g7 * rng.uniform(*cf["transfers_out_share"])))
            in_ = int(round(base - g7 + out_ + deaths))
            floor = int(round(g7 * cf["transfers_in_share"][0]))
            if in_ < floor:
                in_ = int(round(g7 * rng.uniform(*cf["transfers_in_share"])))
                out_ = max(int(round(g7 + in_ - deaths - base)), 0)
            suspended = int(round(g7 * rng.uniform(*cf["suspended_share"])))
            rows.append(
                {
                    "county": county.name,
                    "graduation_year": year,
                    "grade7_students_3y_before": g7,
                    "transfers_in": in_,
                    "transfers_out": out_,
                    "deaths": deaths,
                    "suspended": suspended,
                    "resumed": int(round(suspended * rng.uniform(*cf["resumed_share"]))),
                    "graduates": graduates,
                }
            )
    return pd.DataFrame(rows)


def county_figures(
    facts: pd.DataFrame,
    enrolment: pd.DataFrame,
    roster: pd.DataFrame,
    schools: pd.DataFrame,
    enrol: Enrolment,
    counties: list[County],
    years: list[int],
    rng: np.random.Generator,
    city: dict,
) -> pd.DataFrame:
    """Guarantee figures per county and year, consistent with the school and teacher tables."""
    cf = city["county_figures"]
    rows = []
    facts = facts.assign(
        _purchased=schools["purchased_share"].to_numpy()[facts["school_idx"].to_numpy()]
    )
    roster = roster.assign(_bb=roster["backbone_level"].isin(BACKBONE))
    for county in counties:
        base_salary = rng.uniform(*cf["teacher_salary_2018"])
        gap = county.overrides.get("pay_gap")
        funds_range = county.overrides.get("special_funds", cf["special_school_funds"])
        m_school = (schools["county_number"] == county.number).to_numpy()
        for i, year in enumerate(years):
            f = facts[(facts["county"] == county.name) & (facts["year"] == year)]
            e = enrolment[(enrolment["year"] == year) & enrolment["school_id"].isin(f["school_id"])]
            r = roster[(roster["county_number"] == county.number) & (roster["year"] == year)]
            teacher = round(base_salary * (1 + cf["salary_growth"]) ** (year - 2018), 4)
            margin = (
                gap
                if gap is not None and i < max(len(years) // 2, 1)
                else rng.uniform(*cf["pay_margin"])
            )
            civil = round(teacher / (1 + margin), 4)
            grade9 = int(enrol.at(year)[0][m_school, 9].sum())
            quota = int(round(grade9 * cf["hs_quota_per_graduate"]))
            public = ~f["is_private"]
            migrants = int(f["migrant_students"].sum())
            in_public = int(
                f.loc[public, "migrant_students"].sum()
                + np.round(
                    (f.loc[~public, "migrant_students"] * f.loc[~public, "_purchased"]).sum()
                )
            )
            enrolled = int(e["disabled_students"].sum())
            enrolled += int(round(enrolled * rng.uniform(*cf["home_delivery_share"])))
            disabled = int(np.ceil(enrolled / rng.uniform(*cf["disabled_enrolment_rate"])))
            rows.append(
                {
                    "county": county.name,
                    "year": year,
                    "teacher_avg_salary_yuan": round(teacher * 10000, 2),
                    "civil_servant_avg_salary_yuan": round(civil * 10000, 2),
                    "hs_quota_total": quota,
                    "hs_quota_to_junior": int(round(quota * rng.uniform(*cf["hs_quota_share"]))),
                    "eligible_migrant_children": migrants,
                    "migrant_children_in_public": min(in_public, migrants),
                    "disabled_children": disabled,
                    "disabled_children_enrolled": enrolled,
                    "exchange_eligible_teachers": int(r["is_exchange_eligible"].sum()),
                    "exchanged_teachers": int(r["is_exchanged"].sum()),
                    "exchanged_backbone_teachers": int((r["is_exchanged"] & r["_bb"]).sum()),
                    "special_school_funds_per_student_yuan": float(
                        round(rng.uniform(*funds_range) / 10) * 10
                    ),
                }
            )
    return pd.DataFrame(rows)


#: Notes a bureau writes next to an attested item (kept free of full-width forms such as
#: "，" so that the truth is unchanged by a cleaner's NFKC normalisation).
_NOTES_MET = {
    "G1": "已印发义务教育学校布局专项规划并按规划实施",
    "G2": "城乡学校执行统一的建设、编制、经费和装备标准",
    "G10": "县教育局在核定编制总额内统筹分配各校编制",
    "Q3": "全部学校完成章程核准 管理与教学平台全覆盖",
    "Q5": "交互式多媒体设备使用率达到较高水平",
    "Q6": "德育和校园文化建设评估均为良好以上",
    "Q7": "国家课程开齐开足 劳动实践不少于综合实践活动课时的50%",
    "Q9": "质量监测各科达到III级以上 校际差异率低于0.15",
}
_NOTES_FAILED = {
    "G1": "部分新建小区配套学校建设滞后",
    "G2": "农村学校装备配置标准尚未统一",
    "G10": "编制调整尚待编办审批",
    "Q3": "2所学校章程尚未核准",
    "Q5": "部分农村学校设备使用率偏低",
    "Q6": "1所学校校园文化建设评估为一般",
    "Q7": "个别学校劳动教育课时不足",
    "Q9": "小学英语校际差异率为0.21",
    "V1": "1所民办学校存在考试招生",
    "V2": "查实违规择校2例",
    "V3": "1所学校设置实验班",
    "V4": "长期聘用编外教师12人",
    "V5": "发生1起校车安全事故",
    "V6": "发现统计数据不实",
}


def attestations(
    counties: list[County], years: list[int], rng: np.random.Generator, city: dict
) -> pd.DataFrame:
    """Attested items per county and year: mostly 是 (veto items mostly 否), the odd exception."""
    cf = city["county_figures"]
    rows = []
    for county in counties:
        for i, year in enumerate(years):
            for item in ATTESTED_ITEMS:
                veto = item.startswith("V")
                hit = rng.random() < cf["attest_fail"][item]
                is_met = hit if veto else not hit
                if hit:
                    note = _NOTES_FAILED[item]
                elif not veto and rng.random() < cf["attest_note_probability"]:
                    note = _NOTES_MET[item]
                else:
                    note = None
                if i == 0 and not veto and rng.random() < cf["attest_blank_probability"]:
                    is_met, note = None, "当年未开展该项评估"
                rows.append(
                    {
                        "county": county.name,
                        "year": year,
                        "item": item,
                        "is_met": is_met,
                        "note": note,
                    }
                )
    return pd.DataFrame(rows)


ANSWERS = np.array([None, "满意", "基本满意", "不满意"], dtype=object)


def survey(
    counties: list[County], years: list[int], rng: np.random.Generator, city: dict
) -> tuple[pd.DataFrame, np.ndarray]:
    """Questionnaires of the latest years: (one row per questionnaire, answer codes).

    Answer codes: 0 blank, 1 满意, 2 基本满意, 3 不满意; column 0 is the overall question.
    """
    sv = city["survey"]
    groups = list(sv["respondents"])
    p_group = np.array(list(sv["respondents"].values()), float)
    n_q = len(sv["questions"])
    metas, answers = [], []
    for county in counties:
        for year in years[-sv["latest_years"] :]:
            n = int(rng.integers(*sv["questionnaires"]))
            rate = rng.uniform(*sv["satisfied"])
            satisfied = rng.random(n) < rate
            overall = np.where(satisfied, np.where(rng.random(n) < sv["basic_share"], 2, 1), 3)
            bad = rng.random((n, n_q)) < sv["unsatisfied_answer"]
            bad[~satisfied, rng.integers(0, n_q, (~satisfied).sum())] = (
                True  # at least one complaint
            )
            bad[satisfied] = False
            one = satisfied & (rng.random(n) < sv["one_complaint"])
            bad[one, rng.integers(0, n_q, one.sum())] = True
            ans = np.where(bad, 3, np.where(rng.random((n, n_q)) < sv["basic_share"], 2, 1))
            blank = rng.random(n) < sv["blank_probability"]
            ans[blank, rng.integers(0, n_q, blank.sum())] = 0
            metas.append(
                pd.DataFrame(
                    {
                        "county": county.name,
                        "county_number": county.number,
                        "year": year,
                        "questionnaire_id": [f"WJ{year}-{k:04d}" for k in range(1, n + 1)],
                        "respondent_label": np.array(groups, object)[
                            rng.choice(len(groups), n, p=p_group / p_group.sum())
                        ],
                    }
                )
            )
            answers.append(np.column_stack([overall, ans]))
    if not metas:
        return pd.DataFrame(
            columns=["county", "county_number", "year", "questionnaire_id", "respondent_label"]
        ), np.zeros((0, n_q + 1), int)
    return pd.concat(metas, ignore_index=True), np.vstack(answers)
