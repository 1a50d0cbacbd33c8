"""`POST /respond/stream`: the offline answer streams phrase by phrase and ends with the reply
`POST /respond` gives; bad input keeps its 422; a model failing midway is an `error` event."""

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
from learnflow import sse
from learnflow.llm.offline import Answer, CallTool, OfflineModel, Transcript
from learnflow.settings import Settings
from learnflow.testing import SCRIPTED_MODEL, on_a_model, scripted_model
from tests.agents.concepts.test_respond import routed


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    for name in ("LEARNFLOW_LLM_BASE_URL", "APP_API_TOKEN", "LEARNFLOW_APP_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return create_app(Settings(offline_stream_pause_s=0))


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://concepts") as http:
            yield http


async def stream(client: httpx.AsyncClient, body: dict[str, Any]) -> list[sse.ServerSentEvent]:
    response = await client.post("/respond/stream", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return [event async for event in sse.read(response.aiter_lines())]


async def test_the_answer_streams_in_phrases_and_ends_with_the_reply_of_respond(
    client: httpx.AsyncClient,
) -> None:
    body = routed("How do for loops work in Python?")

    events = await stream(client, body)
    whole = (await client.post("/respond", json=body)).json()

    *deltas, done = events
    assert len(deltas) >= 2 and {e.event for e in deltas} == {"delta"}
    assert done.event == "done"
    assert done.data == {**whole, "agent": "concepts", "model": "offline", "guardrail": None}
    assert "".join(e.data["text"] for e in deltas).strip() == whole["reply"]


async def test_bad_input_is_a_422_not_a_stream(client: httpx.AsyncClient) -> None:
    response = await client.post("/respond/stream", json=routed(" \n\t "))
    assert response.status_code == 422
    assert response.json()["message"] == "the question is empty; ask about a Python concept"


class FailsAfterSearching:
    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        if transcript.result("search_lessons") is None:
            return CallTool("search_lessons", {"query": transcript.user_message})
        raise openai.APIConnectionError(request=httpx.Request("POST", "http://llm.invalid/v1"))


async def test_a_model_failing_midway_is_an_error_event(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    app.state.concepts_agent = build_concepts_agent(model=OfflineModel(FailsAfterSearching()))

    events = await stream(client, routed("How do for loops work?"))

    assert [e.event for e in events] == ["error"]
    assert events[0].data["status"] == 502 and events[0].data["dependency"] == "llm"


async def test_on_a_model_both_routes_name_it(app: FastAPI, client: httpx.AsyncClient) -> None:
    answer = Answer("A `for` loop visits each item.\n\nSources: control-flow.for-loops")
    app.state.concepts_agent = build_concepts_agent(model=scripted_model(answer, answer))
    app.state.settings = on_a_model(app.state.settings)

    *_, done = await stream(client, routed("How do for loops work?"))
    whole = (await client.post("/respond", json=routed("How do for loops work?"))).json()

    assert done.data["model"] == whole["model"] == SCRIPTED_MODEL
