"""The session workflow's activities: each idempotent, keyed by the session and what it acts on.

| activity                  | effect (idempotent because ...)                                     |
|---------------------------|---------------------------------------------------------------------|
| announce_session          | queues session.started (event id derived from the session)         |
| raise_stuck_alert         | struggle alert (unique episode key) + struggle.detected (same id)  |
| grade_session_work        | runs hidden tests, stores attempts (event id per submission/quiz)  |
| compute_mastery_changes   | recomputes progress; the "before" snapshot is written first-write  |
| request_session_summary   | asks debrief (`POST /summaries/session`); a pure read              |
| store_session_debrief     | one debrief per session (unique session id)                        |
| publish_session_finalized | queues session.finalized (event id derived from the session)       |
| store_exam_result         | an exam attempt's per-item results, once (attempt not yet submitted) |
| record_workflow_failure   | one ops alert per instance and step                                 |

Events go to triage's outbox (`learnflow.outbox`), in the transaction of the activity's effect
where it has one; the app's relay publishes them, so no activity waits on Kafka.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from learnflow import outbox
from learnflow.contracts import SessionSummary
from learnflow.curriculum import load_catalog
from learnflow.db.models import ExerciseStatus
from learnflow.db.repos import (
    alerts,
    attempts,
    debriefs,
    exams,
    exercises,
    progress,
    submissions,
)
from learnflow.errors import Conflict, NotFound
from learnflow.events import SessionFinalized, SessionStarted, StruggleDetected
from learnflow.progress.struggle import StruggleTrigger
from learnflow.sidecar import Sidecar
from learnflow.workflows import session as wf_session
from learnflow.workflows.activities import activity, database, sidecar
from learnflow.workflows.activity_models import (
    AlertOpened,
    AnnounceInput,
    DebriefStored,
    ExamResultInput,
    ExamResultStored,
    FailureInput,
    FinalizedInput,
    GradeInput,
    GradeOutput,
    MasteryChanges,
    MasteryInput,
    Published,
    QuizScore,
    StoreDebriefInput,
    StuckAlertInput,
    StuckAlertRaised,
    SubmissionRef,
    SummaryInput,
)
from learnflow.workflows.models import GradeResult, MasteryChange
from learnflow.workflows.runner import TestsRun, run_tests
from learnflow.workflows.steps import RECORD_FAILURE
from learnflow.workflows.store import open_ops_alert

EVENT_NAMESPACE = uuid.UUID("0b7d3f4e-5c1a-4f0e-8d7b-6a2e9c1f3b55")
DEBRIEF = "debrief"


def event_id(*parts: str) -> str:
    """A deterministic event id: a retried activity publishes the same event again (deduped)."""
    return str(uuid.uuid5(EVENT_NAMESPACE, "/".join(parts)))


@activity(wf_session.ANNOUNCE)
async def announce_session(payload: AnnounceInput) -> Published:
    async with database() as conn:
        await outbox.add(
            conn,
            SessionStarted(
                id=event_id(payload.session_id, "started"),
                session_id=payload.session_id,
                user_id=payload.student_id,
                source="triage",
                mode=payload.mode,
                topic_id=payload.topic,
            ),
        )
    outbox.wake()
    return Published(published=True)


@activity(wf_session.RAISE_STUCK)
async def raise_stuck_alert(payload: StuckAlertInput) -> StuckAlertRaised:
    async with database() as conn:
        alert, created = await alerts.open_alert(
            conn,
            student_id=UUID(payload.student_id),
            trigger=StruggleTrigger.STUCK_ON_EXERCISE,
            episode_key=payload.episode_key,
            topic=payload.topic,
            detail=payload.detail,
            at=payload.at,
        )
        await outbox.add(  # with the alert; a retried attempt queues the same id (a no-op)
            conn,
            StruggleDetected(
                id=event_id(payload.episode_key),
                session_id=payload.session_id,
                user_id=payload.student_id,
                source="triage",
                trigger=StruggleTrigger.STUCK_ON_EXERCISE.value,
                topic_id=payload.topic,
                exercise_id=payload.exercise_id,
                episode_key=payload.episode_key,
                detail=payload.detail,
            ),
        )
    outbox.wake()
    return StuckAlertRaised(alert_id=str(alert.id), created=created)


# --- grading -------------------------------------------------------------------------------------


async def _tests_run(conn: Any, exercise_id: str, code: str) -> TestsRun | None:
    """What the code runner needs to grade `code` on an exercise: its hidden tests and, for a
    curriculum exercise, its time limits (a custom exercise gets the runner's defaults)."""
    try:
        exercise = load_catalog().exercise(exercise_id)
    except NotFound:
        pass
    else:
        return TestsRun(
            code=code,
            tests=exercise.tests,
            test_timeout_s=exercise.limits.test_timeout_s,
            run_timeout_s=exercise.limits.run_timeout_s,
        )
    custom = await exercises.get_custom_exercise(conn, exercise_id=exercise_id)
    if custom is None or custom.status is not ExerciseStatus.READY:
        return None
    return TestsRun(code=code, tests=custom.tests)


async def _grade_one(
    conn: Any, client: Sidecar, session_id: str, student: UUID, item: SubmissionRef
) -> GradeResult:
    exercise_id, submission_id = item.exercise_id, item.submission_id
    stored = await submissions.get_submission(conn, submission_id=UUID(submission_id))
    if stored is None or stored.student_id != student or stored.exercise_id != exercise_id:
        raise NotFound(f"no submission {submission_id} of this student for {exercise_id}")
    run = await _tests_run(conn, exercise_id, stored.code)
    if run is None:
        return GradeResult(
            exercise_id=exercise_id,
            submission_id=submission_id,
            status="unknown_exercise",
            passed=False,
            message=f"{exercise_id} is not a curriculum exercise or a ready custom exercise",
        )
    run.submission_id, run.exercise_id = submission_id, exercise_id
    run.session_id, run.user_id = session_id, str(student)
    verdict = await run_tests(client, run, refused="error")  # refused code: a graded error
    passed, passed_count, total = verdict.passed, verdict.tests_passed, len(verdict.tests)
    score = 100.0 if passed else round(100.0 * passed_count / total, 2) if total else 0.0
    await attempts.record_exercise_attempt(
        conn,
        student_id=student,
        exercise_id=exercise_id,
        topic=wf_session.topic_of(exercise_id),
        passed=passed,
        score=score,
        tests_passed=passed_count,
        tests_total=total,
        submission_id=UUID(submission_id),
        event_id=f"session:{session_id}:grade:{submission_id}",
    )
    return GradeResult(
        exercise_id=exercise_id,
        submission_id=submission_id,
        status=verdict.status,
        passed=passed,
        tests_passed=passed_count,
        tests_total=total,
        score=score,
        message=verdict.message,
    )


async def _record_quizzes(
    conn: Any, session_id: str, student: UUID, answers: dict[str, bool], topics: dict[str, str]
) -> dict[str, QuizScore]:
    by_topic: dict[str, dict[str, bool]] = {}
    for question, correct in sorted(answers.items()):
        by_topic.setdefault(topics.get(question, "unknown"), {})[question] = correct
    scores: dict[str, QuizScore] = {}
    catalog = load_catalog()
    for topic, given in by_topic.items():
        try:
            quiz_id = catalog.quiz(topic).id
        except NotFound:
            continue
        score = sum(given.values())
        await attempts.record_quiz_attempt(
            conn,
            student_id=student,
            topic=topic,
            quiz_id=quiz_id,
            score=score,
            total=len(given),
            answers=given,
            event_id=f"session:{session_id}:quiz:{topic}",
        )
        scores[topic] = QuizScore(score=score, total=len(given))
    return scores


@activity(wf_session.GRADE)
async def grade_session_work(payload: GradeInput) -> GradeOutput:
    """Grade pending submissions in the sandbox and store the session's quiz answers."""
    session_id, student = payload.session_id, UUID(payload.student_id)
    graded: list[GradeResult] = []
    async with database() as conn, sidecar() as client:
        for item in payload.submissions:
            graded.append(await _grade_one(conn, client, session_id, student, item))
        quizzes = await _record_quizzes(
            conn, session_id, student, payload.quiz, payload.quiz_topics
        )
    return GradeOutput(graded=graded, quizzes=quizzes)


# --- mastery, summary, debrief, announcement -----------------------------------------------------


async def _before_snapshot(
    client: Sidecar, session_id: str, current: dict[str, int | None]
) -> dict[str, int | None]:
    """The mastery before this session, written once: a re-run reports the same change."""
    key = f"session-mastery-before-{session_id}"
    try:
        await client.save_state(key, current, first_write=True)
    except Conflict:
        stored = await client.get_state(key)
        if isinstance(stored, dict):
            return {**current, **stored}
    return current


@activity(wf_session.MASTERY)
async def compute_mastery_changes(payload: MasteryInput) -> MasteryChanges:
    student = UUID(payload.student_id)
    topics = payload.topics
    async with database() as conn:
        current: dict[str, int | None] = {}
        for topic in topics:
            row = await progress.get_progress(conn, student_id=student, topic=topic)
            current[topic] = None if row is None else row.mastery
        async with sidecar() as client:
            before = await _before_snapshot(client, payload.session_id, current)
        changes: dict[str, MasteryChange] = {}
        for topic in topics:
            row = await progress.recompute_progress(conn, student_id=student, topic=topic)
            changes[topic] = MasteryChange(
                before=before.get(topic), after=row.mastery, level=row.level
            )
    return MasteryChanges(changes)


@activity(wf_session.SUMMARY)
async def request_session_summary(payload: SummaryInput) -> SessionSummary:
    async with sidecar() as client:
        answer = await client.invoke(
            DEBRIEF, "summaries/session", json_body=payload.request.model_dump(mode="json")
        )
    return SessionSummary.model_validate(answer)


@activity(wf_session.STORE_DEBRIEF)
async def store_session_debrief(payload: StoreDebriefInput) -> DebriefStored:
    async with database() as conn:
        stored, created = await debriefs.save_debrief(
            conn,
            student_id=UUID(payload.student_id),
            summary=payload.summary or "(no summary)",
            details=payload.details.model_dump(mode="json"),
            session_id=payload.session_id,
        )
    return DebriefStored(debrief_id=str(stored.id), created=created)


@activity(wf_session.PUBLISH_FINALIZED)
async def publish_session_finalized(payload: FinalizedInput) -> Published:
    async with database() as conn:
        await outbox.add(
            conn,
            SessionFinalized(
                id=event_id(payload.session_id, "finalized"),
                session_id=payload.session_id,
                user_id=payload.student_id,
                source="triage",
                reason=payload.reason,
                summary_id=payload.debrief_id,
            ),
        )
    outbox.wake()
    return Published(published=True)


def exam_item_results(
    items: list[exams.ExamItem],
    quiz: dict[str, bool],
    choices: dict[str, int],
    graded: list[GradeResult],
) -> list[dict[str, Any]]:
    """One result per exam item, in the exam's order; an item never answered counts as wrong.

    Rows as `exams.save_results` takes them (columns by name; the keys differ by item kind)."""
    by_exercise = {g.exercise_id: g for g in graded}
    results: list[dict[str, Any]] = []
    for position, item in enumerate(items):
        row: dict[str, Any] = {"position": position, "item_id": item.id, "kind": item.kind}
        if item.kind == "quiz":
            answered = item.id in quiz
            row |= {
                "answered": answered,
                "correct": answered and quiz[item.id],
                "choice": choices.get(item.id),
            }
        else:
            grade = by_exercise.get(item.id)
            row |= {"answered": grade is not None, "correct": bool(grade and grade.passed)}
            if grade is not None:
                row |= {
                    "submission_id": grade.submission_id,
                    "tests_passed": grade.tests_passed,
                    "tests_total": grade.tests_total,
                    "message": grade.message,
                }
        results.append(row)
    return results


@activity(wf_session.STORE_EXAM_RESULT)
async def store_exam_result(payload: ExamResultInput) -> ExamResultStored:
    attempt_id = UUID(payload.session_id)
    async with database() as conn:  # one transaction
        exam = await exams.get_exam(conn, exam_id=UUID(payload.exam_id))
        attempt = await exams.get_attempt_by_id(conn, attempt_id=attempt_id)
        if exam is None or attempt is None:  # the start's transaction rolled back
            return ExamResultStored(stored=False, reason="no such attempt")
        results = exam_item_results(exam.items, payload.quiz, payload.choices, payload.graded)
        stored = await exams.save_results(
            conn, attempt_id=attempt_id, reason=payload.reason, results=results
        )
    return ExamResultStored(stored=stored, score=sum(1 for r in results if r["correct"]))


@activity(RECORD_FAILURE)
async def record_workflow_failure(payload: FailureInput) -> AlertOpened:
    async with database() as conn:
        created = await open_ops_alert(
            conn,
            workflow=payload.workflow,
            instance_id=payload.instance_id,
            step=payload.step,
            message=payload.message,
            details=payload.details,
        )
    return AlertOpened(created=created)
