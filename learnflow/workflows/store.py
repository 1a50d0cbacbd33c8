"""The tables the workflows own (migration 0006): ops alerts, publications, the exercise index.

Keyword-only async functions over a `Conn`, like `learnflow.db.repos`; the caller owns the
transaction. Every write is idempotent, because activities run at least once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from psycopg.types.json import Jsonb
from pydantic import JsonValue

from learnflow.db.models import AlertStatus, CustomExercise, Row
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all, fetch_one


class OpsAlert(Row):
    id: UUID
    source: str
    workflow: str
    instance_id: str
    step: str
    message: str
    details: dict[str, JsonValue]  # free-form: what the failing workflow recorded with it
    status: AlertStatus
    created_at: datetime


class Publication(Row):
    exercise_id: str
    class_id: UUID
    teacher_id: UUID
    instance_id: str
    status: str  # validating | ready | draft
    reason: str | None
    created_at: datetime
    updated_at: datetime


class IndexHit(Row):
    exercise_id: str
    topic: str
    difficulty: str
    title: str
    rank: float


async def open_ops_alert(
    conn: Conn,
    *,
    workflow: str,
    instance_id: str,
    step: str,
    message: str,
    details: Mapping[str, JsonValue] | None = None,
    source: str = "workflow",
) -> bool:
    """Open the alert of a failed step; True if new (a replay of the same step adds nothing)."""
    cur = await conn.execute(
        "insert into ops_alerts (source, workflow, instance_id, step, message, details)"
        " values (%s, %s, %s, %s, %s, %s) on conflict (instance_id, step) do nothing",
        (source, workflow, instance_id, step, message, Jsonb(dict(details or {}))),
    )
    return cur.rowcount == 1


async def list_ops_alerts(
    conn: Conn, *, instance_id: str | None = None, open_only: bool = True, limit: int = 100
) -> list[OpsAlert]:
    return await fetch_all(
        conn,
        OpsAlert,
        "select id, source, workflow, instance_id, step, message, details, status, created_at"
        " from ops_alerts where (%(i)s::text is null or instance_id = %(i)s)"
        " and (not %(o)s or status = 'open') order by created_at desc limit %(l)s",
        {"i": instance_id, "o": open_only, "l": limit},
    )


async def resolve_ops_alert(conn: Conn, *, alert_id: UUID) -> bool:
    cur = await conn.execute(
        "update ops_alerts set status = 'resolved', resolved_at = now()"
        " where id = %s and status = 'open'",
        (alert_id,),
    )
    return cur.rowcount == 1


# --- publications --------------------------------------------------------------------------------


async def start_publication(
    conn: Conn, *, exercise_id: str, class_id: UUID, teacher_id: UUID, instance_id: str
) -> None:
    await conn.execute(
        "insert into exercise_publications (exercise_id, class_id, teacher_id, instance_id)"
        " values (%s, %s, %s, %s) on conflict (exercise_id) do update set"
        " class_id = excluded.class_id, instance_id = excluded.instance_id,"
        " status = 'validating', reason = null, updated_at = now()"
        " where exercise_publications.status <> 'ready'",
        (exercise_id, class_id, teacher_id, instance_id),
    )


async def set_publication_status(
    conn: Conn, *, exercise_id: str, status: str, reason: str | None = None
) -> None:
    await conn.execute(
        "update exercise_publications set status = %s, reason = %s, updated_at = now()"
        " where exercise_id = %s",
        (status, reason, exercise_id),
    )


async def get_publication(conn: Conn, *, exercise_id: str) -> Publication | None:
    return await fetch_one(
        conn,
        Publication,
        "select exercise_id, class_id, teacher_id, instance_id, status, reason, created_at,"
        " updated_at from exercise_publications where exercise_id = %s",
        (exercise_id,),
    )


# --- the tutor's index ---------------------------------------------------------------------------


async def index_exercise(conn: Conn, *, exercise: CustomExercise, class_id: UUID) -> None:
    await conn.execute(
        "insert into exercise_index (exercise_id, class_id, topic, difficulty, title, search)"
        " values (%(id)s, %(class)s, %(topic)s, %(difficulty)s, %(title)s,"
        " setweight(to_tsvector('english', %(title)s), 'A')"
        " || setweight(to_tsvector('english', %(prompt)s), 'B'))"
        " on conflict (exercise_id) do update set class_id = excluded.class_id,"
        " topic = excluded.topic, difficulty = excluded.difficulty, title = excluded.title,"
        " search = excluded.search, indexed_at = now()",
        {
            "id": exercise.id,
            "class": class_id,
            "topic": exercise.topic,
            "difficulty": exercise.difficulty.value,
            "title": exercise.title,
            "prompt": exercise.prompt,
        },
    )


async def unindex_exercise(conn: Conn, *, exercise_id: str) -> None:
    await conn.execute("delete from exercise_index where exercise_id = %s", (exercise_id,))


async def is_indexed(conn: Conn, *, exercise_id: str) -> bool:
    cur = await conn.execute("select 1 from exercise_index where exercise_id = %s", (exercise_id,))
    return await cur.fetchone() is not None


async def search_index(
    conn: Conn, *, class_id: UUID, query: str, topic: str | None = None, limit: int = 5
) -> list[IndexHit]:
    """Published custom exercises of a class matching `query`, best first (for the tutor)."""
    return await fetch_all(
        conn,
        IndexHit,
        "select exercise_id, topic, difficulty, title,"
        " ts_rank(search, websearch_to_tsquery('english', %(q)s)) as rank"
        " from exercise_index where class_id = %(c)s"
        " and (%(t)s::text is null or topic = %(t)s)"
        " and search @@ websearch_to_tsquery('english', %(q)s)"
        " order by rank desc, indexed_at desc limit %(l)s",
        {"q": query, "c": class_id, "t": topic, "l": limit},
    )
