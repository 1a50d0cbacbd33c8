"""`Runner`: input checks, a bounded queue in front of N concurrent sandboxes, a warm pool.

Admission is counted before anything waits: at most `concurrency` runs execute and at most
`queue_size` more wait for a slot; one more is refused at once with `learnflow.errors.Busy`.
The async methods run the blocking work on the runner's own threads (never the event loop's
default executor), and a cancelled caller kills its sandbox.

Sandboxes are spawned only from long-lived threads (the pool's, the runner's executor, or the
calling thread while it waits for the run): bwrap's --die-with-parent follows the spawning
*thread*, so a sandbox started from a thread that exits would die with it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import keyword
import logging
import math
import re
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from code_runner.config import SandboxSettings
from code_runner.sandbox import results
from code_runner.sandbox.base import (
    Backend,
    Job,
    Limits,
    Outcome,
    Sandbox,
    SandboxFailure,
    SandboxUnavailable,
)
from code_runner.sandbox.collect import plan_tests
from learnflow.errors import Busy

log = logging.getLogger("code_runner.sandbox")

MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
SELF_TEST = 'print("sandbox ok")'
MIN_WALL_BACKSTOP_S = 10.0


def make_backend(settings: SandboxSettings) -> Backend:
    if settings.backend == "docker":
        from code_runner.sandbox.docker import DockerBackend

        return DockerBackend(settings)
    from code_runner.sandbox.bwrap import BwrapBackend

    return BwrapBackend(settings)


def _text_problem(text: object, what: str, limit: int, allow_empty: bool = False) -> str | None:
    if not isinstance(text, str):
        return f"{what} must be text, not {type(text).__name__}"
    if not allow_empty and not text.strip():
        return f"there is no {what} to run (it is empty)"
    if "\x00" in text and what != "stdin":
        return f"the {what} contains a NUL character (\\x00), which Python source cannot contain"
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return f"the {what} is not valid text (it contains unpaired surrogate characters)"
    if size > limit:
        return f"the {what} is {size} bytes long; the limit is {limit} bytes ({limit // 1024} KB)"
    return None


def wall_backstop(run_timeout_s: float) -> float:
    """The wall-clock limit of a test run whose tests may compute for `run_timeout_s` seconds:
    time limits count CPU time (a busy machine does not use them up), the clock only stops code
    that waits instead of computing (inside a test, the harness stops that after 2 s; this is the
    last resort), and is generous: a machine busy with other work gives a run a small share."""
    return max(MIN_WALL_BACKSTOP_S, 3 * run_timeout_s + 5)


def _positive_seconds(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _module_problem(name: object) -> str | None:
    if not isinstance(name, str) or not MODULE_NAME.fullmatch(name) or keyword.iskeyword(name):
        return f"module_name {name!r} must be a Python identifier of at most 64 ASCII characters"
    if name in sys.stdlib_module_names or name in ("pytest", "learnflow_harness"):
        return f"module_name {name!r} is the name of a standard module; choose another name"
    return None


class WarmPool:
    """Keeps up to `size` sandboxes started and waiting for a job (one refill thread)."""

    def __init__(self, backend: Backend, size: int) -> None:
        self.backend = backend
        self.size = size
        self._ready: collections.deque[Sandbox] = collections.deque()
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.size > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._fill, name="sandbox-pool", daemon=True)
            self._thread.start()

    def take(self) -> Sandbox | None:
        stale: list[Sandbox] = []
        found: Sandbox | None = None
        with self._cond:
            while self._ready and found is None:
                candidate = self._ready.popleft()
                if candidate.alive():
                    found = candidate
                else:
                    stale.append(candidate)
            self._cond.notify()
        for sandbox in stale:
            sandbox.discard()
        return found

    def wait_filled(self, timeout_s: float) -> bool:
        """For tests and benchmarks: block until the pool is full (True) or the time is up."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._ready) >= self.size, timeout=timeout_s)

    def _fill(self) -> None:
        failures = 0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or len(self._ready) < self.size)
                if self._closed:
                    return
            try:
                sandbox = self.backend.start()
            except Exception as exc:
                failures += 1
                log.warning("warm pool: could not start a sandbox (%s); retrying", exc)
                with self._cond:
                    self._cond.wait(timeout=min(30.0, 0.2 * 2**failures))
                continue
            failures = 0
            with self._cond:
                if not self._closed:
                    self._ready.append(sandbox)
                    self._cond.notify_all()
                    continue
            sandbox.discard()
            return

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
        while self._ready:
            self._ready.popleft().discard()


class Runner:
    def __init__(self, settings: SandboxSettings, backend: Backend | None = None) -> None:
        self.settings = settings
        self.backend = backend if backend is not None else make_backend(settings)
        self.capacity = settings.concurrency + settings.queue_size
        self._slots = threading.BoundedSemaphore(settings.concurrency)
        self._admission = threading.Lock()
        self._admitted = 0
        self._executor = ThreadPoolExecutor(
            max_workers=self.capacity, thread_name_prefix="sandbox-run"
        )
        self.pool = WarmPool(self.backend, settings.pool_size)
        self._started = False

    @property
    def admitted(self) -> int:
        """Runs executing or waiting for a slot right now."""
        with self._admission:
            return self._admitted

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Runner:
        """Check the isolation works here (raises SandboxUnavailable), then fill the pool."""
        if self._started:
            return self
        self.backend.check()
        try:
            outcome = self._execute(
                Job("python", {"main.py": SELF_TEST}), self._limits(self.settings.wall_s)
            )
        except SandboxFailure as exc:
            raise SandboxUnavailable(
                f"the {self.backend.name} sandbox does not work on this machine: {exc.message}"
            ) from exc
        if outcome.exit_code != 0 or outcome.stdout != b"sandbox ok\n":
            detail = results.decode(outcome.stderr, False).strip().splitlines()
            raise SandboxUnavailable(
                f"the {self.backend.name} sandbox failed its self-test"
                + (f": {detail[-1]}" if detail else "")
            )
        log.info("sandbox %s ready; %s", self.backend.name, self.backend.limits_note())
        self._started = True
        self.pool.start()
        return self

    def close(self) -> None:
        self.pool.close()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.backend.close()

    # --- the public operations ---------------------------------------------------------------
    def run_python(self, code: str, stdin: str = "", timeout_s: float = 5.0) -> dict[str, Any]:
        prepared = self._prepare_python(code, stdin, timeout_s)
        if isinstance(prepared, dict):
            return prepared
        job, wall_s = prepared
        limits = self._limits(wall_s)
        with self._admit():
            outcome = self._execute(job, limits)
        return results.python_result(outcome, limits, self.settings.memory_bytes)

    def run_tests(
        self,
        code: str,
        tests: str,
        module_name: str = "solution",
        *,
        test_timeout_s: float | None = None,
        run_timeout_s: float | None = None,
    ) -> dict[str, Any]:
        """Grade `code` against `tests`; the time limits default to the server's settings."""
        prepared = self._prepare_tests(code, tests, module_name, test_timeout_s, run_timeout_s)
        if isinstance(prepared, dict):
            return prepared
        job, limits = prepared
        with self._admit():
            outcome = self._execute(job, limits)
        return results.tests_result(outcome, limits, self.settings.memory_bytes, plan_tests(tests))

    async def arun_python(
        self, code: str, stdin: str = "", timeout_s: float = 5.0
    ) -> dict[str, Any]:
        prepared = self._prepare_python(code, stdin, timeout_s)
        if isinstance(prepared, dict):
            return prepared
        job, wall_s = prepared
        limits = self._limits(wall_s)
        outcome = await self._execute_async(job, limits)
        return results.python_result(outcome, limits, self.settings.memory_bytes)

    async def arun_tests(
        self,
        code: str,
        tests: str,
        module_name: str = "solution",
        *,
        test_timeout_s: float | None = None,
        run_timeout_s: float | None = None,
    ) -> dict[str, Any]:
        prepared = self._prepare_tests(code, tests, module_name, test_timeout_s, run_timeout_s)
        if isinstance(prepared, dict):
            return prepared
        job, limits = prepared
        outcome = await self._execute_async(job, limits)
        return results.tests_result(outcome, limits, self.settings.memory_bytes, plan_tests(tests))

    # --- checks ------------------------------------------------------------------------------
    def check_python(self, code: str, stdin: str = "", timeout_s: float = 5.0) -> str | None:
        """Why this input would be rejected (one sentence), or None when it is fine."""
        s = self.settings
        problem = _text_problem(code, "code", s.max_code_bytes) or _text_problem(
            stdin, "stdin", s.max_stdin_bytes, allow_empty=True
        )
        if problem is None and not _positive_seconds(timeout_s):
            problem = f"timeout_s must be a positive number of seconds, not {timeout_s!r}"
        return problem

    def check_tests(
        self,
        code: str,
        tests: str,
        module_name: str = "solution",
        test_timeout_s: float | None = None,
        run_timeout_s: float | None = None,
    ) -> str | None:
        limit = self.settings.max_code_bytes
        return (
            _module_problem(module_name)
            or _text_problem(code, "code", limit)
            or _text_problem(tests, "tests", limit)
            or self._time_limits_problem(test_timeout_s, run_timeout_s)
        )

    def _time_limits_problem(
        self, test_timeout_s: float | None, run_timeout_s: float | None
    ) -> str | None:
        most = self.settings.max_wall_s
        for name, value in (("test_timeout_s", test_timeout_s), ("run_timeout_s", run_timeout_s)):
            if value is None:
                continue
            if not _positive_seconds(value):
                return f"{name} must be a positive number of seconds, not {value!r}"
            if value > most:
                return f"{name} is {value:g} s; this server allows at most {most:g} s"
        test_s, run_s = self.time_limits(test_timeout_s, run_timeout_s)
        if test_s > run_s:
            return (
                f"test_timeout_s ({test_s:g} s) must not be longer than run_timeout_s ({run_s:g} s)"
            )
        return None

    def time_limits(
        self, test_timeout_s: float | None = None, run_timeout_s: float | None = None
    ) -> tuple[float, float]:
        """(per-test, whole-run) time limits: the given ones, else the server's defaults."""
        s = self.settings
        run_s = float(run_timeout_s) if run_timeout_s is not None else s.wall_s
        if test_timeout_s is not None:
            return float(test_timeout_s), run_s
        return min(s.test_timeout_s, run_s), run_s

    def _prepare_python(
        self, code: str, stdin: str, timeout_s: float
    ) -> tuple[Job, float] | dict[str, Any]:
        problem = self.check_python(code, stdin, timeout_s)
        if problem is not None:
            return results.rejected_run(problem)
        wall_s = min(float(timeout_s), self.settings.max_wall_s)
        return Job("python", {"main.py": code}, stdin=stdin.encode("utf-8")), wall_s

    def _prepare_tests(
        self,
        code: str,
        tests: str,
        module_name: str,
        test_timeout_s: float | None,
        run_timeout_s: float | None,
    ) -> tuple[Job, Limits] | dict[str, Any]:
        problem = self.check_tests(code, tests, module_name, test_timeout_s, run_timeout_s)
        if problem is not None:
            return results.rejected_tests(problem)
        test_s, run_s = self.time_limits(test_timeout_s, run_timeout_s)
        # the tests are not a file in the sandbox: they stay in the test process's memory
        job = Job("tests", {f"{module_name}.py": code}, module=module_name, tests=tests)
        return job, self._limits(wall_backstop(run_s), test_s, run_s)

    # --- execution ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _admit(self) -> Iterator[None]:
        with self._admission:
            if self._admitted >= self.capacity:
                raise Busy(
                    f"the code runner is busy ({self.settings.concurrency} runs in progress, "
                    f"{self.settings.queue_size} waiting); try again in a moment",
                    retry_after_s=1,
                )
            self._admitted += 1
        try:
            yield
        finally:
            with self._admission:
                self._admitted -= 1

    def _limits(
        self,
        wall_s: float,
        test_timeout_s: float | None = None,
        run_timeout_s: float = 0.0,
    ) -> Limits:
        s = self.settings
        memory, processes = self.backend.limits()
        return Limits(
            wall_s=wall_s,
            # the learner's process serves every test of a run: give it the run's time in CPU
            cpu_s=s.cpu_s if test_timeout_s is None else max(s.cpu_s, math.ceil(wall_s)),
            memory_bytes=memory,
            max_processes=processes,
            max_file_bytes=s.max_file_bytes,
            max_open_files=s.max_open_files,
            max_output_bytes=s.max_output_bytes,
            test_timeout_s=min(s.test_timeout_s, wall_s)
            if test_timeout_s is None
            else test_timeout_s,
            memory_mb=s.memory_mb,
            run_timeout_s=run_timeout_s,
        )

    def _execute(self, job: Job, limits: Limits, cancel: threading.Event | None = None) -> Outcome:
        with self._slots:
            if cancel is not None and cancel.is_set():
                return Outcome(cancelled=True)
            sandbox = self.pool.take() or self.backend.start()
            wire = job.wire(limits, bytecode=self.backend.runs_host_bytecode)
            outcome = sandbox.execute(wire, job.stdin, limits, cancel)
        if not outcome.ready and not outcome.cancelled:
            detail = results.decode(outcome.stderr, False).strip().splitlines()
            raise SandboxFailure(
                "the sandbox stopped before running the code"
                + (f": {detail[-1]}" if detail else "")
                + (f" ({outcome.diagnostics.strip('; ')})" if outcome.diagnostics else "")
            )
        return outcome

    async def _execute_async(self, job: Job, limits: Limits) -> Outcome:
        cancel = threading.Event()
        with self._admit():
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._executor, self._execute, job, limits, cancel)
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                cancel.set()
                with contextlib.suppress(Exception):
                    await future
                raise
