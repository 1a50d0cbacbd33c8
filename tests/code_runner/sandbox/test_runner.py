"""`Runner` without a real sandbox: a scripted fake backend whose runs wait for a gate.

Covers the bounded queue (Busy, not a hang), cancellation, the warm pool and the start-up
self-test; the real sandbox is exercised by the other test modules.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from code_runner.sandbox.base import Limits, Outcome, SandboxFailure, SandboxUnavailable
from code_runner.sandbox.runner import Runner
from learnflow.errors import Busy
from tests.code_runner.probes import sandbox_settings
from tests.waiting import eventually_sync


@dataclass
class ScriptedSandbox:
    backend: ScriptedBackend
    used: bool = False
    discarded: bool = False

    def alive(self) -> bool:
        return not self.used and not self.discarded and self.backend.alive

    def discard(self) -> None:
        self.discarded = True

    def execute(
        self, job: bytes, stdin: bytes, limits: Limits, cancel: threading.Event | None
    ) -> Outcome:
        self.used = True
        with self.backend.cond:
            self.backend.executing += 1
            self.backend.cond.notify_all()
        try:
            while not self.backend.gate.wait(0.01):
                if cancel is not None and cancel.is_set():
                    self.backend.cancelled += 1
                    return Outcome(ready=True, cancelled=True)
        finally:
            with self.backend.cond:
                self.backend.executing -= 1
                self.backend.cond.notify_all()
        return self.backend.script(job)


@dataclass
class ScriptedBackend:
    """Answers every run with `outcome`; runs block until `gate` is set."""

    outcome: Outcome = field(
        default_factory=lambda: Outcome(
            ready=True, exit_code=0, stdout=b"sandbox ok\n", events=[{"e": "ready"}]
        )
    )
    name: str = "scripted"
    runs_host_bytecode: bool = False
    alive: bool = True
    started: int = 0
    executing: int = 0
    cancelled: int = 0
    gate: threading.Event = field(default_factory=threading.Event)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def check(self) -> None:
        return None

    def limits_note(self) -> str:
        return "none (scripted)"

    def limits(self) -> tuple[int, int]:
        return 50 * 2**20, 32

    def close(self) -> None:
        return None

    def start(self) -> ScriptedSandbox:
        self.started += 1
        return ScriptedSandbox(self)

    def script(self, job: bytes) -> Outcome:
        return self.outcome

    def wait_executing(self, n: int) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.executing == n, timeout=5), self.executing


@pytest.fixture
def backend() -> ScriptedBackend:
    backend = ScriptedBackend()
    backend.gate.set()
    return backend


@pytest.fixture
def runner(backend: ScriptedBackend) -> Iterator[Runner]:
    runner = Runner(sandbox_settings(concurrency=1, queue_size=1), backend=backend)
    runner.start()
    try:
        yield runner
    finally:
        backend.gate.set()
        runner.close()


def test_a_run_returns_the_shaped_result(runner: Runner) -> None:
    assert runner.run_python("print('x')") == {
        "status": "ok",
        "exit_code": 0,
        "stdout": "sandbox ok\n",
        "stderr": "",
        "duration_ms": 0.0,
        "truncated": False,
    }


def test_a_full_queue_is_busy_not_a_hang(runner: Runner, backend: ScriptedBackend) -> None:
    backend.gate.clear()
    results: list[dict[str, object]] = []
    threads = [
        threading.Thread(target=lambda: results.append(runner.run_python("x = 1")))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    backend.wait_executing(1)  # one runs, ...
    eventually_sync(lambda: runner.admitted == 2, timeout_s=5, what="one run waiting")
    with pytest.raises(Busy) as busy:  # ... one waits, and the next is refused at once
        runner.run_python("x = 1")
    assert busy.value.status_code == 503
    assert busy.value.retry_after_s == 1
    assert "busy" in busy.value.message
    backend.gate.set()
    for thread in threads:
        thread.join(timeout=5)
    assert [r["status"] for r in results] == ["ok", "ok"]
    assert runner.admitted == 0


def test_rejected_input_never_takes_a_place(runner: Runner, backend: ScriptedBackend) -> None:
    backend.gate.clear()
    threads = [threading.Thread(target=runner.run_python, args=("x = 1",)) for _ in range(2)]
    for thread in threads:
        thread.start()
    eventually_sync(lambda: runner.admitted == 2, timeout_s=5, what="a full runner")
    assert runner.run_python("")["status"] == "rejected"
    backend.gate.set()
    for thread in threads:
        thread.join(timeout=5)


async def test_async_runs_share_the_same_bound(runner: Runner, backend: ScriptedBackend) -> None:
    backend.gate.clear()
    first = asyncio.create_task(runner.arun_python("x = 1"))
    second = asyncio.create_task(runner.arun_tests("x = 1", "def test_x():\n    pass\n"))
    await asyncio.to_thread(backend.wait_executing, 1)
    await asyncio.to_thread(
        eventually_sync, lambda: runner.admitted == 2, timeout_s=5, what="one run waiting"
    )
    with pytest.raises(Busy):
        await runner.arun_python("x = 1")
    with pytest.raises(Busy):
        runner.run_python("x = 1")  # sync callers see the same queue
    backend.gate.set()
    assert (await first)["status"] == "ok"
    assert (await second)["status"] == "error"  # the scripted outcome has no test events


async def test_a_cancelled_caller_stops_its_sandbox(
    runner: Runner, backend: ScriptedBackend
) -> None:
    backend.gate.clear()
    task = asyncio.create_task(runner.arun_python("while True: pass"))
    await asyncio.to_thread(backend.wait_executing, 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert backend.cancelled == 1
    assert runner.admitted == 0


def test_a_sandbox_that_never_got_ready_is_a_failure(backend: ScriptedBackend) -> None:
    runner = Runner(sandbox_settings(), backend=backend).start()
    try:
        backend.outcome = Outcome(ready=False, stderr=b"bwrap: Creating new namespace failed\n")
        with pytest.raises(SandboxFailure) as failure:
            runner.run_python("print(1)")
        assert "bwrap: Creating new namespace failed" in failure.value.message
    finally:
        runner.close()


def test_a_failing_self_test_refuses_to_start() -> None:
    backend = ScriptedBackend(outcome=Outcome(ready=True, exit_code=1, stderr=b"boom\n"))
    backend.gate.set()
    runner = Runner(sandbox_settings(), backend=backend)
    with pytest.raises(SandboxUnavailable, match="failed its self-test: boom"):
        runner.start()
    runner.close()


def test_the_warm_pool_fills_and_skips_dead_sandboxes(backend: ScriptedBackend) -> None:
    runner = Runner(sandbox_settings(warm_pool=2), backend=backend).start()
    try:
        assert runner.pool.wait_filled(5)
        started = backend.started
        assert runner.run_python("x = 1")["status"] == "ok"
        assert runner.pool.wait_filled(5)
        assert backend.started == started + 1  # the run took a pooled one; it was replaced
        backend.alive = False  # every pooled sandbox died while waiting
        assert runner.run_python("x = 1")["status"] == "ok"  # a fresh one was started
    finally:
        runner.close()
