"""`OutboxSink`: a request queues its events and goes on; publishing is the relay's business,
so a broker that hangs never holds a learner's reply."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import anyio
import psycopg

from learnflow import outbox
from learnflow.db.pool import open_pool
from learnflow.events import ProgressUpdated
from learnflow.outbox import BatchResult, OutboxSink, Relay, Row
from tests.waiting import eventually

APP = "debrief"


@dataclass
class FakeStalledBroker:
    """A fake publisher whose broker hangs until `release` is set, then takes every row."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    stalled: bool = False
    published: list[str] = field(default_factory=list)

    async def publish_batch(self, rows: Sequence[Row]) -> BatchResult:
        self.stalled = True
        await self.release.wait()
        self.published.extend(r.id for r in rows)
        return BatchResult(published=[r.id for r in rows])


def progress(n: int) -> ProgressUpdated:
    return ProgressUpdated(
        id=outbox.derived_id("sink-test", str(n)),
        source=APP,
        user_id="u-1",
        topic_id="control-flow",
        mastery=float(n),
        level="Beginner",
    )


async def pending_ids(db_url: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute(
            "select id from event_outbox where published_at is null order by seq"
        )
        return [row[0] for row in await cur.fetchall()]


async def test_queueing_returns_while_the_broker_hangs(db_url: str) -> None:
    broker = FakeStalledBroker()
    relay = Relay(app_id=APP, conninfo=db_url, publisher=broker, poll_s=3600)
    task = asyncio.create_task(relay.run())
    try:
        async with open_pool(db_url, max_size=2, name="sink-test") as pool:
            sink = OutboxSink(pool, app_id=APP)
            await eventually(lambda: asyncio.sleep(0, relay._wakeup), what="the relay runs")
            await sink.queue(progress(1))  # wakes the relay, whose publish then hangs
            await eventually(lambda: asyncio.sleep(0, broker.stalled), what="a hung publish")

            with anyio.fail_after(5):  # the next request is not held by the hung publish
                await sink.queue(progress(2))

            assert await pending_ids(db_url) == [progress(1).id, progress(2).id]
            broker.release.set()
            await eventually(
                lambda: asyncio.sleep(0, broker.published == [progress(1).id, progress(2).id]),
                what="the relay to publish both once the broker answers",
            )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
