"""The Docker backend: one throwaway container per run, through the `docker` SDK (optional).

Each container: no network (`network_mode=none`), read-only root filesystem, one size-limited
tmpfs at /tmp (nosuid, nodev, noexec), memory and swap capped at the memory limit (the cgroup
covers the whole process tree; an OOM kill is reported as `memory_limit`), pids_limit, one CPU,
every capability dropped, no-new-privileges, user nobody, no logging. The guest talks over the
attach socket in `mux` mode (only the standard streams exist); Docker's own 8-byte stream headers
wrap our frames.

Install the SDK with `pip install 'learnflow[docker]'`; pull the image (`docker_image`) once.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from typing import Any

from code_runner.config import SandboxSettings
from code_runner.sandbox.base import Limits, Outcome, SandboxFailure, SandboxUnavailable, source_of
from code_runner.sandbox.pump import EventLines, small_int

START_TIMEOUT_S = 30.0
DRAIN_GRACE_S = 3.0
CH_STDOUT, CH_STDERR, CH_EVENTS = 1, 2, 3


def _import_docker() -> Any:
    try:
        import docker  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as exc:
        raise SandboxUnavailable(
            "LEARNFLOW_SANDBOX_BACKEND=docker needs the Docker SDK for Python: "
            "pip install 'learnflow[docker]' (or: pip install 'docker>=7')"
        ) from exc
    return docker


class FrameReader:
    """Undoes both layers: Docker's [stream, 0, 0, 0, size:4] headers, then the guest's
    [channel:1][size:4] frames inside the stdout stream. Yields (channel, bytes)."""

    def __init__(self) -> None:
        self._docker = bytearray()
        self._guest = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._docker += data
        out: list[tuple[int, bytes]] = []
        while len(self._docker) >= 8:
            size = int.from_bytes(self._docker[4:8], "big")
            if len(self._docker) < 8 + size:
                break
            stream, payload = self._docker[0], bytes(self._docker[8 : 8 + size])
            del self._docker[: 8 + size]
            if stream == 1:
                self._guest += payload
            elif stream == 2:
                out.append((0, payload))  # the guest's own stderr: a diagnostic
        while len(self._guest) >= 5:
            size = int.from_bytes(self._guest[1:5], "big")
            if len(self._guest) < 5 + size:
                break
            out.append((self._guest[0], bytes(self._guest[5 : 5 + size])))
            del self._guest[: 5 + size]
        return out


class DockerBackend:
    name = "docker"

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.client: Any = None
        self.runs_host_bytecode = False  # the image's Python may be another version

    def check(self) -> None:
        docker = _import_docker()
        try:
            self.client = docker.from_env(timeout=15)
            self.client.ping()
        except docker.errors.DockerException as exc:
            raise SandboxUnavailable(
                f"LEARNFLOW_SANDBOX_BACKEND=docker but no Docker engine is reachable ({exc}); "
                "start Docker (or set DOCKER_HOST), or use the bwrap backend"
            ) from exc
        try:
            self.client.images.get(self.settings.docker_image)
        except docker.errors.ImageNotFound as exc:
            raise SandboxUnavailable(
                f"the sandbox image {self.settings.docker_image} is not present; "
                f"run: docker pull {self.settings.docker_image}"
            ) from exc

    def limits_note(self) -> str:
        s = self.settings
        return (
            f"container cgroup: memory (and swap) {s.memory_mb} MB and pids_limit "
            f"{s.max_processes} for the whole container"
        )

    def limits(self) -> tuple[int, int]:
        return 0, 0  # the container's cgroup limits memory and processes

    def container_options(self) -> dict[str, Any]:
        s = self.settings
        return {
            "image": s.docker_image,
            "command": [s.docker_python, "-I", "-B", "-X", "utf8", "-c", source_of("guest.py")],
            "network_mode": "none",
            "read_only": True,
            "tmpfs": {"/tmp": f"rw,nosuid,nodev,noexec,size={s.disk_bytes},mode=1777"},
            "mem_limit": s.memory_bytes,
            "memswap_limit": s.memory_bytes,
            "pids_limit": s.max_processes,
            "nano_cpus": 1_000_000_000,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "user": "65534:65534",
            "working_dir": "/tmp",
            "hostname": "sandbox",
            "environment": {"HOME": "/tmp", "LANG": "C.UTF-8", "MALLOC_ARENA_MAX": "2"},
            "stdin_open": True,
            "stdin_once": True,
            "tty": False,
            "log_config": {"type": "none"},
            "labels": {"learnflow.sandbox": "1"},
        }

    def start(self) -> DockerSandbox:
        if self.client is None:
            raise SandboxUnavailable("the docker backend was not checked before use")
        return DockerSandbox(self)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


class DockerSandbox:
    def __init__(self, backend: DockerBackend) -> None:
        self.container = backend.client.containers.create(**backend.container_options())
        try:
            attached = self.container.attach_socket(
                params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
            self.sock: socket.socket = getattr(attached, "_sock", attached)
            self.container.start()
        except Exception:
            self.discard()
            raise
        self.frames = FrameReader()
        self.events = EventLines()
        self.pending: list[tuple[int, bytes]] = []
        self._used = False
        if not self._wait_started():
            self.discard()
            raise SandboxFailure("the Docker sandbox did not start (no `started` from the guest)")

    def _wait_started(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return False
            if not data:
                return False
            for channel, payload in self.frames.feed(data):
                if channel == CH_EVENTS:
                    if any(e.get("e") == "started" for e in self.events.feed(payload)):
                        return True
                else:
                    self.pending.append((channel, payload))
        return False

    def alive(self) -> bool:
        return not self._used

    def execute(
        self, job: bytes, stdin: bytes, limits: Limits, cancel: threading.Event | None
    ) -> Outcome:
        self._used = True
        outcome = Outcome()
        out = {CH_STDOUT: bytearray(), CH_STDERR: bytearray()}
        outgoing = memoryview(len(job).to_bytes(4, "big") + job + stdin)
        started = time.monotonic()
        deadline = started + limits.wall_s
        give_up = float("inf")
        ended: float | None = None
        self.sock.setblocking(False)

        def take(channel: int, payload: bytes) -> None:
            nonlocal ended, give_up
            if channel == CH_EVENTS:
                for event in self.events.feed(payload):
                    if event.get("e") == "exit" and ended is None:
                        ended = time.monotonic()
                return
            if channel == 0:
                outcome.diagnostics += payload.decode("utf-8", "replace")[-500:]
                return
            room = limits.max_output_bytes - len(out[CH_STDOUT]) - len(out[CH_STDERR])
            out[channel] += payload[: max(0, room)]
            if len(payload) > room and give_up == float("inf"):
                outcome.output_limited = True
                give_up = self._stop()

        for channel, payload in self.pending:
            take(channel, payload)
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self.sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
                while True:
                    now = time.monotonic()
                    if now >= give_up:
                        break
                    if give_up == float("inf"):
                        if now >= deadline:
                            outcome.timed_out = True
                            give_up = self._stop()
                        elif cancel is not None and cancel.is_set():
                            outcome.cancelled = True
                            give_up = self._stop()
                    events = selector.select(timeout=min(0.05, max(0.0, deadline - now)))
                    closed = False
                    for _key, mask in events:
                        if mask & selectors.EVENT_WRITE and outgoing:
                            with contextlib.suppress(BlockingIOError):
                                outgoing = outgoing[self.sock.send(outgoing[:65536]) :]
                            if not outgoing:
                                with contextlib.suppress(OSError):
                                    self.sock.shutdown(socket.SHUT_WR)
                                selector.modify(self.sock, selectors.EVENT_READ)
                        if mask & selectors.EVENT_READ:
                            try:
                                data = self.sock.recv(65536)
                            except BlockingIOError:
                                continue
                            if not data:
                                closed = True
                                break
                            for channel, payload in self.frames.feed(data):
                                take(channel, payload)
                    if closed:
                        break
        finally:
            self._finish(outcome)
        outcome.stdout = bytes(out[CH_STDOUT])
        outcome.stderr = bytes(out[CH_STDERR])
        outcome.events = self.events.events
        outcome.ready = outcome.event("ready") is not None
        outcome.duration_s = min((ended or time.monotonic()) - started, limits.wall_s)
        exit_event = outcome.event("exit")
        if exit_event is not None:  # the learner's code can write here too: trust nothing
            outcome.exit_code = small_int(exit_event.get("code"), 0, 255)
            outcome.signal = small_int(exit_event.get("signal"), 1, 64)
        return outcome

    def _stop(self) -> float:
        with contextlib.suppress(Exception):
            self.container.kill()
        return time.monotonic() + DRAIN_GRACE_S

    def _finish(self, outcome: Outcome) -> None:
        with contextlib.suppress(Exception):
            self.container.wait(timeout=10)
        with contextlib.suppress(Exception):
            self.container.reload()
            outcome.memory_exceeded = bool(self.container.attrs["State"].get("OOMKilled"))
        self.discard()

    def discard(self) -> None:
        self._used = True
        with contextlib.suppress(Exception):
            self.sock.close()
        with contextlib.suppress(Exception):
            self.container.remove(force=True)
