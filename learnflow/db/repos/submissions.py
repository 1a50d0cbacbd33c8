"""Code submissions (every run of student code) and the tutor's code reviews of them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from learnflow.db.models import CodeReview, CodeSubmission
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all, fetch_one, insert_or_get
from learnflow.errors import NotFound

EXCERPT_CHARS = 4000
"""stdout/stderr are stored as excerpts: the first part, and a marker when truncated."""


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    if len(text) <= limit:
        return text
    marker = f"\n… [truncated: {len(text) - limit} more characters]"
    return text[:limit] + marker


async def record_submission(
    conn: Conn,
    *,
    student_id: UUID,
    code: str,
    status: str,
    exercise_id: str | None = None,
    topic: str | None = None,
    passed: bool | None = None,
    stdout: str = "",
    stderr: str = "",
    duration_ms: int | None = None,
    error_type: str | None = None,
    event_id: str | None = None,
    at: datetime | None = None,
) -> CodeSubmission:
    """Store one run; with an `event_id`, a replayed event returns the stored row unchanged."""
    submission, _ = await insert_or_get(
        conn,
        CodeSubmission,
        "insert into code_submissions (student_id, exercise_id, topic, code, status, passed,"
        " stdout_excerpt, stderr_excerpt, duration_ms, error_type, event_id, created_at)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " coalesce(%s::timestamptz, clock_timestamp()))"
        " on conflict (event_id) do nothing returning *",
        (
            student_id,
            exercise_id,
            topic,
            code,
            status,
            passed,
            excerpt(stdout),
            excerpt(stderr),
            duration_ms,
            error_type,
            event_id,
            at,
        ),
        select="select * from code_submissions where event_id = %s",
        select_params=(event_id,),
        vanished=NotFound(f"The submission of event {event_id} vanished; retry"),
    )
    return submission


async def get_submission(conn: Conn, *, submission_id: UUID) -> CodeSubmission | None:
    return await fetch_one(
        conn, CodeSubmission, "select * from code_submissions where id = %s", (submission_id,)
    )


async def list_submissions(
    conn: Conn, *, student_id: UUID, exercise_id: str | None = None, limit: int = 50
) -> list[CodeSubmission]:
    """The student's latest submissions, newest first (optionally for one exercise)."""
    return await fetch_all(
        conn,
        CodeSubmission,
        "select * from code_submissions where student_id = %s"
        " and (%s::text is null or exercise_id = %s)"
        " order by created_at desc, id desc limit %s",
        (student_id, exercise_id, exercise_id, limit),
    )


async def record_review(
    conn: Conn,
    *,
    student_id: UUID,
    topic: str,
    quality_score: float,
    submission_id: UUID | None = None,
    correctness: float | None = None,
    style: float | None = None,
    efficiency: float | None = None,
    readability: float | None = None,
    feedback: str = "",
    event_id: str | None = None,
    at: datetime | None = None,
) -> CodeReview:
    """Store a code review (scores 0–100); idempotent on `event_id` like `record_submission`."""
    review, _ = await insert_or_get(
        conn,
        CodeReview,
        "insert into code_reviews (submission_id, student_id, topic, quality_score, correctness,"
        " style, efficiency, readability, feedback, event_id, created_at)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " coalesce(%s::timestamptz, clock_timestamp()))"
        " on conflict (event_id) do nothing returning *",
        (
            submission_id,
            student_id,
            topic,
            quality_score,
            correctness,
            style,
            efficiency,
            readability,
            feedback,
            event_id,
            at,
        ),
        select="select * from code_reviews where event_id = %s",
        select_params=(event_id,),
        vanished=NotFound(f"The review of event {event_id} vanished; retry"),
    )
    return review
