"""`learnflow dlq list|replay` on the real stack: debrief dead-letters a `code.executed` event for
a user who does not exist yet (its poison handling, with the reason); `list` shows it, read as
Kafka's `ops` user; once the user exists, `replay` publishes it again through the code runner's
sidecar with the same event id, debrief applies it, and a second replay changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest

from tests.dead_letters import failed_run
from tests.integration.harness import Mesh
from tests.waiting import eventually_sync

pytestmark = pytest.mark.integration

CONSUMER = "debrief-progress"  # agents/debrief/progress_consumer.py


def _cli(mesh: Mesh, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LEARNFLOW_RUN_DIR": str(mesh.settings.run_dir),
        "LEARNFLOW_PORT_OFFSET": str(mesh.settings.port_offset),
    }
    done = subprocess.run(
        [sys.executable, "-m", "learnflow.cli.main", "dlq", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


def _letters(mesh: Mesh, event_id: str) -> list[dict[str, Any]]:
    out = _cli(mesh, "list", "--topic", "code.executed", "--limit", "10000", "--json").stdout
    [report] = json.loads(out)
    assert report["topic"] == "code.executed.dlq"
    return [m for m in report["messages"] if m["event_id"] == event_id]


def _applied(mesh: Mesh, event_id: str) -> int:
    rows = mesh.sql("select count(*) from code_submissions where event_id = %s", event_id)
    return int(rows[0][0])


async def test_a_dead_letter_is_listed_and_replayed_once_the_user_exists(mesh: Mesh) -> None:
    user_id = str(uuid.uuid4())  # nobody yet: debrief dead-letters the event
    event = failed_run(user_id)
    await mesh.publish_as("code-runner", event)

    [letter] = eventually_sync(
        lambda: _letters(mesh, event.id), timeout_s=60, what="the event on code.executed.dlq"
    )
    assert letter["type"] == "learnflow.code.executed.v1"
    assert letter["source"] == "code-runner"
    assert letter["dead_lettered_by"] == "debrief"
    assert f"there is no LearnFlow user {user_id}" in letter["reason"]
    assert letter["replayable"] is True
    text = _cli(mesh, "list", "--topic", "code.executed.dlq", "--limit", "10000").stdout
    assert event.id in text and "reason (by debrief)" in text
    assert mesh.sql("select count(*) from processed_events where event_id = %s", event.id) == [(0,)]

    dry = _cli(mesh, "replay", "code.executed", "--id", event.id, "--dry-run")
    assert "1 event(s) would be replayed (dry run)" in dry.stdout
    assert f"would replay {event.id} to code.executed as code-runner" in dry.stderr

    mesh.sql(
        "insert into users (id, email, display_name, role, password_hash)"
        " values (%s, %s, 'Late Student', 'student', 'x') returning id",
        user_id,
        f"dlq-{user_id}@example.test",
    )
    done = _cli(mesh, "replay", "code.executed", "--id", event.id)
    assert "1 event(s) replayed to code.executed" in done.stdout
    eventually_sync(lambda: _applied(mesh, event.id), timeout_s=60, what="the replayed run applied")

    # again: the event reaches the topic a third time, and debrief applies it no second time
    _cli(mesh, "replay", "code.executed.dlq", "--id", event.id)
    copies = eventually_sync(
        lambda: (lambda c: c if len(c) >= 3 else None)(
            mesh.kafka_events("code.executed", {"user_id": user_id})
        ),
        timeout_s=60,
        what="the event and its two replays on code.executed",
    )
    assert {c["id"] for c in copies} == {event.id}
    later = failed_run(user_id)  # same user, so the same partition: delivered after the replays
    await mesh.publish_as("code-runner", later)
    eventually_sync(lambda: _applied(mesh, later.id), timeout_s=60, what="the later run applied")
    assert _applied(mesh, event.id) == 1
    assert mesh.sql(
        "select count(*) from processed_events where consumer = %s and event_id = %s",
        CONSUMER,
        event.id,
    ) == [(1,)]
