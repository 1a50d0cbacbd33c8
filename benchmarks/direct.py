"""The in-process side of the like-for-like chat benchmark: the mesh's work without Dapr.

`DirectSidecar` stands where triage's `Sidecar` stands and does the same work the sidecar does
for a chat, on the same stack, minus Dapr:
- `invoke("concepts", ...)`: the real concepts app (its routes, its offline agent), called in
  this process through an ASGI transport instead of two daprds and a loopback hop;
- state: the same reads and first-write saves, as SQL on the same PostgreSQL, into a table shaped
  like Dapr's `dapr_state` (`bench_direct_state`, so the two sides never see each other's keys);
- publish: the same CloudEvent to the same Kafka topic, as the same Kafka user (triage), with
  acks=all, waiting for the broker's acknowledgement like Dapr's publish API does.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from contextlib import AsyncExitStack
from typing import Any

import httpx
from confluent_kafka import KafkaError, Message, Producer
from psycopg.types.json import Jsonb

from learnflow.db.pool import Pool, open_pool
from learnflow.errors import Conflict, DependencyFailed
from learnflow.events import Event, to_wire
from learnflow.settings import Settings

TABLE = "bench_direct_state"


class DirectSidecar:
    """A `Sidecar` stand-in doing the sidecar's chat work directly (see the module docstring)."""

    def __init__(
        self, settings: Settings, pool: Pool, producer: Producer, apps: dict[str, httpx.AsyncClient]
    ) -> None:
        self.settings = settings
        self._pool = pool
        self._producer = producer
        self._apps = apps

    @classmethod
    async def open(
        cls, stack: AsyncExitStack, settings: Settings, conninfo: str, kafka: dict[str, Any]
    ) -> DirectSidecar:
        pool = await stack.enter_async_context(open_pool(conninfo, max_size=4, name="bench"))
        async with pool.connection() as conn:
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (key text PRIMARY KEY, value jsonb NOT NULL, "
                "isbinary boolean NOT NULL DEFAULT false, etag uuid NOT NULL, "
                "insertdate timestamptz NOT NULL DEFAULT now(), updatedate timestamptz, "
                "expiredate timestamptz)"
            )
        producer = Producer({**kafka, "acks": "all", "linger.ms": 0})
        stop = threading.Event()

        def serve_deliveries() -> None:  # delivery callbacks run here, off the event loop
            while not stop.is_set():
                producer.poll(0.05)

        poller = threading.Thread(target=serve_deliveries, name="bench-producer", daemon=True)
        poller.start()
        stack.callback(poller.join, 5)
        stack.callback(stop.set)
        stack.callback(producer.flush, 10)

        from concepts_agent.main import create_app as concepts_app

        concepts = concepts_app(settings.model_copy(update={"app_api_token": None}))
        await stack.enter_async_context(concepts.router.lifespan_context(concepts))
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=concepts), base_url="http://concepts"
        )
        stack.push_async_callback(client.aclose)
        return cls(settings, pool, producer, {"concepts": client})

    async def aclose(self) -> None:
        return None

    async def invoke(self, app_id: str, method: str, *, json_body: Any = None, **_: Any) -> Any:
        response = await self._apps[app_id].post(f"/{method.lstrip('/')}", json=json_body)
        response.raise_for_status()
        return response.json()

    async def get_state_entry(self, key: str) -> tuple[Any | None, str | None]:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                f"SELECT value, etag FROM {TABLE} WHERE key = %s "
                "AND (expiredate IS NULL OR expiredate > now())",
                (f"triage||{key}",),
            )
            row = await cursor.fetchone()
        if row is None:
            return None, None
        return row[0], str(row[1])

    async def get_state(self, key: str) -> Any | None:
        return (await self.get_state_entry(key))[0]

    async def save_state(
        self, key: str, value: Any, *, etag: str | None = None, first_write: bool = True
    ) -> None:
        full_key = f"triage||{key}"
        async with self._pool.connection() as conn:
            if etag is not None:
                cursor = await conn.execute(
                    f"UPDATE {TABLE} SET value = %s, etag = %s, updatedate = now() "
                    "WHERE key = %s AND etag = %s",
                    (Jsonb(value), uuid.uuid4(), full_key, uuid.UUID(etag)),
                )
            elif first_write:
                cursor = await conn.execute(
                    f"INSERT INTO {TABLE} (key, value, etag) VALUES (%s, %s, %s) "
                    "ON CONFLICT (key) DO NOTHING",
                    (full_key, Jsonb(value), uuid.uuid4()),
                )
            else:
                cursor = await conn.execute(
                    f"INSERT INTO {TABLE} (key, value, etag) VALUES (%s, %s, %s) ON CONFLICT "
                    "(key) DO UPDATE SET value = EXCLUDED.value, etag = EXCLUDED.etag, "
                    "updatedate = now()",
                    (full_key, Jsonb(value), uuid.uuid4()),
                )
            if cursor.rowcount != 1:
                raise Conflict(f"state {key!r} was changed concurrently", key=key)

    async def publish(self, event: Event, *, partition_key: str | None = None) -> None:
        cloud_event = {
            "specversion": "1.0",
            "id": event.id,
            "source": event.source or "triage",
            "type": f"learnflow.{event.topic}.v{event.version}",
            "datacontenttype": "application/json",
            "data": to_wire(event),
        }
        loop = asyncio.get_running_loop()
        acked: asyncio.Future[None] = loop.create_future()

        def delivered(error: KafkaError | None, _message: Message) -> None:
            def settle() -> None:
                if acked.done():
                    return
                if error is not None:
                    acked.set_exception(DependencyFailed(str(error), dependency="kafka"))
                else:
                    acked.set_result(None)

            loop.call_soon_threadsafe(settle)

        key = partition_key or event.session_id or event.user_id
        self._producer.produce(
            event.topic,
            json.dumps(cloud_event).encode(),
            key=key.encode() if key else None,
            on_delivery=delivered,
        )
        await acked  # the poller thread (see `open`) runs `delivered`
