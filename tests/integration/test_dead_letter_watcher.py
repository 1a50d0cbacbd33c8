"""The dead-letter watcher on the real stack: debrief dead-letters a `code.executed` event for a
user who does not exist (its poison handling, with the reason); debrief's own subscription to
`code.executed.dlq` records it. The same event dead-lettered a second time (published again with
its id, as a replay would) is on the topic twice but in the record once."""

from __future__ import annotations

import uuid

import pytest

from learnflow.dlq.reader import DeadLetterReader
from learnflow.dlq.stack import StackTarget
from tests.dead_letters import failed_run
from tests.integration.harness import Mesh
from tests.waiting import eventually_sync

pytestmark = pytest.mark.integration

TOPIC = "code.executed.dlq"


def _letters_on_topic(mesh: Mesh, event_id: str) -> int:
    with DeadLetterReader(StackTarget.of(mesh.settings)) as reader:
        return sum(1 for letter in reader.read(TOPIC).letters if letter.event_id == event_id)


def _recorded(mesh: Mesh, event_id: str) -> list[tuple[object, ...]]:
    return mesh.sql(
        "select event_type, event_source, dead_lettered_by, reason from dead_letters"
        " where topic = %s and event_id = %s",
        TOPIC,
        event_id,
    )


async def test_a_dead_lettered_event_is_recorded_once(mesh: Mesh) -> None:
    user_id = str(uuid.uuid4())  # nobody: debrief dead-letters the run
    event = failed_run(user_id)
    await mesh.publish_as("code-runner", event)

    [(event_type, source, by, reason)] = eventually_sync(
        lambda: _recorded(mesh, event.id), timeout_s=60, what="the watcher's record of the event"
    )
    assert (event_type, source, by) == ("learnflow.code.executed.v1", "code-runner", "debrief")
    assert f"there is no LearnFlow user {user_id}" in str(reason)

    await mesh.publish_as("code-runner", event)  # same id: dead-lettered a second time
    eventually_sync(
        lambda: _letters_on_topic(mesh, event.id) >= 2,
        timeout_s=60,
        what=f"the event's second letter on {TOPIC}",
    )
    eventually_sync(
        lambda: mesh.group_caught_up("debrief", (TOPIC,)),
        timeout_s=60,
        what=f"debrief to consume {TOPIC}",
    )
    assert len(_recorded(mesh, event.id)) == 1
    assert mesh.sql("select count(*) from dead_letters where event_id = %s", event.id) == [(1,)]
