"""The CustomResourceDefinitions `k8s/` needs, taken from where their projects publish them.

Dapr's (Component, Configuration, Resiliency, Subscription, HTTPEndpoint, and the rest of the
chart's) ship in the `github.com/dapr/dapr` Go module at `charts/dapr/crds/` — the files Dapr's
Helm chart installs — at the runtime version we build (`learnflow.mesh.toolchain.DAPR_VERSION`),
read from the Go module cache (the daprd build already downloaded the module).

KEDA's (ScaledObject, TriggerAuthentication, and the rest it installs) ship in the
`github.com/kedacore/keda/v2` Go module at `config/crd/bases/`, the files KEDA's release manifest
is built from, at `KEDA_VERSION` (the newest the proxy serves here: v2.15.1, v2.16.1, v2.20.2,
v2.21.0).

Kong's (KongPlugin, KongConsumer) ship in Kong's kubernetes-configuration module, which the Go
module proxy reachable here refuses (403), and no other registry carries them: pass their files
to `learnflow deploy --crds` on a machine that has them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

from learnflow.deploy.kustomize import Doc
from learnflow.errors import SetupError
from learnflow.mesh.toolchain import DAPR_MODULE, DAPR_VERSION, _run

DAPR_CRD_DIR = "charts/dapr/crds"
KEDA_MODULE = "github.com/kedacore/keda/v2"
KEDA_VERSION = "2.21.0"
KEDA_CRD_DIR = "config/crd/bases"


def _module_crd_files(module: str, version: str, folder: str) -> list[Path]:
    """The CRD files in `folder` of a Go module, downloaded through the module proxy (cached)."""
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOWORK": "off"}
    info = json.loads(
        _run(
            ["go", "mod", "download", "-json", f"{module}@v{version}"],
            f"downloading the {module} Go module (for its CRDs)",
            env=env,
        )
    )
    path = Path(info["Dir"]) / folder
    files = sorted(path.glob("*.yaml"))
    if not files:
        raise SetupError(f"no CRDs in {path}")
    return files


def dapr_crd_files() -> list[Path]:
    return _module_crd_files(DAPR_MODULE, DAPR_VERSION, DAPR_CRD_DIR)


def keda_crd_files() -> list[Path]:
    return _module_crd_files(KEDA_MODULE, KEDA_VERSION, KEDA_CRD_DIR)


def load_crds(files: list[Path]) -> list[Doc]:
    crds = []
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            if doc.get("kind") != "CustomResourceDefinition":
                raise SetupError(f"{path}: {doc.get('kind')} is not a CustomResourceDefinition")
            crds.append(doc)
    return crds


def dapr_crds() -> list[Doc]:
    return load_crds(dapr_crd_files())


def keda_crds() -> list[Doc]:
    return load_crds(keda_crd_files())


def project_crds() -> list[Doc]:
    """Every CRD k8s/ needs that this machine can obtain: Dapr's and KEDA's."""
    return [*dapr_crds(), *keda_crds()]
