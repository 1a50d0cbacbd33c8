"""Pins that match the code: one Dapr runtime version, SDK floors the code needs, a matching lock.

The Dapr runtime version is defined once, `learnflow.mesh.toolchain.DAPR_VERSION` (the version we
build and test against); the files that cannot import it (compose images, the Helm command in
k8s/README.md, the README) must spell the same one.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

from learnflow.mesh.toolchain import DAPR_VERSION
from learnflow.settings import REPO_ROOT

LOCK = REPO_ROOT / "requirements.lock"


def _pyproject() -> dict[str, object]:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def _requirements() -> list[Requirement]:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    return [
        Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    ]


def _locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not an exact pin"
            pins[re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()] = Version(version.strip())
    return pins


def test_the_dapr_runtime_version_is_spelled_the_same_everywhere() -> None:
    found: dict[str, set[str]] = {}
    patterns = {
        "docker-compose.yaml": r"daprio/\w+:(\d+\.\d+\.\d+)",
        "k8s/README.md": r"helm upgrade --install dapr dapr/dapr --version (\d+\.\d+\.\d+)",
        "README.md": r"`github\.com/dapr/dapr` Go module \(v(\d+\.\d+\.\d+)",
    }
    for name, pattern in patterns.items():
        versions = set(re.findall(pattern, (REPO_ROOT / name).read_text()))
        assert versions, f"{name}: no Dapr runtime version found (pattern {pattern})"
        found[name] = versions
    wrong = {name: v for name, v in found.items() if v != {DAPR_VERSION}}
    assert not wrong, f"expected Dapr {DAPR_VERSION} (learnflow.mesh.toolchain) everywhere: {wrong}"


def test_the_dapr_sdk_is_the_runtimes_minor_line() -> None:
    runtime = Version(DAPR_VERSION)
    for req in _requirements():
        if req.name.startswith("dapr"):
            assert Version(f"{runtime.major}.{runtime.minor}.0") in req.specifier, req
            assert Version(f"{runtime.major}.{runtime.minor + 1}.0") not in req.specifier, req


def test_floors_match_the_apis_the_code_uses() -> None:
    by_name = {r.name: r for r in _requirements()}
    # code-runner/mcp_server.py: `from mcp.server.mcpserver import MCPServer` (2.x only)
    assert Version("1.99") not in by_name["mcp"].specifier
    assert Version("2.0.0") in by_name["mcp"].specifier
    # learnflow/llm/offline.py implements Model.get_response(..., conversation_id=, prompt=),
    # the interface since openai-agents 0.2.10
    assert Version("0.2.9") not in by_name["openai-agents"].specifier
    assert Version("0.2.10") in by_name["openai-agents"].specifier


def test_the_offline_model_implements_the_installed_sdks_interface() -> None:
    from agents import Model

    from learnflow.llm.offline import OfflineModel

    for method in ("get_response", "stream_response"):
        ours = inspect.signature(getattr(OfflineModel, method))
        theirs = inspect.signature(getattr(Model, method))
        assert list(ours.parameters) == list(theirs.parameters), method


def test_the_lock_matches_pyproject() -> None:
    header = LOCK.read_text().splitlines()[:5]
    digest = hashlib.sha256(_dependency_text().encode()).hexdigest()[:16]
    assert any(digest in line for line in header), (
        "requirements.lock was made from other dependencies than pyproject.toml's: run `make lock`"
    )
    locked = _locked()
    for req in _requirements():
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in locked, f"{req.name} is not in requirements.lock"
        assert locked[name] in req.specifier, (
            f"{req.name}: lock has {locked[name]}, pyproject {req}"
        )


def _dependency_text() -> str:
    """What the lock was made from: pyproject's runtime and dev requirements, as canonical JSON."""
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    deps = {"dependencies": project["dependencies"], "dev": project["optional-dependencies"]["dev"]}
    return json.dumps(deps, sort_keys=True)


def test_make_installs_from_the_lock() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "-r requirements.lock" in makefile
    assert Path(LOCK).is_file()
