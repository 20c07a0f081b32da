"""The indicator registry: a toy G16 added the way docs/adding-an-indicator.md says (an entry
in indicators.yaml, a standards value, a registered function) is computed, explained when
its data are missing, and shown in the method's order in the out tables and the scorecard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import indicator_catalog
from analysis.config import data_path
from analysis.errors import InputError
from analysis.indicators import evaluate
from analysis.indicators.common import fmt
from analysis.indicators.evaluation import example_inputs
from analysis.indicators.parts import PartFrames, column_values, compulsory_students
from analysis.indicators.registry import TABLE_OF_PARAMETER, evaluate_part, register, unregister
from analysis.indicators.rows import aggregate_schools, county_rows, school_rows
from analysis.standards import Standards, load_standards, schema
from analysis.tables import read_table

SHIPPED = indicator_catalog.INDICATORS_PATH
NATIONAL = data_path("standards/national.yaml")

G16_ENTRY = """\
G16:
  part: guarantee
  name: 所有学校生均公用经费预算不低于规定标准（示例指标，测试用）
  short: 生均公用经费预算
  unit: "%"
  attested: false
  per_school: true
  decimals: 1
  compare: ge
  measures:
    budget_per_student: 生均公用经费预算（元）
  inputs: [[schools]]
  standards:
    min_budget_per_student_yuan: number
"""


def with_g16(text: str) -> str:
    """indicators.yaml with the toy entry placed after G15 (its place in the method's order)."""
    at = text.index("\n# ---------------------------------------------------------------- 3.")
    return text[:at] + "\n" + G16_ENTRY + text[at:]


def g16_budget_per_student(keys: pd.DataFrame, schools: pd.DataFrame | None, std: Standards) -> PartFrames:
    """Toy G16: every school's public-funds budget per compulsory student reaches a minimum."""
    res = PartFrames()
    if schools is None:
        res.county.append(county_rows(keys, "G16", None))
        return res
    minimum = float(std.get("guarantee.G16.min_budget_per_student_yuan"))
    students = compulsory_students(schools)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = column_values(schools, "public_funds_budget_yuan") / students
    met = np.where(np.isnan(per), np.nan, (per >= minimum).astype(float))
    frame = school_rows(schools, "G16", "budget_per_student", value=per, standard=minimum, is_met=met,
                        gap=np.where(met == 0.0, (minimum - per) * students, np.nan), gap_unit="yuan", unit="元",
                        detail=[f"生均{fmt(v, 0)}元" for v in per])
    res.schools.append(frame)
    res.county.append(aggregate_schools(keys, "G16", frame, gap_unit="yuan"))
    return res


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """The toy G16 declared, registered and given a national standard; undone afterwards."""
    path = tmp_path / "indicators.yaml"
    path.write_text(with_g16(SHIPPED.read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.setattr(indicator_catalog, "INDICATORS_PATH", path)
    indicator_catalog.reload()
    register("G16")(g16_budget_per_student)
    national = yaml.safe_load(NATIONAL.read_text(encoding="utf-8"))
    national["guarantee"]["G16"] = {"min_budget_per_student_yuan": 1000}
    std_path = tmp_path / "national_g16.yaml"
    std_path.write_text(yaml.safe_dump(national, allow_unicode=True, sort_keys=False), encoding="utf-8")
    yield load_standards(std_path)
    unregister("G16")
    monkeypatch.undo()
    indicator_catalog.reload()


def test_toy_indicator_is_evaluated_in_order(toy, tmp_path):
    ev = evaluate(example_inputs(), year=2024, standards=toy)
    order = ev.county_indicators["indicator"].tolist()
    assert order[order.index("G15") + 1] == "G16"
    assert order[order.index("G16") + 1] == "Q1"
    row = ev.county_indicators.set_index("indicator").loc["G16"]
    # 示例县: 5e5 元 for 450 / 300 / 500 students: 1111, 1667, 1000 元 per student
    assert (row["status"], row["n_schools"], row["n_schools_met"], row["part"]) == ("met", 3, 3, "guarantee")
    per = ev.school_indicators.loc[ev.school_indicators["indicator"] == "G16", "value"].round(0).tolist()
    assert sorted(per) == [1000.0, 1111.0, 1667.0]
    card = ev.scorecard("示例县")
    keys = card["指标"].tolist()
    assert keys[keys.index("G15") + 1] == "G16"
    assert card.set_index("指标").loc["G16", ["评估内容", "指标名称", "数值", "达标情况"]].tolist() == [
        "政府保障程度", "所有学校生均公用经费预算不低于规定标准（示例指标，测试用）", "3/3所（100.0%）", "达标"]
    # the out tables validate and keep the order
    ev.write(tmp_path / "out")
    stored = read_table("out_county_indicators", tmp_path / "out")
    assert stored["indicator"].tolist() == order


def test_toy_indicator_failing_and_missing(toy):
    std = load_standards(toy, {"guarantee": {"G16": {"min_budget_per_student_yuan": 1200}}})
    ev = evaluate(example_inputs(), year=2024, standards=std)
    row = ev.county_indicators.set_index("indicator").loc["G16"]
    assert (row["status"], row["n_schools_met"]) == ("not_met", 1)
    assert "G16" in ev.verdict.set_index("part").loc["guarantee", "reason"]
    # without the school table the reason names the kinds of its `inputs`
    inp = example_inputs()
    no_schools = {k: v for k, v in inp.items() if k in ("core_county_figures", "core_attestations")}
    ev = evaluate(no_schools, year=2024, standards=toy)
    assert ev.county_indicators.set_index("indicator").loc["G16", "detail"] == "数据缺失：本年无学校基本情况表（需要学校基本情况）"


def test_toy_indicator_needs_its_standard(toy):
    # the schema is built from indicators.yaml: a complete standards file must give G16
    with pytest.raises(InputError, match="key 'guarantee.G16' lacks min_budget_per_student_yuan|lacks G16"):
        load_standards("national")
    assert "G16" in schema()["guarantee"]
    with pytest.raises(InputError, match="unknown key 'guarantee.G16.max'"):
        load_standards(toy, {"guarantee": {"G16": {"max": 1}}})


def test_part_runs_in_declared_order(toy):
    keys = pd.DataFrame({"year": [2024], "county": ["示例县"]})
    tables = {"schools": example_inputs()["core_schools"]}
    codes = [f["indicator"].iloc[0] for f in evaluate_part("guarantee", keys, tables, toy).county]
    assert codes == [f"G{i}" for i in range(1, 17)]


def test_shipped_catalogue_is_back_after_the_toy():
    assert "G16" not in indicator_catalog.codes()
    assert indicator_catalog.code_ranges() == "L1-L7、G1-G15、Q1-Q9、R、V1-V6"
    assert "G16" not in schema()["guarantee"]


def test_register_checks_the_function():
    with pytest.raises(KeyError, match="unknown indicator 'G99'"):
        register("G99")
    with pytest.raises(TypeError, match="parameter 'rooms' names no table; allowed: " + ", ".join(TABLE_OF_PARAMETER)):
        register("G14")(lambda keys, rooms, std: None)
    with pytest.raises(TypeError, match="already has a function: analysis.indicators.guarantee.g14_quota"):
        register("G14")(g16_budget_per_student)


def test_computed_indicator_without_function_is_an_error(tmp_path, monkeypatch):
    path = tmp_path / "indicators.yaml"
    path.write_text(with_g16(SHIPPED.read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.setattr(indicator_catalog, "INDICATORS_PATH", path)
    indicator_catalog.reload()
    try:
        keys = pd.DataFrame({"year": [2024], "county": ["示例县"]})
        with pytest.raises(LookupError, match=r"no function is registered for it; decorate its function with @register\('G16'\)"):
            evaluate_part("guarantee", keys, {}, load_standards(toy_standards(tmp_path)))
    finally:
        monkeypatch.undo()
        indicator_catalog.reload()


def toy_standards(tmp_path: Path) -> Path:
    national = yaml.safe_load(NATIONAL.read_text(encoding="utf-8"))
    national["guarantee"]["G16"] = {"min_budget_per_student_yuan": 1000}
    out = tmp_path / "national_g16.yaml"
    out.write_text(yaml.safe_dump(national, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


@pytest.mark.parametrize(("entry", "message"), [
    pytest.param("G16:\n  part: guarantee\n  name: x\n  short: x\n  unit: null\n  attested: true\n",
                 "indicator G16: lacks inputs", id="no-inputs"),
    pytest.param("G16:\n  part: money\n  name: x\n  short: x\n  unit: null\n  attested: true\n  inputs: [[schools]]\n",
                 "indicator G16: unknown part 'money'; allowed: resource, guarantee", id="bad-part"),
    pytest.param("G16:\n  part: guarantee\n  name: x\n  short: x\n  unit: null\n  attested: true\n  inputs: [[schools]]\n"
                 "  colour: red\n", "indicator G16: unknown field 'colour'", id="unknown-field"),
    pytest.param("G16:\n  part: guarantee\n  name: x\n  short: x\n  unit: null\n  attested: true\n  inputs: schools\n",
                 "indicator G16: inputs must be a list of lists", id="flat-inputs"),
])
def test_catalogue_checks_entries(tmp_path, monkeypatch, entry, message):
    path = tmp_path / "indicators.yaml"
    path.write_text(SHIPPED.read_text(encoding="utf-8") + "\n" + entry, encoding="utf-8")
    monkeypatch.setattr(indicator_catalog, "INDICATORS_PATH", path)
    indicator_catalog.reload()
    try:
        with pytest.raises(InputError, match=message) as err:
            indicator_catalog.catalog()
        assert str(path) in str(err.value)
    finally:
        monkeypatch.undo()
        indicator_catalog.reload()


def test_standards_type_of_the_toy_is_checked(tmp_path, monkeypatch):
    path = tmp_path / "indicators.yaml"
    path.write_text(with_g16(SHIPPED.read_text(encoding="utf-8")).replace(
        "min_budget_per_student_yuan: number", "min_budget_per_student_yuan: list of colour"), encoding="utf-8")
    monkeypatch.setattr(indicator_catalog, "INDICATORS_PATH", path)
    indicator_catalog.reload()
    try:
        with pytest.raises(ValueError, match=r"unknown vocabulary 'colour' .*indicator G16"):
            schema()
    finally:
        monkeypatch.undo()
        indicator_catalog.reload()
