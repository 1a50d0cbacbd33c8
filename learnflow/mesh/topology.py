"""What runs where: every process of the mesh, its ports and its health check.

All ports are defaults plus `Settings.port_offset`, so a second stack (the integration tests')
can run beside `make up` without clashing. Every default stays below 27000 so that offsets up to
5000 keep clear of Linux's ephemeral port range (32768+), where any outgoing connection could
already hold "our" port.
"""

from __future__ import annotations

from dataclasses import dataclass

from learnflow.settings import Settings


@dataclass(frozen=True)
class AppSpec:
    """A LearnFlow FastAPI app and its daprd sidecar."""

    app_id: str
    asgi: str  # "package.module:app"
    app_port: int
    dapr_http_port: int
    dapr_grpc_port: int
    dapr_internal_grpc_port: int
    dapr_metrics_port: int


# app id -> (ASGI app, index used for port numbers)
APPS: dict[str, tuple[str, int]] = {
    "triage": ("triage_agent.main:app", 1),
    "concepts": ("concepts_agent.main:app", 2),
    "tutor": ("tutor_agent.main:app", 3),
    "debrief": ("debrief_agent.main:app", 4),
    "code-runner": ("code_runner.app:app", 5),
    # the web app (Next.js, `frontend/`): its BFF reaches triage through its own daprd
    "frontend": ("next:frontend", 6),
}
WEB_APP = "frontend"
PUBLIC_APP = "triage"


@dataclass(frozen=True)
class Topology:
    postgres_port: int
    kafka_port: int
    kafka_controller_port: int
    placement_port: int
    placement_healthz_port: int
    placement_metrics_port: int
    placement_raft_port: int
    scheduler_port: int
    scheduler_healthz_port: int
    scheduler_metrics_port: int
    scheduler_etcd_client_port: int
    scheduler_etcd_peer_port: int
    sentry_port: int
    sentry_healthz_port: int
    # the throw-away Kubernetes API server that checks k8s/ (learnflow.deploy.local_apiserver);
    # its etcd listens on Unix sockets only
    kube_apiserver_port: int
    # the sidecars' spans (learnflow.mesh.collector, Zipkin v2 API)
    trace_collector_port: int
    model_server_port: int  # the local model server (`LEARNFLOW_LLM=local`)
    apps: tuple[AppSpec, ...]

    def app(self, app_id: str) -> AppSpec:
        for spec in self.apps:
            if spec.app_id == app_id:
                return spec
        raise KeyError(app_id)

    def all_ports(self) -> dict[str, int]:
        ports = {
            "postgres": self.postgres_port,
            "kafka": self.kafka_port,
            "kafka-controller": self.kafka_controller_port,
            "placement": self.placement_port,
            "placement-healthz": self.placement_healthz_port,
            "placement-metrics": self.placement_metrics_port,
            "placement-raft": self.placement_raft_port,
            "scheduler": self.scheduler_port,
            "scheduler-healthz": self.scheduler_healthz_port,
            "scheduler-metrics": self.scheduler_metrics_port,
            "scheduler-etcd-client": self.scheduler_etcd_client_port,
            "scheduler-etcd-peer": self.scheduler_etcd_peer_port,
            "sentry": self.sentry_port,
            "sentry-healthz": self.sentry_healthz_port,
            "kube-apiserver": self.kube_apiserver_port,
            "trace-collector": self.trace_collector_port,
            "model-server": self.model_server_port,
        }
        for spec in self.apps:
            ports[f"{spec.app_id}"] = spec.app_port
            ports[f"{spec.app_id}-dapr-http"] = spec.dapr_http_port
            ports[f"{spec.app_id}-dapr-grpc"] = spec.dapr_grpc_port
            ports[f"{spec.app_id}-dapr-internal"] = spec.dapr_internal_grpc_port
            ports[f"{spec.app_id}-dapr-metrics"] = spec.dapr_metrics_port
        return ports


def topology(settings: Settings) -> Topology:
    o = settings.port_offset
    apps = tuple(
        AppSpec(
            app_id=app_id,
            asgi=asgi,
            app_port=(3000 if asgi.startswith("next:") else 8000 + i) + o,
            dapr_http_port=3500 + i + o,
            dapr_grpc_port=21100 + i + o,
            dapr_internal_grpc_port=21200 + i + o,
            dapr_metrics_port=9100 + i + o,
        )
        for app_id, (asgi, i) in APPS.items()
    )
    return Topology(
        postgres_port=25432 + o,
        kafka_port=29092 + o,
        kafka_controller_port=29093 + o,
        placement_port=25005 + o,
        placement_healthz_port=25081 + o,
        placement_metrics_port=25091 + o,
        placement_raft_port=25201 + o,  # placement's raft listener (daprd default 8201: fixed)
        scheduler_port=25006 + o,
        scheduler_healthz_port=25082 + o,
        scheduler_metrics_port=25092 + o,
        scheduler_etcd_client_port=25379 + o,
        scheduler_etcd_peer_port=25380 + o,
        # Sentry, the mTLS certificate authority (last digits chosen so that no two stacks'
        # offsets, all multiples of 10, land one stack's port on another's)
        sentry_port=25007 + o,
        sentry_healthz_port=25083 + o,
        kube_apiserver_port=26448 + o,  # last digit 8: no other port ends in it near 26448
        # last digit 8 too, but 7030 below 26448: more than any two stacks' offsets apart
        trace_collector_port=19418 + o,
        # last digit 9: near it only 25379, further apart than any two stacks' offsets
        model_server_port=18089 + o,
        apps=apps,
    )
