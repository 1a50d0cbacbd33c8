"""`POST /chat/stream`: the specialist's deltas relayed, then the reply `/chat` gives, the turn
saved once; errors before the stream keep their JSON status, after it they are `error` events;
a specialist that fails is the degraded reply while nothing was shown; a learner who leaves
closes the stream from the specialist (which cancels its generation)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio

from concepts_agent.main import create_app as create_concepts
from learnflow import sse
from learnflow.db.models import Role
from tests.agents.triage.fakes import FakeDapr, Invocation
from tests.agents.triage.harness import app_settings, bearer, serve_triage
from triage_agent.main import create_app as create_triage

MAYA, JAMES = uuid4(), uuid4()
QUESTION = "How do for loops work in Python?"
COMPARED = (
    "reply",
    "routed_to",
    "intent",
    "confidence",
    "sources",
    "unavailable",
    "quiz",
    "model",
)


def maya() -> dict[str, str]:
    return bearer(MAYA, Role.STUDENT)


@pytest_asyncio.fixture
async def dapr(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDapr]:
    """The real concepts app (offline model, not paced) behind the fake daprd."""
    monkeypatch.delenv("LEARNFLOW_LLM_BASE_URL", raising=False)
    concepts = create_concepts(app_settings(offline_stream_pause_s=0))
    async with concepts.router.lifespan_context(concepts):
        yield FakeDapr(apps={"concepts": concepts})


@pytest_asyncio.fixture
async def client(dapr: FakeDapr) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_triage(dapr) as triage:
        yield triage


async def streamed(
    client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str] | None = None
) -> list[sse.ServerSentEvent]:
    response = await client.post("/chat/stream", json=body, headers=maya() | (headers or {}))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return [event async for event in sse.read(response.aiter_lines())]


def sse_answer(*events: bytes) -> httpx.Response:
    return httpx.Response(200, content=b"".join(events), headers={"content-type": sse.MEDIA_TYPE})


async def test_the_reply_streams_and_ends_as_chat_would_answer_saved_once(
    client: httpx.AsyncClient, dapr: FakeDapr
) -> None:
    *deltas, done = await streamed(client, {"message": QUESTION, "message_id": "m-1"})
    whole = await client.post("/chat", json={"message": QUESTION}, headers=maya())

    assert len(deltas) >= 2 and {e.event for e in deltas} == {"delta"}
    assert done.event == "done"
    assert {k: done.data[k] for k in COMPARED} == {k: whole.json()[k] for k in COMPARED}
    assert done.data["sources"][0] == "control-flow.for-loops"
    assert done.data["model"] == "offline"  # the offline tutor wrote it, and the page says so
    assert "".join(e.data["text"] for e in deltas).strip() == done.data["reply"]
    streamed_calls = [c for c in dapr.invocations if c.method == "respond/stream"]
    assert len(streamed_calls) == 1 and streamed_calls[0].body["user_id"] == str(MAYA)
    session = done.data["session_id"]
    stored, _ = dapr.state[f"conversation:{session}"]
    assert [t["message_id"] for t in stored["turns"]] == ["m-1"]
    assert stored["turns"][0]["model"] == "offline"
    mine = [(t, d) for t, d in dapr.published if d.get("session_id") == session]
    assert sorted(t for t, _ in mine) == ["learning.response", "learning.routed"]


async def test_a_retried_message_streams_the_stored_reply_without_asking_again(
    client: httpx.AsyncClient, dapr: FakeDapr
) -> None:
    *_, first = await streamed(client, {"message": QUESTION, "message_id": "m-1"})
    body = {"message": QUESTION, "message_id": "m-1", "session_id": first.data["session_id"]}

    again = await streamed(client, body)

    assert [e.event for e in again] == ["delta", "done"]
    assert again[-1].data == first.data
    assert len([c for c in dapr.invocations if c.method.startswith("respond")]) == 1


async def test_triages_own_reply_streams_as_one_delta(client: httpx.AsyncClient) -> None:
    events = await streamed(client, {"message": "what's the weather like in Paris today?"})
    assert [e.event for e in events] == ["delta", "done"]
    assert events[-1].data["routed_to"] == "triage"
    assert events[-1].data["model"] is None  # triage's own words, no model's


async def test_a_specialist_that_is_down_gets_the_degraded_reply(
    client: httpx.AsyncClient, dapr: FakeDapr
) -> None:
    dapr.answers[("concepts", "respond/stream")] = httpx.Response(
        500, json={"errorCode": "ERR_DIRECT_INVOKE", "message": "connection refused"}
    )

    events = await streamed(client, {"message": QUESTION})

    assert [e.event for e in events] == ["delta", "done"]
    assert events[-1].data["unavailable"] == ["concepts"]
    assert events[-1].data["reply"].startswith("The concepts tutor is unavailable right now")
    assert events[-1].data["model"] is None
    assert f"conversation:{events[-1].data['session_id']}" not in dapr.state


async def test_a_specialist_failing_before_its_first_delta_gets_the_degraded_reply(
    client: httpx.AsyncClient, dapr: FakeDapr
) -> None:
    failed = {"error": "dependency_failed", "message": "model down", "status": 502}
    dapr.answers[("concepts", "respond/stream")] = sse_answer(
        sse.comment("concepts is answering"), sse.encode(sse.ERROR, failed)
    )

    events = await streamed(client, {"message": QUESTION})

    assert events[-1].data["unavailable"] == ["concepts"]
    assert "model down" not in json.dumps([e.data for e in events])  # internals stay in logs


async def test_a_stream_cut_after_a_delta_is_an_error_event_and_nothing_is_saved(
    client: httpx.AsyncClient, dapr: FakeDapr
) -> None:
    dapr.answers[("concepts", "respond/stream")] = sse_answer(
        sse.encode(sse.DELTA, {"text": "A for loop "}), b'event: delta\ndata: {"te'
    )

    events = await streamed(client, {"message": QUESTION, "message_id": "m-1"})

    assert [e.event for e in events] == ["delta", "error"]
    assert events[1].data["status"] == 503
    assert events[1].data["message"] == (
        "The concepts tutor stopped before finishing this answer, so it was not saved. "
        "Send your message again."
    )
    assert not [k for k in dapr.state if k.startswith("conversation:")]


async def test_both_routes_name_the_model_the_specialist_says_wrote_it(
    client: httpx.AsyncClient, dapr: FakeDapr
) -> None:
    said = {"reply": "A for loop repeats.", "sources": ["control-flow.for-loops"]}
    written = {**said, "model": "smollm2-135m-instruct"}
    dapr.answer("concepts", "respond", written)
    dapr.answers[("concepts", "respond/stream")] = sse_answer(
        sse.encode(sse.DELTA, {"text": "A for loop repeats."}),
        sse.encode(sse.DONE, {**written, "agent": "concepts"}),
    )

    *_, done = await streamed(client, {"message": QUESTION, "message_id": "m-1"})
    whole = await client.post("/chat", json={"message": QUESTION}, headers=maya())
    again = await streamed(client, {"message": QUESTION} | _ids(done.data))

    assert done.data["model"] == whole.json()["model"] == "smollm2-135m-instruct"
    assert again[-1].data["model"] == "smollm2-135m-instruct"  # remembered with the turn
    dapr.answer("concepts", "respond", said)  # a specialist that does not say: no model named
    unsaid = await client.post("/chat", json={"message": QUESTION}, headers=maya())
    assert unsaid.json()["model"] is None


def _ids(reply: dict[str, Any]) -> dict[str, Any]:
    return {"session_id": reply["session_id"], "message_id": reply["message_id"]}


async def test_a_turn_stored_before_replies_named_their_model_is_replayed_without_one(
    client: httpx.AsyncClient, dapr: FakeDapr
) -> None:
    *_, first = await streamed(client, {"message": QUESTION, "message_id": "m-1"})
    key = f"conversation:{first.data['session_id']}"
    stored, version = dapr.state[key]
    for turn in stored["turns"]:
        del turn["model"]
    dapr.state[key] = (stored, version)

    again = await streamed(client, {"message": QUESTION} | _ids(first.data))

    assert again[-1].data["reply"] == first.data["reply"]
    assert again[-1].data["model"] is None


async def test_errors_before_the_stream_keep_their_json_status(
    client: httpx.AsyncClient,
) -> None:
    no_login = await client.post("/chat/stream", json={"message": QUESTION})
    empty = await client.post("/chat/stream", json={"message": "  "}, headers=maya())
    *_, mine = await streamed(client, {"message": QUESTION})
    theirs = await client.post(
        "/chat/stream",
        json={"message": QUESTION, "session_id": mine.data["session_id"]},
        headers=bearer(JAMES, Role.STUDENT),
    )

    assert no_login.status_code == 401 and no_login.json()["error"] == "not_authenticated"
    assert empty.status_code == 422 and "the message is empty" in empty.json()["message"]
    assert theirs.status_code == 403 and "belongs to another user" in theirs.json()["message"]


async def test_a_specialists_refusal_before_the_stream_is_the_status_chat_gives(
    client: httpx.AsyncClient, dapr: FakeDapr
) -> None:
    refused = httpx.Response(
        200, json={"message": "no exercise 'x.y'"}, headers={"x-learnflow-status": "404"}
    )
    dapr.answers[("tutor", "respond")] = dapr.answers[("tutor", "respond/stream")] = refused
    body = {"message": "give me a hint please", "exercise_id": "x.y"}

    whole = await client.post("/chat", json=body, headers=maya())
    stream = await client.post("/chat/stream", json=body, headers=maya())

    assert whole.status_code == stream.status_code == 404
    assert stream.json() == whole.json()


class Generating(httpx.AsyncByteStream):
    """A specialist's stream: one delta, then a generation that takes its time."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield sse.encode(sse.DELTA, {"text": "A for loop "})
        await asyncio.Event().wait()
        yield b""  # pragma: no cover

    async def aclose(self) -> None:
        self.closed.set()


async def test_a_learner_who_leaves_closes_the_specialists_stream() -> None:
    """Over raw ASGI as uvicorn serves it (spec 2.3): the learner reads the first delta and
    leaves; triage closes the stream from the specialist (daprd then closes its call to the
    app, which cancels the run: tests/learnflow/api/test_streaming.py) and saves nothing."""
    generating = Generating()

    def answer(call: Invocation) -> httpx.Response:
        return httpx.Response(200, stream=generating, headers={"content-type": sse.MEDIA_TYPE})

    dapr = FakeDapr(answers={("concepts", "respond/stream"): answer})
    app = create_triage(app_settings(app_id="triage"), database=False)
    left = asyncio.Event()
    sent: list[dict[str, Any]] = []
    body = json.dumps({"message": QUESTION}).encode()
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": body, "more_body": False}
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if b"event: delta" in message.get("body", b""):
            left.set()

    headers = [(k.lower().encode(), v.encode()) for k, v in maya().items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/chat/stream",
        "raw_path": b"/chat/stream",
        "query_string": b"",
        "headers": [(b"host", b"triage"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    async with app.router.lifespan_context(app):
        app.state.sidecar = dapr.sidecar()
        app.state.events = dapr
        async with asyncio.timeout(5):
            await app(scope, receive, send)
            await generating.closed.wait()

    assert sent[0]["status"] == 200
    assert not any(b"event: done" in m.get("body", b"") for m in sent)
    assert not [k for k in dapr.state if k.startswith("conversation:")]
    assert [t for t, _ in dapr.published] == []  # a turn the learner left is not announced
