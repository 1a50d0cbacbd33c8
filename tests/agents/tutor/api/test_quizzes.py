"""Quizzes over the tutor's routes: five questions of a module, one at a time, the first answer
counts, right or wrong shown only after answering, `quiz.completed` once at the end."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from learnflow.curriculum import load_catalog
from learnflow.events import QuizCompleted
from learnflow.testing import FakeSidecar
from tutor_agent.quiz import completed_event_id, parse_choice

MAYA = "7a1d9a52-2f0e-4a53-8d52-6f1f4e0f3b10"


@pytest.fixture(autouse=True)
def real_curriculum(app: FastAPI) -> None:
    app.state.tutor_catalog = load_catalog()


def answer_key(question_id: str) -> int:
    return next(q.answer for q in load_catalog().quiz_questions if q.id == question_id)


async def start(client: httpx.AsyncClient, topic: str = "for loops") -> dict[str, object]:
    response = await client.post(
        "/quizzes", json={"user_id": MAYA, "topic": topic, "quiz_id": "qz-1"}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_quiz_has_five_questions_of_the_module_without_answers(
    client: httpx.AsyncClient,
) -> None:
    view = await start(client)
    assert (view["topic"], view["total"], view["answered"]) == ("control-flow", 5, 0)
    question = view["question"]
    assert isinstance(question, dict)
    assert question["number"] == 1 and len(question["choices"]) >= 2
    assert "answer" not in question and "explanation" not in question
    again = await start(client)  # a retried start: the same quiz
    assert again == view


async def test_four_of_five_then_the_result_event_once(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    view = await start(client)
    question = view["question"]
    outcomes = []
    for n in range(5):
        assert isinstance(question, dict)
        right = answer_key(str(question["id"]))
        choice = right if n < 4 else (right + 1) % len(question["choices"])
        reply = await client.post(
            "/quizzes/qz-1/answers",
            json={"user_id": MAYA, "question_id": question["id"], "choice": choice},
        )
        assert reply.status_code == 200, reply.text
        outcomes.append(reply.json())
        question = reply.json()["next_question"]
    assert [o["correct"] for o in outcomes] == [True, True, True, True, False]
    assert outcomes[-1]["result"]["score"] == 4 and outcomes[-1]["explanation"]
    [event] = sidecar.events("quiz.completed")
    assert isinstance(event, QuizCompleted)
    assert (event.score, event.total, event.user_id) == (4, 5, MAYA)
    assert event.id == completed_event_id("qz-1")


async def test_the_first_answer_counts(client: httpx.AsyncClient, sidecar: FakeSidecar) -> None:
    view = await start(client)
    question = view["question"]
    assert isinstance(question, dict)
    wrong = (answer_key(str(question["id"])) + 1) % len(question["choices"])
    body = {"user_id": MAYA, "question_id": question["id"], "choice": wrong}
    first = await client.post("/quizzes/qz-1/answers", json=body)
    retry = await client.post("/quizzes/qz-1/answers", json=body)
    changed = await client.post(
        "/quizzes/qz-1/answers", json={**body, "choice": answer_key(str(question["id"]))}
    )
    assert first.json()["correct"] is False
    assert retry.json() == first.json()  # the same answer again: the same outcome
    assert changed.status_code == 409
    assert "first answer counts" in changed.json()["message"]
    view_now = await client.get("/quizzes/qz-1", params={"user_id": MAYA})
    assert view_now.json()["score"] == 0 and view_now.json()["answered"] == 1


async def test_questions_not_asked_and_other_learners_are_refused(
    client: httpx.AsyncClient,
) -> None:
    view = await start(client)
    later = next(
        q.id
        for q in load_catalog().quiz("control-flow").questions
        if q.id != view["question"]["id"]  # type: ignore[index]
    )
    ahead = await client.post(
        "/quizzes/qz-1/answers", json={"user_id": MAYA, "question_id": later, "choice": 0}
    )
    stranger = await client.post(
        "/quizzes/qz-1/answers",
        json={"user_id": "someone-else", "question_id": later, "choice": 0},
    )
    missing = await client.post(
        "/quizzes/nope/answers", json={"user_id": MAYA, "question_id": later, "choice": 0}
    )
    unknown_topic = await client.post("/quizzes", json={"user_id": MAYA, "topic": "knitting"})
    assert ahead.status_code in (409, 422), ahead.text
    assert stranger.status_code == 403
    assert missing.status_code == 404
    assert unknown_topic.status_code == 422 and "Control Flow" in unknown_topic.json()["message"]


@pytest.mark.parametrize(
    ("text", "choice"), [("A", 0), ("b", 1), ("2", 1), ("(c)", 2), ("d)", 3), ("e", None)]
)
def test_a_bare_answer_is_read_as_a_choice(text: str, choice: int | None) -> None:
    assert parse_choice(text) == choice
