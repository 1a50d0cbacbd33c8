"""PostgreSQL connections for LearnFlow's own tables: one async pool per process.

Use it from a FastAPI `lifespan`:

    async with open_pool(database_conninfo(settings)) as pool:
        async with pool.connection() as conn:   # a transaction: commit on success, else rollback
            user = await users.get_user_by_email(conn, email="maya@learnflow.dev")

Outages: every connection is checked as it leaves the pool, so connections broken by a
PostgreSQL restart are replaced without a request ever seeing them; while the server is away a
request waits at most `timeout_s` for a connection (then only `FAIL_FAST_S` until one works
again) and gets `PoolTimeout`, which the API answers with 503 + Retry-After
(`learnflow.api.problems`). The pool keeps reconnecting in the background and recovers by itself;
a request that finds the server answering again while the pool is still between reconnection
attempts waits for the pool instead of failing fast, so the first request after an outage works.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from learnflow.errors import ConfigurationError, DependencyFailed
from learnflow.settings import Settings

Conn: TypeAlias = psycopg.AsyncConnection[Any]
"""What every repository function takes: any async connection (pooled or not)."""

Pool: TypeAlias = AsyncConnectionPool[psycopg.AsyncConnection[Any]]

#: While the database is known to be away, a request waits this long for a connection.
FAIL_FAST_S = 0.5
#: A lost connection is retried with backoff (1 s, then 2 s) for this long, then the slot is freed
#: and the next request tries again at once: the pool is never more than ~2 s from noticing that
#: PostgreSQL is back (with 10 s, a request right after a restart met a retry 8 s away).
RECONNECT_TIMEOUT_S = 2.0
#: How long a request that failed fast gives a direct connection to tell whether the server is back.
PROBE_TIMEOUT_S = 1


class _OutageAwarePool(AsyncConnectionPool[psycopg.AsyncConnection[Any]]):
    """Fails fast while PostgreSQL is known to be down (the last request got no connection)."""

    _down_since: float | None = None

    async def getconn(
        self,
        timeout: float | None = None,  # noqa: ASYNC109 - psycopg_pool's signature
    ) -> psycopg.AsyncConnection[Any]:
        if self._down_since is not None:
            try:
                conn = await super().getconn(
                    min(self.timeout if timeout is None else timeout, FAIL_FAST_S)
                )
            except PoolTimeout:
                if not await self._server_answers():
                    raise
                # the server is back and the pool is between reconnection attempts: wait for it
                # as long as any request would
            else:
                self._down_since = None
                return conn
        try:
            conn = await super().getconn(timeout)
        except PoolTimeout:
            if self._down_since is None:
                self._down_since = time.monotonic()
            raise
        self._down_since = None
        return conn

    async def _server_answers(self) -> bool:
        """Whether a direct connection to the server works now (closed at once)."""
        if not isinstance(self.conninfo, str):
            return False
        try:
            probe = await psycopg.AsyncConnection.connect(
                self.conninfo, connect_timeout=PROBE_TIMEOUT_S
            )
        except psycopg.Error:
            return False
        await probe.close()
        return True


def database_conninfo(settings: Settings) -> str:
    """The configured conninfo, or a `ConfigurationError` that says what to set."""
    url = settings.database_url
    if url is None or not url.get_secret_value().strip():
        raise ConfigurationError(
            "LEARNFLOW_DATABASE_URL is not set: give it a PostgreSQL conninfo, e.g. "
            "postgresql://learnflow:<password>@127.0.0.1:5432/learnflow"
        )
    return url.get_secret_value()


@asynccontextmanager
async def open_pool(
    conninfo: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    timeout_s: float = 10.0,
    acquire_timeout_s: float = 3.0,
    wait: bool = True,
    name: str = "learnflow",
) -> AsyncIterator[Pool]:
    """Open a pool, wait until its first connection works, and close it on exit.

    Fails fast with `DependencyFailed` when PostgreSQL cannot be reached within `timeout_s`;
    with `wait=False` it opens at once and connects in the background (an app that can do useful
    work without the database starts anyway). A request waits at most `acquire_timeout_s` for a
    connection.
    """
    pool: Pool = _OutageAwarePool(
        conninfo,
        min_size=min_size,
        max_size=max_size,
        timeout=acquire_timeout_s,
        name=name,
        open=False,
        check=AsyncConnectionPool.check_connection,
        reconnect_timeout=RECONNECT_TIMEOUT_S,
    )
    try:
        await pool.open(wait=wait, timeout=timeout_s)
    except PoolTimeout as exc:
        await pool.close()
        raise DependencyFailed(
            f"Could not connect to PostgreSQL within {timeout_s:g}s: is it running, and is "
            "LEARNFLOW_DATABASE_URL right?",
            dependency="postgresql",
        ) from exc
    try:
        yield pool
    finally:
        await pool.close()


async def connect(conninfo: str, **kwargs: Any) -> Conn:
    """One connection outside any pool (CLI commands, migrations, workflow activities, tests):
    `conninfo` is `database_conninfo(settings)` of the caller's settings."""
    try:
        return await psycopg.AsyncConnection.connect(conninfo, **kwargs)
    except psycopg.OperationalError as exc:
        raise DependencyFailed(
            f"Could not connect to PostgreSQL: {exc}".strip(), dependency="postgresql"
        ) from exc
