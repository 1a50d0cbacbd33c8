"""Mesh overhead and Kafka throughput, on a real stack of its own (port offset 2000).

Figures, each with its same-run baseline:
- POST /chat through the sidecars (ingress via triage's daprd, invocation of concepts, state
  save, two publishes) vs the same triage handler called in-process with an instant sidecar.
- One service-invocation hop (triage's daprd -> concepts' daprd -> concepts) vs calling the
  concepts app directly: the difference at p50 is the per-hop cost (Dapr publishes ~1.1 ms).
- Events/s published through the sidecar to Kafka vs a plain Kafka producer (confluent-kafka);
  both log in with SASL/SCRAM (the sidecar as triage, the producer as the admin user) and write a
  benchmark topic the bench grants triage for its own throw-away stack.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
import uuid
from typing import Any

import httpx
from confluent_kafka import Producer

from benchmarks.stats import summary_ms, time_calls
from learnflow.mesh import kafka_security, services
from learnflow.mesh.stack import Stack
from learnflow.settings import REPO_ROOT, Settings, get_settings

N = 300
EVENTS = 2000
BENCH_TOPICS = ("bench.events", "bench.direct")


class InstantSidecar:
    """A sidecar that answers at once: what the handler costs without the mesh."""

    def __init__(self) -> None:
        self.settings = Settings()
        self.state: dict[str, Any] = {}

    async def invoke(self, app_id: str, method: str, **_: Any) -> Any:
        return {"reply": "(concepts) baseline", "sources": []}

    async def get_state_entry(self, key: str) -> tuple[Any, str | None]:
        return self.state.get(key), None

    async def save_state(self, key: str, value: Any, **_: Any) -> None:
        self.state[key] = value

    async def publish(self, event: Any, **_: Any) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def _chat_in_process() -> list[float]:
    import secrets
    import uuid as uuid_module

    from learnflow.auth.tokens import issue_token
    from learnflow.db.models import Role
    from triage_agent.main import create_app

    # token checks read the process settings: give this process a key of its own
    os.environ["LEARNFLOW_JWT_SECRET"] = secrets.token_urlsafe(32)
    get_settings.cache_clear()
    settings = get_settings()
    app = create_app(settings, database=False)
    token = issue_token(user_id=uuid_module.uuid4(), role=Role.STUDENT, settings=settings)
    headers = {"authorization": f"Bearer {token}"}
    async with app.router.lifespan_context(app):
        app.state.sidecar = InstantSidecar()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://triage") as client:

            async def call() -> None:
                r = await client.post(
                    "/chat", json={"message": "How do for loops work?"}, headers=headers
                )
                r.raise_for_status()

            return await time_calls(call, N)


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


async def _mesh_figures(stack: Stack, run_secrets: services.RunSecrets) -> dict[str, Any]:
    topo = stack.topo
    bootstrap = f"127.0.0.1:{topo.kafka_port}"
    _bench_topics(bootstrap, run_secrets)
    triage, concepts = topo.app("triage"), topo.app("concepts")
    dapr = {"dapr-api-token": run_secrets.dapr_token("triage")}
    app_token = {"dapr-api-token": run_secrets.app_token("concepts")}
    respond = {"message": "hi", "session_id": "bench", "message_id": "m", "intent": "x"}
    async with httpx.AsyncClient(timeout=30) as client:
        logins = json.loads((stack.run_dir / "demo-logins.json").read_text())
        maya = next(u for u in logins["users"] if u["email"] == "maya@learnflow.dev")
        login = await client.post(
            f"http://127.0.0.1:{triage.app_port}/auth/login",
            json={"email": maya["email"], "password": maya["password"]},
        )
        login.raise_for_status()
        dapr = {**dapr, "authorization": f"Bearer {login.json()['access_token']}"}

        async def chat() -> None:
            r = await client.post(
                f"http://127.0.0.1:{triage.dapr_http_port}/v1.0/invoke/triage/method/chat",
                json={"message": "How do for loops work?", "session_id": f"b-{uuid.uuid4()}"},
                headers=dapr,
            )
            r.raise_for_status()

        async def hop() -> None:
            r = await client.post(
                f"http://127.0.0.1:{triage.dapr_http_port}/v1.0/invoke/concepts/method/respond",
                json=respond,
                headers=dapr,
            )
            r.raise_for_status()

        async def direct() -> None:
            r = await client.post(
                f"http://127.0.0.1:{concepts.app_port}/respond", json=respond, headers=app_token
            )
            r.raise_for_status()

        chat_mesh = await time_calls(chat, N)
        hop_samples = await time_calls(hop, N)
        direct_samples = await time_calls(direct, N)

        sem = asyncio.Semaphore(32)

        async def publish(i: int) -> None:
            async with sem:
                r = await client.post(
                    f"http://127.0.0.1:{triage.dapr_http_port}/v1.0/publish/pubsub/bench.events",
                    json={"i": i},
                    headers=dapr,
                )
                r.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(publish(i) for i in range(EVENTS)))
        sidecar_eps = EVENTS / (time.perf_counter() - started)

    producer = Producer(
        {
            **kafka_security.client_config(
                bootstrap, kafka_security.ADMIN_USER, run_secrets.kafka_passwords["admin"]
            ),
            "acks": "all",
            "linger.ms": 0,
        }
    )
    started = time.perf_counter()
    for i in range(EVENTS):
        producer.produce("bench.direct", json.dumps({"i": i}).encode())
        producer.poll(0)
    producer.flush(30)
    direct_eps = EVENTS / (time.perf_counter() - started)

    return {
        "chat_mesh": summary_ms(chat_mesh),
        "hop_via_sidecars": summary_ms(hop_samples),
        "hop_direct": summary_ms(direct_samples),
        "events_per_s_via_sidecar": round(sidecar_eps, 1),
        "events_per_s_plain_producer": round(direct_eps, 1),
    }


def run() -> dict[str, Any]:
    run_dir = REPO_ROOT / ".run" / "bench"
    settings = Settings(run_dir=run_dir, port_offset=2000)
    stack = Stack(settings, lambda m: print(f"[bench stack] {m}", file=sys.stderr))
    stack.down(quiet=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    try:
        stack.up()
        run_secrets = services.RunSecrets.load_or_create(run_dir)
        figures = asyncio.run(_mesh_figures(stack, run_secrets))
    finally:
        stack.down(quiet=True)
    figures["chat_in_process"] = summary_ms(asyncio.run(_chat_in_process()))
    mesh_p50 = figures["chat_mesh"]["p50_ms"]
    figures["ratios"] = {
        "chat_mesh_vs_in_process_p50": round(mesh_p50 / figures["chat_in_process"]["p50_ms"], 2),
        "hop_vs_direct_p50": round(
            figures["hop_via_sidecars"]["p50_ms"] / figures["hop_direct"]["p50_ms"], 2
        ),
        "hop_added_ms_p50": round(
            figures["hop_via_sidecars"]["p50_ms"] - figures["hop_direct"]["p50_ms"], 3
        ),
        "sidecar_vs_plain_producer_events_per_s": round(
            figures["events_per_s_via_sidecar"] / figures["events_per_s_plain_producer"], 3
        ),
    }
    return figures
