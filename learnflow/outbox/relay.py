"""The relay: publishes an app's outbox rows, oldest first, whenever Kafka is reachable.

One relay runs in each app that writes events (started by `learnflow.outbox.hooks`). A round:

    begin;
      select pg_try_advisory_xact_lock(<outbox>, hashtext(app_id));   -- one relay per app
      select ... from event_outbox where app_id = ... and pending order by seq limit <batch>;
      -> publisher.publish_batch(rows)       (one bulk request per topic, rows in seq order)
      update ... published_at for each topic's published prefix (rows already published stay
                 as they are); attempts/last_error for each topic's first refused row
    commit;

Order holds per topic because a row is never marked past a gap: the first row of a topic that
fails is retried first, after a backoff, with every later row of its topic (see
`learnflow.outbox.publisher` for what the broker may have taken meanwhile). A crash between
publishing and the commit republishes the same ids, which consumers dedupe. Rows that break
their event contract can never be published and are set aside (kept, with the reason) instead
of holding back the rest.

The relay works on its own connection, never the request pool, and wakes when a writer in this
process calls `wake()` after its commit, or every `poll_s` for rows other processes wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from learnflow.db.pool import Conn
from learnflow.outbox import store
from learnflow.outbox.publisher import BatchResult, Publisher

log = logging.getLogger("learnflow.outbox")

#: First key of the relay's advisory lock ("outb"); the second is hashtext(app_id).
LOCK_CLASS = int.from_bytes(b"outb", "big")


# --- waking relays from writers ----------------------------------------------------------------

_relays: set[Relay] = set()
_relays_lock = threading.Lock()


def wake() -> None:
    """Tell this process's relays that rows were committed (call after the transaction).

    Safe from any thread or event loop (workflow activities run on their own loop)."""
    with _relays_lock:
        relays = list(_relays)
    for relay in relays:
        relay.wake()


# --- the relay ---------------------------------------------------------------------------------


@dataclass
class RelayStats:
    published: int = 0
    failed_attempts: int = 0
    set_aside: int = 0
    last_error: str | None = None
    last_published_at: float | None = None  # time.time()


class Relay:
    def __init__(
        self,
        *,
        app_id: str,
        conninfo: str,
        publisher: Publisher,
        batch_size: int = 100,
        poll_s: float = 1.0,
        backoff_s: tuple[float, float] = (0.25, 5.0),
        keep_published: timedelta = timedelta(days=1),
    ) -> None:
        self.app_id = app_id
        self.conninfo = conninfo
        self.publisher = publisher
        self.batch_size = batch_size
        self.poll_s = poll_s
        self.backoff_s = backoff_s
        self.keep_published = keep_published
        self.stats = RelayStats()
        self._conn: Conn | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._last_purge = 0.0
        self._round: asyncio.Lock | None = None  # one round at a time on the one connection

    # --- waking -------------------------------------------------------------------------------
    def wake(self) -> None:
        loop, wakeup = self._loop, self._wakeup
        if loop is None or wakeup is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is shutting down
            loop.call_soon_threadsafe(wakeup.set)

    # --- one round ----------------------------------------------------------------------------
    async def _connection(self) -> Conn:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = await psycopg.AsyncConnection.connect(
                self.conninfo, connect_timeout=5, application_name=f"outbox-relay:{self.app_id}"
            )
        return self._conn

    async def drain_once(self) -> BatchResult:
        """Publish one batch of pending rows (nothing if another relay of the app holds the
        lock). Raises `psycopg.Error` when the database is away."""
        if self._round is None:
            self._round = asyncio.Lock()
        async with self._round:
            return await self._round_locked()

    async def _round_locked(self) -> BatchResult:
        conn = await self._connection()
        async with conn.transaction():
            cur = await conn.execute(
                "select pg_try_advisory_xact_lock(%s, hashtext(%s))", (LOCK_CLASS, self.app_id)
            )
            locked = await cur.fetchone()
            if not locked or not locked[0]:
                return BatchResult()
            rows = await store.pending(conn, app_id=self.app_id, limit=self.batch_size)
            if not rows:
                return BatchResult()
            result = await self.publisher.publish_batch(rows)
            await store.mark_published(conn, ids=result.published)
            for failure in result.failures:
                if failure.permanent:
                    await store.set_aside(conn, event_id=failure.row.id, error=failure.error)
                else:
                    await store.record_failure(conn, event_id=failure.row.id, error=failure.error)
        self._count(result)
        return result

    async def drain(self) -> int:
        """Publish everything pending now, batch after batch; stops when a row cannot be
        published yet (rows set aside do not stop it). Returns how many were published."""
        published = 0
        while True:
            result = await self.drain_once()
            published += len(result.published)
            if result.retrying or result.handled < self.batch_size:
                return published

    def _count(self, result: BatchResult) -> None:
        if result.published:
            self.stats.published += len(result.published)
            self.stats.last_published_at = time.time()
        self.stats.failed_attempts += len(result.retrying)
        if result.retrying:
            self.stats.last_error = result.error
        for failure in result.set_aside:
            self.stats.set_aside += 1
            self.stats.last_error = failure.error
            log.error(
                "outbox row %s (%s) can never be published and was set aside: %s",
                failure.row.id,
                failure.row.topic,
                failure.error,
            )

    async def purge(self) -> int:
        conn = await self._connection()
        async with conn.transaction():
            older_than = datetime.now(UTC) - self.keep_published
            return await store.purge_published(conn, older_than=older_than)

    # --- forever ------------------------------------------------------------------------------
    async def run(self) -> None:
        """Publish until cancelled; every failure is logged once per outage and retried."""
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        with _relays_lock:
            _relays.add(self)
        delay = 0.0
        outage: str | None = None
        try:
            while True:
                if delay:
                    await asyncio.sleep(delay)  # a wake-up does not cut a backoff short
                else:
                    # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a
                    # cancellation that arrives as the event is set (a wake-up at shutdown),
                    # and the relay then never stops
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.poll_s):
                            await self._wakeup.wait()
                self._wakeup.clear()
                problem: str | None = None
                try:
                    result = await self.drain_once()
                    await self._maybe_purge()
                except (psycopg.Error, OSError) as exc:
                    await self._drop_connection()
                    result = BatchResult()
                    problem = f"the database is unreachable ({type(exc).__name__})"
                if result.retrying:
                    problem = result.error
                if problem is not None:
                    if outage is None:
                        log.warning(
                            "outbox of %s: cannot publish yet, will retry: %s", self.app_id, problem
                        )
                    outage = problem
                    low, high = self.backoff_s
                    delay = min(high, max(low, delay * 2))
                    continue
                if outage is not None:
                    log.info("outbox of %s: publishing again", self.app_id)
                    outage = None
                delay = 0.0
                if result.handled >= self.batch_size:
                    self._wakeup.set()  # more behind this batch: go on at once
        finally:
            with _relays_lock:
                _relays.discard(self)
            await self._drop_connection()

    async def _maybe_purge(self) -> None:
        if time.monotonic() - self._last_purge < 600:
            return
        self._last_purge = time.monotonic()
        purged = await self.purge()
        if purged:
            log.info("outbox of %s: forgot %d published row(s)", self.app_id, purged)

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def aclose(self) -> None:
        """Close the relay's database connection (a relay driven by `drain`, not `run`, e.g. a
        benchmark's; `run` closes it itself when cancelled)."""
        await self._drop_connection()
