"""Progress and struggle from learning activity: `code.executed`, `exercise.graded`,
`learning.routed` (events) and quiz attempts (`POST /quizzes/attempts`).

Each delivery is one PostgreSQL transaction: `mark_event_processed` (consumer `debrief-progress`)
and the whole effect — the submission or attempt row, the student's recomputed progress, the
struggle rules fed with the activity (`struggle_store`), the alerts of newly detected episodes,
and the events to announce them (`outbox`). A redelivered event finds its dedupe row and changes
nothing. The app's outbox relay (`learnflow.outbox`) publishes what the transaction queued:
`progress.updated` for each recomputed topic and `struggle.detected` for each alert that was
created (once per episode), with ids derived from the source event and the episode.

Only students are tracked: activity of a teacher or admin trying exercises is acknowledged and
ignored. Events without a `user_id` (anonymous runs) are ignored too; a `user_id` that is not a
LearnFlow user is a poison message (dead letter).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from psycopg.types.json import Jsonb

from debrief_agent import struggle_store, topics
from debrief_agent.models import QuizAttemptIn
from learnflow import outbox
from learnflow.db.models import Progress, Role, StruggleAlert
from learnflow.db.pool import Conn, Pool
from learnflow.db.repos.alerts import open_alert_for
from learnflow.db.repos.attempts import record_exercise_attempt, record_quiz_attempt
from learnflow.db.repos.events import mark_event_processed
from learnflow.db.repos.progress import get_progress, recompute_progress
from learnflow.db.repos.submissions import record_review, record_submission
from learnflow.db.repos.users import get_user
from learnflow.errors import InvalidInput, NotFound
from learnflow.events import (
    CodeExecuted,
    Event,
    ExerciseGraded,
    LearningRouted,
    ProgressUpdated,
    QuizCompleted,
    StruggleDetected,
)
from learnflow.progress.struggle import (
    ACTIVE_WINDOW,
    Activity,
    CodeRun,
    Detection,
    QuizTaken,
    StruggleTrigger,
    StudentSaid,
    observe,
    tick,
)

log = logging.getLogger("debrief.progress")

CONSUMER = "debrief-progress"
SOURCE = "debrief"
PASSED_STATUSES = frozenset({"ok", "pass"})  # run_python / run_tests statuses that succeeded
GRADED_STATUSES = frozenset({"pass", "fail"})  # only run_tests reports these
# Limits count as an error type of their own (the runner names them by status).
LIMIT_STATUSES = frozenset({"timeout", "memory_limit", "output_limit", "rejected"})
# learning.routed carries the flag only (the message text stays with triage): the rules are fed
# a canonical utterance that `says_confused` recognises.
CONFUSED_UTTERANCE = "I'm stuck"


@dataclass
class Effect:
    """What one activity changed; filled inside the transaction."""

    source_id: str
    student_id: UUID
    session_id: str | None
    progress: list[Progress] = field(default_factory=list)
    alerts: list[StruggleAlert] = field(default_factory=list)


def student_of(user_id: str | None) -> UUID | None:
    """The student id of an event; None when anonymous, `InvalidInput` when malformed."""
    if user_id is None or not user_id.strip():
        return None
    try:
        return UUID(user_id.strip())
    except ValueError as exc:
        raise InvalidInput(f"user_id {user_id!r} is not a LearnFlow user id (a UUID)") from exc


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _error_kind(event: CodeExecuted) -> str | None:
    if event.error_type:
        return event.error_type
    return event.status if event.status in LIMIT_STATUSES else None


def _describe(detection: Detection) -> Detection:
    if detection.trigger is StruggleTrigger.SAYS_CONFUSED:
        # the quoted text is our canonical utterance, not the student's words: drop it
        detail = detection.detail.split(", latest:", 1)[0] + "."
        return detection.model_copy(update={"detail": detail})
    return detection


# --- the transaction ------------------------------------------------------------------------------


async def _announce_progress(conn: Conn, effect: Effect, topic: str | None) -> None:
    if topic is None:
        return
    row = await recompute_progress(conn, student_id=effect.student_id, topic=topic)
    effect.progress.append(row)
    # when the mastery changed (not when the activity happened: events can arrive out of order,
    # and each value is computed from everything recorded so far)
    await conn.execute(
        "insert into progress_history (student_id, topic, mastery, source_id, at)"
        " values (%s, %s, %s, %s, clock_timestamp()) on conflict do nothing",
        (effect.student_id, topic, row.mastery, effect.source_id),
    )
    await outbox.add(
        conn,
        ProgressUpdated(
            id=outbox.derived_id("progress.updated", effect.source_id, topic),
            source=SOURCE,
            user_id=str(effect.student_id),
            session_id=effect.session_id,
            occurred_at=row.updated_at,
            topic_id=topic,
            mastery=row.mastery,
            level=row.level.value,
        ),
        source_event_id=effect.source_id,
    )


async def _open_alerts(
    conn: Conn,
    effect: Effect,
    stored: struggle_store.StoredState,
    detections: list[Detection],
    exercise_id: str | None,
) -> None:
    for found in detections:
        detection = _describe(found)
        alert, created = await open_alert_for(
            conn, student_id=effect.student_id, detection=detection
        )
        if not created:
            continue
        effect.alerts.append(alert)
        work = stored.state.exercise
        if detection.trigger is StruggleTrigger.STUCK_ON_EXERCISE and work is not None:
            exercise_id = work.exercise_id
        await outbox.add(
            conn,
            StruggleDetected(
                id=outbox.derived_id("struggle.detected", detection.episode_key),
                source=SOURCE,
                user_id=str(effect.student_id),
                session_id=effect.session_id,
                occurred_at=detection.at,
                trigger=detection.trigger.value,
                topic_id=detection.topic,
                exercise_id=exercise_id,
                episode_key=detection.episode_key,
                detail=detection.detail,
                alert_id=str(alert.id),
            ),
            source_event_id=effect.source_id,
        )


async def _feed(
    conn: Conn,
    effect: Effect,
    activity: Activity | None,
    *,
    submission_id: str | None = None,
    exercise_id: str | None = None,
) -> None:
    """Feed one activity to the student's struggle rules (a submission counts once).

    The student's row lock is taken even with nothing to feed: it serialises every transaction
    of one student, so each progress recomputation that follows sees the ones before it.
    """
    stored = await struggle_store.lock(conn, student_id=effect.student_id)
    if activity is None or stored.seen(submission_id):
        return
    stored.state, detections = observe(stored.state, activity)
    stored.remember(submission_id)
    await _open_alerts(conn, effect, stored, detections, exercise_id)
    await struggle_store.save(conn, stored)


async def _on_code_executed(conn: Conn, effect: Effect, event: CodeExecuted) -> None:
    topic = event.topic_id or topics.topic_of_exercise(event.exercise_id)
    at = _aware(event.occurred_at)
    passed = event.status in PASSED_STATUSES
    graded = event.status in GRADED_STATUSES
    row = await record_submission(
        conn,
        student_id=effect.student_id,
        code=event.code or "",
        status=event.status,
        exercise_id=event.exercise_id,
        topic=topic,
        passed=passed if graded else None,
        duration_ms=round(event.duration_ms),
        error_type=event.error_type,
        event_id=event.id,
        at=at,
    )
    await conn.execute(
        "update code_submissions set submission_key = %s where id = %s",
        (event.submission_id, row.id),
    )
    run = None
    if event.status != "killed":  # cancelled before it finished: not the student's doing
        run = CodeRun(
            at=at,
            passed=passed,
            graded=graded,
            exercise_id=event.exercise_id,
            topic=topic,
            error_type=None if passed else _error_kind(event),
        )
    await _feed(conn, effect, run, submission_id=event.submission_id, exercise_id=event.exercise_id)
    await _announce_progress(conn, effect, topic)


def graded_score(event: ExerciseGraded) -> float:
    """Share of hidden tests passed, 0–100 (a pass without test counts is 100)."""
    if event.tests_total > 0:
        return round(100 * min(event.tests_passed, event.tests_total) / event.tests_total, 2)
    return 100.0 if event.passed else 0.0


async def _on_exercise_graded(conn: Conn, effect: Effect, event: ExerciseGraded) -> None:
    at = _aware(event.occurred_at)
    topic = event.topic_id
    await record_exercise_attempt(
        conn,
        student_id=effect.student_id,
        exercise_id=event.exercise_id,
        topic=topic,
        passed=event.passed,
        score=graded_score(event),
        tests_passed=min(event.tests_passed, event.tests_total),
        tests_total=event.tests_total,
        event_id=event.id,
        at=at,
    )
    await conn.execute(
        "update exercise_attempts set submission_key = %s, tests = %s where event_id = %s",
        (event.submission_id, Jsonb(event.tests), event.id),
    )
    # Code quality counts only for code that works: a tidy wrong answer earns nothing here.
    if event.code_quality is not None and event.passed:
        await record_review(
            conn,
            student_id=effect.student_id,
            topic=topic,
            quality_score=event.code_quality,
            event_id=event.id,
            at=at,
        )
    run = CodeRun(
        at=at,
        passed=event.passed,
        graded=True,
        exercise_id=event.exercise_id,
        topic=topic,
        error_type=None if event.passed else event.error_type,
    )
    await _feed(conn, effect, run, submission_id=event.submission_id, exercise_id=event.exercise_id)
    await _announce_progress(conn, effect, topic)


async def _on_learning_routed(conn: Conn, effect: Effect, event: LearningRouted) -> None:
    said = StudentSaid(
        at=_aware(event.occurred_at), text=CONFUSED_UTTERANCE if event.says_confused else ""
    )
    await _feed(conn, effect, said)


async def _student(conn: Conn, student_id: UUID, what: str) -> bool:
    """Whether to track this user: True for students; NotFound for unknown users."""
    user = await get_user(conn, user_id=student_id)
    if user is None:
        raise NotFound(f"{what}: there is no LearnFlow user {student_id}")
    return user.role is Role.STUDENT


async def consume_event(pool: Pool, event: Event) -> Effect | None:
    """Apply one delivered event once; queue what it caused. None when there was nothing to do
    (anonymous, not a student, not a progress event, or a redelivery)."""
    if not isinstance(event, CodeExecuted | ExerciseGraded | LearningRouted):
        return None
    student_id = student_of(event.user_id)
    if student_id is None:
        return None
    effect = Effect(source_id=event.id, student_id=student_id, session_id=event.session_id)
    applied = False
    async with pool.connection() as conn, conn.transaction():
        new = await mark_event_processed(conn, event_id=event.id, consumer=CONSUMER)
        if new and await _student(conn, student_id, f"{event.topic} {event.id}"):
            applied = True
            if isinstance(event, CodeExecuted):
                await _on_code_executed(conn, effect, event)
            elif isinstance(event, ExerciseGraded):
                await _on_exercise_graded(conn, effect, event)
            else:
                await _on_learning_routed(conn, effect, event)
    outbox.wake()
    if effect.alerts:
        log.info("student %s: %s", student_id, ", ".join(a.trigger.value for a in effect.alerts))
    return effect if applied else None


def quiz_source_id(attempt_id: str) -> str:
    return f"quiz:{attempt_id}"


def quiz_attempt_of(event: QuizCompleted) -> QuizAttemptIn:
    """A `quiz.completed` event as a quiz attempt (the attempt id is the event id)."""
    return QuizAttemptIn(
        attempt_id=event.id,
        user_id=event.user_id or "",
        topic=event.topic_id,
        quiz_id=event.quiz_id,
        score=min(event.score, event.total),
        total=event.total,
        answers=[a.model_dump() for a in event.answers],
        session_id=event.session_id,
        at=_aware(event.occurred_at),
    )


async def consume_quiz(pool: Pool, body: QuizAttemptIn) -> tuple[bool, Progress | None]:
    """Record a graded quiz once (idempotent on `attempt_id`); returns (recorded, progress)."""
    student_id = student_of(body.user_id)
    if student_id is None:  # pragma: no cover - the model requires a non-empty user id
        raise InvalidInput("a quiz attempt needs the student's user_id")
    source = quiz_source_id(body.attempt_id)
    effect = Effect(source_id=source, student_id=student_id, session_id=body.session_id)
    at = _aware(body.at or datetime.now(UTC))
    recorded = False
    async with pool.connection() as conn, conn.transaction():
        if not await _student(conn, student_id, f"quiz attempt {body.attempt_id}"):
            raise InvalidInput(f"user {student_id} is not a student; only students take quizzes")
        if await mark_event_processed(conn, event_id=source, consumer=CONSUMER):
            recorded = True
            await record_quiz_attempt(
                conn,
                student_id=student_id,
                topic=body.topic,
                quiz_id=body.quiz_id,
                score=body.score,
                total=body.total,
                answers=body.answers,
                event_id=source,
                at=at,
            )
            taken = QuizTaken(at=at, topic=body.topic, score=body.score, total=body.total)
            await _feed(conn, effect, taken)
            await _announce_progress(conn, effect, body.topic)
        current = await get_progress(conn, student_id=student_id, topic=body.topic)
    outbox.wake()
    return recorded, current


# --- the time-based trigger -----------------------------------------------------------------------


async def tick_once(pool: Pool, *, now: datetime | None = None) -> int:
    """Run the "stuck on an exercise" check for recently active students; returns the number
    of alerts opened."""
    now = now or datetime.now(UTC)
    async with pool.connection() as conn:
        active = await struggle_store.recently_active(conn, now=now, window=ACTIVE_WINDOW)
    opened = 0
    for student_id in active:
        source = f"tick:{student_id}:{now.isoformat()}"
        effect = Effect(source_id=source, student_id=student_id, session_id=None)
        async with pool.connection() as conn, conn.transaction():
            stored = await struggle_store.try_lock(conn, student_id=student_id)
            if stored is None:
                continue  # an event of this student is being applied right now
            state, detections = tick(stored.state, now)
            if not detections:
                continue
            stored.state = state
            await _open_alerts(conn, effect, stored, detections, None)
            await struggle_store.save(conn, stored)
        outbox.wake()
        opened += len(effect.alerts)
    return opened
