"""Fetch rows straight into the pydantic row models of `learnflow.db.models`."""

from __future__ import annotations

from typing import Any, LiteralString, TypeAlias, TypeVar

from psycopg import sql
from psycopg.rows import class_row

from learnflow.db.models import Row
from learnflow.db.pool import Conn

R = TypeVar("R", bound=Row)
Query: TypeAlias = LiteralString | bytes | sql.SQL | sql.Composed


async def fetch_one(conn: Conn, model: type[R], query: Query, params: Any = None) -> R | None:
    async with conn.cursor(row_factory=class_row(model)) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


async def fetch_all(conn: Conn, model: type[R], query: Query, params: Any = None) -> list[R]:
    async with conn.cursor(row_factory=class_row(model)) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


async def fetch_value(conn: Conn, query: Query, params: Any = None) -> Any:
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    return None if row is None else row[0]
