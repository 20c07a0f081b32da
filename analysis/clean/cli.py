"""``python -m analysis clean``: clean the raw folder into the core tables."""

from __future__ import annotations

import argparse
import sys

from analysis.clean.pipeline import DEFAULT_RAW
from analysis.tables import DEFAULT_PROCESSED

#: Warnings longer than this are cut unless --verbose.
WARNING_WIDTH = 300


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``clean`` command."""
    p = subparsers.add_parser(
        "clean",
        help="clean bureau exports (xlsx/xls/csv) under --raw into the core tables in --out",
        description="Read every workbook and CSV file under the raw folder, recognise each sheet's "
        "table kind, and write the validated core tables, qa_rejects, qa_accounting and a manifest.",
    )
    p.add_argument("--raw", default=str(DEFAULT_RAW), help="raw folder (default: %(default)s)")
    p.add_argument("--out", default=str(DEFAULT_PROCESSED), help="output folder (default: %(default)s)")
    p.add_argument("--synonyms", help="header synonyms YAML (default: analysis/data/synonyms.yaml)")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    p.add_argument("--verbose", action="store_true", help="print long warnings in full")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")
    p.set_defaults(func=run)


def format_accounting(accounting) -> str:
    """The per-file accounting table as aligned text.

    >>> import pandas as pd
    >>> print(format_accounting(pd.DataFrame({"source_file": ["a.csv"], "source_sheet": [None],
    ...     "table_kind": ["schools"], "rows_read": [3], "rows_kept": [2], "rows_rejected": [1]})))
    source_file source_sheet table_kind  rows_read  rows_kept  rows_rejected
          a.csv                 schools          3          2              1
    """
    if accounting.empty:
        return "(no tables read)"
    df = accounting.copy()
    df["source_sheet"] = df["source_sheet"].fillna("")
    return df.to_string(index=False)


def run(args: argparse.Namespace) -> int:
    """Run the cleaning and print the accounting, the warnings and a summary line."""
    from analysis.clean.pipeline import clean

    report = clean(args.raw, args.out, synonyms=args.synonyms)
    out = sys.stdout
    if not args.quiet:
        print(format_accounting(report.accounting), file=out)
        if report.warnings:
            print(f"\n{len(report.warnings)} warnings:", file=out)
            for w in report.warnings:
                if not args.verbose and len(w) > WARNING_WIDTH:
                    w = w[: WARNING_WIDTH - 1] + "… (--verbose shows all)"
                print(f"  warning: {w}", file=out)
        for n in report.notes:
            print(f"  note: {n}", file=out)
        if report.skipped:
            print(f"\nskipped (not tables): {', '.join(report.skipped)}", file=out)
        print(file=out)
    print(report.summary() + f"; written to {args.out}", file=out)
    return 0
