"""`insert_or_get`: the repositories' one way to insert a row unless its unique key exists."""

from __future__ import annotations

import psycopg
import pytest

from learnflow.db.models import Row
from learnflow.db.repos._rows import insert_or_get
from learnflow.errors import NotFound

INSERT = "insert into t (key, value) values (%s, %s) on conflict (key) do nothing returning *"
SELECT = "select * from t where key = %s"


class Thing(Row):
    key: str
    value: int


@pytest.fixture
async def table(conn: psycopg.AsyncConnection) -> psycopg.AsyncConnection:
    await conn.execute("create table t (key text primary key, value int not null)")
    return conn


async def test_a_new_key_is_inserted(table: psycopg.AsyncConnection) -> None:
    thing, created = await insert_or_get(
        table, Thing, INSERT, ("a", 1), select=SELECT, select_params=("a",), vanished=NotFound("x")
    )
    assert (thing, created) == (Thing(key="a", value=1), True)


async def test_an_existing_key_returns_the_stored_row_unchanged(
    table: psycopg.AsyncConnection,
) -> None:
    await table.execute("insert into t values ('a', 1)")
    thing, created = await insert_or_get(
        table, Thing, INSERT, ("a", 2), select=SELECT, select_params=("a",), vanished=NotFound("x")
    )
    assert (thing, created) == (Thing(key="a", value=1), False)
    count = await (await table.execute("select count(*) from t")).fetchone()
    assert count == (1,)


async def test_a_row_gone_between_the_statements_raises_the_callers_error(
    table: psycopg.AsyncConnection,
) -> None:
    """The conflicting row is not found by the select (as if deleted in between)."""
    await table.execute("insert into t values ('a', 1)")
    vanished = NotFound("The thing a vanished; retry")
    with pytest.raises(NotFound) as raised:
        await insert_or_get(
            table, Thing, INSERT, ("a", 2), select=SELECT, select_params=("b",), vanished=vanished
        )
    assert raised.value is vanished
