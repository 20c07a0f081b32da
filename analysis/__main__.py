"""Command line of the workbench: ``python -m analysis COMMAND ...``.

Each command lives in its own module, which exposes ``register(subparsers)``; the
module adds its sub-parser and sets ``func`` to the function that runs it. Modules are
imported lazily so that ``python -m analysis --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: command name -> the module that registers it, in the order ``--help`` lists them
COMMAND_MODULES = {
    "sample": "analysis.sample",
    "clean": "analysis.clean.cli",
    "indicators": "analysis.indicators.cli",
    "plan": "analysis.plan.cli",
    "selfeval": "analysis.documents.cli",
    "publish": "analysis.publish.cli",
    "dictionary": "analysis.dictionary_cli",
    "template": "analysis.entry_template",
}


class UserError(Exception):
    """An error caused by input or options: printed as one line, exit status 2."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; with ``command`` (a known name) only that command's module is
    imported, so a command starts without importing every other one (``publish`` then
    starts its kernels sooner)."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="义务教育优质均衡发展 analysis workbench: clean bureau exports, compute the "
        "indicators, publish county reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    names = [COMMAND_MODULES[command]] if command in COMMAND_MODULES else list(COMMAND_MODULES.values())
    for name in names:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a command still being built
            if not exc.name or not name.startswith(exc.name):
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
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
    # deferred: keeps the command line's start-up light
    from analysis.errors import InputError

    return isinstance(exc, (InputError, UserError, FileNotFoundError, KeyError, ValueError))


if __name__ == "__main__":
    sys.exit(main())
