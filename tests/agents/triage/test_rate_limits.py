"""Per-learner rate limits through the `RateLimitBucket` actor, triage on the fake daprd: the
quota dependency calls the actor through triage's sidecar, the fake sends the call to the
hosting triage's actor routes one at a time per actor id (as daprd does), the actor keeps its
bucket in the fake's actor state."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from uuid import uuid4

import anyio
import httpx
import pytest_asyncio

from learnflow.db.models import Role
from tests.agents.triage.fakes import FakeDapr
from tests.agents.triage.harness import app_settings, bearer, serve_triage
from triage_agent.bucket_actor import ACTOR_TYPE, EXPIRY_MARGIN_S, STATE

BURST, PER_MINUTE = 3, 0.5  # no token comes back during a test (one every 120 s)
LIMITED = app_settings(app_id="triage", limit_chat_burst=BURST, limit_chat_per_minute=PER_MINUTE)


def fake_dapr() -> FakeDapr:
    dapr = FakeDapr()
    for agent in ("concepts", "tutor", "debrief"):
        dapr.answer(agent, "respond", {"reply": f"({agent}) ok", "sources": []})
    return dapr


@pytest_asyncio.fixture
async def dapr() -> FakeDapr:
    return fake_dapr()


@pytest_asyncio.fixture
async def triage(dapr: FakeDapr) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_triage(dapr, settings=LIMITED, actors=True) as client:
        yield client


async def chat(client: httpx.AsyncClient, who: dict[str, str], n: int = 0) -> httpx.Response:
    return await client.post("/chat", json={"message": f"What is a list? {n}"}, headers=who)


async def test_past_the_burst_chat_is_429_with_retry_after(
    triage: httpx.AsyncClient, dapr: FakeDapr
) -> None:
    maya = uuid4()
    for n in range(BURST):
        answer = await chat(triage, bearer(maya, Role.STUDENT), n)
        assert answer.status_code == 200, answer.text

    refused = await chat(triage, bearer(maya, Role.STUDENT))

    assert refused.status_code == 429, refused.text
    assert refused.headers["retry-after"] == "120"
    assert refused.json()["error"] == "rate_limited"
    assert refused.json()["message"] == (
        "You are sending messages faster than 0.5 a minute: wait 120 s and try again"
    )
    # the bucket is the actor's state, set to expire once it would be full again
    value, ttl = dapr.actor_state[(ACTOR_TYPE, f"chat:{maya}", STATE)]
    assert value["tokens"] < 1  # (plus what refilled while the test ran)
    assert ttl == math.ceil(BURST / (PER_MINUTE / 60)) + EXPIRY_MARGIN_S
    # per learner: somebody else chats on
    other = await chat(triage, bearer(uuid4(), Role.STUDENT))
    assert other.status_code == 200, other.text


async def test_a_burst_sent_at_once_gets_exactly_the_burst_through(
    triage: httpx.AsyncClient,
) -> None:
    """Turn-based concurrency stands in for the row lock: concurrent requests never both take
    the last token."""
    who = bearer(uuid4(), Role.STUDENT)
    statuses: list[int] = []

    async def ask(n: int) -> None:
        statuses.append((await chat(triage, who, n)).status_code)

    async with anyio.create_task_group() as group:
        for n in range(3 * BURST):
            group.start_soon(ask, n)

    assert sorted(statuses) == [200] * BURST + [429] * (2 * BURST)


async def test_two_triage_replicas_share_one_bucket_per_learner(dapr: FakeDapr) -> None:
    """Both replicas' sidecars reach the one actor (hosted by the first): a learner whose
    requests are spread over them gets one burst in all, not one per replica."""
    who = bearer(uuid4(), Role.STUDENT)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(serve_triage(dapr, settings=LIMITED, actors=True))
        second = await stack.enter_async_context(serve_triage(dapr, settings=LIMITED, actors=True))
        statuses = [(await chat((first, second)[n % 2], who, n)).status_code for n in range(6)]
    assert statuses == [200, 200, 200, 429, 429, 429]


async def test_each_action_has_its_own_bucket(triage: httpx.AsyncClient, dapr: FakeDapr) -> None:
    maya = bearer(uuid4(), Role.STUDENT)
    dapr.answer("code-runner", "run", {"stdout": "hello\n", "stderr": "", "exit_code": 0})
    for n in range(BURST):
        assert (await chat(triage, maya, n)).status_code == 200
    assert (await chat(triage, maya)).status_code == 429
    # a code run spends a "run" token, not a chat one
    run = await triage.post("/code/run", json={"code": "print('hello')"}, headers=maya)
    assert run.status_code == 200, run.text


async def test_triage_without_its_actors_has_no_rate_limits() -> None:
    """The unit tests' triage without the actors: as before, no buckets at all."""
    dapr = fake_dapr()
    who = bearer(uuid4(), Role.STUDENT)
    async with serve_triage(dapr, settings=LIMITED) as client:
        statuses = [(await chat(client, who, n)).status_code for n in range(BURST + 1)]
    assert statuses == [200] * (BURST + 1)
    assert dapr.actor_calls == 0
