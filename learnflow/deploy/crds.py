"""The CustomResourceDefinitions `k8s/` needs, taken from where their projects publish them.

Dapr's (Component, Configuration, Resiliency, Subscription, HTTPEndpoint, and the rest of the
chart's) ship in the `github.com/dapr/dapr` Go module at `charts/dapr/crds/` — the files Dapr's
Helm chart installs — at the runtime version we build (`learnflow.mesh.toolchain.DAPR_VERSION`),
read from the Go module cache (the daprd build already downloaded the module).

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


def dapr_crd_files() -> list[Path]:
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOWORK": "off"}
    info = json.loads(
        _run(
            ["go", "mod", "download", "-json", f"{DAPR_MODULE}@v{DAPR_VERSION}"],
            "downloading the dapr Go module (for its CRDs)",
            env=env,
        )
    )
    folder = Path(info["Dir"]) / DAPR_CRD_DIR
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise SetupError(f"no CRDs in {folder}")
    return files


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
