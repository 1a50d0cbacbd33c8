"""The connection helpers: a working pool, and clear errors when PostgreSQL is not there."""

from __future__ import annotations

import socket

import pytest

from learnflow.db.pool import connect, database_conninfo, open_pool
from learnflow.errors import ConfigurationError, DependencyFailed
from learnflow.settings import Settings


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens on it once the socket is closed


async def test_the_pool_hands_out_working_connections(db_url: str) -> None:
    async with open_pool(db_url, min_size=1, max_size=2) as pool, pool.connection() as conn:
        cur = await conn.execute("select count(*) from users")
        assert await cur.fetchone() == (0,)


async def test_an_unreachable_database_fails_fast_and_says_so() -> None:
    conninfo = f"host=127.0.0.1 port={_closed_port()} dbname=x user=x password=x"
    with pytest.raises(DependencyFailed, match="Could not connect to PostgreSQL within") as caught:
        async with open_pool(conninfo, timeout_s=0.5):
            pass
    assert caught.value.dependency == "postgresql"
    with pytest.raises(DependencyFailed, match="Could not connect to PostgreSQL"):
        await connect(conninfo)


def test_the_conninfo_comes_from_settings() -> None:
    settings = Settings(_env_file=None, database_url="host=db dbname=learnflow")
    assert database_conninfo(settings) == "host=db dbname=learnflow"
    with pytest.raises(ConfigurationError, match="LEARNFLOW_DATABASE_URL is not set"):
        database_conninfo(Settings(_env_file=None, database_url=None))
