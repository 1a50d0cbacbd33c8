"""The dead-letter watcher on the real stack: debrief dead-letters a `code.executed` event for a
user who does not exist (its poison handling, with the reason); debrief's own subscription to
`code.executed.dlq` records it. The same event dead-lettered a second time (published again with
its id, as a replay would) is on the topic twice but in the record once."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition

from learnflow.dlq.reader import DeadLetterReader
from learnflow.dlq.stack import StackTarget
from learnflow.events import CodeExecuted
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar
from tests.integration.harness import Mesh
from tests.waiting import eventually_sync

pytestmark = pytest.mark.integration

TOPIC = "code.executed.dlq"


async def _publish_as_code_runner(mesh: Mesh, event: CodeExecuted) -> None:
    sidecar = Sidecar(
        Settings(
            app_id="code-runner",
            dapr_http_port=mesh.topo.app("code-runner").dapr_http_port,
            dapr_api_token=mesh.dapr_headers_for("code-runner")["dapr-api-token"],
        )
    )
    try:
        await sidecar.publish(event)
    finally:
        await sidecar.aclose()


def _letters_on_topic(mesh: Mesh, event_id: str) -> int:
    with DeadLetterReader(StackTarget.of(mesh.settings)) as reader:
        return sum(1 for letter in reader.read(TOPIC).letters if letter.event_id == event_id)


def _recorded(mesh: Mesh, event_id: str) -> list[tuple[object, ...]]:
    return mesh.sql(
        "select event_type, event_source, dead_lettered_by, reason from dead_letters"
        " where topic = %s and event_id = %s",
        TOPIC,
        event_id,
    )


def _watcher_caught_up(mesh: Mesh) -> bool:
    """Whether debrief's consumer group has committed offsets at the end of the topic."""
    consumer = Consumer({**mesh.kafka_config(), "group.id": "debrief", "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(TOPIC, timeout=10).topics[TOPIC].partitions
        committed = consumer.committed([TopicPartition(TOPIC, p) for p in partitions], timeout=10)
        for tp in committed:
            end = consumer.get_watermark_offsets(tp, timeout=10)[1]
            if end > 0 and tp.offset < end:
                return False
    finally:
        consumer.close()
    return True


async def test_a_dead_lettered_event_is_recorded_once(mesh: Mesh) -> None:
    user_id = str(uuid.uuid4())  # nobody: debrief dead-letters the run
    event = CodeExecuted(
        user_id=user_id,
        source="code-runner",
        submission_id=str(uuid.uuid4()),
        status="error",
        exit_code=1,
        duration_ms=3.0,
        error_type="NameError",
        code="print(undefined)",
    )
    await _publish_as_code_runner(mesh, event)

    [(event_type, source, by, reason)] = eventually_sync(
        lambda: _recorded(mesh, event.id), timeout_s=60, what="the watcher's record of the event"
    )
    assert (event_type, source, by) == ("learnflow.code.executed.v1", "code-runner", "debrief")
    assert f"there is no LearnFlow user {user_id}" in str(reason)

    await _publish_as_code_runner(mesh, event)  # same id: dead-lettered a second time
    eventually_sync(
        lambda: _letters_on_topic(mesh, event.id) >= 2,
        timeout_s=60,
        what=f"the event's second letter on {TOPIC}",
    )
    eventually_sync(
        lambda: _watcher_caught_up(mesh), timeout_s=60, what=f"debrief to consume {TOPIC}"
    )
    assert len(_recorded(mesh, event.id)) == 1
    assert mesh.sql("select count(*) from dead_letters where event_id = %s", event.id) == [(1,)]
