"""Mesh overhead and Kafka throughput, on a real stack of its own.

The stack's port offset is `LEARNFLOW_BENCH_PORT_OFFSET` (default 2000); its run dir is
`.run/bench`. Every figure pairs the mesh with a baseline doing the same work, and the two sides
are **interleaved** (one call of each in turn, the order swapped every call; throughput in
alternating rounds), so both see the same machine load. What each side does:

- `chat`: POST /chat as Maya, a fresh session each time ("How do for loops work?" -> concepts).
  mesh: ingress through triage's daprd, triage invokes concepts through both daprds, reads and
  first-write-saves the conversation in the Dapr PostgreSQL state store, records the turn in
  PostgreSQL, publishes learning.routed + learning.response through its daprd to Kafka.
  in_process: the same triage app and handler in this process, with `benchmarks.direct.
  DirectSidecar`: the real concepts app called in-process, the same state read and first-write
  save as SQL on the same PostgreSQL, the same turn record, the same two CloudEvents to the same
  Kafka topics as the same Kafka user, each waiting for the broker's ack (acks=all).
- `hop`: concepts' POST /respond through triage's and concepts' daprds vs straight to the
  concepts app's port (same request, same app process): the p50 difference is one hop's cost.
- `publish_one`: one event through triage's daprd publish API vs the same CloudEvent produced
  directly (acks=all, waiting for the ack): the p50 difference is what Dapr adds per publish.
- `events_per_s`: 2,000 events each way, in 4 alternating rounds: the sidecar's publish API
  (one event a request, 32 in flight), its bulk publish API (`Sidecar.publish_bulk`: 100
  events a request, 4 in flight) and one batched confluent-kafka producer (acks=all, linger 0),
  all as triage (SASL/SCRAM) to one benchmark topic the bench grants triage on its stack.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from contextlib import AsyncExitStack
from typing import Any, ClassVar

import httpx
from confluent_kafka import Producer

from benchmarks.direct import DirectSidecar
from benchmarks.stacks import clean_stack, load_average_1m, running
from benchmarks.stats import interleaved, summary_ms
from learnflow.events import Event, LearningResponse
from learnflow.mesh import kafka_security, services
from learnflow.mesh.stack import Stack
from learnflow.settings import Settings

N = 300
WARMUP = 10
EVENTS = 2000
ROUNDS = 4
BENCH_TOPICS = ("bench.events", "bench.direct")
# the chat limits are abuse limits for learners, not for a benchmark's one user
NO_LIMITS = {"LEARNFLOW_LIMIT_CHAT_BURST": "100000", "LEARNFLOW_LIMIT_CHAT_PER_MINUTE": "100000"}


class BenchEvent(Event):
    """The throughput benchmark's event (its own topic, granted to triage on the bench stack)."""

    topic: ClassVar[str] = BENCH_TOPICS[0]
    i: int


def _bench_topics(bootstrap: str, run_secrets: services.RunSecrets) -> None:
    """The benchmark's topics, and triage's right to write one (this stack only)."""
    from confluent_kafka.admin import NewTopic

    admin = kafka_security.admin_client(bootstrap, run_secrets.kafka_passwords["admin"])
    new = [NewTopic(t, num_partitions=kafka_security.PARTITIONS) for t in BENCH_TOPICS]
    for future in admin.create_topics(new).values():
        future.result(timeout=30)
    grant = kafka_security.Grant("User:triage", "TOPIC", BENCH_TOPICS[0], "LITERAL", "WRITE")
    for future in admin.create_acls([kafka_security.acl_binding(grant)]).values():
        future.result(timeout=30)


def _in_process_settings(stack: Stack, run_secrets: services.RunSecrets) -> Settings:
    return Settings(
        run_dir=stack.run_dir,
        port_offset=stack.settings.port_offset,
        app_id="triage",
        database_url=services.app_conninfo(stack.topo, run_secrets),
        jwt_secret=run_secrets.jwt_secret,
        limit_chat_burst=int(NO_LIMITS["LEARNFLOW_LIMIT_CHAT_BURST"]),
        limit_chat_per_minute=float(NO_LIMITS["LEARNFLOW_LIMIT_CHAT_PER_MINUTE"]),
    )


def _progress(name: str, mesh: list[float], baseline: list[float]) -> None:
    print(
        f"[bench] {name}: mesh {summary_ms(mesh)} / baseline {summary_ms(baseline)} "
        f"(load {os.getloadavg()[0]:.2f})",
        file=sys.stderr,
        flush=True,
    )


async def _figures(stack: Stack, run_secrets: services.RunSecrets) -> dict[str, Any]:
    from triage_agent.main import create_app as triage_app

    topo = stack.topo
    bootstrap = f"127.0.0.1:{topo.kafka_port}"
    _bench_topics(bootstrap, run_secrets)
    triage, concepts = topo.app("triage"), topo.app("concepts")
    dapr_base = f"http://127.0.0.1:{triage.dapr_http_port}"
    dapr = {"dapr-api-token": run_secrets.dapr_token("triage")}
    app_token = {"dapr-api-token": run_secrets.app_token("concepts")}
    respond = {"message": "hi", "session_id": "bench", "message_id": "m", "intent": "x"}
    kafka_triage = kafka_security.client_config(
        bootstrap, "triage", run_secrets.kafka_passwords["triage"]
    )
    settings = _in_process_settings(stack, run_secrets)
    chat_body = {"message": "How do for loops work?"}
    async with AsyncExitStack() as resources:
        client = await resources.enter_async_context(httpx.AsyncClient(timeout=30))
        logins = json.loads((stack.run_dir / "demo-logins.json").read_text())
        maya = next(u for u in logins["users"] if u["email"] == "maya@learnflow.dev")
        login = await client.post(
            f"http://127.0.0.1:{triage.app_port}/auth/login",
            json={"email": maya["email"], "password": maya["password"]},
        )
        login.raise_for_status()
        bearer = {"authorization": f"Bearer {login.json()['access_token']}"}

        app = triage_app(settings, database=True, workflows=False)
        await resources.enter_async_context(app.router.lifespan_context(app))
        direct = await DirectSidecar.open(
            resources, settings, services.app_conninfo(topo, run_secrets), kafka_triage
        )
        app.state.sidecar = direct
        local = await resources.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://triage")
        )

        async def chat_mesh() -> None:
            r = await client.post(
                f"{dapr_base}/v1.0/invoke/triage/method/chat",
                json={**chat_body, "session_id": f"b-{uuid.uuid4()}"},
                headers={**dapr, **bearer},
            )
            r.raise_for_status()
            assert r.json()["routed_to"] == "concepts", r.text

        async def chat_local() -> None:
            r = await local.post(
                "/chat", json={**chat_body, "session_id": f"b-{uuid.uuid4()}"}, headers=bearer
            )
            r.raise_for_status()
            assert r.json()["routed_to"] == "concepts", r.text

        async def hop() -> None:
            r = await client.post(
                f"{dapr_base}/v1.0/invoke/concepts/method/respond", json=respond, headers=dapr
            )
            r.raise_for_status()

        async def hop_direct() -> None:
            r = await client.post(
                f"http://127.0.0.1:{concepts.app_port}/respond", json=respond, headers=app_token
            )
            r.raise_for_status()

        def event() -> LearningResponse:
            return LearningResponse(
                id=str(uuid.uuid4()),
                session_id="bench",
                message_id="m",
                agent="concepts",
                reply_chars=1,
            )

        from learnflow.sidecar import Sidecar

        sidecar = Sidecar(
            Settings(
                app_id="triage",
                dapr_http_port=triage.dapr_http_port,
                dapr_api_token=dapr["dapr-api-token"],
            )
        )
        resources.push_async_callback(sidecar.aclose)

        async def publish_mesh() -> None:
            await sidecar.publish(event())

        async def publish_direct() -> None:
            await direct.publish(event())

        chat_m, chat_l = await interleaved(chat_mesh, chat_local, N, warmup=WARMUP)
        _progress("chat", chat_m, chat_l)
        hop_m, hop_d = await interleaved(hop, hop_direct, N, warmup=WARMUP)
        _progress("hop", hop_m, hop_d)
        pub_m, pub_d = await interleaved(publish_mesh, publish_direct, N, warmup=WARMUP)
        _progress("publish_one", pub_m, pub_d)
        eps = await _throughput(client, dapr_base, dapr, kafka_triage)

    return {
        "chat_mesh": summary_ms(chat_m),
        "chat_in_process": summary_ms(chat_l),
        "hop_via_sidecars": summary_ms(hop_m),
        "hop_direct": summary_ms(hop_d),
        "publish_one_via_sidecar": summary_ms(pub_m),
        "publish_one_direct": summary_ms(pub_d),
        "events_per_s_via_sidecar": round(eps["sidecar"], 1),
        "events_per_s_via_sidecar_bulk": round(eps["sidecar_bulk"], 1),
        "events_per_s_plain_producer": round(eps["plain_producer"], 1),
    }


async def _throughput(
    client: httpx.AsyncClient, dapr_base: str, dapr: dict[str, str], kafka: dict[str, Any]
) -> dict[str, float]:
    """Events/s three ways, in alternating rounds: the sidecar's publish API (one event a
    request, 32 in flight), its bulk publish API (`Sidecar.publish_bulk`, 100 events a request,
    4 requests in flight) and a batched producer (acks=all, linger 0)."""
    from learnflow.sidecar import BULK_MAX_ENTRIES, Sidecar

    per_round = EVENTS // ROUNDS
    sem = asyncio.Semaphore(32)

    async def publish(i: int) -> None:
        async with sem:
            r = await client.post(
                f"{dapr_base}/v1.0/publish/pubsub/{BENCH_TOPICS[0]}", json={"i": i}, headers=dapr
            )
            r.raise_for_status()

    bulk_client = httpx.AsyncClient(base_url=dapr_base, headers=dapr, timeout=30)
    bulk = Sidecar(Settings(app_id="triage"), client=bulk_client)
    bulk_gate = asyncio.Semaphore(4)

    async def publish_bulk(events: list[BenchEvent]) -> None:
        async with bulk_gate:
            (await bulk.publish_bulk(events)).raise_for_failures()

    # the same topic, as the same Kafka user (triage) as the sidecar
    producer = Producer({**kafka, "acks": "all", "linger.ms": 0})
    took = {"sidecar": 0.0, "sidecar_bulk": 0.0, "plain_producer": 0.0}
    try:
        for _ in range(ROUNDS):
            started = time.perf_counter()
            await asyncio.gather(*(publish(i) for i in range(per_round)))
            took["sidecar"] += time.perf_counter() - started

            events = [BenchEvent(id=str(uuid.uuid4()), i=i) for i in range(per_round)]
            started = time.perf_counter()
            chunks = [
                events[n : n + BULK_MAX_ENTRIES] for n in range(0, per_round, BULK_MAX_ENTRIES)
            ]
            await asyncio.gather(*(publish_bulk(chunk) for chunk in chunks))
            took["sidecar_bulk"] += time.perf_counter() - started

            started = time.perf_counter()
            for i in range(per_round):
                producer.produce(BENCH_TOPICS[0], json.dumps({"i": i}).encode())
                producer.poll(0)
            producer.flush(30)
            took["plain_producer"] += time.perf_counter() - started
    finally:
        await bulk.aclose()
    return {side: per_round * ROUNDS / seconds for side, seconds in took.items()}


def _ratios(f: dict[str, Any]) -> dict[str, float]:
    def p50(name: str) -> float:
        return float(f[name]["p50_ms"])

    return {
        "chat_mesh_vs_in_process_p50": round(p50("chat_mesh") / p50("chat_in_process"), 2),
        "chat_mesh_added_ms_p50": round(p50("chat_mesh") - p50("chat_in_process"), 3),
        "hop_vs_direct_p50": round(p50("hop_via_sidecars") / p50("hop_direct"), 2),
        "hop_added_ms_p50": round(p50("hop_via_sidecars") - p50("hop_direct"), 3),
        "publish_added_ms_p50": round(
            p50("publish_one_via_sidecar") - p50("publish_one_direct"), 3
        ),
        "sidecar_vs_plain_producer_events_per_s": round(
            f["events_per_s_via_sidecar"] / f["events_per_s_plain_producer"], 3
        ),
        "sidecar_bulk_vs_plain_producer_events_per_s": round(
            f["events_per_s_via_sidecar_bulk"] / f["events_per_s_plain_producer"], 3
        ),
    }


def run() -> dict[str, Any]:
    os.environ.update(NO_LIMITS)  # the stack passes LEARNFLOW_LIMIT_* on to the apps
    stack = clean_stack("bench", default_offset=2000)
    load_before = os.getloadavg()
    with running(stack) as run_secrets:
        figures = asyncio.run(_figures(stack, run_secrets))
    figures["ratios"] = _ratios(figures)
    figures["load_average_1m"] = load_average_1m(load_before)
    return figures
