"""Fixtures for the code runner: real sandbox runners (with and without a warm pool).

The session runner's backend is a spy (probes.SpyBackend) that records each sandbox's PID
namespace, so a test can check that nothing of a run outlives it by scanning /proc.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from code_runner.sandbox.bwrap import BwrapBackend
from code_runner.sandbox.runner import Runner
from tests.code_runner.probes import SpyBackend, require_bwrap, sandbox_settings


@pytest.fixture(scope="session")
def spy_runner() -> Iterator[tuple[Runner, SpyBackend]]:
    """A started runner on the real sandbox, without a warm pool (each run starts fresh)."""
    require_bwrap()
    settings = sandbox_settings()
    spy = SpyBackend(BwrapBackend(settings))
    runner = Runner(settings, backend=spy)  # type: ignore[arg-type]
    runner.start()
    try:
        yield runner, spy
    finally:
        runner.close()


@pytest.fixture(scope="session")
def runner(spy_runner: tuple[Runner, SpyBackend]) -> Runner:
    return spy_runner[0]


@pytest.fixture(scope="session")
def pooled_runner() -> Iterator[Runner]:
    """A started runner with a warm pool, as the services use it."""
    require_bwrap()
    runner = Runner(sandbox_settings(warm_pool=2))
    runner.start()
    try:
        yield runner
    finally:
        runner.close()


@pytest.fixture
def loopback_listener() -> Iterator[socket.socket]:
    """A TCP listener on 127.0.0.1 (free port), non-blocking so `accept` never waits."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    try:
        yield listener
    finally:
        listener.close()
