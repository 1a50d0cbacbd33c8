"""Hosting Dapr actors in a LearnFlow app (`learnflow.api.actors`), on a small in-process app:
the routes daprd calls (theirs, not a second /healthz, not in the docs, only with the app token),
and the actors' state going through the app's sidecar (a fake daprd's actor state API here)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import pytest_asyncio
from dapr.actor import Actor, ActorInterface, actormethod
from fastapi import FastAPI

from learnflow.api.actors import actor_host, mount_actor_routes
from learnflow.api.service import create_service_app
from learnflow.errors import Unavailable
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar

TOKEN = "app-token-from-daprd"


class CounterApi(ActorInterface):
    @actormethod(name="add")
    async def add(self, amount: int) -> int: ...


class Counter(Actor, CounterApi):
    async def add(self, amount: int) -> int:
        _, total = await self._state_manager.try_get_state("total")
        total = (total or 0) + amount
        await self._state_manager.set_state("total", total)
        return int(total)


@dataclass
class ActorStateDaprd:
    """daprd's actor state API, in memory; `fail_saves` makes the next saves fail (500)."""

    state: dict[str, bytes] = field(default_factory=dict)
    fail_saves: int = 0
    reads: int = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1.0/actors/Counter/")
        actor_id, _, rest = path.partition("/")
        if request.method == "PUT" and rest == "state":
            if self.fail_saves:
                self.fail_saves -= 1
                return httpx.Response(500, json={"errorCode": "ERR_ACTOR_STATE_TRANSACTION_SAVE"})
            for operation in json.loads(request.content):
                key = f"{actor_id}/{operation['request']['key']}"
                self.state[key] = json.dumps(operation["request"]["value"]).encode()
            return httpx.Response(204)
        if request.method == "GET" and rest.startswith("state/"):
            self.reads += 1
            found = self.state.get(f"{actor_id}/{rest.removeprefix('state/')}")
            return httpx.Response(204) if found is None else httpx.Response(200, content=found)
        return httpx.Response(404)


@dataclass
class Host:
    app: FastAPI
    daprd: ActorStateDaprd
    client: httpx.AsyncClient  # as daprd calls the app (with its app token)

    async def add(self, actor_id: str, amount: int) -> httpx.Response:
        return await self.client.put(
            f"/actors/Counter/{actor_id}/method/add",
            content=json.dumps(amount),
            headers={"dapr-api-token": TOKEN},
        )


@pytest_asyncio.fixture
async def host() -> AsyncIterator[Host]:
    settings = Settings(app_id="counter", app_api_token=TOKEN)
    app = create_service_app("counter", on_startup=[actor_host(Counter)], settings=settings)
    mount_actor_routes(app)
    daprd = ActorStateDaprd()
    async with app.router.lifespan_context(app):
        transport = httpx.MockTransport(daprd)
        app.state.sidecar = Sidecar(
            settings, client=httpx.AsyncClient(transport=transport, base_url="http://d")
        )
        asgi = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=asgi, base_url="http://counter") as client:
            yield Host(app, daprd, client)


async def test_daprd_finds_the_actor_types_and_the_apps_own_health_route(host: Host) -> None:
    config = await host.client.get("/dapr/config", headers={"dapr-api-token": TOKEN})
    assert "Counter" in config.json()["entities"]
    health = await host.client.get("/healthz")
    assert health.json() == {"status": "ok", "app_id": "counter"}  # ours, not the SDK's
    paths = host.app.openapi()["paths"]
    assert not [p for p in paths if p.startswith(("/actors", "/dapr"))]


@pytest.mark.parametrize("path", ["/dapr/config", "/actors/Counter/c-1/method/add"])
async def test_only_the_apps_own_daprd_may_call_the_actor_routes(host: Host, path: str) -> None:
    method = "GET" if path == "/dapr/config" else "PUT"
    refused = await host.client.request(method, path, content="1")
    assert refused.status_code == 401
    assert host.daprd.state == {}


async def test_actor_state_goes_through_the_apps_sidecar(host: Host) -> None:
    assert (await host.add("c-1", 2)).json() == 2
    assert (await host.add("c-1", 3)).json() == 5
    assert (await host.add("c-2", 1)).json() == 1
    assert host.daprd.state == {"c-1/total": b"5", "c-2/total": b"1"}


async def test_a_failed_save_is_not_remembered_as_saved(host: Host) -> None:
    """The SDK drops an actor's cached state only on `DaprInternalError`: the client raises
    that, so the next call reads the store again instead of trusting the unsaved value."""
    assert (await host.add("c-3", 1)).json() == 1
    host.daprd.fail_saves = 1
    failed = await host.add("c-3", 10)
    assert failed.status_code == 500
    assert (await host.add("c-3", 1)).json() == 2  # 1 (saved) + 1, not 11 + 1


def _sidecar(answer: httpx.Response, seen: list[httpx.Request]) -> Sidecar:
    def daprd(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    client = httpx.AsyncClient(transport=httpx.MockTransport(daprd), base_url="http://d")
    return Sidecar(Settings(), client=client)


async def test_invoke_actor_calls_daprds_actor_api() -> None:
    seen: list[httpx.Request] = []
    sidecar = _sidecar(httpx.Response(200, json={"wait_s": 0}), seen)
    answer = await sidecar.invoke_actor("Counter", "chat:1b2c", "take", json_body={"n": 1})
    assert answer == {"wait_s": 0}
    assert (seen[0].method, seen[0].url.path) == (
        "PUT",
        "/v1.0/actors/Counter/chat:1b2c/method/take",
    )
    assert json.loads(seen[0].content) == {"n": 1}


async def test_an_actor_that_cannot_answer_is_unavailable() -> None:
    body = {"errorCode": "ERR_ACTOR_INVOKE_METHOD", "message": "did not find address for actor"}
    sidecar = _sidecar(httpx.Response(500, json=body), [])
    with pytest.raises(Unavailable) as caught:
        await sidecar.invoke_actor("Counter", "c-1", "add")
    assert caught.value.retry_after_s == 2


@pytest.mark.parametrize("actor_id", ["../state", "a/b", "", "x?y", "a b"])
async def test_an_actor_id_that_could_address_another_route_is_refused(actor_id: str) -> None:
    seen: list[httpx.Request] = []
    with pytest.raises(ValueError):
        await _sidecar(httpx.Response(200), seen).invoke_actor("Counter", actor_id, "add")
    assert seen == []
