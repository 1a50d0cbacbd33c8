"""tests/deploy/schemas/dapr-*.json say no more than Dapr's own CRDs.

Our schemas are stricter than the CRDs (closed objects, string values, patterns), so they catch
what the kube-apiserver would let through; but every field they allow must be one the CRD
defines, with the CRD's type, enum and required fields — a schema is the CRD narrowed, never
invented. The CRDs are the ones k8s/ is applied after (learnflow.deploy.crds, from the dapr Go
module at the version we build).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from learnflow.deploy.crds import dapr_crds
from tests.deploy.deploy_common import CRD_SCHEMAS, schema

DAPR_SCHEMAS = {key: name for key, name in CRD_SCHEMAS.items() if key[0].startswith("dapr.io/")}
# Kubernetes' own envelope: the CRDs leave it to the API server (metadata is `type: object`).
ENVELOPE = {"apiVersion", "kind", "metadata"}

Node = dict[str, Any]


@cache
def _crd_schemas() -> dict[tuple[str, str], Node]:
    out = {}
    for crd in dapr_crds():
        spec = crd["spec"]
        for version in spec["versions"]:
            api_version = f"{spec['group']}/{version['name']}"
            out[api_version, spec["names"]["kind"]] = version["schema"]["openAPIV3Schema"]
    return out


def _resolve(node: Node, file: str) -> tuple[Node, str]:
    """Follow `$ref`s (within a schema file or into another of schemas/)."""
    while "$ref" in node:
        target, _, pointer = node["$ref"].partition("#")
        file = target or file
        node = schema(file)
        for part in pointer.strip("/").split("/"):
            node = node[part]
    return node, file


def _disagreements(ours: Node, file: str, crd: Node, path: str) -> list[str]:
    ours, file = _resolve(ours, file)
    if crd.get("x-kubernetes-preserve-unknown-fields"):
        return []  # the CRD takes anything here
    problems = []
    if "type" in ours and "type" in crd and ours["type"] != crd["type"]:
        problems.append(f"{path}: type {ours['type']!r}, the CRD says {crd['type']!r}")
    if "enum" in ours and "enum" in crd and not set(ours["enum"]) <= set(crd["enum"]):
        problems.append(f"{path}: enum {ours['enum']}, the CRD allows {crd['enum']}")
    fields: Node = ours.get("properties", {})
    if fields:  # an object we describe (not one we leave opaque because we do not use it)
        missing = set(crd.get("required", [])) - set(ours.get("required", []))
        if missing:
            problems.append(f"{path or '<root>'}: the CRD requires {sorted(missing)}")
    for name, inner in fields.items():
        if not path and name in ENVELOPE:
            continue
        crd_fields = crd.get("properties", {})
        if name not in crd_fields:
            problems.append(f"{path}/{name}: not a field of the CRD")
            continue
        problems += _disagreements(inner, file, crd_fields[name], f"{path}/{name}")
    if isinstance(ours.get("items"), dict) and "items" in crd:
        problems += _disagreements(ours["items"], file, crd["items"], f"{path}[]")
    extra = ours.get("additionalProperties")
    if isinstance(extra, dict) and isinstance(crd.get("additionalProperties"), dict):
        problems += _disagreements(extra, file, crd["additionalProperties"], f"{path}/*")
    return problems


@pytest.mark.parametrize(("key", "name"), sorted(DAPR_SCHEMAS.items()), ids=str)
def test_dapr_schema_narrows_the_crd(key: tuple[str, str], name: str) -> None:
    crd = _crd_schemas().get(key)
    assert crd is not None, f"{key}: Dapr's CRDs define no such kind/version"
    problems = _disagreements(schema(name), name, crd, "")
    assert not problems, "\n".join(problems)


def test_the_check_sees_an_invented_field_and_a_dropped_requirement() -> None:
    crd = _crd_schemas()["dapr.io/v1alpha1", "HTTPEndpoint"]
    ours = schema("dapr-httpendpoint.json")
    invented = {**ours, "properties": {**ours["properties"], "timeout": {"type": "string"}}}
    spec = {**ours["properties"]["spec"], "required": []}
    dropped = {**ours, "properties": {**ours["properties"], "spec": spec}}
    assert _disagreements(invented, "dapr-httpendpoint.json", crd, "") == [
        "/timeout: not a field of the CRD"
    ]
    assert _disagreements(dropped, "dapr-httpendpoint.json", crd, "") == [
        "/spec: the CRD requires ['baseUrl']"
    ]
