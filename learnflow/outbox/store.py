"""The `event_outbox` table: rows written in the effect's transaction, read back by the relay.

Writers call `add` inside their own transaction; the relay (`learnflow.outbox.relay`) reads
`pending` rows of its app in `seq` order and marks them `published` or `set_aside`. Nothing
here commits: the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from learnflow.db.pool import Conn
from learnflow.errors import ConfigurationError
from learnflow.events import Event, to_wire

NAMESPACE = uuid.UUID("2d0f4b8e-6c1a-4d57-9a0e-b3f5c7d1e2a4")


def derived_id(*parts: str) -> str:
    """A stable event id made of the parts (e.g. the source event id and a topic): a retried
    request or redelivered event writes the same ids again, and the second write is a no-op."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


@dataclass(frozen=True)
class Row:
    """One queued event, as the relay sees it."""

    seq: int
    id: str
    topic: str
    payload: dict[str, Any]
    partition_key: str | None
    attempts: int


async def add(
    conn: Conn,
    event: Event,
    *,
    source_event_id: str | None = None,
    partition_key: str | None = None,
    app_id: str | None = None,
) -> bool:
    """Queue `event` in the caller's transaction; False when its id is queued already.

    `app_id` (default: the event's source, which is the app that queues it) names the relay
    that publishes it; `source_event_id` records what caused it (an incoming event, a request),
    for tracing.
    """
    owner = app_id or event.source
    if not owner:
        raise ConfigurationError(
            "an outbox row needs the app that publishes it: pass app_id or set the event's source"
        )
    cur = await conn.execute(
        "insert into event_outbox (id, source_event_id, topic, payload, app_id, partition_key,"
        " created_at) values (%s, %s, %s, %s, %s, %s, clock_timestamp())"
        " on conflict (id) do nothing",
        (
            event.id,
            source_event_id or event.id,
            event.topic,
            Jsonb(to_wire(event)),
            owner,
            partition_key,
        ),
    )
    return cur.rowcount == 1


async def pending(conn: Conn, *, app_id: str, limit: int) -> list[Row]:
    cur = await conn.execute(
        "select seq, id, topic, payload, partition_key, attempts from event_outbox"
        " where app_id = %s and published_at is null and failed_at is null"
        " order by seq limit %s",
        (app_id, limit),
    )
    return [Row(*values) for values in await cur.fetchall()]


async def mark_published(conn: Conn, *, ids: list[str]) -> None:
    """Mark the rows published; a row marked already keeps its first mark (marking twice,
    e.g. after a redelivery, changes nothing)."""
    if ids:
        await conn.execute(
            "update event_outbox set published_at = clock_timestamp(), attempts = attempts + 1,"
            " last_error = null where id = any(%s) and published_at is null",
            (ids,),
        )


async def record_failure(conn: Conn, *, event_id: str, error: str) -> None:
    """A publish attempt failed (the broker or the sidecar is away): the row stays first."""
    await conn.execute(
        "update event_outbox set attempts = attempts + 1, last_error = %s where id = %s",
        (error[:500], event_id),
    )


async def set_aside(conn: Conn, *, event_id: str, error: str) -> None:
    """A row that can never be published (it breaks its contract): out of the queue, kept."""
    await conn.execute(
        "update event_outbox set failed_at = clock_timestamp(), attempts = attempts + 1,"
        " last_error = %s where id = %s",
        (error[:500], event_id),
    )


async def purge_published(conn: Conn, *, older_than: datetime) -> int:
    """Forget rows published before `older_than` (consumers dedupe within that window)."""
    cur = await conn.execute("delete from event_outbox where published_at < %s", (older_than,))
    return cur.rowcount


@dataclass(frozen=True)
class Backlog:
    """What an app's outbox holds: for `make status`, drills and tests."""

    pending: int
    published: int
    set_aside: int
    oldest_pending_at: datetime | None


async def backlog(conn: Conn, *, app_id: str | None = None) -> Backlog:
    cur = await conn.execute(
        "select count(*) filter (where published_at is null and failed_at is null),"
        " count(*) filter (where published_at is not null),"
        " count(*) filter (where failed_at is not null),"
        " min(created_at) filter (where published_at is null and failed_at is null)"
        " from event_outbox where %(app)s::text is null or app_id = %(app)s",
        {"app": app_id},
    )
    row = await cur.fetchone()
    assert row is not None
    return Backlog(*row)
