"""Background processes that outlive `learnflow up`: start, record, find and stop them.

Each process runs in its own session (process group), logs to `<run_dir>/logs/<name>.log`, and
is recorded in `<run_dir>/pids/<name>.json` with its kernel start time, so a recycled pid is
never mistaken for ours and `learnflow down` stops exactly what `up` started.

A process is tracked as its whole group: when the one we started dies, whatever it started
(PostgreSQL's backends, a JVM's helpers) is still in its group and is killed with it
(`kill_group`), so no orphan keeps a port or a lock file.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


def _start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name may contain spaces and parentheses: fields start after the last ")"
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie is not running
        return None
    return int(fields[19])


@dataclass(frozen=True)
class Recorded:
    name: str
    pid: int
    start_ticks: int
    command: list[str]
    log: str

    def alive(self) -> bool:
        return _start_ticks(self.pid) == self.start_ticks


class ProcessTable:
    """The processes of one stack (one run dir)."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.pid_dir = run_dir / "pids"
        self.log_dir = run_dir / "logs"

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(
        self,
        name: str,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path | None = None,
        user: str | None = None,
    ) -> Recorded:
        """Start `command` in a new session, logging to its log; `user` (when we are root) runs
        it as that account directly, so the recorded pid is the server itself, not a wrapper."""
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path(name)
        account = pwd.getpwnam(user) if user is not None else None
        with log.open("ab") as handle:
            handle.write(f"\n===== start {time.strftime('%Y-%m-%d %H:%M:%S')} =====\n".encode())
            handle.flush()
            proc = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=dict(env),
                cwd=cwd,
                start_new_session=True,
                user=account.pw_uid if account else None,
                group=account.pw_gid if account else None,
                extra_groups=[] if account else None,
            )
        ticks = _start_ticks(proc.pid) or 0
        record = Recorded(name, proc.pid, ticks, list(command), str(log))
        tmp = self.pid_dir / f".{name}.json.tmp"
        tmp.write_text(json.dumps(record.__dict__))
        tmp.replace(self.pid_dir / f"{name}.json")
        return record

    def recorded(self) -> list[Recorded]:
        if not self.pid_dir.is_dir():
            return []
        records = []
        for path in sorted(self.pid_dir.glob("*.json")):
            try:
                records.append(Recorded(**json.loads(path.read_text())))
            except (ValueError, TypeError):
                path.unlink(missing_ok=True)
        return records

    def get(self, name: str) -> Recorded | None:
        path = self.pid_dir / f"{name}.json"
        if not path.is_file():
            return None
        return Recorded(**json.loads(path.read_text()))

    def stop(self, record: Recorded, *, grace_s: float = 10.0, sig: int = signal.SIGTERM) -> None:
        """Stop a process group: `sig`, then SIGKILL after `grace_s`. Forgets the record."""
        if record.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(record.pid, sig)
            deadline = time.monotonic() + grace_s
            while record.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
        # whatever is left of the group (children that ignored the signal) is killed
        self.kill_group(record)
        (self.pid_dir / f"{record.name}.json").unlink(missing_ok=True)

    def kill_group(self, record: Recorded, *, timeout_s: float = 10.0) -> list[int]:
        """SIGKILL what is left of the process group `record` leads (the leader too, if alive)
        and wait until it is gone; returns the pids that were left. Nothing is killed if the
        leader's pid now belongs to another process (the group id was recycled)."""
        leader_ticks = _start_ticks(record.pid)
        if leader_ticks is not None and leader_ticks != record.start_ticks:
            return []  # a new process owns this pid and leads a group of its own
        left = group_members(record.pid)
        if not left:
            return []
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(record.pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout_s
        while group_members(record.pid) and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.05)
        return left

    def reap(self) -> dict[int, int]:
        """Collect exit statuses of children we started in this process (avoid zombies):
        pid -> wait status."""
        statuses: dict[int, int] = {}
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return statuses
            if pid == 0:
                return statuses
            statuses[pid] = status


def describe_status(status: int) -> str:
    """ "exited with 1" / "killed by SIGKILL" for a wait status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exited with {os.WEXITSTATUS(status)}"


def group_members(pgid: int) -> list[int]:
    """Pids still in process group `pgid` (used by tests to prove nothing is left behind)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members
