"""The session workflow: one durable instance per learning or exam session.

    POST /sessions ──► session-<session id> (idempotent start)
        events in:   raise_workflow_event(instance, "session_event", SessionEvent)
        state out:   custom status = SessionView (GET /sessions/{id})
        timers:      one inactivity wake (stuck on an exercise, idle session) + the exam deadline
        finalize:    grade ─► mastery ─► summary (debrief) ─► store debrief ─► session.finalized

Every event kind arrives under one workflow event name, `session_event`, with its kind inside:
one waiter at a time, so no event is ever consumed by a stale waiter of another name, and events
are applied in the order the engine received them. Events carry ids; a redelivered id is ignored.

The inactivity trigger is the waiter's own timeout: each wait for the next event expires at the
earliest deadline that matters (stuck on the open exercise, or idle long enough to finalize), so
an active session holds exactly one timer besides the exam deadline. A timer that fires early
(a deadline moved later since) is harmless: the loop re-checks every deadline against the
orchestration clock before acting.

After `events_per_generation` events the instance continues as new with its state as input, so
its history stays small (every replay and every status read loads the whole history).

The pure functions (`apply_event`, `stuck_due`, ...) hold the rules; the orchestrator only
sequences them with the engine. Both must stay deterministic: no clocks, I/O or randomness.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import dapr.ext.workflow as wf
from pydantic import JsonValue, ValidationError

from learnflow.contracts import SessionSummary, SessionSummaryRequest
from learnflow.progress.struggle import StruggleTrigger, episode_key
from learnflow.workflows.activity_models import (
    ActivitySpec,
    AnnounceInput,
    DebriefStored,
    ExamResultInput,
    ExamResultStored,
    FinalizedInput,
    GradeInput,
    GradeOutput,
    LiveRead,
    MasteryChanges,
    MasteryInput,
    Published,
    ReadLiveInput,
    SessionDebriefDetails,
    StoreDebriefInput,
    StuckAlertInput,
    StuckAlertRaised,
    SubmissionRef,
    SummaryInput,
)
from learnflow.workflows.live import absorb
from learnflow.workflows.models import (
    SEEN_IDS_KEPT,
    FinalizeOutcome,
    GradeResult,
    SessionEvent,
    SessionState,
    SessionView,
)
from learnflow.workflows.steps import (
    StepFailed,
    Steps,
    WorkflowStepError,
    call,
    now,
    record_failure,
    set_status,
)

log = logging.getLogger("learnflow.workflows.session")

WORKFLOW = "session"
EVENT = "session_event"

# activities (learnflow.workflows.session_activities)
ANNOUNCE = ActivitySpec("announce_session", AnnounceInput, Published)
RAISE_STUCK = ActivitySpec("raise_stuck_alert", StuckAlertInput, StuckAlertRaised)
GRADE = ActivitySpec("grade_session_work", GradeInput, GradeOutput)
MASTERY = ActivitySpec("compute_mastery_changes", MasteryInput, MasteryChanges)
SUMMARY = ActivitySpec("request_session_summary", SummaryInput, SessionSummary)
STORE_DEBRIEF = ActivitySpec("store_session_debrief", StoreDebriefInput, DebriefStored)
PUBLISH_FINALIZED = ActivitySpec("publish_session_finalized", FinalizedInput, Published)
STORE_EXAM_RESULT = ActivitySpec("store_exam_result", ExamResultInput, ExamResultStored)
READ_LIVE = ActivitySpec("read_live_session", ReadLiveInput, LiveRead)  # live_activities


def instance_id(session_id: str) -> str:
    """The workflow instance of a session: starting the same session twice finds this one."""
    return f"session-{session_id}"


def session_id_of(instance: str) -> str | None:
    return instance.removeprefix("session-") if instance.startswith("session-") else None


def topic_of(exercise_id: str) -> str:
    """Exercise ids are `<module>.<slug>` (curriculum) or `<module>.custom-<hex>` (teachers)."""
    return exercise_id.split(".", 1)[0]


# --- the rules (pure) ----------------------------------------------------------------------------


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def _work_on(state: SessionState, exercise_id: str | None, at: datetime) -> None:
    exercise = exercise_id or state.current_exercise
    if exercise is None:
        return
    if exercise != state.current_exercise:
        state.current_exercise = exercise
        state.exercise_since = at
    state.last_work_at = _later(state.last_work_at, at)


def apply_event(s: SessionState, event: SessionEvent) -> tuple[SessionState, bool]:
    """Fold one event into the state (in place: replays run this for every past event, so no
    copies); returns (state, accepted).

    Not accepted: a duplicate id (nothing changes), or an exam event after the deadline (only
    counted as late). A practice submission is accepted and left pending for grading.
    """
    if event.id in s.seen_ids:
        return s, False
    s.seen_ids.append(event.id)
    if len(s.seen_ids) > SEEN_IDS_KEPT:
        del s.seen_ids[: len(s.seen_ids) - SEEN_IDS_KEPT]
    s.events += 1
    s.events_in_generation += 1
    if s.deadline is not None and event.at > s.deadline and event.kind != "finalize":
        s.late_events += 1
        return s, False

    tally = s.tally
    if s.last_event_at is not None:
        gap = (event.at - s.last_event_at).total_seconds()
        if 0 < gap <= s.timings.active_gap_s:
            tally.time_on_task_s = round(tally.time_on_task_s + gap, 3)
    s.last_event_at = _later(s.last_event_at, event.at)

    if event.kind == "message":
        tally.messages += 1
        tally.hints_used += int(event.hint)
    elif event.kind == "code_run":
        tally.runs += 1
        if not event.passed:
            tally.failed_runs += 1
            if event.error_type:
                errors = tally.errors_by_type
                errors[event.error_type] = errors.get(event.error_type, 0) + 1
        _work_on(s, event.exercise_id, event.at)
    elif event.kind == "submission":
        assert event.exercise_id is not None and event.submission_id is not None
        tally.attempts += 1
        if event.exercise_id not in tally.exercises_attempted:
            tally.exercises_attempted.append(event.exercise_id)
        s.pending[event.exercise_id] = event.submission_id  # the latest one counts
        _work_on(s, event.exercise_id, event.at)
    elif event.kind == "quiz_answer":
        assert event.question_id is not None
        tally.quiz_answers += 1
        tally.quiz_correct += int(bool(event.correct))
        s.quiz[event.question_id] = bool(event.correct)
        if event.choice is not None:
            s.choices[event.question_id] = event.choice
        if event.quiz_topic:
            s.quiz_topics[event.question_id] = event.quiz_topic
    elif event.kind == "heartbeat":
        _work_on(s, event.exercise_id, event.at)
    elif event.kind == "finalize":
        s.finalize_reason = event.reason or "requested"
    return s, True


def stuck_key(state: SessionState) -> str | None:
    if state.current_exercise is None or state.exercise_since is None:
        return None
    return episode_key(
        StruggleTrigger.STUCK_ON_EXERCISE,
        state.student_id,
        state.current_exercise,
        state.exercise_since,
    )


def stuck_due(state: SessionState) -> datetime | None:
    """When "stuck" fires: no heartbeat or run for `stuck_after` on the open, unsolved exercise.
    Never in a session started without stuck alerts (an exam: quiet thought over an exam item
    is not a struggle to alert the teacher about)."""
    key = stuck_key(state)
    if (
        key is None
        or not state.stuck_alerts
        or state.last_work_at is None
        or state.current_exercise in state.tally.exercises_passed
        or key in state.stuck_episodes
    ):
        return None
    return state.last_work_at + state.stuck_after


def idle_due(state: SessionState) -> datetime:
    if state.exam_id is not None and state.deadline is not None:
        return state.deadline  # an exam attempt runs to its deadline, however quiet
    last = state.last_event_at or state.started_at
    return last + timedelta(seconds=state.timings.idle_finalize_after_s)


def next_wake(state: SessionState) -> datetime:
    stuck = stuck_due(state)
    idle = idle_due(state)
    return idle if stuck is None else min(stuck, idle)


def apply_grades(s: SessionState, results: list[GradeResult]) -> SessionState:
    """Fold the sandbox's verdicts into the state (in place)."""
    for result in results:
        if s.pending.get(result.exercise_id) == result.submission_id:
            del s.pending[result.exercise_id]
        if result.passed and result.exercise_id not in s.tally.exercises_passed:
            s.tally.exercises_passed.append(result.exercise_id)
        s.last_result = result
    return s


def next_generation(state: SessionState) -> SessionState:
    return state.model_copy(update={"generation": state.generation + 1, "events_in_generation": 0})


def mastery_topics(state: SessionState, graded: list[GradeResult]) -> list[str]:
    """Every topic the session touched: graded or attempted exercises, quizzes, its topic."""
    topics = {topic_of(g.exercise_id) for g in graded}
    topics |= {topic_of(e) for e in state.tally.exercises_attempted}
    topics |= set(state.quiz_topics.values())
    if state.topic:
        topics.add(state.topic)
    return sorted(topics)


# --- the orchestrator ----------------------------------------------------------------------------


def session_workflow(ctx: wf.DaprWorkflowContext, state: SessionState) -> Steps:
    timings = state.timings
    set_status(ctx, SessionView.of(state))  # first thing each generation: visible at once
    try:
        if not state.announced:
            state = yield from _announce(ctx, state)
        exam_timer = None if state.deadline is None else ctx.create_timer(state.deadline)
        waiter = None
        while True:
            current = now(ctx)
            if state.deadline is not None and current >= state.deadline:
                state.finalize_reason = state.finalize_reason or "deadline"
            if state.finalize_reason is not None:
                break
            stuck = stuck_due(state)
            if stuck is not None and stuck <= current:
                state = yield from _raise_stuck(ctx, state)
                continue
            if idle_due(state) <= current:
                state.finalize_reason = "idle"
                continue
            if state.events_in_generation >= timings.events_per_generation:
                ctx.continue_as_new(
                    next_generation(state).model_dump(mode="json"), save_events=True
                )
                return None
            if waiter is None:
                waiter = ctx.wait_for_external_event(EVENT, timeout=next_wake(state))
            winner = yield wf.when_any([waiter] if exam_timer is None else [waiter, exam_timer])
            if winner is exam_timer:  # the loop checks the deadline; re-arm if it fired early
                deadline = state.deadline
                early = deadline is not None and now(ctx) < deadline
                exam_timer = ctx.create_timer(deadline) if deadline and early else None
                continue
            waiter = None
            if winner.is_failed:  # the wait timed out: the loop re-checks what is due
                if state.live:
                    state = yield from _sync_live(ctx, state)
                continue
            # live mode too: what is raised is what the workflow must act on (the event itself,
            # already in the projection, which the next read absorbs)
            state = yield from _on_event(ctx, state, winner.get_result())
        if state.live:  # the tally to grade; no learner event is taken after this read
            state = yield from _sync_live(ctx, state, close=True)
        state = yield from _finalize(ctx, state)
    except StepFailed as failed:
        state.phase = "failed"
        state.failure = failed.failure
        set_status(ctx, SessionView.of(state))
        yield from record_failure(ctx, WORKFLOW, failed.failure, timings, _alert_details(state))
        raise WorkflowStepError(str(failed)) from None
    return SessionView.of(state).model_dump(mode="json")


def _alert_details(state: SessionState) -> dict[str, JsonValue]:
    return {"session_id": state.session_id, "student_id": state.student_id, "mode": state.mode}


def _announce(ctx: wf.DaprWorkflowContext, state: SessionState) -> Steps:
    payload = AnnounceInput(
        session_id=state.session_id, student_id=state.student_id, mode=state.mode, topic=state.topic
    )
    try:
        yield from call(ctx, "announce", ANNOUNCE, payload, state.timings)
    except StepFailed as failed:  # the session goes on; operators get the alert
        yield from record_failure(ctx, WORKFLOW, failed.failure, state.timings)
    state.announced = True
    return state


def _on_event(ctx: wf.DaprWorkflowContext, state: SessionState, raw: Any) -> Steps:
    try:
        event = SessionEvent.model_validate(raw)
    except ValidationError:
        if not ctx.is_replaying:
            log.warning("%s: ignoring a malformed session event", ctx.instance_id)
        return state
    state, accepted = apply_event(state, event)
    set_status(ctx, SessionView.of(state))
    if accepted and event.kind == "submission" and state.mode == "practice":
        state = yield from _grade_now(ctx, state, event)
    return state


def _sync_live(ctx: wf.DaprWorkflowContext, state: SessionState, *, close: bool = False) -> Steps:
    """Live mode: take what the learner's events added up to from the projection.

    A wake that cannot read it (the database down past the retries) goes on with what it knew;
    the closing read before finalize must succeed, like grading.
    """
    ask = ReadLiveInput(session_id=state.session_id, close=close)
    try:
        read = yield from call(ctx, "read_live", READ_LIVE, ask, state.timings)
    except StepFailed as failed:
        if close:
            raise
        yield from record_failure(ctx, WORKFLOW, failed.failure, state.timings)
        return state
    if read.state is not None:
        state = absorb(state, read.state)
    state.events_in_generation += 1  # a turn of this generation's history, like an event
    set_status(ctx, SessionView.of(state))
    return state


def _grade_now(ctx: wf.DaprWorkflowContext, state: SessionState, event: SessionEvent) -> Steps:
    """Practice: grade a submission at once, so the learner sees the verdict in the status."""
    assert event.exercise_id is not None and event.submission_id is not None  # SessionEvent checks
    ref = SubmissionRef(exercise_id=event.exercise_id, submission_id=event.submission_id)
    return (yield from _grade(ctx, state, [ref], remember=state.live))


def _grade(
    ctx: wf.DaprWorkflowContext, state: SessionState, refs: list[SubmissionRef], *, remember: bool
) -> Steps:
    """Grade `refs` in the sandbox now; a failure leaves them pending (finalize grades them).
    `remember`: keep their ids as graded (live mode, where the projection still lists them;
    instances before it never recorded any, and replay so)."""
    payload = GradeInput(session_id=state.session_id, student_id=state.student_id, submissions=refs)
    try:
        result = yield from call(ctx, "grade", GRADE, payload, state.timings)
    except StepFailed as failed:
        yield from record_failure(ctx, WORKFLOW, failed.failure, state.timings)
        return state
    state = apply_grades(state, result.graded)
    if remember:
        state.graded_ids = [*state.graded_ids, *(g.submission_id for g in result.graded)]
    set_status(ctx, SessionView.of(state))
    return state


def _raise_stuck(ctx: wf.DaprWorkflowContext, state: SessionState) -> Steps:
    key = stuck_key(state)
    assert key is not None and state.current_exercise is not None
    payload = StuckAlertInput(
        session_id=state.session_id,
        student_id=state.student_id,
        exercise_id=state.current_exercise,
        topic=topic_of(state.current_exercise),
        episode_key=key,
        detail=f"no run or heartbeat on {state.current_exercise} for "
        f"{round(state.timings.stuck_after_s)} s",
        at=state.last_work_at or state.started_at,
    )
    state.stuck_episodes = [*state.stuck_episodes, key]  # once per episode, even if it fails
    try:
        yield from call(ctx, "stuck_alert", RAISE_STUCK, payload, state.timings)
    except StepFailed as failed:
        yield from record_failure(ctx, WORKFLOW, failed.failure, state.timings)
    set_status(ctx, SessionView.of(state))
    return state


def _finalize(ctx: wf.DaprWorkflowContext, state: SessionState) -> Steps:
    timings = state.timings
    reason = state.finalize_reason or "requested"
    state.phase = "finalizing"
    set_status(ctx, SessionView.of(state))
    session_id, student_id = state.session_id, state.student_id

    submissions = [
        SubmissionRef(exercise_id=e, submission_id=s) for e, s in sorted(state.pending.items())
    ]
    grading = GradeInput(
        session_id=session_id,
        student_id=student_id,
        submissions=submissions,
        quiz=state.quiz,
        quiz_topics=state.quiz_topics,
    )
    graded = (yield from call(ctx, "grade", GRADE, grading, timings)).graded
    state = apply_grades(state, graded)
    outcome = FinalizeOutcome(reason=reason, graded=graded)
    state.outcome = outcome
    set_status(ctx, SessionView.of(state))
    if state.exam_id is not None:  # the exam's result first: it must not wait on the debrief
        exam_result = ExamResultInput(
            session_id=session_id,
            student_id=student_id,
            exam_id=state.exam_id,
            reason=reason,
            quiz=state.quiz,
            choices=state.choices,
            graded=graded,
        )
        yield from call(ctx, "exam_result", STORE_EXAM_RESULT, exam_result, timings)

    mastery = MasteryInput(
        session_id=session_id, student_id=student_id, topics=mastery_topics(state, graded)
    )
    outcome.mastery = (yield from call(ctx, "mastery", MASTERY, mastery, timings)).root
    request = SessionSummaryRequest(
        session_id=state.session_id,
        user_id=state.student_id,
        mode=state.mode,
        topic=state.topic,
        tally=state.tally,
    )
    summary = yield from call(ctx, "summary", SUMMARY, SummaryInput(request=request), timings)
    outcome.summary = summary.summary
    details = SessionDebriefDetails(
        mode=state.mode,
        topic=state.topic,
        reason=reason,
        tally=state.tally,
        mastery=outcome.mastery,
        graded=graded,
        practised=summary.practised,
        mistakes=summary.mistakes,
        next_steps=summary.next_steps,
    )
    debrief = StoreDebriefInput(
        session_id=session_id, student_id=student_id, summary=outcome.summary, details=details
    )
    stored = yield from call(ctx, "debrief", STORE_DEBRIEF, debrief, timings)
    outcome.debrief_id = stored.debrief_id
    finalized = FinalizedInput(
        session_id=session_id, student_id=student_id, reason=reason, debrief_id=outcome.debrief_id
    )
    yield from call(ctx, "publish", PUBLISH_FINALIZED, finalized, timings)
    state.phase = "finalized"
    set_status(ctx, SessionView.of(state))
    return state
