"""Kafka is closed (issue 11, high finding): nobody reads or writes an event anonymously, and each
app writes only the topics it produces and reads only those it subscribes to.

The probe read every event from the broker and produced three forged `exercise.graded` events
that took a topic's mastery from 0 to 45. These tests replay that against the shared test stack.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from learnflow.events import ExerciseGraded, to_wire
from learnflow.mesh import kafka_security, policy
from tests.integration.harness import Mesh
from tests.security.helpers import person

pytestmark = pytest.mark.integration

TOPIC = "control-flow"
EXERCISE = "control-flow.fizzbuzz"


def _forged_grade(user_id: str) -> bytes:
    event = ExerciseGraded(
        source="tutor",
        user_id=user_id,
        submission_id=str(uuid.uuid4()),
        exercise_id=EXERCISE,
        topic_id=TOPIC,
        passed=True,
        tests_passed=5,
        tests_total=5,
    )
    envelope = {
        "specversion": "1.0",
        "id": event.id,
        "source": "tutor",
        "type": "learnflow.exercise.graded.v1",
        "datacontenttype": "application/json",
        "data": to_wire(event),
    }
    return json.dumps(envelope).encode()


def _produce(config: dict[str, Any], topic: str, value: bytes, key: str) -> list[KafkaError]:
    """Produce once; the delivery errors (none = the broker took it)."""
    errors: list[KafkaError] = []
    producer = Producer({**config, "message.timeout.ms": 6000, "socket.timeout.ms": 3000})

    def delivered(error: KafkaError | None, _: Any) -> None:
        if error is not None:
            errors.append(error)

    producer.produce(topic, value, key=key.encode(), on_delivery=delivered)
    producer.flush(15)
    return errors


def _mastery(mesh: Mesh, user_id: Any) -> list[tuple[Any, ...]]:
    return mesh.sql(
        "SELECT topic, mastery FROM progress WHERE student_id = %s ORDER BY topic", user_id
    )


def test_an_anonymous_client_cannot_even_list_the_topics(mesh: Mesh) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": mesh.kafka_bootstrap,
            "group.id": f"anon-{uuid.uuid4()}",
            "socket.timeout.ms": 3000,
        }
    )
    try:
        with pytest.raises(KafkaException):
            consumer.list_topics(timeout=5)
    finally:
        consumer.close()


def test_forged_grades_from_an_anonymous_producer_never_reach_the_topic(mesh: Mesh) -> None:
    student = person(mesh)
    before = _mastery(mesh, student.id)
    anonymous = {"bootstrap.servers": mesh.kafka_bootstrap}
    for _ in range(3):  # the probe's three forged grades
        errors = _produce(anonymous, "exercise.graded", _forged_grade(str(student.id)), "k")
        assert errors, "the broker accepted an anonymous event"
    assert not mesh.kafka_events("exercise.graded", {"user_id": str(student.id)})
    assert _mastery(mesh, student.id) == before


def test_a_wrong_password_is_refused(mesh: Mesh) -> None:
    config = kafka_security.client_config(mesh.kafka_bootstrap, "tutor", "not-the-password")
    errors = _produce(config, "exercise.graded", _forged_grade(str(uuid.uuid4())), "k")
    assert errors


# every app, and a topic it must not write (one another app produces)
NOT_THEIRS = [
    (app, next(t for t in sorted(policy.all_topics()) if t not in policy.topic_access(app).write))
    for app in kafka_security.APP_USERS
]


@pytest.mark.parametrize(("app", "topic"), NOT_THEIRS)
def test_an_app_writes_only_the_topics_it_produces(mesh: Mesh, app: str, topic: str) -> None:
    errors = _produce(mesh.kafka_config(app), topic, b"{}", "k")
    assert [e.code() for e in errors] == [KafkaError.TOPIC_AUTHORIZATION_FAILED]


def test_the_code_runner_cannot_forge_a_grade(mesh: Mesh) -> None:
    """The sandbox host is the likeliest to be subverted: its credential writes code.executed
    (and session activity), never a grade or progress."""
    for topic in ("exercise.graded", "progress.updated", "struggle.detected"):
        errors = _produce(mesh.kafka_config("code-runner"), topic, b"{}", "k")
        assert [e.code() for e in errors] == [KafkaError.TOPIC_AUTHORIZATION_FAILED], topic


async def test_a_sidecar_cannot_publish_another_apps_topic(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    student = person(mesh)
    answer = await http.post(
        f"{mesh.sidecar_url('code-runner')}/v1.0/publish/pubsub/exercise.graded",
        content=_forged_grade(str(student.id)),
        headers=mesh.dapr_headers_for("code-runner")
        | {"content-type": "application/cloudevents+json"},
    )
    assert answer.status_code >= 400, answer.text
    # the broker refuses the topic; Kafka's client in daprd (sarama) reports it as its
    # per-topic breaker opening after its retries ("circuit breaker is open")
    assert "error when publishing to topic exercise.graded" in answer.text
    assert not mesh.kafka_events("exercise.graded", {"user_id": str(student.id)})
    # ...while the topic the code runner does produce still takes its events
    allowed = await http.post(
        f"{mesh.sidecar_url('code-runner')}/v1.0/publish/pubsub/code.executed",
        json={"probe": str(student.id)},
        headers=mesh.dapr_headers_for("code-runner"),
    )
    assert allowed.status_code == 204, allowed.text


def _read_one(config: dict[str, Any], topic: str, group: str) -> KafkaError | None:
    consumer = Consumer(
        {**config, "group.id": group, "auto.offset.reset": "earliest", "socket.timeout.ms": 3000}
    )
    try:
        consumer.subscribe([topic])
        for _ in range(10):
            message = consumer.poll(1)
            if message is not None:
                error = message.error()
                return error if error is not None else None
        return None
    finally:
        consumer.close()


def test_an_app_reads_only_what_it_subscribes_to(mesh: Mesh) -> None:
    # concepts subscribes to nothing; triage subscribes to session.activity, not to grades
    for app, topic in (("concepts", "exercise.graded"), ("triage", "exercise.graded")):
        error = _read_one(mesh.kafka_config(app), topic, app)
        assert error is not None, f"{app} read {topic}"
        assert error.code() in (
            KafkaError.TOPIC_AUTHORIZATION_FAILED,
            KafkaError.GROUP_AUTHORIZATION_FAILED,
        ), error


def test_an_app_cannot_join_another_apps_consumer_group(mesh: Mesh) -> None:
    """Joining debrief's group would steal its partitions (and their events) from it."""
    error = _read_one(mesh.kafka_config("tutor"), "exercise.graded", "debrief")
    assert error is not None and error.code() in (
        KafkaError.GROUP_AUTHORIZATION_FAILED,
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
    ), error


def test_the_ops_credential_reads_but_never_writes(mesh: Mesh) -> None:
    consumer = Consumer({**mesh.kafka_config(), "group.id": f"ops-read-{uuid.uuid4()}"})
    try:
        partitions = consumer.list_topics("learning.routed", timeout=10).topics["learning.routed"]
        assert partitions.error is None
        low, _ = consumer.get_watermark_offsets(TopicPartition("learning.routed", 0), timeout=10)
        assert low >= 0
    finally:
        consumer.close()
    errors = _produce(mesh.kafka_config(), "exercise.graded", b"{}", "k")
    assert [e.code() for e in errors] == [KafkaError.TOPIC_AUTHORIZATION_FAILED]
