"""Idempotent event consumers: record each (consumer, event id) in the effect's transaction.

    async with conn.transaction():
        if await mark_event_processed(conn, event_id=event.id, consumer="progress"):
            ...apply the effect...   # a redelivered event skips this; a crash rolls back both

Each consumer has its own name, so two consumers of one topic each see every event once.
"""

from __future__ import annotations

from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_value


async def mark_event_processed(conn: Conn, *, event_id: str, consumer: str) -> bool:
    """Record the event for this consumer; True if it is new, False if already processed."""
    cur = await conn.execute(
        "insert into processed_events (consumer, event_id) values (%s, %s) on conflict do nothing",
        (consumer, event_id),
    )
    return cur.rowcount == 1


async def is_event_processed(conn: Conn, *, event_id: str, consumer: str) -> bool:
    found = await fetch_value(
        conn,
        "select exists (select 1 from processed_events where consumer = %s and event_id = %s)",
        (consumer, event_id),
    )
    return bool(found)


async def forget_processed_events(conn: Conn, *, older_than_days: int) -> int:
    """Prune old dedupe rows (keep them longer than any redelivery window); returns the count."""
    cur = await conn.execute(
        "delete from processed_events where processed_at < now() - make_interval(days => %s)",
        (older_than_days,),
    )
    return cur.rowcount
