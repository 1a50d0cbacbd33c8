"""How the relay hands a batch of outbox rows to the broker, and what it learns back.

`SidecarPublisher` publishes through the app's sidecar with Dapr's bulk publish API: the rows
of each topic go out in seq order, one request per topic (`BULK_MAX_ENTRIES` at most), and
daprd's Kafka component sends a request's entries to the producer in entry order. A refused
entry keeps its row and every later row of the same topic pending, so the relay never marks a
row past a gap: the next round sends them again, in order, from the refused one.

The broker may still have taken some of those later rows (Kafka answers per entry); they are
then published twice, and consumers, which dedupe by event id, apply the first copy. On Kafka
such a later row then precedes the refused one: per-key order on the wire holds for every
request without a refusal, as with `publish` one by one, but not across a partial refusal.
The ordering scope is the topic: Kafka orders a topic's partition, daprd delivers each topic's
subscription on its own, so publish order across topics was never an order a consumer saw;
a topic that cannot be published does not hold back the app's other topics.

`bulk=False` publishes one by one (`Sidecar.publish`, waiting for each answer), stopping a
topic at its first failure: the old way, kept for the benchmark's comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from learnflow.errors import InvalidInput, LearnFlowError
from learnflow.events import Event, parse_event
from learnflow.outbox.store import Row
from learnflow.sidecar import BULK_MAX_ENTRIES, BulkPublishResult


@dataclass(frozen=True)
class Failure:
    """A row that was not published: retried first next round, or, when `permanent` (it
    breaks its event contract), set aside so it never holds back the rest."""

    row: Row
    error: str
    permanent: bool = False


@dataclass
class BatchResult:
    """What `publish_batch` did with the rows it was given: each row is published, failed
    (at most one transient failure per topic: the first refused row) or held back (behind a
    refused row of its topic; the broker may or may not have taken it)."""

    published: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    held_back: list[str] = field(default_factory=list)

    @property
    def retrying(self) -> list[Failure]:
        """The failures the relay retries (the broker or daprd said no for now)."""
        return [f for f in self.failures if not f.permanent]

    @property
    def set_aside(self) -> list[Failure]:
        return [f for f in self.failures if f.permanent]

    @property
    def error(self) -> str:
        """The first transient failure's error ('' when none)."""
        return next((f.error for f in self.retrying), "")

    @property
    def handled(self) -> int:
        return len(self.published) + len(self.failures) + len(self.held_back)


class Publisher(Protocol):
    async def publish_batch(self, rows: Sequence[Row]) -> BatchResult: ...


class PubSub(Protocol):
    """What the publisher needs of a sidecar: `learnflow.sidecar.Sidecar`, or in unit tests
    `learnflow.testing.FakeSidecar`."""

    async def publish(self, event: Event, *, partition_key: str | None = None) -> None: ...

    async def publish_bulk(
        self,
        events: Sequence[Event],
        *,
        partition_keys: Mapping[str, str] | None = None,
        attempts: int = 3,
        backoff_s: float = 0.2,
    ) -> BulkPublishResult: ...


class SidecarPublisher:
    """Publishes rows through the app's sidecar (or a function returning it, looked up at each
    batch so a test can swap the sidecar), with the bulk API unless `bulk=False`."""

    def __init__(self, sidecar: PubSub | Callable[[], PubSub], *, bulk: bool = True) -> None:
        self._sidecar = sidecar
        self.bulk = bulk

    @property
    def sidecar(self) -> PubSub:
        return self._sidecar() if callable(self._sidecar) else self._sidecar

    async def publish_batch(self, rows: Sequence[Row]) -> BatchResult:
        result = BatchResult()
        by_topic: dict[str, list[tuple[Row, Event]]] = {}
        for row in rows:
            try:
                event = parse_event(row.topic, row.payload)
            except InvalidInput as exc:
                result.failures.append(Failure(row, exc.message, permanent=True))
                continue
            by_topic.setdefault(row.topic, []).append((row, event))
        for topic_rows in by_topic.values():
            if self.bulk:
                await self._bulk(topic_rows, result)
            else:
                await self._one_by_one(topic_rows, result)
        return result

    async def _bulk(self, topic_rows: list[tuple[Row, Event]], result: BatchResult) -> None:
        sidecar = self.sidecar
        for start in range(0, len(topic_rows), BULK_MAX_ENTRIES):
            chunk = topic_rows[start : start + BULK_MAX_ENTRIES]
            keys = {row.id: row.partition_key for row, _ in chunk if row.partition_key}
            # one attempt: daprd's resiliency policy already retried refused entries, and a
            # retry here would put a refused entry behind the later ones the broker took
            sent = await sidecar.publish_bulk(
                [event for _, event in chunk], partition_keys=keys, attempts=1
            )
            for n, (row, _) in enumerate(chunk):
                if row.id in sent.failed:
                    result.failures.append(Failure(row, sent.failed[row.id]))
                    result.held_back.extend(r.id for r, _ in topic_rows[start + n + 1 :])
                    return
                result.published.append(row.id)

    async def _one_by_one(self, topic_rows: list[tuple[Row, Event]], result: BatchResult) -> None:
        sidecar = self.sidecar
        for n, (row, event) in enumerate(topic_rows):
            try:
                await sidecar.publish(event, partition_key=row.partition_key)
            except LearnFlowError as exc:
                result.failures.append(Failure(row, exc.message))
                result.held_back.extend(r.id for r, _ in topic_rows[n + 1 :])
                return
            result.published.append(row.id)
