"""A process waiting for another's build under the cache lock says whose build it waits for."""

from __future__ import annotations

import fcntl
import queue
import threading
from pathlib import Path
from typing import IO

from learnflow.mesh.cache_lock import cache_lock


def _hold(cache_dir: Path, line: str) -> IO[str]:
    """Another process's hold on the lock: a second open file description, as `flock` sees it."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle = (cache_dir / ".lock").open("a+")
    fcntl.flock(handle, fcntl.LOCK_EX)
    handle.write(line)
    handle.flush()
    return handle


def _wait_in_thread(cache_dir: Path, said: queue.Queue[str]) -> threading.Thread:
    def build() -> None:
        with cache_lock(cache_dir, "dapr 1.18.2", said.put, poll=0.01, every=0.05):
            said.put("building")

    thread = threading.Thread(target=build, daemon=True)
    thread.start()
    return thread


def test_a_waiter_names_the_holder_and_goes_on_when_it_is_done(tmp_path: Path) -> None:
    holder = _hold(tmp_path, "4242 kube-apiserver 1.34.4\n")
    said: queue.Queue[str] = queue.Queue()
    try:
        thread = _wait_in_thread(tmp_path, said)
        first = said.get(timeout=10)
        assert first.startswith("waiting for another build of kube-apiserver 1.34.4 (pid 4242)")
        assert said.get(timeout=10).startswith(
            "still waiting for another build of kube-apiserver 1.34.4 (pid 4242) ["
        )
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        holder.close()
    rest = []
    while (line := said.get(timeout=10)) != "building":
        rest.append(line)
    thread.join(timeout=10)
    assert rest[-1].startswith("the cache lock is free after")


def test_a_holder_from_before_the_pid_line_is_named_vaguely(tmp_path: Path) -> None:
    holder = _hold(tmp_path, "")
    said: queue.Queue[str] = queue.Queue()
    try:
        _wait_in_thread(tmp_path, said)
        assert said.get(timeout=10).startswith(
            "waiting for another LearnFlow process holding the cache lock"
        )
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        holder.close()
    while said.get(timeout=10) != "building":
        pass


def test_the_holder_writes_its_pid_and_build_and_clears_them(tmp_path: Path) -> None:
    said: list[str] = []
    with cache_lock(tmp_path, "Kafka 3.9.1", said.append):
        line = (tmp_path / ".lock").read_text()
    assert line.split(" ", 1)[1] == "Kafka 3.9.1\n" and line.split(" ")[0].isdigit()
    assert (tmp_path / ".lock").read_text() == ""
    assert said == []  # a free lock is taken in silence
