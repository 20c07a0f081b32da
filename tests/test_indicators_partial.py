"""Partial evaluation: county-years without a school table (示例数据（合成）).

A county that sent only county-level figures, cohort flows, attestations and a survey for a
year is evaluated for the parts those support; the resource part and the per-school
indicators say 数据缺失 and which table kind would supply them.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from analysis.indicators import available, evaluate, load_inputs
from analysis.indicators.evaluation import example_inputs
from analysis.tables import write_tables

COUNTY_ONLY = ("core_county_figures", "core_cohort_flows", "core_survey", "core_attestations")


def county_only(county: str = "乙县", tables=COUNTY_ONLY) -> dict[str, pd.DataFrame]:
    inp = example_inputs()
    return {k: inp[k].assign(county=county) for k in tables}


def _row(ev, county, indicator):
    ci = ev.county_indicators
    return ci.loc[(ci["county"] == county) & (ci["indicator"] == indicator)].iloc[0]


def test_county_without_school_table_is_evaluated_for_what_it_has():
    ev = evaluate(county_only(), year=2024)
    assert ev.counties == ("乙县",)
    status = ev.verdict.set_index("part")["status"]
    assert status["recognition"] == "met" and status["veto"] == "met"
    assert status["resource"] == "missing" and status["overall"] == "missing"
    reason = ev.verdict.set_index("part").loc["resource", "reason"]
    assert reason.startswith("数据缺失：本年缺少学校基本情况") and "专任教师名册或分校教师汇总" in reason
    # computed from the county-level tables
    assert _row(ev, "乙县", "Q1")["status"] == "met"
    assert round(float(_row(ev, "乙县", "Q1")["value"]), 1) == 98.2
    assert _row(ev, "乙县", "G14")["status"] == "met" and _row(ev, "乙县", "R")["status"] == "met"
    assert _row(ev, "乙县", "G7")["status"] == "met"  # the county's per-student figure
    # per-school indicators: missing (never "not applicable"), naming the table kind
    for key in ("G3", "G4", "G5", "G6", "G13", "Q4", "Q8"):
        row = _row(ev, "乙县", key)
        assert row["status"] == "missing" and pd.isna(row["is_met"]), key
        assert row["detail"].startswith("数据缺失：本年无学校基本情况表（需要学校基本情况"), key
    assert _row(ev, "乙县", "G5")["detail"].endswith("需要学校基本情况和班级）")
    assert ev.resource_values.empty and ev.cv.empty


def test_county_without_schools_beside_a_full_county():
    inp = example_inputs()
    part = county_only()
    both = {**dict(inp), **{k: pd.concat([inp[k], part[k]], ignore_index=True) for k in part}}
    ev = evaluate(both, year=2024)
    assert ev.counties == ("乙县", "示例县")
    # the full county is untouched
    alone = evaluate(inp, year=2024)
    pd.testing.assert_frame_equal(
        ev.verdict.loc[ev.verdict["county"] == "示例县"].reset_index(drop=True), alone.verdict.reset_index(drop=True))
    # the other has no school in scope: not "not applicable" but missing
    g6 = _row(ev, "乙县", "G6")
    assert g6["status"] == "missing" and "本年无学校基本情况表" in g6["detail"]
    assert _row(ev, "示例县", "G6")["status"] == "not_applicable"


def test_only_a_survey():
    ev = evaluate(county_only(tables=("core_survey",)), year=2024)
    status = ev.verdict.set_index("part")["status"]
    assert status["recognition"] == "met"
    assert (status[["resource", "guarantee", "quality", "veto"]] == "missing").all()
    assert _row(ev, "乙县", "G8")["detail"] == "数据缺失：无教师或公务员平均工资"
    assert _row(ev, "乙县", "Q1")["detail"].startswith("数据缺失：")


def test_nothing_to_evaluate_is_a_clear_error():
    with pytest.raises(ValueError, match="needs a school table .* or a county-level table"):
        evaluate({})
    with pytest.raises(ValueError, match="no data for year 2023; years available: 2024"):
        evaluate(county_only(), year=2023)


def test_processed_folder_without_school_table(tmp_path):
    write_tables(county_only(), tmp_path)
    assert available(tmp_path).values.tolist() == [[2024, "乙县"]]
    inputs = load_inputs(tmp_path, year=2024, counties="乙县")
    assert "core_schools" not in inputs and len(inputs["core_survey"]) == 20
    ev = evaluate(inputs, year=2024)
    assert ev.verdict.set_index("part").loc["quality", "status"] == "missing"  # Q4, Q8 need schools


def test_processed_folder_with_schools_of_another_county(tmp_path):
    inp = example_inputs()
    write_tables({**dict(inp), "core_survey": pd.concat([inp["core_survey"], county_only()["core_survey"]])}, tmp_path)
    assert available(tmp_path)["county"].tolist() == ["乙县", "示例县"]
    inputs = load_inputs(tmp_path, year=2024, counties="乙县")
    assert len(inputs["core_schools"]) == 0 and len(inputs["core_teachers"]) == 0
    ev = evaluate(inputs, year=2024)
    assert ev.counties == ("乙县",)
    assert ev.verdict.set_index("part").loc["recognition", "status"] == "met"


def test_cli_and_export_on_a_county_without_schools(tmp_path):
    write_tables(county_only(), tmp_path)
    out = tmp_path / "乙县.xlsx"
    run = subprocess.run([sys.executable, "-m", "analysis", "indicators", "--processed", str(tmp_path),
                          "--county", "乙县", "--year", "2024", "--export", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "乙县2024年义务教育优质均衡发展评估结果" in run.stdout
    assert "本年无学校基本情况表" in run.stdout
    sheets = pd.read_excel(out, sheet_name=None, engine="openpyxl")
    verdict = sheets["结论"]
    assert "数据缺失：本年缺少学校基本情况" in " ".join(map(str, verdict.to_numpy().ravel()))
    assert len(sheets["县级指标"]) == 31
    listing = subprocess.run([sys.executable, "-m", "analysis", "indicators", "--processed", str(tmp_path)],
                             capture_output=True, text=True, timeout=300)
    assert listing.returncode == 0, listing.stderr
    assert "乙县" in listing.stdout
