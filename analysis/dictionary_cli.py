"""Small commands: ``dictionary`` prints or exports the published data dictionary."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "dictionary",
        help="print or export the data dictionary (every table and column, with Chinese labels)",
    )
    p.add_argument("--table", help="only this table")
    p.add_argument("--out", help="write CSV (UTF-8 with BOM, opens in Excel) or Markdown (.md) here")
    p.set_defaults(func=run_dictionary)


def run_dictionary(args: argparse.Namespace) -> int:
    # deferred: keeps the command line's start-up light
    from analysis.dictionary import data_dictionary, table

    dd = data_dictionary()
    if args.table:
        table(args.table)  # raises a KeyError listing the known tables
        dd = dd[dd["table"] == args.table]
    if args.out and args.out.endswith(".md"):
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(dd.to_markdown(index=False) if _has_tabulate() else dd.to_string(index=False))
    elif args.out:
        dd.to_csv(args.out, index=False, encoding="utf-8-sig")
    else:
        dd.to_string(sys.stdout, index=False, columns=["table", "column", "label_zh", "dtype", "unit"])
        print()
    return 0


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
