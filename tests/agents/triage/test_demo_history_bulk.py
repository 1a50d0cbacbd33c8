"""The demo history goes out with the bulk publish API (on the FakeDapr of tests/agents/triage/
fakes.py, real PostgreSQL): an entry the broker refuses is sent again alone; one refused every
time leaves the student without a recorded history, and the next start republishes the same ids."""

from __future__ import annotations

import pytest

from learnflow.errors import DependencyFailed
from tests.agents.triage.conftest import Mesh
from triage_agent import demo_history


async def test_a_refused_entry_is_retried_alone(mesh: Mesh) -> None:
    pool, sidecar = mesh.triage.state.pool, mesh.triage.state.sidecar
    mesh.dapr.fail_publishes = 1  # the first entry of the first bulk request is refused once
    assert await demo_history.publish_missing(pool, sidecar) == 2
    ids = [e.id for e in mesh.dapr.events()]
    assert len(ids) == len(set(ids))  # the refused entry went out once, after its retry


async def test_refused_every_time_records_nothing_and_the_retry_sends_the_same_ids(
    mesh: Mesh,
) -> None:
    pool, sidecar = mesh.triage.state.pool, mesh.triage.state.sidecar
    mesh.dapr.fail_publishes = 10_000
    with pytest.raises(DependencyFailed, match="not published"):
        await demo_history.publish_missing(pool, sidecar)
    async with pool.connection() as conn:
        cur = await conn.execute("select count(*) from demo_histories")
        assert (await cur.fetchone()) == (0,)
    mesh.dapr.fail_publishes = 0
    assert await demo_history.publish_missing(pool, sidecar) == 2
    first = {e.id for e in mesh.dapr.events()}
    mesh.dapr.published.clear()
    async with pool.connection() as conn:
        await conn.execute("delete from demo_histories")
    assert await demo_history.publish_missing(pool, sidecar) == 2
    assert {e.id for e in mesh.dapr.events()} == first  # deterministic ids: consumers dedupe
