"""k8s/: schema-valid for Kubernetes 1.33 and 1.37 (and our Dapr/Kong schemas), hardened, wired.

Every check also runs on a deliberately broken copy, so none of them can pass vacuously.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy import k8s_checks
from tests.deploy.deploy_common import (
    REPO_ROOT,
    Doc,
    apps,
    k8s_docs,
    k8s_manifest_files,
    load_docs,
    local_model_settings,
)
from tests.deploy.deploy_common import manifest_errors as schema_problems

K8S = REPO_ROOT / "k8s"


@pytest.fixture(scope="module")
def docs() -> list[Doc]:
    return [doc for _, doc in k8s_docs()]


def _find(docs: list[Doc], kind: str, name: str) -> Doc:
    for doc in docs:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"{kind} {name} not found")


def _broken(docs: list[Doc], kind: str, name: str) -> tuple[list[Doc], Doc]:
    """A deep copy of the manifests and, in it, the document to break."""
    copied = copy.deepcopy(docs)
    return copied, _find(copied, kind, name)


# --- schemas -------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", k8s_manifest_files(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_manifest_matches_its_schema(path: Path) -> None:
    docs = load_docs(path)
    assert docs, f"{path} is empty"
    problems = [
        f"{doc.get('kind')} {doc.get('metadata', {}).get('name')}: {p}"
        for doc in docs
        for p in schema_problems(doc)
    ]
    assert not problems, "\n".join(problems)


def test_schema_validation_rejects_broken_manifests(tmp_path: Path, docs: list[Doc]) -> None:
    deployment = copy.deepcopy(_find(docs, "Deployment", "triage"))
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    component = copy.deepcopy(_find(docs, "Component", "statestore"))
    component["spec"]["metadata"].append({"name": "actorStateStore", "value": True})
    plugin = copy.deepcopy(_find(docs, "KongPlugin", "learnflow-rate-limit"))
    plugin["config"]["minutes"] = 5
    resiliency = copy.deepcopy(_find(docs, "Resiliency", "learnflow-resiliency"))
    next(iter(resiliency["spec"]["policies"]["retries"].values())).pop("maxRetries")
    removed_api: dict[str, Any] = {
        "apiVersion": "policy/v1beta1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "old"},
        "spec": {"maxUnavailable": 1},
    }
    unknown_crd = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    for broken in (deployment, component, plugin, resiliency, removed_api, unknown_crd):
        assert schema_problems(broken), f"accepted a broken {broken['kind']}"


# --- hardening -----------------------------------------------------------------------------------
def test_workloads_are_hardened(docs: list[Doc]) -> None:
    assert not k8s_checks.check_workload_security(docs)


def test_hardening_check_catches_a_weak_workload(docs: list[Doc]) -> None:
    broken, kafka = _broken(docs, "StatefulSet", "kafka")
    container = kafka["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["readOnlyRootFilesystem"] = False
    container["securityContext"]["capabilities"] = {"add": ["NET_ADMIN"]}
    container["image"] = "apache/kafka:latest"
    del container["resources"]["limits"]
    problems = "\n".join(k8s_checks.check_workload_security(broken))
    for expected in (
        "readOnlyRootFilesystem",
        "drop ALL",
        "add capabilities",
        "not pinned",
        "limits",
    ):
        assert expected in problems


# --- apps ----------------------------------------------------------------------------------------
def test_every_app_has_a_dapr_deployment(docs: list[Doc]) -> None:
    assert not k8s_checks.check_app_deployments(docs, apps())


def test_app_check_catches_wrong_dapr_wiring(docs: list[Doc]) -> None:
    broken, tutor = _broken(docs, "Deployment", "tutor")
    tutor["spec"]["template"]["metadata"]["annotations"]["dapr.io/app-port"] = "9999"
    tutor["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["path"] = "/"
    del tutor["spec"]["template"]["metadata"]["annotations"]["dapr.io/api-token-secret"]
    broken.remove(_find(broken, "Deployment", "debrief"))
    problems = "\n".join(k8s_checks.check_app_deployments(broken, apps()))
    assert "dapr.io/app-port" in problems
    assert "livenessProbe" in problems
    assert "needs dapr.io/api-token-secret" in problems
    assert "no Deployment for app 'debrief'" in problems


def test_replicated_apps_have_disruption_budgets(docs: list[Doc]) -> None:
    assert not k8s_checks.check_disruption_budgets(docs)


def test_disruption_budget_check_catches_a_missing_budget(docs: list[Doc]) -> None:
    broken = [d for d in copy.deepcopy(docs) if d["kind"] != "PodDisruptionBudget"]
    assert k8s_checks.check_disruption_budgets(broken)


def test_services_select_real_ports(docs: list[Doc]) -> None:
    assert not k8s_checks.check_services(docs)


def test_service_check_catches_a_dangling_service(docs: list[Doc]) -> None:
    broken, svc = _broken(docs, "Service", "concepts")
    svc["spec"]["ports"][0]["targetPort"] = "metrics"
    assert k8s_checks.check_services(broken)


# --- secrets -------------------------------------------------------------------------------------
def test_secrets_are_referenced_and_documented_never_committed(docs: list[Doc]) -> None:
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    assert not k8s_checks.check_secrets(docs, readme)


def test_secret_check_catches_undocumented_and_committed_secrets(docs: list[Doc]) -> None:
    broken = copy.deepcopy(docs)
    broken.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "oops"}})
    env = _find(broken, "Deployment", "triage")["spec"]["template"]["spec"]["containers"][0]
    env["env"].append(
        {"name": "X", "valueFrom": {"secretKeyRef": {"name": "learnflow-app-secrets", "key": "x"}}}
    )
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    problems = "\n".join(k8s_checks.check_secrets(broken, readme))
    assert "never committed" in problems
    assert "does not create key 'x'" in problems


# --- network -------------------------------------------------------------------------------------
def test_network_policies_isolate_apps_and_code_runner(docs: list[Doc]) -> None:
    assert not k8s_checks.check_network_policies(docs, apps())


def test_network_check_catches_open_ports_and_code_runner_egress(docs: list[Doc]) -> None:
    broken = copy.deepcopy(docs)
    broken.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "too-open"},
            "spec": {
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "code-runner"}},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    {"ports": [{"port": 8005}]},
                    {
                        "from": [{"namespaceSelector": {"matchLabels": {"any": "ns"}}}],
                        "ports": [{"port": 3500}],
                    },
                ],
                "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
            },
        }
    )
    broken.remove(_find(broken, "NetworkPolicy", "default-deny-all"))
    problems = "\n".join(k8s_checks.check_network_policies(broken, apps()))
    assert "default-deny" in problems
    assert "opens an app port" in problems
    assert "opens daprd's HTTP API" in problems
    assert "beyond the mesh" in problems


# --- the local model server (HTTPEndpoint llm) ---------------------------------------------------
def test_http_endpoints_reach_their_servers_from_the_agents_only(docs: list[Doc]) -> None:
    backends = k8s_checks.endpoint_backends(docs)
    assert backends and all(servers for _, servers in backends.values())
    assert not k8s_checks.check_http_endpoints(docs)


def test_http_endpoint_check_catches_open_unreachable_or_meshed_servers(docs: list[Doc]) -> None:
    broken, policy = _broken(docs, "NetworkPolicy", "model-server")
    policy["spec"]["ingress"][0]["from"].append(
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "code-runner"}}}
    )
    broken.remove(_find(broken, "NetworkPolicy", "agents-to-model-server"))
    server = _find(broken, "Deployment", "model-server")["spec"]["template"]["metadata"]
    server["annotations"] = {"dapr.io/enabled": "true"}
    problems = "\n".join(k8s_checks.check_http_endpoints(broken))
    for expected in (
        "NetworkPolicy model-server: admits more than the agents' pods on 8080",
        "Deployment tutor: no egress rule reaches Deployment model-server",
        "Deployment model-server: is reached as an HTTPEndpoint, not a Dapr app",
    ):
        assert expected in problems, expected
    moved, service = _broken(docs, "Service", "model-server")
    service["spec"]["ports"][0]["port"] = 80
    assert k8s_checks.check_http_endpoints(moved) == [
        "HTTPEndpoint llm (Service model-server): selects no workload, or has no port 8080"
    ]
    gone = [d for d in copy.deepcopy(docs) if d["metadata"]["name"] != "model-server"]
    assert k8s_checks.check_http_endpoints(gone) == [
        "HTTPEndpoint llm: http://model-server.learnflow.svc.cluster.local:8080 names no "
        "Service in k8s/"
    ]


def test_the_model_server_uses_as_many_threads_as_its_cpu_limit(docs: list[Doc]) -> None:
    """llama.cpp's default is half the CPUs it sees (the node's, in a pod): far more than the
    limit lets it run, so every token would wait on throttling."""
    deployment = _find(docs, "Deployment", "model-server")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("valueFrom", {}).get("resourceFieldRef") for e in container["env"]}
    for name in ("N_THREADS", "N_THREADS_BATCH"):
        assert env[name] == {
            "containerName": container["name"],
            "resource": "limits.cpu",
            "divisor": "1",
        }
    assert container["resources"]["limits"]["memory"] == "1Gi"


def _settings_lines(lines: list[str]) -> dict[str, str]:
    """`LEARNFLOW_LLM_*: value` lines (YAML; a trailing `# comment` is dropped) as a mapping."""
    loaded: dict[str, str] = yaml.safe_load("\n".join(lines))
    return loaded


def test_the_documented_settings_turn_the_local_model_on_as_the_stack_does(
    docs: list[Doc], tmp_path: Path
) -> None:
    """settings.yaml's commented lines and README's are what `learnflow up` with
    LEARNFLOW_LLM=local gives each agent, and every agent reads that ConfigMap."""
    expected = local_model_settings(tmp_path)
    settings = (K8S / "settings.yaml").read_text(encoding="utf-8").splitlines()
    commented = [
        m[1] for line in settings if (m := re.match(r"^  # (LEARNFLOW_LLM_\w+: .*)$", line))
    ]
    assert _settings_lines(commented) == expected
    readme = (K8S / "README.md").read_text(encoding="utf-8").splitlines()
    shown = [line.strip() for line in readme if re.match(r"^ {4}LEARNFLOW_LLM_\w+: ", line)]
    assert _settings_lines(shown) == expected
    config_map = _find(docs, "ConfigMap", "learnflow-settings")
    agents = [
        d
        for d in docs
        if d["kind"] == "Deployment"
        and k8s_checks.AGENT_LABELS.items() <= d["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert agents
    for agent in agents:
        [container] = [
            c for c in agent["spec"]["template"]["spec"]["containers"] if c["name"] == "app"
        ]
        assert {"configMapRef": {"name": config_map["metadata"]["name"]}} in container["envFrom"]


# --- ingress and kustomize -----------------------------------------------------------------------
def test_kong_ingress_is_wired(docs: list[Doc]) -> None:
    assert not k8s_checks.check_ingress(docs)


def test_ingress_check_catches_missing_plugin_and_backend(docs: list[Doc]) -> None:
    broken, ingress = _broken(docs, "Ingress", "learnflow-api")
    ingress["metadata"]["annotations"]["konghq.com/plugins"] += ",nope"
    path = ingress["spec"]["rules"][0]["http"]["paths"][0]
    path["backend"]["service"]["name"] = "missing"
    problems = "\n".join(k8s_checks.check_ingress(broken))
    assert "'nope'" in problems
    assert "'missing'" in problems


def test_kustomization_includes_every_manifest() -> None:
    assert not k8s_checks.check_kustomization(K8S)


def test_kustomization_check_catches_a_stray_file(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - a.yaml\n  - gone.yaml\n")
    (tmp_path / "a.yaml").write_text("kind: ConfigMap\n")
    (tmp_path / "stray.yaml").write_text("kind: ConfigMap\n")
    problems = "\n".join(k8s_checks.check_kustomization(tmp_path))
    assert "gone.yaml" in problems
    assert "stray.yaml" in problems
