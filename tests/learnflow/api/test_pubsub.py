"""The HTTP side of a pub/sub subscription: each delivery parsed as its topic's event class."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import APIRouter, FastAPI, Request

from learnflow.api.pubsub import add_subscriber, event_route
from learnflow.events import Event, QuizCompleted, to_wire


@dataclass
class DeadLetters:
    """The sidecar's `publish_raw`, as the subscriber uses it for poison messages."""

    sent: list[tuple[str, Any]] = field(default_factory=list)

    async def publish_raw(self, topic: str, body: Any) -> None:
        self.sent.append((topic, body))


@dataclass
class Received:
    quizzes: list[QuizCompleted] = field(default_factory=list)


@pytest_asyncio.fixture
async def app() -> AsyncIterator[tuple[httpx.AsyncClient, Received, DeadLetters]]:
    received, dead = Received(), DeadLetters()

    async def on_quiz(event: QuizCompleted, request: Request) -> None:
        received.quizzes.append(event)  # typed: no isinstance check needed

    router = APIRouter()
    add_subscriber(router, QuizCompleted, on_quiz)
    service = FastAPI()
    service.include_router(router)
    service.state.sidecar = dead
    transport = httpx.ASGITransport(app=service)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        yield client, received, dead


QUIZ = QuizCompleted(quiz_id="basics-quiz", topic_id="basics", score=2, total=3, user_id="u-1")


async def test_a_delivery_reaches_the_handler_as_its_topics_class(
    app: tuple[httpx.AsyncClient, Received, DeadLetters],
) -> None:
    client, received, dead = app

    answer = await client.post(event_route(QuizCompleted.topic), json={"data": to_wire(QUIZ)})

    assert answer.json() == {"status": "SUCCESS"}
    (event,) = received.quizzes
    assert type(event) is QuizCompleted
    assert (event.id, event.score, event.total) == (QUIZ.id, 2, 3)
    assert dead.sent == []


async def test_a_payload_that_breaks_the_contract_is_dead_lettered(
    app: tuple[httpx.AsyncClient, Received, DeadLetters],
) -> None:
    client, received, dead = app
    broken = {**to_wire(QUIZ), "total": 0}

    answer = await client.post(event_route(QuizCompleted.topic), json={"data": broken})

    assert answer.json() == {"status": "SUCCESS"}  # acknowledged: retrying cannot fix it
    assert received.quizzes == []
    ((topic, body),) = dead.sent
    assert topic == "quiz.completed.dlq"
    assert "does not match its contract" in body["reason"]
    assert json.loads(body["payload"]) == {"data": broken}


def test_only_the_registered_class_of_a_topic_can_subscribe() -> None:
    class NotRegistered(Event):
        topic = "quiz.completed"

    async def handler(event: NotRegistered, request: Request) -> None:
        return None

    with pytest.raises(ValueError, match="NotRegistered is not the registered event"):
        add_subscriber(APIRouter(), NotRegistered, handler)
