"""The indicator engine: the county evaluation of the 2017 method, exact, with shortfalls.

>>> from analysis.indicators import evaluate, load_inputs, indicator_label
>>> indicator_label("G14", short=True)
'优质高中名额分配'

Typical use::

    from analysis.standards import load_standards
    from analysis.indicators import evaluate, load_inputs
    inputs = load_inputs("data/processed", year=2024, counties=["城东区"])
    ev = evaluate(inputs, year=2024, standards=load_standards("shanxi"))
    ev.verdict, ev.cv, ev.shortfalls, ev.scorecard("城东区")
"""

from analysis.indicators.common import indicator_info, indicator_label, indicators, measure_label
from analysis.indicators.cv import difference_coefficient, difference_coefficients
from analysis.indicators.evaluation import (
    Evaluation,
    Inputs,
    available,
    evaluate,
    example_inputs,
    load_inputs,
)

__all__ = [
    "Evaluation",
    "Inputs",
    "available",
    "difference_coefficient",
    "difference_coefficients",
    "evaluate",
    "example_inputs",
    "indicator_info",
    "indicator_label",
    "indicators",
    "load_inputs",
    "measure_label",
]
