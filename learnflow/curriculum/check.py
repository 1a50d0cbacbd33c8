"""`check_catalog`: every rule of docs/curriculum-format.md, with solutions and starters run.

Static rules live in `rules`, runs in `runs`; this module puts them together into a report.
`check_exercise` applies the same per-exercise rules to one exercise that is not in a catalog
(for example one generated for a teacher) before it is used.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from learnflow.curriculum.catalog import Catalog
from learnflow.curriculum.examples import RunPython, example_problem, worked_example
from learnflow.curriculum.models import Exercise
from learnflow.curriculum.problems import CheckReport, Problem, where
from learnflow.curriculum.rules import catalog_problems, hint_ladder_messages, home_module
from learnflow.curriculum.runs import RunTests, run_exercise_code, run_exercises
from learnflow.errors import NotFound

DEFAULT_WORKERS = 4


def check_catalog(
    catalog: Catalog,
    run_tests: RunTests,
    *,
    only: str | None = None,
    workers: int = DEFAULT_WORKERS,
    on_progress: Callable[[str], None] | None = None,
    run_python: RunPython | None = None,
) -> CheckReport:
    """Check the whole catalog (or module `only`), running exercises on `workers` threads.

    With `run_python`, each lesson's worked example is run too (`learnflow.curriculum.examples`).
    `on_progress` receives one line per finished run. Raises `NotFound` for an unknown `only`.
    """
    if only is not None and only not in catalog.module_ids:
        listed = ", ".join(catalog.module_ids)
        raise NotFound(f"module {only!r} is not listed in catalog.yaml (listed: {listed})")
    in_scope = {module.id for module in catalog.modules if only is None or module.id == only}
    exercises = [ex for ex in catalog.exercises if home_module(ex) in in_scope]
    problems = catalog_problems(catalog, only)
    outcomes = run_exercises(exercises, run_tests, workers=workers, on_progress=on_progress)
    problems += [
        Problem(where=where(o.exercise.source, catalog.root, o.exercise.id), message=o.problem)
        for o in outcomes
        if o.problem is not None
    ]
    lessons = [lesson for lesson in catalog.lessons if home_module(lesson) in in_scope]
    examples_run = 0
    if run_python is not None:
        runnable = [lesson for lesson in lessons if worked_example(lesson) is not None]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            found = list(pool.map(lambda lesson: example_problem(lesson, run_python), runnable))
        examples_run = len(runnable)
        for lesson, message in zip(runnable, found, strict=True):
            if on_progress is not None:
                on_progress(f"worked example {lesson.id}: {'ok' if message is None else 'FAIL'}")
            if message is not None:
                problems.append(
                    Problem(where=where(lesson.source, catalog.root, lesson.id), message=message)
                )
    return CheckReport(
        modules=len(in_scope),
        lessons=sum(1 for lesson in catalog.lessons if home_module(lesson) in in_scope),
        exercises=len(exercises),
        quiz_questions=sum(
            len(quiz.questions) for quiz in catalog.quizzes if home_module(quiz) in in_scope
        ),
        solutions_passed=sum(1 for o in outcomes if o.kind == "solution" and o.as_expected),
        starters_failed=sum(1 for o in outcomes if o.kind == "starter" and o.as_expected),
        worked_examples_run=examples_run,
        problems=problems,
    )


def check_exercise(exercise: Exercise, run_tests: RunTests) -> list[str]:
    """Problems with one stand-alone exercise: hint ladder, solution passes, starter fails."""
    messages = hint_ladder_messages(exercise)
    for kind in ("solution", "starter"):
        outcome = run_exercise_code(exercise, kind, run_tests)
        if outcome.problem is not None:
            messages.append(outcome.problem)
    return messages
