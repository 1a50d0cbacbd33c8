"""Running an exercise's reference solution and starter against its hidden tests.

The runner is injected: in production it is the sandbox's `code_runner.sandbox.run_tests`; unit
tests pass a scripted fake. Its result follows the Exercism test-runner contract:
`{"status": "pass"|"fail"|"error", "message": str, "tests": [{"name", "status", "message",
"output"}]}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from learnflow.curriculum.models import Exercise
from learnflow.errors import SetupError

CodeKind = Literal["solution", "starter"]
EXPECTED_STATUS: dict[CodeKind, str] = {"solution": "pass", "starter": "fail"}
MODULE_NAME = "solution"
"""The module name the learner's code is importable as inside the tests."""

_DETAIL_CHARS = 300


class RunTests(Protocol):
    """`run_tests(code, tests, module_name, *, test_timeout_s, run_timeout_s)` returning an
    Exercism-style result mapping (with `cpu_ms` per test, as the sandbox reports it)."""

    def __call__(
        self,
        code: str,
        tests: str,
        module_name: str,
        *,
        test_timeout_s: float,
        run_timeout_s: float,
    ) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class RunOutcome:
    """How one run went: `as_expected` is True when a solution passed or a starter failed."""

    exercise: Exercise
    kind: CodeKind
    status: str
    problem: str | None = None

    @property
    def as_expected(self) -> bool:
        return self.problem is None


def run_exercise_code(exercise: Exercise, kind: CodeKind, run_tests: RunTests) -> RunOutcome:
    """Run the exercise's `kind` code against its tests and judge the result."""
    code = exercise.solution if kind == "solution" else exercise.starter
    limits = exercise.limits
    try:
        result = run_tests(
            code,
            exercise.tests,
            MODULE_NAME,
            test_timeout_s=limits.test_timeout_s,
            run_timeout_s=limits.run_timeout_s,
        )
    except SetupError:
        raise  # the runner cannot work on this machine at all: not a content problem
    except Exception as exc:  # one crashing run is reported, not fatal to the whole check
        return RunOutcome(exercise, kind, "crashed", f"{kind}: the runner raised {exc!r}")
    if not isinstance(result, Mapping) or not isinstance(result.get("status"), str):
        return RunOutcome(exercise, kind, "invalid", f"{kind}: the runner returned {result!r:.200}")
    status: str = result["status"]
    problem = judge(kind, status, result)
    if problem is None and kind == "solution":
        problem = too_slow(exercise, result)
    return RunOutcome(exercise, kind, status, problem)


def too_slow(exercise: Exercise, result: Mapping[str, Any]) -> str | None:
    """A reference solution that needs more than half of a time limit: on a slower moment of
    the grading machine a correct learner could be stopped by the limit (a flaky grade).

    Both limits count CPU time; the sandbox reports each test's `cpu_ms`."""
    limits = exercise.limits
    tests = [t for t in result.get("tests") or [] if isinstance(t, Mapping)]
    timed = [(str(t.get("name")), float(t["cpu_ms"])) for t in tests
             if isinstance(t.get("cpu_ms"), int | float)]  # fmt: skip
    if not timed:
        return None
    name, slowest = max(timed, key=lambda pair: pair[1])
    if slowest > limits.test_timeout_s * 1000 / 2:
        return (
            f"the reference solution needs {slowest:.0f} ms of CPU time for {name}, more than "
            f"half of the per-test limit of {limits.test_timeout_s:g} s: raise "
            "limits.test_timeout_s or make the test lighter, so no correct solution meets a "
            "flaky grade"
        )
    total = sum(ms for _name, ms in timed)
    if total > limits.run_timeout_s * 1000 / 2:
        return (
            f"the reference solution needs {total:.0f} ms of CPU time for all its tests, more "
            f"than half of the run limit of {limits.run_timeout_s:g} s: raise "
            "limits.run_timeout_s or lighten the tests"
        )
    return None


def judge(kind: CodeKind, status: str, result: Mapping[str, Any]) -> str | None:
    """None when `status` is what `kind` code should get, else the problem in words."""
    tests = result.get("tests")
    if kind == "solution" and status == "pass":
        if isinstance(tests, list) and not tests:
            return "the tests ran no test case (are the functions named test_*?)"
        return None
    if kind == "starter" and status == "fail":
        return None
    detail = describe_result(result)
    if kind == "solution":
        return f"the reference solution does not pass its tests (status {status}): {detail}"
    if status == "pass":
        return "the starter passes the tests, so they do not check the task"
    if status == "error":
        return (
            f"the starter errors instead of failing ({detail}); a starter must import cleanly "
            "and fail on assertions"
        )
    return f"starter: the runner returned status {status!r}: {detail}"


def describe_result(result: Mapping[str, Any]) -> str:
    """The runner's message plus the first failing tests, kept short."""
    parts = [str(result.get("message") or "").strip()]
    tests = result.get("tests")
    if isinstance(tests, list):
        failing = [t for t in tests if isinstance(t, Mapping) and t.get("status") != "pass"]
        parts += [f"{t.get('name')}: {str(t.get('message') or '').strip()}" for t in failing[:3]]
    text = "; ".join(part for part in parts if part) or "no message"
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 3] + "..."


def run_exercises(
    exercises: list[Exercise],
    run_tests: RunTests,
    *,
    workers: int = 4,
    on_progress: Callable[[str], None] | None = None,
) -> list[RunOutcome]:
    """Run every solution and starter on a pool of `workers` threads; outcomes in input order.

    A `SetupError` from the runner (e.g. the sandbox cannot start here) aborts the whole run.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    jobs: list[tuple[Exercise, CodeKind]] = [
        (exercise, kind) for exercise in exercises for kind in ("solution", "starter")
    ]
    outcomes: dict[int, RunOutcome] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="curriculum-check") as pool:
        futures = {
            pool.submit(run_exercise_code, exercise, kind, run_tests): index
            for index, (exercise, kind) in enumerate(jobs)
        }
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                outcome = future.result()
                outcomes[futures[future]] = outcome
                if on_progress is not None:
                    verdict = "ok" if outcome.as_expected else "PROBLEM"
                    on_progress(
                        f"[{done}/{len(jobs)}] {outcome.exercise.id} {outcome.kind}: "
                        f"{outcome.status} ({verdict})"
                    )
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [outcomes[index] for index in range(len(jobs))]
