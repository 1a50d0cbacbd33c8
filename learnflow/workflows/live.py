"""Learning sessions' live projection: learner events off the workflow's wait path.

Every `raise_workflow_event` costs the session workflow a turn: a replay of its generation's
history, a new waiter and a scheduler job for the waiter's timeout. Most learner events
(messages, runs, heartbeats, quiz answers, exam answers) only change the tally, which the
workflow needs when a timer fires or when it finalizes, not at once. So a live session
(`SessionState.live`, set at start) works like this:

    learner event ─► fold into session_live (one row per session, row lock, the workflow's own
                     `apply_event`, deduped on the event id) ─► 202
                  └► raise on the workflow only when it must act now (`must_notify`): a practice
                     submission to grade, a finalize request, a newly opened exercise (its
                     "stuck" clock starts earlier than anything the workflow is waiting for)
    raised event ─► the workflow applies it to its own state and acts (grades the submission,
                    starts finalizing, re-arms the stuck wake), as sessions always did
    timer wake ─► activity `read_live_session` ─► `absorb` (everything the learner did since)
    finalize ─► `read_live_session` with close=True: the row takes no event after the tally
                the workflow grades (a late event gets 409, never silently dropped)

The split of the state: the projection owns what events add up to (tally counts, open
exercise, answers, pending submissions, seen ids); the workflow owns what it decides (grades
and passed exercises, stuck episodes, phase, outcome, failure). `GET /sessions/{id}` shows both
(`live_view`). Sessions started before this existed (`live` False) replay and run as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learnflow.workflows.models import SessionEvent, SessionState, SessionView


def must_notify(before: SessionState, after: SessionState, event: SessionEvent) -> bool:
    """Whether an accepted event must wake the session's workflow now."""
    if event.kind == "finalize":
        return True
    if event.kind == "submission" and after.mode == "practice":
        return True  # graded at once, so the learner sees the verdict
    # a newly opened exercise starts a "stuck" clock that may run out before the workflow's
    # next wake (an exam has none)
    return after.stuck_alerts and after.current_exercise != before.current_exercise


def absorb(state: SessionState, live: SessionState) -> SessionState:
    """The workflow's state with the projection's event-derived fields (in place).

    Submissions the workflow has graded stay out of `pending` even though the projection still
    lists them; a finalize request in the projection becomes the workflow's unless it already
    has a reason (deadline, idle) of its own.
    """
    passed = list(state.tally.exercises_passed)
    state.tally = live.tally.model_copy(deep=True, update={"exercises_passed": passed})
    state.current_exercise = live.current_exercise
    state.exercise_since = live.exercise_since
    state.last_work_at = live.last_work_at
    state.last_event_at = live.last_event_at
    state.quiz = dict(live.quiz)
    state.quiz_topics = dict(live.quiz_topics)
    state.choices = dict(live.choices)
    graded = set(state.graded_ids)
    state.pending = {e: s for e, s in live.pending.items() if s not in graded}
    state.events = live.events
    state.late_events = live.late_events
    if state.finalize_reason is None and live.finalize_reason is not None:
        state.finalize_reason = live.finalize_reason
    return state


def live_view(live: SessionState, status: Mapping[str, Any] | None) -> dict[str, Any]:
    """`GET /sessions/{id}`: the projection's tally under the workflow's decisions.

    `status` is the workflow's custom status (None before its first turn has published one).
    """
    view = SessionView.of(live)
    if status is None:
        return view.model_dump(mode="json")
    decided = SessionView.model_validate(status)
    graded = set(decided.graded)
    waiting = [s for s in live.pending.values() if s not in graded]
    merged = view.model_copy(
        update={
            "phase": decided.phase,
            "generation": decided.generation,
            "last_result": decided.last_result,
            "struggles": decided.struggles,
            "finalize_reason": decided.finalize_reason or live.finalize_reason,
            "outcome": decided.outcome,
            "failure": decided.failure,
            "graded": decided.graded,
            "pending_submissions": len(waiting),
            "tally": live.tally.model_copy(
                update={"exercises_passed": list(decided.tally.exercises_passed)}
            ),
        }
    )
    return merged.model_dump(mode="json")
