"""`EventSink`: how a request hands its events to the outbox when its effect is not a row of
LearnFlow's database.

The tutor's session state lives in the Dapr state store and a sandbox run changes nothing, so
their events get a transaction of their own (`OutboxSink.queue`), committed before the reply:
whatever a learner was told happened is queued, and the relay publishes it when Kafka is
reachable. Code whose effect *is* in the database calls `learnflow.outbox.add` inside that
transaction instead. Tests pass any object with the same `queue` method.
"""

from __future__ import annotations

from typing import Protocol

from learnflow.db.pool import Pool
from learnflow.events import Event
from learnflow.outbox.relay import wake
from learnflow.outbox.store import add


class EventSink(Protocol):
    async def queue(self, *events: Event, partition_key: str | None = None) -> None: ...


class OutboxSink:
    """Queues for the relay of `app_id` (the app's relay: `learnflow.outbox.hooks`)."""

    def __init__(self, pool: Pool, *, app_id: str) -> None:
        self.pool = pool
        self.app_id = app_id

    async def queue(self, *events: Event, partition_key: str | None = None) -> None:
        """Queue the events in one transaction (ids already queued are skipped), then wake the
        relay. A database outage raises `psycopg.OperationalError` (503 at the API)."""
        if not events:
            return
        async with self.pool.connection() as conn, conn.transaction():
            for event in events:
                await add(conn, event, partition_key=partition_key, app_id=self.app_id)
        wake()
