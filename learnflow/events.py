"""Versioned event contracts carried over Kafka through Dapr pub/sub.

Every event has an `id` (consumers dedupe on it), a `type` equal to its topic, and a `version`.
Consumers accept any version they know; a change that breaks readers bumps `version`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from learnflow.errors import InvalidInput


def _new_id() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Base of every event. Subclasses fix `topic` and add their payload fields."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    topic: ClassVar[str]
    id: str = Field(default_factory=_new_id, min_length=1, max_length=200)
    version: int = 1
    occurred_at: datetime = Field(default_factory=_now)
    source: str = Field(default="", description="Dapr app id that produced the event.")
    session_id: str | None = None
    user_id: str | None = None


class LearningRouted(Event):
    topic: ClassVar[str] = "learning.routed"
    message_id: str
    intent: str
    agent: str
    confidence: float = Field(ge=0, le=1)
    says_confused: bool = Field(
        default=False,
        description="The message says “I'm stuck” / “I don't understand” or a close variant "
        "(learnflow.progress.struggle.says_confused); the text itself stays with triage.",
    )


class LearningResponse(Event):
    topic: ClassVar[str] = "learning.response"
    message_id: str
    agent: str
    reply_chars: int = Field(ge=0)
    sources: list[str] = Field(default_factory=list)


class CodeSubmitted(Event):
    topic: ClassVar[str] = "code.submitted"
    submission_id: str
    exercise_id: str | None = None
    code_chars: int = Field(ge=0)


class CodeExecuted(Event):
    topic: ClassVar[str] = "code.executed"
    submission_id: str
    exercise_id: str | None = None
    status: str
    exit_code: int | None = None
    duration_ms: float = Field(ge=0)
    error_type: str | None = None
    topic_id: str | None = Field(
        default=None, description="Curriculum module of the exercise, when the producer knows it."
    )
    code: str | None = Field(
        default=None, max_length=65536, description="The code that ran (kept for teachers)."
    )


class ExerciseGraded(Event):
    topic: ClassVar[str] = "exercise.graded"
    submission_id: str
    exercise_id: str
    topic_id: str
    passed: bool
    tests_passed: int = Field(ge=0)
    tests_total: int = Field(ge=0)
    code_quality: float | None = Field(default=None, ge=0, le=100)
    error_type: str | None = Field(
        default=None, description="The exception type that failed the tests, if one did."
    )
    tests: list[dict[str, str]] = Field(
        default_factory=list, description="Each hidden test's name and status (pass/fail/error)."
    )


class ProgressUpdated(Event):
    topic: ClassVar[str] = "progress.updated"
    topic_id: str
    mastery: float = Field(ge=0, le=100)
    level: str


class StruggleDetected(Event):
    topic: ClassVar[str] = "struggle.detected"
    trigger: str
    topic_id: str | None = None
    exercise_id: str | None = None
    episode_key: str
    detail: str = ""
    alert_id: str | None = Field(default=None, description="The teacher alert it opened.")


class SessionStarted(Event):
    topic: ClassVar[str] = "session.started"
    mode: Literal["practice", "exam"]
    topic_id: str | None = None


class SessionFinalized(Event):
    topic: ClassVar[str] = "session.finalized"
    reason: str
    summary_id: str | None = None


SessionActivityKind = Literal[
    "message", "code_run", "submission", "quiz_answer", "heartbeat", "finalize"
]


class SessionActivity(Event):
    """Something a learner did in a running session, for its workflow (triage delivers it).

    Producers that must not block on triage (or that run while it is down) publish this; Kafka
    keeps it until triage's subscription delivers it, and the workflow dedupes on `id`.
    `data` holds the kind's fields, as in `POST /sessions/{id}/events`.
    """

    topic: ClassVar[str] = "session.activity"
    session_id: str = Field(min_length=1, max_length=100)
    kind: SessionActivityKind
    data: dict[str, Any] = Field(default_factory=dict)


class ExercisePublished(Event):
    """A teacher's custom exercise passed validation and is ready for the class."""

    topic: ClassVar[str] = "exercise.published"
    exercise_id: str
    class_id: str
    topic_id: str
    title: str


class QuizAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    question_id: str
    choice: int = Field(ge=0)
    correct: bool


class QuizCompleted(Event):
    """A learner answered every question of a quiz (the tutor publishes; debrief scores it)."""

    topic: ClassVar[str] = "quiz.completed"
    quiz_id: str = Field(min_length=1, max_length=100)
    topic_id: str
    score: int = Field(ge=0)
    total: int = Field(ge=1)
    answers: list[QuizAnswer] = Field(default_factory=list)


class ExerciseAssigned(Event):
    """A teacher assigned an exercise to a class or to chosen students (`student_ids`)."""

    topic: ClassVar[str] = "exercise.assigned"
    assignment_id: str
    class_id: str
    exercise_id: str
    title: str
    student_ids: list[str] = Field(description="Every student it is for (the class resolved).")
    teacher_name: str = ""
    due_at: datetime | None = None


class NotificationCreated(Event):
    """A notification was stored for `user_id` (debrief publishes; the web app pushes it live)."""

    topic: ClassVar[str] = "notification.created"
    notification_id: str
    kind: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.topic: cls
    for cls in (
        LearningRouted,
        LearningResponse,
        CodeSubmitted,
        CodeExecuted,
        ExerciseGraded,
        ProgressUpdated,
        StruggleDetected,
        SessionStarted,
        SessionFinalized,
        SessionActivity,
        ExercisePublished,
        QuizCompleted,
        ExerciseAssigned,
        NotificationCreated,
    )
}
TOPICS: tuple[str, ...] = tuple(EVENT_TYPES)

E = TypeVar("E", bound=Event)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


def parse_event(topic: str, data: Any) -> Event:
    """Parse a delivered payload into its contract; raises InvalidInput (-> DROP / dead letter)."""
    cls = EVENT_TYPES.get(topic)
    if cls is None:
        raise InvalidInput(f"unknown topic {topic!r}; known topics: {', '.join(TOPICS)}")
    return parse_as(cls, data)


def parse_as(cls: type[E], data: Any) -> E:
    """Parse a payload delivered on `cls.topic` into `cls`; raises InvalidInput otherwise."""
    topic = cls.topic
    if not isinstance(data, dict):
        raise InvalidInput(f"event on {topic!r} must be a JSON object, got {type(data).__name__}")
    try:
        return cls.model_validate(data)
    except ValueError as exc:
        raise InvalidInput(f"event on {topic!r} does not match its contract: {exc}") from exc


def to_wire(event: Event) -> dict[str, Any]:
    """The JSON body published for an event (the CloudEvent `data`)."""
    body = event.model_dump(mode="json")
    body["type"] = event.topic
    return body
