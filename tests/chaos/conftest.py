"""The chaos drills' stack: the whole mesh but the web app, in `.run/chaos` on ports of its own
(`harness.chaos_offset`), with the watchdog `up` leaves running. Started once for the drills of
this package and stopped after them, so it never runs beside the integration tests' stack."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.chaos.harness import Chaos


@pytest.fixture(scope="package")
def chaos_stack() -> Iterator[Chaos]:
    stack = Chaos.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
async def chaos(chaos_stack: Chaos) -> Chaos:
    """The stack, whole: `up` repairs whatever a previous drill left broken."""
    await asyncio.to_thread(chaos_stack.stack.up)
    await chaos_stack.healthy()
    return chaos_stack


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=90) as client:
        yield client
