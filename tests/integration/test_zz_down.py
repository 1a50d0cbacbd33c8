"""`down` stops every process of the stack and leaves none behind."""

from __future__ import annotations

import pytest

from learnflow.mesh.processes import group_members
from tests.integration.harness import Mesh

pytestmark = [pytest.mark.integration, pytest.mark.last]


def test_down_leaves_no_process_behind(mesh: Mesh) -> None:
    records = mesh.stack.table.recorded()
    assert {r.name for r in records} >= {
        "postgres",
        "kafka",
        "placement",
        "scheduler",
        "sentry",
        "triage",
        "triage-dapr",
        "code-runner-dapr",
        "watchdog",  # `down` stops it first, or it would restart what is being stopped
    }

    mesh.stack.down()

    assert mesh.stack.table.recorded() == []
    leftovers = {r.name: group_members(r.pid) for r in records}
    assert all(not pids for pids in leftovers.values()), leftovers
    assert not any(r.alive() for r in records)
