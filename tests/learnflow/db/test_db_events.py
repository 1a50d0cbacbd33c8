"""Idempotent event processing: the same event delivered twice changes nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

import anyio
import psycopg
import pytest
from psycopg import sql

from learnflow.db.models import Role
from learnflow.db.repos import alerts, attempts, events, progress
from learnflow.errors import InvalidInput
from learnflow.progress.struggle import StruggleTrigger
from tests.learnflow.db.factories import make_user

TODAY = date(2026, 3, 2)
AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Graded:
    """The fields of an `exercise.graded` event that the progress consumer uses."""

    id: str
    student_id: UUID
    exercise_id: str
    topic: str
    score: float


async def consume_graded(conn: psycopg.AsyncConnection, event: Graded) -> bool:
    """A progress consumer written the recommended way: dedupe and effect in one transaction."""
    async with conn.transaction():
        if not await events.mark_event_processed(conn, event_id=event.id, consumer="progress"):
            return False
        await attempts.record_exercise_attempt(
            conn,
            student_id=event.student_id,
            exercise_id=event.exercise_id,
            topic=event.topic,
            passed=event.score == 100,
            score=event.score,
            event_id=event.id,
            at=AT,
        )
        await progress.recompute_progress(
            conn, student_id=event.student_id, topic=event.topic, today=TODAY
        )
        return True


async def _count(conn: psycopg.AsyncConnection, table: str) -> int:
    cur = await conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(table)))
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def test_mark_event_processed_is_true_once_per_consumer(
    conn: psycopg.AsyncConnection,
) -> None:
    mark = events.mark_event_processed
    assert await mark(conn, event_id="evt-1", consumer="progress") is True
    assert await mark(conn, event_id="evt-1", consumer="progress") is False
    assert await mark(conn, event_id="evt-1", consumer="struggle") is True  # another consumer
    assert await events.is_event_processed(conn, event_id="evt-1", consumer="progress")
    assert not await events.is_event_processed(conn, event_id="evt-2", consumer="progress")


async def test_the_same_event_twice_changes_nothing(conn: psycopg.AsyncConnection) -> None:
    james = await make_user(conn, Role.STUDENT)
    event = Graded("evt-graded-1", james.id, "data-structures.squares", "data-structures", 80)

    assert await consume_graded(conn, event) is True
    before = await progress.get_progress(conn, student_id=james.id, topic=event.topic)
    assert await consume_graded(conn, event) is False
    after = await progress.get_progress(conn, student_id=james.id, topic=event.topic)

    assert after == before  # not even updated_at moved
    assert before is not None and before.exercise_score == 16.0
    assert await _count(conn, "exercise_attempts") == 1
    assert await _count(conn, "processed_events") == 1


async def test_a_failed_effect_leaves_the_event_unprocessed_for_the_retry(
    conn: psycopg.AsyncConnection,
) -> None:
    james = await make_user(conn, Role.STUDENT)
    bad = Graded("evt-graded-2", james.id, "basics.x", "basics", 150)  # score out of range
    with pytest.raises(InvalidInput, match="0–100"):
        await consume_graded(conn, bad)
    assert not await events.is_event_processed(conn, event_id=bad.id, consumer="progress")
    fixed = Graded(bad.id, james.id, "basics.x", "basics", 100)
    assert await consume_graded(conn, fixed) is True


async def test_concurrent_deliveries_apply_the_event_once(db_url: str) -> None:
    """Two consumer replicas get the same event at once: the second waits for the first's
    transaction on the dedupe row, then sees it processed."""
    async with await psycopg.AsyncConnection.connect(db_url) as setup:
        james = await make_user(setup, Role.STUDENT)
        await setup.commit()
    event = Graded("evt-graded-3", james.id, "basics.x", "basics", 100)

    first = await psycopg.AsyncConnection.connect(db_url)
    second = await psycopg.AsyncConnection.connect(db_url, autocommit=True)
    # pg_stat_activity is a per-transaction snapshot: watch from a connection of its own
    watcher = await psycopg.AsyncConnection.connect(db_url, autocommit=True)
    try:
        await first.execute("select 1")  # opens the first transaction
        assert await events.mark_event_processed(first, event_id=event.id, consumer="progress")
        pid_cur = await second.execute("select pg_backend_pid()")
        pid_row = await pid_cur.fetchone()
        assert pid_row is not None
        task = asyncio.create_task(consume_graded(second, event))
        with anyio.fail_after(10):  # wait until the second delivery blocks on the first
            while True:
                cur = await watcher.execute(
                    "select wait_event_type from pg_stat_activity where pid = %s", (pid_row[0],)
                )
                row = await cur.fetchone()
                if row is not None and row[0] == "Lock":
                    break
                await asyncio.sleep(0.01)
        await attempts.record_exercise_attempt(
            first,
            student_id=james.id,
            exercise_id=event.exercise_id,
            topic=event.topic,
            passed=True,
            score=100,
            event_id=event.id,
        )
        await first.commit()
        with anyio.fail_after(10):
            assert await task is False
        assert await _count(second, "exercise_attempts") == 1
    finally:
        for connection in (first, second, watcher):
            await connection.close()


async def test_a_struggle_episode_opens_one_alert_however_often_it_is_detected(
    conn: psycopg.AsyncConnection,
) -> None:
    james = await make_user(conn, Role.STUDENT)
    key = f"repeated_error:{james.id}:wrong_answer:2026-03-02T10:00:00.000000+00:00"

    alert, created = await alerts.open_alert(
        conn,
        student_id=james.id,
        trigger=StruggleTrigger.REPEATED_ERROR,
        episode_key=key,
        topic="data-structures",
        detail="wrong_answer 3 times",
    )
    again, created_again = await alerts.open_alert(
        conn,
        student_id=james.id,
        trigger=StruggleTrigger.REPEATED_ERROR,
        episode_key=key,
        topic="data-structures",
        detail="a redelivered event",
    )
    assert (created, created_again) == (True, False)
    assert again == alert
    assert await _count(conn, "struggle_alerts") == 1
