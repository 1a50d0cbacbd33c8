"""Send `k8s/` to a Kubernetes API server with the `kubernetes` client: server-side apply.

`check_manifests` is what `learnflow deploy --dry-run` and tests/deploy/test_apiserver.py run:

1. CRDs the manifests need (the Dapr ones, from the dapr Go module's `charts/dapr/crds`; see
   `learnflow.deploy.crds`) are created for real and awaited until `Established`;
2. in `prepare` mode (a throw-away local server) the Namespace and ServiceAccounts are created for
   real, because a dry-run of a namespaced object needs its namespace, and a Pod its account;
3. every object is server-side applied with `dryRun=All` — validation, defaulting, CRD schemas
   and admission all run, nothing is stored;
4. each workload's pod template is dry-run created as a Pod in its namespace, so the namespace's
   Pod Security level is *enforced* on it (on a Deployment the API server only warns).

The result lists every object with the server's verdict: `ok`, or the server's own message.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kubernetes import dynamic
from kubernetes.client import ApiClient
from kubernetes.client.rest import ApiException
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from learnflow.deploy.kustomize import Doc, _pod_specs
from learnflow.errors import SetupError

FIELD_MANAGER = "learnflow"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet"}


@dataclass(frozen=True)
class Verdict:
    kind: str
    name: str
    namespace: str | None
    check: str  # "apply" | "pod" | "crd"
    error: str | None  # the API server's message; None when accepted

    @property
    def label(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name} ({self.check})"


def _message(exc: ApiException) -> str:
    try:
        body = json.loads(exc.body or "")
        return str(body.get("message") or exc.body)
    except (TypeError, ValueError):
        return f"{exc.status} {exc.reason}"


def _resource(client: Any, doc: Doc) -> Any:
    return client.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])


def install_crds(api: ApiClient, crds: Iterable[Doc], timeout_s: float = 60.0) -> list[Verdict]:
    """Create (or update) each CRD for real and wait until the API server serves it."""
    client = dynamic.DynamicClient(api)  # type: ignore[no-untyped-call]
    crd_api = client.resources.get(
        api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition"
    )
    verdicts: list[Verdict] = []
    names = []
    for crd in crds:
        name = crd["metadata"]["name"]
        try:
            crd_api.server_side_apply(
                body=crd, name=name, field_manager=FIELD_MANAGER, force_conflicts=True
            )
            verdicts.append(Verdict("CustomResourceDefinition", name, None, "crd", None))
            names.append(name)
        except ApiException as exc:
            verdicts.append(Verdict("CustomResourceDefinition", name, None, "crd", _message(exc)))
    deadline = time.monotonic() + timeout_s
    for name in names:
        while True:
            got = crd_api.get(name=name).to_dict()
            conditions = got.get("status", {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                break
            if time.monotonic() > deadline:
                raise SetupError(f"CRD {name} was not Established within {timeout_s:.0f} s")
            time.sleep(0.2)
    return verdicts


def _apply(client: Any, doc: Doc, *, dry_run: bool) -> Verdict:
    meta = doc["metadata"]
    try:
        resource = _resource(client, doc)
    except ResourceNotFoundError:
        return Verdict(
            doc["kind"],
            meta["name"],
            meta.get("namespace"),
            "apply",
            f"the API server has no resource for {doc['apiVersion']} {doc['kind']} "
            "(is its CustomResourceDefinition installed?)",
        )
    namespace = meta.get("namespace") if resource.namespaced else None
    body = dict(doc, metadata={k: v for k, v in meta.items() if k != "namespace" or namespace})
    try:
        resource.server_side_apply(
            body=body,
            name=meta["name"],
            namespace=namespace,
            field_manager=FIELD_MANAGER,
            force_conflicts=True,
            **({"dry_run": "All"} if dry_run else {}),
        )
        error = None
    except ApiException as exc:
        error = _message(exc)
    return Verdict(doc["kind"], meta["name"], namespace, "apply", error)


def _pod_check(client: Any, doc: Doc) -> Verdict | None:
    if doc["kind"] not in WORKLOAD_KINDS:
        return None
    specs = _pod_specs(doc)
    if not specs:
        return None
    meta = doc["metadata"]
    template_meta = (
        doc["spec"].get("template", {}).get("metadata")
        if doc["kind"] != "CronJob"
        else doc["spec"]["jobTemplate"]["spec"]["template"].get("metadata")
    ) or {}
    pod: Doc = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{meta['name']}-podcheck",
            "namespace": meta.get("namespace"),
            "labels": template_meta.get("labels", {}),
            "annotations": template_meta.get("annotations", {}),
        },
        "spec": copy.deepcopy(specs[0]),
    }
    # the StatefulSet controller gives each pod a volume per claim template, named after it
    for claim in (
        doc["spec"].get("volumeClaimTemplates", []) if doc["kind"] == "StatefulSet" else []
    ):
        claim_name = claim["metadata"]["name"]
        pod["spec"].setdefault("volumes", []).append(
            {
                "name": claim_name,
                "persistentVolumeClaim": {"claimName": f"{claim_name}-{meta['name']}-0"},
            }
        )
    pods = client.resources.get(api_version="v1", kind="Pod")
    try:
        pods.create(body=pod, namespace=meta.get("namespace"), dry_run="All")
        error = None
    except ApiException as exc:
        error = _message(exc)
    return Verdict(doc["kind"], meta["name"], meta.get("namespace"), "pod", error)


def check_manifests(
    api: ApiClient,
    docs: list[Doc],
    crds: Iterable[Doc] = (),
    *,
    prepare: bool,
    dry_run: bool = True,
) -> list[Verdict]:
    """Install `crds`, then dry-run every object and every workload's pod (see the module doc).

    `dry_run=False` applies for real (`learnflow deploy --kubeconfig`), pods still dry-run.
    """
    verdicts = install_crds(api, crds)
    client = dynamic.DynamicClient(api)  # type: ignore[no-untyped-call]  # a fresh discovery, which now knows the new CRDs
    if prepare:
        # what a cluster has before `kubectl apply`: the namespace, its `default` account (the
        # controller-manager creates it; none runs here) and the manifests' accounts
        defaults: list[Doc] = [
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": d["metadata"]["name"]},
            }
            for d in docs
            if d["kind"] == "Namespace"
        ]
        real = [d for d in docs if d["kind"] == "Namespace"] + defaults
        real += [d for d in docs if d["kind"] == "ServiceAccount"]
        for doc in real:
            verdict = _apply(client, doc, dry_run=False)
            if verdict.error:
                return [*verdicts, verdict]
    for doc in docs:
        verdicts.append(_apply(client, doc, dry_run=dry_run))
    for doc in docs:
        pod_verdict = _pod_check(client, doc)
        if pod_verdict is not None:
            verdicts.append(pod_verdict)
    return verdicts
