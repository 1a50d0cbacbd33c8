"""The real stack — PostgreSQL, Kafka, Sentry, placement, scheduler, every app with its daprd —
started once per test session in its own run dir and ports (offset 1000), so it never clashes
with a `make up` stack, and stopped at the end. The `mesh` and `http` fixtures live in
`tests/integration/fixtures.py` (a plugin of tests/conftest.py), so tests/security shares the
one stack; `Mesh` (the handles a test gets) and the stack's settings live here, a plain module
the tests and fixtures import (never a conftest)."""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from confluent_kafka import Consumer, TopicPartition

from learnflow.events import Event
from learnflow.mesh import kafka_security, services
from learnflow.mesh.stack import Stack
from learnflow.mesh.topology import Topology
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar

# LEARNFLOW_TEST_PORT_OFFSET / LEARNFLOW_TEST_RUN_DIR let a second test stack run beside this one.
TEST_PORT_OFFSET = int(os.environ.get("LEARNFLOW_TEST_PORT_OFFSET", "1000"))
TEST_RUN_DIR = os.environ.get("LEARNFLOW_TEST_RUN_DIR", "test")

# Workflow durations in seconds instead of minutes (tests/integration/test_workflows.py); the
# stack passes LEARNFLOW_WORKFLOW_* to the apps. An explicit environment value wins.
WORKFLOW_TEST_SETTINGS = {
    "LEARNFLOW_WORKFLOW_STUCK_AFTER_S": "3",
    "LEARNFLOW_WORKFLOW_EVENTS_PER_GENERATION": "8",
    "LEARNFLOW_WORKFLOW_RETRY_MAX_ATTEMPTS": "3",
    "LEARNFLOW_WORKFLOW_RETRY_FIRST_INTERVAL_S": "0.5",
    "LEARNFLOW_WORKFLOW_RETRY_MAX_INTERVAL_S": "2",
    "LEARNFLOW_WORKFLOW_ACTIVITY_TIMEOUT_S": "20",
}


def _progress(message: str) -> None:
    print(f"[stack] {message}", file=sys.stderr, flush=True)


@dataclass
class Mesh:
    """Handles on the running test stack."""

    stack: Stack
    settings: Settings
    topo: Topology
    secrets: services.RunSecrets

    @property
    def conninfo(self) -> str:
        return services.app_conninfo(self.topo, self.secrets)

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.topo.kafka_port}"

    def kafka_config(self, user: str = kafka_security.OPS_USER) -> dict[str, Any]:
        """confluent-kafka settings logged in as `user` (default: `ops`, which reads every
        topic and nothing more; the broker has no anonymous listener)."""
        return kafka_security.client_config(
            self.kafka_bootstrap, user, self.secrets.kafka_passwords[user]
        )

    def app_url(self, app_id: str) -> str:
        return f"http://127.0.0.1:{self.topo.app(app_id).app_port}"

    def sidecar_url(self, app_id: str) -> str:
        return f"http://127.0.0.1:{self.topo.app(app_id).dapr_http_port}"

    def invoke_url(self, via: str, target: str, method: str) -> str:
        return f"{self.sidecar_url(via)}/v1.0/invoke/{target}/method/{method}"

    @property
    def dapr_headers(self) -> dict[str, str]:
        """The token of triage's sidecar (most tests enter the mesh there)."""
        return self.dapr_headers_for("triage")

    def dapr_headers_for(self, app_id: str) -> dict[str, str]:
        """Each sidecar accepts only its own app's token."""
        return {"dapr-api-token": self.secrets.dapr_token(app_id)}

    async def publish_as(self, app_id: str, event: Event) -> None:
        """Publish `event` through `app_id`'s sidecar: Kafka's ACLs let only the app that
        produces a topic write it."""
        sidecar = Sidecar(
            Settings(
                app_id=app_id,
                dapr_http_port=self.topo.app(app_id).dapr_http_port,
                dapr_api_token=self.dapr_headers_for(app_id)["dapr-api-token"],
            )
        )
        try:
            await sidecar.publish(event)
        finally:
            await sidecar.aclose()

    def group_caught_up(self, group: str, topics: Iterable[str]) -> bool:
        """Whether consumer group `group` has committed offsets at the end of every partition
        of `topics` (an empty partition counts as caught up)."""
        consumer = Consumer({**self.kafka_config(), "group.id": group, "enable.auto.commit": False})
        try:
            for topic in topics:
                partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
                committed = consumer.committed(
                    [TopicPartition(topic, p) for p in partitions], timeout=10
                )
                for tp in committed:
                    end = consumer.get_watermark_offsets(tp, timeout=10)[1]
                    if end > 0 and tp.offset < end:
                        return False
        finally:
            consumer.close()
        return True

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.conninfo) as conn:
            return conn.execute(query, params).fetchall()

    def kafka_events(self, topic: str, match: dict[str, str]) -> list[dict[str, Any]]:
        """Every event on `topic` whose data matches, read from the beginning (confluent-kafka)."""
        consumer = Consumer(
            {
                **self.kafka_config(),
                "group.id": f"{kafka_security.OPS_GROUP_PREFIX}test-{uuid.uuid4()}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        found: list[dict[str, Any]] = []
        try:
            metadata = consumer.list_topics(topic, timeout=10)
            partitions = metadata.topics[topic].partitions
            consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
            ends = {
                p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in partitions
            }
            remaining = {p for p, end in ends.items() if end > 0}
            while remaining:
                message = consumer.poll(5)
                if message is None:
                    break
                if message.error():
                    continue
                if message.offset() + 1 >= ends[message.partition()]:
                    remaining.discard(message.partition())
                envelope = json.loads(message.value())
                data = envelope.get("data", envelope)
                if all(data.get(k) == v for k, v in match.items()):
                    found.append(envelope)
        finally:
            consumer.close()
        return found

    def state_value(self, app_id: str, key: str) -> Any | None:
        rows = self.sql("SELECT value FROM dapr_state WHERE key = %s", f"{app_id}||{key}")
        if not rows:
            return None
        value = rows[0][0]
        # state.postgresql v2 keeps values as bytea (the JSON document's bytes)
        if isinstance(value, bytes | memoryview):
            value = bytes(value).decode()
        return json.loads(value) if isinstance(value, str) else value
