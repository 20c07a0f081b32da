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
    p.add_argument("--year", type=_year, help="statistics year of files that name none (no 年份 column, "
                   "no year in the title, sheet, file or folder name)")
    p.add_argument("--strict", action="store_true", help="stop at the first file that cannot be used and write "
                   "nothing (default: clean every usable file, list the others and exit 2)")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    p.add_argument("--verbose", action="store_true", help="print long warnings in full")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")
    p.set_defaults(func=run)


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {text!r}") from None
    if not 1990 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"year {year} outside 1990-2100")
    return year


def format_failures(failures) -> str:
    """The files and sheets that could not be used, one per line.

    >>> from analysis.errors import InputError
    >>> print(format_failures([InputError("a.xlsx", "unreadable workbook", sheet=None)]))
    1 file could not be used (not in the tables; exit status 2):
      a.xlsx: unreadable workbook
    """
    n = len({f.file for f in failures})
    head = f"{n} file{'s' if n != 1 else ''} could not be used (not in the tables; exit status 2):"
    return "\n".join([head, *(f"  {f}" for f in failures)])


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
    if "file_status" in df:  # the failures are printed on their own
        df = df.loc[df["file_status"] == "ok"].drop(columns=["file_status", "file_problem"], errors="ignore")
    df["source_sheet"] = df["source_sheet"].fillna("")
    return df.to_string(index=False)


def run(args: argparse.Namespace) -> int:
    """Run the cleaning and print the accounting, the warnings and a summary line; the files
    that could not be used go to stderr and make the exit status 2."""
    from analysis.clean.pipeline import clean

    report = clean(args.raw, args.out, synonyms=args.synonyms, strict=args.strict, year=args.year)
    out = sys.stdout
    if not args.quiet:
        print(format_accounting(report.accounting), file=out)
        if report.warnings:
            print(f"\n{len(report.warnings)} warnings:", file=out)
            for w in report.warnings:
                if not args.verbose and len(w) > WARNING_WIDTH:
                    w = w[: WARNING_WIDTH - 1] + "… (--verbose shows all)"
                print(f"  warning: {w}", file=out)
        if report.skipped:
            print(f"\nskipped (not tables): {', '.join(report.skipped)}", file=out)
        print(file=out)
    print(report.summary() + f"; written to {args.out}", file=out)
    if report.failures:
        out.flush()
        print(format_failures(report.failures), file=sys.stderr)
        return 2
    return 0
