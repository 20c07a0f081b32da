"""One indicator, one pass count: every place that prints it prints the same N/M（P%）.

For every county of the test sample and every indicator with a pass count
(out_pass_counts, level ``all``), the places a reader meets it — the county indicator's
detail, the scorecard (its value and its explanation), the summary — agree with the one
definition, and no N/M（P%） anywhere in them disagrees with itself.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.indicators import available, indicator_info
from analysis.indicators.counting import pass_sentence
from analysis.presentation import county_summary, evaluate_county, pass_text, scorecard_table

_PASS = re.compile(r"(\d[\d,]*)/(\d[\d,]*)（(\d+(?:\.\d+)?)%）")


def _consistent(text: str) -> None:
    for m in _PASS.finditer(str(text)):
        n, d, p = (int(m.group(1).replace(",", "")), int(m.group(2).replace(",", "")), float(m.group(3)))
        assert d and round(100 * n / d, 1) == p, f"{m.group(0)} in {text!r}"


@pytest.fixture(scope="module")
def evaluations(sample_processed):
    pairs = available(sample_processed)
    year = int(pairs["year"].max())
    counties = sorted(pairs.loc[pairs["year"] == year, "county"].astype(str))
    return {c: evaluate_county(sample_processed, year, c) for c in counties}


def test_every_place_prints_the_one_pass_count(evaluations):
    checked = 0
    for county, ev in evaluations.items():
        pc = ev.pass_counts.loc[(ev.pass_counts["county"] == county) & (ev.pass_counts["level"] == "all")]
        ci = ev.county_indicators.loc[ev.county_indicators["county"] == county].set_index("indicator")
        card = scorecard_table(ev, county)
        for r in pc.itertuples(index=False):
            expected = pass_text(r.n_units_met, r.n_units)
            sentence = pass_sentence(r.n_units_met, r.n_units, r.n_units_not_met, r.n_units_missing,
                                     r.unit_scope, r.n_units_met_final)
            assert r.detail == sentence
            rows = card.loc[card["指标"] == r.indicator]
            if r.part == "resource":
                rows = rows.loc[rows["指标名称"].str.endswith("（达标学校比例）")]
            assert len(rows), (county, r.indicator)
            # the scorecard's value is the pass share, its explanation the one sentence
            value = rows["value"].iloc[0]
            per_school = bool(indicator_info(r.indicator).get("per_school"))
            if r.part == "resource" or per_school:
                assert value == pytest.approx(r.pass_pct), (county, r.indicator)
            assert expected in rows["说明"].iloc[0], (county, r.indicator, rows["说明"].iloc[0])
            if per_school and r.indicator in ci.index and pd.notna(ci.loc[r.indicator, "n_schools"]):
                row = ci.loc[r.indicator]
                assert row["detail"].startswith(sentence.split("；")[0]), (county, r.indicator)
                assert row["value"] == pytest.approx(r.pass_pct)
                assert (row["numerator"], row["denominator"]) == (r.n_units_met, r.n_units)
            checked += 1
        for text in [*card["说明"].astype(str), *ci["detail"].dropna().astype(str), county_summary(ev, county)]:
            _consistent(text)
    assert checked >= 3 * 10
