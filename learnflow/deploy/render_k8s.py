"""Render the Dapr resources in `components/` for Kubernetes and for Docker Compose.

`components/` is the one source of truth for Dapr (components, Configuration, Resiliency,
Subscriptions); it is written for the local stack (`make up`). The cluster and container variants
differ only where an address or a secret store differs, so they are generated from it:

- `k8s/dapr/`: Kafka at the in-cluster Service, local secret stores become the Kubernetes secret
  store, every `secretKeyRef` points into the one Kubernetes Secret `learnflow-dapr-secrets` (the
  Dapr operator resolves it), name resolution is Kubernetes DNS, and every resource gets the
  `learnflow` namespace; plus a `kustomization.yaml` listing them. The `sidecarenv` store (one
  sidecar's own secrets: its Kafka password) stays an env store in every variant.
- the Configuration's trace exporter: the collector Service `K8S_TRACE_COLLECTOR` in
  Kubernetes; none in Docker Compose (which runs no collector).
- in both: `config-<app>.yaml`, each app's own Configuration — the shared one plus the access
  control of learnflow/mesh/policy.py (who may invoke the app).
- `k8s/data/kafka-access.yaml` (learnflow.deploy.kafka_access): the Job creating the cluster's
  Kafka topics and ACLs from the same policy.
- `compose/dapr/`: Kafka at the `kafka` service, the env secret store is kept (docker-compose.yaml
  sets the sidecars' `LEARNFLOW_SECRET_*` variables), and name resolution is SQLite on a volume
  all sidecars share.

A value the renderer does not know how to move (a new `localhost` address, a literal connection
string, a file-based secret store in a container) stops it with a message saying what to teach
it, so a variant can never silently point back at the developer's machine.

    python -m learnflow.deploy.render_k8s --write   # regenerate both variants
    python -m learnflow.deploy.render_k8s --check   # exit 1 if a generated file drifted
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from learnflow.deploy import kafka_access
from learnflow.errors import LearnFlowError
from learnflow.mesh import policy
from learnflow.settings import REPO_ROOT

NAMESPACE = "learnflow"
K8S_SECRET_NAME = "learnflow-dapr-secrets"
K8S_KAFKA_BROKERS = f"kafka.{NAMESPACE}.svc.cluster.local:9092"
COMPOSE_KAFKA_BROKERS = "kafka:9092"
# Where the cluster's sidecars export their spans (Zipkin v2 API): the Service of an
# OpenTelemetry Collector with its zipkin receiver (or of Zipkin itself), which the cluster's
# operators run. The one place to change it; k8s/network-policies.yaml lets the sidecars reach
# its namespace and port (a test keeps the two in step).
K8S_TRACE_COLLECTOR = "http://otel-collector.observability.svc.cluster.local:9411/api/v2/spans"
# Shared by every daprd container in docker-compose.yaml (the `dapr-names` volume).
COMPOSE_NAME_RESOLUTION: dict[str, Any] = {
    "component": "sqlite",
    "version": "v1",
    "configuration": {"connectionString": "/home/nonroot/nameresolution.db"},
}

API_VERSIONS: dict[str, frozenset[str]] = {
    "Component": frozenset({"dapr.io/v1alpha1"}),
    "Configuration": frozenset({"dapr.io/v1alpha1"}),
    "Resiliency": frozenset({"dapr.io/v1alpha1"}),
    "Subscription": frozenset({"dapr.io/v1alpha1", "dapr.io/v2alpha1"}),
    "HTTPEndpoint": frozenset({"dapr.io/v1alpha1"}),
}
LOCAL_SECRET_STORES = frozenset({"secretstores.local.env", "secretstores.local.file"})
# The store of secrets that belong to one sidecar alone (its app's Kafka password): it reads the
# sidecar's own environment in every variant (Kubernetes fills it per app from the app's Secret
# with dapr.io/env-from-secret), so it and the secretKeyRefs into it are kept as they are.
SIDECAR_SECRET_STORE = "sidecarenv"
# Metadata that carries credentials: it must come from a secret store, never as a literal
# (a SASL user name is not a credential; its password is).
SECRET_METADATA = re.compile(r"(?i)(password|connectionstring|token|secret|apikey)")
# Something that only makes sense on the developer's machine.
LOCAL_ADDRESS = re.compile(r"(?i)(\blocalhost\b|127\.0\.0\.1|\[::1\]|(^|[\s=/\"'])\.run/)")
K8S_SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
SHARED_CONFIG_FILE = "config.yaml"
GENERATED_HEADER = (
    "# GENERATED from components/{source} by `python -m learnflow.deploy.render_k8s --write`.\n"
    "# Do not edit: change components/{source} and re-run (tests fail on drift).\n"
)

Doc = dict[str, Any]


class RenderError(LearnFlowError):
    """A resource in `components/` cannot be rendered for a target; the message says why."""

    code = "render_error"


@dataclass(frozen=True)
class Target:
    """Where a variant goes and how it differs from the local stack."""

    name: str
    out_dir: Path  # relative to the repository root
    kafka_brokers: str
    namespace: str | None
    # Kubernetes: every secretKeyRef points into this one Secret; None keeps the source refs.
    secret_name: str | None
    # Replacement type for local secret stores; None keeps secretstores.local.env.
    secret_store_type: str | None
    keep_component_auth: bool
    # Set on every Configuration; None drops it (the platform's default resolver).
    name_resolution: dict[str, Any] | None
    kustomization: bool
    # Where the sidecars export spans; None: no exporter (the trace context is still made and
    # passed on, so the apps' log lines still share a trace id per request).
    trace_collector: str | None
    # HTTPEndpoint name -> its base URL in this variant (the local model server's Service)
    http_endpoints: dict[str, str]


K8S = Target(
    name="k8s",
    out_dir=Path("k8s/dapr"),
    kafka_brokers=K8S_KAFKA_BROKERS,
    namespace=NAMESPACE,
    secret_name=K8S_SECRET_NAME,
    secret_store_type="secretstores.kubernetes",
    keep_component_auth=False,
    name_resolution=None,
    kustomization=True,
    trace_collector=K8S_TRACE_COLLECTOR,
    http_endpoints={"llm": f"http://model-server.{NAMESPACE}.svc.cluster.local:8080"},
)
COMPOSE = Target(
    name="compose",
    out_dir=Path("compose/dapr"),
    kafka_brokers=COMPOSE_KAFKA_BROKERS,
    namespace=None,
    secret_name=None,
    secret_store_type=None,
    keep_component_auth=True,
    name_resolution=COMPOSE_NAME_RESOLUTION,
    kustomization=False,
    trace_collector=None,  # docker-compose.yaml runs no collector
    http_endpoints={"llm": "http://model-server:8080"},
)
TARGETS = (K8S, COMPOSE)


# --- reading ---------------------------------------------------------------------------------
def source_files(src: Path) -> list[Path]:
    if not src.is_dir():
        raise RenderError(f"{src} is not a directory of Dapr resources")
    return sorted(p for p in src.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_documents(path: Path) -> list[Doc]:
    try:
        raw = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise RenderError(f"{path.name}: not valid YAML ({exc})") from exc
    docs: list[Doc] = []
    for index, doc in enumerate(raw):
        if doc is None:
            continue
        where = f"{path.name} (document {index + 1})"
        if not isinstance(doc, dict):
            raise RenderError(f"{where}: expected a mapping, got {type(doc).__name__}")
        kind = doc.get("kind")
        if kind not in API_VERSIONS:
            raise RenderError(
                f"{where}: kind {kind!r} is not one render_k8s knows "
                f"({', '.join(sorted(API_VERSIONS))}); teach learnflow/deploy/render_k8s.py"
            )
        if doc.get("apiVersion") not in API_VERSIONS[kind]:
            raise RenderError(f"{where}: apiVersion {doc.get('apiVersion')!r} is wrong for {kind}")
        name = (doc.get("metadata") or {}).get("name")
        if not isinstance(name, str) or not name:
            raise RenderError(f"{where}: metadata.name is missing")
        docs.append(doc)
    return docs


# --- rewriting -------------------------------------------------------------------------------
def _metadata_items(doc: Doc, where: str) -> list[dict[str, Any]]:
    items = (doc.get("spec") or {}).get("metadata") or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise RenderError(f"{where}: spec.metadata must be a list of name/value entries")
    return items


def _rewrite_secret_ref(item: dict[str, Any], target: Target, where: str) -> None:
    ref = item.get("secretKeyRef")
    if not isinstance(ref, dict) or target.secret_name is None:
        return
    # The local secret's name is the key (for secretstores.local.env, name and key are equal).
    name, inner = str(ref.get("name") or ""), ref.get("key")
    key = name if inner in (None, "", name) else f"{name}.{inner}"
    if not K8S_SECRET_KEY.match(key):
        raise RenderError(
            f"{where}: secretKeyRef {ref!r} cannot be a key of a Kubernetes Secret "
            "(letters, digits, '-', '_' and '.' only)"
        )
    item["secretKeyRef"] = {"name": target.secret_name, "key": key}


def _render_component(doc: Doc, target: Target, where: str) -> Doc:
    spec = doc.setdefault("spec", {})
    ctype = spec.get("type")
    if not isinstance(ctype, str):
        raise RenderError(f"{where}: spec.type is missing")
    items = _metadata_items(doc, where)

    if ctype in LOCAL_SECRET_STORES and doc["metadata"]["name"] == SIDECAR_SECRET_STORE:
        if ctype != "secretstores.local.env":
            raise RenderError(f"{where}: the {SIDECAR_SECRET_STORE} store must be local.env")
        return doc
    if ctype in LOCAL_SECRET_STORES:
        if target.secret_store_type is not None:
            spec["type"] = target.secret_store_type
            spec["version"] = "v1"
            spec["metadata"] = []
        elif ctype != "secretstores.local.env":
            raise RenderError(
                f"{where}: {ctype} reads a file on the developer's machine; the {target.name} "
                "variant only supports secretstores.local.env"
            )
        return doc

    per_sidecar = (doc.get("auth") or {}).get("secretStore") == SIDECAR_SECRET_STORE
    for item in items:
        name = str(item.get("name", ""))
        if ctype == "pubsub.kafka" and name == "brokers":
            if "value" not in item:
                raise RenderError(f"{where}: Kafka brokers must be a plain value")
            item["value"] = target.kafka_brokers
            continue
        if SECRET_METADATA.search(name) and "value" in item and str(item["value"]).strip():
            raise RenderError(
                f"{where}: metadata {name!r} is a literal; credentials must come from the "
                "secret store (secretKeyRef)"
            )
        if not per_sidecar:
            _rewrite_secret_ref(item, target, f"{where} metadata {name!r}")

    if not target.keep_component_auth and not per_sidecar:
        doc.pop("auth", None)
    return doc


def _render_configuration(doc: Doc, target: Target) -> Doc:
    spec = doc.setdefault("spec", {})
    if target.name_resolution is None:
        spec.pop("nameResolution", None)
    else:
        spec["nameResolution"] = copy.deepcopy(target.name_resolution)
    tracing = spec.get("tracing")
    if isinstance(tracing, dict) and "zipkin" in tracing:
        if target.trace_collector is None:
            tracing.pop("zipkin")
        else:
            tracing["zipkin"] = {"endpointAddress": target.trace_collector}
    return doc


def _render_http_endpoint(doc: Doc, target: Target, where: str) -> Doc:
    name = doc["metadata"]["name"]
    if name not in target.http_endpoints:
        raise RenderError(
            f"{where}: the {target.name} variant has no address for HTTPEndpoint {name!r}; "
            "add it to the target's http_endpoints in learnflow/deploy/render_k8s.py"
        )
    doc.setdefault("spec", {})["baseUrl"] = target.http_endpoints[name]
    return doc


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _strings(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _strings(inner, f"{path}[{index}]")


def render_document(doc: Doc, target: Target, where: str = "document") -> Doc:
    """One resource of `components/`, rewritten for `target` (the input is not modified)."""
    out = copy.deepcopy(doc)
    kind = out["kind"]
    if kind == "Component":
        out = _render_component(out, target, where)
    elif kind == "Configuration":
        out = _render_configuration(out, target)
    elif kind == "HTTPEndpoint":
        out = _render_http_endpoint(out, target, where)
    if target.namespace is not None:
        out["metadata"]["namespace"] = target.namespace
    for path, text in _strings(out, ""):
        if LOCAL_ADDRESS.search(text):
            raise RenderError(
                f"{where}: {path} = {text!r} points at the local machine and render_k8s does "
                f"not know its {target.name} address; teach learnflow/deploy/render_k8s.py"
            )
    return out


def render_components(src: Path, target: Target) -> dict[str, list[Doc]]:
    """Every source file's resources for `target`, keyed by the source file's name."""
    rendered: dict[str, list[Doc]] = {}
    for path in source_files(src):
        docs = load_documents(path)
        if docs:
            rendered[path.name] = [
                render_document(
                    doc, target, f"{path.name} ({doc['kind']} {doc['metadata']['name']})"
                )
                for doc in docs
            ]
    if not rendered:
        raise RenderError(f"{src} holds no Dapr resources")
    return rendered


def render_k8s_components(src: Path) -> list[dict[str, Any]]:
    """The Kubernetes variant of every Dapr resource in `src`, in file order."""
    return [doc for docs in render_components(src, K8S).values() for doc in docs]


def render_compose_components(src: Path) -> list[dict[str, Any]]:
    """The Docker Compose variant of every Dapr resource in `src`, in file order."""
    return [doc for docs in render_components(src, COMPOSE).values() for doc in docs]


# --- writing and checking --------------------------------------------------------------------
def _dump(docs: Sequence[Doc]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False, width=100)


def _app_configurations(rendered: dict[str, list[Doc]], target: Target) -> dict[str, list[Doc]]:
    """`config-<app>.yaml` for every app: the shared Configuration plus who may invoke the app
    (learnflow.mesh.policy; Kubernetes annotates each Deployment with its own)."""
    shared = [d for d in rendered.get(SHARED_CONFIG_FILE, []) if d["kind"] == "Configuration"]
    if len(shared) != 1:
        raise RenderError(f"{SHARED_CONFIG_FILE} must hold exactly one Configuration")
    namespace = target.namespace or policy.NAMESPACE
    return {
        f"config-{app}.yaml": [policy.app_configuration(shared[0], app, namespace=namespace)]
        for app in sorted(policy.CALLERS)
    }


def render_files(src: Path, target: Target) -> dict[str, str]:
    """File name -> full text of every file `target.out_dir` should hold."""
    rendered = render_components(src, target)
    files = {
        name: GENERATED_HEADER.format(source=name) + _dump(docs) for name, docs in rendered.items()
    }
    files |= {
        name: GENERATED_HEADER.format(source=f"{SHARED_CONFIG_FILE} + learnflow/mesh/policy.py")
        + _dump(docs)
        for name, docs in _app_configurations(rendered, target).items()
    }
    if target.kustomization:
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": sorted(files),
        }
        files["kustomization.yaml"] = GENERATED_HEADER.format(source="*.yaml") + _dump(
            [kustomization]
        )
    return files


def drift(src: Path, root: Path, target: Target) -> list[str]:
    """What differs between the rendered files and the ones in the tree (empty: none)."""
    out_dir = root / target.out_dir
    expected = render_files(src, target)
    problems: list[str] = []
    for name, text in expected.items():
        path = out_dir / name
        if not path.is_file():
            problems.append(f"{target.out_dir / name} is missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{target.out_dir / name} differs from components/{name}")
    if out_dir.is_dir():
        for path in sorted(out_dir.iterdir()):
            if path.suffix in {".yaml", ".yml"} and path.name not in expected:
                problems.append(f"{target.out_dir / path.name} has no source in components/")
    return problems


def write(src: Path, root: Path, target: Target) -> list[Path]:
    """Write `target`'s files (removing stale ones); returns the paths that changed."""
    out_dir = root / target.out_dir
    expected = render_files(src, target)
    out_dir.mkdir(parents=True, exist_ok=True)
    changed: list[Path] = []
    for name, text in expected.items():
        path = out_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    for path in sorted(out_dir.iterdir()):
        if path.suffix in {".yaml", ".yml"} and path.name not in expected:
            path.unlink()
            changed.append(path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m learnflow.deploy.render_k8s",
        description="Render components/ into k8s/dapr/ and compose/dapr/.",
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="exit 1 if a generated file drifted")
    mode.add_argument("--write", action="store_true", help="regenerate the files")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="repository root")
    parser.add_argument("--src", type=Path, default=None, help="default: <root>/components")
    args = parser.parse_args(argv)
    root: Path = args.root
    src: Path = args.src or root / "components"
    try:
        if args.write:
            for target in TARGETS:
                for path in write(src, root, target):
                    print(f"wrote {path.relative_to(root)}")
            for path in kafka_access.write(root):
                print(f"wrote {path.relative_to(root)}")
            return 0
        problems = [p for target in TARGETS for p in drift(src, root, target)]
        problems += kafka_access.drift(root)
    except RenderError as exc:
        print(f"render_k8s: error: {exc.message}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"render_k8s: drift: {problem}", file=sys.stderr)
    if problems:
        print(
            "render_k8s: run `python -m learnflow.deploy.render_k8s --write` and commit the result",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
