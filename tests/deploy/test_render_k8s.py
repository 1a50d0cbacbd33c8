"""learnflow.deploy.render_k8s: k8s/dapr/ and compose/dapr/ are components/, translated."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from learnflow.deploy import render_k8s
from learnflow.deploy.render_k8s import (
    COMPOSE,
    K8S,
    RenderError,
    Target,
    render_compose_components,
    render_k8s_components,
)
from learnflow.mesh.topology import WEB_APP
from tests.deploy.deploy_common import REPO_ROOT, apps, manifest_errors

SRC = REPO_ROOT / "components"


def _by_name(docs: list[dict[str, object]]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {d["metadata"]["name"]: d for d in docs}  # type: ignore[index]


def test_check_passes_on_the_tree() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "learnflow.deploy.render_k8s", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_every_source_resource_is_rendered_and_valid() -> None:
    source = [d for p in render_k8s.source_files(SRC) for d in render_k8s.load_documents(p)]
    rendered = render_k8s_components(SRC)
    assert [(d["kind"], d["metadata"]["name"]) for d in rendered] == [
        (d["kind"], d["metadata"]["name"]) for d in source
    ]
    for doc in rendered + render_compose_components(SRC):
        assert not manifest_errors(doc), (doc["metadata"]["name"], manifest_errors(doc))


def test_kubernetes_variant_uses_cluster_addresses_and_secrets() -> None:
    docs = _by_name(render_k8s_components(SRC))
    assert all(d["metadata"]["namespace"] == "learnflow" for d in docs.values())
    pubsub = {m["name"]: m for m in docs["pubsub"]["spec"]["metadata"]}
    assert pubsub["brokers"]["value"] == "kafka.learnflow.svc.cluster.local:9092"
    state = docs["statestore"]
    assert "auth" not in state  # the Dapr operator resolves refs from Kubernetes Secrets
    refs = [m["secretKeyRef"] for m in state["spec"]["metadata"] if "secretKeyRef" in m]
    assert refs and all(r["name"] == render_k8s.K8S_SECRET_NAME for r in refs)
    stores = [d for d in docs.values() if d["spec"].get("type", "").startswith("secretstores.")]
    shared = [s for s in stores if s["metadata"]["name"] != render_k8s.SIDECAR_SECRET_STORE]
    assert shared and all(s["spec"]["type"] == "secretstores.kubernetes" for s in shared)
    # one sidecar's own secrets (its Kafka password) stay in its environment, per app
    assert docs["sidecarenv"]["spec"]["type"] == "secretstores.local.env"
    assert docs["pubsub"]["auth"] == {"secretStore": "sidecarenv"}
    assert pubsub["saslPassword"]["secretKeyRef"] == {
        "name": "KAFKA_PASSWORD",
        "key": "KAFKA_PASSWORD",
    }
    config = next(d for d in docs.values() if d["kind"] == "Configuration")
    assert "nameResolution" not in config["spec"]
    assert config["spec"]["tracing"] == {
        "samplingRate": "1",
        "zipkin": {"endpointAddress": render_k8s.K8S_TRACE_COLLECTOR},
    }


def test_compose_variant_keeps_the_env_secret_store() -> None:
    docs = _by_name(render_compose_components(SRC))
    pubsub = {m["name"]: m for m in docs["pubsub"]["spec"]["metadata"]}
    assert pubsub["brokers"]["value"] == "kafka:9092"
    assert docs["localsecretstore"]["spec"]["type"] == "secretstores.local.env"
    assert "auth" in docs["statestore"]
    config = next(d for d in docs.values() if d["kind"] == "Configuration")
    assert config["spec"]["nameResolution"]["component"] == "sqlite"
    assert config["spec"]["tracing"] == {"samplingRate": "1"}  # no collector runs there


def test_the_sidecars_may_reach_the_kubernetes_trace_collector() -> None:
    """k8s/network-policies.yaml opens the namespace and port of K8S_TRACE_COLLECTOR to every
    mesh pod (default deny would drop every span otherwise)."""
    address = urlsplit(render_k8s.K8S_TRACE_COLLECTOR)
    host = address.hostname or ""
    service, namespace, *_ = host.split(".")
    assert service and address.port
    policies = list(yaml.safe_load_all((REPO_ROOT / "k8s" / "network-policies.yaml").read_text()))
    mesh = next(p for p in policies if p["metadata"]["name"] == "dapr-mesh")
    allowed = [
        {port["port"] for port in rule.get("ports", [])}
        for rule in mesh["spec"]["egress"]
        if any(
            peer.get("namespaceSelector", {}).get("matchLabels")
            == {"kubernetes.io/metadata.name": namespace}
            for peer in rule.get("to", [])
        )
    ]
    assert any(address.port in ports for ports in allowed), allowed


def test_subscriptions_and_resiliency_name_real_apps() -> None:
    known = set(apps()) | {WEB_APP}  # the Python apps and the web app's sidecar
    docs = render_k8s_components(SRC)
    # Dapr's Resiliency targets an HTTPEndpoint (a non-Dapr service) under `apps` by its name
    endpoints = {d["metadata"]["name"] for d in docs if d["kind"] == "HTTPEndpoint"}
    assert not endpoints & known, "an HTTPEndpoint must not shadow an app id"
    resiliencies = [d for d in docs if d["kind"] == "Resiliency"]
    assert resiliencies
    for doc in docs:
        for scope in doc.get("scopes", []):
            assert scope in known, f"{doc['metadata']['name']}: unknown app {scope!r}"
    for doc in resiliencies:
        targets = set(doc["spec"]["targets"].get("apps", {}))
        assert targets <= set(apps()) | endpoints, targets - set(apps()) - endpoints


def _copy_tree(tmp_path: Path) -> Path:
    shutil.copytree(SRC, tmp_path / "components")
    assert render_k8s.main(["--write", "--root", str(tmp_path)]) == 0
    return tmp_path


def test_check_detects_an_edited_a_missing_and_a_stale_file(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    assert render_k8s.main(["--check", "--root", str(root)]) == 0
    pubsub = root / "k8s" / "dapr" / "pubsub.yaml"
    pubsub.write_text(pubsub.read_text().replace("kafka.learnflow", "kafka.elsewhere"))
    (root / "compose" / "dapr" / "config.yaml").unlink()
    (root / "k8s" / "dapr" / "old.yaml").write_text("kind: Component\n")
    problems = render_k8s.drift(root / "components", root, K8S) + render_k8s.drift(
        root / "components", root, COMPOSE
    )
    text = "\n".join(problems)
    assert "pubsub.yaml differs" in text
    assert "config.yaml is missing" in text
    assert "old.yaml has no source" in text
    assert render_k8s.main(["--check", "--root", str(root)]) == 1
    assert render_k8s.main(["--write", "--root", str(root)]) == 0
    assert render_k8s.main(["--check", "--root", str(root)]) == 0


def _component(ctype: str, metadata: list[dict[str, str]]) -> dict[str, object]:
    return {
        "apiVersion": "dapr.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "x"},
        "spec": {"type": ctype, "version": "v1", "metadata": metadata},
    }


def _http_endpoint(name: str, base_url: str) -> dict[str, object]:
    return {
        "apiVersion": "dapr.io/v1alpha1",
        "kind": "HTTPEndpoint",
        "metadata": {"name": name},
        "spec": {"baseUrl": base_url},
    }


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            _component("state.redis", [{"name": "redisHost", "value": "localhost:6379"}]),
            "local machine",
        ),
        (
            _component(
                "state.postgresql", [{"name": "connectionString", "value": "host=db password=x"}]
            ),
            "literal",
        ),
        (
            # a Dapr kind render_k8s was never taught (what it may hold is unknown to it)
            {"apiVersion": "dapr.io/v1alpha1", "kind": "MCPServer", "metadata": {"name": "m"}},
            "kind 'MCPServer' is not one render_k8s knows",
        ),
        (
            _http_endpoint("h", "http://127.0.0.1:9000"),
            r"the k8s variant has no address for HTTPEndpoint 'h'; add it to the target's "
            r"http_endpoints in learnflow/deploy/render_k8s\.py",
        ),
    ],
)
def test_unknown_local_values_stop_the_renderer(
    tmp_path: Path, doc: dict[str, object], message: str
) -> None:
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(RenderError, match=message):
        render_k8s_components(tmp_path)
    assert render_k8s.main(["--check", "--root", str(tmp_path), "--src", str(tmp_path)]) == 2


def test_file_secret_store_is_refused_for_compose(tmp_path: Path) -> None:
    doc = _component("secretstores.local.file", [{"name": "secretsFile", "value": "s.json"}])
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(doc))
    assert render_k8s_components(tmp_path)[0]["spec"]["type"] == "secretstores.kubernetes"
    with pytest.raises(RenderError, match=r"only supports secretstores\.local\.env"):
        render_compose_components(tmp_path)


@pytest.mark.parametrize("target", [K8S, COMPOSE], ids=lambda t: t.name)
def test_a_known_http_endpoint_gets_the_targets_address(tmp_path: Path, target: Target) -> None:
    """The local stack's loopback address is replaced by the target's model-server address (and
    only the address: the rest of the resource is kept)."""
    doc = _http_endpoint("llm", "http://127.0.0.1:18089")
    doc["spec"]["headers"] = [{"name": "X-Purpose", "value": "tutoring"}]  # type: ignore[index]
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(doc))
    [out] = render_k8s.render_components(tmp_path, target)["x.yaml"]
    assert out["spec"] == {
        "baseUrl": target.http_endpoints["llm"],
        "headers": [{"name": "X-Purpose", "value": "tutoring"}],
    }
    assert out["metadata"] == (
        {"name": "llm", "namespace": "learnflow"} if target is K8S else {"name": "llm"}
    )
    assert not manifest_errors(out), manifest_errors(out)
