"""`learnflow curriculum check|list`: validate the curriculum end to end, or list what it holds."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any, cast

from learnflow.curriculum import Catalog, RunTests, check_catalog, read_catalog
from learnflow.curriculum.check import DEFAULT_WORKERS
from learnflow.curriculum.examples import RunPython
from learnflow.errors import SetupError

SANDBOX_MODULE = "code_runner.sandbox"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "curriculum", help="validate or list the curriculum (lessons, exercises, quizzes)"
    )
    commands = parser.add_subparsers(dest="curriculum_command", metavar="ACTION", required=True)

    check = commands.add_parser(
        "check",
        help="validate every file; run each solution (must pass) and starter (must fail) "
        "in the sandbox; print a JSON summary; exit 1 on any problem",
    )
    check.add_argument("--only", metavar="MODULE", help="check one module (e.g. basics)")
    check.add_argument(
        "--workers", type=_positive_int, default=DEFAULT_WORKERS, help="parallel sandbox runs"
    )
    _add_root(check)
    check.set_defaults(func=run_check)

    listing = commands.add_parser("list", help="a short table of modules, lessons and exercises")
    listing.add_argument("--module", metavar="MODULE", help="list one module's lessons/exercises")
    _add_root(listing)
    listing.set_defaults(func=run_list)


def run_check(args: argparse.Namespace) -> int:
    catalog = read_catalog(args.root, strict=False)
    report = check_catalog(
        catalog,
        sandbox_run_tests(),
        only=args.only,
        workers=args.workers,
        on_progress=lambda line: print(line, file=sys.stderr, flush=True),
        run_python=sandbox_run_python(),
    )
    summary = report.model_dump(mode="json")
    print(json.dumps(summary, indent=2))
    if report.problems:
        print(f"curriculum check: {len(report.problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


def run_list(args: argparse.Namespace) -> int:
    catalog = read_catalog(args.root, strict=False)
    if catalog.file_errors:
        print(
            f"note: {len(catalog.file_errors)} file(s) could not be loaded and are left out; "
            "`learnflow curriculum check` says why",
            file=sys.stderr,
        )
    if args.module:
        _print_module(catalog, args.module)
    else:
        _print_modules(catalog)
    return 0


def _print_module(catalog: Catalog, module_id: str) -> None:
    module = catalog.module(module_id)
    print(f"{module.number}. {module.title} ({module.id}): {module.summary}")
    for lesson in catalog.lessons_for(module.id):
        print(f"  lesson  {lesson.id:<42} {lesson.title}")
        for exercise in catalog.exercises_for(module.id, lesson_id=lesson.id):
            print(f"    {exercise.difficulty:<6} {exercise.id:<40} {exercise.title}")


def _print_modules(catalog: Catalog) -> None:
    print(f"{'#':>2}  {'module':<16} {'lessons':>7} {'exercises':>9} {'quiz':>5}  title")
    quiz_sizes = {quiz.module: len(quiz.questions) for quiz in catalog.quizzes}
    loaded = {module.id: module for module in catalog.modules}
    for position, module_id in enumerate(catalog.module_ids, start=1):
        module = loaded.get(module_id)
        if module is None:
            invalid = (catalog.root / module_id / "module.yaml").is_file()
            status = "(module.yaml is invalid)" if invalid else "(not written yet)"
            print(f"{position:>2}  {module_id:<16} {status}")
            continue
        lessons = len(catalog.lessons_for(module.id))
        exercises = len(catalog.exercises_for(module.id))
        quiz = quiz_sizes.get(module.id, 0)
        print(
            f"{position:>2}  {module.id:<16} {lessons:>7} {exercises:>9} {quiz:>5}  {module.title}"
        )


def _sandbox() -> Any:
    try:
        return importlib.import_module(SANDBOX_MODULE)
    except ImportError as exc:
        raise SetupError(
            f"cannot import the code runner sandbox ({SANDBOX_MODULE}: {exc}); install LearnFlow "
            "with `pip install -e .` from the repository root so `code_runner` is importable"
        ) from exc


def sandbox_run_tests() -> RunTests:
    """The sandbox's `run_tests`, imported only when a check runs."""
    return cast(RunTests, _sandbox().run_tests)


def sandbox_run_python() -> RunPython:
    """The sandbox's `run_python`, for the lessons' worked examples."""
    return cast(RunPython, _sandbox().run_python)


def _add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root", type=Path, default=None, help="content folder (default: the packaged curriculum)"
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
