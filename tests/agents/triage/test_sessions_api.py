"""Triage's session routes in-process: who may do what, and what reaches the workflow.

The workflow engine is a scripted fake (`FakeWorkflows`): these tests check the edge — auth,
ownership, validation, what the server decides instead of the client — not the workflow, which
tests/learnflow/workflows and tests/integration/test_workflows.py cover.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import BaseModel

from learnflow.curriculum import load_catalog
from learnflow.db.models import Role
from learnflow.events import SessionActivity, to_wire
from learnflow.workflows import session as wf_session
from learnflow.workflows.client import Instance
from learnflow.workflows.models import SessionState, SessionView
from tests.agents.triage.fakes import FakeDapr
from tests.agents.triage.harness import app_settings, bearer
from triage_agent.main import create_app
from triage_agent.workflow_runtime import WorkflowHost


@dataclass
class FakeWorkflows:
    instances: dict[str, Instance] = field(default_factory=dict)
    raised: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    async def get(self, instance_id: str) -> Instance | None:
        return self.instances.get(instance_id)

    async def start(self, workflow: str, instance_id: str, payload: BaseModel) -> bool:
        if instance_id in self.instances:
            return False
        state = SessionState.model_validate(payload.model_dump(mode="json"))  # as the engine
        view = SessionView.of(state).model_dump(mode="json")
        self.instances[instance_id] = Instance(
            instance_id, workflow, "RUNNING", None, None, view, None, None
        )
        return True

    async def raise_event(self, instance_id: str, name: str, event: BaseModel) -> None:
        self.raised.append((instance_id, name, event.model_dump(mode="json")))

    async def close(self) -> None:
        return None

    def set_phase(self, session_id: str, phase: str) -> None:
        instance = self.instances[wf_session.instance_id(session_id)]
        instance.custom_status["phase"] = phase


@dataclass
class Edge:
    client: httpx.AsyncClient
    workflows: FakeWorkflows
    dapr: FakeDapr


@pytest_asyncio.fixture
async def edge() -> AsyncIterator[Edge]:
    app = create_app(app_settings(app_id="triage"), database=False)
    dapr = FakeDapr()
    workflows = FakeWorkflows()
    async with app.router.lifespan_context(app):
        app.state.sidecar = dapr.sidecar()
        host = WorkflowHost(app.state.settings)
        host.client = workflows  # type: ignore[assignment]
        host._ready.set()
        app.state.workflows = host
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://triage") as client:
            yield Edge(client, workflows, dapr)


STUDENT = uuid.uuid4()
OTHER = uuid.uuid4()


async def start(edge: Edge, who: uuid.UUID = STUDENT, **body: Any) -> httpx.Response:
    return await edge.client.post("/sessions", json=body, headers=bearer(who, Role.STUDENT))


async def send(edge: Edge, session_id: str, who: uuid.UUID = STUDENT, **event: Any) -> Any:
    return await edge.client.post(
        f"/sessions/{session_id}/events", json=event, headers=bearer(who, Role.STUDENT)
    )


async def test_a_student_starts_a_session_and_a_retry_finds_the_same_one(edge: Edge) -> None:
    first = await start(edge, mode="exam", topic="basics", time_limit_s=600, session_id="s-1")
    again = await start(edge, mode="exam", topic="basics", time_limit_s=600, session_id="s-1")

    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["workflow_id"] == again.json()["workflow_id"] == "session-s-1"
    status = first.json()["status"]
    assert (status["phase"], status["mode"], status["student_id"]) == (
        "active",
        "exam",
        str(STUDENT),
    )
    assert status["deadline"] is not None


async def test_only_students_start_sessions_and_bad_requests_say_why(edge: Edge) -> None:
    teacher = await edge.client.post(
        "/sessions", json={"mode": "practice"}, headers=bearer(uuid.uuid4(), Role.TEACHER)
    )
    unknown_topic = await start(edge, topic="astrology")
    limit_in_practice = await start(edge, mode="practice", time_limit_s=60)
    anonymous = await edge.client.post("/sessions", json={})

    assert teacher.status_code == 403
    assert unknown_topic.status_code == 404 and "astrology" in unknown_topic.text
    assert limit_in_practice.status_code == 422 and "exams only" in limit_in_practice.text
    assert anonymous.status_code == 401


async def test_a_session_id_taken_by_someone_else_is_a_conflict(edge: Edge) -> None:
    await start(edge, session_id="shared")
    taken = await start(edge, who=OTHER, session_id="shared")

    assert taken.status_code == 409


async def test_nobody_else_reads_or_feeds_a_session(edge: Edge) -> None:
    session_id = (await start(edge)).json()["session_id"]

    read = await edge.client.get(f"/sessions/{session_id}", headers=bearer(OTHER, Role.STUDENT))
    fed = await send(edge, session_id, who=OTHER, kind="heartbeat")
    admin = await edge.client.get(
        f"/sessions/{session_id}", headers=bearer(uuid.uuid4(), Role.ADMIN)
    )

    assert read.status_code == 404 and fed.status_code == 404
    assert admin.status_code == 200
    assert edge.workflows.raised == []


async def test_the_server_decides_what_the_workflow_trusts(edge: Edge) -> None:
    session_id = (await start(edge)).json()["session_id"]
    question = load_catalog().quiz("control-flow").questions[0]
    wrong = (question.answer + 1) % len(question.choices)

    said = await send(edge, session_id, kind="message", text="I really don't get it", id="m-1")
    right = await send(
        edge, session_id, kind="quiz_answer", question_id=question.id, choice=question.answer
    )
    bad = await send(edge, session_id, kind="quiz_answer", question_id=question.id, choice=wrong)

    assert said.status_code == right.status_code == bad.status_code == 202
    assert said.json()["event_id"] == "m-1"
    events = [data for _, name, data in edge.workflows.raised if name == wf_session.EVENT]
    assert events[0]["confused"] is True and "text" not in events[0]
    assert (events[1]["correct"], events[1]["quiz_topic"]) == (True, "control-flow")
    assert events[2]["correct"] is False
    assert all(e["at"] for e in events)


@pytest.mark.parametrize(
    ("event", "status", "says"),
    [
        ({"kind": "code_run"}, 422, "passed"),
        ({"kind": "quiz_answer", "question_id": "nope", "choice": 0}, 404, "nope"),
        ({"kind": "submission", "exercise_id": "basics.greeting"}, 422, "code"),
        ({"kind": "dance"}, 422, "kind"),
        ({"kind": "heartbeat", "surprise": 1}, 422, "surprise"),
    ],
)
async def test_malformed_events_are_refused(
    edge: Edge, event: dict[str, Any], status: int, says: str
) -> None:
    session_id = (await start(edge)).json()["session_id"]

    response = await send(edge, session_id, **event)

    assert response.status_code == status, response.text
    assert says in response.text
    assert edge.workflows.raised == []


async def test_a_finished_session_refuses_events(edge: Edge) -> None:
    session_id = (await start(edge)).json()["session_id"]
    edge.workflows.set_phase(session_id, "finalized")
    await edge.client.get(f"/sessions/{session_id}", headers=bearer(STUDENT, Role.STUDENT))

    response = await send(edge, session_id, kind="heartbeat")

    assert response.status_code == 409


async def test_activity_from_kafka_reaches_the_session_and_poison_is_dead_lettered(
    edge: Edge,
) -> None:
    session_id = (await start(edge)).json()["session_id"]
    good = SessionActivity(
        session_id=session_id, user_id=str(STUDENT), kind="code_run", data={"passed": False}
    )
    poison = SessionActivity(
        session_id=session_id, user_id=str(STUDENT), kind="quiz_answer", data={"colour": "red"}
    )

    for event in (good, poison):
        answer = await edge.client.post(
            "/events/session-activity",
            content=json.dumps({"data": to_wire(event)}),
            headers={"content-type": "application/cloudevents+json"},
        )
        assert answer.json() == {"status": "SUCCESS"}

    ((_, _, delivered),) = edge.workflows.raised
    assert (delivered["id"], delivered["kind"], delivered["passed"]) == (good.id, "code_run", False)
    assert [topic for topic, _ in edge.dapr.published] == ["session.activity.dlq"]
