"""What every backend shares: the job sent into a sandbox, the raw outcome, the errors."""

from __future__ import annotations

import functools
import marshal
import threading
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal, Protocol

from learnflow.errors import LearnFlowError, SetupError


class SandboxUnavailable(SetupError):
    """The configured isolation cannot be used here; the runner refuses to start."""

    status_code = 503
    code = "sandbox_unavailable"


class SandboxFailure(LearnFlowError):
    """A sandbox broke for a reason that is not the learner's code (503: try again)."""

    status_code = 503
    code = "sandbox_failure"


# Address space each process may reserve beyond its memory limit: shared libraries, the main
# thread's stack (up to RLIMIT_STACK), reservations malloc never touches. Memory itself is
# RLIMIT_DATA; counting the address space instead made a recursion at Python's own limit fail to
# get a new frame chunk in a program near 36 MB (CPython 3.11: "SystemError: error return
# without exception set") where plain CPython raises RecursionError.
ADDRESS_SPACE_HEADROOM = 128 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The limits a sandbox applies to one run (see config.SandboxSettings)."""

    wall_s: float
    cpu_s: int
    memory_bytes: int  # RLIMIT_DATA per process; 0 when a cgroup limits the tree
    max_processes: int
    max_file_bytes: int
    max_open_files: int
    max_output_bytes: int
    test_timeout_s: float
    memory_mb: int = 0  # as configured, for messages
    run_timeout_s: float = 0.0  # tests: CPU seconds for the whole run (wall_s is the backstop)

    def rlimits(self) -> dict[str, int]:
        return {
            "cpu_s": self.cpu_s,
            "data": self.memory_bytes,
            "as": self.memory_bytes + ADDRESS_SPACE_HEADROOM if self.memory_bytes else 0,
            "nproc": self.max_processes,
            "fsize": self.max_file_bytes,
            "nofile": self.max_open_files,
        }


@dataclass(frozen=True)
class Job:
    """One run: learner files plus what the guest should do with them."""

    mode: Literal["python", "tests"]
    files: dict[str, str]
    stdin: bytes = b""
    module: str = ""
    tests: str = ""  # tests mode: the hidden tests, kept in the test process's memory only

    def wire(self, limits: Limits, bytecode: bool = False) -> bytes:
        """The job as the guest reads it: a `marshal`-ed dict (builtin, nothing to import).

        marshal is only safe for trusted data; this direction carries host-made data only.
        Events coming back are JSON, parsed defensively (pump.EventLines).
        """
        body: dict[str, Any] = {
            "mode": self.mode,
            "files": self.files,
            "module": self.module,
            "limits": limits.rlimits(),
            "test_timeout_s": limits.test_timeout_s,
            "run_timeout_s": limits.run_timeout_s,
        }
        if self.mode == "tests":
            if bytecode:  # compiled once here instead of in every sandbox
                body["harness_code"] = compiled("test")
                body["learner_code"] = compiled("learner")
            body["harness"] = test_process_source()
            body["learner_source"] = learner_process_source()
            body["tests"] = self.tests
            body["memory_mb"] = limits.memory_mb
        return marshal.dumps(body, 4)


@dataclass
class Outcome:
    """What happened, before it is turned into a result: raw bytes, events, how it ended."""

    stdout: bytes = b""
    stderr: bytes = b""
    events: list[dict[str, Any]] = field(default_factory=list)
    ready: bool = False
    exit_code: int | None = None
    signal: int | None = None
    timed_out: bool = False
    output_limited: bool = False
    memory_exceeded: bool = False
    cancelled: bool = False
    duration_s: float = 0.0
    diagnostics: str = ""

    def event(self, name: str) -> dict[str, Any] | None:
        """The last event called `name`: the guest writes its `exit` after the learner's code
        (which holds the same pipe and could write one first) has finished."""
        found: dict[str, Any] | None = None
        for event in reversed(self.events):
            if event.get("e") == name:
                found = event
                break
        return found


class Sandbox(Protocol):
    """One started sandbox, waiting for its job. Used exactly once."""

    def execute(
        self, job: bytes, stdin: bytes, limits: Limits, cancel: threading.Event | None
    ) -> Outcome: ...

    def discard(self) -> None: ...

    def alive(self) -> bool: ...


class Backend(Protocol):
    name: str
    runs_host_bytecode: bool
    """The sandbox's Python reads this host's bytecode: the host compiles in-sandbox code once."""

    def check(self) -> None:
        """Raise SandboxUnavailable (one line) when this backend cannot isolate code here."""

    def start(self) -> Sandbox:
        """Start one sandbox; returns once its guest said `started`."""

    def limits_note(self) -> str:
        """How memory and process limits are applied, for logs and the README."""

    def limits(self) -> tuple[int, int]:
        """(RLIMIT_AS per process or 0 when something else limits memory, max processes)."""

    def close(self) -> None: ...


@functools.cache
def source_of(name: str) -> str:
    """The text of a file that runs inside the sandbox (guest.py, harness.py, ...)."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@functools.cache
def test_process_source() -> str:
    """What the test process executes: the wire, the learner's proxies, the harness."""
    return "\n".join(source_of(name) for name in ("wire.py", "remote.py", "harness.py"))


@functools.cache
def compiled(which: Literal["test", "learner"]) -> bytes:
    """The test or learner process's program as marshalled bytecode of this interpreter."""
    source = test_process_source() if which == "test" else learner_process_source()
    name = "<harness>" if which == "test" else "<learnflow-learner>"
    return marshal.dumps(compile(source, name, "exec", dont_inherit=True))


@functools.cache
def learner_process_source() -> str:
    """What the learner's process executes: the wire and the server of the tests' calls."""
    return "\n".join(source_of(name) for name in ("wire.py", "learner.py"))
