"""Whose relay publishes a queued row: `OutboxSink`'s app, else the event's source."""

from __future__ import annotations

import psycopg

from learnflow import outbox
from learnflow.db.pool import open_pool
from learnflow.events import ProgressUpdated
from learnflow.outbox import OutboxSink


def progress(n: int, *, source: str) -> ProgressUpdated:
    return ProgressUpdated(
        id=outbox.derived_id("sink-test", str(n)),
        source=source,
        user_id="u-1",
        topic_id="control-flow",
        mastery=float(n),
        level="Beginner",
    )


async def owners(db_url: str) -> dict[str, str]:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute("select id, app_id from event_outbox")
        return dict(await cur.fetchall())


async def test_the_sink_queues_for_its_own_apps_relay(db_url: str) -> None:
    async with open_pool(db_url, max_size=1) as pool:
        await OutboxSink(pool, app_id="tutor").queue(progress(1, source="someone-else"))
    assert await owners(db_url) == {progress(1, source="").id: "tutor"}


async def test_a_row_added_without_an_app_is_for_the_events_source(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await outbox.add(conn, progress(1, source="debrief"))
        await outbox.add(conn, progress(2, source="debrief"), app_id="triage")
    assert await owners(db_url) == {
        progress(1, source="").id: "debrief",
        progress(2, source="").id: "triage",
    }
