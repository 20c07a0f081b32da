"""``python -m analysis plan``: a county's costed rectification plan and the cheapest way to pass.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="python -m analysis")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["plan", "--county", "城东区", "--cap", "build_sports_ground=0"])
>>> args.county, args.cap, args.optimise
('城东区', ['build_sports_ground=0'], True)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from analysis.standards import add_selection_arguments, load_standards
from analysis.tables import write_tables


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plan`` command."""
    p = subparsers.add_parser(
        "plan",
        help="costed rectification plan (整改方案) of a county and the least-cost way to pass",
        description="Turn the county's shortfalls into a costed rectification plan (actions, "
        "quantities, reference unit costs, 万元, target years, responsible offices), keep the "
        "analyst's edits cleaned back in from an exported plan (core_plan_edits), and find the "
        "least-cost set of resource actions that makes the county pass (MILP, HiGHS).",
    )
    add_selection_arguments(p, "county to plan")
    p.add_argument("--base-year", type=int, help="year the default target years count from (default: --year)")
    p.add_argument("--export", type=Path, metavar="FILE.xlsx", help="write the plan workbook (editable 整改方案 sheet)")
    p.add_argument("--docx", type=Path, metavar="FILE.docx",
                   help="write the 创建工作实施方案 / 整改方案 as a Word document")
    p.add_argument("--cap", action="append", default=[], metavar="ACTION=MAX",
                   help="largest quantity of an action per school section, e.g. build_sports_ground=0 (no land); repeatable")
    p.add_argument("--no-optimise", dest="optimise", action="store_false", help="skip the least-cost optimiser")
    p.add_argument("--write", action="store_true", help="write out_plan and out_plan_optimal to the processed folder")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(func=run)


def parse_caps(items: list[str]) -> dict[str, float]:
    """``["build_sports_ground=0"]`` → ``{"build_sports_ground": 0.0}``.

    >>> parse_caps(["build_sports_ground=0", "build_teaching_rooms=500"])
    {'build_sports_ground': 0.0, 'build_teaching_rooms': 500.0}
    """
    from analysis.plan.optimise import ACTIONS  # here for the command line's start-up (scipy)

    known = sorted({a[1] for a in ACTIONS})
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in known:
            raise ValueError(f"--cap {item!r}: write ACTION=MAX with ACTION one of {', '.join(known)}")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--cap {item!r}: {value!r} is not a number") from None
    return out


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    # imported here, not at the top: `python -m analysis --help` and the other commands
    # start without loading the engine, the optimiser (scipy) and the workbook writer
    from analysis.indicators.evaluation import available, check_selection, evaluate, load_inputs
    from analysis.plan.actions import build_plan, load_edits
    from analysis.plan.optimise import caps_frame, optimise
    from analysis.plan.report import export_plan, plan_summary, plan_title
    from analysis.presentation.report_table import table

    std = load_standards(args.standards)
    pairs = available(args.processed)
    year = args.year if args.year is not None else int(pairs["year"].max())
    check_selection(pairs, [year], [args.county])
    caps = parse_caps(args.cap)
    inputs = load_inputs(args.processed, year=year, counties=[args.county])
    ev = evaluate(inputs, year=year, standards=std)
    edits = load_edits(args.processed)
    plan = build_plan(ev, args.county, year, inputs=inputs, edits=edits, base_year=args.base_year)
    label = f"【{ev.data_label}】" if ev.data_label else ""
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                           "display.unicode.east_asian_width", True):
        print(plan_title(args.county, year) + label)
        n_edited = int(plan["is_edited"].sum()) if len(plan) else 0
        print(f"{len(plan)}项整改事项" + (f"，其中{n_edited}项已按调整表修改" if n_edited else "") + "；费用为参考值（万元）")
        print(table(plan_summary(plan)).to_string())
        result = None
        if args.optimise:
            plan_caps = caps_frame(plan.loc[plan["max_quantity"].notna()]) if len(plan) else None
            all_caps = pd.concat([c for c in (caps_frame(caps), plan_caps) if c is not None and len(c)], ignore_index=True) \
                if caps or (plan_caps is not None and len(plan_caps)) else None
            result = optimise(inputs, args.county, year, std, caps=all_caps, baseline=plan)
            print()
            print(f"资源配置最低费用方案：{result.message}")
            print(table(result.summary()).to_string())
            if len(result.blocking):
                print(table(result.blocking).to_string())
    if args.export is not None:
        for path in export_plan(plan, args.export, args.county, year, result=result, data_label=ev.data_label):
            print(f"wrote {path}")
    if getattr(args, "docx", None) is not None:
        # deferred: keeps the command line's start-up light
        from analysis.documents.plandoc import write_plan_docx

        print(f"wrote {write_plan_docx(plan, args.county, year, args.docx, standards=std, data_label=ev.data_label)}")
    if args.write:
        tables = {"out_plan": plan}
        if result is not None:
            tables["out_plan_optimal"] = result.actions
        for name, path in write_tables(tables, args.processed).items():
            print(f"wrote {name}: {path}")
    return 0 if result is None or result.status in ("optimal", "already_passing") else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(argparse.Namespace()))
