"""Progress per student per topic: stored mastery, recomputed from the attempts tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from learnflow.db.models import Progress
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all, fetch_one
from learnflow.progress.mastery import (
    ExerciseResult,
    MasteryBreakdown,
    MasteryInputs,
    QuizResult,
    compute_mastery,
)

# Activity on a topic: any graded attempt, quiz attempt or code submission; days are UTC dates.
_ACTIVITY = """
    select created_at from exercise_attempts where student_id = %(s)s and topic = %(t)s
    union all
    select created_at from quiz_attempts where student_id = %(s)s and topic = %(t)s
    union all
    select created_at from code_submissions where student_id = %(s)s and topic = %(t)s
"""


async def get_progress(conn: Conn, *, student_id: UUID, topic: str) -> Progress | None:
    return await fetch_one(
        conn,
        Progress,
        "select * from progress where student_id = %s and topic = %s",
        (student_id, topic),
    )


async def list_progress(conn: Conn, *, student_id: UUID) -> list[Progress]:
    return await fetch_all(
        conn, Progress, "select * from progress where student_id = %s order by topic", (student_id,)
    )


async def list_class_progress(conn: Conn, *, class_id: UUID) -> list[Progress]:
    """Progress rows of every student enrolled in the class."""
    return await fetch_all(
        conn,
        Progress,
        "select p.* from progress p join enrollments e on e.student_id = p.student_id"
        " where e.class_id = %s order by p.student_id, p.topic",
        (class_id,),
    )


async def upsert_progress(
    conn: Conn,
    *,
    student_id: UUID,
    topic: str,
    breakdown: MasteryBreakdown,
    last_activity_at: datetime | None,
) -> Progress:
    c = breakdown.components
    row = await fetch_one(
        conn,
        Progress,
        "insert into progress as p (student_id, topic, exercise_score, quiz_score,"
        " code_quality_score, streak_days, last_activity_at, mastery, level, updated_at)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, now())"
        " on conflict (student_id, topic) do update set"
        " exercise_score = excluded.exercise_score, quiz_score = excluded.quiz_score,"
        " code_quality_score = excluded.code_quality_score,"
        " streak_days = excluded.streak_days, last_activity_at = excluded.last_activity_at,"
        " mastery = excluded.mastery, level = excluded.level, updated_at = now()"
        " returning *",
        (
            student_id,
            topic,
            c.exercises,
            c.quizzes,
            c.code_quality,
            breakdown.streak_days,
            last_activity_at,
            breakdown.mastery,
            breakdown.level.value,
        ),
    )
    if row is None:  # pragma: no cover - insert ... returning always returns the row
        raise RuntimeError("upsert into progress returned no row")
    return row


async def load_mastery_inputs(
    conn: Conn, *, student_id: UUID, topic: str
) -> tuple[MasteryInputs, datetime | None]:
    """Everything mastery needs for one topic, and the time of the latest activity on it."""
    params = {"s": student_id, "t": topic}
    cur = await conn.execute(
        "select exercise_id, max(score) from exercise_attempts"
        " where student_id = %(s)s and topic = %(t)s group by exercise_id",
        params,
    )
    exercises = [ExerciseResult(exercise_id=e, score=float(s)) for e, s in await cur.fetchall()]
    cur = await conn.execute(
        "select score, total from quiz_attempts where student_id = %(s)s and topic = %(t)s",
        params,
    )
    quizzes = [QuizResult(score=s, total=t) for s, t in await cur.fetchall()]
    cur = await conn.execute(
        "select quality_score from code_reviews where student_id = %(s)s and topic = %(t)s"
        " order by created_at, id",
        params,
    )
    reviews = [float(q) for (q,) in await cur.fetchall()]
    cur = await conn.execute(
        "select distinct (created_at at time zone 'UTC')::date, max(created_at) over ()"
        f" from ({_ACTIVITY}) a",
        params,
    )
    rows = await cur.fetchall()
    days = frozenset(day for day, _ in rows)
    last = rows[0][1] if rows else None
    inputs = MasteryInputs(
        exercises=exercises, quizzes=quizzes, review_scores=reviews, active_days=days
    )
    return inputs, last


async def recompute_progress(
    conn: Conn, *, student_id: UUID, topic: str, today: date | None = None
) -> Progress:
    """Recompute and store the topic's mastery from the attempts tables (safe to repeat).

    `today` (a UTC date) anchors the streak; default: today in UTC.
    """
    inputs, last = await load_mastery_inputs(conn, student_id=student_id, topic=topic)
    if today is None:
        today = datetime.now(UTC).date()
    breakdown = compute_mastery(inputs, today=today)
    return await upsert_progress(
        conn, student_id=student_id, topic=topic, breakdown=breakdown, last_activity_at=last
    )
