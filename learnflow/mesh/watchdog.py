"""The watchdog `learnflow up` leaves running: it restarts any process of the stack that dies.

    python -m learnflow.mesh.watchdog      (started by `up`, stopped first by `down`)

Twice a second it looks at every process `up` started (the pid records in `<run_dir>/pids`).
One that is no longer alive — and is not held (`Stack.stop_app`, a drill) — is handled as a
crash:

1. what is left of its process group is killed (PostgreSQL's backends, anything the process
   started), so no orphan keeps a port, a lock file or shared memory;
2. it is started again as `up` starts it (PostgreSQL's stale lock files are removed first),
   at once the first time and then with a growing backoff (1 s, 2 s, 4 s … 30 s) while it
   keeps dying; a process that stayed up for a minute starts over at no delay. What cannot
   start without another process (daprd without Kafka and PostgreSQL, an app without its
   database: `Stack.prerequisites`) waits for it to answer instead, without counting failures,
   so it is back as soon as what it needs is;
3. a line goes to the process's own log and to the watchdog's, and the count to
   `<run_dir>/supervisor/restarts.json`, which `learnflow status` shows.

It never waits on a health check (the process's clients retry), so one slow start never delays
the restart of another.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from learnflow.logs import configure_logging, secret_values
from learnflow.mesh.processes import Recorded, describe_status
from learnflow.mesh.stack import WATCHDOG, Check, Launch, Stack
from learnflow.mesh.supervisor import Restarts
from learnflow.mesh.toolchain import stderr_progress
from learnflow.settings import Settings

log = logging.getLogger("learnflow.watchdog")

INTERVAL_S = 0.5
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
STABLE_AFTER_S = 60.0  # a process up this long that dies is restarted at once again


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


@dataclass
class _Crash:
    """A process found dead, waiting out its backoff."""

    record: Recorded
    restart_at: float  # time.monotonic()
    attempt: int
    waiting_for: list[str] | None = None  # prerequisites it waits for


class Watchdog:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.table = stack.table
        self.supervision = stack.supervision
        self.restarts: dict[str, Restarts] = self.supervision.restarts()
        self.crashes: dict[str, _Crash] = {}
        self.failures_in_a_row: dict[str, int] = {}
        self.exit_statuses: dict[int, int] = {}
        self._launch: Launch | None = None
        self._checks: dict[str, Check] | None = None
        self._boot = _boot_time()
        self._ticks_per_s = os.sysconf("SC_CLK_TCK")

    def _note(self, name: str, line: str) -> None:
        """A line in the process's own log and in the watchdog's."""
        log.info("%s: %s", name, line)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        try:
            with self.table.log_path(name).open("a") as handle:
                handle.write(f"\n===== watchdog {stamp}: {line} =====\n")
        except OSError:
            pass

    def _uptime(self, record: Recorded) -> float:
        return time.time() - (self._boot + record.start_ticks / self._ticks_per_s)

    def tick(self) -> None:
        self.exit_statuses.update(self.table.reap())
        for record in self.table.recorded():
            if record.name != WATCHDOG:
                self._look_after(record.name)

    def _look_after(self, name: str) -> None:
        with self.supervision.locked():
            record = self.table.get(name)
            if record is None or self.supervision.held(name):
                self.crashes.pop(name, None)
                self.failures_in_a_row.pop(name, None)
                return
            if record.alive():
                self.crashes.pop(name, None)
                return
            crash = self.crashes.get(name)
            if crash is None or crash.record.pid != record.pid:
                crash = self._found_dead(name, record)
            if time.monotonic() < crash.restart_at:
                return
            missing = self._missing_prerequisites(name)
            if missing:
                if crash.waiting_for != missing:
                    self._note(name, f"waiting for {', '.join(missing)} before restarting it")
                    crash.waiting_for = missing
                return
            self._restart(name, crash)

    def _missing_prerequisites(self, name: str) -> list[str]:
        if self._checks is None:
            self._checks = self.stack._checks(self.stack.launch_context().secrets)
        return [
            needed
            for needed in self.stack.prerequisites(name)
            if needed in self._checks and not self._checks[needed].ready()
        ]

    def _found_dead(self, name: str, record: Recorded) -> _Crash:
        status = self.exit_statuses.pop(record.pid, None)
        reason = describe_status(status) if status is not None else "died"
        uptime = self._uptime(record)
        left = self.table.kill_group(record)
        in_a_row = 0 if uptime >= STABLE_AFTER_S else self.failures_in_a_row.get(name, 0)
        delay = 0.0 if in_a_row == 0 else min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2 ** (in_a_row - 1))
        self.failures_in_a_row[name] = in_a_row + 1
        extra = f"; killed {len(left)} process(es) left in its group" if left else ""
        when = "now" if delay == 0 else f"in {delay:.0f} s"
        self._note(
            name, f"pid {record.pid} {reason} after {uptime:.1f} s{extra}; restarting it {when}"
        )
        history = self.restarts.setdefault(name, Restarts())
        history.last_died_at = time.time()
        history.last_reason = reason
        history.next_attempt_at = time.time() + delay
        self.supervision.save_restarts(self.restarts)
        crash = _Crash(record, time.monotonic() + delay, in_a_row + 1)
        self.crashes[name] = crash
        return crash

    def _restart(self, name: str, crash: _Crash) -> None:
        if self._launch is None:
            self._launch = self.stack.launch_context()
        history = self.restarts.setdefault(name, Restarts())
        try:
            started = self.stack.spawn(name, self._launch)
        except Exception as exc:  # e.g. a port still held: try again after the next backoff
            self._note(name, f"could not restart it: {exc}")
            self.crashes.pop(name)
            return
        history.count += 1
        history.last_restart_at = time.time()
        history.next_attempt_at = None
        self.supervision.save_restarts(self.restarts)
        self.crashes.pop(name)
        self._note(name, f"restarted as pid {started.pid} (restart {history.count})")


def main() -> int:
    settings = Settings()
    configure_logging(WATCHDOG, settings.log_format, secrets=secret_values(settings))
    without = [a for a in os.environ.get("LEARNFLOW_WATCHDOG_WITHOUT", "").split(",") if a]
    stack = Stack(settings, stderr_progress, without=without)
    watchdog = Watchdog(stack)
    stopping = False

    def stop(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("watching the stack in %s", settings.run_dir)
    while not stopping:
        try:
            watchdog.tick()
        except Exception:  # keep watching: the next tick retries
            log.exception("a watchdog round failed")
        time.sleep(INTERVAL_S)
    log.info("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
