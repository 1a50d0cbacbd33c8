"""Grading through the code runner, and failures explained in plain words.

The code runner (Dapr app `code-runner`, method `tests`) runs the exercise's hidden tests against
the learner's code in its sandbox and answers Exercism-style:
`{"status": "pass"|"fail"|"error", "message", "tests": [{"name", "status", "message", "output"}]}`
(a sandbox limit may also come back as its own status: `timeout`, `memory_limit`, ...).

The hidden tests themselves are never shown to the learner; only each test's name, status and
the message the test author wrote for it, turned into a sentence a beginner can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from learnflow.curriculum import Exercise
from learnflow.errors import DependencyFailed, FailedDependency, Unavailable

from .mesh import Mesh

__all__ = [
    "CODE_RUNNER_APP_ID",
    "GradeResult",
    "Grader",
    "HiddenTest",
    "SidecarGrader",
    "explain_message",
    "humanise_test_name",
]

CODE_RUNNER_APP_ID = "code-runner"
CODE_RUNNER_METHOD = "tests"
MODULE_NAME = "solution"
_MAX_MESSAGE = 400

_ERROR_HELP: dict[str, str] = {
    "NameError": "a name is used that Python doesn't know — a typo, a variable used before "
    "it gets a value, or a missing import",
    "TypeError": "a value of the wrong type was used — e.g. adding a number to a string, or "
    "calling a function with the wrong number of arguments",
    "ValueError": "a function got a value of the right type but the wrong content — e.g. "
    "`int('abc')`",
    "IndexError": "a position past the end of a list or string was used — remember positions "
    "start at 0 and the last one is `len(x) - 1`",
    "KeyError": "a dictionary was asked for a key it doesn't have — check with `in` or use "
    "`.get(key, default)`",
    "AttributeError": "a method or attribute was used on a value that doesn't have it — check "
    "the type of the value and the spelling",
    "ZeroDivisionError": "something was divided by zero — check that case before dividing",
    "RecursionError": "a function kept calling itself without stopping — check the base case",
    "ImportError": "the tests could not import your function — is it named exactly as in the "
    "exercise, at the top level of your code?",
    "ModuleNotFoundError": "a module was imported that isn't available — only the standard "
    "library can be used here",
    "SyntaxError": "Python could not read the code — look for a missing `:`, bracket or quote "
    "near the line shown",
    "IndentationError": "the indentation is off — the lines of a block must line up, "
    "4 spaces per level",
    "UnboundLocalError": "a variable is read inside a function before it is given a value there",
    "FileNotFoundError": "a file that doesn't exist was opened — check the name and path",
    "StopIteration": "`next()` was called on an iterator that had nothing left",
}
_LIMIT_HELP: dict[str, str] = {
    "timeout": "your code ran too long and was stopped — often a `while` loop whose condition "
    "never becomes false, or a loop that never reaches its end",
    "memory_limit": "your code used too much memory — maybe a list that keeps growing inside "
    "a loop that never ends",
    "output_limit": "your code printed too much — maybe a `print` inside a loop that never ends",
    "killed": "your code was stopped by the sandbox",
}
_ERROR_NAME = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception|Iteration))\b")
_ASSERT_EQ = re.compile(r"assert\s+(.+?)\s+==\s+(.+?)(?:\n|$)")


def humanise_test_name(name: str) -> str:
    """`test_divisible_by_both` -> "divisible by both"; `Tests.test_x` -> "x"."""
    last = name.rsplit(".", 1)[-1].split("::")[-1]
    last = re.sub(r"\[.*\]$", "", last)
    return last.removeprefix("test_").removeprefix("test").replace("_", " ").strip() or name


def _clean(message: str) -> str:
    text = message.strip()
    text = re.sub(r"^(AssertionError|assert)\s*:?\s*", "", text)
    text = text.split("\nassert ")[0].strip()
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 1].rstrip() + "…"
    return text


def explain_message(status: str, message: str) -> str:
    """One test's result in plain words, from its status and message."""
    text = _clean(message or "")
    if status in _LIMIT_HELP:
        return _LIMIT_HELP[status][0].upper() + _LIMIT_HELP[status][1:] + "."
    error = _ERROR_NAME.search(message or "")
    if status == "error" or (error and error.group(1) != "AssertionError"):
        name = error.group(1) if error else None
        help_text = _ERROR_HELP.get(name or "", "")
        if name and help_text:
            detail = f" ({text})" if text else ""
            stop = "" if help_text.endswith("?") else "."
            return f"Your code raised {name}: {help_text}{stop}{detail}"
        return f"Your code stopped with an error: {text or 'no details were given'}."
    if not text:
        return "The result was not what the test expected."
    compared = _ASSERT_EQ.search(message)
    if compared and compared.group(0).strip() == (message or "").strip():
        got, expected = compared.group(1), compared.group(2)
        text = f"Your code gave {got}, but {expected} was expected"
    if re.search(r"\bgot None\b|\bgave None\b|returned None\b", text):
        text += (
            " — `None` usually means the function has no `return` (or returns before "
            "reaching it), or it prints the result instead of returning it"
        )
    return text + ("" if text.endswith((".", "!", "?", ")")) else ".")


@dataclass(frozen=True)
class HiddenTest:
    """One hidden test, as the learner sees it."""

    name: str
    status: str
    explanation: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "explanation": self.explanation}


@dataclass(frozen=True)
class GradeResult:
    """The grade of one submission against one exercise."""

    exercise_id: str
    status: str
    tests: tuple[HiddenTest, ...] = ()
    message: str = ""
    raw_status: str = ""
    error_type: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def tests_total(self) -> int:
        return len(self.tests)

    @property
    def tests_passed(self) -> int:
        return sum(1 for t in self.tests if t.status == "pass")

    @property
    def first_failure(self) -> HiddenTest | None:
        return next((t for t in self.tests if t.status != "pass"), None)

    @property
    def summary(self) -> str:
        """One line: e.g. "4 of 6 tests pass"."""
        if self.passed:
            return f"all {self.tests_total} tests pass" if self.tests_total else "all tests pass"
        if not self.tests:
            return "the tests could not run"
        return f"{self.tests_passed} of {self.tests_total} tests pass"

    @property
    def explanation(self) -> str:
        """What to look at first, in plain words."""
        if self.passed:
            return "Every hidden test passes."
        failure = self.first_failure
        if failure is not None:
            return f"The first failing test is “{failure.name}”: {failure.explanation}"
        return self.message or "The tests could not run."

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise_id": self.exercise_id,
            "status": self.status,
            "passed": self.passed,
            "tests_passed": self.tests_passed,
            "tests_total": self.tests_total,
            "summary": self.summary,
            "explanation": self.explanation,
            "tests": [t.to_dict() for t in self.tests],
        }


def read_runner_result(exercise_id: str, raw: Any) -> GradeResult:
    """The code runner's answer as a `GradeResult`, tolerant of missing fields."""
    if not isinstance(raw, dict):
        raise DependencyFailed(
            "the code runner answered with something that is not a test result",
            dependency=CODE_RUNNER_APP_ID,
        )
    raw_status = str(raw.get("status") or "error")
    outcomes = []
    error_types: list[str] = []
    for test in raw.get("tests") or []:
        if not isinstance(test, dict):
            continue
        status = str(test.get("status") or "error")
        if status != "pass":
            error_types += _error_types(status, str(test.get("message") or ""))
        outcomes.append(
            HiddenTest(
                name=humanise_test_name(str(test.get("name") or "test")),
                status=status,
                explanation=""
                if status == "pass"
                else explain_message(status, str(test.get("message") or "")),
            )
        )
    status = raw_status if raw_status in ("pass", "fail") else "error"
    if status == "pass" and any(t.status != "pass" for t in outcomes):
        status = "fail"
    message = str(raw.get("message") or "")
    if status == "error":
        error_types += _error_types(raw_status, message)
        message = explain_message(raw_status if raw_status in _LIMIT_HELP else "error", message)
    return GradeResult(
        exercise_id=exercise_id,
        status=status,
        tests=tuple(outcomes),
        message=message,
        raw_status=raw_status,
        error_type=None if status == "pass" else next(iter(error_types), None),
    )


def _error_types(status: str, message: str) -> list[str]:
    """The exception type (or sandbox limit) behind a failure; none for a wrong answer."""
    if status in _LIMIT_HELP:
        return [status]
    found = _ERROR_NAME.search(message)
    if found and found.group(1) != "AssertionError":
        return [found.group(1)]
    return []


class Grader(Protocol):
    async def grade(
        self,
        exercise: Exercise,
        code: str,
        *,
        submission_id: str | None = None,
        session_id: str | None = None,
        user_id: str | None = None,
    ) -> GradeResult: ...


class SidecarGrader:
    """Grades through this app's Dapr sidecar: service invocation of `code-runner`/`tests`.

    The submission id (and session, user, exercise) go along, so the runner's `code.executed`
    event and the tutor's `exercise.graded` describe the same submission. A 4xx from the runner
    (code it refuses to run) comes back as `UpstreamRejected` with its status and message; a
    runner that is down, restarting or busy as `FailedDependency` (424 to triage, so triage's
    circuit breaker for the tutor stays closed; 503 + Retry-After to the learner, in plain
    words); any other failure of the runner or the mesh as `DependencyFailed`.
    """

    #: Its verdicts are repeatable (the same code on the same tests in the same sandbox), so the
    #: guardrail may cache them under this name.
    cache_kind = "code-runner"

    def __init__(self, sidecar: Mesh) -> None:
        self.sidecar = sidecar

    async def grade(
        self,
        exercise: Exercise,
        code: str,
        *,
        submission_id: str | None = None,
        session_id: str | None = None,
        user_id: str | None = None,
    ) -> GradeResult:
        body: dict[str, Any] = {
            "code": code,
            "tests": exercise.tests,
            "module_name": MODULE_NAME,
            # the exercise's own time limits (CPU seconds per test and for the run)
            "test_timeout_s": exercise.limits.test_timeout_s,
            "run_timeout_s": exercise.limits.run_timeout_s,
        }
        tracking = {
            "submission_id": submission_id,
            "exercise_id": exercise.id,
            "session_id": session_id,
            "user_id": user_id,
        }
        body.update({key: value for key, value in tracking.items() if value is not None})
        try:
            raw = await self.sidecar.invoke(CODE_RUNNER_APP_ID, CODE_RUNNER_METHOD, json_body=body)
        except Unavailable as exc:
            if exc.dependency == "daprd":  # the tutor's own sidecar: the tutor is what is down
                raise
            raise FailedDependency(  # the runner said plainly what is down: pass it on
                exc.message, dependency=exc.dependency, retry_after_s=exc.retry_after_s
            ) from exc
        except DependencyFailed as exc:
            if exc.dependency != CODE_RUNNER_APP_ID:
                raise
            raise FailedDependency(
                "Running code is unavailable right now, so your code was not graded. Nothing "
                "was lost: try again in a minute.",
                dependency=CODE_RUNNER_APP_ID,
                retry_after_s=10,
            ) from exc
        return read_runner_result(exercise.id, raw)
