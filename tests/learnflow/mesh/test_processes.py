from __future__ import annotations

import os
import sys
from pathlib import Path

from learnflow.mesh.processes import ProcessTable, group_members
from tests.waiting import eventually_sync

CHILD_AND_GRANDCHILD = (
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "print('ready', flush=True)\n"
    "time.sleep(600)\n"
)


def test_stop_kills_the_whole_process_group(tmp_path: Path) -> None:
    table = ProcessTable(tmp_path)
    record = table.start(
        "sleeper", [sys.executable, "-c", CHILD_AND_GRANDCHILD], env=dict(os.environ)
    )
    eventually_sync(lambda: "ready" in table.log_path("sleeper").read_text(), what="start")
    eventually_sync(lambda: len(group_members(record.pid)) == 2, what="the grandchild")

    table.stop(record, grace_s=5)
    table.reap()

    assert group_members(record.pid) == []
    assert table.recorded() == []


def test_a_recycled_pid_is_not_mistaken_for_ours(tmp_path: Path) -> None:
    table = ProcessTable(tmp_path)
    record = table.start("short", [sys.executable, "-c", "pass"], env=dict(os.environ))
    eventually_sync(lambda: not record.alive(), what="exit")
    table.reap()
    # same pid, different start time: a different process
    forged = type(record)(record.name, os.getpid(), record.start_ticks + 1, [], record.log)
    assert not forged.alive()
