"""One rate-limit check (`triage_agent.limits.quota`): the `RateLimitBucket` actor vs the
PostgreSQL row it replaced, on a real stack of its own (`LEARNFLOW_BENCH_PORT_OFFSET`, default
2000; run dir `.run/bench`).

Both sides are **interleaved** (one call of each in turn, the order swapped every call, after a
warm-up), so they see the same machine load. What each side does per check:

- `actor`: what quota() does since issue 15.2 — `bucket_actor.take` through triage's daprd
  (`PUT /v1.0/actors/RateLimitBucket/<id>/method/take`); daprd finds the actor's host with
  placement (triage's one replica here), calls triage's actor route one call per id at a time,
  and the actor saves its bucket through daprd in the Dapr PostgreSQL state store (with its
  TTL) — or saves nothing when it refuses.
- `row`: what quota() did before — a connection from a psycopg pool like triage's, and the old
  `take_token` statement on the same PostgreSQL (`rate_buckets`, migration 0009): one upsert
  when a token is taken, that plus a select when refused. Kept here, verbatim, as the baseline.

Figures, each over `N` checks a side:

- `taken`: one learner's bucket with room (capacity 10^9): the common case, a write each.
- `refused`: an empty bucket (capacity 1, almost no refill): every check refused.
- `first_check`: a new learner each check: the actor is activated (reads its state, finds
  none) and saves; the row is inserted.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks.stacks import clean_stack, load_average_1m, running
from benchmarks.stats import interleaved, summary_ms
from learnflow.db import open_pool
from learnflow.db.pool import Conn, Pool
from learnflow.db.repos._rows import fetch_value
from learnflow.mesh import services
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar
from triage_agent import bucket_actor

N = 500
WARMUP = 20
ROOMY = {"capacity": 10**9, "per_second": 1e6}
EMPTY = {"capacity": 1, "per_second": 1e-6}

Call = Callable[[], Awaitable[float]]


async def take_token_row(conn: Conn, *, key: str, capacity: int, per_second: float) -> float:
    """The removed `learnflow.db.repos.limits.take_token` (the baseline), verbatim."""
    taken = await fetch_value(
        conn,
        """
        insert into rate_buckets as b (key, tokens, updated_at)
        values (%(key)s, %(capacity)s - 1, now())
        on conflict (key) do update
           set tokens = least(%(capacity)s::float8,
                              b.tokens + extract(epoch from now() - b.updated_at) * %(rate)s) - 1,
               updated_at = now()
         where least(%(capacity)s::float8,
                     b.tokens + extract(epoch from now() - b.updated_at) * %(rate)s) >= 1
        returning tokens
        """,
        {"key": key, "capacity": capacity, "rate": per_second},
    )
    if taken is not None:
        return 0.0
    have = await fetch_value(
        conn,
        "select least(%(capacity)s::float8,"
        " tokens + extract(epoch from now() - updated_at) * %(rate)s)"
        " from rate_buckets where key = %(key)s",
        {"key": key, "capacity": capacity, "rate": per_second},
    )
    missing = 1 - float(have if have is not None else 0)
    return max(missing / per_second, 0.001)


def _checks(
    sidecar: Sidecar, pool: Pool, policy: dict[str, Any], *, fresh: bool
) -> tuple[Call, Call]:
    """(actor check, row check) on one bucket each, or on a new one every call (`fresh`)."""
    run = uuid.uuid4().hex[:8]
    count = 0

    def key() -> str:
        nonlocal count
        count += 1
        return f"chat:bench-{run}-{count if fresh else 0}"

    async def actor() -> float:
        return await bucket_actor.take(sidecar, key=key(), **policy)

    async def row() -> float:
        async with pool.connection() as conn:
            return await take_token_row(conn, key=key(), **policy)

    return actor, row


async def measure(
    dapr_http_port: int, dapr_token: str, conninfo: str, n: int = N
) -> dict[str, Any]:
    """The three figures against a running stack: triage's daprd at `dapr_http_port` (its
    token `dapr_token`), its database at `conninfo`."""
    sidecar = Sidecar(
        Settings(app_id="triage", dapr_http_port=dapr_http_port, dapr_api_token=dapr_token)
    )
    figures: dict[str, Any] = {}
    try:
        async with open_pool(conninfo, max_size=10, name="quota-bench") as pool:
            cases = {
                "taken": (ROOMY, False),
                "refused": (EMPTY, False),
                "first_check": (ROOMY, True),
            }
            for name, (policy, fresh) in cases.items():
                actor, row = _checks(sidecar, pool, policy, fresh=fresh)
                for call in (actor, row):  # both sides give the expected answer
                    await call()  # (the refused case's one token goes here)
                    assert (await call() > 0) == (name == "refused"), name
                actor_s, row_s = await interleaved(actor, row, n, warmup=WARMUP)
                figures[name] = {"actor": summary_ms(actor_s), "row": summary_ms(row_s)}
                figures[name]["actor_vs_row_p50"] = round(
                    figures[name]["actor"]["p50_ms"] / figures[name]["row"]["p50_ms"], 2
                )
                print(f"[bench] quota {name}: {figures[name]}", file=sys.stderr, flush=True)
    finally:
        await sidecar.aclose()
    return figures


def run() -> dict[str, Any]:
    stack = clean_stack("bench", default_offset=2000)
    load_before = os.getloadavg()
    with running(stack) as run_secrets:
        triage = stack.topo.app("triage")
        figures = asyncio.run(
            measure(
                triage.dapr_http_port,
                run_secrets.dapr_token("triage"),
                services.app_conninfo(stack.topo, run_secrets),
            )
        )
    figures["load_average_1m"] = load_average_1m(load_before)
    return figures
