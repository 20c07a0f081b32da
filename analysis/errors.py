"""Exceptions the workbench raises for bad input.

An :class:`InputError` is what a user sees as one line on the command line: it names the
file (and sheet, row and column where they are known) and what is wrong.

>>> str(InputError("county.csv", "required column 县 is missing", sheet=None))
'county.csv: required column 县 is missing'
>>> str(InputError("a.xlsx", "no recognisable header row", sheet="Sheet1"))
'a.xlsx [Sheet1]: no recognisable header row'
"""

from __future__ import annotations


class InputError(Exception):
    """A raw file (or option) that cannot be used, named with its location."""

    def __init__(
        self,
        file: str,
        problem: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.problem, self.sheet, self.row, self.column = file, problem, sheet, row, column
        where = str(file)
        if sheet:
            where += f" [{sheet}]"
        if row is not None:
            where += f" row {row}"
        if column:
            where += f" column {column!r}"
        super().__init__(f"{where}: {problem}")
