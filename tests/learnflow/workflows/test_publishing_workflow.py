"""The exercise publishing orchestrator: publish, or compensate back to draft with the reason."""

from __future__ import annotations

from typing import Any

from learnflow.workflows import publishing as p
from learnflow.workflows.models import PublishInput, Timings
from learnflow.workflows.steps import RECORD_FAILURE
from tests.learnflow.workflows.engine import FakeEngine

TIMINGS = Timings(retry_max_attempts=3, retry_first_interval_s=1, retry_max_interval_s=4)
JOB = PublishInput(
    exercise_id="data-structures.custom-abc123",
    class_id="00000000-0000-0000-0000-00000000c1a5",
    teacher_id="00000000-0000-0000-0000-0000000000a1",
    timings=TIMINGS,
)
VALID = {"ok": True, "reference_status": "pass", "starter_status": "fail", "tests_total": 4}
HANDLERS: dict[str, Any] = {
    p.BEGIN: lambda body: {"status": "validating"},
    p.VALIDATE: lambda body: VALID,
    p.INDEX: lambda body: {"indexed": True},
    p.MARK_READY: lambda body: {"status": "ready"},
    p.NOTIFY: lambda body: {"published": True},
    p.COMPENSATE: lambda body: {"status": "draft"},
    RECORD_FAILURE: lambda body: {"created": True},
}


def run(**overrides: Any) -> FakeEngine:
    engine = FakeEngine(p.WORKFLOW, p.instance_id(JOB.exercise_id), JOB.model_dump(mode="json"))
    engine.settle({**HANDLERS, **overrides})
    return engine


def always_fails(body: Any) -> Any:
    raise ConnectionError("the database is unreachable")


def test_a_valid_exercise_is_validated_indexed_marked_ready_and_announced() -> None:
    engine = run()

    assert engine.scheduled == [p.BEGIN, p.VALIDATE, p.INDEX, p.MARK_READY, p.NOTIFY]
    assert engine.status == "COMPLETED"
    assert engine.output["step"] == "ready"
    assert engine.output["validation"]["tests_total"] == 4


def test_a_rejected_exercise_goes_back_to_draft_with_the_reason_and_is_never_indexed() -> None:
    reason = "the reference solution does not pass the tests (test_empty: AssertionError)"
    engine = run(**{p.VALIDATE: lambda body: {"ok": False, "reason": reason}})

    assert engine.scheduled == [p.BEGIN, p.VALIDATE, p.COMPENSATE]
    assert engine.status == "COMPLETED"
    assert engine.output["step"] == "draft"
    assert engine.output["reason"] == reason
    assert RECORD_FAILURE not in engine.scheduled  # a rejection is the teacher's, not an incident


def test_a_step_that_keeps_failing_is_retried_then_alerted_and_compensated() -> None:
    engine = run(**{p.MARK_READY: always_fails})

    assert engine.scheduled.count(p.MARK_READY) == TIMINGS.retry_max_attempts
    assert engine.scheduled[-2:] == [RECORD_FAILURE, p.COMPENSATE]
    assert engine.output["step"] == "draft"
    assert engine.output["failure"]["step"] == "marking_ready"
    assert engine.output["reason"].startswith("could not publish: marking_ready failed")


def test_when_compensation_itself_fails_the_instance_fails_with_an_alert() -> None:
    engine = run(**{p.VALIDATE: always_fails, p.COMPENSATE: always_fails})

    assert engine.status == "FAILED"
    assert engine.scheduled.count(RECORD_FAILURE) == 2  # the step, then the compensation
    assert engine.custom_status["step"] == "compensating"
    assert engine.custom_status["failure"]["step"] == "compensating"


def test_publishing_an_exercise_that_is_already_ready_changes_nothing() -> None:
    engine = run(**{p.BEGIN: lambda body: {"status": "ready"}})

    assert engine.scheduled == [p.BEGIN]
    assert engine.output["step"] == "ready"
