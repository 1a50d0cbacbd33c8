"""Render `k8s/kustomization.yaml` the way `kubectl apply -k` would, for the fields we use.

Supported: `resources` (files, and folders holding a kustomization.yaml), `namespace`,
`labels` (`pairs`, with `includeSelectors: false`) and `images` (`newName`/`newTag`). Any other
field is refused with a clear error rather than silently ignored, so the rendering never differs
from kustomize's without saying so.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from learnflow.errors import SetupError

Doc = dict[str, Any]
SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "labels", "images"}
# kinds that have no namespace (the ones k8s/ could hold); the API server's discovery is the
# authority when applying (`learnflow.deploy.apply` drops the namespace for cluster-scoped ones)
CLUSTER_SCOPED = {
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
}


def _load(path: Path) -> list[Doc]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc:
            raise SetupError(f"{path}: every YAML document must be a Kubernetes object")
    return docs


def _pod_specs(doc: Doc) -> list[Doc]:
    spec = doc.get("spec") or {}
    if doc["kind"] == "Pod":
        return [spec]
    if doc["kind"] == "CronJob":
        return [spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})]
    template = spec.get("template", {}).get("spec")
    return [template] if isinstance(template, dict) else []


def _set_images(doc: Doc, images: list[Doc]) -> None:
    for pod in _pod_specs(doc):
        for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
            name = str(container.get("image", "")).rsplit("@", 1)[0]
            repo = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
            for image in images:
                if image["name"] == repo:
                    tag = image.get("newTag") or (
                        name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
                    )
                    container["image"] = f"{image.get('newName', repo)}:{tag}"


def render(folder: Path) -> list[Doc]:
    """The objects `kubectl apply -k folder` would send, in order."""
    path = folder / "kustomization.yaml"
    if not path.is_file():
        raise SetupError(f"{folder} has no kustomization.yaml")
    spec = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(spec) - SUPPORTED)
    if unknown:
        raise SetupError(
            f"{path}: kustomization fields {unknown} are not supported by our renderer"
        )
    docs: list[Doc] = []
    for entry in spec.get("resources", []):
        target = folder / entry
        docs.extend(render(target) if target.is_dir() else _load(target))
    docs = copy.deepcopy(docs)
    namespace = spec.get("namespace")
    for doc in docs:
        meta = doc.setdefault("metadata", {})
        if namespace and doc["kind"] not in CLUSTER_SCOPED:
            meta["namespace"] = namespace
        for group in spec.get("labels", []):
            if group.get("includeSelectors") or group.get("includeTemplates"):
                raise SetupError(
                    f"{path}: labels with includeSelectors/includeTemplates are not supported"
                )
            meta.setdefault("labels", {}).update(group.get("pairs", {}))
        _set_images(doc, spec.get("images", []))
    return docs
