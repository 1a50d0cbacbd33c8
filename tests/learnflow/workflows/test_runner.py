"""The activities' call of the code runner: what is sent, and what a verdict reads as."""

from __future__ import annotations

from typing import Any

from learnflow.sidecar import UpstreamRejected
from learnflow.testing import FakeSidecar, failing
from learnflow.workflows.runner import TestsRun, run_tests


async def test_unset_limits_and_ids_are_left_out_of_the_request() -> None:
    sidecar = FakeSidecar(runner=failing("add(1, 2) should be 3"))

    verdict = await run_tests(
        sidecar, TestsRun(code="x = 1", tests="...", exercise_id="basics.add"), refused="error"
    )

    (call,) = sidecar.invocations
    assert (call.app_id, call.method) == ("code-runner", "tests")
    assert call.body == {
        "code": "x = 1",
        "tests": "...",
        "module_name": "solution",
        "exercise_id": "basics.add",
    }
    assert (verdict.status, verdict.passed, verdict.tests_passed, len(verdict.tests)) == (
        "fail",
        False,
        1,
        2,
    )
    assert verdict.tests[0].message == "add(1, 2) should be 3"


async def test_a_refused_request_is_a_verdict_with_the_runners_reason() -> None:
    def refuse(body: Any) -> Any:
        raise UpstreamRejected("code is larger than 64 KiB", 413, "code-runner")

    sidecar = FakeSidecar(handlers={("code-runner", "tests"): refuse})

    verdict = await run_tests(sidecar, TestsRun(code="x", tests="..."), refused="rejected")

    assert (verdict.status, verdict.message, verdict.tests) == (
        "rejected",
        "code is larger than 64 KiB",
        [],
    )
