"""Durable sessions and exercise publishing on the real stack — and what happens when it breaks.

Workflow durations are seconds here (tests/integration/harness.py: stuck after 3 s, continue
as new every 8 events, 3 attempts 0.5 s apart). Every wait is on observable state: a session's
status through the API, rows in PostgreSQL, events on Kafka, an instance's history.

Fault tests (one outage of triage serves three of them, see `triage_outage`):
- the triage app and its daprd are SIGKILLed mid-session and started again: the session's state
  and every acknowledged event are still there, and it takes new events;
- an exam's deadline passes while triage is down: the durable timer (a scheduler job) fires when
  triage's daprd is back, and the exam is auto-submitted and graded;
- an event sent while triage is down goes to Kafka (`session.activity`, published through
  another app's sidecar); Kafka keeps it, triage's subscription delivers it on return, and the
  workflow dedupes on the event id. (A caller of `POST /sessions/{id}/events` may also simply
  retry with the same event id.)
- a dependency that is down (debrief) makes its activity retry exactly as its policy says, then
  the step fails visibly: FAILED instance, custom status naming the step, an ops alert row.

With LEARNFLOW_RECORD_WORKFLOW_HISTORIES=1 the histories of finished instances are written to
tests/data/workflow_histories/ for the replay test (tests/learnflow/workflows/test_replay.py).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import anyio
import httpx
import pytest

from learnflow.auth.tokens import issue_token
from learnflow.cli import main as cli
from learnflow.cli.commands import workflows as workflows_cli
from learnflow.curriculum import load_catalog
from learnflow.db.models import Role
from learnflow.events import SessionActivity, to_wire
from learnflow.settings import REPO_ROOT, Settings
from learnflow.workflows import session as wf_session
from learnflow.workflows.ops import Target, WorkflowAdmin
from tests.integration.harness import Mesh
from tests.waiting import eventually

pytestmark = pytest.mark.integration

HISTORIES = REPO_ROOT / "tests" / "data" / "workflow_histories"
GREETING_RIGHT = (
    "def greeting(name, age):\n    return f'Hello, {name}! Next year you will be {age + 1}.'\n"
)
GREETING_WRONG = "def greeting(name, age):\n    return 'Hello'\n"


# --- people and the API --------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: UUID
    token: str


def make_person(mesh: Mesh, role: Role) -> Person:
    email = f"{role.value}-{uuid.uuid4().hex[:10]}@wf.test.learnflow.dev"
    ((user_id,),) = mesh.sql(
        "insert into users (email, display_name, role, password_hash)"
        " values (%s, %s, %s, 'not-a-login') returning id",
        email,
        f"WF {role.value}",
        role.value,
    )
    token = issue_token(
        user_id=user_id, role=role, settings=Settings(jwt_secret=mesh.secrets.jwt_secret)
    )
    return Person(user_id, token)


class Api:
    """The public API as a client uses it: through triage's sidecar, with a bearer token."""

    def __init__(self, http: httpx.AsyncClient, mesh: Mesh, person: Person) -> None:
        self.http, self.mesh, self.person = http, mesh, person

    def _url(self, path: str) -> str:
        return self.mesh.invoke_url("triage", "triage", path.lstrip("/"))

    @property
    def _headers(self) -> dict[str, str]:
        return self.mesh.dapr_headers | {"authorization": f"Bearer {self.person.token}"}

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return await self.http.post(self._url(path), json=body, headers=self._headers)

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(self._url(path), headers=self._headers)

    async def start(self, **body: Any) -> dict[str, Any]:
        response = await self.post("/sessions", body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def send(self, session_id: str, **event: Any) -> dict[str, Any]:
        response = await self.post(f"/sessions/{session_id}/events", event)
        assert response.status_code == 202, response.text
        return response.json()  # type: ignore[no-any-return]

    async def session(self, session_id: str) -> dict[str, Any]:
        response = await self.get(f"/sessions/{session_id}")
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def status(self, session_id: str) -> dict[str, Any]:
        return (await self.session(session_id))["status"]  # type: ignore[no-any-return]

    async def until(
        self, session_id: str, check: Any, *, timeout_s: float = 30, what: str = "status"
    ) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            body = await self.session(session_id)
            return body if check(body) else None

        return await eventually(probe, timeout_s=timeout_s, every_s=0.1, what=what)

    async def finished(self, session_id: str, timeout_s: float = 60) -> dict[str, Any]:
        return await self.until(
            session_id,
            lambda b: b["runtime_status"] != "RUNNING",
            timeout_s=timeout_s,
            what=f"session {session_id} to finish",
        )


@pytest.fixture
async def student(mesh: Mesh, http: httpx.AsyncClient) -> Api:
    return Api(http, mesh, make_person(mesh, Role.STUDENT))


def admin(mesh: Mesh) -> WorkflowAdmin:
    return WorkflowAdmin(
        Target(
            "127.0.0.1", mesh.topo.app("triage").dapr_grpc_port, mesh.secrets.dapr_token("triage")
        )
    )


def record_history(mesh: Mesh, instance_id: str, name: str) -> None:
    """Keep a finished instance's history for the replay test (only when asked to)."""
    if os.environ.get("LEARNFLOW_RECORD_WORKFLOW_HISTORIES") != "1":
        return
    with admin(mesh) as ops:
        instance = ops.get(instance_id)
        body = {
            "workflow": instance.name,
            "instance_id": instance_id,
            "runtime_status": instance.runtime_status,
            "custom_status": instance.custom_status,
            "output": instance.output,
            "failure": instance.failure,
            "history": ops.history(instance_id),
        }
    HISTORIES.mkdir(parents=True, exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")


def kafka_events(mesh: Mesh, topic: str, **match: str) -> list[dict[str, Any]]:
    """The data of every event on `topic` that matches, read from the beginning."""
    return [envelope.get("data", {}) for envelope in mesh.kafka_events(topic, match)]


def quiz_question(module: str) -> tuple[str, int]:
    question = load_catalog().quiz(module).questions[0]
    return question.id, question.answer


# --- a full practice session ---------------------------------------------------------------------


async def test_a_full_practice_session(mesh: Mesh, student: Api) -> None:
    session_id = f"wf-practice-{uuid.uuid4().hex[:8]}"
    started = await student.start(mode="practice", topic="control-flow", session_id=session_id)
    again = await student.post("/sessions", {"mode": "practice", "session_id": session_id})

    assert started["workflow_id"] == wf_session.instance_id(session_id)
    assert again.status_code == 200 and again.json()["workflow_id"] == started["workflow_id"]
    assert started["status"]["phase"] == "active"

    # each event is visible in the status within about a second
    delays = []
    for n in range(5):
        sent = time.monotonic()
        await student.send(session_id, kind="message", text="How do for loops work?", hint=n == 0)
        await student.until(session_id, lambda b, n=n: b["status"]["events"] == n + 1)
        delays.append(time.monotonic() - sent)
    assert statistics.median(delays) < 1.0, delays

    # a failing run opens an exercise; no run or heartbeat for 3 s: the "stuck" trigger
    await student.send(
        session_id,
        kind="code_run",
        exercise_id="control-flow.fizzbuzz",
        passed=False,
        error_type="TypeError",
    )
    stuck = await student.until(session_id, lambda b: b["status"]["struggles"], what="stuck")
    episode = stuck["status"]["struggles"][0]
    assert episode.startswith(f"stuck_on_exercise:{student.person.id}:control-flow.fizzbuzz:")
    assert mesh.sql("select trigger from struggle_alerts where episode_key = %s", episode) == [
        ("stuck_on_exercise",)
    ]

    # a submission is graded in the sandbox at once (practice)
    await student.send(
        session_id, kind="submission", exercise_id="basics.greeting", code=GREETING_RIGHT
    )
    graded = await student.until(
        session_id, lambda b: b["status"]["last_result"] is not None, what="the grade"
    )
    assert graded["status"]["last_result"]["passed"] is True
    question, answer = quiz_question("control-flow")
    await student.send(session_id, kind="quiz_answer", question_id=question, choice=answer)
    await student.send(session_id, kind="heartbeat", id="hb-1")
    await student.send(session_id, kind="heartbeat", id="hb-1")  # a retry: counted once

    before_finalize = await student.until(session_id, lambda b: b["status"]["events"] == 9)
    # a live session: nine events, but the workflow took only the turns it had to (the run that
    # opened an exercise, the stuck timer, the submission) - fewer than a generation's 8
    assert before_finalize["status"]["generation"] == 0
    await student.send(session_id, kind="finalize")
    done = await student.finished(session_id)

    assert done["runtime_status"] == "COMPLETED"
    status = done["status"]
    assert status["phase"] == "finalized" and status["finalize_reason"] == "requested"
    tally = status["tally"]
    assert (tally["messages"], tally["hints_used"], tally["runs"]) == (5, 1, 1)
    assert tally["errors_by_type"] == {"TypeError": 1}
    assert tally["exercises_passed"] == ["basics.greeting"]
    assert (tally["quiz_answers"], tally["quiz_correct"]) == (1, 1)
    outcome = status["outcome"]
    assert set(outcome["mastery"]) == {"basics", "control-flow"}
    assert outcome["summary"]
    assert mesh.sql("select id::text from debriefs where session_id = %s", session_id) == [
        (outcome["debrief_id"],)
    ]
    finalized = kafka_events(mesh, "session.finalized", session_id=session_id)
    assert [e["summary_id"] for e in finalized] == [outcome["debrief_id"]]
    late = await student.post(f"/sessions/{session_id}/events", {"kind": "message", "text": "hi"})
    assert late.status_code == 409
    record_history(mesh, started["workflow_id"], "session_practice_finalized")


async def test_sessions_are_private_to_their_student(mesh: Mesh, student: Api) -> None:
    started = await student.start(mode="practice")
    other = Api(student.http, mesh, make_person(mesh, Role.STUDENT))

    assert (await other.get(f"/sessions/{started['session_id']}")).status_code == 404
    sent = await other.post(f"/sessions/{started['session_id']}/events", {"kind": "heartbeat"})
    assert sent.status_code == 404
    await student.send(started["session_id"], kind="finalize")
    await student.finished(started["session_id"])


# --- a full exam session -------------------------------------------------------------------------


async def test_a_full_exam_session(mesh: Mesh, student: Api) -> None:
    started = await student.start(mode="exam", topic="basics", time_limit_s=8)
    session_id = started["session_id"]
    deadline = datetime.fromisoformat(started["status"]["deadline"])

    await student.send(
        session_id, kind="submission", exercise_id="basics.greeting", code=GREETING_WRONG
    )
    await student.send(
        session_id, kind="submission", exercise_id="basics.greeting", code=GREETING_RIGHT
    )
    await student.send(
        session_id, kind="submission", exercise_id="basics.is-even", code="def nope(): pass\n"
    )
    during = await student.until(session_id, lambda b: b["status"]["events"] == 3)
    assert during["status"]["pending_submissions"] == 2  # the latest per exercise counts
    assert during["status"]["last_result"] is None  # no verdicts during an exam

    done = await student.finished(session_id, timeout_s=60)  # nobody finalizes: the deadline does

    assert datetime.now(UTC) >= deadline
    status = done["status"]
    assert done["runtime_status"] == "COMPLETED"
    assert status["finalize_reason"] == "deadline"
    graded = {g["exercise_id"]: g for g in status["outcome"]["graded"]}
    assert graded["basics.greeting"]["passed"] is True
    assert graded["basics.is-even"]["passed"] is False
    assert status["tally"]["exercises_passed"] == ["basics.greeting"]
    rows = mesh.sql(
        "select exercise_id, passed from exercise_attempts where student_id = %s order by 1",
        student.person.id,
    )
    assert rows == [("basics.greeting", True), ("basics.is-even", False)]
    record_history(mesh, started["workflow_id"], "session_exam_deadline")


# --- operations ----------------------------------------------------------------------------------


async def test_operators_list_inspect_terminate_and_purge_instances(
    mesh: Mesh, student: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started = await student.start(mode="practice")
    workflow_id = started["workflow_id"]
    # the settings the commands read at their start: this stack's
    settings = Settings(run_dir=mesh.settings.run_dir, port_offset=mesh.settings.port_offset)
    monkeypatch.setattr(workflows_cli, "get_settings", lambda: settings)

    async def run(*argv: str) -> int:  # the CLI runs its own event loop: give it a thread
        code: int = await anyio.to_thread.run_sync(cli.main, list(argv))
        return code

    assert await run("workflows", "list", "--kind", "session", "--json") == 0
    listed = {row["instance_id"]: row for row in json.loads(capsys.readouterr().out)}
    assert await run("workflows", "inspect", workflow_id, "--history") == 0
    inspected = json.loads(capsys.readouterr().out)
    refused = await run("workflows", "purge", workflow_id)  # still running
    assert await run("workflows", "terminate", workflow_id) == 0
    ended = await student.finished(started["session_id"])
    assert await run("workflows", "purge", workflow_id) == 0
    assert await run("workflows", "alerts", "--all", "--json") == 0

    assert listed[workflow_id]["status"] == "RUNNING"
    assert inspected["custom_status"]["student_id"] == str(student.person.id)
    assert any("executionStarted" in event for event in inspected["history"])
    assert refused == 2
    assert ended["runtime_status"] == "TERMINATED"
    assert (await student.get(f"/sessions/{started['session_id']}")).status_code == 404


# --- exercise publishing -------------------------------------------------------------------------


SQUARES = {
    "topic": "data-structures",
    "difficulty": "easy",
    "title": "Squares of a list",
    "prompt": "Write `squares(xs)` that returns the square of every number, in order.",
    "starter": "def squares(xs):\n    pass\n",
    "tests": "from solution import squares\n\n\ndef test_some():\n    assert squares([1, 2, 3])"
    " == [1, 4, 9]\n\n\ndef test_empty():\n    assert squares([]) == []\n",
    "solution": "def squares(xs):\n    return [x * x for x in xs]\n",
    "hints": [{"nudge": "A list comprehension builds the new list in one line."}],
}


@pytest.fixture
async def teacher(mesh: Mesh, http: httpx.AsyncClient) -> tuple[Api, str]:
    person = make_person(mesh, Role.TEACHER)
    ((class_id,),) = mesh.sql(
        "insert into classes (name, teacher_id) values (%s, %s) returning id::text",
        f"WF class {uuid.uuid4().hex[:6]}",
        person.id,
    )
    return Api(http, mesh, person), class_id


async def _published(api: Api, exercise_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        body = (await api.get(f"/teacher/exercises/{exercise_id}")).json()
        return body if body.get("runtime_status") == "COMPLETED" else None

    return await eventually(probe, timeout_s=60, what=f"publication of {exercise_id}")


async def test_a_valid_exercise_is_published_for_the_class(
    mesh: Mesh, teacher: tuple[Api, str]
) -> None:
    api, class_id = teacher
    response = await api.post(f"/teacher/classes/{class_id}/exercises", SQUARES)
    assert response.status_code == 202, response.text
    exercise_id = response.json()["exercise_id"]

    done = await _published(api, exercise_id)

    assert (done["exercise_status"], done["step"]) == ("ready", "ready")
    assert done["validation"]["reference_status"] == "pass"
    assert done["validation"]["starter_status"] != "pass"
    assert mesh.sql("select class_id::text from exercise_index where exercise_id = %s", exercise_id)
    assert kafka_events(mesh, "exercise.published", exercise_id=exercise_id)
    record_history(mesh, done["workflow_id"], "publish_ready")


async def test_an_invalid_exercise_goes_back_to_draft_with_the_reason(
    mesh: Mesh, teacher: tuple[Api, str]
) -> None:
    api, class_id = teacher
    broken = {**SQUARES, "title": "Broken squares", "solution": "def squares(xs):\n    return xs\n"}
    response = await api.post(f"/teacher/classes/{class_id}/exercises", broken)
    exercise_id = response.json()["exercise_id"]

    done = await _published(api, exercise_id)

    assert (done["exercise_status"], done["step"]) == ("draft", "draft")
    assert done["reason"].startswith("the reference solution does not pass the tests")
    assert "test_some" in done["reason"]
    assert not mesh.sql("select 1 from exercise_index where exercise_id = %s", exercise_id)
    assert mesh.sql(
        "select status, reason is not null from exercise_publications where exercise_id = %s",
        exercise_id,
    ) == [("draft", True)]
    record_history(mesh, done["workflow_id"], "publish_compensated")


async def test_only_the_class_teacher_publishes(mesh: Mesh, teacher: tuple[Api, str]) -> None:
    _, class_id = teacher
    stranger = Api(teacher[0].http, mesh, make_person(mesh, Role.TEACHER))
    student = Api(teacher[0].http, mesh, make_person(mesh, Role.STUDENT))

    assert (
        await stranger.post(f"/teacher/classes/{class_id}/exercises", SQUARES)
    ).status_code == 403
    assert (
        await student.post(f"/teacher/classes/{class_id}/exercises", SQUARES)
    ).status_code == 403


# --- one outage of triage (app + daprd), three fault tests ---------------------------------------


@dataclass
class Outage:
    api: Api
    practice_id: str
    events_before: int
    exam_id: str
    kafka_event_id: str


@pytest.fixture(scope="module")
async def triage_outage(mesh: Mesh) -> AsyncIterator[Outage]:
    async with httpx.AsyncClient(timeout=60) as http:
        api = Api(http, mesh, make_person(mesh, Role.STUDENT))
        practice = (await api.start(mode="practice", topic="control-flow"))["session_id"]
        for n in range(3):
            await api.send(practice, kind="message", text=f"question {n}")
        acknowledged = await api.until(practice, lambda b: b["status"]["events"] == 3)
        exam = await api.start(mode="exam", topic="basics", time_limit_s=6)
        await api.send(
            exam["session_id"],
            kind="submission",
            exercise_id="basics.greeting",
            code=GREETING_RIGHT,
        )
        await api.until(exam["session_id"], lambda b: b["status"]["pending_submissions"] == 1)
        deadline = datetime.fromisoformat(exam["status"]["deadline"])

        mesh.stack.stop_app("triage", sig=signal.SIGKILL)  # a crash: no graceful shutdown
        try:
            event = SessionActivity(
                session_id=practice,
                user_id=str(api.person.id),
                source="wf-test",
                kind="message",
                data={"text": "sent while triage was down", "hint": True},
            )
            published = await http.post(  # a producer of session activity publishes it
                f"{mesh.sidecar_url('tutor')}/v1.0/publish/pubsub/{SessionActivity.topic}",
                json=to_wire(event),
                headers=mesh.dapr_headers_for("tutor"),
            )
            assert published.status_code == 204, published.text
            # the exam's deadline passes while triage is down
            await anyio.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds()) + 0.5)
        finally:
            await anyio.to_thread.run_sync(mesh.stack.start_app, "triage")
        yield Outage(api, practice, acknowledged["status"]["events"], exam["session_id"], event.id)


async def test_a_session_continues_after_its_host_is_killed_and_restarted(
    triage_outage: Outage,
) -> None:
    api, session_id = triage_outage.api, triage_outage.practice_id
    after = await api.session(session_id)
    assert after["runtime_status"] == "RUNNING"
    assert after["status"]["phase"] == "active"
    assert after["status"]["tally"]["messages"] >= triage_outage.events_before  # nothing lost

    await api.send(session_id, kind="code_run", passed=False, error_type="KeyError")
    continued = await api.until(session_id, lambda b: b["status"]["tally"]["runs"] == 1)

    assert continued["status"]["tally"]["errors_by_type"] == {"KeyError": 1}
    assert continued["status"]["events"] >= triage_outage.events_before + 1


async def test_an_exam_deadline_that_passed_while_down_fires_on_return(
    triage_outage: Outage,
) -> None:
    api = triage_outage.api
    done = await api.finished(triage_outage.exam_id, timeout_s=60)

    status = done["status"]
    assert done["runtime_status"] == "COMPLETED"
    assert status["finalize_reason"] == "deadline"
    assert [g["exercise_id"] for g in status["outcome"]["graded"] if g["passed"]] == [
        "basics.greeting"
    ]


async def test_an_event_sent_while_the_host_is_down_is_delivered_after_it_returns(
    triage_outage: Outage,
) -> None:
    api = triage_outage.api
    delivered = await api.until(
        triage_outage.practice_id,
        lambda b: b["status"]["tally"]["hints_used"] == 1,
        timeout_s=60,
        what="the Kafka-delivered event",
    )
    assert delivered["status"]["tally"]["messages"] >= 4


# --- a dependency that stays down -----------------------------------------------------------------


async def test_a_failing_dependency_is_retried_within_its_policy_then_fails_the_step_visibly(
    mesh: Mesh, student: Api, http: httpx.AsyncClient
) -> None:
    started = await student.start(mode="practice")
    session_id = started["session_id"]
    mesh.stack.stop_app("debrief")
    try:
        await student.send(session_id, kind="finalize")
        done = await student.finished(session_id)
    finally:
        await anyio.to_thread.run_sync(mesh.stack.start_app, "debrief")

    assert done["runtime_status"] == "FAILED"
    assert "summary" in done["failure"]
    failure = done["status"]["failure"]
    assert (done["status"]["phase"], failure["step"], failure["attempts"]) == (
        "failed",
        "summary",
        3,
    )
    with admin(mesh) as ops:
        history = ops.history(started["workflow_id"])
    attempts = [e for e in history if e.get("taskScheduled", {}).get("name") == wf_session.SUMMARY]
    assert len(attempts) == 3  # LEARNFLOW_WORKFLOW_RETRY_MAX_ATTEMPTS, no more
    assert mesh.sql(
        "select workflow, step from ops_alerts where instance_id = %s", started["workflow_id"]
    ) == [("session", "summary")]
    record_history(mesh, started["workflow_id"], "session_failed_summary")

    async def debrief_answers() -> bool:  # the circuit breaker closes again for the next tests
        response = await http.get(
            mesh.invoke_url("triage", "debrief", "healthz"), headers=mesh.dapr_headers
        )
        return response.status_code == 200

    await eventually(debrief_answers, timeout_s=60, every_s=0.5, what="debrief reachable again")
