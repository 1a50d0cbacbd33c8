"""Outbox relay throughput: rows drained per second with the bulk publish API vs one by one.

A real stack of its own, slimmed to what the relay uses: PostgreSQL, Kafka, the Dapr control
plane and triage with its daprd (`LEARNFLOW_BENCH_PORT_OFFSET`, default 2500; run dir
`.run/<LEARNFLOW_BENCH_RUN_DIR>`, default `bench-outbox`). Both sides are the real
`learnflow.outbox.Relay` in this process, publishing through triage's daprd to Kafka:

- `bulk`: `SidecarPublisher(bulk=True)`: per relay batch of 100 rows, one `publish_bulk` request per
  topic (rows in seq order), daprd's Kafka component sends the entries to the producer at once.
- `one_by_one`: `SidecarPublisher(bulk=False)`: one `Sidecar.publish` per row, each waiting
  for daprd's answer (Kafka's ack), as the relay did before.

After an untimed round of each side (a fresh stack warms up), each round queues `ROWS` rows
for each side (not timed: one transaction) under an app id of the side's own (so triage's own
relay leaves them alone), then times `Relay.drain()` until every row is marked published. The
rows are what a chat turn queues: `learning.routed` and `learning.response` in turn, over
`SESSIONS` sessions (partition keys).
Sides alternate, the order swapped every round, so both see the same machine load; the 1-minute
load average is reported before, after and with each round.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from typing import Any

import psycopg

from benchmarks.stacks import clean_stack, load_average_1m, running
from learnflow import outbox
from learnflow.events import Event, LearningResponse, LearningRouted
from learnflow.mesh import services
from learnflow.mesh.stack import Stack
from learnflow.mesh.topology import APPS
from learnflow.outbox import Relay, SidecarPublisher
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar

ROWS = 1000
ROUNDS = 4
WARMUP_ROWS = ROWS  # a fresh stack's first thousand publishes are slower (first run: 3x)
SESSIONS = 20
SIDES = ("bulk", "one_by_one")


def _rows(n: int) -> list[Event]:
    """n events as chat turns queue them: routed, then the response, per message."""
    events: list[Event] = []
    run = uuid.uuid4().hex[:8]
    for i in range(n // 2):
        common: dict[str, Any] = {
            "source": "triage",
            "session_id": f"bench-{run}-{i % SESSIONS}",
            "message_id": f"m{i}",
            "agent": "concepts",
        }
        events.append(
            LearningRouted(id=str(uuid.uuid4()), intent="concept", confidence=0.9, **common)
        )
        events.append(LearningResponse(id=str(uuid.uuid4()), reply_chars=i, **common))
    return events


async def _queue(conninfo: str, app_id: str, events: list[Event]) -> None:
    async with await psycopg.AsyncConnection.connect(conninfo) as conn, conn.transaction():
        for event in events:
            await outbox.add(conn, event, app_id=app_id)


async def _drain(relay: Relay, conninfo: str, n: int) -> float:
    """Queue n rows for the relay's app, then the seconds its `drain` takes to publish them."""
    await _queue(conninfo, relay.app_id, _rows(n))
    started = time.perf_counter()
    published = await relay.drain()
    took = time.perf_counter() - started
    if published != n:
        raise RuntimeError(
            f"{relay.app_id}: published {published} of {n} rows: {relay.stats.last_error}"
        )
    return took


async def _figures(stack: Stack, run_secrets: services.RunSecrets) -> dict[str, Any]:
    triage = stack.topo.app("triage")
    conninfo = services.app_conninfo(stack.topo, run_secrets)
    sidecar = Sidecar(
        Settings(
            app_id="triage",
            dapr_http_port=triage.dapr_http_port,
            dapr_api_token=run_secrets.dapr_token("triage"),
        )
    )
    relays = {
        side: Relay(
            app_id=f"bench-outbox-{side}",
            conninfo=conninfo,
            publisher=SidecarPublisher(sidecar, bulk=side == "bulk"),
        )
        for side in SIDES
    }
    took = dict.fromkeys(SIDES, 0.0)
    per_round: dict[str, list[float]] = {side: [] for side in SIDES}
    loads: list[float] = []
    try:
        for relay in relays.values():
            await _drain(relay, conninfo, WARMUP_ROWS)
        for n in range(ROUNDS):
            order = SIDES if n % 2 == 0 else SIDES[::-1]
            for side in order:
                seconds = await _drain(relays[side], conninfo, ROWS)
                took[side] += seconds
                per_round[side].append(round(ROWS / seconds, 1))
            loads.append(round(os.getloadavg()[0], 2))
            print(
                f"[bench] outbox round {n + 1}: "
                + ", ".join(f"{s} {per_round[s][-1]} rows/s" for s in SIDES)
                + f" (load {loads[-1]})",
                file=sys.stderr,
                flush=True,
            )
    finally:
        for relay in relays.values():
            await relay.aclose()
        await sidecar.aclose()
    rates = {side: ROWS * ROUNDS / took[side] for side in SIDES}
    return {
        "rows": ROWS * ROUNDS,
        "rounds": ROUNDS,
        "rows_per_s_bulk": round(rates["bulk"], 1),
        "rows_per_s_one_by_one": round(rates["one_by_one"], 1),
        "bulk_vs_one_by_one_rows_per_s": round(rates["bulk"] / rates["one_by_one"], 2),
        "bulk_vs_one_by_one_median_round": round(
            statistics.median(per_round["bulk"]) / statistics.median(per_round["one_by_one"]), 2
        ),
        "rows_per_s_by_round": per_round,
        "load_average_1m_by_round": loads,
    }


def run() -> dict[str, Any]:
    only_triage = [app_id for app_id in APPS if app_id != "triage"]
    stack = clean_stack(
        os.environ.get("LEARNFLOW_BENCH_RUN_DIR", "bench-outbox"),
        default_offset=2500,
        without=only_triage,
    )
    load_before = os.getloadavg()
    with running(stack) as run_secrets:
        figures = asyncio.run(_figures(stack, run_secrets))
    figures["load_average_1m"] = load_average_1m(load_before)
    return figures
