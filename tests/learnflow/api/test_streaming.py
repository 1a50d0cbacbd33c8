"""`reply_events` and `EventStream`: deltas then `done`, an `error` event for a failure midway,
and a client that leaves cancels the generation behind the stream at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from learnflow import sse
from learnflow.api.service import create_service_app
from learnflow.api.streaming import EventStream, reply_events
from learnflow.errors import DependencyFailed
from learnflow.settings import Settings


class Final(BaseModel):
    reply: str


async def collect(events: AsyncGenerator[bytes, None]) -> list[sse.ServerSentEvent]:
    raw = b"".join([chunk async for chunk in events])

    async def lines() -> Any:
        for line in raw.decode().splitlines(keepends=True):
            yield line

    return [event async for event in sse.read(lines())]


async def test_chunks_are_deltas_and_the_final_reply_is_done() -> None:
    async def parts() -> AsyncGenerator[str | BaseModel, None]:
        yield "Hello. "
        yield ""  # nothing to send
        yield "World."
        yield Final(reply="Hello. World.")

    events = await collect(reply_events(parts(), who="concepts"))

    assert events == [
        sse.ServerSentEvent("delta", {"text": "Hello. "}),
        sse.ServerSentEvent("delta", {"text": "World."}),
        sse.ServerSentEvent("done", {"reply": "Hello. World."}),
    ]


async def test_a_failure_midway_is_an_error_event_with_the_problem_and_status() -> None:
    async def parts() -> AsyncGenerator[str | BaseModel, None]:
        yield "Hello. "
        raise DependencyFailed("the language model endpoint failed: boom", dependency="llm")

    events = await collect(reply_events(parts(), who="concepts"))

    assert events[-1] == sse.ServerSentEvent(
        "error",
        {
            "error": "dependency_failed",
            "message": "the language model endpoint failed: boom",
            "dependency": "llm",
            "status": 502,
        },
    )


async def test_an_unexpected_failure_is_a_500_error_event_without_internals() -> None:
    async def parts() -> AsyncGenerator[str | BaseModel, None]:
        yield "Hello. "
        raise KeyError("secret internals")

    events = await collect(reply_events(parts(), who="concepts"))

    assert events[-1].event == "error" and events[-1].data["status"] == 500
    assert "secret" not in str(events[-1].data)


@pytest.fixture
def generation() -> dict[str, Any]:
    return {"started": asyncio.Event(), "cancelled": asyncio.Event()}


@pytest.fixture
def app(generation: dict[str, Any]) -> FastAPI:
    application = create_service_app("concepts", settings=Settings())

    async def parts() -> AsyncGenerator[str | BaseModel, None]:
        try:
            yield "First phrase. "
            generation["started"].set()
            await asyncio.Event().wait()  # a model that takes its time
            yield Final(reply="never")
        except asyncio.CancelledError:
            generation["cancelled"].set()
            raise

    @application.post("/respond/stream")
    async def stream() -> EventStream:
        return EventStream(reply_events(parts(), who="concepts"))

    return application


async def test_a_client_that_leaves_cancels_the_generation(
    app: FastAPI, generation: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Over raw ASGI as uvicorn serves it (spec 2.3; httpx's ASGI transport cannot stream):
    the client reads the first delta and disconnects; the generation behind the stream is
    cancelled, and the app says so."""
    left = asyncio.Event()
    sent: list[dict[str, Any]] = []
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if b"event: delta" in message.get("body", b""):
            left.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/respond/stream",
        "raw_path": b"/respond/stream",
        "query_string": b"",
        "headers": [(b"host", b"concepts")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    with caplog.at_level(logging.INFO, logger="learnflow.streaming"):
        async with asyncio.timeout(5):
            await app(scope, receive, send)
            await generation["cancelled"].wait()

    assert generation["started"].is_set()
    headers = dict(sent[0]["headers"])  # served as an event stream nothing may cache
    assert headers[b"content-type"].startswith(b"text/event-stream")
    assert headers[b"cache-control"] == b"no-cache"
    assert "the caller left after 1 deltas; the generation is cancelled" in caplog.text
    assert not any(b"never" in m.get("body", b"") for m in sent)
