"""The request guard on a small in-process app: body limit on bytes received, unstorable text,
and problem statuses in a header for mesh callers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel

from learnflow.api.guard import has_unstorable_text
from learnflow.api.service import create_service_app
from learnflow.errors import Busy, FailedDependency, NotFound
from learnflow.settings import Settings

LIMIT = 1024


class Echo(BaseModel):
    text: str


def _app() -> Any:
    public = APIRouter()

    @public.post("/echo")
    async def echo(body: Echo) -> dict[str, str]:
        return {"text": body.text}

    @public.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        raise NotFound(f"no item {item_id}")

    @public.post("/busy")
    async def busy() -> None:
        raise Busy("queue full", retry_after_s=3)

    @public.post("/runner-down")
    async def runner_down() -> None:
        raise FailedDependency("Running code is unavailable right now.", "code-runner")

    @public.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    internal = APIRouter()

    @internal.get("/internal")
    async def internal_route() -> dict[str, str]:
        return {"ok": "yes"}

    settings = Settings(app_id="t", max_body_bytes=LIMIT, app_api_token="app-token")
    return create_service_app("t", routers=[internal], public_routers=[public], settings=settings)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = _app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http


async def test_a_chunked_body_over_the_limit_is_refused_while_it_arrives(
    client: httpx.AsyncClient,
) -> None:
    produced = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal produced
        for _ in range(1000):  # 1000 x 512 B = 500 KiB if it were read whole
            produced += 512
            yield b"x" * 512

    answer = await client.post("/raw", content=body())
    assert answer.status_code == 413
    assert answer.json()["error"] == "payload_too_large"
    assert produced < 100 * 512, f"{produced} bytes were read for a {LIMIT}-byte limit"


async def test_a_body_at_the_limit_is_read(client: httpx.AsyncClient) -> None:
    answer = await client.post("/raw", content=b"x" * LIMIT)
    assert answer.json() == {"bytes": LIMIT}


async def test_a_declared_length_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post("/raw", content=b"x" * (LIMIT + 1))
    assert answer.status_code == 413
    assert str(LIMIT + 1) in answer.json()["message"]


@pytest.mark.parametrize("text", ["a\u0000b", "\ud800", "x\udfffy", "\ud83d"])
async def test_unstorable_text_is_a_422(client: httpx.AsyncClient, text: str) -> None:
    import json

    answer = await client.post(
        "/echo", content=json.dumps({"text": text}), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert "NUL" in answer.json()["message"]


async def test_a_surrogate_pair_is_fine(client: httpx.AsyncClient) -> None:
    answer = await client.post("/echo", json={"text": "snake 🐍"})
    assert answer.json() == {"text": "snake 🐍"}


@pytest.mark.parametrize("url", ["/items/%00", "/items/a?x=%00"])
async def test_nul_in_the_path_or_query_is_a_422(client: httpx.AsyncClient, url: str) -> None:
    assert (await client.get(url)).status_code == 422


ASK = {"x-learnflow-problems": "in-header", "dapr-caller-app-id": "triage"}


async def test_mesh_callers_get_problems_in_a_header(client: httpx.AsyncClient) -> None:
    missing = await client.get("/items/abc", headers=ASK)
    assert missing.status_code == 200
    assert missing.headers["x-learnflow-status"] == "404"
    assert missing.json()["error"] == "not_found"
    busy = await client.post("/busy", headers=ASK)
    assert (busy.status_code, busy.headers["x-learnflow-status"]) == (200, "503")
    assert busy.headers["retry-after"] == "3"
    down = await client.post("/runner-down", headers=ASK)
    assert (down.status_code, down.headers["x-learnflow-status"]) == (200, "424")
    assert down.json()["dependency"] == "code-runner"
    # others get the real status
    assert (await client.get("/items/abc")).status_code == 404


async def test_only_service_invocations_get_problems_in_a_header(
    client: httpx.AsyncClient,
) -> None:
    """daprd's own calls (`/dapr/subscribe`, deliveries, health probes) carry no caller id: a
    200 there is read as success (a problem object as the subscription list dropped them all)."""
    ask_only = {"x-learnflow-problems": "in-header"}
    missing = await client.get("/items/abc", headers=ask_only)
    assert missing.status_code == 404 and "x-learnflow-status" not in missing.headers
    probe = await client.get("/dapr/subscribe", headers={**ask_only, "dapr-api-token": "app-token"})
    assert probe.status_code == 404 and "x-learnflow-status" not in probe.headers


async def test_the_guards_own_refusal_through_the_mesh(client: httpx.AsyncClient) -> None:
    refused = await client.get("/internal", headers=ASK)  # no app token: not from our sidecar
    assert (refused.status_code, refused.headers["x-learnflow-status"]) == (200, "401")


async def test_internal_routes_demand_the_app_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/internal")).status_code == 401
    ok = await client.get("/internal", headers={"dapr-api-token": "app-token"})
    assert ok.json() == {"ok": "yes"}


def test_unstorable_text_is_found_in_keys_and_nested_values() -> None:
    assert has_unstorable_text({"a": [{"b\u0000": 1}]})
    assert has_unstorable_text(["ok", {"x": "\udc00"}])
    assert not has_unstorable_text({"a": ["ok", 1, None, {"b": "🐍"}]})
