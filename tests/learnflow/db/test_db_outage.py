"""PostgreSQL going away under a running pool: requests fail fast (503 + Retry-After at the API,
nothing half-written) and the pool recovers by itself when the database is back."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest_asyncio
from fastapi import FastAPI
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from learnflow.api.problems import install_problem_handlers
from learnflow.db.pool import FAIL_FAST_S, Pool, open_pool
from tests.learnflow.db.outage_proxy import CuttableProxy
from tests.waiting import eventually

ACQUIRE_TIMEOUT_S = 3.0  # as the apps' pools


@pytest_asyncio.fixture
async def proxy(db_url: str) -> AsyncIterator[CuttableProxy]:
    the_proxy = CuttableProxy(int(conninfo_to_dict(db_url)["port"]))  # type: ignore[arg-type]
    await the_proxy.start()
    yield the_proxy
    await the_proxy.cut()


@pytest_asyncio.fixture
async def pool(db_url: str, proxy: CuttableProxy) -> AsyncIterator[Pool]:
    through = make_conninfo(db_url, port=proxy.port)
    async with open_pool(through, max_size=2, acquire_timeout_s=ACQUIRE_TIMEOUT_S) as opened:
        async with opened.connection() as conn:
            await conn.execute("create table notes (id int primary key, body text not null)")
        yield opened


def api(pool: Pool) -> FastAPI:
    """A route that writes two rows in one transaction, with the problem handlers of every app."""
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/notes/{note_id}")
    async def write(note_id: int) -> dict[str, int]:
        async with pool.connection() as conn, conn.transaction():
            await conn.execute("insert into notes values (%s, 'first')", (note_id,))
            await conn.execute("insert into notes values (%s, 'second')", (note_id + 1000,))
        return {"id": note_id}

    return app


async def count_notes(db_url: str) -> int:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cur = await conn.execute("select count(*) from notes")
        row = await cur.fetchone()
        return int(row[0]) if row else 0


async def test_requests_fail_fast_with_503_then_recover_by_themselves(
    pool: Pool, proxy: CuttableProxy, db_url: str
) -> None:
    transport = httpx.ASGITransport(app=api(pool))
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        assert (await client.post("/notes/1")).status_code == 200

        await proxy.cut()  # PostgreSQL is gone: open connections drop, new ones are refused
        answers = []
        for note in (2, 3, 4):
            started = time.monotonic()
            answers.append((await client.post(f"/notes/{note}"), time.monotonic() - started))

        for response, _ in answers:
            assert response.status_code == 503
            assert response.headers["retry-after"] == "5"
            assert response.json()["error"] == "unavailable"
            assert "nothing was saved" in response.json()["message"]
        # the first waits for a connection at most its timeout; then it is known to be down
        assert answers[0][1] < ACQUIRE_TIMEOUT_S + 2
        assert all(seconds < FAIL_FAST_S + 1 for _, seconds in answers[1:])
        assert await count_notes(db_url) == 2  # nothing half-written

        await proxy.restore()
        # the first request once the server is back works, whatever the pool's reconnection
        # backoff is doing (the chaos drill `up` repairs once met a 503 right after PostgreSQL's
        # restart: the pool's next try was seconds away and the request failed fast)
        response = await client.post("/notes/5")
        assert response.status_code == 200
        assert await count_notes(db_url) == 4


async def test_a_request_after_a_long_outage_waits_for_the_pool_not_its_backoff(
    pool: Pool, proxy: CuttableProxy, db_url: str
) -> None:
    transport = httpx.ASGITransport(app=api(pool))
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        await proxy.cut()
        assert (await client.post("/notes/1")).status_code == 503

        async def pool_retried_twice() -> bool:  # the backoff has grown past the fail-fast wait
            return pool.get_stats().get("connections_errors", 0) >= 2

        await eventually(pool_retried_twice, timeout_s=20, what="two failed reconnections")
        await proxy.restore()
        response = await client.post("/notes/2")
        assert response.status_code == 200, response.text
        assert await count_notes(db_url) == 2


async def test_a_connection_lost_mid_transaction_rolls_back_and_is_a_503(
    pool: Pool, proxy: CuttableProxy, db_url: str
) -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/half")
    async def half() -> dict[str, str]:
        async with pool.connection() as conn, conn.transaction():
            await conn.execute("insert into notes values (7, 'first')")
            await proxy.cut()
            await conn.execute("insert into notes values (8, 'second')")
        return {}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        response = await client.post("/half")
    assert response.status_code == 503
    await proxy.restore()
    assert await count_notes(db_url) == 0
