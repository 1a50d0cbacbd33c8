"""Every triage route that calls another app answers the same way when that app is down (not
running, behind an open circuit breaker, or not answering in time): 503 + Retry-After and a
plain message naming what is unavailable — like /code/run and /exercises/{id}/submit — while a
4xx the app itself answered still reaches the caller as that 4xx. Runs on the fake daprd
(`fakes.FakeDapr`), not a real mesh."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import httpx
import pytest

from learnflow.db.models import Role
from tests.agents.triage.fakes import FakeDapr
from tests.agents.triage.harness import Chat, bearer, serve_triage

MAYA, TEACHER, CLASS = uuid4(), uuid4(), uuid4()
TUTOR_DOWN = "The exercise tutor (exercises, hints and grading) is unavailable right now"
DEBRIEF_DOWN = "Progress tracking (progress, classes, assignments and notifications) is unavailable"


def refused(app_id: str) -> Any:
    """An ASGI app answering what daprd answers when it cannot invoke `app_id` at all."""
    return _daprd_error(f"fail to invoke, id: {app_id}, err: connection refused")


def breaker_open(app_id: str) -> Any:
    """What daprd answers while its circuit breaker for `app_id` is open."""
    return _daprd_error(f"fail to invoke, id: {app_id}, err: circuit breaker is open")


def _daprd_error(message: str) -> Any:
    async def daprd(scope: Any, receive: Any, send: Any) -> None:
        response = httpx.Response(500, json={"errorCode": "ERR_DIRECT_INVOKE", "message": message})
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": response.content})

    return daprd


def student() -> dict[str, str]:
    return bearer(MAYA, Role.STUDENT)


def teacher() -> dict[str, str]:
    return bearer(TEACHER, Role.TEACHER)


QUIZ_ROUTES = [
    ("POST", "/quizzes", {"topic": "for loops"}, "so your quiz was not started"),
    ("GET", "/quizzes/q-1", None, "so your quiz could not be loaded"),
    (
        "POST",
        "/quizzes/q-1/answers",
        {"question_id": "q1", "choice": 0},
        "so your answer was not recorded",
    ),
]


@pytest.mark.parametrize("down", [refused, breaker_open], ids=["refused", "breaker-open"])
@pytest.mark.parametrize(("verb", "path", "body", "doing"), QUIZ_ROUTES)
async def test_quiz_routes_with_the_tutor_down_are_503_in_plain_words(
    chat: Chat, down: Any, verb: str, path: str, body: Any, doing: str
) -> None:
    chat.dapr.apps["tutor"] = down("tutor")
    response = await chat.client.request(verb, path, json=body, headers=student())

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "10"
    assert response.json()["error"] == "unavailable"
    assert response.json()["dependency"] == "tutor"
    assert response.json()["message"] == (
        f"{TUTOR_DOWN}, {doing}. Nothing was lost: try again in a minute."
    )
    assert "ERR_DIRECT_INVOKE" not in response.text  # no internals reach the learner


TEACHING_ROUTES = [
    ("GET", "/notifications", None, student, "so this could not be loaded"),
    ("GET", "/assignments", None, student, "so this could not be loaded"),
    ("GET", "/progress/me", None, student, "so this could not be loaded"),
    (
        "POST",
        f"/classes/{CLASS}/assignments",
        {"exercise_ids": ["control-flow.fizzbuzz"]},
        teacher,
        "so nothing was changed",
    ),
]


@pytest.mark.parametrize("down", [refused, breaker_open], ids=["refused", "breaker-open"])
@pytest.mark.parametrize(("verb", "path", "body", "who", "doing"), TEACHING_ROUTES)
async def test_teaching_routes_with_debrief_down_are_503_in_plain_words(
    chat: Chat, down: Any, verb: str, path: str, body: Any, who: Any, doing: str
) -> None:
    chat.dapr.apps["debrief"] = down("debrief")
    response = await chat.client.request(verb, path, json=body, headers=who())

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "10"
    assert response.json()["dependency"] == "debrief"
    assert response.json()["message"] == (
        f"{DEBRIEF_DOWN} right now, {doing}. Nothing was lost: try again in a minute."
    )


async def test_a_tutor_that_does_not_answer_in_time_is_503_naming_it() -> None:
    async def hung(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(30)

    async with serve_triage(FakeDapr(apps={"tutor": hung}), timeout_s=0.3) as client:
        response = await client.post("/quizzes", json={"topic": "for loops"}, headers=student())
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "10"
    assert response.json()["message"].startswith(TUTOR_DOWN)


def _problem_in_header(status: int, message: str) -> httpx.Response:
    """An app's own 4xx as it comes back through daprd (the guard: 200 + x-learnflow-status)."""
    return httpx.Response(
        200,
        json={"error": "conflict" if status == 409 else "not_found", "message": message},
        headers={"x-learnflow-status": str(status)},
    )


async def test_a_4xx_the_tutor_answers_is_still_passed_on(chat: Chat) -> None:
    chat.dapr.answers[("tutor", "quizzes/q-1/answers")] = _problem_in_header(
        409, "question q1 was already answered"
    )
    chat.dapr.answers[("tutor", "quizzes/q-2")] = _problem_in_header(404, "no quiz q-2")

    answered = await chat.client.post(
        "/quizzes/q-1/answers", json={"question_id": "q1", "choice": 0}, headers=student()
    )
    missing = await chat.client.get("/quizzes/q-2", headers=student())

    assert answered.status_code == 409 and answered.json()["message"] == (
        "question q1 was already answered"
    )
    assert missing.status_code == 404 and missing.json()["message"] == "no quiz q-2"


async def test_a_4xx_debrief_answers_is_still_passed_on(chat: Chat) -> None:
    chat.dapr.answers[("debrief", f"classes/{CLASS}/assignments")] = _problem_in_header(
        404, "no class with that id"
    )
    response = await chat.client.get(f"/classes/{CLASS}/assignments", headers=teacher())
    assert response.status_code == 404 and response.json()["message"] == "no class with that id"
