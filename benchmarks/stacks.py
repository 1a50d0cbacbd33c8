"""The throw-away stack each stack benchmark brings up, once for all of them.

A bench stack lives in its own run dir under `.run/`, at `LEARNFLOW_BENCH_PORT_OFFSET` (each
bench has its own default), starts from nothing (a leftover stack of the same run dir is stopped
and its run dir removed) and is stopped whatever happens. It is two steps, `clean_stack` then
`running`, so a bench can read the machine's load (or start a clock) between the clean-up and the
bring-up, as the figures have always done.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from learnflow.mesh import services
from learnflow.mesh.stack import Stack
from learnflow.settings import REPO_ROOT, Settings


def clean_stack(
    run_dir_name: str, *, default_offset: int, label: str = "bench", without: Iterable[str] = ()
) -> Stack:
    """The bench's stack in `.run/<run_dir_name>`, not started: whatever an earlier run left
    there stopped and its run dir removed. Progress goes to stderr as `[<label> stack] …`."""
    offset = int(os.environ.get("LEARNFLOW_BENCH_PORT_OFFSET", str(default_offset)))
    run_dir = REPO_ROOT / ".run" / run_dir_name
    stack = Stack(
        Settings(run_dir=run_dir, port_offset=offset),
        lambda m: print(f"[{label} stack] {m}", file=sys.stderr),
        without=without,
    )
    stack.down(quiet=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    return stack


@contextmanager
def running(stack: Stack) -> Iterator[services.RunSecrets]:
    """The stack up for the block, with its run's secrets; down after it, even on failure."""
    try:
        stack.up()
        yield services.RunSecrets.load_or_create(stack.run_dir)
    finally:
        stack.down(quiet=True)


def load_average_1m(before: tuple[float, float, float]) -> dict[str, float]:
    """The 1-minute load average `before` (an `os.getloadavg()`) and now, for a report."""
    return {"before": round(before[0], 2), "after": round(os.getloadavg()[0], 2)}
