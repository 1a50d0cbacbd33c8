"""The publishing workflow's activities; each is safe to run twice.

Validation runs the reference solution and the starter code against the exercise's tests in the
code runner's sandbox: the reference must pass every test, the starter must not (an exercise the
starter already solves teaches nothing). Compensation undoes index and status in one transaction.
"""

from __future__ import annotations

from uuid import UUID

from learnflow import outbox
from learnflow.db.models import CustomExercise, ExerciseStatus
from learnflow.db.pool import Conn
from learnflow.db.repos import classes, exercises
from learnflow.errors import NotAllowed, NotFound
from learnflow.events import ExercisePublished
from learnflow.sidecar import Sidecar
from learnflow.workflows import publishing as wf_publishing
from learnflow.workflows import store
from learnflow.workflows.activities import activity, database, sidecar
from learnflow.workflows.activity_models import (
    BeginInput,
    CompensateInput,
    ExerciseRef,
    Indexed,
    PublicationStatus,
    Published,
)
from learnflow.workflows.models import ValidationReport
from learnflow.workflows.runner import TestsRun, Verdict, run_tests
from learnflow.workflows.session_activities import event_id

S = ExerciseStatus


async def _exercise(conn: Conn, exercise_id: str) -> CustomExercise:
    found = await exercises.get_custom_exercise(conn, exercise_id=exercise_id)
    if found is None:
        raise NotFound(f"no custom exercise {exercise_id}")
    return found


@activity(wf_publishing.BEGIN)
async def begin_publication(payload: BeginInput) -> PublicationStatus:
    """draft/failed → validating, and the publication record; a ready exercise stays ready."""
    class_id, teacher = UUID(payload.class_id), UUID(payload.teacher_id)
    async with database() as conn:
        exercise = await _exercise(conn, payload.exercise_id)
        school_class = await classes.get_class(conn, class_id=class_id)
        if school_class is None or school_class.teacher_id != teacher:
            raise NotAllowed(f"class {class_id} is not taught by the exercise's teacher")
        if exercise.status is S.READY:
            return PublicationStatus(status=S.READY.value)
        await exercises.set_custom_exercise_status(
            conn, exercise_id=exercise.id, status=S.VALIDATING
        )
        await store.start_publication(
            conn,
            exercise_id=exercise.id,
            class_id=class_id,
            teacher_id=teacher,
            instance_id=payload.instance_id,
        )
    return PublicationStatus(status=S.VALIDATING.value)


async def _run(client: Sidecar, code: str, tests: str, exercise_id: str) -> Verdict:
    run = TestsRun(code=code, tests=tests, exercise_id=exercise_id)
    return await run_tests(client, run, refused="rejected")  # refused tests/code: a verdict


def _failing(verdict: Verdict) -> str:
    names = [
        f"{case.name}: {(case.message or case.status).strip()[:160]}"
        for case in verdict.tests
        if case.status != "pass"
    ]
    if names:
        return "; ".join(names[:3])
    return (verdict.message or verdict.status or "unknown").strip()[:300]


def _outcomes(verdict: Verdict) -> list[tuple[str, str]]:
    return [(case.name, case.status) for case in verdict.tests] or [("*", verdict.status)]


@activity(wf_publishing.VALIDATE)
async def validate_exercise(payload: ExerciseRef) -> ValidationReport:
    async with database() as conn:
        exercise = await _exercise(conn, payload.exercise_id)
    if not exercise.tests.strip():
        return ValidationReport(ok=False, reason="the exercise has no tests")
    async with sidecar() as client:
        reference = await _run(client, exercise.solution, exercise.tests, exercise.id)
        starter = await _run(client, exercise.starter, exercise.tests, exercise.id)
        again = await _run(client, exercise.solution, exercise.tests, exercise.id)
    report = ValidationReport(
        ok=True,
        reference_status=reference.status,
        starter_status=starter.status,
        tests_total=len(reference.tests),
        repeatable=_outcomes(reference) == _outcomes(again),
    )
    if not report.repeatable:
        report.ok = False
        report.reason = (
            "the tests gave different results on two runs of the reference solution "
            f"({_failing(reference) or 'all pass'} / {_failing(again) or 'all pass'}); "
            "make them deterministic"
        )
    elif not reference.passed:
        report.ok = False
        report.reason = f"the reference solution does not pass the tests ({_failing(reference)})"
    elif starter.passed:
        report.ok = False
        report.reason = "the starter code already passes every test; the tests check nothing"
    elif starter.status == "rejected":
        report.ok = False
        report.reason = f"the code runner refused the starter code: {_failing(starter)}"
    return report


@activity(wf_publishing.INDEX)
async def index_exercise(payload: ExerciseRef) -> Indexed:
    async with database() as conn:
        exercise = await _exercise(conn, payload.exercise_id)
        await store.index_exercise(conn, exercise=exercise, class_id=UUID(payload.class_id))
    return Indexed(indexed=True)


@activity(wf_publishing.MARK_READY)
async def mark_exercise_ready(payload: ExerciseRef) -> PublicationStatus:
    async with database() as conn:
        await exercises.set_custom_exercise_status(
            conn, exercise_id=payload.exercise_id, status=S.READY
        )
        await store.set_publication_status(conn, exercise_id=payload.exercise_id, status="ready")
    return PublicationStatus(status=S.READY.value)


@activity(wf_publishing.NOTIFY)
async def notify_exercise_published(payload: ExerciseRef) -> Published:
    async with database() as conn:
        exercise = await _exercise(conn, payload.exercise_id)
        await outbox.add(
            conn,
            ExercisePublished(
                id=event_id(exercise.id, payload.class_id, "published"),
                user_id=payload.teacher_id,
                source="triage",
                exercise_id=exercise.id,
                class_id=payload.class_id,
                topic_id=exercise.topic,
                title=exercise.title,
            ),
            partition_key=payload.class_id,
        )
    outbox.wake()
    return Published(published=True)


@activity(wf_publishing.COMPENSATE)
async def compensate_publication(payload: CompensateInput) -> PublicationStatus:
    """Unindex and return the exercise to draft; the publication keeps the reason."""
    exercise_id, reason = payload.exercise_id, payload.reason
    async with database() as conn:
        found = await exercises.get_custom_exercise(conn, exercise_id=exercise_id)
        if found is None:
            return PublicationStatus(status="missing")
        await store.unindex_exercise(conn, exercise_id=exercise_id)
        if found.status is S.VALIDATING:  # the lifecycle goes back to draft through failed
            await exercises.set_custom_exercise_status(
                conn, exercise_id=exercise_id, status=S.FAILED, failure_reason=reason
            )
        if found.status is not S.DRAFT:
            await exercises.set_custom_exercise_status(
                conn, exercise_id=exercise_id, status=S.DRAFT
            )
        await store.set_publication_status(
            conn, exercise_id=exercise_id, status="draft", reason=reason
        )
    return PublicationStatus(status=S.DRAFT.value)
