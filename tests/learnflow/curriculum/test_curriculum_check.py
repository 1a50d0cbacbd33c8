"""`check_catalog` with a scripted fake runner: pure logic, no code is executed.

The fake answers like the sandbox's `run_tests` would: by default a reference solution passes and
anything else fails; tests script other answers per code string.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pytest

from learnflow.curriculum import CheckReport, check_catalog, check_exercise, read_catalog
from learnflow.curriculum.rules import gives_away
from learnflow.errors import NotFound, SetupError

PASS = {"status": "pass", "message": "", "tests": [{"name": "t", "status": "pass"}]}
FAIL = {
    "status": "fail",
    "message": "1 test failed",
    "tests": [{"name": "test_double", "status": "fail", "message": "assert None == 4"}],
}


class ScriptedRunner:
    """A stand-in for `code_runner.sandbox.run_tests` that answers from a script."""

    def __init__(self, catalog: Any, script: Mapping[str, Any] | None = None) -> None:
        self.solutions = {exercise.solution for exercise in catalog.exercises}
        self.script = dict(script or {})
        self.calls: list[tuple[str, str, str]] = []
        self.limits: list[dict[str, float]] = []
        self._lock = threading.Lock()

    def __call__(
        self, code: str, tests: str, module_name: str, **limits: float
    ) -> Mapping[str, Any]:
        with self._lock:
            self.calls.append((code, tests, module_name))
            self.limits.append(limits)
        answer = self.script.get(code)
        if isinstance(answer, BaseException):
            raise answer
        if answer is not None:
            return answer  # type: ignore[no-any-return]
        return PASS if code in self.solutions else FAIL


def run_check(tree: Any, script: Mapping[str, Any] | None = None, **options: Any) -> CheckReport:
    catalog = read_catalog(tree.root, strict=False)
    return check_catalog(catalog, ScriptedRunner(catalog, script), **options)


def messages(report: CheckReport) -> list[str]:
    return [str(problem) for problem in report.problems]


def assert_one_problem(report: CheckReport, where: str, text: str) -> None:
    found = [p for p in report.problems if p.where == where and text in p.message]
    assert found, f"no problem at {where!r} containing {text!r} in {messages(report)}"
    assert len(report.problems) == 1, messages(report)


# --- a valid curriculum ----------------------------------------------------------------------


def test_valid_curriculum_has_no_problems_and_counts_everything(tree: Any) -> None:
    report = run_check(tree)
    assert report.problems == []
    assert report.ok
    assert report.model_dump(mode="json") == {
        "modules": 2,
        "lessons": 6,
        "exercises": 12,
        "quiz_questions": 16,
        "solutions_passed": 12,
        "starters_failed": 12,
        "worked_examples_run": 0,  # no run_python given: worked examples are not run
        "problems": [],
        "ok": True,
    }


def test_runner_gets_solution_and_starter_with_the_tests_as_module_solution(tree: Any) -> None:
    catalog = read_catalog(tree.root)
    runner = ScriptedRunner(catalog)
    check_catalog(catalog, runner)
    exercise = catalog.exercise("alpha.exercise-1")
    assert (exercise.solution, exercise.tests, "solution") in runner.calls
    assert (exercise.starter, exercise.tests, "solution") in runner.calls
    assert len(runner.calls) == 24


def test_runner_gets_each_exercises_time_limits(tree: Any) -> None:
    tree.edit_yaml(
        "alpha/exercises/alpha.exercise-1.yaml",
        lambda data: data.update(limits={"test_timeout_s": 3, "run_timeout_s": 8}),
    )
    catalog = read_catalog(tree.root)
    runner = ScriptedRunner(catalog)
    check_catalog(catalog, runner)
    exercise_limits = {"test_timeout_s": 3.0, "run_timeout_s": 8.0}
    defaults = {"test_timeout_s": 2.0, "run_timeout_s": 5.0}
    assert runner.limits.count(exercise_limits) == 2  # its solution and its starter
    assert runner.limits.count(defaults) == 22


SLOW_SOLUTION = "def double(n):\n    return n * 2  # the slow one\n"


def with_slow_solution(tree: Any, **limits: float) -> None:
    def change(data: dict[str, Any]) -> None:
        data["solution"] = SLOW_SOLUTION
        if limits:
            data["limits"] = limits

    tree.edit_yaml("alpha/exercises/alpha.exercise-3.yaml", change)


def timed(*cpu_ms: float) -> dict[str, Any]:
    tests = [{"name": f"test_{n}", "status": "pass", "cpu_ms": ms} for n, ms in enumerate(cpu_ms)]
    return {"status": "pass", "message": "", "tests": tests}


def test_a_solution_needing_more_than_half_the_per_test_limit_is_a_problem(tree: Any) -> None:
    with_slow_solution(tree)
    report = run_check(tree, {SLOW_SOLUTION: timed(120, 1001)})
    assert_one_problem(
        report,
        exercise_path("alpha.exercise-3"),
        "the reference solution needs 1001 ms of CPU time for test_1, more than half of the "
        "per-test limit of 2 s",
    )


def test_a_solution_needing_more_than_half_the_run_limit_is_a_problem(tree: Any) -> None:
    with_slow_solution(tree)
    report = run_check(tree, {SLOW_SOLUTION: timed(900, 900, 900)})
    assert_one_problem(
        report,
        exercise_path("alpha.exercise-3"),
        "needs 2700 ms of CPU time for all its tests, more than half of the run limit of 5 s",
    )


def test_a_slow_solution_is_fine_with_limits_that_fit_it(tree: Any) -> None:
    with_slow_solution(tree, test_timeout_s=4, run_timeout_s=10)
    report = run_check(tree, {SLOW_SOLUTION: timed(1900, 1900)})
    assert report.problems == []


def test_limits_that_make_no_sense_are_reported(tree: Any) -> None:
    tree.edit_yaml(
        "alpha/exercises/alpha.exercise-4.yaml",
        lambda data: data.update(limits={"test_timeout_s": 6, "run_timeout_s": 5}),
    )
    report = run_check(tree)
    assert any("must not be longer than run_timeout_s" in m for m in messages(report))


def test_only_checks_one_module(tree: Any) -> None:
    tree.write_yaml("catalog.yaml", {"modules": ["alpha", "beta", "missing"]})
    report = run_check(tree, only="beta")
    assert report.problems == []
    assert (report.modules, report.lessons, report.exercises, report.quiz_questions) == (1, 3, 6, 8)


def test_only_with_an_unknown_module_is_an_error(tree: Any) -> None:
    with pytest.raises(NotFound, match="gamma"):
        run_check(tree, only="gamma")


def test_progress_line_per_run(tree: Any) -> None:
    lines: list[str] = []
    run_check(tree, on_progress=lines.append)
    assert len(lines) == 24
    assert lines[-1].startswith("[24/24] ")
    assert any("alpha.exercise-1 starter: fail (ok)" in line for line in lines)


def test_runs_exercises_on_four_threads_at_once(tree: Any) -> None:
    catalog = read_catalog(tree.root)
    four_at_once = threading.Barrier(4)
    fake = ScriptedRunner(catalog)
    first_calls = iter(range(4))
    lock = threading.Lock()

    def runner(code: str, tests: str, module_name: str, **limits: float) -> Mapping[str, Any]:
        with lock:
            wait = next(first_calls, None) is not None
        if wait:
            four_at_once.wait(timeout=10)  # raises BrokenBarrierError unless 4 threads meet
        return fake(code, tests, module_name, **limits)

    report = check_catalog(catalog, runner, workers=4)
    assert report.problems == []


def test_workers_must_be_positive(tree: Any) -> None:
    with pytest.raises(ValueError, match="workers"):
        run_check(tree, workers=0)


# --- runs --------------------------------------------------------------------------------------


def exercise_path(exercise_id: str) -> str:
    return f"{exercise_id.split('.')[0]}/exercises/{exercise_id}.yaml"


def test_solution_that_fails_its_tests(tree: Any) -> None:
    tree.edit_yaml(
        "alpha/exercises/alpha.exercise-2.yaml",
        lambda data: data.update(solution="def double(n):\n    return n + 2\n"),
    )
    report = run_check(tree, {"def double(n):\n    return n + 2\n": FAIL})
    assert_one_problem(
        report,
        exercise_path("alpha.exercise-2"),
        "reference solution does not pass its tests (status fail): 1 test failed; "
        "test_double: assert None == 4",
    )
    assert report.solutions_passed == 11


def test_starter_that_passes_the_tests(tree: Any) -> None:
    catalog = read_catalog(tree.root)
    starter = catalog.exercise("beta.exercise-1").starter
    tree.edit_yaml(
        "beta/exercises/beta.exercise-1.yaml", lambda data: data.update(starter=starter + "\n")
    )
    report = run_check(tree, {starter + "\n": PASS})
    assert_one_problem(report, exercise_path("beta.exercise-1"), "the starter passes the tests")
    assert report.starters_failed == 11


def test_starter_that_errors_instead_of_failing(tree: Any) -> None:
    broken = "def double(n)\n    pass\n"
    tree.edit_yaml(
        "alpha/exercises/alpha.exercise-3.yaml", lambda data: data.update(starter=broken)
    )
    error = {"status": "error", "message": "SyntaxError: expected ':'", "tests": []}
    report = run_check(tree, {broken: error})
    assert_one_problem(
        report,
        exercise_path("alpha.exercise-3"),
        "the starter errors instead of failing (SyntaxError: expected ':')",
    )


def test_solution_passing_with_no_test_cases(tree: Any) -> None:
    catalog = read_catalog(tree.root)
    solution = catalog.exercise("alpha.exercise-1").solution
    script = {solution: {"status": "pass", "message": "", "tests": []}}
    report = run_check(tree, script)
    assert report.problems  # every exercise shares the fixture's solution text
    assert all("ran no test case" in problem.message for problem in report.problems)


def test_runner_that_raises_is_reported_not_fatal(tree: Any) -> None:
    catalog = read_catalog(tree.root)
    solution = catalog.exercise("alpha.exercise-1").solution
    report = run_check(tree, {solution: RuntimeError("sandbox exploded")})
    assert len(report.problems) == 12
    assert "the runner raised RuntimeError('sandbox exploded')" in report.problems[0].message


def test_runner_that_cannot_run_here_aborts_the_check(tree: Any) -> None:
    catalog = read_catalog(tree.root)
    unavailable = SetupError("bubblewrap is not installed: apt-get install bubblewrap")
    script = {exercise.starter: unavailable for exercise in catalog.exercises}
    script |= {exercise.solution: unavailable for exercise in catalog.exercises}
    with pytest.raises(SetupError, match="bubblewrap"):
        check_catalog(catalog, ScriptedRunner(catalog, script))


def test_unexpected_runner_status_is_reported(tree: Any) -> None:
    catalog = read_catalog(tree.root)
    starter = catalog.exercise("alpha.exercise-1").starter
    timeout = {"status": "timeout", "message": "ran longer than 5 s", "tests": []}
    report = run_check(tree, {starter: timeout})
    assert "status 'timeout': ran longer than 5 s" in report.problems[0].message


def test_check_exercise_for_a_single_generated_exercise(tree: Any) -> None:
    catalog = read_catalog(tree.root)
    exercise = catalog.exercise("alpha.exercise-1")
    assert check_exercise(exercise, ScriptedRunner(catalog)) == []
    starter_passes = ScriptedRunner(catalog, {exercise.starter: PASS})
    assert check_exercise(exercise, starter_passes) == [
        "the starter passes the tests, so they do not check the task"
    ]


def test_tests_that_never_import_the_learner_code(tree: Any) -> None:
    tree.edit_yaml(
        "alpha/exercises/alpha.exercise-5.yaml",
        lambda data: data.update(tests="def test_nothing():\n    assert True\n"),
    )
    report = run_check(tree)
    assert_one_problem(
        report, exercise_path("alpha.exercise-5"), "the tests never import the learner's code"
    )


# --- hint ladders ------------------------------------------------------------------------------


def test_hint_ladder_with_a_missing_rung(tree: Any) -> None:
    tree.edit_yaml("alpha/exercises/alpha.exercise-1.yaml", lambda data: data["hints"].pop(1))
    report = run_check(tree)
    assert_one_problem(
        report,
        exercise_path("alpha.exercise-1"),
        "hints must be exactly three rungs: nudge, concept, partial (found: nudge, partial)",
    )


def test_hint_ladder_out_of_order(tree: Any) -> None:
    tree.edit_yaml("alpha/exercises/alpha.exercise-1.yaml", lambda data: data["hints"].reverse())
    report = run_check(tree)
    assert "found: partial, concept, nudge" in report.problems[0].message


def test_partial_hint_that_contains_the_solution(tree: Any) -> None:
    def give_away(data: dict[str, Any]) -> None:
        data["hints"][2] = {"partial": "# here you go\n" + data["solution"] + "# ...\n"}

    tree.edit_yaml("alpha/exercises/alpha.exercise-4.yaml", give_away)
    report = run_check(tree)
    assert_one_problem(
        report,
        exercise_path("alpha.exercise-4"),
        "the partial hint contains the whole reference solution",
    )


def test_partial_hint_without_a_placeholder(tree: Any) -> None:
    tree.edit_yaml(
        "alpha/exercises/alpha.exercise-4.yaml",
        lambda data: data["hints"].__setitem__(2, {"partial": "def double(n):\n    return\n"}),
    )
    report = run_check(tree)
    assert_one_problem(report, exercise_path("alpha.exercise-4"), "leave the key line(s) out")


@pytest.mark.parametrize(
    ("hint", "gives"),
    [
        ("def f(x):\n    return x * 2\n", True),
        ("def f(x):\n        return x * 2  \n\n# done\n", True),  # whitespace and comments aside
        ("def f(x):\n    return ...\n", False),
        ("return x * 2", False),  # one line of the solution is not the whole solution
    ],
)
def test_gives_away(hint: str, gives: bool) -> None:
    assert gives_away(hint, "def f(x):\n    return x * 2\n") is gives


# --- ids and references ------------------------------------------------------------------------


def test_exercise_id_without_its_module_prefix(tree: Any) -> None:
    tree.edit_yaml(
        "alpha/exercises/alpha.exercise-1.yaml", lambda data: data.update(id="exercise-1")
    )
    report = run_check(tree)
    assert "id 'exercise-1' must look like 'alpha.<slug>'" in messages(report)[0]
    assert any("does not match the file name" in m for m in messages(report))


def test_id_that_does_not_match_the_file_name(tree: Any) -> None:
    tree.edit_yaml(
        "alpha/exercises/alpha.exercise-1.yaml", lambda data: data.update(id="alpha.exercise-9")
    )
    report = run_check(tree)
    assert_one_problem(
        report,
        exercise_path("alpha.exercise-1"),
        "id 'alpha.exercise-9' does not match the file name 'alpha.exercise-1.yaml'",
    )


def test_duplicate_exercise_ids_name_both_files(tree: Any) -> None:
    tree.write_yaml(
        "alpha/exercises/alpha.exercise-7.yaml",
        tree.read_yaml("alpha/exercises/alpha.exercise-1.yaml"),
    )
    tree.edit_yaml("alpha/module.yaml", lambda data: data["exercises"].append("alpha.exercise-7"))
    report = run_check(tree)
    duplicate = [p for p in report.problems if "is used 2 times" in p.message]
    assert len(duplicate) == 1
    assert "alpha/exercises/alpha.exercise-1.yaml" in duplicate[0].message
    assert "alpha/exercises/alpha.exercise-7.yaml" in duplicate[0].message


def test_exercise_module_field_does_not_match_its_folder(tree: Any) -> None:
    tree.edit_yaml("alpha/exercises/alpha.exercise-1.yaml", lambda data: data.update(module="beta"))
    report = run_check(tree)
    assert "module is 'beta' but the file is in alpha/" in messages(report)[0]


def test_exercise_for_a_lesson_that_does_not_exist(tree: Any) -> None:
    tree.edit_yaml(
        "alpha/exercises/alpha.exercise-1.yaml", lambda data: data.update(lesson="alpha.nope")
    )
    report = run_check(tree)
    assert_one_problem(
        report,
        exercise_path("alpha.exercise-1"),
        "lesson 'alpha.nope' is not a lesson of module 'alpha'",
    )


def test_lesson_id_and_module_rules(tree: Any) -> None:
    tree.write(
        "alpha/lessons/alpha.lesson-1.md",
        tree.root.joinpath("alpha/lessons/alpha.lesson-1.md")
        .read_text()
        .replace("id: alpha.lesson-1", "id: alpha.Lesson_1"),
    )
    report = run_check(tree)
    assert any("id 'alpha.Lesson_1' must look like 'alpha.<slug>'" in m for m in messages(report))


# --- listings and reachability -----------------------------------------------------------------


def test_listed_lesson_without_a_file(tree: Any) -> None:
    tree.edit_yaml("beta/module.yaml", lambda data: data["lessons"].append("beta.lesson-9"))
    report = run_check(tree)
    assert_one_problem(
        report, "beta/module.yaml", "lessons: 'beta.lesson-9' is listed but lessons/"
    )


def test_file_not_listed_in_module_yaml_is_unreachable(tree: Any) -> None:
    extra = tree.read_yaml("beta/exercises/beta.exercise-6.yaml") | {"id": "beta.exercise-7"}
    tree.write_yaml("beta/exercises/beta.exercise-7.yaml", extra)
    report = run_check(tree)
    assert_one_problem(
        report,
        "beta/exercises/beta.exercise-7.yaml",
        "is not listed in exercises of module.yaml, so it is unreachable",
    )


def test_item_listed_twice(tree: Any) -> None:
    tree.edit_yaml("beta/module.yaml", lambda data: data["lessons"].append("beta.lesson-1"))
    report = run_check(tree)
    assert_one_problem(report, "beta/module.yaml", "lessons: 'beta.lesson-1' is listed 2 times")


def test_module_folder_not_in_catalog_yaml(tree: Any) -> None:
    tree.add_module("gamma", 3)
    report = run_check(tree)
    assert_one_problem(report, "gamma/", "not listed in catalog.yaml")


def test_module_in_catalog_yaml_without_a_folder(tree: Any) -> None:
    tree.write_yaml("catalog.yaml", {"modules": ["alpha", "beta", "gamma"]})
    report = run_check(tree)
    assert_one_problem(report, "catalog.yaml", "'gamma' is listed but gamma/module.yaml")


def test_module_listed_twice_in_catalog_yaml(tree: Any) -> None:
    tree.write_yaml("catalog.yaml", {"modules": ["alpha", "beta", "alpha"]})
    report = run_check(tree)
    assert "module 'alpha' is listed 2 times" in messages(report)[0]


def test_module_number_must_match_its_position(tree: Any) -> None:
    tree.edit_yaml("beta/module.yaml", lambda data: data.update(number=5))
    report = run_check(tree)
    assert_one_problem(
        report, "beta/module.yaml", "number is 5 but the module is #2 in catalog.yaml"
    )


def test_module_id_must_match_its_folder(tree: Any) -> None:
    tree.edit_yaml("beta/module.yaml", lambda data: data.update(id="bravo"))
    report = run_check(tree)
    assert "id 'bravo' != folder 'beta'" in messages(report)[0]


def test_stray_files_are_reported(tree: Any) -> None:
    tree.write("alpha/notes.txt", "todo")
    tree.write("alpha/exercises/alpha.extra.yml", "id: alpha.extra")
    report = run_check(tree)
    assert {p.where for p in report.problems} == {
        "alpha/notes.txt",
        "alpha/exercises/alpha.extra.yml",
    }
    assert all("never loaded" in p.message for p in report.problems)


def test_module_below_the_minimum_size(tree: Any) -> None:
    for number in (5, 6):
        exercise_id = f"beta.exercise-{number}"
        tree.root.joinpath(exercise_path(exercise_id)).unlink()
        tree.edit_yaml(
            "beta/module.yaml",
            lambda data, exercise_id=exercise_id: data["exercises"].remove(exercise_id),
        )
    report = run_check(tree)
    assert_one_problem(report, "beta/module.yaml", "has 4 exercises; a module needs at least 6")


def test_missing_quiz(tree: Any) -> None:
    tree.root.joinpath("beta/quiz.yaml").unlink()
    report = run_check(tree)
    assert_one_problem(report, "beta/module.yaml", "beta/quiz.yaml does not exist")


def test_broken_files_are_problems_not_crashes(tree: Any) -> None:
    tree.edit_yaml("alpha/exercises/alpha.exercise-1.yaml", lambda data: data.pop("tests"))
    report = run_check(tree)
    assert_one_problem(
        report, exercise_path("alpha.exercise-1"), "field 'tests': required field is missing"
    )
    assert report.exercises == 11


def test_broken_lesson_does_not_make_its_exercises_dangle(tree: Any) -> None:
    tree.write("alpha/lessons/alpha.lesson-1.md", "no front matter\n")
    report = run_check(tree)
    assert_one_problem(report, "alpha/lessons/alpha.lesson-1.md", "front matter")


# --- quizzes -----------------------------------------------------------------------------------


def edit_question(tree: Any, index: int, **changes: Any) -> None:
    tree.edit_yaml("alpha/quiz.yaml", lambda data: data["questions"][index].update(changes))


def test_answer_index_out_of_range(tree: Any) -> None:
    edit_question(tree, 0, answer=3)
    report = run_check(tree)
    assert_one_problem(
        report,
        "alpha/quiz.yaml",
        "question 1 (alpha.q1): answer 3 is out of range for 3 choices (valid: 0..2)",
    )


def test_negative_answer_index(tree: Any) -> None:
    edit_question(tree, 1, answer=-1)
    report = run_check(tree)
    assert "answer -1 is out of range" in messages(report)[0]


def test_repeated_choices(tree: Any) -> None:
    edit_question(tree, 2, choices=["[2, 4]", "[2,  4]", "[4]"])
    report = run_check(tree)
    assert_one_problem(report, "alpha/quiz.yaml", "question 3 (alpha.q3): repeated choices")


def test_choices_that_differ_only_in_case_are_distinct(tree: Any) -> None:
    edit_question(tree, 2, choices=["True", "true", "TRUE"])
    assert run_check(tree).problems == []


def test_single_choice_question(tree: Any) -> None:
    edit_question(tree, 0, choices=["only"], answer=0)
    report = run_check(tree)
    assert_one_problem(report, "alpha/quiz.yaml", "needs at least two choices")


def test_question_about_an_unknown_lesson(tree: Any) -> None:
    edit_question(tree, 4, lesson="beta.lesson-1")
    report = run_check(tree)
    assert_one_problem(
        report, "alpha/quiz.yaml", "lesson 'beta.lesson-1' is not a lesson of module 'alpha'"
    )


def test_duplicate_question_ids(tree: Any) -> None:
    edit_question(tree, 1, id="alpha.q1")
    report = run_check(tree)
    assert_one_problem(report, "alpha/quiz.yaml", "quiz question id 'alpha.q1' is used 2 times")


def test_question_id_without_module_prefix(tree: Any) -> None:
    edit_question(tree, 1, id="q2")
    report = run_check(tree)
    assert_one_problem(report, "alpha/quiz.yaml", "question 2 (q2): id must look like 'alpha.")


def test_quiz_id_and_module(tree: Any) -> None:
    tree.edit_yaml("alpha/quiz.yaml", lambda data: data.update(id="quiz", module="beta"))
    report = run_check(tree)
    assert {p.message for p in report.problems} == {
        "id 'quiz' should be 'alpha.quiz'",
        "module is 'beta' but the file is in alpha/",
    }


def test_quiz_below_the_minimum_size(tree: Any) -> None:
    tree.edit_yaml("alpha/quiz.yaml", lambda data: data["questions"].pop())
    report = run_check(tree)
    assert_one_problem(report, "alpha/quiz.yaml", "has 7 questions; a quiz needs at least 8")
