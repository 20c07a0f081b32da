"""``python -m analysis selfeval``: a county's 自查自评报告 as a Word document.

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="python -m analysis")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["selfeval", "--county", "城东区", "--year", "2024", "--out", "a.docx"])
>>> args.county, args.year, str(args.out), args.template
('城东区', 2024, 'a.docx', None)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from analysis.standards import add_selection_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``selfeval`` command."""
    p = subparsers.add_parser(
        "selfeval",
        help="the county's 自查自评报告 as a Word document (.docx)",
        description="Write a county's self-evaluation report (自查自评报告) as a Word document in the "
        "structure and wording of published self-evaluations: 基本情况, the five parts of the "
        "evaluation indicator by indicator with the figures of the indicator engine, and appendix "
        "tables. Rendered from a Word template (--template: a county's own letterhead and fonts).",
    )
    add_selection_arguments(p, "county to report on")
    p.add_argument("--template", type=Path, metavar="FILE.docx",
                   help="Word template to render into (default: the package's; fields in docs/word-templates.md)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.docx", help="the document to write")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # deferred: keeps the command line's start-up light
    from analysis.documents.selfeval import county_frames, write_selfeval

    # deferred: keeps the command line's start-up light
    from analysis.indicators.evaluation import available, check_selection, evaluate, load_inputs

    # deferred: keeps the command line's start-up light
    from analysis.standards import load_standards

    if args.out.suffix.lower() != ".docx":
        raise ValueError(f"{args.out}: the self-evaluation is written as .docx")
    std = load_standards(args.standards)
    pairs = available(args.processed)
    year = args.year if args.year is not None else int(pairs["year"].max())
    check_selection(pairs, [year], [args.county])
    inputs = load_inputs(args.processed, year=year, counties=[args.county])
    ev = evaluate(inputs, year=year, counties=[args.county], standards=std)
    schools, sections = county_frames(args.processed, args.county, year)
    t0 = time.perf_counter()
    path = write_selfeval(ev, args.county, year, args.out, schools=schools, sections=sections, template=args.template)
    print(f"wrote {path} ({time.perf_counter() - t0:.2f} s)")
    return 0
