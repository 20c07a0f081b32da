"""Cleaning the 评估认定 sheet kind and the 2024-procedure school columns (files built in code)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from test_clean_pipeline import write_csv, write_xlsx

from analysis.clean import clean
from analysis.indicators.evaluation import evaluate, example_inputs


def _raw(raw: Path) -> Path:
    write_xlsx(raw / "万盛" / "评估认定_示例.xlsx", {"评估认定": [
        ["2025年评估认定情况（示例数据（合成））"],
        ["县（市、区）", "年份", "指标", "学校名称", "认定结论", "认定理由", "佐证材料", "认定人", "认定日期"],
        ["示例县", 2024, "L4", None, "综合评估认定", "实用、够用、管用", "课程开设情况表", "区教育督导室", "2025-03-20"],
        ["示例县", "2024年", "g5 班额", None, "整改后达标 ", "扩优提质行动计划", None, "区教育局", "2025.03"],
        ["示例县", 2024, "生均体育运动场馆面积", "示例二小", "综合评估认定达标", None, None, None, None],
        ["示例县", 2024, "X9", None, "达标", None, None, None, None],
        ["示例县", 2024, "G4", None, "差不多", None, None, None, None],
        [None, "合计", None, None, None, None, None, None, None],
    ]})
    return raw


def test_judgement_sheet_is_cleaned_and_bad_rows_are_rejected_with_their_cell(tmp_path):
    report = clean(_raw(tmp_path / "raw"), tmp_path / "out", write=False)
    j = report.frames["core_judgements"].sort_values("source_row").reset_index(drop=True)
    assert j[["indicator", "judged_school_name", "judged_status"]].astype(object).where(j.notna(), None).values.tolist() == [
        ["L4", None, "met_by_judgement"], ["G5", None, "met_after_rectification"], ["L5", "示例二小", "met_by_judgement"]]
    assert pd.Timestamp(j["judged_on"].iloc[0]) == pd.Timestamp("2025-03-20")
    rej = report.rejects.set_index("source_row")
    assert rej.loc[6, "raw_value"] == "X9" and "未知指标" in rej.loc[6, "reason"] and rej.loc[6, "source_column"] == "指标"
    assert rej.loc[7, "raw_value"] == "差不多"
    assert len(report.rejects) == 3  # two bad rows and the 合计 row; nothing lost


def test_cleaned_judgements_drive_the_final_verdict(tmp_path):
    report = clean(_raw(tmp_path / "raw"), tmp_path / "out", write=False)
    inp = example_inputs()
    ev = evaluate({**inp, "core_judgements": report.frames["core_judgements"]})
    v = ev.verdict.set_index("part")
    assert v.loc["resource", "status"] == "not_met" and v.loc["resource", "final_status"] == "met_by_judgement"
    assert "L5" in v.loc["resource", "judgement_note"]


def test_2024_school_columns_through_their_synonyms(tmp_path):
    raw = tmp_path / "raw"
    write_csv(raw / "学校基本情况_示例.csv", [
        ["年份", "学校标识码", "学校名称", "县", "城乡分类代码", "办学类型", "举办者", "小学在校生数", "校舍建成年份",
         "普通教室平均面积", "是否中心城区学校", "租用体育场地面积", "改造体育活动空间面积", "租赁合同说明", "最大班额"],
        [2024, "5000000001", "一小", "示例县", "111", "小学", "公办", 600, "2010年", "56.5", "是", "1,200", 300, "合同2024-2027", 44],
        [2024, "5000000002", "二小", "示例县", "220", "小学", "公办", 60, 2018, 48, "否", None, None, None, "14人"],
    ])
    s = clean(raw, tmp_path / "out", write=False).frames["core_schools"]
    assert s["built_year"].tolist() == [2010, 2018]
    assert s["ordinary_classroom_area_m2"].tolist() == [56.5, 48.0]
    assert s["is_central_city"].tolist() == [True, False]
    assert s["rented_sports_area_m2"].tolist()[0] == 1200.0
    assert s["max_class_size"].tolist() == [44, 14]
    assert s["sports_space_contract_note"].tolist()[0] == "合同2024-2027"


def test_the_documented_example_file_cleans_and_applies(tmp_path):
    """docs/examples/评估认定_示例.csv (the format analysts copy) stays valid."""
    import shutil

    raw = tmp_path / "raw"
    raw.mkdir()
    src = Path(__file__).resolve().parent.parent / "docs" / "examples" / "评估认定_示例.csv"
    shutil.copy(src, raw / src.name)
    report = clean(raw, tmp_path / "out", write=False)
    j = report.frames["core_judgements"]
    assert sorted(j["indicator"]) == ["G5", "L4", "L5"] and not len(report.rejects)
    ev = evaluate({**example_inputs(), "core_judgements": j})
    assert ev.verdict.set_index("part").loc["resource", "final_status"] == "met_by_judgement"
