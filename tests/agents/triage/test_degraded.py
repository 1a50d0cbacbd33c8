"""Degrade, don't fail: with a specialist unavailable, chat still answers (naming what is down,
from the course notes where they cover the question) and is not remembered, so the same message
id gets the full answer later; run and submit answer 503 + Retry-After in plain words."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import uuid4

import httpx

from learnflow.db.models import Role
from tests.agents.triage.fakes import FakeDapr
from tests.agents.triage.harness import Chat, bearer, serve_triage

MAYA = uuid4()
DOWN = httpx.Response(500, json={"errorCode": "ERR_DIRECT_INVOKE", "message": "connection refused"})


def headers() -> dict[str, str]:
    return bearer(MAYA, Role.STUDENT)  # tokens need the test secret: built inside a test


async def test_a_concept_question_with_concepts_down_is_answered_from_the_course_notes(
    chat: Chat,
) -> None:
    chat.dapr.answers[("concepts", "respond")] = DOWN
    body = {"message": "How do for loops work in Python?", "message_id": "m-1"}

    response = await chat.client.post("/chat", json=body, headers=headers())

    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["unavailable"] == ["concepts"] and reply["routed_to"] == "concepts"
    assert reply["reply"].startswith("The concepts tutor is unavailable right now")
    assert "for" in reply["reply"] and "```python" in reply["reply"]  # a lesson and its example
    assert reply["sources"] == ["control-flow.for-loops"]
    assert reply["model"] is None  # triage's own words about the outage, no model's
    # the learner asked: routed is announced; no answer was given by the specialist
    assert [topic for topic, _ in chat.dapr.published] == ["learning.routed"]
    session = reply["session_id"]
    assert f"conversation:{session}" not in chat.dapr.state  # not remembered

    chat.dapr.answer("concepts", "respond", {"reply": "(concepts) for loops...", "sources": []})
    again = await chat.client.post("/chat", json={**body, "session_id": session}, headers=headers())

    assert again.json()["reply"] == "(concepts) for loops..." and again.json()["unavailable"] == []
    topics = [topic for topic, _ in chat.dapr.published]
    assert topics.count("learning.routed") == 2 and topics.count("learning.response") == 1
    routed_ids = {data["id"] for topic, data in chat.dapr.published if topic == "learning.routed"}
    assert len(routed_ids) == 1  # the same message: the same event id, deduped downstream


async def test_a_question_the_notes_do_not_cover_says_what_is_unavailable(chat: Chat) -> None:
    chat.dapr.answers[("tutor", "respond")] = DOWN
    response = await chat.client.post(
        "/chat", json={"message": "Give me an easy exercise on lists"}, headers=headers()
    )
    reply = response.json()
    assert response.status_code == 200
    assert reply["unavailable"] == ["tutor"]
    assert reply["reply"].startswith(
        "The exercise tutor (exercises, hints and grading) is unavailable right now"
    )


async def test_one_specialist_down_does_not_affect_the_others(chat: Chat) -> None:
    chat.dapr.answers[("tutor", "respond")] = DOWN
    response = await chat.client.post(
        "/chat", json={"message": "What is a dictionary in Python?"}, headers=headers()
    )
    assert response.json()["routed_to"] == "concepts"
    assert response.json()["unavailable"] == []


async def test_run_and_submit_with_their_app_down_are_503_in_plain_words(chat: Chat) -> None:
    chat.dapr.answers[("code-runner", "run")] = DOWN
    chat.dapr.answers[("tutor", "grade")] = DOWN

    run = await chat.client.post("/code/run", json={"code": "print(1)"}, headers=headers())
    submit = await chat.client.post(
        "/exercises/control-flow.fizzbuzz/submit", json={"code": "x = 1"}, headers=headers()
    )

    assert run.status_code == 503 and run.headers["retry-after"] == "10"
    assert run.json()["message"] == (
        "Running code is unavailable right now, so your code was not run. Nothing was lost: "
        "try again in a minute."
    )
    assert submit.status_code == 503
    assert "so your code was not graded" in submit.json()["message"]
    assert "connection refused" not in submit.text  # no internals reach the learner


async def test_a_submission_the_tutor_cannot_grade_says_what_is_down(chat: Chat) -> None:
    """The tutor answers 424 when the code runner is down (its own breaker stays closed); the
    learner gets a 503 with the tutor's plain words and its Retry-After."""
    chat.dapr.answers[("tutor", "grade")] = httpx.Response(
        424,
        json={
            "error": "failed_dependency",
            "message": "Running code is unavailable right now, so your code was not graded.",
            "dependency": "code-runner",
        },
        headers={"retry-after": "10"},
    )
    submit = await chat.client.post(
        "/exercises/control-flow.fizzbuzz/submit", json={"code": "x = 1"}, headers=headers()
    )
    assert submit.status_code == 503 and submit.headers["retry-after"] == "10"
    assert submit.json()["message"] == (
        "Running code is unavailable right now, so your code was not graded."
    )


def _failed_dependency(dependency: str, message: str) -> httpx.Response:
    """What daprd hands back when the app answered 424 (`FailedDependency`): the guard carries
    it as 200 + x-learnflow-status, so Dapr's breaker for the (healthy) app stays closed."""
    return httpx.Response(
        200,
        json={"error": "failed_dependency", "message": message, "dependency": dependency},
        headers={"x-learnflow-status": "424", "retry-after": "10"},
    )


async def test_a_chat_the_tutor_cannot_serve_names_the_app_actually_down(chat: Chat) -> None:
    """The tutor is up but its code runner is not: the reply names running code, not the
    tutor, and the turn is not remembered."""
    chat.dapr.answers[("tutor", "respond")] = _failed_dependency(
        "code-runner", "Running code is unavailable right now."
    )
    response = await chat.client.post(
        "/chat", json={"message": "Give me an easy exercise on lists"}, headers=headers()
    )
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["unavailable"] == ["code-runner"] and reply["routed_to"] == "tutor"
    assert reply["reply"].startswith("Running code is unavailable right now")
    assert f"conversation:{reply['session_id']}" not in chat.dapr.state


async def test_a_submission_whose_424_travels_in_the_header_is_a_503_naming_it(
    chat: Chat,
) -> None:
    chat.dapr.answers[("tutor", "grade")] = _failed_dependency(
        "code-runner", "Running code is unavailable right now, so your code was not graded."
    )
    submit = await chat.client.post(
        "/exercises/control-flow.fizzbuzz/submit", json={"code": "x = 1"}, headers=headers()
    )
    assert submit.status_code == 503 and submit.headers["retry-after"] == "10"
    assert submit.json()["message"].startswith("Running code is unavailable right now")


async def test_a_quiz_with_the_tutor_down_gets_the_degraded_reply(chat: Chat) -> None:
    chat.dapr.answers[("tutor", "quizzes")] = DOWN
    response = await chat.client.post(
        "/chat", json={"message": "Quiz me on for loops"}, headers=headers()
    )
    assert response.status_code == 200, response.text
    assert response.json()["unavailable"] == ["tutor"]
    assert response.json()["reply"].startswith("The exercise tutor")


async def test_a_hung_specialist_is_named_within_the_invoke_timeout() -> None:
    """Not dead but not answering (a stopped process, a stuck model call): the learner gets the
    degraded reply once triage's invoke timeout passes, not an error and not a longer wait."""

    async def hung(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(30)

    async with serve_triage(FakeDapr(apps={"concepts": hung}), timeout_s=0.5) as client:
        started = time.monotonic()
        response = await client.post(
            "/chat", json={"message": "What is a dictionary in Python?"}, headers=headers()
        )
        took = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.json()["unavailable"] == ["concepts"]
    assert response.json()["reply"].startswith("The concepts tutor is unavailable right now")
    assert took < 5  # the 0.5 s timeout, plus the course-notes lookup on a busy machine
