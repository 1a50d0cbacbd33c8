"""Helpers for sandbox tests: what the host can observe about a run's processes."""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from code_runner.config import SandboxSettings
from code_runner.sandbox.bwrap import BwrapBackend, BwrapSandbox


def require_bwrap() -> None:
    """Skip (a failure under LEARNFLOW_REQUIRE_ALL) where bubblewrap is not installed."""
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (apt-get install -y bubblewrap)")


def pid_namespace(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def processes_in(namespace: str) -> list[int]:
    """Host pids of every process still running (not a zombie) in PID namespace `namespace`.

    bwrap's monitor exits as soon as the learner's process does; the sandbox's PID 1 then ends
    the namespace and stays a zombie until the host's init reaps it (harmless: no memory, no
    code running), which is why zombies are not counted here.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or pid_namespace(int(entry.name)) != namespace:
            continue
        if _state(int(entry.name)) not in ("Z", "X", "gone"):
            found.append(int(entry.name))
    return found


def processes_with(token: str) -> list[int]:
    """Host pids whose command line contains `token`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if token.encode() in cmdline:
            found.append(int(entry.name))
    return found


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


@dataclass
class SpyBackend:
    """The real bwrap backend, remembering each sandbox's bwrap process and PID namespace."""

    inner: BwrapBackend
    sandboxes: list[tuple[BwrapSandbox, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def runs_host_bytecode(self) -> bool:
        return self.inner.runs_host_bytecode

    def check(self) -> None:
        self.inner.check()

    def limits_note(self) -> str:
        return self.inner.limits_note()

    def limits(self) -> tuple[int, int]:
        return self.inner.limits()

    def close(self) -> None:
        self.inner.close()

    def start(self) -> BwrapSandbox:
        sandbox = self.inner.start()
        host_ns = pid_namespace(os.getpid())
        namespace = None
        # bwrap -> its child in the new namespaces (the guest has said `started` by now)
        for child in _children(sandbox.proc.pid):
            ns = pid_namespace(child)
            if ns is not None and ns != host_ns:
                namespace = ns
        assert namespace is not None, "could not find the sandbox's PID namespace"
        with self.lock:
            self.sandboxes.append((sandbox, namespace))
        return sandbox

    def last_namespace(self) -> str:
        with self.lock:
            used = [ns for sandbox, ns in self.sandboxes if sandbox._used]
        return used[-1]


def sandbox_settings(**overrides: object) -> SandboxSettings:
    """Test settings: real limits, shorter walls so timeouts cost ~1 s, env ignored."""
    values: dict[str, object] = {
        "wall_s": 3.0,
        "test_timeout_s": 1.0,
        "concurrency": 2,
        "queue_size": 8,
        "warm_pool": 0,
    }
    values.update(overrides)
    return SandboxSettings(_env_file=None, **values)  # type: ignore[arg-type]
