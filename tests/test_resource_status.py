"""resource_part_status: the resource part's verdict alone, equal to the full evaluation's.

The optimiser checks its plans with it (analysis.plan.optimise._engine_agrees); every case here
compares it with the ``resource`` rows of ``evaluate(...).verdict`` on the same inputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.dictionary import coerce
from analysis.indicators.evaluation import (
    Inputs,
    evaluate,
    example_inputs,
    load_inputs,
    resource_part_status,
)
from analysis.plan.optimise import ACTIONS, CODES, apply_actions, optimise
from analysis.standards import load_standards

COLUMNS = ["year", "county", "is_met", "status", "reason"]


def _from_evaluate(inputs, year=None, counties=None, standards=None) -> pd.DataFrame:
    v = evaluate(inputs, year=year, counties=counties, standards=standards).verdict
    return v.loc[v["part"] == "resource", COLUMNS].reset_index(drop=True)


def _same(inputs, year=None, counties=None, standards=None) -> pd.DataFrame:
    """Assert both ways give the same rows; return them."""
    got = resource_part_status(inputs, year, counties, standards)
    want = _from_evaluate(inputs, year, counties, standards)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
    return got


def _with_sections(inputs, sections: pd.DataFrame) -> Inputs:
    out = Inputs(inputs)
    out["core_school_sections"] = sections
    return out


# ---------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_inputs(sample_processed):
    return load_inputs(sample_processed)


@pytest.mark.parametrize("standards", ["national", "shanxi"])
def test_every_county_year_of_the_sample(sample_inputs, standards):
    # several years under standards with periods: evaluated year by year, both ways
    got = _same(sample_inputs, standards=standards)
    assert len(got) == len(sample_inputs["core_schools"][["year", "county"]].drop_duplicates())
    assert got["status"].eq("not_met").any()


def test_sample_counties_with_random_actions(sample_inputs):
    rng = np.random.default_rng(7)
    year = int(sample_inputs["core_schools"]["year"].max())
    secs = sample_inputs["core_school_sections"]
    statuses = set()
    for county in sorted(set(secs["county"].astype(str))):
        mine = (secs["year"].astype(int) == year).to_numpy() & (secs["county"].astype(str) == county).to_numpy()
        for scale in (1.0, 20.0):
            q = secs.loc[mine, ["school_id", "section"]].astype("object").reset_index(drop=True)
            for code in CODES:
                q[code] = np.round(rng.uniform(0, 1, len(q)) * scale * (100.0 if code.startswith("build") else 1.0))
            edited = pd.concat([secs.loc[~mine], apply_actions(secs.loc[mine], q)], ignore_index=True)
            statuses |= set(_same(_with_sections(sample_inputs, edited), year, county)["status"])
    assert "not_met" in statuses


def _quantities(actions: pd.DataFrame) -> pd.DataFrame:
    """The optimiser's out_plan_optimal rows back as quantities per section and action code."""
    code_of = {(a[1], a[3][0]): a[0] for a in ACTIONS}
    a = actions.assign(code=[code_of[(x, k)] for x, k in zip(actions["action"], actions["indicator"], strict=True)])
    return (a.pivot_table(index=["action_school_id", "action_section"], columns="code", values="quantity", aggfunc="sum")
            .reset_index().rename(columns={"action_school_id": "school_id", "action_section": "section"}))


def test_sample_counties_with_the_optimisers_actions_pass_both_ways(sample_inputs):
    year = int(sample_inputs["core_schools"]["year"].max())
    secs = sample_inputs["core_school_sections"]
    county = sorted(set(secs["county"].astype(str)))[0]
    res = optimise(sample_inputs, county, year)
    assert res.passes is True and len(res.actions)
    mine = (secs["year"].astype(int) == year).to_numpy() & (secs["county"].astype(str) == county).to_numpy()
    done = apply_actions(secs.loc[mine], _quantities(res.actions))
    edited = _with_sections(sample_inputs, pd.concat([secs.loc[~mine], done], ignore_index=True))
    assert _same(edited, year, county)["status"].tolist() == ["met"]
    # the untouched county-year still fails
    assert _same(sample_inputs, year, county)["status"].tolist() == ["not_met"]


# ---------------------------------------------------------------------------- small cases


@pytest.mark.parametrize("standards", ["national", "shanxi"])
def test_the_example_fails_and_passes_with_the_known_action(standards):
    inp = example_inputs()
    assert _same(inp, 2024, standards=standards)["status"].tolist() == ["not_met"]
    sec = inp["core_school_sections"].copy()
    sec.loc[sec["school_name"] == "示例二小", "sports_ground_area_m2"] += 450.0  # to the standard
    assert _same(_with_sections(inp, sec), 2024, standards=standards)["status"].tolist() == ["met"]


def test_centre_city_sports_space_counts_as_in_the_evaluation():
    # 示例二小 (80 % of L5) rents 400 m² in the centre city under contract: 7.33 m² per student
    inp = example_inputs()
    s = inp["core_schools"].copy()
    two = s["school_name"] == "示例二小"
    s["is_central_city"] = two
    s.loc[two, ["rented_sports_area_m2", "sports_space_contract_note"]] = [400.0, "租赁合同2024-2027，上课时间专用"]
    out = _with_sections(inp, inp["core_school_sections"])
    out["core_schools"] = s
    assert _same(out, 2024)["status"].tolist() == ["met"]
    # without the contract note the rented space does not count
    out["core_schools"] = s.assign(sports_space_contract_note=None)
    assert _same(out, 2024)["status"].tolist() == ["not_met"]


def test_missing_figure_is_missing_both_ways():
    inp = example_inputs()
    sec = inp["core_school_sections"].copy()
    sec.loc[sec["school_name"] == "示例二小", "sports_ground_area_m2"] += 450.0
    sec.loc[sec["school_name"] == "示例一小", "equipment_value_yuan"] = np.nan
    got = _same(_with_sections(inp, sec), 2024)
    assert got["status"].tolist() == ["missing"] and got["is_met"].isna().all()


def test_a_county_year_without_school_rows():
    inp = example_inputs()
    other = Inputs(inp)
    other["core_county_figures"] = pd.concat([inp["core_county_figures"],
                                              inp["core_county_figures"].assign(county="乙县")], ignore_index=True)
    other["core_survey"] = pd.concat([inp["core_survey"], inp["core_survey"].assign(county="乙县")], ignore_index=True)
    got = _same(other, 2024)
    assert got[["county", "status"]].values.tolist() == [["乙县", "missing"], ["示例县", "not_met"]]
    assert "本年缺少学校基本情况" in got["reason"].iloc[0]
    # without any school table at all
    alone = {k: other[k] for k in ("core_county_figures", "core_survey")}
    assert _same(alone, 2024, "乙县")["status"].tolist() == ["missing"]


def test_standards_whose_resource_threshold_changes_over_the_years(tmp_path):
    # L5 primary 7.0 until 2022 (示例二小's 6.0 m² is 86 %: passes), 7.5 from 2023 (80 %: fails)
    f = tmp_path / "periods.yaml"
    f.write_text("extends: national\nresource:\n  standards:\n    L5:\n      primary:\n        by_year:\n"
                 "          - {from: 2016, until: 2022, value: 7.0}\n          - {from: 2023, value: 7.5}\n",
                 encoding="utf-8")
    std = load_standards(f)
    old, new = example_inputs(2020), example_inputs(2024)
    both = Inputs({k: pd.concat([old[k], new[k]], ignore_index=True) for k in new})
    got = _same(both, standards=std)
    assert got[["year", "status"]].values.tolist() == [[2020, "met"], [2024, "not_met"]]
    assert _same(both, 2020, standards=std)["status"].tolist() == ["met"]
    assert _same(both, 2024, standards=std.for_year(2024))["status"].tolist() == ["not_met"]


def test_judgements_leave_the_computed_status():
    # a judgement that 示例二小's L5 is acceptable changes final_status only
    inp = example_inputs()
    j = coerce(pd.DataFrame([dict(county="示例县", year=2024, indicator="L5", judged_school_id=None,
                                  judged_school_name="示例二小", judged_status="met_by_judgement",
                                  judgement_reason="生源下降，实用够用", judgement_evidence=None, judged_by="区教育督导室",
                                  judged_on=pd.Timestamp("2025-03-20"), source_file="示例/认定_合成.xlsx",
                                  source_sheet="认定", source_row=2)]), "core_judgements")
    judged = Inputs({**inp, "core_judgements": j})
    v = evaluate(judged, 2024).verdict.set_index("part").loc["resource"]
    assert v["status"] == "not_met" and v["final_status"] != "not_met"
    assert _same(judged, 2024)["status"].tolist() == ["not_met"]


def test_unknown_county_is_refused_as_by_evaluate():
    with pytest.raises(ValueError, match="unknown county 乙县"):
        resource_part_status(example_inputs(), 2024, "乙县")
    with pytest.raises(ValueError, match="resource_part_status needs a school table"):
        resource_part_status({}, 2024)
