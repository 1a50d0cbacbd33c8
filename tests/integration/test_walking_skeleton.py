"""The walking skeleton through the real runtime: daprd, Kafka, PostgreSQL — no fakes."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.integration.harness import Mesh
from tests.waiting import eventually, eventually_sync

pytestmark = pytest.mark.integration

CONCEPT_QUESTION = "How do for loops work in Python?"
MAYA = "maya@learnflow.dev"
DEMO_LOGINS_FILE = "demo-logins.json"  # written by triage when it seeds the demo class


def demo_password(mesh: Mesh, email: str) -> str:
    """The generated password of a seeded demo user, from `<run dir>/demo-logins.json`."""
    logins = json.loads((mesh.settings.run_dir / DEMO_LOGINS_FILE).read_text())
    return str(next(u["password"] for u in logins["users"] if u["email"] == email))


async def login(http: httpx.AsyncClient, mesh: Mesh, email: str = MAYA) -> dict[str, str]:
    """`Authorization` for a demo user, logged in through triage's sidecar (Dapr ingress)."""
    response = await http.post(
        mesh.invoke_url("triage", "triage", "auth/login"),
        json={"email": email, "password": demo_password(mesh, email)},
        headers=mesh.dapr_headers,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _chat(http: httpx.AsyncClient, mesh: Mesh, **body: object) -> httpx.Response:
    """POST /chat as Maya, entering the mesh through triage's own sidecar (Dapr ingress)."""
    return await http.post(
        mesh.invoke_url("triage", "triage", "chat"),
        json=body,
        headers=mesh.dapr_headers | await login(http, mesh),
    )


async def test_chat_is_routed_to_a_specialist_by_service_invocation(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    response = await _chat(http, mesh, message=CONCEPT_QUESTION, session_id=None)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["routed_to"] == "concepts"
    assert body["session_id"]
    assert body["reply"]


async def test_turn_is_saved_in_postgres_and_events_reach_kafka_and_the_subscriber(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    session_id = f"it-{uuid.uuid4()}"
    response = await _chat(http, mesh, message=CONCEPT_QUESTION, session_id=session_id)
    assert response.status_code == 200, response.text
    message_id = response.json()["message_id"]

    # the conversation turn, straight from the Dapr state table in PostgreSQL
    stored = mesh.state_value("triage", f"conversation:{session_id}")
    assert stored is not None, "no conversation row in dapr_state"
    assert [t["message_id"] for t in stored["turns"]] == [message_id]
    assert stored["turns"][0]["message"] == CONCEPT_QUESTION

    # both events, on their Kafka topics, read with a plain Kafka client
    for topic in ("learning.routed", "learning.response"):
        events = eventually_sync(
            lambda t=topic: mesh.kafka_events(t, {"message_id": message_id}),
            timeout_s=30,
            what=f"{topic} on Kafka",
        )
        assert len(events) == 1
        assert events[0]["data"]["session_id"] == session_id  # type: ignore[index]
    routed = mesh.kafka_events("learning.routed", {"message_id": message_id})[0]["data"]
    assert routed["agent"] == "concepts" and routed["version"] == 1  # type: ignore[index]

    # the debrief app received both through its declarative subscription
    async def recorded() -> list[str] | None:
        answer = await http.get(
            mesh.invoke_url("triage", "debrief", f"sessions/{session_id}/activity"),
            headers=mesh.dapr_headers,
        )
        topics = sorted(e["topic"] for e in answer.json()["entries"])
        return topics if len(topics) == 2 else None

    assert await eventually(recorded, what="debrief to record both events") == [
        "learning.response",
        "learning.routed",
    ]


async def test_a_retried_message_is_answered_once(mesh: Mesh, http: httpx.AsyncClient) -> None:
    session_id = f"it-{uuid.uuid4()}"
    body = {"message": CONCEPT_QUESTION, "session_id": session_id, "message_id": "retry-1"}

    first = await _chat(http, mesh, **body)
    second = await _chat(http, mesh, **body)

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    stored = mesh.state_value("triage", f"conversation:{session_id}")
    assert len(stored["turns"]) == 1

    # each event reached Kafka once: the retry queued the same ids in triage's outbox, a no-op
    for topic in ("learning.routed", "learning.response"):
        copies = eventually_sync(
            lambda t=topic: len(mesh.kafka_events(t, {"session_id": session_id})) >= 1,
            what=f"the {topic} event on Kafka",
        )
        assert copies
    # ... and debrief's consumer group has consumed past them
    eventually_sync(
        lambda: mesh.group_caught_up("debrief", ("learning.routed", "learning.response")),
        what="debrief to consume every event",
    )
    for topic in ("learning.routed", "learning.response"):
        assert len(mesh.kafka_events(topic, {"session_id": session_id})) == 1

    answer = await http.get(
        mesh.invoke_url("triage", "debrief", f"sessions/{session_id}/activity"),
        headers=mesh.dapr_headers,
    )
    entries = answer.json()["entries"]
    assert sorted(e["topic"] for e in entries) == ["learning.response", "learning.routed"]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "says"),
    [
        (b"{}", "application/json", 422, "message"),
        (b"this is not json", "application/json", 400, "not valid JSON"),
        (b"[1, 2]", "application/json", 422, "JSON object"),
        (json.dumps({"message": "   "}).encode(), "application/json", 422, "empty"),
        (json.dumps({"message": "x" * 1_000_000}).encode(), "application/json", 413, "limit"),
        (
            json.dumps({"message": "hi", "session_id": "../etc"}).encode(),
            "application/json",
            422,
            "session_id",
        ),
    ],
    ids=["empty-object", "not-json", "array", "blank-message", "1MB-message", "bad-session-id"],
)
async def test_bad_input_gets_a_clear_4xx_and_writes_nothing(
    mesh: Mesh, http: httpx.AsyncClient, content: bytes, content_type: str, status: int, says: str
) -> None:
    before = mesh.sql("SELECT count(*) FROM dapr_state WHERE key LIKE %s", "triage||conversation:%")
    response = await http.post(
        f"{mesh.app_url('triage')}/chat",
        content=content,
        headers={"content-type": content_type} | await login(http, mesh),
    )

    assert response.status_code == status, response.text
    assert says.lower() in response.json()["message"].lower()
    after = mesh.sql("SELECT count(*) FROM dapr_state WHERE key LIKE %s", "triage||conversation:%")
    assert after == before


async def test_chat_needs_a_login(mesh: Mesh, http: httpx.AsyncClient) -> None:
    response = await http.post(
        mesh.invoke_url("triage", "triage", "chat"),
        json={"message": CONCEPT_QUESTION},
        headers=mesh.dapr_headers,
    )
    assert response.status_code == 401
    assert "POST /auth/login" in response.json()["message"]


async def test_the_events_carry_the_logged_in_user(mesh: Mesh, http: httpx.AsyncClient) -> None:
    response = await _chat(http, mesh, message=CONCEPT_QUESTION)
    assert response.status_code == 200, response.text
    message_id = response.json()["message_id"]
    (maya,) = mesh.sql("SELECT id FROM users WHERE email = %s", MAYA)[0]
    routed = eventually_sync(
        lambda: mesh.kafka_events("learning.routed", {"message_id": message_id}),
        timeout_s=30,
        what="learning.routed on Kafka",
    )
    assert routed[0]["data"]["user_id"] == str(maya)  # type: ignore[index]


async def test_internal_routes_refuse_callers_that_are_not_the_sidecar(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    direct = await http.post(
        f"{mesh.app_url('concepts')}/respond",
        json={"message": "hi", "session_id": "s", "message_id": "m", "intent": "x"},
    )
    assert direct.status_code == 401
    assert "sidecar" in direct.json()["message"]
    no_token = await http.post(mesh.invoke_url("triage", "concepts", "respond"), json={})
    assert no_token.status_code == 401


def test_up_twice_is_safe(mesh: Mesh) -> None:
    assert mesh.stack.up() is False
    assert all(row["healthy"] for row in mesh.stack.status())
