"""The enrollment orchestrator: progress, welcome, figures — and an alert when a step gives up."""

from __future__ import annotations

from typing import Any

from learnflow.workflows import enrollment as e
from learnflow.workflows.models import EnrollInput, Timings
from learnflow.workflows.steps import RECORD_FAILURE
from tests.learnflow.workflows.engine import FakeEngine

TIMINGS = Timings(retry_max_attempts=3, retry_first_interval_s=1, retry_max_interval_s=4)
JOB = EnrollInput(
    class_id="00000000-0000-0000-0000-00000000c1a5",
    student_id="00000000-0000-0000-0000-0000000000b1",
    join_id="00000000-0000-0000-0000-0000000000e1",
    timings=TIMINGS,
)
HANDLERS: dict[str, Any] = {
    e.INIT_PROGRESS: lambda body: {"topics": 8},
    e.WELCOME: lambda body: {"created": True, "notification_id": "n-1"},
    e.FIGURES: lambda body: {"enrolled": 3},
    RECORD_FAILURE: lambda body: {"created": True},
}


def run(**overrides: Any) -> FakeEngine:
    engine = FakeEngine(e.WORKFLOW, e.instance_id(JOB.join_id), JOB.model_dump(mode="json"))
    engine.settle({**HANDLERS, **overrides})
    return engine


def test_a_join_initialises_progress_welcomes_and_updates_the_figures() -> None:
    engine = run()

    assert engine.scheduled == [e.INIT_PROGRESS, e.WELCOME, e.FIGURES]
    assert engine.status == "COMPLETED"
    assert engine.output["step"] == "done"
    assert (engine.output["topics_initialised"], engine.output["enrolled"]) == (8, 3)


def test_a_welcome_that_keeps_failing_is_retried_then_alerted() -> None:
    def down(body: Any) -> Any:
        raise ConnectionError("the sidecar is unreachable")

    engine = run(**{e.WELCOME: down})

    assert engine.scheduled.count(e.WELCOME) == TIMINGS.retry_max_attempts
    assert engine.scheduled[-1] == RECORD_FAILURE
    assert e.FIGURES not in engine.scheduled
    assert engine.output["failure"]["step"] == "welcome"
