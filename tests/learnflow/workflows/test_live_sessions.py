"""Live sessions (learnflow.workflows.live): learner events fold into a projection, and the
workflow wakes only when it must act. Driven on the fake engine (which replays the whole history
every turn), with the projection held in memory and updated by the same rules as the route
(`apply_event`, `must_notify`); the PostgreSQL side is covered in tests/integration.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from learnflow.workflows import session as s
from learnflow.workflows.live import absorb, live_view, must_notify
from learnflow.workflows.models import GradeResult, SessionEvent, SessionState, Timings
from tests.learnflow.workflows.engine import FakeEngine
from tests.learnflow.workflows.test_session_workflow import HANDLERS, STUDENT, T0, TIMINGS


class LiveSession:
    """One live session: the projection row (in memory) and its workflow on the fake engine."""

    def __init__(self, mode: str = "practice", timings: Timings = TIMINGS, **fields: Any) -> None:
        self.row = SessionState(
            session_id="s-1",
            student_id=STUDENT,
            mode=mode,  # type: ignore[arg-type]
            topic="control-flow",
            started_at=T0,
            timings=timings,
            live=True,
            **fields,
        )
        self.closed = False
        self.reads = 0
        self.ids = itertools.count(1)
        self.handlers = {**HANDLERS, s.READ_LIVE: self._read}
        self.engine = FakeEngine(
            s.WORKFLOW, s.instance_id("s-1"), self.row.model_dump(mode="json"), start=T0
        )
        self.engine.settle(self.handlers)

    def _read(self, body: dict[str, Any]) -> dict[str, Any]:
        self.reads += 1
        if body["close"]:
            self.closed = True
        return {"state": self.row.model_dump(mode="json")}

    def send(self, kind: str, **fields: Any) -> bool:
        """What the route does: fold into the row, poke the workflow if it must act."""
        assert not self.closed, "the row takes no event once closed"
        at = self.engine.now
        event = SessionEvent.model_validate(
            {"id": f"e{next(self.ids)}", "kind": kind, "at": at.isoformat(), **fields}
        )
        before = self.row.model_copy(deep=True)
        self.row, accepted = s.apply_event(self.row, event)
        if must_notify(before, self.row, event):
            self.engine.raise_event(s.EVENT, event.model_dump(mode="json"))
            self.engine.settle(self.handlers)
        return accepted

    def advance(self, seconds: float) -> None:
        self.engine.advance(seconds)
        self.engine.settle(self.handlers)

    def view(self) -> dict[str, Any]:
        return live_view(self.row, self.engine.custom_status)


def test_messages_runs_and_heartbeats_never_wake_the_workflow_yet_show_at_once() -> None:
    live = LiveSession()
    live.send("code_run", exercise_id="control-flow.fizzbuzz", passed=False, error_type="E")
    turns = live.engine.turns

    for _ in range(20):
        live.send("message", hint=True)
        live.send("heartbeat", exercise_id="control-flow.fizzbuzz")
        live.send("code_run", exercise_id="control-flow.fizzbuzz", passed=True)

    assert live.engine.turns == turns  # 60 events, not one workflow turn
    shown = live.view()
    assert shown["tally"]["messages"] == 20
    assert shown["tally"]["hints_used"] == 20
    assert shown["tally"]["runs"] == 21
    assert shown["events"] == 61
    assert shown["phase"] == "active"


def test_opening_an_exercise_wakes_the_workflow_so_stuck_fires_on_time() -> None:
    live = LiveSession()
    live.send("heartbeat", exercise_id="control-flow.fizzbuzz")  # first exercise: a poke

    live.advance(TIMINGS.stuck_after_s + 1)

    assert s.RAISE_STUCK in live.engine.scheduled
    assert len(live.view()["struggles"]) == 1


def test_heartbeats_in_the_projection_keep_stuck_away_when_the_workflow_wakes() -> None:
    live = LiveSession()
    live.send("heartbeat", exercise_id="control-flow.fizzbuzz")
    for _ in range(5):  # every 5 minutes, never raised on the workflow
        live.engine.advance(300)
        live.engine.settle(live.handlers)
        live.send("heartbeat", exercise_id="control-flow.fizzbuzz")

    assert s.RAISE_STUCK not in live.engine.scheduled
    assert live.reads >= 2  # it woke at the stale deadlines, read, and went back to sleep


def test_a_practice_submission_is_graded_at_once_and_counts_once() -> None:
    live = LiveSession()
    live.send("submission", exercise_id="control-flow.fizzbuzz", submission_id="sub-1")

    shown = live.view()
    assert shown["last_result"]["passed"] is True
    assert shown["tally"]["exercises_passed"] == ["control-flow.fizzbuzz"]
    assert shown["pending_submissions"] == 0

    live.send("finalize", reason="done")
    grades = [b for name, b in _calls(live.engine) if name == s.GRADE]
    assert [sub["submission_id"] for g in grades for sub in g["submissions"]] == ["sub-1"]
    assert live.engine.status == "COMPLETED"
    assert live.closed


def test_exam_answers_stay_in_the_projection_until_the_deadline_grades_them() -> None:
    deadline = T0 + timedelta(seconds=600)
    live = LiveSession(mode="exam", exam_id="x-1", stuck_alerts=False, deadline=deadline)
    turns = live.engine.turns
    live.send("quiz_answer", question_id="q1", correct=True, choice=2, quiz_topic="variables")
    live.send("quiz_answer", question_id="q1", correct=False, choice=1, quiz_topic="variables")
    live.send("submission", exercise_id="control-flow.fizzbuzz", submission_id="sub-9")
    assert live.engine.turns == turns
    assert live.view()["saved"] == {"control-flow.fizzbuzz": "sub-9"}

    live.advance(601)

    results = [b for name, b in _calls(live.engine) if name == s.STORE_EXAM_RESULT]
    assert len(results) == 1
    assert results[0]["choices"] == {"q1": 1}  # the last answer counts
    assert [g["submission_id"] for g in results[0]["graded"]] == ["sub-9"]
    assert live.closed
    assert live.engine.status == "COMPLETED"


def test_an_idle_live_session_finalizes_from_what_the_projection_says() -> None:
    live = LiveSession()
    live.send("message")
    live.advance(TIMINGS.idle_finalize_after_s - 60)
    live.send("message")  # keeps it alive: the workflow only learns so when it wakes
    live.advance(120)
    assert live.engine.status == "RUNNING"

    live.advance(TIMINGS.idle_finalize_after_s)
    assert live.engine.status == "COMPLETED"
    assert live.engine.output["finalize_reason"] == "idle"
    assert live.engine.output["tally"]["messages"] == 2


def test_a_long_live_session_continues_as_new_on_its_own_turns_and_keeps_everything() -> None:
    live = LiveSession(timings=TIMINGS.model_copy(update={"events_per_generation": 3}))
    for n in range(5):  # each submission is a workflow turn (graded at once)
        live.send("message")
        live.send("submission", exercise_id=f"control-flow.ex{n}", submission_id=f"sub-{n}")

    shown = live.view()
    assert shown["generation"] >= 1
    assert shown["tally"]["messages"] == 5
    assert sorted(shown["graded"]) == [f"sub-{n}" for n in range(5)]
    assert shown["pending_submissions"] == 0
    live.send("finalize")
    assert live.engine.status == "COMPLETED"
    grades = [b for name, b in _calls(live.engine) if name == s.GRADE]
    graded_once = [sub["submission_id"] for g in grades for sub in g["submissions"]]
    assert sorted(graded_once) == [f"sub-{n}" for n in range(5)]  # none graded twice


def test_absorb_keeps_what_the_workflow_decided() -> None:
    workflow = SessionState(
        session_id="s", student_id="u", mode="practice", started_at=T0, live=True
    )
    workflow.graded_ids = ["sub-1"]
    workflow.tally.exercises_passed = ["m.a"]
    workflow.finalize_reason = "deadline"
    row = workflow.model_copy(deep=True, update={"graded_ids": []})
    row.tally.exercises_passed = []
    row.tally.messages = 3
    row.pending = {"m.a": "sub-1", "m.b": "sub-2"}
    row.finalize_reason = "requested"

    absorb(workflow, row)

    assert workflow.pending == {"m.b": "sub-2"}
    assert workflow.tally.exercises_passed == ["m.a"]
    assert workflow.tally.messages == 3
    assert workflow.finalize_reason == "deadline"


def test_the_view_before_the_workflow_published_anything_is_the_projection() -> None:
    row = SessionState(session_id="s", student_id="u", mode="practice", started_at=T0, live=True)
    row.pending = {"m.a": "sub-1"}
    shown = live_view(row, None)
    assert shown["pending_submissions"] == 1
    assert shown["phase"] == "active"


def test_a_duplicate_or_a_plain_event_pokes_only_when_the_workflow_must_act() -> None:
    base = SessionState(session_id="s", student_id="u", mode="practice", started_at=T0)
    at = T0.isoformat()

    def event(kind: str, **fields: Any) -> SessionEvent:
        return SessionEvent.model_validate({"id": "e", "kind": kind, "at": at, **fields})

    opened = base.model_copy(update={"current_exercise": "m.a"})
    assert must_notify(base, opened, event("heartbeat", exercise_id="m.a"))
    assert not must_notify(opened, opened, event("heartbeat", exercise_id="m.a"))
    assert not must_notify(opened, opened, event("message"))
    assert must_notify(opened, opened, event("finalize"))
    sub = event("submission", exercise_id="m.a", submission_id="x")
    assert must_notify(opened, opened, sub)
    exam = opened.model_copy(update={"mode": "exam"})
    assert not must_notify(exam, exam, sub)


def test_grades_are_told_apart_from_pending_by_submission_id() -> None:
    row = SessionState(session_id="s", student_id="u", mode="practice", started_at=T0, live=True)
    row.pending = {"m.a": "sub-2"}  # resubmitted after sub-1 was graded
    status = live_view(row, None) | {"graded": ["sub-1"]}
    status["last_result"] = GradeResult(
        exercise_id="m.a", submission_id="sub-1", status="fail", passed=False
    ).model_dump()
    assert live_view(row, status)["pending_submissions"] == 1


def _calls(engine: FakeEngine) -> list[tuple[str, Any]]:
    return engine.calls
