"""The relay with the bulk publisher, on the real throwaway PostgreSQL and `FakeSidecar`'s
scripted broker (a fake: it takes or refuses each entry, nothing reaches Kafka; the real
daprd path of `publish_bulk` is tests/integration/test_publish_bulk.py).

What must hold: each topic's rows go in one bulk request in seq order; a refused row and every
later row of its topic stay pending (the relay never marks past a gap) while other topics go
on; a crash between publishing and marking republishes the same ids, which a consumer that
dedupes by id applies once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg
import pytest

from learnflow import outbox
from learnflow.events import Event, ProgressUpdated, StruggleDetected
from learnflow.outbox import BatchResult, Relay, Row, SidecarPublisher
from learnflow.sidecar import BULK_MAX_ENTRIES
from learnflow.testing import BulkRequest, FakeSidecar

APP = "debrief"


def progress(n: int) -> ProgressUpdated:
    return ProgressUpdated(
        id=outbox.derived_id("bulk-test", str(n)),
        source=APP,
        user_id=f"u-{n % 3}",
        topic_id="control-flow",
        mastery=float(n % 100),
        level="Beginner",
    )


def alert(n: int) -> StruggleDetected:
    return StruggleDetected(
        id=outbox.derived_id("bulk-test", "alert", str(n)),
        source=APP,
        user_id="u-9",
        trigger="repeated_error",
        episode_key=f"k{n}",
    )


async def queue(db_url: str, *events: Event, partition_key: str | None = None) -> None:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        for event in events:
            await outbox.add(conn, event, partition_key=partition_key)


async def outbox_rows(db_url: str) -> list[tuple[str, bool, int]]:
    """(id, published, attempts) of every row, in seq order."""
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute(
            "select id, published_at is not null, attempts from event_outbox order by seq"
        )
        return await cur.fetchall()


def ids(events: Iterable[Event]) -> list[str]:
    return [e.id for e in events]


def applied(events: Iterable[Event]) -> list[str]:
    """What a consumer that dedupes by event id applies, in the order it applies it."""
    seen: dict[str, None] = {}
    for event in events:
        seen.setdefault(event.id, None)
    return list(seen)


def bulk_relay(db_url: str, sidecar: FakeSidecar, *, batch_size: int = 100) -> Relay:
    publisher = SidecarPublisher(sidecar)
    return Relay(app_id=APP, conninfo=db_url, publisher=publisher, batch_size=batch_size)


async def test_each_topic_goes_in_one_bulk_request_in_row_order(db_url: str) -> None:
    rows = [progress(0), alert(0), progress(1), progress(2), alert(1), progress(3)]
    for event in rows:  # one by one, to interleave the keyed alerts with the rest
        await queue(
            db_url, event, partition_key="class-1" if event.topic == alert(0).topic else None
        )
    sidecar = FakeSidecar()

    result = await bulk_relay(db_url, sidecar).drain_once()

    assert sidecar.bulk_requests == [
        BulkRequest("progress.updated", ids(progress(n) for n in range(4)), {}),
        BulkRequest(
            "struggle.detected",
            ids([alert(0), alert(1)]),
            {alert(0).id: "class-1", alert(1).id: "class-1"},
        ),
    ]
    assert sorted(result.published) == sorted(ids(rows))
    assert all(published for _, published, _ in await outbox_rows(db_url))


async def test_a_refused_row_and_the_rest_of_its_topic_stay_pending(db_url: str) -> None:
    await queue(db_url, progress(0), progress(1), progress(2), alert(0), progress(3))
    sidecar = FakeSidecar(refuse={progress(1).id: "kafka: broker not available"})
    relay = bulk_relay(db_url, sidecar)

    result = await relay.drain_once()

    assert [f.row.id for f in result.retrying] == [progress(1).id]
    assert result.held_back == ids([progress(2), progress(3)])
    assert result.error == "kafka: broker not available"
    # the other topic went on; nothing of progress.updated is marked past the gap, although
    # the broker took progress(2) and progress(3) (it answers per entry)
    assert await outbox_rows(db_url) == [
        (progress(0).id, True, 1),
        (progress(1).id, False, 1),
        (progress(2).id, False, 0),
        (alert(0).id, True, 1),
        (progress(3).id, False, 0),
    ]
    assert ids(sidecar.published) == ids([progress(0), progress(2), progress(3), alert(0)])
    assert relay.stats.failed_attempts == 1 and relay.stats.last_error == result.error

    sidecar.refuse.clear()  # the broker is back
    sidecar.bulk_requests.clear()
    assert await relay.drain() == 3

    # the next round starts at the refused row and sends the tail again, in order
    assert sidecar.bulk_requests == [
        BulkRequest("progress.updated", ids([progress(1), progress(2), progress(3)]), {})
    ]
    assert all(published for _, published, _ in await outbox_rows(db_url))
    assert sorted(applied(sidecar.published)) == sorted(
        ids([progress(0), progress(1), progress(2), progress(3), alert(0)])
    )


async def test_a_row_that_breaks_its_contract_does_not_hold_back_its_topic(
    db_url: str,
) -> None:
    await queue(db_url, progress(0), progress(1), progress(2))
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await conn.execute(
            "update event_outbox set payload = payload - 'mastery' where id = %s",
            (progress(1).id,),
        )
    sidecar = FakeSidecar()

    result = await bulk_relay(db_url, sidecar).drain_once()

    assert [f.row.id for f in result.set_aside] == [progress(1).id]
    assert sidecar.bulk_requests == [
        BulkRequest("progress.updated", ids([progress(0), progress(2)]), {})
    ]
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        assert (await outbox.backlog(conn, app_id=APP)).set_aside == 1


async def test_no_request_goes_out_past_a_refused_one(db_url: str) -> None:
    many = [progress(n) for n in range(2 * BULK_MAX_ENTRIES + 50)]
    await queue(db_url, *many)
    sidecar = FakeSidecar(refuse={many[BULK_MAX_ENTRIES + 10].id: "refused"})
    relay = bulk_relay(db_url, sidecar, batch_size=len(many))

    result = await relay.drain_once()

    # two requests of the three: the third would be past the gap
    assert [len(r.ids) for r in sidecar.bulk_requests] == [BULK_MAX_ENTRIES, BULK_MAX_ENTRIES]
    assert result.published == ids(many[: BULK_MAX_ENTRIES + 10])
    assert result.held_back == ids(many[BULK_MAX_ENTRIES + 11 :])

    sidecar.refuse.clear()
    await relay.drain()

    assert applied(e for e in sidecar.published if e.id in result.published) == result.published
    assert all(published for _, published, _ in await outbox_rows(db_url))


class CrashAfterPublishing:
    """Publishes, then kills the relay's database session before it can mark the rows (as if
    the app died right after the broker took them)."""

    def __init__(self, publisher: SidecarPublisher, db_url: str) -> None:
        self.publisher = publisher
        self.db_url = db_url

    async def publish_batch(self, rows: Sequence[Row]) -> BatchResult:
        result = await self.publisher.publish_batch(rows)
        async with await psycopg.AsyncConnection.connect(self.db_url, autocommit=True) as conn:
            await conn.execute(
                "select pg_terminate_backend(pid, 5000) from pg_stat_activity"
                " where application_name = %s",
                (f"outbox-relay:{APP}",),
            )
        return result


async def test_a_crash_between_publishing_and_marking_only_republishes(db_url: str) -> None:
    events = [progress(n) for n in range(5)]
    await queue(db_url, *events)
    sidecar = FakeSidecar()
    crashing = Relay(
        app_id=APP,
        conninfo=db_url,
        publisher=CrashAfterPublishing(SidecarPublisher(sidecar), db_url),
    )

    with pytest.raises(psycopg.OperationalError):
        await crashing.drain_once()

    assert ids(sidecar.published) == ids(events)  # on the broker, but not marked
    assert await outbox_rows(db_url) == [(e.id, False, 0) for e in events]

    assert await bulk_relay(db_url, sidecar).drain() == 5  # the restarted app's relay

    assert ids(sidecar.published) == ids(events) * 2  # the same ids again, in the same order
    assert applied(sidecar.published) == ids(events)  # each applied once, in order
    assert await outbox_rows(db_url) == [(e.id, True, 1) for e in events]


async def test_marking_a_published_row_again_changes_nothing(db_url: str) -> None:
    await queue(db_url, progress(0))
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await outbox.store.mark_published(conn, ids=[progress(0).id])
        cur = await conn.execute("select published_at, attempts from event_outbox")
        first = await cur.fetchone()
        await outbox.store.mark_published(conn, ids=[progress(0).id])
        cur = await conn.execute("select published_at, attempts from event_outbox")
        assert await cur.fetchone() == first


async def test_one_by_one_stops_a_topic_at_its_first_refused_row(db_url: str) -> None:
    await queue(db_url, progress(0), progress(1), progress(2), alert(0))
    sidecar = FakeSidecar(refuse={progress(1).id: "refused"})
    publisher = SidecarPublisher(sidecar, bulk=False)

    result = await Relay(app_id=APP, conninfo=db_url, publisher=publisher).drain_once()

    assert sidecar.bulk_requests == []
    assert ids(sidecar.published) == ids([progress(0), alert(0)])  # progress(2) never tried
    assert result.held_back == [progress(2).id]
