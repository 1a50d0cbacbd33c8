"""`learnflow` — the one command-line tool for running and operating LearnFlow.

Each module in `learnflow.cli.commands` adds its own sub-commands through `register(subparsers)`;
a sub-command sets `func` (returning an exit code) with `parser.set_defaults(func=...)`.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from learnflow.cli import commands
from learnflow.errors import LearnFlowError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="learnflow", description="Run, operate and inspect the LearnFlow mesh."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except LearnFlowError as exc:
        print(f"learnflow: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
