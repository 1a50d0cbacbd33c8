"""What docker-compose.yaml must wire: infrastructure, every app with its daprd, Kong.

Read with PyYAML (anchors and `<<` merges resolved), checked without a container engine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.deploy import dockerfile_checks
from tests.deploy.deploy_common import DAPR_HTTP_PORT, App

PINNED_IMAGE = re.compile(r"^[^:@\s]+(:[0-9]+(\.[0-9]+)+[-\w.]*|@sha256:[0-9a-f]{64})$")
DAPR_RESOURCES = "./compose/dapr"
LOOPBACK = frozenset({"127.0.0.1", "[::1]", "[::1],127.0.0.1", "127.0.0.1,[::1]"})
INFRA_IMAGES = {
    "postgres": "postgres:",
    "kafka": "apache/kafka:",
    "placement": "daprio/placement:",
    "scheduler": "daprio/scheduler:",
}


def _flag(command: list[str], name: str) -> str | None:
    """The value after `--name` (or in `--name=value`) in a daprd command line."""
    for i, word in enumerate(command):
        if word == name and i + 1 < len(command):
            return command[i + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return None


def _network_is_internal(compose: dict[str, Any], name: str) -> bool:
    return bool((compose.get("networks", {}).get(name) or {}).get("internal"))


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """container path -> host source, for short-syntax volumes."""
    mounts = {}
    for volume in service.get("volumes", []):
        parts = str(volume).split(":")
        if len(parts) >= 2:
            mounts[parts[1]] = parts[0]
    return mounts


def check_compose(compose: dict[str, Any], apps: dict[str, App], repo_root: Path) -> list[str]:
    problems: list[str] = []
    services: dict[str, dict[str, Any]] = compose.get("services", {})
    for name, prefix in INFRA_IMAGES.items():
        image = str(services.get(name, {}).get("image", ""))
        if not image.startswith(prefix):
            problems.append(f"service {name!r} must run {prefix}<version>")
    kafka_env = services.get("kafka", {}).get("environment", {})
    if "controller" not in str(kafka_env.get("KAFKA_PROCESS_ROLES", "")) or any(
        "ZOOKEEPER" in key for key in kafka_env
    ):
        problems.append("kafka must run in KRaft mode (KAFKA_PROCESS_ROLES with controller)")

    for name, spec in services.items():
        pinned = PINNED_IMAGE.match(str(spec.get("image")))
        if spec.get("image") is not None and "build" not in spec and not pinned:
            problems.append(f"service {name!r}: image {spec['image']!r} is not pinned to a version")

    for app in apps.values():
        service = services.get(app.app_id)
        sidecar = services.get(f"{app.app_id}-dapr")
        if service is None or sidecar is None:
            problems.append(
                f"app {app.app_id!r} needs services {app.app_id!r} and '{app.app_id}-dapr'"
            )
            continue
        dockerfile = repo_root / service.get("build", {}).get("dockerfile", "<none>")
        if not dockerfile.is_file():
            problems.append(f"{app.app_id}: build.dockerfile {dockerfile} does not exist")
        if service.get("read_only") is not True or "ALL" not in service.get("cap_drop", []):
            problems.append(f"{app.app_id}: read_only and cap_drop ALL are required")
        problems += _check_sidecar(app, sidecar, services, repo_root)
        if app.app_id == "code-runner":
            open_nets = [
                n for n in service.get("networks", []) if not _network_is_internal(compose, n)
            ]
            if open_nets:
                problems.append(f"code-runner must join internal networks only, not {open_nets}")
    return problems


def _check_sidecar(
    app: App, sidecar: dict[str, Any], services: dict[str, Any], repo_root: Path
) -> list[str]:
    where = f"{app.app_id}-dapr"
    problems = []
    if not str(sidecar.get("image", "")).startswith("daprio/daprd:"):
        problems.append(f"{where}: image must be daprio/daprd:<version>")
    if sidecar.get("network_mode") != f"service:{app.app_id}":
        problems.append(f"{where}: network_mode must be service:{app.app_id}")
    if app.app_id not in sidecar.get("depends_on", {}):
        problems.append(f"{where}: must depend on {app.app_id}")
    command = [str(c) for c in sidecar.get("command", [])]
    expected = {
        "--app-id": app.app_id,
        "--app-port": str(app.port),
        "--dapr-http-port": str(DAPR_HTTP_PORT),
        "--app-health-check-path": "/healthz",
    }
    for flag, value in expected.items():
        if _flag(command, flag) != value:
            problems.append(f"{where}: {flag} is {_flag(command, flag)!r}, not {value!r}")
    if _flag(command, "--dapr-listen-addresses") not in LOOPBACK:
        problems.append(f"{where}: daprd's API must listen on loopback only (the app shares it)")
    for flag, target in (
        ("--placement-host-address", "placement"),
        ("--scheduler-host-address", "scheduler"),
    ):
        host = (_flag(command, flag) or "").rsplit(":", 1)[0]
        if host != target or target not in services:
            problems.append(f"{where}: {flag} must point at the {target!r} service")
    if "--enable-mtls" not in command or not (_flag(command, "--sentry-address") or "").startswith(
        "sentry:"
    ):
        problems.append(f"{where}: mTLS must be on, with certificates from the 'sentry' service")
    mounts = _mounts(sidecar)
    tokens = [source for source in mounts.values() if "/tokens/" in source]
    if tokens != [f"./compose/trust/tokens/{app.app_id}.jwt"]:
        problems.append(f"{where}: must mount its own Sentry token and no other ({tokens})")
    if _flag(command, "--config") != f"/components/config-{app.app_id}.yaml":
        problems.append(f"{where}: --config must be its own access control (config-<app>.yaml)")
    resources = _flag(command, "--resources-path")
    if resources is None or mounts.get(resources) != DAPR_RESOURCES:
        problems.append(f"{where}: --resources-path must be the mount of {DAPR_RESOURCES}")
    config = _flag(command, "--config")
    if resources and config and config.startswith(resources + "/"):
        config_file = repo_root / DAPR_RESOURCES / config[len(resources) + 1 :]
        if not config_file.is_file():
            problems.append(f"{where}: --config {config} is not a file in {DAPR_RESOURCES}")
    else:
        problems.append(f"{where}: --config must be a file under --resources-path")
    return problems


def _exposed_ports(dockerfile: Path) -> set[str]:
    instructions = dockerfile_checks.parse(dockerfile.read_text(encoding="utf-8"))
    final = dockerfile_checks.stages(instructions)[-1]
    return {w.split("/")[0] for i in final if i.keyword == "EXPOSE" for w in i.args.split()}


def check_http_endpoints(
    compose: dict[str, Any], dapr_docs: list[dict[str, Any]], repo_root: Path
) -> list[str]:
    """Every HTTPEndpoint of compose/dapr/ is a service here, on a port its image exposes; an
    opt-in one (it has `profiles`), hardened like the apps, on internal networks only, that
    every agent's sidecar (in the agent's network namespace) shares a network with and
    code-runner does not."""
    problems: list[str] = []
    services: dict[str, dict[str, Any]] = compose.get("services", {})
    agents = [
        name
        for name, spec in services.items()
        if (spec.get("build") or {}).get("dockerfile") == "agents/Dockerfile"
    ]
    if not agents:
        problems.append("no service is built from agents/Dockerfile")
    for doc in dapr_docs:
        if doc.get("kind") != "HTTPEndpoint":
            continue
        url = urlsplit(doc["spec"]["baseUrl"])
        host, where = url.hostname or "", f"HTTPEndpoint {doc['metadata']['name']}"
        service = services.get(host)
        if service is None:
            problems.append(f"{where}: {url.geturl()} names no service {host!r}")
            continue
        dockerfile = repo_root / (service.get("build") or {}).get("dockerfile", "<none>")
        if not dockerfile.is_file():
            problems.append(f"{host}: build.dockerfile {dockerfile} does not exist")
        elif str(url.port) not in _exposed_ports(dockerfile):
            problems.append(f"{where}: port {url.port} is not one {dockerfile} exposes")
        if not service.get("profiles"):
            problems.append(f"{host}: must be opt-in (a profile), like the model it serves")
        if service.get("read_only") is not True or "ALL" not in service.get("cap_drop", []):
            problems.append(f"{host}: read_only and cap_drop ALL are required")
        open_nets = [n for n in service.get("networks", []) if not _network_is_internal(compose, n)]
        if open_nets or not service.get("networks"):
            problems.append(f"{host} must join internal networks only, not {open_nets}")
        for agent in agents:
            if not shares_a_network(compose, agent, host):
                problems.append(f"{agent}: its sidecar cannot reach {host} (no shared network)")
        if "code-runner" in services and shares_a_network(compose, "code-runner", host):
            problems.append(f"code-runner must not reach {host}")
    return problems


def shares_a_network(compose: dict[str, Any], a: str, b: str) -> bool:
    services = compose["services"]
    return bool(set(services[a].get("networks", [])) & set(services[b].get("networks", [])))


def check_sidecar_secrets(compose: dict[str, Any], dapr_docs: list[dict[str, Any]]) -> list[str]:
    """Every secretKeyRef of compose/dapr/ is an environment variable of every sidecar (the
    env secret store reads `<prefix><name>`)."""
    stores = {
        d["metadata"]["name"]: {m["name"]: m.get("value") for m in d["spec"].get("metadata", [])}
        for d in dapr_docs
        if d.get("kind") == "Component" and d["spec"]["type"] == "secretstores.local.env"
    }
    problems: list[str] = []
    for doc in dapr_docs:
        store = doc.get("auth", {}).get("secretStore")
        for item in (
            doc.get("spec", {}).get("metadata", []) if doc.get("kind") == "Component" else []
        ):
            ref = item.get("secretKeyRef")
            if not ref:
                continue
            if store not in stores:
                problems.append(
                    f"{doc['metadata']['name']}: secret store {store!r} is not an env store"
                )
                continue
            variable = f"{stores[store].get('prefix') or ''}{ref['name']}"
            for name, service in compose["services"].items():
                if name.endswith("-dapr") and variable not in service.get("environment", {}):
                    problems.append(
                        f"{name}: {variable} is not set (needed by {doc['metadata']['name']})"
                    )
    return problems
