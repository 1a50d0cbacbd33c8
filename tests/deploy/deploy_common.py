"""Shared by the deployment tests: paths, the apps we deploy, YAML loading and schema validation.

Kubernetes' own kinds are validated with `kubernetes-validate` (the schemas it ships, strict: an
unknown field is an error); Dapr, Kong and KEDA resources with the JSON schemas in `schemas/`,
written for the fields we use.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from referencing import Registry, Resource

from learnflow.mesh.stack import Stack
from learnflow.mesh.topology import topology
from learnflow.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
# The oldest Kubernetes we support and the newest kubernetes-validate ships: an API removed or
# renamed between them fails one of the two.
K8S_VERSIONS = ("1.33", "1.37")
DAPR_HTTP_PORT = 3500
DAPR_CONFIG_NAME = "learnflow-config"

CRD_SCHEMAS: dict[tuple[str, str], str] = {
    ("dapr.io/v1alpha1", "Component"): "dapr-component.json",
    ("dapr.io/v1alpha1", "Configuration"): "dapr-configuration.json",
    ("dapr.io/v1alpha1", "Resiliency"): "dapr-resiliency.json",
    ("dapr.io/v2alpha1", "Subscription"): "dapr-subscription.json",
    ("configuration.konghq.com/v1", "KongPlugin"): "kong-plugin.json",
    ("configuration.konghq.com/v1", "KongConsumer"): "kong-consumer.json",
    ("dapr.io/v1alpha1", "HTTPEndpoint"): "dapr-httpendpoint.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "keda-scaledobject.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "keda-triggerauthentication.json",
}

Doc = dict[str, Any]


@dataclass(frozen=True)
class App:
    app_id: str
    asgi: str  # "package.module:app"
    port: int


@cache
def apps() -> dict[str, App]:
    """The mesh's apps as the supervisor runs them (learnflow.mesh.topology), without offset."""
    topo = topology(Settings(port_offset=0))
    # the Python services; the web app (`next:`) has no container artefacts yet
    return {
        a.app_id: App(a.app_id, a.asgi, a.app_port)
        for a in topo.apps
        if not a.asgi.startswith("next:")
    }


def local_model_settings(run_dir: Path) -> dict[str, str]:
    """What `learnflow up` with LEARNFLOW_LLM=local tells each agent (learnflow.mesh.stack: the
    model behind its own daprd), for a daprd on DAPR_HTTP_PORT: what an agent's container or
    pod must be told to use the local model server. `run_dir`: any empty folder."""
    stack = Stack(Settings(run_dir=run_dir, port_offset=0, llm="local"), lambda _: None)
    spec = dataclasses.replace(stack.apps[0], dapr_http_port=DAPR_HTTP_PORT)
    return stack.local_model_env(spec)


def load_docs(path: Path) -> list[Doc]:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    for doc in docs:
        if not isinstance(doc, dict):
            raise AssertionError(f"{path}: a document is not a mapping")
    return docs


def k8s_manifest_files(root: Path = REPO_ROOT) -> list[Path]:
    """Every Kubernetes manifest under k8s/ (kustomization files are not API objects)."""
    return sorted(
        p for p in (root / "k8s").rglob("*.yaml") if p.name != "kustomization.yaml" and p.is_file()
    )


def k8s_docs(root: Path = REPO_ROOT) -> Iterator[tuple[Path, Doc]]:
    for path in k8s_manifest_files(root):
        for doc in load_docs(path):
            yield path, doc


# --- schema validation ---------------------------------------------------------------------------
@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry: Registry = Registry().with_resources(resources)
    return registry


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))
    return loaded


def schema_errors(doc: Any, schema_name: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema(schema_name), registry=_registry())
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    ]


def manifest_errors(doc: Doc) -> list[str]:
    """Schema errors of one manifest: Kubernetes kinds strictly, our CRDs with our schemas."""
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return ["apiVersion and kind are required"]
    crd = CRD_SCHEMAS.get((api_version, kind))
    if crd is not None:
        return schema_errors(doc, crd)
    if "." in api_version.split("/")[0] and not api_version.split("/")[0].endswith("k8s.io"):
        return [f"{api_version} {kind}: no schema in tests/deploy/schemas/ (add one)"]
    errors = []
    for version in K8S_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{api_version} {kind} does not exist in Kubernetes {version}")
        except kubernetes_validate.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "<root>"
            errors.append(f"Kubernetes {version}: {where}: {exc.message}")
    return errors
