"""`POST /chat` needs a token; the principal is the user in requests and events; a session
belongs to the user who started it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from learnflow.contracts import SpecialistRequest
from learnflow.db.models import Role
from learnflow.events import LearningResponse, LearningRouted
from tests.agents.triage.harness import Chat, bearer

MAYA = uuid4()
JAMES = uuid4()


@pytest.mark.parametrize(
    ("token", "says"),
    [
        pytest.param(None, "Not logged in", id="no-token"),
        pytest.param("nonsense", "not a well-formed JWT", id="garbage"),
        pytest.param("expired", "expired", id="expired"),
    ],
)
async def test_chat_without_a_valid_token_is_401(chat: Chat, token: str | None, says: str) -> None:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    if token == "expired":
        headers = bearer(MAYA, Role.STUDENT, now=datetime.now(UTC) - timedelta(hours=3))
    response = await chat.client.post("/chat", json={"message": "hi"}, headers=headers)
    assert response.status_code == 401
    assert says in response.json()["message"]
    assert chat.dapr.invocations == [] and chat.dapr.published == []


async def test_the_principal_is_the_user_of_the_request_and_the_events(chat: Chat) -> None:
    response = await chat.client.post(
        "/chat",
        json={"message": "How do for loops work in Python?"},
        headers=bearer(MAYA, Role.STUDENT),
    )

    assert response.status_code == 200, response.text
    (call,) = chat.dapr.invocations
    assert SpecialistRequest.model_validate(call.body).user_id == str(MAYA)
    events = chat.dapr.events()
    assert {type(e) for e in events} == {LearningRouted, LearningResponse}
    assert all(e.user_id == str(MAYA) for e in events)
    routed = chat.dapr.events("learning.routed")[0]
    assert isinstance(routed, LearningRouted) and routed.says_confused is False
    stored = chat.dapr.state[f"conversation:{response.json()['session_id']}"][0]
    assert stored["user_id"] == str(MAYA)


async def test_im_stuck_is_flagged_on_learning_routed(chat: Chat) -> None:
    await chat.client.post(
        "/chat",
        json={"message": "I'm stuck, I don't understand this loop at all"},
        headers=bearer(JAMES, Role.STUDENT),
    )
    routed = chat.dapr.events("learning.routed")[0]
    assert isinstance(routed, LearningRouted) and routed.says_confused is True


async def test_a_session_belongs_to_the_user_who_started_it(chat: Chat) -> None:
    first = await chat.client.post(
        "/chat", json={"message": "what is a list?"}, headers=bearer(MAYA, Role.STUDENT)
    )
    session_id = first.json()["session_id"]

    mine = await chat.client.post(
        "/chat",
        json={"message": "and a tuple?", "session_id": session_id},
        headers=bearer(MAYA, Role.STUDENT),
    )
    theirs = await chat.client.post(
        "/chat",
        json={"message": "hello", "session_id": session_id, "message_id": "m-1"},
        headers=bearer(JAMES, Role.STUDENT),
    )

    assert mine.status_code == 200
    assert theirs.status_code == 403
    assert "belongs to another user" in theirs.json()["message"]
    stored = chat.dapr.state[f"conversation:{session_id}"][0]
    assert len(stored["turns"]) == 2


async def test_a_retried_message_is_answered_from_memory(chat: Chat) -> None:
    body = {"message": "what is a set?", "session_id": "s-retry", "message_id": "m-1"}
    first = await chat.client.post("/chat", json=body, headers=bearer(MAYA, Role.STUDENT))
    second = await chat.client.post("/chat", json=body, headers=bearer(MAYA, Role.STUDENT))
    assert first.json() == second.json()
    assert len(chat.dapr.invocations) == 1
    # announced again with the same ids: consumers dedupe
    ids = [e.id for e in chat.dapr.events()]
    assert len(ids) == 4 and len(set(ids)) == 2
