"""The chaos drills' stack: the whole mesh but the web app, in `.run/chaos` on ports of its own
(`harness.chaos_offset`), with the watchdog `up` leaves running. Started once for the drills of
this package and stopped after them, so it never runs beside the integration tests' stack.

LEARNFLOW_TEST_CHAOS_KEEP=1 (for a developer re-running one drill) reuses a chaos stack that is
up and leaves it running afterwards.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.chaos.harness import Chaos


@pytest.fixture(scope="package")
def chaos_stack() -> Iterator[Chaos]:
    keep = os.environ.get("LEARNFLOW_TEST_CHAOS_KEEP") == "1"
    stack = Chaos.start(fresh=not keep)
    try:
        yield stack
    finally:
        if not keep:
            stack.stop()


@pytest.fixture
async def chaos(chaos_stack: Chaos) -> Chaos:
    """The stack, whole: `up` repairs whatever a previous drill left broken and returns once
    every process answers its health check."""
    await asyncio.to_thread(chaos_stack.stack.up)
    return chaos_stack


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=90) as client:
        yield client
