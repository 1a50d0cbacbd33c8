"""The transactional outbox every LearnFlow app publishes its events through.

    async with pool.connection() as conn, conn.transaction():
        ...the effect (rows of the request)...
        await outbox.add(conn, ExerciseGraded(id=outbox.derived_id(...), ...))
    outbox.wake()          # after the commit: the relay publishes at once

The event is stored with the effect or not at all, so a request is accepted whatever Kafka does;
the app's relay (`outbox_hooks`) publishes the rows, each topic's in order and in bulk, once the
broker is reachable. Event ids are deterministic where a request can be retried, so a retry
queues nothing new and consumers, which dedupe on the id, apply each event once.
"""

from learnflow.outbox.hooks import outbox_hooks
from learnflow.outbox.publisher import BatchResult, Failure, Publisher, SidecarPublisher
from learnflow.outbox.relay import Relay, wake
from learnflow.outbox.sink import EventSink, OutboxSink
from learnflow.outbox.store import Backlog, Row, add, backlog, derived_id

__all__ = [
    "Backlog",
    "BatchResult",
    "EventSink",
    "Failure",
    "OutboxSink",
    "Publisher",
    "Relay",
    "Row",
    "SidecarPublisher",
    "add",
    "backlog",
    "derived_id",
    "outbox_hooks",
    "wake",
]
