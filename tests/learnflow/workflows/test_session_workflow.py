"""The session orchestrator, turn by turn on a fake engine that replays its history every turn."""

from __future__ import annotations

import itertools
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from dapr.ext.workflow._durabletask.worker import _OrchestrationExecutor

from learnflow.workflows import session as s
from learnflow.workflows.models import SessionState, Timings
from learnflow.workflows.steps import RECORD_FAILURE
from tests.learnflow.workflows.engine import FakeEngine, production_registry

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STUDENT = str(uuid.UUID(int=7))
TIMINGS = Timings(
    stuck_after_s=600,
    idle_finalize_after_s=3600,
    active_gap_s=300,
    events_per_generation=100,
    retry_max_attempts=3,
    retry_first_interval_s=1,
    retry_max_interval_s=4,
)


def grade_all(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "graded": [
            {
                "exercise_id": item["exercise_id"],
                "submission_id": item["submission_id"],
                "status": "pass",
                "passed": True,
                "tests_passed": 4,
                "tests_total": 4,
                "score": 100.0,
            }
            for item in body["submissions"]
        ],
        "quizzes": {},
    }


HANDLERS: dict[str, Any] = {
    s.ANNOUNCE: lambda body: {"published": True},
    s.RAISE_STUCK: lambda body: {"alert_id": "a1", "created": True},
    s.GRADE: grade_all,
    s.MASTERY: lambda body: {
        t: {"before": 60, "after": 68, "level": "learning"} for t in body["topics"]
    },
    s.SUMMARY: lambda body: {"session_id": body["request"]["session_id"], "summary": "Well done."},
    s.STORE_DEBRIEF: lambda body: {"debrief_id": "d-1", "created": True},
    s.PUBLISH_FINALIZED: lambda body: {"published": True},
    s.STORE_EXAM_RESULT: lambda body: {"stored": True, "score": 1},
    RECORD_FAILURE: lambda body: {"created": True},
}


def start(mode: str = "practice", timings: Timings = TIMINGS, **fields: Any) -> FakeEngine:
    state = SessionState(
        session_id="s-1",
        student_id=STUDENT,
        mode=mode,  # type: ignore[arg-type]
        topic="control-flow",
        started_at=T0,
        timings=timings,
        **fields,
    )
    engine = FakeEngine(s.WORKFLOW, s.instance_id("s-1"), state.model_dump(mode="json"), start=T0)
    engine.settle(HANDLERS)  # the announcement
    return engine


_ids = itertools.count(1)


def send(engine: FakeEngine, kind: str, *, event_id: str | None = None, **fields: Any) -> str:
    event_id = event_id or f"e{next(_ids)}"
    body = {"id": event_id, "kind": kind, "at": engine.now.isoformat(), **fields}
    engine.raise_event(s.EVENT, body)
    return event_id


def view(engine: FakeEngine) -> dict[str, Any]:
    assert engine.custom_status is not None
    return engine.custom_status  # type: ignore[no-any-return]


def test_start_announces_the_session_and_shows_its_status_at_once() -> None:
    engine = start()

    assert engine.scheduled == [s.ANNOUNCE]
    status = view(engine)
    assert status["phase"] == "active"
    assert status["student_id"] == STUDENT
    assert status["events"] == 0


def test_events_build_the_running_tally() -> None:
    engine = start()

    send(engine, "message", hint=True)
    engine.advance(30)
    send(
        engine,
        "code_run",
        exercise_id="control-flow.fizzbuzz",
        passed=False,
        error_type="TypeError",
    )
    engine.advance(20)
    send(
        engine,
        "code_run",
        exercise_id="control-flow.fizzbuzz",
        passed=False,
        error_type="TypeError",
    )
    engine.advance(10)
    send(engine, "code_run", exercise_id="control-flow.fizzbuzz", passed=True)
    engine.advance(1000)  # a break: not time on task (and long enough to be stuck)
    engine.settle(HANDLERS)
    send(engine, "quiz_answer", question_id="q1", correct=True, quiz_topic="control-flow")
    send(engine, "quiz_answer", question_id="q2", correct=False, quiz_topic="control-flow")

    tally = view(engine)["tally"]
    assert tally["messages"] == 1 and tally["hints_used"] == 1
    assert tally["runs"] == 3 and tally["failed_runs"] == 2
    assert tally["errors_by_type"] == {"TypeError": 2}
    assert (tally["quiz_answers"], tally["quiz_correct"]) == (2, 1)
    assert tally["time_on_task_s"] == 60
    assert view(engine)["current_exercise"] == "control-flow.fizzbuzz"
    assert view(engine)["events"] == 6


def test_a_redelivered_event_counts_once() -> None:
    engine = start()

    send(engine, "message", event_id="same")
    send(engine, "message", event_id="same")

    assert view(engine)["tally"]["messages"] == 1
    assert view(engine)["events"] == 1


def test_a_practice_submission_is_graded_at_once() -> None:
    engine = start()

    send(engine, "submission", exercise_id="control-flow.fizzbuzz", submission_id="sub-1")
    assert view(engine)["pending_submissions"] == 1
    body = engine.complete(s.GRADE, grade_all(engine.pending(s.GRADE)[0][2]))

    assert body["submissions"] == [
        {"exercise_id": "control-flow.fizzbuzz", "submission_id": "sub-1"}
    ]
    status = view(engine)
    assert status["pending_submissions"] == 0
    assert status["last_result"]["passed"] is True
    assert status["tally"]["exercises_passed"] == ["control-flow.fizzbuzz"]


def test_events_sent_while_an_activity_runs_are_not_lost() -> None:
    engine = start()
    send(engine, "submission", exercise_id="control-flow.fizzbuzz", submission_id="sub-1")

    send(engine, "message")  # the grading activity is still running
    send(engine, "code_run", passed=False, error_type="NameError")
    engine.settle(HANDLERS)

    tally = view(engine)["tally"]
    assert (tally["messages"], tally["runs"], tally["attempts"]) == (1, 1, 1)


def test_stuck_fires_once_after_ten_minutes_without_a_run_or_heartbeat() -> None:
    engine = start()
    send(engine, "code_run", exercise_id="control-flow.fizzbuzz", passed=False)

    engine.advance(599)
    assert engine.pending(s.RAISE_STUCK) == []
    engine.advance(2)
    ((_, _, alert),) = engine.pending(s.RAISE_STUCK)
    engine.settle(HANDLERS)
    engine.advance(3 * 600)

    assert alert["exercise_id"] == "control-flow.fizzbuzz"
    assert alert["episode_key"].startswith(f"stuck_on_exercise:{STUDENT}:control-flow.fizzbuzz:")
    assert engine.scheduled.count(s.RAISE_STUCK) == 1
    assert view(engine)["struggles"] == [alert["episode_key"]]


def test_heartbeats_keep_the_stuck_trigger_away() -> None:
    engine = start()
    send(engine, "heartbeat", exercise_id="control-flow.fizzbuzz")
    for _ in range(6):
        engine.advance(300)
        send(engine, "heartbeat")

    assert engine.pending(s.RAISE_STUCK) == []
    assert view(engine)["struggles"] == []


def test_a_solved_exercise_is_never_stuck() -> None:
    engine = start()
    send(engine, "submission", exercise_id="control-flow.fizzbuzz", submission_id="sub-1")
    engine.settle(HANDLERS)
    engine.advance(1200)

    assert s.RAISE_STUCK not in engine.scheduled


def test_the_exam_deadline_auto_submits_pending_work() -> None:
    deadline = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    engine = start(mode="exam", deadline=deadline)
    send(engine, "submission", exercise_id="control-flow.fizzbuzz", submission_id="sub-1")
    assert engine.pending(s.GRADE) == []  # no verdicts during an exam

    engine.advance(1800)
    engine.settle({k: v for k, v in HANDLERS.items() if k != s.GRADE})  # the stuck alert at 9:10
    ((_, _, grading),) = engine.pending(s.GRADE)
    engine.settle(HANDLERS)

    assert grading["submissions"] == [
        {"exercise_id": "control-flow.fizzbuzz", "submission_id": "sub-1"}
    ]
    assert engine.status == "COMPLETED"
    assert engine.output["finalize_reason"] == "deadline"
    assert engine.output["phase"] == "finalized"
    assert engine.output["outcome"]["debrief_id"] == "d-1"


def test_an_exam_attempt_keeps_each_answer_and_submits_them_at_its_deadline() -> None:
    deadline = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # two hours: past the idle finalize
    engine = start(mode="exam", deadline=deadline, exam_id="x-1")
    send(engine, "quiz_answer", question_id="q1", correct=False, quiz_topic="basics", choice=0)
    send(engine, "quiz_answer", question_id="q1", correct=True, quiz_topic="basics", choice=2)
    send(engine, "submission", exercise_id="control-flow.fizzbuzz", submission_id="sub-1")
    assert view(engine)["answered"] == ["control-flow.fizzbuzz", "q1"]

    engine.advance(3700)  # nobody sends anything for over an hour: an exam does not go idle
    engine.settle({k: v for k, v in HANDLERS.items() if k != s.GRADE})
    assert engine.status == "RUNNING" and view(engine)["phase"] == "active"
    engine.advance(7200 - 3700)
    stored: list[dict[str, Any]] = []
    engine.settle({**HANDLERS, s.STORE_EXAM_RESULT: lambda b: stored.append(b) or {"stored": 1}})

    assert engine.scheduled[-6:] == [
        s.GRADE,
        s.STORE_EXAM_RESULT,
        s.MASTERY,
        s.SUMMARY,
        s.STORE_DEBRIEF,
        s.PUBLISH_FINALIZED,
    ]
    (body,) = stored
    assert body["exam_id"] == "x-1" and body["reason"] == "deadline"
    assert body["quiz"] == {"q1": True} and body["choices"] == {"q1": 2}  # the last one counts
    assert [g["submission_id"] for g in body["graded"]] == ["sub-1"]
    assert engine.output["finalize_reason"] == "deadline"


def test_an_exam_never_raises_a_stuck_alert() -> None:
    """A student thinking quietly over an exam exercise is not struggling: no alert reaches the
    teacher during an exam (the result and its debrief say how it went)."""
    deadline = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    engine = start(mode="exam", deadline=deadline, exam_id="x-1", stuck_alerts=False)
    send(engine, "code_run", exercise_id="control-flow.fizzbuzz", passed=False)
    engine.advance(29 * 60)  # far past the 10-minute stuck timer, before the deadline
    engine.settle({k: v for k, v in HANDLERS.items() if k != s.GRADE})

    assert s.RAISE_STUCK not in engine.scheduled
    assert view(engine)["struggles"] == []


def test_work_sent_after_the_deadline_counts_only_as_late() -> None:
    deadline = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    engine = start(mode="exam", deadline=deadline)
    engine.now = datetime(2026, 3, 2, 9, 31, tzinfo=UTC)  # delivered late, before the timer
    engine.raise_event(
        s.EVENT,
        {
            "id": "late",
            "kind": "submission",
            "at": engine.now.isoformat(),
            "exercise_id": "control-flow.fizzbuzz",
            "submission_id": "sub-9",
        },
    )
    engine.settle(HANDLERS)

    assert engine.output["late_events"] == 1
    assert engine.output["tally"]["attempts"] == 0
    assert engine.output["finalize_reason"] == "deadline"


def test_finalize_runs_its_steps_in_order_and_ends_the_instance() -> None:
    engine = start()
    send(engine, "quiz_answer", question_id="q1", correct=True, quiz_topic="control-flow")
    send(engine, "finalize")
    engine.settle(HANDLERS)

    assert engine.scheduled == [
        s.ANNOUNCE,
        s.GRADE,
        s.MASTERY,
        s.SUMMARY,
        s.STORE_DEBRIEF,
        s.PUBLISH_FINALIZED,
    ]
    assert engine.status == "COMPLETED"
    out = engine.output
    assert out["phase"] == "finalized" and out["finalize_reason"] == "requested"
    assert out["outcome"]["mastery"] == {
        "control-flow": {"before": 60, "after": 68, "level": "learning"}
    }
    assert out["outcome"]["summary"] == "Well done."


def test_an_idle_session_finalizes_itself() -> None:
    engine = start()
    send(engine, "message")
    engine.advance(3601)
    engine.settle(HANDLERS)

    assert engine.status == "COMPLETED"
    assert engine.output["finalize_reason"] == "idle"


def test_a_failing_dependency_is_retried_within_the_policy_then_fails_the_step_visibly() -> None:
    engine = start()
    send(engine, "finalize")

    def debrief_down(body: Any) -> Any:
        raise ConnectionError("debrief is down")

    engine.settle({**HANDLERS, s.SUMMARY: debrief_down})

    assert engine.scheduled.count(s.SUMMARY) == TIMINGS.retry_max_attempts
    assert engine.scheduled[-1] == RECORD_FAILURE
    assert engine.status == "FAILED"
    assert "summary" in (engine.failure or "")
    status = view(engine)
    assert status["phase"] == "failed"
    assert status["failure"]["step"] == "summary"
    assert status["failure"]["attempts"] == 3
    assert "ConnectionError" in status["failure"]["error"]


def test_a_non_retryable_failure_is_not_retried() -> None:
    engine = start()
    send(engine, "finalize")

    class NonRetryableError(Exception):
        pass

    def rejected(body: Any) -> Any:
        raise NonRetryableError("UpstreamRejected: bad request")

    engine.settle({**HANDLERS, s.SUMMARY: rejected})

    assert engine.scheduled.count(s.SUMMARY) == 1
    assert view(engine)["failure"]["attempts"] == 1


def test_a_failed_stuck_alert_does_not_end_the_session() -> None:
    engine = start()
    send(engine, "code_run", exercise_id="control-flow.fizzbuzz", passed=False)
    engine.advance(601)

    def down(body: Any) -> Any:
        raise ConnectionError("postgres is down")

    engine.settle({**HANDLERS, s.RAISE_STUCK: down})

    assert engine.status == "RUNNING"
    assert engine.scheduled.count(s.RAISE_STUCK) == 3
    assert engine.scheduled[-1] == RECORD_FAILURE


def test_long_sessions_continue_as_new_and_keep_their_state() -> None:
    engine = start(timings=TIMINGS.model_copy(update={"events_per_generation": 5}))

    for n in range(12):
        send(engine, "code_run", passed=n % 2 == 0, error_type=None if n % 2 == 0 else "ValueError")
        engine.advance(10)

    status = view(engine)
    assert engine.generation == 2
    assert status["generation"] == 2
    assert status["events"] == 12
    assert status["tally"]["runs"] == 12
    assert status["tally"]["errors_by_type"] == {"ValueError": 6}
    assert len(engine.history) < 40  # only this generation's turns
    assert engine.scheduled.count(s.ANNOUNCE) == 1


def test_a_duplicate_sent_across_a_continue_as_new_still_counts_once() -> None:
    engine = start(timings=TIMINGS.model_copy(update={"events_per_generation": 3}))
    for n in range(3):
        send(engine, "message", event_id=f"m{n}")
    send(engine, "message", event_id="m2")  # redelivered after the instance continued as new

    assert engine.generation == 1
    assert view(engine)["tally"]["messages"] == 3


@pytest.mark.parametrize("kind", ["submission", "quiz_answer", "code_run"])
def test_a_malformed_event_is_ignored(kind: str) -> None:
    engine = start()
    engine.raise_event(s.EVENT, {"id": "bad", "kind": kind, "at": T0.isoformat()})
    send(engine, "message")

    assert engine.status == "RUNNING"
    assert view(engine)["events"] == 1


def test_one_replay_of_the_whole_history_rebuilds_the_same_state() -> None:
    """Determinism: what a restarted worker rebuilds from history equals the live state."""
    engine = start()
    send(engine, "code_run", exercise_id="control-flow.fizzbuzz", passed=False, error_type="E")
    engine.advance(700)  # stuck
    engine.settle(HANDLERS)
    send(engine, "submission", exercise_id="control-flow.fizzbuzz", submission_id="sub-1")
    engine.settle(HANDLERS)
    send(engine, "quiz_answer", question_id="q1", correct=False, quiz_topic="control-flow")

    history = engine.history
    last_turn = max(i for i, e in enumerate(history) if e.HasField("workflowStarted"))
    replayed = _OrchestrationExecutor(production_registry(), logging.getLogger("t")).execute(
        engine.instance_id, history[:last_turn], history[last_turn:]
    )

    assert json.loads(replayed.encoded_custom_status) == engine.custom_status
    assert not [a for a in replayed.actions if a.HasField("completeWorkflow")]
