"""The LearnFlow cache's lock: one build of each artifact per machine, and a waiter that says so.

Parallel `make up`/`make test` runs (and CI beside a developer) share `~/.cache/learnflow`; the
first one builds daprd, Kafka, kube-apiserver under an exclusive `flock`, the others wait. They
used to wait in silence for up to 13 minutes. The holder now writes its pid and what it builds
into the lock file, and a waiter prints "waiting for another build of dapr 1.18.2 (pid N) …",
then a line every `every` seconds until the lock is free.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from learnflow.mesh.build_progress import HEARTBEAT_SECONDS, Clock, Progress, format_duration


def _quiet(_: str) -> None:
    return None


def _holder(handle: IO[str]) -> str:
    """Who holds the lock, as the holder wrote it (`<pid> <what>`); old holders write nothing."""
    handle.seek(0)
    pid, _, what = handle.read().strip().partition(" ")
    if not pid.isdigit():
        return "another LearnFlow process holding the cache lock"
    return f"another build of {what} (pid {pid})" if what else f"pid {pid}"


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait(
    handle: IO[str], path: Path, progress: Progress, poll: float, every: float, clock: Clock
) -> None:
    if _try_lock(handle):
        return
    started = said = clock()
    progress(f"waiting for {_holder(handle)} to finish ({path}) …")
    while not _try_lock(handle):
        time.sleep(poll)
        if clock() - said >= every:
            said = clock()
            progress(f"still waiting for {_holder(handle)} [{format_duration(said - started)}]")
    progress(f"the cache lock is free after {format_duration(clock() - started)}")


@contextmanager
def cache_lock(
    cache_dir: Path,
    what: str = "",
    progress: Progress = _quiet,
    *,
    poll: float = 1.0,
    every: float = HEARTBEAT_SECONDS,
    clock: Clock = time.monotonic,
) -> Iterator[None]:
    """Hold the cache's lock while building `what` (e.g. `dapr 1.18.2`)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / ".lock"
    with path.open("a+") as handle:  # never "w": that would erase the holder's line
        _wait(handle, path, progress, poll, every, clock)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()} {what}".strip() + "\n")
            handle.flush()
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
