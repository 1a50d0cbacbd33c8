"""Grading through the code runner, and failures in plain words."""

from __future__ import annotations

from typing import Any

import pytest

from learnflow.errors import DependencyFailed
from learnflow.testing import FakeSidecar
from tests.agents.tutor.sample_curriculum import SUM_EVENS
from tutor_agent.grading import (
    SidecarGrader,
    explain_message,
    humanise_test_name,
    read_runner_result,
)


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        ("fail", "f(2) should be 4, but got None", "no `return`"),
        ("fail", "assert 3 == 4", "Your code gave 3, but 4 was expected"),
        ("error", "NameError: name 'totl' is not defined", "a typo"),
        ("error", "ImportError: cannot import name 'f' from 'solution'", "named exactly"),
        ("error", "IndexError: list index out of range", "`len(x) - 1`"),
        ("error", "ZeroDivisionError: division by zero", "divided by zero"),
        ("timeout", "", "ran too long"),
        ("memory_limit", "", "too much memory"),
        ("error", "something odd", "Your code stopped with an error: something odd"),
        ("fail", "", "not what the test expected"),
    ],
)
def test_failures_are_explained_in_plain_words(status: str, message: str, expected: str) -> None:
    assert expected in explain_message(status, message)


@pytest.mark.parametrize(
    ("name", "human"),
    [
        ("test_divisible_by_both", "divisible by both"),
        ("TestWords.test_empty_text", "empty text"),
        ("test_case[3-Fizz]", "case"),
    ],
)
def test_test_names_read_as_words(name: str, human: str) -> None:
    assert humanise_test_name(name) == human


def test_a_runner_result_becomes_a_grade_with_the_error_type() -> None:
    raw = {
        "status": "fail",
        "message": "",
        "tests": [
            {"name": "test_a", "status": "pass", "message": "", "output": ""},
            {
                "name": "test_b",
                "status": "error",
                "message": "TypeError: bad operand",
                "output": "",
            },
        ],
    }
    grade = read_runner_result("ex", raw)
    assert (grade.status, grade.tests_passed, grade.tests_total) == ("fail", 1, 2)
    assert grade.error_type == "TypeError"
    assert grade.summary == "1 of 2 tests pass"
    assert grade.explanation.startswith("The first failing test is “b”")


def test_a_sandbox_limit_is_an_error_with_its_own_status() -> None:
    grade = read_runner_result("ex", {"status": "timeout", "message": "5 s", "tests": []})
    assert (grade.status, grade.error_type) == ("error", "timeout")
    assert "ran too long" in grade.explanation


async def test_the_sidecar_grader_sends_code_tests_module_name_and_limits() -> None:
    sidecar = FakeSidecar()
    code = "def sum_of_evens(x):\n    return 0\n"
    grade = await SidecarGrader(sidecar).grade(SUM_EVENS, code, submission_id="sub-1")
    assert grade.passed
    (call,) = sidecar.invocations
    assert call.body == {
        "code": code,
        "tests": SUM_EVENS.tests,
        "module_name": "solution",
        "test_timeout_s": SUM_EVENS.limits.test_timeout_s,
        "run_timeout_s": SUM_EVENS.limits.run_timeout_s,
        "submission_id": "sub-1",
        "exercise_id": SUM_EVENS.id,
    }


async def test_a_runner_answer_that_is_not_a_result_is_a_dependency_failure() -> None:
    def odd(body: dict[str, Any]) -> Any:
        return ["not", "a", "result"]

    with pytest.raises(DependencyFailed):
        await SidecarGrader(FakeSidecar(runner=odd)).grade(SUM_EVENS, "x = 1")
