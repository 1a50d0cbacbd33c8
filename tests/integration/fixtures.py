"""The session-wide real stack (`mesh`) and an HTTP client (`http`), for every test folder.

A plugin of tests/conftest.py rather than fixtures of a tests/integration conftest, so that
tests/integration and tests/security use one and the same stack (a conftest's fixtures are seen
only below its folder, and importing them elsewhere would start a second stack).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from learnflow.mesh import services
from learnflow.mesh.stack import Stack, stack_settings
from learnflow.settings import REPO_ROOT, Settings
from tests.integration.harness import (
    TEST_PORT_OFFSET,
    TEST_RUN_DIR,
    WORKFLOW_TEST_SETTINGS,
    Mesh,
    _progress,
)


@pytest.fixture(scope="session")
def mesh() -> Iterator[Mesh]:
    run_dir = REPO_ROOT / ".run" / TEST_RUN_DIR
    settings = Settings(run_dir=run_dir, port_offset=TEST_PORT_OFFSET)
    # this stack's own settings, never written to os.environ: another stack started later in the
    # same session (the chaos drills', the web app's) must not inherit them
    stack = Stack(settings, _progress, app_settings=stack_settings(WORKFLOW_TEST_SETTINGS))
    stack.down(quiet=True)  # a previous run killed mid-way
    shutil.rmtree(run_dir, ignore_errors=True)
    try:
        stack.up()
        yield Mesh(stack, settings, stack.topo, services.RunSecrets.load_or_create(run_dir))
    finally:
        stack.down(quiet=True)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as client:
        yield client
