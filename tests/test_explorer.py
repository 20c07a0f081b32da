"""The offline explorer's data: the page shows what ``gaps.school_view`` computes, safely.

The browser half (controls change the chart and the table, nothing is fetched) is in
``test_browser.py``; here the payload is checked in Python against ``school_view`` for
every county, year, indicator, section and area of the small sample, on messy values
(missing students, a missing value, a school without an area type, hostile names), and
the export turns it into inert markup.
"""

from __future__ import annotations

import json
import re

import nbformat
import numpy as np
import pandas as pd
import pytest
from test_publish_support import foreign_scripts

from analysis.explorer import (
    EXPLORER_MIME,
    OfflineExplorer,
    explorer_html,
    explorer_payload,
    view_from_payload,
)
from analysis.missing import Missing
from analysis.publish.export import WIDGET_NOTE, notebook_to_html, prepare_outputs
from analysis.studies import gaps, params, resource_standards
from analysis.tables import read_table

HOSTILE = "</script><script>alert(1)</script>&amp;"


def _messy_values() -> pd.DataFrame:
    sec = pd.DataFrame({
        "year": [2023, 2024, 2024, 2024, 2024, 2024],
        "county": ["甲县", "甲县", "甲县", "甲县", "甲县", "乙县"],
        "school_id": ["1", "1", "2", "3", "4", "9"],
        "school_name": ["一小", "一小", HOSTILE, "三小", "四中", "乙一小"],
        "section": ["primary", "primary", "primary", "primary", "junior", "primary"],
        "area_type": ["urban", "urban", "rural", None, "town", "rural"],
        "students": pd.array([400, 420, 0, 80, 300, None], dtype="Int64"),
        "teachers": pd.array([20, 21, 3, 5, 25, 4], dtype="Int64"),
        "above_degree_teachers": pd.array([15, 16, 1, 2, 20, 1], dtype="Int64"),
        "teaching_area_m2": [2000.0, 2100.0, 300.0, np.nan, 2600.0, 200.0],
        "is_indicator_school": [True] * 6,
    })
    return gaps.school_resource_values(sec)


def _compare(payload, values, **sel):
    want = gaps.school_view(values, standard=resource_standards(sel["section"])[sel["indicator"]], **sel)
    got = view_from_payload(payload, county=sel["county"], year=sel["year"], indicator=sel["indicator"],
                            section=sel["section"], area=sel["area"], name_contains=sel["name_contains"])
    if isinstance(want, Missing):
        # schools but no value at all: the notebook says which input is missing; the page lists
        # the same schools with blank values (never 0 or inf)
        assert len(got) and got["value"].isna().all() and got["ratio_to_standard"].isna().all(), sel
        return
    want = want.astype({"students": "float64", "value": "float64"}).reset_index(drop=True)
    want["school_id"] = want["school_id"].astype(str)
    want["area_type"] = want["area_type"].astype("object").where(want["area_type"].notna(), "")
    pd.testing.assert_frame_equal(got[want.columns.tolist()], want, check_dtype=False)


def test_payload_matches_school_view_on_messy_values():
    values = _messy_values()
    payload = explorer_payload(values, county="甲县", year=2024, source="示例", synthetic=True)
    assert sorted(payload["counties"]) == ["乙县", "甲县"]
    assert payload["counties"]["甲县"]["years"] == [2023, 2024]
    for indicator in params()["resource_indicators"]:
        for section in ("primary", "junior"):
            for area in ("all", "urban", "town", "rural"):
                for name in ("", "小", HOSTILE[:9]):
                    _compare(payload, values, county="甲县", year=2024, indicator=indicator, section=section,
                             area=area, name_contains=name)
    # zero students and missing numerators give no value (not 0, not inf), kept as null
    rows = payload["counties"]["甲县"]["rows"]
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    assert any(r[3] == 0 and all(v is None for v in r[4:]) for r in rows)
    assert payload["source"] == "数据来源：示例　示例数据（合成）"


def test_payload_matches_school_view_on_the_sample(sample_processed):
    values = gaps.school_resource_values(read_table("core_school_sections", sample_processed))
    counties = sorted(values["county"].unique())
    payload = explorer_payload(values, county=counties[0], year=2024, source="示例市", synthetic=True)
    assert sorted(payload["counties"]) == counties
    for county in counties:
        for year in payload["counties"][county]["years"]:
            for indicator in ("L1", "L4", "L7"):
                for section in ("primary", "junior"):
                    for area in ("all", "rural"):
                        _compare(payload, values, county=county, year=year, indicator=indicator,
                                 section=section, area=area, name_contains="")


def test_a_province_page_carries_only_its_county():
    values = _messy_values()
    payload = explorer_payload(values, county="甲县", year=2024, source="示例", max_rows_all=2)
    assert list(payload["counties"]) == ["甲县"] and "只包含甲县" in payload["note"]
    alone = explorer_payload(values.loc[values["county"] == "乙县"], county="乙县", year=2024, source="示例",
                             max_rows_all=0)
    assert list(alone["counties"]) == ["乙县"] and alone["note"] == ""


def test_markup_keeps_the_data_inert():
    payload = explorer_payload(_messy_values(), county="甲县", year=2024, source="示例")
    html = explorer_html(payload)
    island = re.search(r'<script type="application/json" class="edu-explorer-data">(.*?)</script>', html, re.S)
    assert island and "<" not in island.group(1) and ">" not in island.group(1)
    assert json.loads(island.group(1)) == payload  # the escapes are valid JSON
    assert html.count("</script>") == 1
    with pytest.raises(ValueError, match="payload version"):
        explorer_html({**payload, "version": 99})


def test_export_turns_the_output_into_the_explorer_and_drops_its_widgets():
    payload = explorer_payload(_messy_values(), county="甲县", year=2024, source="示例")
    bundle = OfflineExplorer(payload)._repr_mimebundle_()
    out = nbformat.v4.new_output
    widget = {"application/vnd.jupyter.widget-view+json": {"model_id": "a", "version_major": 2, "version_minor": 0},
              "text/plain": "VBox(...)"}
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("w", outputs=[out("display_data", dict(widget))]),
        nbformat.v4.new_code_cell("x", outputs=[out("display_data", dict(widget)), out("display_data", bundle)]),
    ])
    ready = prepare_outputs(nb)
    assert ready.cells[0].outputs[0].data["text/html"] == WIDGET_NOTE  # a widget alone: the note
    assert len(ready.cells[1].outputs) == 1  # beside the explorer: dropped
    assert 'class="edu-explorer"' in ready.cells[1].outputs[0].data["text/html"]
    assert EXPLORER_MIME in nb.cells[1].outputs[1].data  # the executed notebook keeps its data
    html = notebook_to_html(nb, meta={"title": "交互浏览", "county": "甲县", "year": 2024})
    assert foreign_scripts(html) == []
    assert HOSTILE not in html and "function initExplorer" in html
