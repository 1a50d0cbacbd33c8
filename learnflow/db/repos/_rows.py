"""Fetch rows straight into the pydantic row models of `learnflow.db.models`, and the one way
repositories insert a row unless its unique key exists (`insert_or_get`)."""

from __future__ import annotations

from typing import Any, LiteralString, TypeAlias, TypeVar

from psycopg import sql
from psycopg.rows import class_row

from learnflow.db.models import Row
from learnflow.db.pool import Conn
from learnflow.errors import LearnFlowError

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


async def insert_or_get(
    conn: Conn,
    model: type[R],
    insert: Query,
    params: Any,
    *,
    select: Query,
    select_params: Any,
    vanished: LearnFlowError,
) -> tuple[R, bool]:
    """Insert a row unless one with its unique key exists; return (row, created).

    Why two statements: `insert ... on conflict (key) do nothing returning *` returns no row
    when the key exists, and `do update` would touch (and lock, and re-version) a row another
    writer owns. So a conflict reads the row that won with `select` (by the same key) — what a
    redelivered event or a retried activity must see. The row can be deleted between the two
    statements (vanishingly rare); then `vanished` is raised, its message saying what to retry.
    """
    created = await fetch_one(conn, model, insert, params)
    if created is not None:
        return created, True
    existing = await fetch_one(conn, model, select, select_params)
    if existing is None:
        raise vanished
    return existing, False
