"""Rows of LearnFlow's tables, as returned by the repositories (`learnflow.db.repos`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from learnflow.progress.mastery import Level
from learnflow.progress.struggle import StruggleTrigger


class Role(StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"
    ADMIN = "admin"


class Sender(StrEnum):
    STUDENT = "student"
    AGENT = "agent"
    SYSTEM = "system"


class AlertStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class ExerciseStatus(StrEnum):
    """Lifecycle of a teacher-authored exercise: validated through the sandbox before use."""

    DRAFT = "draft"
    VALIDATING = "validating"
    READY = "ready"
    FAILED = "failed"


class Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class User(Row):
    id: UUID
    email: str
    display_name: str
    role: Role
    # never serialised (model_dump / JSON) and never shown in reprs
    password_hash: str = Field(repr=False, exclude=True)
    created_at: datetime


class SchoolClass(Row):
    id: UUID
    name: str
    teacher_id: UUID
    created_at: datetime


class Conversation(Row):
    id: UUID
    student_id: UUID
    session_id: str | None
    topic: str | None
    title: str
    created_at: datetime
    updated_at: datetime


class Message(Row):
    id: UUID
    conversation_id: UUID
    sender: Sender
    agent: str | None
    content: str
    event_id: str | None
    created_at: datetime


class Progress(Row):
    student_id: UUID
    topic: str
    exercise_score: float
    quiz_score: float
    code_quality_score: float
    streak_days: int
    last_activity_at: datetime | None
    mastery: int
    level: Level
    updated_at: datetime


class CodeSubmission(Row):
    id: UUID
    student_id: UUID
    exercise_id: str | None
    topic: str | None
    code: str
    status: str
    passed: bool | None
    stdout_excerpt: str
    stderr_excerpt: str
    duration_ms: int | None
    error_type: str | None
    event_id: str | None
    created_at: datetime


class CodeReview(Row):
    id: UUID
    submission_id: UUID | None
    student_id: UUID
    topic: str
    quality_score: float
    correctness: float | None
    style: float | None
    efficiency: float | None
    readability: float | None
    feedback: str
    event_id: str | None
    created_at: datetime


class ExerciseAttempt(Row):
    id: UUID
    student_id: UUID
    exercise_id: str
    topic: str
    submission_id: UUID | None
    passed: bool
    score: float
    tests_passed: int
    tests_total: int
    event_id: str | None
    created_at: datetime


class QuizAttempt(Row):
    id: UUID
    student_id: UUID
    topic: str
    quiz_id: str
    score: int
    total: int
    answers: Any
    event_id: str | None
    created_at: datetime


class StruggleAlert(Row):
    id: UUID
    student_id: UUID
    topic: str | None
    trigger: StruggleTrigger
    detail: str
    status: AlertStatus
    episode_key: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: UUID | None


class Debrief(Row):
    id: UUID
    student_id: UUID
    conversation_id: UUID | None
    session_id: str | None
    summary: str
    details: dict[str, Any]
    created_at: datetime


class CustomExercise(Row):
    id: str
    author_id: UUID
    topic: str
    difficulty: Difficulty
    title: str
    prompt: str
    starter: str
    tests: str
    solution: str
    hints: list[dict[str, str]]
    request: str
    status: ExerciseStatus
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime
    review: str = "pending"  # pending | approved | rejected (the teacher's decision)
    origin: dict[str, Any] = Field(default_factory=dict)  # how it was made (generator family)


class Assignment(Row):
    id: UUID
    class_id: UUID
    exercise_id: str
    assigned_by: UUID
    assigned_at: datetime
    due_at: datetime | None
    student_id: UUID | None = None  # None: the whole class


class DeadLetterRecord(Row):
    """One dead-lettered event as the watcher recorded it (table `dead_letters`)."""

    topic: str
    event_id: str
    event_type: str | None
    event_source: str | None
    reason: str | None
    dead_lettered_by: str | None
    recorded_at: datetime
