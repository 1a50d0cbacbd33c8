"""The concepts app over HTTP: `POST /respond` (from triage) and `POST /explain`.

The real app, the real curriculum and the real offline model; one test swaps in a scripted model
for the LLM path and one a failing endpoint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import openai
import pytest
import pytest_asyncio
from fastapi import FastAPI

from concepts_agent.agent import build_concepts_agent
from concepts_agent.main import create_app
from concepts_agent.offline_policy import OFFLINE_MARKER
from learnflow.llm.offline import Answer, CallTool, OfflineModel
from learnflow.retrieval import lesson_index
from learnflow.settings import Settings
from learnflow.testing import SCRIPTED_MODEL, ScriptedPolicy, on_a_model, scripted_model


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    for name in ("LEARNFLOW_LLM_BASE_URL", "APP_API_TOKEN", "LEARNFLOW_APP_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return create_app(Settings())


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://concepts") as http:
            yield http


def routed(message: str, **extra: Any) -> dict[str, Any]:
    """A SpecialistRequest as triage sends it."""
    return {
        "message": message,
        "session_id": "s-1",
        "message_id": "m-1",
        "intent": "concept_question",
        **extra,
    }


async def test_respond_explains_for_loops_from_the_lesson(client: httpx.AsyncClient) -> None:
    # design.md, acceptance step 2.
    response = await client.post("/respond", json=routed("How do for loops work in Python?"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["sources"][0] == "control-flow.for-loops"
    lesson = lesson_index().lesson("control-flow.for-loops")
    reply = body["reply"]
    assert reply.startswith(OFFLINE_MARKER)
    assert f"### {lesson.title}" in reply
    # grounded: the worked example's code is the lesson's own
    example_code = lesson.worked_example.split("```python\n", 1)[1].split("```", 1)[0]
    assert example_code.strip() in reply
    quiz = [q for q in lesson_index().catalog.quiz_questions if q.lesson == lesson.id]
    expected = quiz[0].prompt.strip() if quiz else "Can you write a short example"
    assert body["follow_up"].startswith(expected)
    assert reply.endswith(body["follow_up"])
    assert body["model"] == "offline"  # the learner is told the offline tutor wrote it


@pytest.mark.parametrize(
    ("question", "lesson_id"),
    [
        ("what is a dictionary", "data-structures.dictionaries"),
        ("how do I catch an exception with try and except", "errors.try-except"),
        ("what is a class", "oop.classes-and-objects"),
    ],
)
async def test_every_source_is_a_real_lesson_the_reply_is_built_from(
    client: httpx.AsyncClient, question: str, lesson_id: str
) -> None:
    body = (await client.post("/respond", json=routed(question))).json()
    assert body["sources"][0] == lesson_id
    assert all(source in lesson_index() for source in body["sources"])
    assert lesson_index().lesson(lesson_id).title in body["reply"]


async def test_respond_with_code_attached_still_searches_the_question(
    client: httpx.AsyncClient,
) -> None:
    code = "names = ['Ana', 'Ben']\nfor i in len(names):\n    print(names[i])\n"
    response = await client.post(
        "/respond", json=routed("why is my for loop not working?", code=code)
    )
    assert response.status_code == 200
    assert response.json()["sources"][0] == "control-flow.for-loops"


async def test_an_off_topic_question_is_not_answered_with_a_guess(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.post("/respond", json=routed("how do I bake sourdough bread"))).json()
    assert body["sources"] == []
    assert body["follow_up"] is None
    assert "I couldn't find a LearnFlow lesson" in body["reply"]


async def test_explain_returns_answer_and_sources_only(client: httpx.AsyncClient) -> None:
    response = await client.post("/explain", json={"question": "what is a dictionery?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"answer", "sources"}
    assert body["sources"][0] == "data-structures.dictionaries"


@pytest.mark.parametrize(
    ("path", "payload", "message"),
    [
        (
            "/respond",
            {"session_id": "s", "message_id": "m", "intent": "x"},
            "message: Field required",
        ),
        ("/respond", routed(""), "message: String should have at least 1 character"),
        ("/respond", routed(" \n\t "), "the question is empty; ask about a Python concept"),
        ("/explain", {}, "question: Field required"),
        (
            "/explain",
            {"question": "   "},
            "question: must not be blank; ask about a Python concept",
        ),
        ("/explain", {"question": "loops", "k": 3}, "k: Extra inputs are not permitted"),
        ("/explain", {"question": "x" * 8001}, "question: String should have at most 8000"),
        ("/explain", {"question": 42}, "question: Input should be a valid string"),
    ],
)
async def test_bad_input_is_a_422_with_a_clear_message(
    client: httpx.AsyncClient, path: str, payload: dict[str, Any], message: str
) -> None:
    response = await client.post(path, json=payload)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert message in response.json()["message"]


async def test_a_body_that_is_not_json_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/explain", content=b"question=loops", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["message"]


async def test_respond_on_the_llm_path_with_a_scripted_model(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    policy = ScriptedPolicy(
        CallTool("search_lessons", {"query": "for loops"}),
        CallTool("read_lesson", {"lesson_id": "control-flow.for-loops"}),
        Answer(
            "A `for` loop visits each item in turn.\n\nSources: control-flow.for-loops\n\n"
            "Check question: What does `for c in 'hi': print(c)` print?"
        ),
    )
    app.state.concepts_agent = build_concepts_agent(model=OfflineModel(policy))
    app.state.settings = on_a_model(app.state.settings)

    body = (await client.post("/respond", json=routed("How do for loops work?"))).json()

    assert body["reply"].startswith("A `for` loop visits each item in turn.")
    assert body["sources"] == ["control-flow.for-loops"]
    assert body["follow_up"] == "What does `for c in 'hi': print(c)` print?"
    assert body["model"] == SCRIPTED_MODEL  # the configured model's name
    assert len(policy.seen) == 3  # search, read, answer


async def test_a_failing_model_endpoint_is_a_502(app: FastAPI, client: httpx.AsyncClient) -> None:
    failure = openai.APIConnectionError(request=httpx.Request("POST", "http://llm.invalid/v1"))
    app.state.concepts_agent = build_concepts_agent(model=scripted_model(failure))

    response = await client.post("/respond", json=routed("How do for loops work?"))

    assert response.status_code == 502
    assert response.json()["error"] == "dependency_failed"
    assert response.json()["dependency"] == "llm"
