"""The events debrief publishes, written to `event_outbox` inside the transaction of the effect
that caused them and published after it commits.

Ids are deterministic (`derived_id`): the same source event always yields the same outgoing ids,
so a handler that is retried after a failed publish, or a stale-row sweep that races it,
republishes the same ids and consumers dedupe them. Nothing is published for a transaction that
rolled back, and nothing committed is lost: a pending row is published by the next delivery of
its source event or by the periodic sweep (`flush_stale`).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from psycopg.types.json import Jsonb

from learnflow.db.pool import Conn, Pool
from learnflow.events import Event, parse_event, to_wire
from learnflow.sidecar import Sidecar

log = logging.getLogger("debrief.outbox")
NAMESPACE = uuid.UUID("2d0f4b8e-6c1a-4d57-9a0e-b3f5c7d1e2a4")


def derived_id(*parts: str) -> str:
    """A stable event id made of the parts (e.g. the source event id and a topic)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


async def add(conn: Conn, *, source_event_id: str, event: Event) -> None:
    """Queue `event` in the caller's transaction (a second add of the same id is a no-op)."""
    await conn.execute(
        "insert into event_outbox (id, source_event_id, topic, payload, created_at)"
        " values (%s, %s, %s, %s, clock_timestamp()) on conflict (id) do nothing",
        (event.id, source_event_id, event.topic, Jsonb(to_wire(event))),
    )  # clock_timestamp(), not now(): rows of one transaction are published in order


async def _publish_rows(pool: Pool, sidecar: Sidecar, rows: list[tuple[Any, ...]]) -> int:
    for event_id, topic, payload in rows:
        await sidecar.publish(parse_event(topic, payload))  # DependencyFailed -> caller retries
        async with pool.connection() as conn:
            await conn.execute(
                "update event_outbox set published_at = now() where id = %s", (event_id,)
            )
    return len(rows)


async def flush(pool: Pool, sidecar: Sidecar, *, source_event_id: str) -> int:
    """Publish what `source_event_id` queued and is not published yet; returns how many."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "select id, topic, payload from event_outbox"
            " where source_event_id = %s and published_at is null order by created_at, id",
            (source_event_id,),
        )
        rows = await cur.fetchall()
    return await _publish_rows(pool, sidecar, rows)


async def flush_stale(pool: Pool, sidecar: Sidecar, *, older_than_s: float = 30.0) -> int:
    """Publish rows left pending (a crash between commit and publish); returns how many."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "select id, topic, payload from event_outbox where published_at is null"
            " and created_at < now() - make_interval(secs => %s) order by created_at, id"
            " limit 500",
            (older_than_s,),
        )
        rows = await cur.fetchall()
    if rows:
        log.info("publishing %d event(s) left in the outbox", len(rows))
    return await _publish_rows(pool, sidecar, rows)
