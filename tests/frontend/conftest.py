"""The web app on the real stack: a stack of its own (run dir `.run/test-frontend`, ports offset
1500, so it never clashes with `make up` or the integration tests' stack), the production build
of `frontend/` served by `next start`, and its BFF reaching triage through Dapr."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from learnflow.mesh import services
from learnflow.mesh.stack import Stack
from learnflow.mesh.toolchain import ensure_frontend, ensure_toolchain
from learnflow.settings import REPO_ROOT, Settings
from tests.frontend.harness import FRONTEND, Frontend
from tests.integration.harness import Mesh

# LEARNFLOW_TEST_FRONTEND_PORT_OFFSET / LEARNFLOW_TEST_FRONTEND_RUN_DIR let a second checkout's
# browser tests run beside this one.
PORT_OFFSET = int(os.environ.get("LEARNFLOW_TEST_FRONTEND_PORT_OFFSET", "1500"))
FRONTEND_RUN_DIR = os.environ.get("LEARNFLOW_TEST_FRONTEND_RUN_DIR", "test-frontend")
FRONTEND_PORT = 3000 + PORT_OFFSET
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


def _progress(message: str) -> None:
    print(f"[frontend-stack] {message}", file=sys.stderr, flush=True)


@pytest.fixture(scope="session")
def frontend_build() -> Path:
    """The production build, as the bootstrap makes it (npm ci / next build, cached by hash)."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: `learnflow bootstrap --with-browser` installs it")
    ensure_frontend(FRONTEND, _progress)
    return FRONTEND


@pytest.fixture(scope="session")
def frontend(frontend_build: Path) -> Iterator[Frontend]:
    """The real stack plus the frontend as a Dapr app: `next start` and its own daprd (processes
    of the stack: `down` stops them too). The BFF invokes triage through its sidecar."""
    run_dir = REPO_ROOT / ".run" / FRONTEND_RUN_DIR
    settings = Settings(run_dir=run_dir, port_offset=PORT_OFFSET)
    stack = Stack(settings, _progress)
    stack.down(quiet=True)  # a previous run killed mid-way
    shutil.rmtree(run_dir, ignore_errors=True)
    try:
        tools = ensure_toolchain(settings.cache_dir, _progress)
        stack.up(tools)  # the web app and its daprd are part of the stack
        secrets = services.RunSecrets.load_or_create(run_dir)
        spec = stack.topo.app("frontend")
        url = f"http://127.0.0.1:{spec.app_port}"
        logins = run_dir / "demo-logins.json"
        deadline = time.monotonic() + 30
        while not logins.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert logins.is_file(), f"triage wrote no demo logins to {logins}"
        yield Frontend(Mesh(stack, settings, stack.topo, secrets), url, logins)
    finally:
        stack.down(quiet=True)
