"""The dead letters debrief's watcher recorded: once per (dead-letter topic, event id).

Written by the watcher (`agents/debrief/dead_letters.py`); read by `GET /ops/dead-letters` and,
with `COUNTS_SQL` on a plain connection, by `learnflow status`.
"""

from __future__ import annotations

from learnflow.db.models import DeadLetterRecord
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all

COUNTS_SQL = "select topic, count(*) from dead_letters group by topic order by topic"


async def record_dead_letter(
    conn: Conn,
    *,
    topic: str,
    event_id: str,
    event_type: str | None,
    event_source: str | None,
    reason: str | None,
    dead_lettered_by: str | None,
) -> bool:
    """Record the letter; True if it is new, False if this event was already recorded there."""
    cur = await conn.execute(
        "insert into dead_letters"
        " (topic, event_id, event_type, event_source, reason, dead_lettered_by)"
        " values (%s, %s, %s, %s, %s, %s) on conflict do nothing",
        (topic, event_id, event_type, event_source, reason, dead_lettered_by),
    )
    return cur.rowcount == 1


async def dead_letter_counts(conn: Conn) -> dict[str, int]:
    """Dead-letter topic -> events recorded on it (topics with none are absent)."""
    cur = await conn.execute(COUNTS_SQL)
    return {topic: int(count) for topic, count in await cur.fetchall()}


async def recent_dead_letters(conn: Conn, *, limit: int) -> list[DeadLetterRecord]:
    """The latest `limit` letters, newest first."""
    return await fetch_all(
        conn,
        DeadLetterRecord,
        "select topic, event_id, event_type, event_source, reason, dead_lettered_by, recorded_at"
        " from dead_letters order by recorded_at desc, topic, event_id limit %s",
        (limit,),
    )
