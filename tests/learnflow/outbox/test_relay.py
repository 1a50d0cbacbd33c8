"""The outbox: rows written in the effect's transaction, published in order by one relay per
app, held back (never skipped) while the broker is away, set aside only when unpublishable.
(The bulk publisher's ordering and partial failures: test_relay_bulk.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg

from learnflow import outbox
from learnflow.events import ProgressUpdated, StruggleDetected
from learnflow.outbox import BatchResult, Failure, Relay, Row
from learnflow.testing import FakeSidecar
from tests.waiting import eventually


@dataclass
class ScriptedBroker:
    """A publisher that records what it published; `down` makes every publish fail."""

    published: list[str] = field(default_factory=list)
    down: bool = False
    calls: int = 0

    async def publish_batch(self, rows: Sequence[Row]) -> BatchResult:
        self.calls += 1
        result = BatchResult()
        for n, row in enumerate(rows):
            if self.down:
                result.failures.append(Failure(row, "the broker is unreachable"))
                result.held_back.extend(r.id for r in rows[n + 1 :])
                return result
            result.published.append(row.id)
            self.published.append(row.id)
        return result


def progress(n: int, *, app: str = "debrief") -> ProgressUpdated:
    return ProgressUpdated(
        id=outbox.derived_id("test", app, str(n)),
        source=app,
        user_id="u-1",
        topic_id="control-flow",
        mastery=float(n),
        level="Beginner",
    )


async def queue(db_url: str, *events: ProgressUpdated) -> None:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        for event in events:
            await outbox.add(conn, event)


async def pending(db_url: str) -> list[tuple[str, int, bool]]:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute(
            "select id, attempts, last_error is not null from event_outbox"
            " where published_at is null and failed_at is null order by seq"
        )
        return await cur.fetchall()


def relay(db_url: str, broker: ScriptedBroker, app: str = "debrief", **kw: object) -> Relay:
    return Relay(app_id=app, conninfo=db_url, publisher=broker, **kw)  # type: ignore[arg-type]


async def test_rows_are_published_in_the_order_they_were_written(db_url: str) -> None:
    events = [progress(n) for n in range(7)]
    await queue(db_url, *events)
    broker = ScriptedBroker()

    published = await relay(db_url, broker, batch_size=3).drain()

    assert published == 7
    assert broker.published == [e.id for e in events]
    assert await pending(db_url) == []


async def test_a_rolled_back_transaction_queues_nothing(db_url: str) -> None:
    conn = await psycopg.AsyncConnection.connect(db_url)
    async with conn, conn.transaction(force_rollback=True):
        await outbox.add(conn, progress(1))
    broker = ScriptedBroker()
    assert await relay(db_url, broker).drain() == 0
    assert broker.published == []


async def test_the_same_id_is_queued_once(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        assert await outbox.add(conn, progress(1)) is True
        assert await outbox.add(conn, progress(1)) is False  # a retried request


async def test_while_the_broker_is_away_nothing_is_skipped_and_order_holds(db_url: str) -> None:
    await queue(db_url, progress(1), progress(2))
    broker = ScriptedBroker(down=True)
    the_relay = relay(db_url, broker)

    for _ in range(3):
        result = await the_relay.drain_once()
        assert [f.row.id for f in result.retrying] == [progress(1).id]
        assert result.held_back == [progress(2).id]

    assert broker.published == []
    assert await pending(db_url) == [(progress(1).id, 3, True), (progress(2).id, 0, False)]
    await queue(db_url, progress(3))  # work goes on being accepted
    broker.down = False

    await the_relay.drain()

    assert broker.published == [progress(n).id for n in (1, 2, 3)]
    assert await pending(db_url) == []
    assert the_relay.stats.failed_attempts == 3 and the_relay.stats.published == 3


async def test_a_row_that_breaks_its_contract_is_set_aside_not_blocking(db_url: str) -> None:
    await queue(db_url, progress(1), progress(2))
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await conn.execute(
            "update event_outbox set payload = payload - 'mastery' where id = %s",
            (progress(1).id,),
        )
    sidecar = FakeSidecar()
    the_relay = Relay(app_id="debrief", conninfo=db_url, publisher=outbox.SidecarPublisher(sidecar))

    await the_relay.drain()  # one round: the bad row does not hold back the good one

    assert [e.id for e in sidecar.published] == [progress(2).id]
    assert the_relay.stats.set_aside == 1
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute("select last_error from event_outbox where failed_at is not null")
        (reason,) = await cur.fetchone() or ("",)
    assert "does not match its contract" in reason
    backlog = await outbox_backlog(db_url)
    assert (backlog.pending, backlog.published, backlog.set_aside) == (0, 1, 1)


async def outbox_backlog(db_url: str) -> outbox.Backlog:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        return await outbox.backlog(conn, app_id="debrief")


async def test_each_app_relays_only_its_own_rows(db_url: str) -> None:
    await queue(db_url, progress(1, app="debrief"), progress(2, app="tutor"))
    debrief, tutor = ScriptedBroker(), ScriptedBroker()

    await relay(db_url, debrief, "debrief").drain()
    await relay(db_url, tutor, "tutor").drain()

    assert debrief.published == [progress(1, app="debrief").id]
    assert tutor.published == [progress(2, app="tutor").id]


async def test_two_relays_of_one_app_never_publish_the_same_rows(db_url: str) -> None:
    await queue(db_url, *(progress(n) for n in range(40)))
    first, second = ScriptedBroker(), ScriptedBroker()
    relays = [relay(db_url, first, batch_size=5), relay(db_url, second, batch_size=5)]

    while await pending(db_url):
        await asyncio.gather(*(r.drain_once() for r in relays))

    assert sorted(first.published + second.published) == sorted(progress(n).id for n in range(40))
    assert not set(first.published) & set(second.published)


async def test_a_running_relay_publishes_as_soon_as_it_is_woken(db_url: str) -> None:
    broker = ScriptedBroker()
    the_relay = relay(db_url, broker, poll_s=3600)  # only a wake-up can make it look
    task = asyncio.create_task(the_relay.run())
    try:
        await eventually(lambda: asyncio.sleep(0, the_relay._wakeup), what="the relay runs")
        await queue(db_url, progress(1))
        outbox.wake()

        await eventually(
            lambda: asyncio.sleep(0, broker.published == [progress(1).id]),
            timeout_s=10,
            what="the woken relay to publish",
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_running_relay_retries_until_the_broker_is_back(db_url: str) -> None:
    await queue(db_url, progress(1))
    broker = ScriptedBroker(down=True)
    the_relay = relay(db_url, broker, backoff_s=(0.01, 0.05))
    task = asyncio.create_task(the_relay.run())
    try:
        await eventually(lambda: asyncio.sleep(0, broker.calls >= 3), what="a few failed attempts")
        broker.down = False
        await eventually(
            lambda: asyncio.sleep(0, broker.published == [progress(1).id]),
            what="the relay to publish once the broker is back",
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_struggle_alerts_keep_their_partition_key(db_url: str) -> None:
    alert = StruggleDetected(
        id="alert-1", source="debrief", user_id="u-9", trigger="repeated_error", episode_key="k"
    )
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await outbox.add(conn, alert, partition_key="class-1")
    rows: list[Row] = []

    class Recorder:
        async def publish_batch(self, batch: Sequence[Row]) -> BatchResult:
            rows.extend(batch)
            return BatchResult(published=[r.id for r in batch])

    await Relay(app_id="debrief", conninfo=db_url, publisher=Recorder()).drain()

    assert [(r.id, r.topic, r.partition_key) for r in rows] == [
        ("alert-1", "struggle.detected", "class-1")
    ]
