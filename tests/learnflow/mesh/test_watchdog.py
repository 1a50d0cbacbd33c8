"""The watchdog on real processes (stand-ins for the mesh's): a process that dies is restarted,
its whole group cleaned up, with backoff while it keeps dying, and a line in its log and in the
restart history; a held process is left alone."""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path

import pytest

from learnflow.mesh import watchdog as watchdog_module
from learnflow.mesh.processes import Recorded, group_members
from learnflow.mesh.stack import Check, Launch, Stack
from learnflow.mesh.supervisor import describe_restarts
from learnflow.mesh.watchdog import Watchdog
from learnflow.settings import Settings
from tests.waiting import eventually_sync

# a process that starts a child in its group, as postgres starts backends
WITH_A_CHILD = (
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "print('ready', flush=True)\n"
    "time.sleep(600)\n"
)


class StandInStack(Stack):
    """A stack whose processes are small Python programs (spawn is all the watchdog calls);
    `ready` says which of them answer their health check."""

    ready: set[str]

    def launch_context(self, tools: object = None, *, render: bool = False) -> Launch:
        return Launch(None, None, self.run_dir, {}, None)  # type: ignore[arg-type]

    def _checks(self, run_secrets: object) -> dict[str, Check]:  # type: ignore[override]
        return {name: Check(name, lambda name=name: name in self.ready) for name in self.names()}

    def spawn(self, name: str, launch: Launch) -> Recorded:
        return self.table.start(name, [sys.executable, "-c", WITH_A_CHILD], env=dict(os.environ))


@pytest.fixture
def stack(tmp_path: Path) -> StandInStack:
    made = StandInStack(Settings(run_dir=tmp_path, port_offset=0), lambda _: None)
    made.ready = {"postgres", "kafka", "sentry"}
    yield made
    for record in made.table.recorded():
        made.table.stop(record, grace_s=1)


def started(stack: Stack, name: str) -> Recorded:
    record = stack.spawn(name, stack.launch_context())
    eventually_sync(lambda: "ready" in stack.table.log_path(name).read_text(), what="start")
    eventually_sync(lambda: len(group_members(record.pid)) == 2, what="its child")
    return record


def test_a_killed_process_is_restarted_and_its_orphans_are_killed(stack: StandInStack) -> None:
    first = started(stack, "kafka")
    os.kill(first.pid, signal.SIGKILL)  # the child lives on in the group, as an orphan
    eventually_sync(lambda: not first.alive(), what="the kill")
    watchdog = Watchdog(stack)

    watchdog.tick()

    again = stack.table.get("kafka")
    assert again is not None and again.pid != first.pid and again.alive()
    assert group_members(first.pid) == []  # the orphaned child went with it
    log = stack.table.log_path("kafka").read_text()
    assert f"pid {first.pid} killed by SIGKILL after" in log
    assert "killed 1 process(es) left in its group" in log
    assert f"restarted as pid {again.pid} (restart 1)" in log
    history = stack.supervision.restarts()["kafka"]
    assert history.count == 1
    assert re.fullmatch(
        r"1 restart, last \d+ s ago \(killed by SIGKILL\)", describe_restarts(history)
    )


def test_a_process_that_keeps_dying_is_restarted_with_backoff(
    stack: StandInStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watchdog_module, "FIRST_BACKOFF_S", 0.3)
    watchdog = Watchdog(stack)
    record = started(stack, "scheduler")
    os.kill(record.pid, signal.SIGKILL)
    eventually_sync(lambda: not record.alive(), what="the first kill")
    watchdog.tick()  # first death: restarted at once
    second = stack.table.get("scheduler")
    assert second is not None and second.pid != record.pid
    eventually_sync(second.alive, what="the restart")
    os.kill(second.pid, signal.SIGKILL)
    eventually_sync(lambda: not second.alive(), what="the second kill")

    watchdog.tick()  # second death within a minute: waits its backoff

    assert stack.table.get("scheduler") == second
    assert stack.supervision.restarts()["scheduler"].next_attempt_at is not None
    assert "restarting it in 0 s" in stack.table.log_path("scheduler").read_text()

    def restarted() -> bool:
        watchdog.tick()
        current = stack.table.get("scheduler")
        return current is not None and current.pid != second.pid

    eventually_sync(restarted, timeout_s=10, what="the restart after the backoff")
    assert stack.supervision.restarts()["scheduler"].count == 2


def test_a_held_process_stays_down_until_released(stack: StandInStack) -> None:
    record = started(stack, "placement")
    stack.hold("placement")
    os.kill(record.pid, signal.SIGKILL)
    eventually_sync(lambda: not record.alive(), what="the kill")
    watchdog = Watchdog(stack)

    watchdog.tick()

    assert stack.table.get("placement") == record
    stack.release("placement")
    watchdog.tick()
    current = stack.table.get("placement")
    assert current is not None and current.pid != record.pid


def test_a_process_stopped_on_purpose_is_not_restarted(stack: StandInStack) -> None:
    record = started(stack, "tutor")
    stack.table.stop(record, grace_s=1)  # as `down` and `stop_app` do: the record goes
    Watchdog(stack).tick()
    assert stack.table.get("tutor") is None


def test_a_sidecar_waits_for_kafka_before_it_is_restarted(stack: StandInStack) -> None:
    """daprd exits at start without Kafka: restarting it before Kafka is back would only make
    it crash again (and lengthen its backoff), so the watchdog waits for Kafka instead."""
    record = started(stack, "tutor-dapr")
    stack.ready.discard("kafka")
    os.kill(record.pid, signal.SIGKILL)
    eventually_sync(lambda: not record.alive(), what="the kill")
    watchdog = Watchdog(stack)

    watchdog.tick()
    watchdog.tick()

    assert stack.table.get("tutor-dapr") == record
    log = stack.table.log_path("tutor-dapr").read_text()
    assert log.count("waiting for kafka before restarting it") == 1
    stack.ready.add("kafka")
    watchdog.tick()
    current = stack.table.get("tutor-dapr")
    assert current is not None and current.pid != record.pid
    assert watchdog.failures_in_a_row["tutor-dapr"] == 1  # waiting was not failing
