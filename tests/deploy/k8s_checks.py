"""What our Kubernetes manifests must say beyond being schema-valid.

Each check takes the parsed documents and returns a list of problems (empty: fine), so the
tests can feed them both the real tree and a deliberately broken copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tests.deploy.deploy_common import DAPR_CONFIG_NAME, DAPR_HTTP_PORT, App, Doc

WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"})
PINNED_IMAGE = re.compile(r"^[^:@\s]+(:[0-9]+(\.[0-9]+)+[-\w.]*|@sha256:[0-9a-f]{64})$")
LOG_LEVELS = frozenset({"debug", "info", "warn", "error", "fatal"})
# Dapr control-plane and sidecar ports a NetworkPolicy may open between LearnFlow pods.
DAPR_INTERNAL_GRPC_PORT = 50002
# The pods that call the model (their daprd does, for an HTTPEndpoint): the four agents.
AGENT_LABELS = {"app.kubernetes.io/component": "agent", "app.kubernetes.io/part-of": "learnflow"}
CLUSTER_DOMAIN = "svc.cluster.local"


def _name(doc: Doc) -> str:
    return f"{doc.get('kind')} {doc.get('metadata', {}).get('name')}"


def pod_template(doc: Doc) -> dict[str, Any] | None:
    if doc.get("kind") in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
        template: dict[str, Any] = doc["spec"]["template"]
        return template
    return None


def _pod_labels(doc: Doc) -> dict[str, str]:
    template = pod_template(doc)
    return dict((template or {}).get("metadata", {}).get("labels", {}))


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """matchLabels semantics; matchExpressions is not used by our manifests (and rejected)."""
    if selector is None:
        return False
    if "matchExpressions" in selector:
        raise AssertionError("matchExpressions: teach tests/deploy/k8s_checks.py to read it")
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


# --- workloads -----------------------------------------------------------------------------------
def check_workload_security(docs: Iterable[Doc]) -> list[str]:
    """Non-root, read-only root, no capabilities, seccomp, requests and limits, probes, pinned."""
    problems: list[str] = []
    for doc in docs:
        template = pod_template(doc)
        if template is None:
            continue
        spec = template["spec"]
        pod_sc = spec.get("securityContext", {})
        where = _name(doc)
        if pod_sc.get("runAsNonRoot") is not True:
            problems.append(f"{where}: pod securityContext.runAsNonRoot must be true")
        if pod_sc.get("seccompProfile", {}).get("type") not in {"RuntimeDefault", "Localhost"}:
            problems.append(f"{where}: pod seccompProfile must be RuntimeDefault or Localhost")
        if spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"):
            problems.append(f"{where}: must not share the host's namespaces")
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            cwhere = f"{where} container {container.get('name')}"
            sc = container.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{cwhere}: allowPrivilegeEscalation must be false")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{cwhere}: readOnlyRootFilesystem must be true")
            if "ALL" not in sc.get("capabilities", {}).get("drop", []):
                problems.append(f"{cwhere}: capabilities must drop ALL")
            if sc.get("capabilities", {}).get("add"):
                problems.append(f"{cwhere}: must not add capabilities")
            if sc.get("privileged"):
                problems.append(f"{cwhere}: must not be privileged")
            if sc.get("runAsUser") == 0 or sc.get("runAsNonRoot") is False:
                problems.append(f"{cwhere}: must not run as root")
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                for res in ("cpu", "memory"):
                    if res not in resources.get(part, {}):
                        problems.append(f"{cwhere}: resources.{part}.{res} is missing")
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container and doc.get("kind") != "Job":  # a Job runs and ends
                    problems.append(f"{cwhere}: {probe} is missing")
            image = str(container.get("image", ""))
            if not PINNED_IMAGE.match(image):
                problems.append(f"{cwhere}: image {image!r} is not pinned to a version")
    return problems


def _container_port(container: dict[str, Any], port: int | str) -> int | None:
    for p in container.get("ports", []):
        if port in (p.get("name"), p.get("containerPort")):
            return int(p["containerPort"])
    return None


def endpoint_backends(docs: Sequence[Doc]) -> dict[str, tuple[Doc, list[Doc]]]:
    """HTTPEndpoint name -> (the in-cluster Service its baseUrl names, the workloads that
    Service selects). An endpoint outside the cluster, or naming no Service, maps to nothing."""
    services = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Service"}
    workloads = [d for d in docs if pod_template(d) is not None]
    backends: dict[str, tuple[Doc, list[Doc]]] = {}
    for doc in docs:
        if doc.get("kind") != "HTTPEndpoint":
            continue
        service_name, _, domain = (urlsplit(doc["spec"]["baseUrl"]).hostname or "").partition(".")
        service = services.get(service_name)
        if service is None or not domain.endswith(CLUSTER_DOMAIN):
            continue
        selector = {"matchLabels": service["spec"].get("selector", {})}
        backends[doc["metadata"]["name"]] = (
            service,
            [w for w in workloads if _selects(selector, _pod_labels(w))],
        )
    return backends


def check_app_deployments(docs: Sequence[Doc], apps: dict[str, App]) -> list[str]:
    """One Deployment per app, with its Dapr annotations, app port and /healthz probes (the
    servers behind an HTTPEndpoint are not Dapr apps: check_http_endpoints checks them)."""
    problems: list[str] = []
    seen: set[str] = set()
    configurations = {d["metadata"]["name"] for d in docs if d.get("kind") == "Configuration"}
    not_apps = [id(w) for _, workloads in endpoint_backends(docs).values() for w in workloads]
    for doc in docs:
        if doc.get("kind") != "Deployment" or id(doc) in not_apps:
            continue
        template = doc["spec"]["template"]
        ann = template["metadata"].get("annotations", {})
        where = _name(doc)
        app_id = ann.get("dapr.io/app-id")
        if ann.get("dapr.io/enabled") != "true" or app_id not in apps:
            problems.append(f"{where}: needs dapr.io/enabled 'true' and a known dapr.io/app-id")
            continue
        seen.add(app_id)
        app = apps[app_id]
        expected = {
            "dapr.io/app-port": str(app.port),
            "dapr.io/config": f"{DAPR_CONFIG_NAME}-{app_id}",  # its own access control
            # its own Kafka credential, for its daprd only (components/pubsub.yaml)
            "dapr.io/env-from-secret": (
                f"LEARNFLOW_SIDECAR_KAFKA_PASSWORD=learnflow-kafka-users:{app_id}"
            ),
            "dapr.io/app-protocol": "http",
            "dapr.io/enable-app-health-check": "true",
            "dapr.io/app-health-check-path": "/healthz",
        }
        for key, value in expected.items():
            if ann.get(key) != value:
                problems.append(f"{where}: annotation {key} is {ann.get(key)!r}, not {value!r}")
        if ann.get("dapr.io/config") not in configurations:
            problems.append(
                f"{where}: its Dapr Configuration {ann.get('dapr.io/config')!r} is missing"
            )
        if ann.get("dapr.io/log-level") not in LOG_LEVELS:
            problems.append(f"{where}: dapr.io/log-level must be one of {sorted(LOG_LEVELS)}")
        for key in ("dapr.io/app-token-secret", "dapr.io/api-token-secret"):
            if not ann.get(key):
                problems.append(f"{where}: needs {key} (both directions are authenticated)")
        if template["metadata"].get("labels", {}).get("learnflow.io/mesh") != "true":
            problems.append(f"{where}: pod label learnflow.io/mesh must be 'true'")
        containers = template["spec"]["containers"]
        app_containers = [c for c in containers if _container_port(c, app.port) == app.port]
        if len(app_containers) != 1:
            problems.append(f"{where}: exactly one container must listen on {app.port}")
            continue
        container = app_containers[0]
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            http = container.get(probe, {}).get("httpGet", {})
            port = http.get("port")
            if http.get("path") != "/healthz" or _container_port(container, port) != app.port:
                problems.append(f"{where}: {probe} must GET /healthz on port {app.port}")
        if "latest" in str(container.get("image", "")):
            problems.append(f"{where}: image tag 'latest'")
    for missing in sorted(set(apps) - seen):
        problems.append(f"no Deployment for app {missing!r}")
    return problems


def check_disruption_budgets(docs: Sequence[Doc]) -> list[str]:
    """Every replicated Deployment has a PDB; every PDB selects a workload."""
    problems: list[str] = []
    workloads = [d for d in docs if d.get("kind") in WORKLOAD_KINDS]
    pdbs = [d for d in docs if d.get("kind") == "PodDisruptionBudget"]
    for pdb in pdbs:
        if not any(_selects(pdb["spec"].get("selector"), _pod_labels(w)) for w in workloads):
            problems.append(f"{_name(pdb)} selects no workload")
    for work in workloads:
        if work.get("kind") == "Deployment" and int(work["spec"].get("replicas", 1)) >= 2:
            labels = _pod_labels(work)
            if not any(_selects(p["spec"].get("selector"), labels) for p in pdbs):
                problems.append(f"{_name(work)} has replicas >= 2 but no PodDisruptionBudget")
    return problems


def check_services(docs: Sequence[Doc]) -> list[str]:
    """Every Service selects pods, on a port those pods' containers have."""
    problems: list[str] = []
    workloads = [d for d in docs if pod_template(d) is not None]
    for svc in (d for d in docs if d.get("kind") == "Service"):
        selector = svc["spec"].get("selector", {})
        targets = [w for w in workloads if _selects({"matchLabels": selector}, _pod_labels(w))]
        if not selector or not targets:
            problems.append(f"{_name(svc)} selects no pods")
            continue
        for port in svc["spec"].get("ports", []):
            target = port.get("targetPort", port["port"])
            found = any(
                _container_port(c, target) is not None
                for w in targets
                for c in pod_template(w)["spec"]["containers"]  # type: ignore[index]
            )
            if not found:
                problems.append(f"{_name(svc)}: targetPort {target!r} is no container's port")
    return problems


def check_secrets(docs: Sequence[Doc], readme: str) -> list[str]:
    """No Secret objects in the repo; every Secret (and key) referenced is documented."""
    problems: list[str] = []
    refs: set[tuple[str, str | None]] = set()
    for doc in docs:
        if doc.get("kind") == "Secret":
            problems.append(f"{_name(doc)}: Secrets are created by kubectl, never committed")
        template = pod_template(doc)
        if template is not None:
            ann = template["metadata"].get("annotations", {})
            for key in ("dapr.io/app-token-secret", "dapr.io/api-token-secret"):
                if key in ann:
                    refs.add((ann[key], "token"))
            for entry in ann.get("dapr.io/env-from-secret", "").split(","):
                _, _, source = entry.partition("=")
                if source.strip():
                    name, _, secret_key = source.strip().partition(":")
                    refs.add((name, secret_key or name))
            spec = template["spec"]
            for container in spec.get("initContainers", []) + spec.get("containers", []):
                for env in container.get("env", []):
                    ref = env.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        refs.add((ref["name"], ref["key"]))
                for env_from in container.get("envFrom", []):
                    if "secretRef" in env_from:
                        refs.add((env_from["secretRef"]["name"], None))
            for volume in spec.get("volumes", []):
                if "secret" in volume:
                    refs.add((volume["secret"]["secretName"], None))
        if doc.get("kind") == "KongConsumer":
            refs.update((name, "secret") for name in doc.get("credentials", []))
        if doc.get("kind") == "Component" and "auth" not in doc:
            for item in doc["spec"].get("metadata", []):
                ref = item.get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref.get("key") or ref["name"]))
    for secret, secret_key in sorted(refs, key=str):
        commands = [
            c for c in re.split(r"\n\s*\n", readme) if f"create secret generic {secret} " in c
        ]
        if not commands:
            problems.append(f"Secret {secret!r} is used but k8s/README.md has no `create secret`")
        elif secret_key is not None and not any(
            f"--from-literal={secret_key}=" in c for c in commands
        ):
            problems.append(f"Secret {secret!r}: k8s/README.md does not create key {secret_key!r}")
    return problems


# --- network -------------------------------------------------------------------------------------
def _policies_for(labels: dict[str, str], policies: Sequence[Doc]) -> list[Doc]:
    return [p for p in policies if _selects(p["spec"].get("podSelector", {}), labels)]


def _ports(rule: dict[str, Any]) -> set[int | str]:
    return {p.get("port") for p in rule.get("ports", [])} or {"*"}


PUBLIC_APP = "triage"
GATEWAY_NAMESPACE = {"kubernetes.io/metadata.name": "kong"}


def check_network_policies(docs: Sequence[Doc], apps: dict[str, App]) -> list[str]:
    """Default deny; app ports open to nobody except triage's, to Kong's namespace only; daprd's
    HTTP API open to nobody; code-runner's egress limited to in-cluster peers."""
    problems: list[str] = []
    policies = [d for d in docs if d.get("kind") == "NetworkPolicy"]
    deny_all = [
        p
        for p in policies
        if p["spec"].get("podSelector") == {}
        and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    if not deny_all:
        problems.append("no default-deny NetworkPolicy (podSelector {}, Ingress+Egress, no rules)")
    for doc in docs:
        if doc.get("kind") != "Deployment":
            continue
        labels = _pod_labels(doc)
        annotations = pod_template(doc)["metadata"].get("annotations", {})  # type: ignore[index]
        app_id = annotations.get("dapr.io/app-id")
        app_ports: set[int | str] = {a.port for a in apps.values()} | {"http"}
        for policy in _policies_for(labels, policies):
            where = f"{_name(policy)} (for {app_id})"
            for rule in policy["spec"].get("ingress", []):
                opened = _ports(rule)
                peers = rule.get("from", [])
                from_gateway = bool(peers) and all(
                    p.get("namespaceSelector", {}).get("matchLabels") == GATEWAY_NAMESPACE
                    and "podSelector" not in p
                    for p in peers
                )
                public = app_id == PUBLIC_APP and from_gateway
                if "*" in opened or (opened & app_ports and not public):
                    problems.append(f"{where}: opens an app port {sorted(map(str, opened))}")
                if public and opened - {apps[PUBLIC_APP].port, "http"}:
                    problems.append(f"{where}: Kong may reach only {PUBLIC_APP}'s app port")
                if DAPR_HTTP_PORT in opened:
                    problems.append(f"{where}: opens daprd's HTTP API ({DAPR_HTTP_PORT})")
            if app_id == "code-runner":
                for rule in policy["spec"].get("egress", []):
                    peers = rule.get("to", [])
                    if not peers or any("ipBlock" in p for p in peers) or "*" in _ports(rule):
                        problems.append(
                            f"{_name(policy)}: lets code-runner reach beyond the mesh {rule}"
                        )
    return problems


def _peer_selects_only(peer: dict[str, Any], wanted: dict[str, str], workloads: list[Doc]) -> bool:
    """A `from`/`to` peer that is a podSelector in the namespace and selects no pod that lacks
    the `wanted` labels."""
    if set(peer) != {"podSelector"}:
        return False
    selector = peer["podSelector"]
    return bool(selector.get("matchLabels")) and all(
        _selects({"matchLabels": wanted}, _pod_labels(w))
        for w in workloads
        if _selects(selector, _pod_labels(w))
    )


def check_http_endpoints(docs: Sequence[Doc]) -> list[str]:
    """Every HTTPEndpoint with an in-cluster address: its Service exists on that port and
    selects a workload that is no Dapr app; NetworkPolicies let every agent pod (AGENT_LABELS:
    their daprd makes the call) reach it on that port, and nothing else reach it at all."""
    problems: list[str] = []
    policies = [d for d in docs if d.get("kind") == "NetworkPolicy"]
    workloads = [d for d in docs if pod_template(d) is not None]
    agents = [w for w in workloads if _selects({"matchLabels": AGENT_LABELS}, _pod_labels(w))]
    backends = endpoint_backends(docs)
    if not agents:
        problems.append(f"no workload has the agents' labels {AGENT_LABELS}")
    for doc in docs:
        if doc.get("kind") == "HTTPEndpoint" and doc["metadata"]["name"] not in backends:
            url = doc["spec"]["baseUrl"]
            if CLUSTER_DOMAIN in url:
                problems.append(f"{_name(doc)}: {url} names no Service in k8s/")
    for name, (service, servers) in sorted(backends.items()):
        where = f"HTTPEndpoint {name} ({_name(service)})"
        endpoint = next(
            d for d in docs if d.get("kind") == "HTTPEndpoint" and d["metadata"]["name"] == name
        )
        port = urlsplit(endpoint["spec"]["baseUrl"]).port
        service_port = next((p for p in service["spec"]["ports"] if p["port"] == port), None)
        if not servers or service_port is None:
            problems.append(f"{where}: selects no workload, or has no port {port}")
            continue
        target = service_port.get("targetPort", port)
        for server in servers:
            template = pod_template(server) or {}
            container_ports = {
                _container_port(c, target) for c in template["spec"]["containers"]
            } - {None}
            if not container_ports:
                problems.append(f"{_name(server)}: no container listens on {target!r}")
                continue
            pod_port = container_ports.pop()
            if template["metadata"].get("annotations", {}).get("dapr.io/enabled") == "true":
                problems.append(f"{_name(server)}: is reached as an HTTPEndpoint, not a Dapr app")
            labels = _pod_labels(server)
            if labels.get("learnflow.io/mesh") == "true":
                problems.append(f"{_name(server)}: must not join the Dapr mesh's policies")
            admitted = False
            for policy in _policies_for(labels, policies):
                for rule in policy["spec"].get("ingress", []):
                    peers = rule.get("from", [])
                    if (
                        _ports(rule) != {pod_port}
                        or not peers
                        or not all(_peer_selects_only(p, AGENT_LABELS, workloads) for p in peers)
                    ):
                        problems.append(
                            f"{_name(policy)}: admits more than the agents' pods on {pod_port} "
                            f"to {_name(server)}"
                        )
                    elif all(
                        any(_selects(p["podSelector"], _pod_labels(a)) for p in peers)
                        for a in agents
                    ):
                        admitted = True
            if not admitted:
                problems.append(f"{_name(server)}: no NetworkPolicy admits every agent's pod")
            for agent in agents:
                reach = any(
                    pod_port in _ports(rule)
                    and any(
                        _selects(p.get("podSelector"), labels) and "namespaceSelector" not in p
                        for p in rule.get("to", [])
                    )
                    for policy in _policies_for(_pod_labels(agent), policies)
                    for rule in policy["spec"].get("egress", [])
                )
                if not reach:
                    problems.append(f"{_name(agent)}: no egress rule reaches {_name(server)}")
    return problems


# --- ingress -------------------------------------------------------------------------------------
def check_ingress(docs: Sequence[Doc]) -> list[str]:
    """Kong ingresses: class kong, backends that exist, plugins that exist."""
    problems: list[str] = []
    services = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Service"}
    plugins = {d["metadata"]["name"] for d in docs if d.get("kind") == "KongPlugin"}
    ingresses = [d for d in docs if d.get("kind") == "Ingress"]
    if not ingresses:
        problems.append("no Ingress")
    for ing in ingresses:
        where = _name(ing)
        if ing["spec"].get("ingressClassName") != "kong":
            problems.append(f"{where}: ingressClassName must be kong")
        ann = ing["metadata"].get("annotations", {})
        for plugin in filter(None, ann.get("konghq.com/plugins", "").split(",")):
            if plugin.strip() not in plugins:
                problems.append(f"{where}: plugin {plugin!r} is not a KongPlugin here")
        for rule in ing["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"]["service"]
                svc = services.get(backend["name"])
                if svc is None:
                    problems.append(f"{where}: backend Service {backend['name']!r} is missing")
                elif backend["port"].get("number") not in {p["port"] for p in svc["spec"]["ports"]}:
                    problems.append(f"{where}: {backend['name']} has no port {backend['port']}")
    return problems


# --- kustomize -----------------------------------------------------------------------------------
def kustomize_files(directory: Path) -> tuple[set[Path], list[str]]:
    """Files a kustomization (recursively) includes, and the problems found on the way."""
    problems: list[str] = []
    files: set[Path] = set()
    kfile = directory / "kustomization.yaml"
    if not kfile.is_file():
        return files, [f"{directory} has no kustomization.yaml"]
    data = yaml.safe_load(kfile.read_text(encoding="utf-8")) or {}
    for entry in data.get("resources", []):
        target = (directory / entry).resolve()
        if target.is_dir():
            inner, inner_problems = kustomize_files(target)
            files |= inner
            problems += inner_problems
        elif target.is_file():
            files.add(target)
        else:
            problems.append(f"{kfile}: resource {entry!r} does not exist")
    return files, problems


def check_kustomization(k8s_dir: Path) -> list[str]:
    included, problems = kustomize_files(k8s_dir)
    for path in sorted(k8s_dir.rglob("*.yaml")):
        if path.name != "kustomization.yaml" and path.resolve() not in included:
            problems.append(f"{path} is not included by k8s/kustomization.yaml")
    return problems
