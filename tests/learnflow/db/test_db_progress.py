"""Progress: stored mastery recomputed from the attempts tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from learnflow.db.models import Role
from learnflow.db.repos import attempts, classes, progress, submissions
from learnflow.progress.mastery import Level, level_for
from tests.learnflow.db.factories import make_user

TODAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
YESTERDAY = NOON - timedelta(days=1)


async def test_recompute_progress_from_attempts(conn: psycopg.AsyncConnection) -> None:
    maya = await make_user(conn, Role.STUDENT, "Maya")
    sid, topic = maya.id, "control-flow"
    graded = [  # (exercise, topic, score, when)
        ("control-flow.a", topic, 60, YESTERDAY),
        ("control-flow.a", topic, 100, YESTERDAY),  # the best of .a counts once
        ("control-flow.b", topic, 80, NOON),
        ("basics.x", "basics", 100, NOON),  # another topic: ignored
    ]
    for exercise_id, on_topic, score, when in graded:
        await attempts.record_exercise_attempt(
            conn,
            student_id=sid,
            exercise_id=exercise_id,
            topic=on_topic,
            passed=score == 100,
            score=score,
            at=when,
        )
    await attempts.record_quiz_attempt(
        conn, student_id=sid, topic=topic, quiz_id="control-flow.quiz", score=4, total=5, at=NOON
    )
    for score in (70, 90):
        await submissions.record_review(conn, student_id=sid, topic=topic, quality_score=score)

    row = await progress.recompute_progress(conn, student_id=sid, topic=topic, today=TODAY)

    # exercises (100 + 80) / 5 = 36; quiz 80; quality 80; streak 2 days = 28.57
    # mastery = 0.4*36 + 0.3*80 + 0.2*80 + 0.1*28.57 = 57.257 → 57
    assert (row.exercise_score, row.quiz_score, row.code_quality_score) == (36.0, 80.0, 80.0)
    assert row.streak_days == 2
    assert (row.mastery, row.level) == (57, Level.LEARNING)
    assert row.last_activity_at == NOON
    assert await progress.get_progress(conn, student_id=sid, topic=topic) == row
    assert await progress.list_progress(conn, student_id=sid) == [row]


async def test_recomputing_without_new_attempts_changes_no_score(
    conn: psycopg.AsyncConnection,
) -> None:
    maya = await make_user(conn, Role.STUDENT)
    await attempts.record_quiz_attempt(
        conn, student_id=maya.id, topic="basics", quiz_id="basics.quiz", score=3, total=5
    )
    first = await progress.recompute_progress(conn, student_id=maya.id, topic="basics")
    second = await progress.recompute_progress(conn, student_id=maya.id, topic="basics")
    assert second.model_dump(exclude={"updated_at"}) == first.model_dump(exclude={"updated_at"})


async def test_a_topic_without_activity_is_zero_beginner(conn: psycopg.AsyncConnection) -> None:
    maya = await make_user(conn, Role.STUDENT)
    row = await progress.recompute_progress(conn, student_id=maya.id, topic="oop", today=TODAY)
    assert (row.mastery, row.level, row.streak_days, row.last_activity_at) == (
        0,
        Level.BEGINNER,
        0,
        None,
    )


async def test_the_database_level_check_agrees_with_level_for_at_every_score(
    conn: psycopg.AsyncConnection,
) -> None:
    maya = await make_user(conn, Role.STUDENT)
    for mastery in range(101):
        await conn.execute(
            "insert into progress (student_id, topic, mastery, level) values (%s, %s, %s, %s)",
            (maya.id, f"t{mastery}", mastery, level_for(mastery).value),
        )
    for mastery, wrong in [(40, "learning"), (41, "beginner"), (91, "proficient")]:
        with pytest.raises(psycopg.errors.CheckViolation):
            async with conn.transaction():
                await conn.execute(
                    "insert into progress (student_id, topic, mastery, level)"
                    " values (%s, 'wrong', %s, %s)",
                    (maya.id, mastery, wrong),
                )


async def test_class_progress_lists_enrolled_students_only(conn: psycopg.AsyncConnection) -> None:
    teacher = await make_user(conn, Role.TEACHER)
    maya = await make_user(conn, Role.STUDENT)
    outsider = await make_user(conn, Role.STUDENT)
    school_class = await classes.create_class(conn, name="Python 101", teacher_id=teacher.id)
    await classes.enroll(conn, class_id=school_class.id, student_id=maya.id)
    mine = await progress.recompute_progress(conn, student_id=maya.id, topic="basics")
    await progress.recompute_progress(conn, student_id=outsider.id, topic="basics")

    assert await progress.list_class_progress(conn, class_id=school_class.id) == [mine]


async def test_submissions_keep_bounded_excerpts_and_newest_first(
    conn: psycopg.AsyncConnection,
) -> None:
    maya = await make_user(conn, Role.STUDENT)
    long_output = "x" * (submissions.EXCERPT_CHARS + 10)
    first = await submissions.record_submission(
        conn, student_id=maya.id, code="print(1)", status="ok", stdout=long_output, duration_ms=5
    )
    second = await submissions.record_submission(
        conn,
        student_id=maya.id,
        code="1/0",
        status="error",
        stderr="ZeroDivisionError: division by zero",
        error_type="ZeroDivisionError",
        exercise_id="basics.x",
    )
    assert first.stdout_excerpt.startswith("x" * submissions.EXCERPT_CHARS)
    assert first.stdout_excerpt.endswith("[truncated: 10 more characters]")
    listed = await submissions.list_submissions(conn, student_id=maya.id)
    assert [s.id for s in listed] == [second.id, first.id]
    only = await submissions.list_submissions(conn, student_id=maya.id, exercise_id="basics.x")
    assert [s.id for s in only] == [second.id]
