"""`Sidecar.publish_bulk` against a FAKE daprd (httpx.MockTransport scripting the bulk publish
API's answers): which entries are sent again, which are given up, what goes on the wire. The
real daprd + Kafka path is tests/integration/test_publish_bulk.py."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from learnflow.errors import DependencyFailed
from learnflow.events import LearningResponse, LearningRouted
from learnflow.settings import Settings
from learnflow.sidecar import BULK_MAX_ENTRIES, Sidecar

Answer = Callable[[list[dict[str, object]]], httpx.Response]


class FakeDaprd:
    """Records each bulk request's entries; `answers` script the replies in turn (the last
    one repeats)."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, list[dict[str, object]]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        entries = json.loads(request.content)
        self.requests.append((request.url.path, entries))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer(entries)

    def sidecar(self) -> Sidecar:
        client = httpx.AsyncClient(transport=httpx.MockTransport(self), base_url="http://d")
        return Sidecar(Settings(app_id="triage"), client=client)

    def ids(self, n: int) -> list[str]:
        return [str(e["entryId"]) for e in self.requests[n][1]]


def ok(_: list[dict[str, object]]) -> httpx.Response:
    return httpx.Response(204)


def refuse(*ids: str) -> Answer:
    def answer(_: list[dict[str, object]]) -> httpx.Response:
        failed = [{"entryId": i, "error": "kafka: broker not available"} for i in ids]
        body = {"failedEntries": failed, "errorCode": "ERR_PUBSUB_PUBLISH_MESSAGE"}
        return httpx.Response(500, json=body)

    return answer


def status(code: int) -> Answer:
    return lambda _: httpx.Response(code, json={"message": f"daprd says {code}"})


def events(n: int, session: str = "s1") -> list[LearningResponse]:
    return [
        LearningResponse(
            id=f"e{i}", session_id=session, message_id="m", agent="concepts", reply_chars=i
        )
        for i in range(n)
    ]


async def test_all_taken_in_one_request_with_the_event_ids_as_entry_ids() -> None:
    daprd = FakeDaprd(ok)
    result = await daprd.sidecar().publish_bulk(events(3))
    assert sorted(result.published) == ["e0", "e1", "e2"] and result.failed == {}
    path, entries = daprd.requests[0]
    assert path == "/v1.0-alpha1/publish/bulk/pubsub/learning.response"
    first = entries[0]
    assert first["contentType"] == "application/cloudevents+json"
    assert first["metadata"] == {"partitionKey": "s1"}
    cloud_event = first["event"]
    assert isinstance(cloud_event, dict)
    assert cloud_event["id"] == "e0" and cloud_event["source"] == "triage"
    assert cloud_event["data"]["reply_chars"] == 0


async def test_only_refused_entries_are_sent_again() -> None:
    daprd = FakeDaprd(refuse("e1", "e3"), ok)
    result = await daprd.sidecar().publish_bulk(events(5), backoff_s=0)
    assert daprd.ids(0) == ["e0", "e1", "e2", "e3", "e4"]
    assert daprd.ids(1) == ["e1", "e3"]
    assert sorted(result.published) == ["e0", "e1", "e2", "e3", "e4"] and not result.failed


async def test_entries_refused_every_time_are_reported_not_raised() -> None:
    daprd = FakeDaprd(refuse("e2"))
    result = await daprd.sidecar().publish_bulk(events(3), attempts=3, backoff_s=0)
    assert [daprd.ids(n) for n in range(3)] == [["e0", "e1", "e2"], ["e2"], ["e2"]]
    assert sorted(result.published) == ["e0", "e1"]
    assert result.failed == {"e2": "kafka: broker not available"}
    with pytest.raises(DependencyFailed, match="1 of 3 event"):
        result.raise_for_failures()


async def test_a_request_failing_whole_with_a_5xx_is_retried_whole() -> None:
    daprd = FakeDaprd(status(503), ok)
    result = await daprd.sidecar().publish_bulk(events(2), backoff_s=0)
    assert daprd.ids(0) == daprd.ids(1) == ["e0", "e1"]
    assert sorted(result.published) == ["e0", "e1"]


async def test_a_4xx_is_not_retried() -> None:
    daprd = FakeDaprd(status(403))
    result = await daprd.sidecar().publish_bulk(events(2), attempts=5, backoff_s=0)
    assert len(daprd.requests) == 1
    assert set(result.failed) == {"e0", "e1"} and "HTTP 403" in result.failed["e0"]


async def test_an_unreachable_daprd_fails_every_entry_after_the_attempts() -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(unreachable), base_url="http://d")
    result = await Sidecar(Settings(), client=client).publish_bulk(
        events(2), attempts=2, backoff_s=0
    )
    assert result.published == [] and set(result.failed) == {"e0", "e1"}
    assert "could not reach the Dapr sidecar" in result.failed["e0"]


async def test_a_repeated_id_is_sent_once_and_topics_and_size_split_requests() -> None:
    daprd = FakeDaprd(ok)
    many = events(BULK_MAX_ENTRIES + 1)
    routed = LearningRouted(
        id="r", session_id="s2", message_id="m", intent="concept", agent="concepts", confidence=1
    )
    result = await daprd.sidecar().publish_bulk([*many, many[0], routed])
    sent = sorted((path.rsplit("/", 1)[1], len(entries)) for path, entries in daprd.requests)
    assert sent == [
        ("learning.response", 1),
        ("learning.response", BULK_MAX_ENTRIES),
        ("learning.routed", 1),
    ]
    assert len(result.published) == BULK_MAX_ENTRIES + 2


async def test_an_explicit_partition_key_wins() -> None:
    daprd = FakeDaprd(ok)
    await daprd.sidecar().publish_bulk(events(1), partition_keys={"e0": "user-7"})
    assert daprd.requests[0][1][0]["metadata"] == {"partitionKey": "user-7"}
