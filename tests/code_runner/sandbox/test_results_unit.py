"""`tests_result` on made-up outcomes (pure logic, no sandbox): the host keeps only results for
tests it found in the tests' source, one per test, in source order."""

from __future__ import annotations

from typing import Any

from code_runner.sandbox import results
from code_runner.sandbox.base import Limits, Outcome
from code_runner.sandbox.collect import plan_tests

LIMITS = Limits(
    wall_s=20.0,
    cpu_s=5,
    memory_bytes=50 * 2**20,
    max_processes=32,
    max_file_bytes=2**20,
    max_open_files=64,
    max_output_bytes=65536,
    test_timeout_s=2.0,
    memory_mb=50,
    run_timeout_s=5.0,
)
TESTS = "def test_b():\n    pass\n\ndef test_a():\n    pass\n"


def reported(name: str, status: str = "pass", **extra: Any) -> dict[str, Any]:
    return {"e": "test", "name": name, "status": status, "message": "", "output": "", **extra}


def outcome(*events: dict[str, Any], exit_code: int = 0) -> Outcome:
    return Outcome(
        events=[{"e": "ready"}, *events, {"e": "exit", "code": exit_code, "signal": None}],
        ready=True,
        exit_code=exit_code,
    )


def grade(*events: dict[str, Any]) -> dict[str, Any]:
    return results.tests_result(outcome(*events), LIMITS, 50 * 2**20, plan_tests(TESTS))


def test_results_in_source_order_with_limits() -> None:
    result = grade(
        {"e": "collected", "names": ["test_b", "test_a"]},
        reported("test_a", ms=1.5, cpu_ms=1.0),
        reported("test_b", "fail", message="Expected 1 == 2"),
    )
    assert result["status"] == "fail"
    assert [(t["name"], t["status"]) for t in result["tests"]] == [
        ("test_b", "fail"),
        ("test_a", "pass"),
    ]
    assert result["tests"][1]["duration_ms"] == 1.5
    assert result["limits"] == {
        "test_timeout_s": 2.0,
        "run_timeout_s": 5.0,
        "wall_timeout_s": 20.0,
        "memory_mb": 50,
    }


def test_results_for_tests_the_file_does_not_define_are_dropped() -> None:
    result = grade(
        {"e": "collected", "names": ["test_b", "test_a", "test_forged"]},
        reported("test_forged"),
        reported("test_a"),
        reported("test_b", "fail"),
    )
    assert [t["name"] for t in result["tests"]] == ["test_b", "test_a"]
    assert result["status"] == "fail"


def test_the_first_result_of_a_test_counts() -> None:
    result = grade(
        {"e": "collected", "names": ["test_b", "test_a"]},
        reported("test_a", "fail"),
        reported("test_a", "pass"),
        reported("test_b", "pass"),
    )
    assert [t["status"] for t in result["tests"]] == ["pass", "fail"]


def test_a_collected_test_without_a_result_is_an_error() -> None:
    result = grade({"e": "collected", "names": ["test_b", "test_a"]}, reported("test_b"))
    assert result["status"] == "error"
    assert result["tests"][1] == {
        "name": "test_a",
        "status": "error",
        "message": "The test run ended early.",
        "output": None,
        "duration_ms": None,
        "cpu_ms": None,
        "limit": None,
    }


def test_an_unknown_limit_name_is_not_passed_on() -> None:
    result = grade(
        {"e": "collected", "names": ["test_b", "test_a"]},
        reported("test_a", "error", limit="made_up"),
        reported("test_b", "error", limit="test_timeout_s"),
    )
    assert [t["limit"] for t in result["tests"]] == ["test_timeout_s", None]
