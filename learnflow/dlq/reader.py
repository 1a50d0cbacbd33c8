"""Reading dead-letter topics as Kafka's `ops` user: depth and messages, from the beginning,
without a committed offset (the letters stay where they are)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from learnflow.dlq.messages import DeadLetter, is_dead_letter_topic, parse
from learnflow.dlq.stack import START_FIRST, StackTarget
from learnflow.errors import Unavailable
from learnflow.mesh import kafka_security

TIMEOUT_S = 10.0


@dataclass
class TopicLetters:
    topic: str
    count: int  # messages the topic holds (high - low watermark, every partition)
    letters: list[DeadLetter] = field(default_factory=list)  # read ones, oldest first


class DeadLetterReader:
    """`with DeadLetterReader(target) as reader: reader.read(topic)`."""

    def __init__(self, target: StackTarget) -> None:
        from confluent_kafka import Consumer

        self._target = target
        self._consumer: Any = Consumer(
            {
                **target.ops_kafka_config(),
                "group.id": f"{kafka_security.OPS_GROUP_PREFIX}dlq-{uuid.uuid4()}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        self._partitions: dict[str, list[int]] = {}

    def __enter__(self) -> DeadLetterReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._consumer.close()

    def _unreachable(self, exc: Exception) -> Unavailable:
        return Unavailable(
            f"Kafka at {self._target.kafka_bootstrap} did not answer ({exc}): is the stack "
            f"running? {START_FIRST}",
            "kafka",
        )

    def topics(self) -> list[str]:
        """Every dead-letter topic on the broker, sorted."""
        from confluent_kafka import KafkaException

        try:
            metadata = self._consumer.list_topics(timeout=TIMEOUT_S)
        except KafkaException as exc:
            raise self._unreachable(exc) from exc
        self._partitions.update(
            {name: sorted(meta.partitions) for name, meta in metadata.topics.items()}
        )
        return sorted(name for name in self._partitions if is_dead_letter_topic(name))

    def _marks(self, topic: str) -> dict[int, tuple[int, int]]:
        from confluent_kafka import KafkaException, TopicPartition

        if topic not in self._partitions:
            self.topics()
        try:
            return {
                p: self._consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=TIMEOUT_S)
                for p in self._partitions.get(topic, [])
            }
        except KafkaException as exc:
            raise self._unreachable(exc) from exc

    def read(self, topic: str, limit: int | None = None) -> TopicLetters:
        """The topic's depth and its first `limit` messages (all of them when None)."""
        from confluent_kafka import TopicPartition

        marks = self._marks(topic)
        result = TopicLetters(topic, sum(high - low for low, high in marks.values()))
        remaining = {p: high for p, (low, high) in marks.items() if high > low}
        if not remaining or limit == 0:
            return result
        self._consumer.assign([TopicPartition(topic, p, marks[p][0]) for p in remaining])
        try:
            while remaining and (limit is None or len(result.letters) < limit):
                message = self._consumer.poll(TIMEOUT_S)
                if message is None:
                    raise self._unreachable(TimeoutError(f"no message from {topic}"))
                if message.error():
                    continue
                partition, offset = message.partition(), message.offset()
                if offset + 1 >= remaining.get(partition, 0):
                    remaining.pop(partition, None)
                _, kafka_ms = message.timestamp()
                result.letters.append(parse(topic, partition, offset, message.value(), kafka_ms))
        finally:
            self._consumer.unassign()
        return result
