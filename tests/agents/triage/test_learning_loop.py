"""Triage's learning-loop routes through the real tutor and debrief apps behind the fake
daprd: a quiz in the chat (a bare "B" answers it), chat history and drafts per user, exercise
generation's bad input, and the demo history as events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest_asyncio

from debrief_agent.main import create_app as create_debrief
from learnflow.curriculum import load_catalog
from learnflow.events import ExerciseGraded, QuizCompleted, to_wire
from learnflow.progress.mastery import (
    Components,
    mastery_score,
)
from tests.agents.triage.fakes import FakeDapr
from tests.agents.triage.harness import Mesh, app_settings, triage_settings
from tests.waiting import eventually
from triage_agent import demo_history
from triage_agent.main import create_app as create_triage
from tutor_agent.main import create_app as create_tutor

MAYA, TEACHER = "maya@learnflow.dev", "rodriguez@learnflow.dev"


@pytest_asyncio.fixture
async def loop_mesh(db_url: str, tmp_path: object) -> AsyncIterator[Mesh]:
    run_dir = tmp_path / "run"  # type: ignore[operator]
    triage = create_triage(triage_settings(db_url, run_dir), workflows=False)
    debrief = create_debrief(app_settings(database_url=db_url, app_id="debrief"), tick_every_s=None)
    tutor = create_tutor(app_settings(app_id="tutor"))
    dapr = FakeDapr(apps={"debrief": debrief, "tutor": tutor})
    async with triage.router.lifespan_context(triage), debrief.router.lifespan_context(debrief):
        for app in (triage, debrief, tutor):
            app.state.sidecar = dapr.sidecar()
        tutor.state.events = dapr  # no lifespan, no database: the fake stands in for its outbox
        transport = httpx.ASGITransport(app=triage)
        async with httpx.AsyncClient(transport=transport, base_url="http://triage") as client:
            yield Mesh(triage, debrief, client, dapr, run_dir)


def _key(question_id: str) -> int:
    return next(q.answer for q in load_catalog().quiz_questions if q.id == question_id)


async def test_a_quiz_in_the_chat_is_answered_with_a_bare_letter(loop_mesh: Mesh) -> None:
    headers = await loop_mesh.login(MAYA)
    asked = await loop_mesh.client.post(
        "/chat", json={"message": "Quiz me on for loops"}, headers=headers
    )
    assert asked.status_code == 200, asked.text
    body = asked.json()
    assert body["routed_to"] == "tutor" and body["intent"] == "quiz"
    question = body["quiz"]["question"]
    assert "A) " in body["reply"] and "question 1 of 5" in body["reply"]

    letter = "ABCD"[_key(question["id"])]
    answered = await loop_mesh.client.post(
        "/chat",
        json={"message": letter.lower(), "session_id": body["session_id"]},
        headers=headers,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["intent"] == "quiz_answer"
    assert answered.json()["quiz"]["correct"] is True
    assert "Right" in answered.json()["reply"]
    assert "Question 2 of 5" in answered.json()["reply"]

    history = await loop_mesh.client.get("/chat/history", headers=headers)
    turns = history.json()["turns"]
    assert [t["message"] for t in turns] == ["Quiz me on for loops", letter.lower()]
    assert turns[0]["reply"]["quiz"]["quiz_id"] == body["quiz"]["quiz_id"]
    assert body["model"] is None and turns[0]["reply"]["model"] is None  # no model wrote a quiz


async def test_the_history_says_who_wrote_each_answer(loop_mesh: Mesh) -> None:
    headers = await loop_mesh.login(MAYA)
    asked = await loop_mesh.client.post(
        "/chat", json={"message": "Give me an easy exercise on loops"}, headers=headers
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["routed_to"] == "tutor" and asked.json()["model"] == "offline"

    turns = (await loop_mesh.client.get("/chat/history", headers=headers)).json()["turns"]
    assert turns[-1]["reply"]["model"] == "offline"

    # a reply stored before replies named their author reads as one no model wrote
    async with loop_mesh.triage.state.pool.connection() as conn:
        await conn.execute("update messages set meta = meta - 'model' where meta ? 'model'")
    turns = (await loop_mesh.client.get("/chat/history", headers=headers)).json()["turns"]
    assert turns[-1]["reply"]["model"] is None


async def test_a_bare_letter_without_a_question_is_not_an_answer(loop_mesh: Mesh) -> None:
    headers = await loop_mesh.login(MAYA)
    reply = await loop_mesh.client.post("/chat", json={"message": "B"}, headers=headers)
    assert reply.status_code == 200
    assert reply.json()["intent"] != "quiz_answer"


async def test_quiz_routes_pass_on_the_tutors_refusals(loop_mesh: Mesh) -> None:
    headers = await loop_mesh.login(MAYA)
    started = await loop_mesh.client.post(
        "/quizzes", json={"topic": "while loops", "quiz_id": "qz-7"}, headers=headers
    )
    assert started.status_code == 200, started.text
    question = started.json()["question"]
    url = "/quizzes/qz-7/answers"
    first = await loop_mesh.client.post(
        url, json={"question_id": question["id"], "choice": 0}, headers=headers
    )
    second = await loop_mesh.client.post(
        url, json={"question_id": question["id"], "choice": 1}, headers=headers
    )
    assert first.status_code == 200
    assert second.status_code == 409
    missing = await loop_mesh.client.get("/quizzes/no-such-quiz", headers=headers)
    assert missing.status_code == 404
    teacher = await loop_mesh.login(TEACHER)
    assert (await loop_mesh.client.get("/quizzes/qz-7", headers=teacher)).status_code == 403


async def test_drafts_are_kept_per_user(loop_mesh: Mesh) -> None:
    maya = await loop_mesh.login(MAYA)
    url = "/drafts/control-flow.fizzbuzz"
    assert (await loop_mesh.client.get(url, headers=maya)).json()["code"] is None
    saved = await loop_mesh.client.post(
        url, json={"code": "for i in range(3):\n    pass\n"}, headers=maya
    )
    assert saved.status_code == 200
    assert (await loop_mesh.client.get(url, headers=maya)).json()["code"].startswith("for i")
    teacher = await loop_mesh.login(TEACHER)
    assert (await loop_mesh.client.get(url, headers=teacher)).json()["code"] is None
    nul = await loop_mesh.client.post(url, json={"code": "x\x00"}, headers=maya)
    assert nul.status_code == 422


async def test_generation_without_a_topic_is_refused_and_writes_nothing(loop_mesh: Mesh) -> None:
    teacher = await loop_mesh.login(TEACHER)
    (school_class,) = (await loop_mesh.client.get("/classes", headers=teacher)).json()
    refused = await loop_mesh.client.post(
        "/exercises/generate",
        json={"request": "Create some nice exercises", "class_id": school_class["id"]},
        headers=teacher,
    )
    assert refused.status_code in (422, 503), refused.text  # 503: no workflow runtime here
    async with loop_mesh.triage.state.pool.connection() as conn:
        cur = await conn.execute("select count(*) from exercises_custom")
        assert (await cur.fetchone()) == (0,)
    student = await loop_mesh.login(MAYA)
    forbidden = await loop_mesh.client.post(
        "/exercises/generate",
        json={"request": "easy list comprehensions", "class_id": school_class["id"]},
        headers=student,
    )
    assert forbidden.status_code == 403


async def test_the_demo_history_gives_maya_60_percent_in_control_flow(loop_mesh: Mesh) -> None:
    """Maya's seeded events, applied by debrief the way Kafka delivers them."""
    pool = loop_mesh.triage.state.pool
    assert await demo_history.queue_missing(pool) == 2
    assert await demo_history.queue_missing(pool) == 0

    async def all_published() -> bool:
        async with pool.connection() as conn:
            cur = await conn.execute(
                "select count(*) from event_outbox where app_id = 'triage' and published_at is null"
            )
            return (await cur.fetchone()) == (0,)

    await eventually(all_published, what="triage's relay to publish the demo history")
    events = [e for e in loop_mesh.dapr.events() if isinstance(e, ExerciseGraded | QuizCompleted)]
    assert events, "the demo history reaches the pipeline"
    debrief = loop_mesh.debrief
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=debrief), base_url="http://debrief"
    ) as client:
        for event in events:
            route = "/events/" + event.topic.replace(".", "-")

            delivered = await client.post(route, json={"data": to_wire(event)})
            assert delivered.status_code == 200
    maya = await loop_mesh.login(MAYA)
    progress = (await loop_mesh.client.get("/progress/me", headers=maya)).json()
    lines = {t["topic"]: t["label"] for t in progress["topics"]}
    assert lines["control-flow"] == "Module 2: Control Flow — 60%"
    assert mastery_score(Components(exercises=60, quizzes=60, code_quality=90)) == 60
    assert all(e.occurred_at < datetime.now(UTC) for e in events)
