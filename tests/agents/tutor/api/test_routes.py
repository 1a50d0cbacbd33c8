"""The tutor's routes over ASGI, with the scripted sidecar: /respond, /exercises/recommend,
/grade (events with deterministic ids, idempotent retries) and clear 4xx answers."""

from __future__ import annotations

import httpx
import pytest

from learnflow.errors import DependencyFailed, Unavailable
from learnflow.events import CodeSubmitted, ExerciseGraded
from learnflow.sidecar import UpstreamRejected
from learnflow.testing import FakeSidecar, failing
from tests.agents.tutor.sample_curriculum import SUM_EVENS, WORD_COUNT
from tutor_agent.models import MAX_CODE_CHARS
from tutor_agent.service import event_id
from tutor_agent.state import TutorState

MY_CODE = "def sum_of_evens(numbers):\n    return sum(numbers)\n"


def respond_body(message: str, intent: str, **extra: object) -> dict[str, object]:
    return {"message": message, "session_id": "s-9", "message_id": "m-1", "intent": intent, **extra}


async def test_respond_answers_a_specialist_request(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    response = await client.post(
        "/respond", json=respond_body("an easy exercise on loops", "exercise_request")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert SUM_EVENS.title in body["reply"] and body["sources"] == [SUM_EVENS.id]
    assert body["follow_up"]
    assert body["model"] == "offline"
    stored, _ = sidecar.state["tutor:s-9"]
    assert TutorState.model_validate(stored).current_exercise == SUM_EVENS.id


async def test_a_graded_chat_submission_publishes_once_per_message(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    await client.post("/respond", json=respond_body(f"do {SUM_EVENS.id}", "exercise_request"))
    sidecar.runner = failing("sum_of_evens([1, 2]) should be 2, but got 3")
    body = respond_body("submit", "submission", code=MY_CODE, message_id="m-2")
    for _ in range(2):  # triage retries the same message
        assert (await client.post("/respond", json=body)).status_code == 200
    graded = sidecar.events("exercise.graded")
    assert len(graded) == 2 and graded[0].id == graded[1].id
    assert isinstance(graded[0], ExerciseGraded) and graded[0].topic_id == "loops"
    stored, _ = sidecar.state["tutor:s-9"]
    assert TutorState.model_validate(stored).exercises[SUM_EVENS.id].attempts == 1


async def test_recommend_lists_public_exercises_for_the_level(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/exercises/recommend", json={"topic": "loops", "mastery": {"loops": 80}, "count": 2}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["level"] == "Proficient" and body["difficulties"] == ["medium", "hard"]
    assert [e["difficulty"] for e in body["exercises"]] == ["medium", "hard"]
    assert all("solution" not in e and "tests" not in e for e in body["exercises"])


async def test_recommend_puts_what_the_session_did_last(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    await client.post("/respond", json=respond_body(f"do {SUM_EVENS.id}", "exercise_request"))
    body = (
        await client.post("/exercises/recommend", json={"topic": "loops", "session_id": "s-9"})
    ).json()
    assert body["exercises"][0]["id"] != SUM_EVENS.id


async def test_grade_runs_the_tests_reviews_and_publishes_with_a_deterministic_id(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    sidecar.runner = failing("sum_of_evens([1, 2, 3, 4]) should be 6, but got 10")
    request = {"exercise_id": SUM_EVENS.id, "code": MY_CODE, "session_id": "s-1", "user_id": "u-1"}
    first = await client.post("/grade", json=request)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["status"], body["passed"], body["tests_passed"], body["tests_total"]) == (
        "fail",
        False,
        1,
        2,
    )
    assert "should be 6, but got 10" in body["explanation"]
    assert body["tests"][0] == {
        "name": "basic",
        "status": "fail",
        "explanation": "sum_of_evens([1, 2, 3, 4]) should be 6, but got 10.",
    }
    assert 0 <= body["review"]["score"] <= 100
    assert body["event_id"] == event_id("exercise.graded", body["submission_id"])
    # the runner's code.executed will carry the same submission id
    sent = sidecar.invocations[0].body
    assert (sent["submission_id"], sent["user_id"], sent["exercise_id"]) == (
        body["submission_id"],
        "u-1",
        SUM_EVENS.id,
    )

    again = (await client.post("/grade", json=request)).json()
    assert again["submission_id"] == body["submission_id"]
    submitted, graded = sidecar.events("code.submitted"), sidecar.events("exercise.graded")
    assert [e.id for e in graded] == [body["event_id"]] * 2
    assert len({e.id for e in submitted}) == 1 and isinstance(submitted[0], CodeSubmitted)
    event = graded[0]
    assert isinstance(event, ExerciseGraded)
    assert (event.user_id, event.session_id, event.exercise_id, event.passed) == (
        "u-1",
        "s-1",
        SUM_EVENS.id,
        False,
    )
    assert event.code_quality == body["review"]["score"]
    stored, _ = sidecar.state["tutor:s-1"]
    assert TutorState.model_validate(stored).exercises[SUM_EVENS.id].attempts == 1


async def test_a_given_submission_id_is_the_idempotency_key(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    request = {"exercise_id": WORD_COUNT.id, "code": "x = 1\n", "submission_id": "sub-42"}
    body = (await client.post("/grade", json=request)).json()
    assert body["submission_id"] == "sub-42"
    assert sidecar.events("exercise.graded")[0].id == event_id("exercise.graded", "sub-42")


@pytest.mark.parametrize(
    ("request_body", "status", "message"),
    [
        ({"exercise_id": "loops.nope", "code": MY_CODE}, 404, "no exercise 'loops.nope'"),
        ({"exercise_id": SUM_EVENS.id, "code": "   \n"}, 422, "code is empty"),
        ({"exercise_id": SUM_EVENS.id, "code": "x" * (MAX_CODE_CHARS + 1)}, 413, "the limit is"),
        ({"exercise_id": SUM_EVENS.id}, 422, "code"),
        ({"exercise_id": "", "code": MY_CODE}, 422, "exercise_id"),
    ],
)
async def test_grade_rejects_bad_requests_clearly(
    client: httpx.AsyncClient,
    sidecar: FakeSidecar,
    request_body: dict[str, object],
    status: int,
    message: str,
) -> None:
    response = await client.post("/grade", json=request_body)
    assert response.status_code == status, response.text
    assert message in response.json()["message"]
    assert sidecar.invocations == [] and sidecar.published == []


async def test_code_the_runner_refuses_comes_back_as_its_4xx(
    client: httpx.AsyncClient, sidecar: FakeSidecar
) -> None:
    def refuse(body: dict[str, object]) -> dict[str, object]:
        raise UpstreamRejected("not run: the code has a NUL byte", 422, "code-runner")

    sidecar.runner = refuse
    response = await client.post("/grade", json={"exercise_id": SUM_EVENS.id, "code": MY_CODE})
    assert response.status_code == 422
    assert "NUL byte" in response.json()["message"]
    assert sidecar.published == []


async def test_respond_validates_its_contract(client: httpx.AsyncClient) -> None:
    response = await client.post("/respond", json={"message": "", "intent": "code_help"})
    assert response.status_code == 422
    assert "session_id" in response.json()["message"]


async def test_recommend_rejects_an_unknown_difficulty(client: httpx.AsyncClient) -> None:
    response = await client.post("/exercises/recommend", json={"difficulty": "insane"})
    assert response.status_code == 422 and "difficulty" in response.json()["message"]


@pytest.mark.parametrize(
    ("runner_error", "says"),
    [
        (
            DependencyFailed("code-runner failed on tests with HTTP 500", "code-runner"),
            "Running code is unavailable right now, so your code was not graded",
        ),
        (  # the runner answered 503 itself (its database is away): its words are passed on
            Unavailable("LearnFlow's database is unavailable for the moment", "postgresql"),
            "LearnFlow's database is unavailable for the moment",
        ),
    ],
)
async def test_grading_with_the_code_runner_down_is_a_424_queuing_nothing(
    client: httpx.AsyncClient,
    sidecar: FakeSidecar,
    runner_error: Exception,
    says: str,
) -> None:
    def down(body: dict[str, object]) -> dict[str, object]:
        raise runner_error

    sidecar.runner = down
    response = await client.post(
        "/grade", json={"exercise_id": SUM_EVENS.id, "code": MY_CODE, "user_id": "u-1"}
    )

    # 424, not a 5xx: triage's circuit breaker for the (healthy) tutor stays closed
    assert response.status_code == 424
    assert response.json()["error"] == "failed_dependency"
    assert response.json()["message"].startswith(says)
    assert response.headers["retry-after"]
    assert sidecar.published == []
