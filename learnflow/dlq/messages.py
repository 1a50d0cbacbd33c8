"""What a message on a dead-letter topic says, and the CloudEvent to publish again.

Two shapes reach `<topic>.dlq`:

- **daprd's own dead letter** (the app kept answering RETRY until the delivery retries ran out):
  the delivered CloudEvent itself, unchanged. No reason travels with it.
- **our poison handling** (`learnflow.api.pubsub`: the payload broke its contract, or the handler
  refused it with a 4xx): a CloudEvent daprd wrapped around `{"topic", "reason", "payload"}`,
  `payload` being the delivered body (the original CloudEvent) as text, `source` the app that
  dead-lettered it.

Pure functions on bytes: no Kafka, no HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DLQ_SUFFIX = ".dlq"
# fields daprd adds to a CloudEvent on delivery; it sets them again when the event is published
DELIVERY_FIELDS = ("topic", "pubsubname", "traceid", "traceparent", "tracestate")
REASON_WIDTH = 160


@dataclass(frozen=True)
class DeadLetter:
    """One message on a dead-letter topic."""

    dlq_topic: str
    partition: int
    offset: int
    event_id: str | None
    type: str | None
    source: str | None
    time: str | None
    reason: str | None  # one line; None when daprd dead-lettered it (no reason is carried)
    dead_lettered_by: str | None  # the app whose poison handling sent it, when known
    original: dict[str, Any] | None  # the CloudEvent to publish again; None if unrecoverable
    problem: str | None = None  # why it cannot be replayed

    @property
    def replayable(self) -> bool:
        return self.original is not None and self.event_id is not None

    def summary(self) -> dict[str, Any]:
        """The JSON-friendly view (`learnflow dlq list --json`)."""
        return {
            "event_id": self.event_id,
            "type": self.type,
            "source": self.source,
            "time": self.time,
            "reason": self.reason,
            "dead_lettered_by": self.dead_lettered_by,
            "partition": self.partition,
            "offset": self.offset,
            "replayable": self.replayable,
            "problem": self.problem,
        }


def is_dead_letter_topic(topic: str) -> bool:
    return topic.endswith(DLQ_SUFFIX) and len(topic) > len(DLQ_SUFFIX)


def original_topic(topic: str) -> str:
    """`code.executed.dlq` -> `code.executed` (a name without the suffix is returned as is)."""
    return topic[: -len(DLQ_SUFFIX)] if is_dead_letter_topic(topic) else topic


def one_line(text: str, width: int = REASON_WIDTH) -> str:
    """`text` on one line of at most `width` characters (pydantic's reasons span several)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _json_object(raw: bytes | str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _poison_body(envelope: dict[str, Any]) -> dict[str, Any] | None:
    data = envelope.get("data")
    if isinstance(data, str):
        data = _json_object(data)
    if isinstance(data, dict) and {"topic", "reason", "payload"} <= data.keys():
        return data
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _when(event: dict[str, Any], kafka_ms: int | None) -> str | None:
    """The CloudEvent's time, else the event's `occurred_at`, else when Kafka got the letter."""
    data = event.get("data")
    found = event.get("time") or (data.get("occurred_at") if isinstance(data, dict) else None)
    if found:
        return str(found)
    if kafka_ms is not None and kafka_ms > 0:
        return datetime.fromtimestamp(kafka_ms / 1000, UTC).isoformat()
    return None


def parse(
    dlq_topic: str, partition: int, offset: int, value: bytes | None, kafka_ms: int | None = None
) -> DeadLetter:
    """Read one dead-letter message; never raises (an unreadable one says why)."""
    envelope = _json_object(value)
    if envelope is None:
        return DeadLetter(
            dlq_topic, partition, offset, event_id=None, type=None, source=None,
            time=_when({}, kafka_ms), reason=None, dead_lettered_by=None, original=None,
            problem="the message is not a JSON object",
        )  # fmt: skip
    poison = _poison_body(envelope)
    original: dict[str, Any] | None
    if poison is None:  # daprd's dead letter: the delivered CloudEvent itself
        original, reason, by, problem = envelope, None, None, None
    else:
        reason = one_line(str(poison["reason"]))
        by = _text(envelope.get("source"))
        original = _json_object(poison["payload"])
        problem = None if original is not None else "its payload is not a JSON CloudEvent"
    event = original or {}
    event_id = _text(event.get("id"))
    if original is not None and event_id is None:
        problem, original = "its payload has no CloudEvent id", None
    return DeadLetter(
        dlq_topic,
        partition,
        offset,
        event_id=event_id,
        type=_text(event.get("type")),
        source=_text(event.get("source")),
        time=_when(event if event else envelope, kafka_ms),
        reason=reason,
        dead_lettered_by=by,
        original=original,
        problem=problem,
    )


def replay_envelope(original: dict[str, Any]) -> dict[str, Any]:
    """The CloudEvent to publish again: the original, same id, without daprd's delivery fields."""
    return {k: v for k, v in original.items() if k not in DELIVERY_FIELDS}


def partition_key(original: dict[str, Any]) -> str | None:
    """The key the producers use (`Sidecar.publish`): session, else user — keeps its order."""
    data = original.get("data")
    if not isinstance(data, dict):
        return None
    key = data.get("session_id") or data.get("user_id")
    return str(key) if key else None


def unique_by_event(letters: list[DeadLetter]) -> list[DeadLetter]:
    """One letter per event id (the same event dead-lettered twice is replayed once)."""
    seen: dict[str, DeadLetter] = {}
    for letter in letters:
        if letter.replayable and letter.event_id is not None:
            seen.setdefault(letter.event_id, letter)
    return list(seen.values())
