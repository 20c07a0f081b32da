"""``python -m analysis indicators``: a county's scorecard, exports and the out_* tables.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="python -m analysis")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["indicators", "--county", "城东区", "--standards", "shanxi"])
>>> args.county, args.standards, args.year
('城东区', 'shanxi', None)
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pandas as pd

from analysis.standards import add_selection_arguments, load_standards


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``indicators`` command."""
    p = subparsers.add_parser(
        "indicators",
        help="evaluate counties (优质均衡 indicators) and print a county's scorecard",
        description="Compute the quality-balance evaluation from the core tables: print the "
        "county's scorecard (Chinese indicator names, value, standard, result), optionally "
        "export it with the detail tables (.xlsx or .csv) and write the out_* tables.",
    )
    add_selection_arguments(p, "county to show (default: list every county's verdict)", county_required=False)
    p.add_argument("--export", type=Path, metavar="FILE",
                   help="write the scorecard and detail tables to FILE.xlsx or FILE.csv (needs --county)")
    p.add_argument("--write", action="store_true",
                   help="write the out_* tables of every county and year to the processed folder")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    # imported here, not at the top: `python -m analysis --help` and the other commands
    # start without loading the engine
    from analysis.indicators.evaluation import available, check_selection, evaluate, load_inputs
    from analysis.indicators.export import export, scorecard_text, scorecard_title, standards_line

    std = load_standards(args.standards)
    pairs = available(args.processed)
    year = args.year if args.year is not None else int(pairs["year"].max())
    check_selection(pairs, [year], [args.county] if args.county else None)
    if args.export is not None and not args.county:
        raise ValueError("--export needs --county (the scorecard is per county)")
    inputs = load_inputs(args.processed, year=year, counties=[args.county] if args.county else None)
    ev = evaluate(inputs, year=year, standards=std)
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                           "display.max_colwidth", 60, "display.unicode.east_asian_width", True):
        if args.county:
            card = ev.scorecard(args.county, year)
            print(scorecard_title(ev, args.county, year))
            line = standards_line(ev, args.county, year)
            if line:
                print(line)
            print(f"评估认定：{len(ev.judgements)}条" if len(ev.judgements) else "评估认定：无（结论均为计算结果）")
            print(scorecard_text(card, width=shutil.get_terminal_size((120, 40)).columns))
        else:
            table = ev.verdict.pivot(index="county", columns="part", values="status")
            print(f"{year}年各县（区）评估结论（{std.label}）" + (f"【{ev.data_label}】" if ev.data_label else ""))
            print(table.to_string())
            judged = ev.verdict.loc[ev.verdict["final_status"] != ev.verdict["status"]]
            if len(judged):
                print("经评估认定后（计算结论不变，认定结论另列）：")
                print(ev.verdict.pivot(index="county", columns="part", values="final_status").to_string())
            periods = ev.verdict["standards_periods"].dropna().unique()
            for text in periods:
                print(f"适用标准：{text}")
    if args.export is not None:
        for path in export(ev, args.export, args.county, year):
            print(f"wrote {path}")
    if args.write:
        full = evaluate(load_inputs(args.processed), standards=std)
        for name, path in full.write(args.processed).items():
            print(f"wrote {name}: {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(argparse.Namespace()))
