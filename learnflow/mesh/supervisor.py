"""What the watchdog and the CLI share about supervising one stack (`<run_dir>/supervisor/`).

- `held/<name>`: a process stopped on purpose (`Stack.stop_app`, a drill simulating a long
  outage): the watchdog leaves it down until it is released;
- `restarts.json`: each restart the watchdog made (count, when, why), for `learnflow status`;
- `lock`: an flock taken around every "is it alive? then start it" decision, by the watchdog and
  by `up`/`stop_app`, so two of them never start the same process twice or restart one that is
  being stopped on purpose.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Restarts:
    """The watchdog's restarts of one process."""

    count: int = 0
    last_died_at: float | None = None  # time.time()
    last_reason: str = ""  # "killed by SIGKILL", "exited with 1", "died"
    last_restart_at: float | None = None
    next_attempt_at: float | None = None  # set while it waits out its backoff


class Supervision:
    def __init__(self, run_dir: Path) -> None:
        self.dir = run_dir / "supervisor"
        self.held_dir = self.dir / "held"
        self.restarts_path = self.dir / "restarts.json"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    # --- held processes ---------------------------------------------------------------------
    def hold(self, name: str) -> None:
        self.held_dir.mkdir(parents=True, exist_ok=True)
        (self.held_dir / name).touch()

    def release(self, name: str) -> None:
        (self.held_dir / name).unlink(missing_ok=True)

    def held(self, name: str) -> bool:
        return (self.held_dir / name).exists()

    def held_names(self) -> list[str]:
        return sorted(p.name for p in self.held_dir.iterdir()) if self.held_dir.is_dir() else []

    # --- restart history ----------------------------------------------------------------------
    def restarts(self) -> dict[str, Restarts]:
        try:
            raw = json.loads(self.restarts_path.read_text())
        except (OSError, ValueError):
            return {}
        return {name: Restarts(**values) for name, values in raw.items()}

    def save_restarts(self, restarts: dict[str, Restarts]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / ".restarts.json.tmp"
        tmp.write_text(json.dumps({name: asdict(r) for name, r in restarts.items()}, indent=1))
        tmp.replace(self.restarts_path)

    def forget(self) -> None:
        """A fresh stack starts with no history and nothing held."""
        self.restarts_path.unlink(missing_ok=True)
        for name in self.held_names():
            self.release(name)


def describe_restarts(restarts: Restarts | None, now: float | None = None) -> str:
    """One line for `learnflow status`: "2 restarts, last 14 s ago (killed by SIGKILL)"."""
    if restarts is None or (restarts.count == 0 and restarts.next_attempt_at is None):
        return ""
    now = time.time() if now is None else now
    parts = []
    if restarts.count:
        ago = (
            ""
            if restarts.last_restart_at is None
            else f", last {now - restarts.last_restart_at:.0f} s ago"
        )
        plural = "s" if restarts.count != 1 else ""
        parts.append(f"{restarts.count} restart{plural}{ago} ({restarts.last_reason})")
    if restarts.next_attempt_at is not None:
        parts.append(f"restarting in {max(0.0, restarts.next_attempt_at - now):.0f} s")
    return "; ".join(parts)
