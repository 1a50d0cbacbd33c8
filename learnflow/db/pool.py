"""PostgreSQL connections for LearnFlow's own tables: one async pool per process.

Use it from a FastAPI `lifespan`:

    async with open_pool() as pool:
        async with pool.connection() as conn:   # a transaction: commit on success, else rollback
            user = await users.get_user_by_email(conn, email="maya@learnflow.dev")
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from learnflow.errors import ConfigurationError, DependencyFailed
from learnflow.settings import Settings, get_settings

Conn: TypeAlias = psycopg.AsyncConnection[Any]
"""What every repository function takes: any async connection (pooled or not)."""

Pool: TypeAlias = AsyncConnectionPool[psycopg.AsyncConnection[Any]]


def database_conninfo(settings: Settings | None = None) -> str:
    """The configured conninfo, or a `ConfigurationError` that says what to set."""
    url = (settings or get_settings()).database_url
    if url is None or not url.get_secret_value().strip():
        raise ConfigurationError(
            "LEARNFLOW_DATABASE_URL is not set: give it a PostgreSQL conninfo, e.g. "
            "postgresql://learnflow:<password>@127.0.0.1:5432/learnflow"
        )
    return url.get_secret_value()


@asynccontextmanager
async def open_pool(
    conninfo: str | None = None,
    *,
    min_size: int = 1,
    max_size: int = 10,
    timeout_s: float = 10.0,
    name: str = "learnflow",
) -> AsyncIterator[Pool]:
    """Open a pool, wait until its first connection works, and close it on exit.

    Fails fast with `DependencyFailed` when PostgreSQL cannot be reached within `timeout_s`.
    """
    pool: Pool = AsyncConnectionPool(
        conninfo or database_conninfo(),
        min_size=min_size,
        max_size=max_size,
        timeout=timeout_s,
        name=name,
        open=False,
    )
    try:
        await pool.open(wait=True, timeout=timeout_s)
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


async def connect(conninfo: str | None = None, **kwargs: Any) -> Conn:
    """One connection outside any pool (CLI commands, migrations, tests)."""
    try:
        return await psycopg.AsyncConnection.connect(conninfo or database_conninfo(), **kwargs)
    except psycopg.OperationalError as exc:
        raise DependencyFailed(
            f"Could not connect to PostgreSQL: {exc}".strip(), dependency="postgresql"
        ) from exc
