"""Where the running stack is: its Kafka (as `ops`) and each app's sidecar, from the run dir's
secrets and the topology of `LEARNFLOW_RUN_DIR` / `LEARNFLOW_PORT_OFFSET`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learnflow.errors import ConfigurationError
from learnflow.mesh import kafka_security, services
from learnflow.mesh.topology import Topology, topology
from learnflow.settings import Settings

START_FIRST = "start it with `make up` first (or point LEARNFLOW_RUN_DIR at its run dir)"


@dataclass(frozen=True)
class StackTarget:
    settings: Settings
    topo: Topology
    secrets: services.RunSecrets

    @classmethod
    def of(cls, settings: Settings) -> StackTarget:
        if not (settings.run_dir / "secrets.json").is_file():
            raise ConfigurationError(f"no LearnFlow stack in {settings.run_dir}: {START_FIRST}")
        return cls(
            settings, topology(settings), services.RunSecrets.load_or_create(settings.run_dir)
        )

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.topo.kafka_port}"

    def ops_kafka_config(self) -> dict[str, Any]:
        """confluent-kafka settings as `ops`: reads every topic, writes none."""
        user = kafka_security.OPS_USER
        return kafka_security.client_config(
            self.kafka_bootstrap, user, self.secrets.kafka_passwords[user]
        )

    def sidecar_url(self, app_id: str) -> str:
        return f"http://127.0.0.1:{self.topo.app(app_id).dapr_http_port}"

    def dapr_token(self, app_id: str) -> str:
        return self.secrets.dapr_token(app_id)
