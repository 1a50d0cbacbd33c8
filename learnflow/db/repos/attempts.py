"""Graded exercise attempts and quiz attempts: the inputs of mastery."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from learnflow.db.models import ExerciseAttempt, QuizAttempt
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all, insert_or_get
from learnflow.errors import InvalidInput, NotFound


async def record_exercise_attempt(
    conn: Conn,
    *,
    student_id: UUID,
    exercise_id: str,
    topic: str,
    passed: bool,
    score: float,
    tests_passed: int = 0,
    tests_total: int = 0,
    submission_id: UUID | None = None,
    event_id: str | None = None,
    at: datetime | None = None,
) -> ExerciseAttempt:
    """Store a graded attempt (score 0–100); a replayed `event_id` returns the stored row."""
    if not 0 <= score <= 100:
        raise InvalidInput(f"An exercise score is 0–100, got {score}")
    attempt, _ = await insert_or_get(
        conn,
        ExerciseAttempt,
        "insert into exercise_attempts (student_id, exercise_id, topic, submission_id, passed,"
        " score, tests_passed, tests_total, event_id, created_at)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " coalesce(%s::timestamptz, clock_timestamp()))"
        " on conflict (event_id) do nothing returning *",
        (
            student_id,
            exercise_id,
            topic,
            submission_id,
            passed,
            score,
            tests_passed,
            tests_total,
            event_id,
            at,
        ),
        select="select * from exercise_attempts where event_id = %s",
        select_params=(event_id,),
        vanished=NotFound(f"The attempt of event {event_id} vanished; retry"),
    )
    return attempt


async def record_quiz_attempt(
    conn: Conn,
    *,
    student_id: UUID,
    topic: str,
    quiz_id: str,
    score: int,
    total: int,
    answers: Any = None,
    event_id: str | None = None,
    at: datetime | None = None,
) -> QuizAttempt:
    """Store a quiz attempt (`score` of `total` questions right); idempotent on `event_id`."""
    if total <= 0 or not 0 <= score <= total:
        raise InvalidInput(f"A quiz score is between 0 and the total, got {score}/{total}")
    attempt, _ = await insert_or_get(
        conn,
        QuizAttempt,
        "insert into quiz_attempts (student_id, topic, quiz_id, score, total, answers, event_id,"
        " created_at) values (%s, %s, %s, %s, %s, %s, %s,"
        " coalesce(%s::timestamptz, clock_timestamp()))"
        " on conflict (event_id) do nothing returning *",
        (
            student_id,
            topic,
            quiz_id,
            score,
            total,
            None if answers is None else Jsonb(answers),
            event_id,
            at,
        ),
        select="select * from quiz_attempts where event_id = %s",
        select_params=(event_id,),
        vanished=NotFound(f"The quiz attempt of event {event_id} vanished; retry"),
    )
    return attempt


async def list_exercise_attempts(
    conn: Conn, *, student_id: UUID, topic: str | None = None, exercise_id: str | None = None
) -> list[ExerciseAttempt]:
    """Oldest first."""
    return await fetch_all(
        conn,
        ExerciseAttempt,
        "select * from exercise_attempts where student_id = %s"
        " and (%s::text is null or topic = %s) and (%s::text is null or exercise_id = %s)"
        " order by created_at, id",
        (student_id, topic, topic, exercise_id, exercise_id),
    )


async def list_quiz_attempts(
    conn: Conn, *, student_id: UUID, topic: str | None = None
) -> list[QuizAttempt]:
    """Oldest first."""
    return await fetch_all(
        conn,
        QuizAttempt,
        "select * from quiz_attempts where student_id = %s and (%s::text is null or topic = %s)"
        " order by created_at, id",
        (student_id, topic, topic),
    )
