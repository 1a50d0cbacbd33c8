"""Learning sessions at the edge: what a client sends, checked and turned into workflow input.

The client never decides what the workflow trusts: the server stamps each event's time, grades
quiz answers against the curriculum, spots "I'm stuck" in messages, and stores submitted code
(the workflow gets the submission's id, not the code, and grades it in the sandbox itself).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from learnflow.curriculum import load_catalog
from learnflow.db.models import ExerciseStatus
from learnflow.db.pool import Pool
from learnflow.db.repos import exercises, submissions
from learnflow.errors import InvalidInput, NotFound
from learnflow.progress.struggle import says_confused
from learnflow.settings import Settings
from learnflow.workflows.models import EventKind, SessionEvent, SessionMode, SessionState, Timings

ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,100}$"
MAX_CODE_CHARS = 64 * 1024


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: SessionMode = "practice"
    topic: str | None = Field(default=None, max_length=100, description="A module id.")
    exercise_ids: list[str] = Field(default_factory=list, max_length=50)
    time_limit_s: int | None = Field(
        default=None, ge=1, le=6 * 3600, description="Exam only; default from settings."
    )
    session_id: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="Client-chosen, so a retried request finds the same session.",
    )


class SessionEventIn(BaseModel):
    """One thing the learner did. `id` (client-chosen) makes a retried send count once."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, pattern=ID_PATTERN)
    kind: EventKind
    exercise_id: str | None = Field(default=None, max_length=200)
    text: str | None = Field(default=None, max_length=20000, description="message")
    hint: bool = Field(default=False, description="message: the learner asked for a hint")
    passed: bool | None = Field(default=None, description="code_run: did the program succeed")
    error_type: str | None = Field(default=None, max_length=100, description="code_run")
    code: str | None = Field(default=None, max_length=MAX_CODE_CHARS, description="submission")
    question_id: str | None = Field(default=None, max_length=200, description="quiz_answer")
    choice: int | None = Field(default=None, ge=0, description="quiz_answer: index of the choice")
    reason: str | None = Field(default=None, max_length=100, description="finalize")


class SessionPublic(BaseModel):
    session_id: str
    workflow_id: str
    runtime_status: str
    status: dict[str, Any] | None = None
    failure: str | None = None


class EventAccepted(BaseModel):
    session_id: str
    event_id: str
    kind: EventKind


def new_session(body: SessionCreate, *, student_id: UUID, settings: Settings) -> SessionState:
    catalog = load_catalog()
    if body.topic is not None:
        catalog.module(body.topic)  # NotFound: says which topics exist
    if body.mode == "practice" and body.time_limit_s is not None:
        raise InvalidInput("time_limit_s applies to exams only; leave it out for practice")
    started = datetime.now(UTC)
    limit = body.time_limit_s or settings.workflow_exam_time_limit_s
    return SessionState(
        session_id=body.session_id or str(uuid.uuid4()),
        student_id=str(student_id),
        mode=body.mode,
        topic=body.topic,
        exercise_ids=body.exercise_ids,
        started_at=started,
        deadline=started + timedelta(seconds=limit) if body.mode == "exam" else None,
        timings=Timings.from_settings(settings),
    )


async def _check_exercise(pool: Pool, exercise_id: str) -> None:
    try:
        load_catalog().exercise(exercise_id)
        return
    except NotFound:
        pass
    async with pool.connection() as conn:
        custom = await exercises.get_custom_exercise(conn, exercise_id=exercise_id)
    if custom is None or custom.status is not ExerciseStatus.READY:
        raise NotFound(
            f"no exercise {exercise_id!r}: use a curriculum exercise id (e.g. "
            "'control-flow.fizzbuzz') or a custom exercise that is ready"
        )


def _grade_answer(question_id: str, choice: int) -> tuple[bool, str]:
    catalog = load_catalog()
    for question in catalog.quiz_questions:
        if question.id == question_id:
            module = catalog.lesson(question.lesson).module
            return choice == question.answer, module
    raise NotFound(f"no quiz question {question_id!r} in the curriculum")


async def to_event(
    body: SessionEventIn,
    *,
    session_id: str,
    student_id: str,
    pool: Pool | None,
    at: datetime | None = None,
) -> SessionEvent:
    """The workflow's event for what the client sent (stores a submission's code first).

    `at` is when it happened: now for the HTTP route, the event's own time for one that waited
    in Kafka (producers there are LearnFlow's services, not clients).
    """
    event_id = body.id or str(uuid.uuid4())
    fields: dict[str, Any] = {
        "id": event_id,
        "kind": body.kind,
        "at": at or datetime.now(UTC),
        "exercise_id": body.exercise_id,
    }
    if body.kind == "message":
        fields |= {"hint": body.hint, "confused": bool(body.text and says_confused(body.text))}
    elif body.kind == "code_run":
        if body.passed is None:
            raise InvalidInput("a code_run needs passed (true when the program succeeded)")
        fields |= {"passed": body.passed, "error_type": body.error_type}
    elif body.kind == "submission":
        if not body.exercise_id or body.code is None:
            raise InvalidInput("a submission needs exercise_id and code")
        if pool is None:
            raise InvalidInput("submissions need the database, which this app runs without")
        await _check_exercise(pool, body.exercise_id)
        async with pool.connection() as conn:
            stored = await submissions.record_submission(
                conn,
                student_id=UUID(student_id),
                code=body.code,
                status="submitted",
                exercise_id=body.exercise_id,
                topic=body.exercise_id.split(".", 1)[0],
                event_id=f"session:{session_id}:submission:{event_id}",
            )
        fields["submission_id"] = str(stored.id)
    elif body.kind == "quiz_answer":
        if body.question_id is None or body.choice is None:
            raise InvalidInput("a quiz_answer needs question_id and choice")
        correct, module = _grade_answer(body.question_id, body.choice)
        fields |= {
            "question_id": body.question_id,
            "correct": correct,
            "quiz_topic": module,
            "choice": body.choice,
        }
    elif body.kind == "finalize":
        fields["reason"] = body.reason or "requested"
    return SessionEvent.model_validate(fields)
