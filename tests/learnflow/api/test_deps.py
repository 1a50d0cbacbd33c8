"""The shared dependency aliases: one `PoolDep` (and its optional variant) for every app."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from learnflow.api.deps import OptionalPoolDep, PoolDep


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/pool")
    async def pool(pool: PoolDep) -> str:
        return str(pool)

    @app.get("/optional")
    async def optional(pool: OptionalPoolDep) -> str | None:
        return None if pool is None else str(pool)

    return app


async def _get(app: FastAPI, path: str) -> object:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        return (await client.get(path)).json()


async def test_a_route_gets_the_apps_pool() -> None:
    app = _app()
    app.state.pool = "the pool"  # a stand-in: the dependency only hands it over

    assert await _get(app, "/pool") == "the pool"
    assert await _get(app, "/optional") == "the pool"


async def test_an_app_without_a_database_gets_none_from_the_optional_pool() -> None:
    assert await _get(_app(), "/optional") is None
