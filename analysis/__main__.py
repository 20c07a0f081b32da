"""Command line of the workbench: ``python -m analysis COMMAND ...``.

Each command lives in its own module, which exposes ``register(subparsers)``; the
module adds its sub-parser and sets ``func`` to the function that runs it. Modules are
imported lazily so that ``python -m analysis --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: command modules, in the order ``--help`` lists them
COMMAND_MODULES = (
    "analysis.sample",
    "analysis.clean.cli",
    "analysis.indicators.cli",
    "analysis.plan.cli",
    "analysis.publish.cli",
    "analysis.cli_misc",
    "analysis.template",
)


class UserError(Exception):
    """An error caused by input or options: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="义务教育优质均衡发展 analysis workbench: clean bureau exports, compute the "
        "indicators, publish county reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command still being built
            if not exc.name or not name.startswith(exc.name):
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one readable line for the user
        if getattr(args, "debug", False) or not _is_user_error(exc):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _is_user_error(exc: Exception) -> bool:
    from analysis.errors import InputError

    return isinstance(exc, (InputError, UserError, FileNotFoundError, KeyError, ValueError))


if __name__ == "__main__":
    sys.exit(main())
