"""The whole stack with the local model behind the agents (`LEARNFLOW_LLM=local`): llama.cpp's
server with SmolLM2-135M-Instruct, reached by every agent through its own daprd (the HTTPEndpoint
`llm`), the web app included. Its own run dir and ports (offset 1700), so it runs beside the
integration (1000), chaos (1020) and web app (1500) stacks."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from learnflow.mesh import services
from learnflow.mesh.stack import Stack, stack_settings
from learnflow.mesh.toolchain import ensure_frontend, ensure_toolchain
from learnflow.settings import REPO_ROOT, Settings
from tests.frontend.harness import FRONTEND, Frontend
from tests.integration.harness import Mesh

PORT_OFFSET = int(os.environ.get("LEARNFLOW_TEST_LLM_PORT_OFFSET", "1700"))
RUN_DIR = os.environ.get("LEARNFLOW_TEST_LLM_RUN_DIR", "test-local-model")
#: Short enough that the failure drills finish quickly, long enough for a whole answer of the
#: 135M model on 2 busy cores (~3-8 s measured).
LOCAL_MODEL_SETTINGS = {
    "LEARNFLOW_LLM_ANSWER_TIMEOUT_S": "20",
    "LEARNFLOW_LLM_STALL_S": "10",
}


def _progress(message: str) -> None:
    print(f"[local-model-stack] {message}", file=sys.stderr, flush=True)


@pytest.fixture(scope="session")
def local_model_stack() -> Iterator[Frontend]:
    """The stack with the local model, its web app, and the demo logins."""
    run_dir = REPO_ROOT / ".run" / RUN_DIR
    settings = Settings(run_dir=run_dir, port_offset=PORT_OFFSET, llm="local")
    stack = Stack(settings, _progress, app_settings=stack_settings(LOCAL_MODEL_SETTINGS))
    stack.down(quiet=True)  # a previous run killed mid-way
    shutil.rmtree(run_dir, ignore_errors=True)
    try:
        tools = ensure_toolchain(settings.cache_dir, _progress)
        ensure_frontend(FRONTEND, _progress)
        stack.up(tools)
        secrets = services.RunSecrets.load_or_create(run_dir)
        logins = run_dir / "demo-logins.json"
        deadline = time.monotonic() + 30
        while not logins.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert logins.is_file(), f"triage wrote no demo logins to {logins}"
        url = f"http://127.0.0.1:{stack.topo.app('frontend').app_port}"
        yield Frontend(Mesh(stack, settings, stack.topo, secrets), url, logins)
    finally:
        stack.down(quiet=True)


@pytest.fixture(scope="session")
def local_mesh(local_model_stack: Frontend) -> Mesh:
    return local_model_stack.mesh


def model_log(mesh: Mesh) -> Path:
    return mesh.stack.table.log_path("model-server")
