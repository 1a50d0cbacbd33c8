"""Per-run cgroup v2 children under a delegated parent (`LEARNFLOW_SANDBOX_CGROUP_PARENT`).

With a cgroup, the memory limit covers the learner's whole process tree (memory.max, no swap)
and pids.max caps processes and threads together; an OOM kill is read from memory.events and
reported as `memory_limit`. The parent must be a cgroup v2 directory this process may write, with
the memory and pids controllers available and no processes of its own (the "no internal
processes" rule) - e.g. a systemd unit with `Delegate=yes`, or a container's own cgroup namespace
after the server moved itself into a leaf.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path

from code_runner.sandbox.base import SandboxUnavailable


class CgroupParent:
    def __init__(self, path: Path) -> None:
        self.path = path

    def check(self) -> None:
        controllers_file = self.path / "cgroup.controllers"
        if not controllers_file.is_file():
            raise SandboxUnavailable(
                f"LEARNFLOW_SANDBOX_CGROUP_PARENT={self.path} is not a cgroup v2 directory "
                "(no cgroup.controllers); unset it to use per-process rlimits"
            )
        available = set(controllers_file.read_text().split())
        missing = {"memory", "pids"} - available
        if missing:
            raise SandboxUnavailable(
                f"cgroup {self.path} lacks the {' and '.join(sorted(missing))} controller(s); "
                "delegate them to it (systemd: Delegate=yes) or unset "
                "LEARNFLOW_SANDBOX_CGROUP_PARENT"
            )
        try:
            enabled = set((self.path / "cgroup.subtree_control").read_text().split())
            if not {"memory", "pids"} <= enabled:
                (self.path / "cgroup.subtree_control").write_text("+memory +pids")
        except OSError as exc:
            raise SandboxUnavailable(
                f"cannot enable memory+pids for children of cgroup {self.path} ({exc.strerror}); "
                "it must be writable by this user and hold no processes itself"
            ) from exc

    def create(self, memory_bytes: int, max_pids: int) -> RunCgroup:
        path = self.path / f"learnflow-run-{uuid.uuid4().hex[:12]}"
        path.mkdir(mode=0o755)
        group = RunCgroup(path)
        try:
            group.write("memory.max", str(memory_bytes))
            group.write("memory.swap.max", "0", optional=True)
            group.write("pids.max", str(max_pids))
        except OSError:
            group.destroy()
            raise
        return group


class RunCgroup:
    """One run's cgroup. `procs_fd` is opened before the sandbox is spawned, so the child only
    writes "0" to an fd it already holds (no path lookup, no Python import after fork)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.procs_fd = os.open(path / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)

    def write(self, name: str, value: str, optional: bool = False) -> None:
        try:
            (self.path / name).write_text(value)
        except FileNotFoundError:
            if not optional:
                raise

    def join_from_child(self) -> None:
        """Runs in the forked child before exec (subprocess `preexec_fn`)."""
        os.write(self.procs_fd, b"0")

    def oom_killed(self) -> bool:
        try:
            text = (self.path / "memory.events").read_text()
        except OSError:
            return False
        counts = dict(line.split() for line in text.splitlines() if line.strip())
        return int(counts.get("oom_kill", "0")) > 0

    def destroy(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.procs_fd)
        with contextlib.suppress(OSError):  # Linux >= 5.14; never create the file
            kill_fd = os.open(self.path / "cgroup.kill", os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.write(kill_fd, b"1")
            finally:
                os.close(kill_fd)
        deadline = time.monotonic() + 5.0
        while True:
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.01)
