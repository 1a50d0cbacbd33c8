"""`learnflow.dlq` on FAKE dead letters and a FAKE daprd (httpx.MockTransport): parsing both
shapes of dead letter, what a replay puts on the wire and as which app. The real broker and
daprd path is tests/integration/test_dlq_cli.py."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from learnflow.dlq import replay
from learnflow.dlq.messages import (
    one_line,
    original_topic,
    parse,
    partition_key,
    replay_envelope,
    unique_by_event,
)
from learnflow.dlq.stack import StackTarget
from learnflow.errors import ConfigurationError, DependencyFailed, InvalidInput, Unavailable
from learnflow.mesh import services
from learnflow.mesh.topology import topology
from learnflow.settings import Settings

pytestmark = pytest.mark.fakes

DELIVERED = {  # a CloudEvent as daprd delivers it (with its delivery fields)
    "specversion": "1.0",
    "id": "ev-1",
    "source": "code-runner",
    "type": "learnflow.code.executed.v1",
    "datacontenttype": "application/json",
    "data": {"user_id": "u-1", "session_id": None, "occurred_at": "2026-12-02T10:00:00Z"},
    "topic": "code.executed",
    "pubsubname": "pubsub",
    "traceparent": "00-abc-def-01",
}


def poison(
    payload: str, reason: str = "code.executed ev-1: there is no LearnFlow user u-1"
) -> bytes:
    """What `learnflow.api.pubsub._dead_letter` publishes, as daprd wraps it."""
    return json.dumps(
        {
            "id": "wrapper-9",
            "source": "debrief",
            "type": "com.dapr.event.sent",
            "data": {"topic": "code.executed", "reason": reason, "payload": payload},
        }
    ).encode()


def test_a_poison_letter_reads_as_the_original_event_with_its_reason() -> None:
    letter = parse("code.executed.dlq", 2, 7, poison(json.dumps(DELIVERED)))

    assert (letter.event_id, letter.type, letter.source) == (
        "ev-1",
        "learnflow.code.executed.v1",
        "code-runner",
    )
    assert letter.time == "2026-12-02T10:00:00Z"  # no CloudEvent time: the event's occurred_at
    assert letter.reason == "code.executed ev-1: there is no LearnFlow user u-1"
    assert letter.dead_lettered_by == "debrief"
    assert letter.replayable and letter.original == DELIVERED
    assert (letter.partition, letter.offset) == (2, 7)


def test_daprds_own_dead_letter_is_the_event_itself_without_a_reason() -> None:
    event = {**DELIVERED, "time": "2026-12-02T11:00:00Z"}
    letter = parse("code.executed.dlq", 0, 0, json.dumps(event).encode())

    assert letter.event_id == "ev-1" and letter.time == "2026-12-02T11:00:00Z"
    assert letter.reason is None and letter.dead_lettered_by is None
    assert letter.replayable


def test_a_multi_line_reason_becomes_one_short_line() -> None:
    reason = "does not match its contract: 2 validation errors\n  user_id\n    " + "x" * 400
    letter = parse("code.executed.dlq", 0, 0, poison(json.dumps(DELIVERED), reason))

    assert letter.reason is not None and "\n" not in letter.reason
    assert len(letter.reason) == 160 and letter.reason.endswith("…")
    assert one_line("a\n  b\tc") == "a b c"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (b"\xff not json", "the message is not a JSON object"),
        (b"[1, 2]", "the message is not a JSON object"),
        (poison("{not json"), "its payload is not a JSON CloudEvent"),
        (poison(json.dumps({"data": {}})), "its payload has no CloudEvent id"),
    ],
)
def test_an_unreadable_letter_says_why_and_is_not_replayable(value: bytes, problem: str) -> None:
    letter = parse("code.executed.dlq", 0, 3, value, kafka_ms=1_764_669_600_000)

    assert not letter.replayable and letter.problem == problem
    assert letter.time is not None and letter.time.startswith("2025-12-02")  # Kafka's time


def test_a_replay_sends_the_original_id_without_daprds_delivery_fields() -> None:
    sent = replay_envelope(DELIVERED)

    assert sent["id"] == "ev-1" and sent["data"] == DELIVERED["data"]
    assert not {"topic", "pubsubname", "traceparent"} & sent.keys()
    assert partition_key(DELIVERED) == "u-1"  # no session: the user, as Sidecar.publish keys it
    assert partition_key({"data": {"session_id": "s", "user_id": "u"}}) == "s"
    assert original_topic("code.executed.dlq") == "code.executed"


def test_the_same_event_dead_lettered_twice_is_replayed_once() -> None:
    twice = [parse("t.dlq", 0, n, json.dumps(DELIVERED).encode()) for n in range(2)]
    broken = parse("t.dlq", 0, 2, b"nope")

    assert [letter.offset for letter in unique_by_event([*twice, broken])] == [0]


def test_the_publisher_is_a_producer_of_the_topic_preferably_the_source() -> None:
    assert replay.publisher_for("code.executed", "code-runner") == "code-runner"
    assert replay.publisher_for("exercise.graded", "tutor") == "tutor"
    # debrief does not produce exercise.graded: the first producer by name publishes it
    assert replay.publisher_for("exercise.graded", "debrief") == "triage"
    with pytest.raises(InvalidInput, match=r"no app publishes 'nobody.publishes'"):
        replay.publisher_for("nobody.publishes", None)


@pytest.fixture
def target(tmp_path: Path) -> StackTarget:
    services.RunSecrets.load_or_create(tmp_path)
    return StackTarget.of(Settings(run_dir=tmp_path, port_offset=1210))


def _replay_of(value: bytes) -> replay.Replay:
    [step] = replay.plan("code.executed", [parse("code.executed.dlq", 0, 0, value)])
    return step


def test_publish_posts_the_cloudevent_to_the_producers_sidecar_with_its_token(
    target: StackTarget,
) -> None:
    seen: list[httpx.Request] = []

    def fake_daprd(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    step = _replay_of(poison(json.dumps(DELIVERED)))
    with httpx.Client(transport=httpx.MockTransport(fake_daprd)) as client:
        replay.publish(target, step, client)

    [request] = seen
    port = topology(target.settings).app("code-runner").dapr_http_port
    assert str(request.url).startswith(
        f"http://127.0.0.1:{port}/v1.0/publish/pubsub/code.executed?"
    )
    assert request.url.params["metadata.partitionKey"] == "u-1"
    assert request.headers["dapr-api-token"] == target.secrets.dapr_token("code-runner")
    assert request.headers["content-type"] == "application/cloudevents+json"
    assert json.loads(request.content)["id"] == "ev-1"


def test_publish_errors_are_one_clear_line(target: StackTarget) -> None:
    step = _replay_of(json.dumps(DELIVERED).encode())

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def forbidden(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"errorCode": "ERR_PUBSUB_FORBIDDEN"})

    with (
        httpx.Client(transport=httpx.MockTransport(refused)) as client,
        pytest.raises(Unavailable, match=r"is the stack running.*`make up` first"),
    ):
        replay.publish(target, step, client)
    with (
        httpx.Client(transport=httpx.MockTransport(forbidden)) as client,
        pytest.raises(DependencyFailed, match=r"HTTP 403 .*ERR_PUBSUB_FORBIDDEN"),
    ):
        replay.publish(target, step, client)


def test_no_stack_is_a_configuration_error_naming_make_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"no LearnFlow stack in .*`make up` first"):
        StackTarget.of(Settings(run_dir=tmp_path / "none"))
