"""`POST /chat` holds a message to the app's `max_message_chars`."""

from __future__ import annotations

from uuid import uuid4

from learnflow.db.models import Role
from tests.agents.triage.fakes import FakeDapr
from tests.agents.triage.harness import app_settings, bearer, serve_triage


async def test_a_message_past_the_apps_limit_is_422_saying_the_limit() -> None:
    dapr = FakeDapr()
    for agent in ("concepts", "tutor", "debrief"):
        dapr.answer(agent, "respond", {"reply": f"({agent}) ok", "sources": []})
    settings = app_settings(app_id="triage", max_message_chars=20)
    headers = bearer(uuid4(), Role.STUDENT)
    async with serve_triage(dapr, settings=settings) as client:
        at_limit = await client.post(
            "/chat", json={"message": "What is a for loop??"}, headers=headers
        )
        past = await client.post(
            "/chat", json={"message": "What is a for loop???"}, headers=headers
        )
    assert at_limit.status_code == 200, at_limit.text
    assert past.status_code == 422
    assert past.json() == {
        "error": "invalid_input",
        "message": "message: the message is 21 characters; the limit is 20 — send a shorter "
        "question or only the relevant part of your code",
    }
