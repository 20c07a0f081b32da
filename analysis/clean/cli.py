"""``python -m analysis clean``: clean the raw folder into the core tables.

The console talks about the analyst's data, in Chinese with the English figures beside: the
files with real problems (their accounting rows), the warnings about the data, and a closing
summary (files read, rows kept, 合计 / 注释 rows skipped, rows rejected grouped by reason with
the first few places, files that could not be used and why, where the full lists are). The
notes about the mapping files themselves (synonyms never used …) are for the maintainer: they
are printed only with ``--verbose`` and always written to ``qa_warnings.txt``.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from analysis.clean.pipeline import clean
from analysis.config import DEFAULT_PROCESSED, DEFAULT_RAW
from analysis.dictionary import value_labels

#: Warnings longer than this are cut unless --verbose.
WARNING_WIDTH = 300
#: Warnings about the data printed without --verbose (all are in qa_warnings.txt).
MAX_WARNINGS = 10
#: Places shown per reject reason.
MAX_PLACES = 3
#: Reject reasons shown (the most frequent first).
MAX_REASONS = 12
#: Names of skipped (non-table) files shown.
MAX_SKIPPED = 5
#: Sheets with problems tabled without --verbose (all are in qa_accounting.csv).
MAX_PROBLEM_SHEETS = 10


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``clean`` command."""
    p = subparsers.add_parser(
        "clean",
        help="clean bureau exports (xlsx/xls/csv) under --raw into the core tables in --out",
        description="Read every workbook and CSV file under the raw folder, recognise each sheet's "
        "table kind, and write the validated core tables, qa_rejects, qa_accounting, qa_warnings.txt "
        "and a manifest. Prints a short summary in Chinese (with the English figures).",
    )
    p.add_argument("--raw", default=str(DEFAULT_RAW), help="raw folder (default: %(default)s)")
    p.add_argument("--out", default=str(DEFAULT_PROCESSED), help="output folder (default: %(default)s)")
    p.add_argument("--synonyms", help="header synonyms YAML (default: analysis/data/synonyms.yaml)")
    p.add_argument("--year", type=_year, help="statistics year of files that name none (no 年份 column, "
                   "no year in the title, sheet, file or folder name)")
    p.add_argument("--strict", action="store_true", help="stop at the first file that cannot be used and write "
                   "nothing (default: clean every usable file, list the others and exit 2)")
    p.add_argument("--quiet", action="store_true", help="print only the summary figures")
    p.add_argument("--verbose", action="store_true", help="print the table of every file, every warning in full "
                   "and the notes about the mapping files (synonyms, school types, subjects never used)")
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


# ------------------------------------------------------------------ text helpers


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two).

    >>> display_width("a.csv"), display_width("学校.csv")
    (5, 8)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


def align(rows: Sequence[Sequence[str]], right: Iterable[int] = ()) -> list[str]:
    """Rows of cells as aligned lines (by display width; columns ``right`` right-aligned).

    >>> print("\\n".join(align([["文件", "n"], ["a.csv", "12"]], right=[1])))
    文件    n
    a.csv  12
    """
    right = set(right)
    widths = [max(display_width(r[j]) for r in rows) for j in range(len(rows[0]))]
    return ["  ".join(_pad(c, w, j in right) for j, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
            for r in rows]


def _n(value: int) -> str:
    return f"{int(value):,}"


def _place(file: str, sheet, row=None, column=None, value=None) -> str:
    """Where a row is, as the analyst finds it in the spreadsheet.

    >>> _place("a.xlsx", "2024年", 12, "在校生数", "约三百")
    'a.xlsx [2024年] 第12行 列「在校生数」 值「约三百」'
    """
    out = f"{file} [{sheet}]" if isinstance(sheet, str) and sheet else str(file)
    if row is not None and not pd.isna(row):
        out += f" 第{int(row)}行"
    if isinstance(column, str) and column:
        out += f" 列「{column}」"
    if isinstance(value, str) and value:
        out += f" 值「{value if len(value) <= 40 else value[:39] + '…'}」"
    return out


# ------------------------------------------------------------------ parts of the output


def format_failures(failures) -> str:
    """The files and sheets that could not be used, one per line.

    >>> from analysis.errors import InputError
    >>> print(format_failures([InputError("a.xlsx", "unreadable workbook", sheet=None)]))
    无法使用的文件 1 个，未进入数据表，退出状态 2（1 file could not be used; not in the tables; exit status 2）：
      a.xlsx: unreadable workbook
    """
    n = len({f.file for f in failures})
    head = (f"无法使用的文件 {n} 个，未进入数据表，退出状态 2"
            f"（{n} file{'s' if n != 1 else ''} could not be used; not in the tables; exit status 2）：")
    return "\n".join([head, *(f"  {f}" for f in failures)])


def format_accounting(accounting: pd.DataFrame, only_problems: bool = False, limit: int | None = None) -> str:
    """The per-file accounting table as aligned text, headers in Chinese with the English.

    ``only_problems``: only the sheets with rejected rows (problems in the data), the most
    rejected first, at most ``limit`` of them. Files that could not be used are listed on
    their own (:func:`format_failures`).

    >>> acc = pd.DataFrame({"source_file": ["a.csv", "学校.csv"], "source_sheet": [None, None],
    ...     "table_kind": ["schools", "schools"], "rows_read": [3, 2], "rows_kept": [1, 2],
    ...     "rows_skipped": [1, 0], "rows_rejected": [1, 0]})
    >>> print(format_accounting(acc, only_problems=True))
    文件 (file)  工作表 (sheet)  表类型 (kind)  读入 (read)  保留 (kept)  跳过 (skipped)  剔除 (rejected)
    a.csv                        学校基本情况             3            1               1                1
    """

    if accounting.empty:
        return "（没有读到表格 no tables read）"
    df = accounting
    if "file_status" in df:
        df = df.loc[df["file_status"] == "ok"]
    more = 0
    if only_problems:
        df = df.loc[df["rows_rejected"] > 0].sort_values("rows_rejected", ascending=False, kind="stable")
        if limit is not None and len(df) > limit:
            more, df = len(df) - limit, df.head(limit)
    kinds = value_labels("table_kind")
    head = ["文件 (file)", "工作表 (sheet)", "表类型 (kind)", "读入 (read)", "保留 (kept)", "跳过 (skipped)",
            "剔除 (rejected)"]
    rows = [head]
    for r in df.itertuples(index=False):
        sheet = r.source_sheet if isinstance(r.source_sheet, str) else ""
        rows.append([str(r.source_file), sheet, kinds.get(r.table_kind, str(r.table_kind)), _n(r.rows_read),
                     _n(r.rows_kept), _n(getattr(r, "rows_skipped", 0)), _n(r.rows_rejected)])
    lines = align(rows, right=[3, 4, 5, 6])
    if more:
        lines.append(f"…另有 {more} 个工作表有问题行，见 qa_accounting.csv 或用 --verbose"
                     f"（{more} more sheets with rejected rows in qa_accounting.csv; --verbose lists all）")
    return "\n".join(lines)


def reason_group(reason: str) -> str:
    """The reason without its row-specific detail (the text after a full-width colon).

    >>> reason_group("重复键：与 a.csv 第3行 重复（保留首次出现的记录）"), reason_group("数值为负")
    ('重复键', '数值为负')
    """
    return str(reason).split("：", 1)[0]


def format_reasons(rejects: pd.DataFrame, places: int = MAX_PLACES, reasons: int = MAX_REASONS) -> list[str]:
    """The rejected rows (problems, not skipped total / note rows) grouped by reason, most
    frequent first, each with its row count and the first few places.

    >>> rej = pd.DataFrame({"source_file": ["a.csv"] * 4, "source_sheet": [None] * 4,
    ...     "source_row": [3, 4, 5, 9], "source_column": ["在校生数", "在校生数", "班额", None],
    ...     "raw_value": ["约三百", "-5", "-1", "合计"],
    ...     "reason": ["无法识别的数值", "数值为负", "数值为负", "合计行（非数据）"],
    ...     "is_skipped_row": [False, False, False, True]})
    >>> print("\\n".join(format_reasons(rej, places=1)))
      数值为负：2 行（2 rows），如：
        a.csv 第4行 列「在校生数」 值「-5」
        …另 1 行（1 more）
      无法识别的数值：1 行（1 row），如：
        a.csv 第3行 列「在校生数」 值「约三百」
    """
    if rejects.empty:
        return []
    rej = rejects.loc[~rejects["is_skipped_row"].astype(bool)] if "is_skipped_row" in rejects else rejects
    if rej.empty:
        return []
    rej = rej.assign(_group=rej["reason"].map(reason_group))
    # rows, not records: a row with two bad cells under one reason counts once
    rows = rej.drop_duplicates(["_group", "source_file", "source_sheet", "source_row"])
    counts = rows.groupby("_group", sort=False).size().sort_values(ascending=False, kind="stable")
    lines = []
    for group, n in counts.iloc[:reasons].items():
        sub = rows.loc[rows["_group"] == group].head(places)
        lines.append(f"  {group}：{_n(n)} 行（{_n(n)} row{'s' if n != 1 else ''}），如：")
        lines += [f"    {_place(r.source_file, r.source_sheet, r.source_row, r.source_column, r.raw_value)}"
                  for r in sub.itertuples(index=False)]
        if n > len(sub):
            lines.append(f"    …另 {_n(n - len(sub))} 行（{_n(n - len(sub))} more）")
    if len(counts) > reasons:
        rest = int(counts.iloc[reasons:].sum())
        lines.append(f"  其余 {len(counts) - reasons} 种原因共 {_n(rest)} 行（{_n(rest)} more rows, other reasons）")
    return lines


def format_summary(report, out_dir: str | Path, raw_dir: str | Path, quiet: bool = False) -> str:
    """The closing summary: figures in Chinese with the English beside, the problems by
    reason, the files that could not be used, where the full lists are."""
    t = report.totals()
    out_dir = Path(out_dir)
    n_failed = len({f.file for f in report.failures})
    lines = [
        f"清洗完成（cleaning done）：{raw_dir} → {out_dir}，用时 {report.seconds:.1f} 秒（{report.seconds:.1f} s）",
        f"  读取文件 {_n(len(report.inputs))} 个（files read），工作表 {_n(t['sheets'])} 张（sheets）",
        f"  读入数据行 {_n(t['rows_read'])} 行（rows read）",
        f"  保留 {_n(t['rows_kept'])} 行（rows kept）",
        f"  跳过合计、注释等非数据行 {_n(t['rows_skipped'])} 行，属正常（total / note rows skipped, not problems）",
        f"  因数据有问题剔除 {_n(t['rows_rejected'])} 行（rows rejected: problems in the data）",
    ]
    if report.warnings:
        lines.append(f"  提示 {_n(len(report.warnings))} 条（warnings about the data）")
    if report.skipped:
        names = "、".join(report.skipped[:MAX_SKIPPED]) + (" 等" if len(report.skipped) > MAX_SKIPPED else "")
        lines.append(f"  不是表格、未读取的文件 {_n(len(report.skipped))} 个（files skipped, not tables）：{names}")
    if n_failed:
        lines.append(f"  无法使用的文件 {n_failed} 个（files that could not be used），原因见下（reasons below）")
    if not quiet:
        by_reason = format_reasons(report.rejects)
        if by_reason:
            lines += ["", "剔除的行，按原因（rejected rows by reason）：", *by_reason]
    lines += ["", "完整清单（full lists）："]
    lines.append(f"  {out_dir / 'qa_rejects.csv'}：每个剔除或跳过的行及原因（every rejected or skipped row, "
                 "with its reason; is_skipped_row = True for 合计 / 注释 rows）")
    lines.append(f"  {out_dir / 'qa_accounting.csv'}：每个文件、工作表的行数（rows per file and sheet）")
    if "qa_warnings.txt" in report.written:
        lines.append(f"  {out_dir / 'qa_warnings.txt'}：全部提示，及关于映射文件的说明（every warning, and the notes "
                     "about the mapping files）")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run the cleaning and print the files with problems, the warnings about the data and the
    summary; the files that could not be used go to stderr and make the exit status 2."""
    report = clean(args.raw, args.out, synonyms=args.synonyms, strict=args.strict, year=args.year)
    out = sys.stdout
    if not args.quiet:
        acc = report.accounting
        ok = acc.loc[acc["file_status"] == "ok"] if "file_status" in acc else acc
        if args.verbose or (ok["rows_rejected"] > 0).any():
            title = ("每个文件的行数（rows per file and sheet）：" if args.verbose
                     else "有问题行的文件（files with rejected rows）：")
            print(title, file=out)
            print(format_accounting(acc, only_problems=not args.verbose,
                                    limit=None if args.verbose else MAX_PROBLEM_SHEETS), file=out)
            print(file=out)
        if report.warnings:
            print(f"提示 {len(report.warnings)} 条（warnings about the data）：", file=out)
            shown = report.warnings if args.verbose else report.warnings[:MAX_WARNINGS]
            for w in shown:
                if not args.verbose and len(w) > WARNING_WIDTH:
                    w = w[: WARNING_WIDTH - 1] + "… (--verbose shows all)"
                print(f"  {w}", file=out)
            if len(shown) < len(report.warnings):
                print(f"  …另有 {len(report.warnings) - len(shown)} 条，见 qa_warnings.txt 或用 --verbose"
                      f"（{len(report.warnings) - len(shown)} more in qa_warnings.txt; --verbose prints all）", file=out)
            print(file=out)
        for n in report.notes:
            print(f"说明（note）：{n}", file=out)
        if args.verbose and report.mapping_notes:
            print(f"关于映射文件的说明 {len(report.mapping_notes)} 条，供维护者参考"
                  "（notes about the mapping files, for the maintainer）：", file=out)
            for n in report.mapping_notes:
                print(f"  {n}", file=out)
            print(file=out)
        elif report.notes:
            print(file=out)
    print(format_summary(report, args.out, args.raw, quiet=args.quiet), file=out)
    if report.failures:
        out.flush()
        print(format_failures(report.failures), file=sys.stderr)
        return 2
    return 0
