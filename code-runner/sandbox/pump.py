"""The host side of one run: feed the job and stdin, read stdout/stderr/events, enforce limits.

One thread, one selector, non-blocking pipes. The host only ever touches pipe ends it created:
no path inside the sandbox is opened, followed or deleted from here.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import threading
import time
from collections.abc import Callable
from typing import Any

from code_runner.sandbox.base import Outcome

MAX_EVENT_BYTES = 1024 * 1024
DRAIN_GRACE_S = 3.0
POLL_S = 0.05


class EventLines:
    """Incremental JSON-lines parser with a size cap (the guest's events channel)."""

    def __init__(self, initial: bytes = b"") -> None:
        self.buffer = bytearray(initial)
        self.total = len(initial)
        self.events: list[dict[str, Any]] = []
        self.overflow = False

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self.total += len(data)
        if self.total > MAX_EVENT_BYTES:
            self.overflow = True
            return []
        self.buffer += data
        return self.drain()

    def drain(self) -> list[dict[str, Any]]:
        fresh: list[dict[str, Any]] = []
        while b"\n" in self.buffer:
            line, _, rest = bytes(self.buffer).partition(b"\n")
            self.buffer = bytearray(rest)
            try:
                event = json.loads(line.decode("utf-8", "replace"))
            except ValueError:
                continue
            if isinstance(event, dict):
                fresh.append(event)
        self.events += fresh
        return fresh


def read_until_event(
    fd: int, name: str, timeout_s: float, also_drain: list[int]
) -> tuple[bool, bytes, bytes]:
    """Block until the events pipe `fd` carries event `name`; returns (seen, rest, other output).

    Used when a sandbox starts: `also_drain` (stderr) is read meanwhile so an error printed by
    bwrap or Docker ends up in the message.
    """
    parser = EventLines()
    other = bytearray()
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        for extra in also_drain:
            selector.register(extra, selectors.EVENT_READ)
        open_fds = 1 + len(also_drain)
        while open_fds and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=max(0.0, deadline - time.monotonic())):
                data = _read(key.fd)
                if data is None:
                    continue
                if not data:
                    selector.unregister(key.fd)
                    open_fds -= 1
                    if key.fd == fd:
                        return False, b"", bytes(other)
                    continue
                if key.fd != fd:
                    other += data[:4096]
                    continue
                for event in parser.feed(data):
                    if event.get("e") == name:
                        return True, bytes(parser.buffer), bytes(other)
    return False, b"", bytes(other)


def _read(fd: int) -> bytes | None:
    """The next chunk; b"" at end of file (or a broken pipe); None when nothing is there yet."""
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def small_int(value: object, low: int, high: int) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return None


class FdPump:
    """Moves bytes between the host and one sandbox until every output pipe is closed."""

    def __init__(
        self,
        *,
        stdout_fd: int,
        stderr_fd: int,
        events_fd: int,
        events: EventLines,
        writes: list[tuple[int, bytes]],
        max_output_bytes: int,
        kill: Callable[[], None],
        close: Callable[[int], None],
    ) -> None:
        self.readers = {stdout_fd: "stdout", stderr_fd: "stderr", events_fd: "events"}
        self.writes = {fd: memoryview(data) for fd, data in writes}
        self.events = events
        self.max_output = max_output_bytes
        self.kill = kill
        self.close = close
        self.out = {"stdout": bytearray(), "stderr": bytearray()}
        self.outcome = Outcome()

    def run(self, timeout_s: float, cancel: threading.Event | None) -> Outcome:
        outcome = self.outcome
        started = time.monotonic()
        deadline = started + timeout_s
        give_up = float("inf")
        ended: float | None = None
        for fd in (*self.readers, *self.writes):
            os.set_blocking(fd, False)
        with selectors.DefaultSelector() as selector:
            for fd in self.readers:
                selector.register(fd, selectors.EVENT_READ)
            for fd in list(self.writes):
                if self.writes[fd]:
                    selector.register(fd, selectors.EVENT_WRITE)
                else:
                    self._close_writer(fd)
            while self.readers:
                now = time.monotonic()
                if now >= give_up:
                    outcome.diagnostics += "the sandbox kept its pipes open after being killed; "
                    break
                if give_up == float("inf"):
                    if now >= deadline:
                        outcome.timed_out = True
                        give_up = self._stop(now)
                    elif cancel is not None and cancel.is_set():
                        outcome.cancelled = True
                        give_up = self._stop(now)
                limit = deadline if give_up == float("inf") else give_up
                wait = min(POLL_S, max(0.0, limit - now))
                for key, mask in selector.select(timeout=wait):
                    if mask & selectors.EVENT_WRITE:
                        if self._write(key.fd):
                            selector.unregister(key.fd)
                            self._close_writer(key.fd)
                        continue
                    data = _read(key.fd)
                    if data is None:
                        continue
                    if not data:
                        selector.unregister(key.fd)
                        name = self.readers.pop(key.fd)
                        if name == "events" and ended is None:
                            ended = time.monotonic()
                        continue
                    name = self.readers[key.fd]
                    if name == "events":
                        for event in self.events.feed(data):
                            if event.get("e") == "exit" and ended is None:
                                ended = time.monotonic()
                        if self.events.overflow and give_up == float("inf"):
                            outcome.diagnostics += "too many events; "
                            give_up = self._stop(time.monotonic())
                    elif self._take_output(name, data) and give_up == float("inf"):
                        outcome.output_limited = True
                        give_up = self._stop(time.monotonic())
            for fd in list(self.writes):
                with contextlib.suppress(KeyError, ValueError):
                    selector.unregister(fd)
                self._close_writer(fd)
        outcome.stdout = bytes(self.out["stdout"])
        outcome.stderr = bytes(self.out["stderr"])
        outcome.events = self.events.events
        outcome.duration_s = (ended or time.monotonic()) - started
        if outcome.timed_out:
            outcome.duration_s = min(outcome.duration_s, timeout_s)
        exit_event = outcome.event("exit")
        outcome.ready = outcome.event("ready") is not None
        if exit_event is not None:  # the learner's code can write here too: trust nothing
            outcome.exit_code = small_int(exit_event.get("code"), 0, 255)
            outcome.signal = small_int(exit_event.get("signal"), 1, 64)
        return outcome

    def _stop(self, now: float) -> float:
        self.kill()
        return now + DRAIN_GRACE_S

    def _take_output(self, name: str, data: bytes) -> bool:
        """Keep what fits in the shared budget; True when the budget is exceeded."""
        used = len(self.out["stdout"]) + len(self.out["stderr"])
        room = self.max_output - used
        if room > 0:
            self.out[name] += data[:room]
        return len(data) > room

    def _write(self, fd: int) -> bool:
        """Write what the pipe takes; True when done (or the reader went away)."""
        view = self.writes[fd]
        try:
            written = os.write(fd, view[:65536])
        except BlockingIOError:
            return False
        except OSError:
            return True
        self.writes[fd] = view[written:]
        return not self.writes[fd]

    def _close_writer(self, fd: int) -> None:
        if self.writes.pop(fd, None) is not None:
            self.close(fd)
