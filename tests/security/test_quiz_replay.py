"""Quiz answers cannot be retried until right (issue 11, medium finding).

The probe answered a quiz question again and again until it was marked right. On the real
stack, through the edge API: the first answer to each question counts; a second, different
answer is refused (409) and changes nothing; the same answer again replays the first outcome;
answers raced at once keep exactly one; another learner cannot answer someone's quiz; and the
recorded attempt (what mastery is computed from) holds the first answers.
"""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import httpx
import pytest

from tests.integration.harness import Mesh
from tests.security.helpers import edge, person, post
from tests.waiting import eventually

pytestmark = pytest.mark.integration


async def _read(
    http: httpx.AsyncClient, mesh: Mesh, quiz_id: str, bearer: dict[str, str]
) -> dict[str, Any]:
    answer = await http.get(edge(mesh, f"quizzes/{quiz_id}"), headers=bearer)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_the_first_answer_counts_and_retries_change_nothing(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    learner, other = person(mesh), person(mesh)
    quiz_id = f"sec-{uuid.uuid4().hex[:12]}"
    started = await post(http, mesh, "quizzes", learner, {"topic": "for loops", "quiz_id": quiz_id})
    assert started.status_code == 200, started.text
    first = started.json()["question"]
    assert "answer" not in first  # the right choice is never shown before answering

    # a wrong first answer (whichever choice is not right, learned only by answering)
    wrong = await post(
        http, mesh, f"quizzes/{quiz_id}/answers", learner, {"question_id": first["id"], "choice": 0}
    )
    assert wrong.status_code == 200, wrong.text
    outcome = wrong.json()
    right_choice = outcome["correct_choice"]
    first_correct = outcome["correct"]
    score_after_first = outcome["score"]

    if not first_correct:
        retry = await post(
            http,
            mesh,
            f"quizzes/{quiz_id}/answers",
            learner,
            {"question_id": first["id"], "choice": right_choice},
        )
        assert retry.status_code == 409, retry.text
        assert "first answer counts" in retry.json()["message"]
    same_again = await post(
        http, mesh, f"quizzes/{quiz_id}/answers", learner, {"question_id": first["id"], "choice": 0}
    )
    assert same_again.status_code == 200  # a network retry of the same answer replays it
    assert same_again.json()["correct"] == first_correct
    assert (await _read(http, mesh, quiz_id, learner.bearer))["score"] == score_after_first

    # another learner may neither read nor answer it
    second = (await _read(http, mesh, quiz_id, learner.bearer))["question"]
    stranger = await post(
        http, mesh, f"quizzes/{quiz_id}/answers", other, {"question_id": second["id"], "choice": 1}
    )
    assert stranger.status_code in (403, 404), stranger.text
    assert (await http.get(edge(mesh, f"quizzes/{quiz_id}"), headers=other.bearer)).status_code in (
        403,
        404,
    )

    # four different answers to the second question at once: exactly one is kept
    statuses: list[int] = []

    async def answer(choice: int) -> None:
        reply = await post(
            http,
            mesh,
            f"quizzes/{quiz_id}/answers",
            learner,
            {"question_id": second["id"], "choice": choice},
        )
        statuses.append(reply.status_code)

    async with anyio.create_task_group() as group:
        for choice in range(len(second["choices"])):
            group.start_soon(answer, choice)
    assert sorted(statuses).count(200) == 1, statuses
    assert all(s in (200, 409) for s in statuses), statuses
    state = await _read(http, mesh, quiz_id, learner.bearer)
    assert state["answered"] == 2

    # finish the quiz with the first choice each time; the attempt holds the first answers
    while (question := state["question"]) is not None:
        reply = await post(
            http,
            mesh,
            f"quizzes/{quiz_id}/answers",
            learner,
            {"question_id": question["id"], "choice": 0},
        )
        assert reply.status_code == 200, reply.text
        state = await _read(http, mesh, quiz_id, learner.bearer)
    final_score = state["result"]["score"]

    def recorded() -> list[tuple[int, int]]:
        return [
            (int(score), int(total))
            for score, total in mesh.sql(
                "select score, total from quiz_attempts where quiz_id = %s and student_id = %s",
                quiz_id,
                learner.id,
            )
        ]

    async def attempt() -> list[tuple[int, int]]:
        return recorded()

    assert await eventually(attempt, timeout_s=60, what="the quiz attempt recorded") == [
        (final_score, state["total"])
    ]
