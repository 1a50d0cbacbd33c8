"""Requests and events are served under their W3C trace: the lines logged while serving carry
its id, the answer names it, calls to the sidecar continue it, and no credential a request
carries ever reaches a log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request

from learnflow.api.pubsub import add_subscriber, event_route
from learnflow.api.service import create_service_app
from learnflow.events import Event, SessionStarted, to_wire
from learnflow.logs import JsonFormatter, Redactor, secret_values
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar
from learnflow.tracecontext import TraceContext, current_trace, parse_traceparent, trace_scope

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
APP_TOKEN = "app-token-of-the-sidecar-0123456789"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdHVkZW50LTEifQ.c2lnbmF0dXJlLW9mLWl0"
log = logging.getLogger("t.tracing")


def _app(handled: list[Event]) -> FastAPI:
    public = APIRouter()

    @public.get("/hello")
    async def hello() -> dict[str, str]:
        log.info("saying hello")
        return {"hello": "world"}

    @public.get("/fails")
    async def fails(request: Request) -> None:
        # the worst case: a handler puts the credential into an exception message
        raise RuntimeError(f"could not use {request.headers.get('authorization')}")

    internal = APIRouter()

    @internal.get("/internal")
    async def internal_route() -> dict[str, str]:
        log.info("internal call")
        return {"ok": "yes"}

    async def on_session(event: Event, _: Request) -> None:
        log.info("session %s started", event.session_id)
        handled.append(event)

    add_subscriber(internal, SessionStarted, on_session)
    settings = Settings(app_id="t", app_api_token=APP_TOKEN)
    return create_service_app("t", routers=[internal], public_routers=[public], settings=settings)


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Everything logged, as the stack writes it (JSON lines, masked with the app's secrets)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    settings = Settings(app_api_token=APP_TOKEN)
    handler.setFormatter(JsonFormatter("t", Redactor(secret_values(settings))))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def handled() -> list[Event]:
    return []


@pytest.fixture
async def client(handled: list[Event]) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(handled)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http


def _entries(stream: io.StringIO, logger: str | None = None) -> list[dict[str, Any]]:
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [e for e in entries if logger is None or e["logger"] == logger]


async def test_a_request_with_a_traceparent_is_served_under_that_trace(
    client: httpx.AsyncClient, logged: io.StringIO
) -> None:
    answer = await client.get("/hello", headers={"traceparent": f"00-{TRACE}-{SPAN}-01"})
    assert answer.status_code == 200
    assert answer.headers["traceresponse"] == f"00-{TRACE}-{SPAN}-01"
    (line,) = _entries(logged, "t.tracing")
    assert (line["trace_id"], line["span_id"], line["app_id"]) == (TRACE, SPAN, "t")
    (access,) = _entries(logged, "learnflow.access")
    assert access["trace_id"] == TRACE
    assert (access["http_method"], access["http_path"], access["http_status"]) == (
        "GET",
        "/hello",
        200,
    )


async def test_a_request_without_one_starts_a_trace_and_nothing_outside_has_one(
    client: httpx.AsyncClient, logged: io.StringIO
) -> None:
    answer = await client.get("/hello")
    started = parse_traceparent(answer.headers["traceresponse"])
    assert started is not None
    log.info("after the request")
    inside, outside = _entries(logged, "t.tracing")
    assert inside["trace_id"] == started.trace_id
    assert "trace_id" not in outside
    assert current_trace() is None


async def test_health_probes_write_no_access_line(
    client: httpx.AsyncClient, logged: io.StringIO
) -> None:
    assert (await client.get("/healthz")).status_code == 200
    assert _entries(logged, "learnflow.access") == []


async def test_no_credential_a_request_carries_reaches_the_logs(
    client: httpx.AsyncClient, logged: io.StringIO
) -> None:
    bearer = {"authorization": f"Bearer {JWT}"}
    assert (await client.get("/hello", headers=bearer)).status_code == 200
    assert (await client.get("/internal", headers={"dapr-api-token": APP_TOKEN})).is_success
    assert (await client.get("/internal", headers={"dapr-api-token": "wrong-token"})).status_code
    failed = await client.get("/fails", headers=bearer)
    assert failed.status_code == 500
    text = logged.getvalue()
    assert "could not use" in text and "Traceback" in text  # the failure itself is logged...
    for secret in (JWT, APP_TOKEN, "wrong-token"):
        assert secret not in text  # ...without the credentials
    (unhandled,) = [e for e in _entries(logged) if e["message"] == "unhandled error"]
    served = parse_traceparent(failed.headers["traceresponse"])
    assert served is not None and unhandled["trace_id"] == served.trace_id


async def test_an_event_is_handled_under_the_trace_it_was_published_in(
    client: httpx.AsyncClient, logged: io.StringIO, handled: list[Event]
) -> None:
    event = SessionStarted(session_id="s-1", mode="practice")
    envelope = {
        "specversion": "1.0",
        "id": event.id,
        "traceparent": f"00-{TRACE}-{SPAN}-01",
        "traceid": f"00-{TRACE}-{SPAN}-01",
        "data": to_wire(event),
    }
    headers = {"dapr-api-token": APP_TOKEN}
    answer = await client.post(event_route(SessionStarted.topic), json=envelope, headers=headers)
    assert answer.json() == {"status": "SUCCESS"} and len(handled) == 1
    (line,) = _entries(logged, "t.tracing")
    assert (line["trace_id"], line["span_id"]) == (TRACE, SPAN)

    # daprd's delivery header names the same trace at its own span: that span is kept
    delivery = "1111111111111111"
    headers["traceparent"] = f"00-{TRACE}-{delivery}-01"
    await client.post(event_route(SessionStarted.topic), json=envelope, headers=headers)
    assert _entries(logged, "t.tracing")[-1]["span_id"] == delivery


async def test_calls_to_the_sidecar_continue_the_current_trace() -> None:
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("traceparent"))
        return httpx.Response(200, json=[] if "bulk" in request.url.path else {})

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://d")
    sidecar = Sidecar(Settings(), client=client)
    context = TraceContext(TRACE, SPAN)
    with trace_scope(context):
        await sidecar.invoke("tutor", "grade")
        await sidecar.publish(SessionStarted(session_id="s-1", mode="practice"))
        await sidecar.publish_bulk([SessionStarted(session_id="s-2", mode="exam")])
    await sidecar.invoke("tutor", "grade")  # outside any trace: daprd starts one
    await sidecar.aclose()
    assert seen == [context.header()] * 3 + [None]
