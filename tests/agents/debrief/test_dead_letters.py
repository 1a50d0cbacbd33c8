"""The dead-letter watcher: each `<topic>.dlq` letter recorded once with a WARNING (no payload),
an unreadable one dropped (never retried), and the record shown to admins only."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from debrief_agent.dead_letters import read_letter, redact, watch
from learnflow.db.models import Role
from learnflow.events import to_wire
from tests.agents.debrief.harness import Debrief
from tests.dead_letters import failed_run
from tests.learnflow.db.factories import make_user

SECRET_CODE = "password = 'hunter2'"


def _event(user_id: str | None = None) -> dict[str, Any]:
    """The CloudEvent daprd delivered to debrief for a run (as it lands on the dead letter)."""
    run = failed_run(user_id or str(uuid.uuid4()), code=SECRET_CODE)
    return {
        "id": run.id,
        "type": "learnflow.code.executed.v1",
        "source": "code-runner",
        "specversion": "1.0",
        "topic": "code.executed",
        "pubsubname": "pubsub",
        "datacontenttype": "application/json",
        "data": to_wire(run),
    }


def _poison(event: dict[str, Any], reason: str) -> dict[str, Any]:
    """Our poison handling's letter: a CloudEvent daprd wrapped around topic, reason, payload."""
    return {
        "id": str(uuid.uuid4()),
        "type": "com.dapr.event.sent",
        "source": "debrief",
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "data": {"topic": "code.executed", "reason": reason, "payload": json.dumps(event)},
    }


async def _deliver(debrief: Debrief, topic: str, body: bytes | dict[str, Any]) -> str:
    route = "/events/" + topic.replace(".", "-")
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await debrief.client.post(
        route, content=content, headers={"content-type": "application/cloudevents+json"}
    )
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def test_a_poison_letter_is_recorded_once_with_one_warning(
    debrief: Debrief, caplog: pytest.LogCaptureFixture
) -> None:
    event = _event()
    letter = _poison(event, f"there is no LearnFlow user {event['data']['user_id']}")
    caplog.set_level(logging.WARNING, logger="debrief.dead_letters")

    first = await _deliver(debrief, "code.executed.dlq", letter)
    again = await _deliver(debrief, "code.executed.dlq", letter)  # redelivered
    replayed = _poison(event, "there is no LearnFlow user (still)")  # dead-lettered once more
    third = await _deliver(debrief, "code.executed.dlq", replayed)

    assert (first, again, third) == ("SUCCESS", "SUCCESS", "SUCCESS")
    rows = await debrief.sql(
        "select topic, event_id, event_type, event_source, reason, dead_lettered_by"
        " from dead_letters"
    )
    assert rows == [
        (
            "code.executed.dlq",
            event["id"],
            "learnflow.code.executed.v1",
            "code-runner",
            f"there is no LearnFlow user {event['data']['user_id']}",
            "debrief",
        )
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert event["id"] in warnings[0] and "learnflow.code.executed.v1" in warnings[0]
    assert "code.executed.dlq" in warnings[0] and "no LearnFlow user" in warnings[0]
    assert "hunter2" not in caplog.text


async def test_daprds_own_dead_letter_is_the_event_itself_without_a_reason(
    debrief: Debrief,
) -> None:
    event = _event()
    assert await _deliver(debrief, "code.executed.dlq", event) == "SUCCESS"
    rows = await debrief.sql("select event_id, reason, dead_lettered_by from dead_letters")
    assert rows == [(event["id"], None, None)]


@pytest.mark.parametrize(
    "body",
    [b"not json at all", b"[1, 2]", json.dumps({"data": {"no": "id"}}).encode()],
    ids=["not-json", "not-an-object", "no-id-anywhere"],
)
async def test_an_unreadable_letter_is_dropped_not_retried(debrief: Debrief, body: bytes) -> None:
    assert await _deliver(debrief, "quiz.completed.dlq", body) == "DROP"
    assert await debrief.sql("select count(*) from dead_letters") == [(0,)]


async def test_a_letter_whose_payload_is_no_event_is_kept_under_its_own_id(
    debrief: Debrief,
) -> None:
    letter = _poison({}, "Expecting value: line 1 column 1 (char 0)")
    letter["data"]["payload"] = "{not json"
    assert await _deliver(debrief, "code.executed.dlq", letter) == "SUCCESS"
    rows = await debrief.sql("select event_id, reason from dead_letters")
    assert rows == [
        (
            letter["id"],
            "Expecting value: line 1 column 1 (char 0) (its payload is not a JSON CloudEvent)",
        )
    ]


def test_input_values_are_cut_out_of_reasons() -> None:
    reason = (
        "1 validation error for CodeExecuted status Input should be 'ok' or 'error' "
        "[type=literal_error, input_value='hunter2', input_type=str]"
    )
    assert redact(reason) == (
        "1 validation error for CodeExecuted status Input should be 'ok' or 'error' "
        "[type=literal_error, input_value=…, input_type=str]"
    )
    assert redact("… [type=missing, input_value={'code': 'hunter2…") == (
        "… [type=missing, input_value=…"
    )
    event = _event()
    found = read_letter("code.executed.dlq", json.dumps(_poison(event, reason)).encode())
    assert found is not None and found.reason is not None and "hunter2" not in found.reason


class _BrokenPool:
    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        raise OSError("the database is away")
        yield


async def test_a_database_failure_is_retried() -> None:
    raw = json.dumps(_event()).encode()
    assert await watch(_BrokenPool(), "code.executed.dlq", raw) == "RETRY"  # type: ignore[arg-type]


async def test_the_record_is_for_admins_only(debrief: Debrief) -> None:
    await _deliver(debrief, "code.executed.dlq", _event())
    await _deliver(debrief, "code.executed.dlq", _poison(_event(), "refused"))
    await _deliver(debrief, "exercise.assigned.dlq", _event())
    async with debrief.pool.connection() as conn:
        admin = await make_user(conn, Role.ADMIN)

    seen = await debrief.client.get("/ops/dead-letters", headers=debrief.as_user(admin))
    teacher = await debrief.client.get(
        "/ops/dead-letters", headers=debrief.as_user(debrief.school.teacher)
    )
    student = await debrief.client.get(
        "/ops/dead-letters", headers=debrief.as_user(debrief.school.maya)
    )
    nobody = await debrief.client.get("/ops/dead-letters")

    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["total"] == 3
    assert body["counts"] == {"code.executed.dlq": 2, "exercise.assigned.dlq": 1}
    assert len(body["recent"]) == 3 and "payload" not in body["recent"][0]
    assert (teacher.status_code, student.status_code, nobody.status_code) == (403, 403, 401)
    assert "admin role" in teacher.json()["message"]
