"""POST /run and POST /tests with a scripted outbox that records what the app queues."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from code_runner.app import create_app
from code_runner.sandbox.runner import Runner
from learnflow.events import CodeExecuted, Event
from tests.code_runner.probes import sandbox_settings
from tests.code_runner.sandbox.test_runner import ScriptedBackend


class RecordingOutbox:
    """Stands in for the app's outbox (`learnflow.outbox.EventSink`): keeps every queued event,
    or fails as a lost database connection does."""

    def __init__(self, fail: bool = False) -> None:
        self.published: list[Event] = []
        self.fail = fail

    async def queue(self, *events: Event, partition_key: str | None = None) -> None:
        if self.fail:
            raise psycopg.OperationalError("connection refused")
        self.published.extend(events)


@pytest.fixture
def outbox() -> RecordingOutbox:
    return RecordingOutbox()


@pytest.fixture
def client(pooled_runner: Runner, outbox: RecordingOutbox) -> Iterator[TestClient]:
    app = create_app(runner=pooled_runner, events=outbox)
    with TestClient(app) as client:
        yield client


def executed(outbox: RecordingOutbox) -> CodeExecuted:
    assert len(outbox.published) == 1
    event = outbox.published[0]
    assert isinstance(event, CodeExecuted)
    return event


@pytest.mark.sandbox
def test_run_returns_the_result_and_publishes_code_executed(
    client: TestClient, outbox: RecordingOutbox
) -> None:
    body = {
        "code": "print(input())",
        "stdin": "hi",
        "submission_id": "sub-1",
        "exercise_id": "basics-hello",
        "session_id": "s-1",
        "user_id": "maya",
    }
    response = client.post("/run", json=body)
    assert response.status_code == 200
    result = response.json()
    assert result["status"] == "ok"
    assert result["stdout"] == "hi\n"
    assert result["submission_id"] == "sub-1"
    event = executed(outbox)
    assert (event.topic, event.source, event.submission_id) == (
        "code.executed",
        "code-runner",
        "sub-1",
    )
    assert (event.exercise_id, event.session_id, event.user_id) == ("basics-hello", "s-1", "maya")
    assert (event.status, event.exit_code, event.error_type) == ("ok", 0, None)
    assert event.duration_ms == result["duration_ms"]


@pytest.mark.sandbox
def test_an_error_run_names_the_error_type(client: TestClient, outbox: RecordingOutbox) -> None:
    result = client.post("/run", json={"code": "d = {}\nd['missing']"}).json()
    assert result["status"] == "error"
    event = executed(outbox)
    assert (event.status, event.exit_code, event.error_type) == ("error", 1, "KeyError")
    assert event.submission_id == result["submission_id"]  # generated, and returned


@pytest.mark.sandbox
def test_tests_returns_the_exercism_result_and_publishes(
    client: TestClient, outbox: RecordingOutbox
) -> None:
    body = {
        "code": "def half(x):\n    return x / 0\n",
        "tests": "from solution import half\n\ndef test_half():\n    assert half(4) == 2\n",
        "exercise_id": "functions-half",
    }
    response = client.post("/tests", json=body)
    assert response.status_code == 200
    result = response.json()
    assert result["status"] == "fail"
    assert result["tests"][0]["message"].startswith("ZeroDivisionError: division by zero")
    event = executed(outbox)
    assert (event.status, event.error_type, event.exercise_id) == (
        "fail",
        "ZeroDivisionError",
        "functions-half",
    )


@pytest.mark.sandbox
def test_tests_apply_the_exercises_limits_and_report_them(client: TestClient) -> None:
    body = {
        "code": "def spin():\n    while True:\n        pass\n",
        "tests": "from solution import spin\n\ndef test_spin():\n    spin()\n",
        "test_timeout_s": 0.5,
        "run_timeout_s": 2,
    }
    result = client.post("/tests", json=body).json()
    assert result["limits"] == {
        "test_timeout_s": 0.5,
        "run_timeout_s": 2.0,
        "wall_timeout_s": 11.0,
        "memory_mb": 50,
    }
    assert result["tests"][0]["limit"] == "test_timeout_s"
    assert "longer than 0.5 s (the per-test time limit)" in result["tests"][0]["message"]


@pytest.mark.sandbox
def test_tests_cannot_be_forged_over_http(client: TestClient) -> None:
    """Issue 11: an object whose __eq__ is always true, graded through the Dapr app's route."""
    body = {
        "code": "class Any:\n    def __eq__(self, other):\n        return True\n"
        "def half(x):\n    return Any()\n",
        "tests": "from solution import half\n\ndef test_half():\n    assert half(4) == 2\n",
    }
    result = client.post("/tests", json=body).json()
    assert result["status"] == "fail"


@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/run", {"code": ""}, 422, "not run: there is no code to run (it is empty)"),
        ("/run", {"code": "print(1)\x00"}, 422, "NUL character"),
        ("/run", {"code": "#" * 70_000}, 422, "the limit is 65536 bytes"),
        ("/run", {"code": "print(1)", "timeout_s": 0}, 422, "timeout_s: Input should be greater"),
        ("/run", {"stdin": "x"}, 422, "code: Field required"),
        ("/run", {"code": "x", "shell": "rm -rf /"}, 422, "shell: Extra inputs are not permitted"),
        ("/run", ["print(1)"], 422, "the request body must be a JSON object"),
        ("/tests", {"code": "x = 1", "tests": "t", "module_name": "os"}, 422, "standard module"),
        ("/tests", {"code": "x = 1"}, 422, "tests: Field required"),
        (
            "/tests",
            {"code": "x = 1", "tests": "t", "test_timeout_s": 3, "run_timeout_s": 2},
            422,
            "test_timeout_s (3 s) must not be longer than run_timeout_s (2 s)",
        ),
        (
            "/tests",
            {"code": "x = 1", "tests": "t", "run_timeout_s": 60},
            422,
            "run_timeout_s is 60 s; this server allows at most 10 s",
        ),
        ("/tests", {"code": "x", "tests": "t", "test_timeout_s": -1}, 422, "greater than 0"),
    ],
)
def test_bad_requests_are_4xx_with_a_message_and_publish_nothing(
    client: TestClient,
    outbox: RecordingOutbox,
    path: str,
    body: Any,
    status: int,
    message: str,
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == status
    assert response.json()["error"] == "invalid_input"
    assert message in response.json()["message"]
    assert outbox.published == []


@pytest.mark.sandbox
def test_a_body_that_is_not_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/run", content=b"print(1)", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


@pytest.mark.sandbox
def test_a_run_whose_event_cannot_be_recorded_is_503_with_retry_after(
    pooled_runner: Runner,
) -> None:
    outbox = RecordingOutbox(fail=True)  # the database went away during the run
    app = create_app(runner=pooled_runner, events=outbox)
    with TestClient(app) as client:
        response = client.post("/run", json={"code": "print(2)", "submission_id": "sub-9"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"] == "unavailable"
    assert "nothing was saved" in response.json()["message"]


def test_a_busy_runner_is_503_with_retry_after(outbox: RecordingOutbox) -> None:
    backend = ScriptedBackend()
    backend.gate.set()
    runner = Runner(sandbox_settings(concurrency=1, queue_size=0), backend=backend).start()
    backend.gate.clear()
    try:
        app = create_app(runner=runner, events=outbox)
        with TestClient(app) as client:
            occupying = runner._executor.submit(runner.run_python, "x = 1")
            backend.wait_executing(1)
            response = client.post("/run", json={"code": "x = 2"})
            assert response.status_code == 503
            assert response.headers["retry-after"] == "1"
            assert response.json()["error"] == "busy"
            backend.gate.set()
            assert occupying.result(timeout=5)["status"] == "ok"
        assert outbox.published == []
    finally:
        backend.gate.set()
        runner.close()
