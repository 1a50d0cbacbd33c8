"""What a learner sees when the model server misbehaves, on the stack with the local model: it is
killed mid-answer, it hangs, it answers garbage. Each time the chat answers within its bounds,
says plainly that the model did not answer, and gives the offline tutor's answer; when the
server is back, the model answers again. And a real model's output that carries an exercise's
solution never reaches the learner: the tutor's output guardrail blocks it.

The real llama.cpp server with SmolLM2, real daprd (the agents reach the model through the
HTTPEndpoint `llm`), real agents. The one stand-in is the garbage drill's server, which answers
in a way no real model server would: that is the point of it.
"""

from __future__ import annotations

import http.server
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from learnflow import sse
from learnflow.curriculum import load_catalog
from learnflow.llm import grounded
from learnflow.llm.offline import Answer, Transcript
from learnflow.llm.writing import Writing
from learnflow.mesh.stack import MODEL_SERVER
from tests.integration.harness import Mesh
from tests.integration.test_walking_skeleton import CONCEPT_QUESTION, login
from tests.waiting import eventually_sync

pytestmark = pytest.mark.integration

#: the concepts agent's offline answer for CONCEPT_QUESTION starts from this lesson
LESSON = "control-flow.for-loops"
#: what every fallback tells the learner (learnflow.llm.grounded's notes and notices)
SAID_THE_MODEL_FAILED = re.compile(
    r"The AI model (did not answer|could not answer|stopped|'s answer was not usable)"
)


async def _headers(http: httpx.AsyncClient, mesh: Mesh) -> dict[str, str]:
    return mesh.dapr_headers | await login(http, mesh)


async def _chat(http: httpx.AsyncClient, mesh: Mesh, message: str) -> dict[str, Any]:
    response = await http.post(
        mesh.invoke_url("triage", "triage", "chat"),
        json={"message": message},
        headers=await _headers(http, mesh),
        timeout=120,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _model_server_up(mesh: Mesh) -> bool:
    try:
        port = mesh.topo.model_server_port
        return httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def _model_server_held(mesh: Mesh) -> Iterator[None]:
    """The watchdog leaves the model server alone inside; afterwards it is running again."""
    mesh.stack.hold(MODEL_SERVER)
    try:
        yield
    finally:
        mesh.stack.release(MODEL_SERVER)
        record = mesh.stack.table.get(MODEL_SERVER)
        if record is not None and record.alive():
            os.kill(record.pid, signal.SIGCONT)  # a hung drill's server, if it failed midway


@pytest.fixture(autouse=True)
def _model_server_running(local_mesh: Mesh) -> None:
    """Each drill starts with the model server up (the one before may have failed midway)."""
    eventually_sync(lambda: _model_server_up(local_mesh), timeout_s=120, what="the model server up")


async def _model_answers_again(http: httpx.AsyncClient, mesh: Mesh) -> None:
    """After a drill: the watchdog has the server back, and the next answer is the model's."""
    eventually_sync(lambda: _model_server_up(mesh), timeout_s=120, what="the model server back")
    reply = await _chat(http, mesh, CONCEPT_QUESTION)
    assert reply["model"] != "offline"
    assert not SAID_THE_MODEL_FAILED.search(reply["reply"]), reply["reply"]
    assert LESSON in reply["sources"]


async def test_a_model_killed_mid_answer_ends_the_chat_with_the_offline_answer(
    local_mesh: Mesh, http: httpx.AsyncClient
) -> None:
    url = local_mesh.invoke_url("triage", "triage", "chat/stream")
    events: list[sse.ServerSentEvent] = []
    killed_at = finished_at = 0.0
    with _model_server_held(local_mesh):
        async with http.stream(
            "POST",
            url,
            json={"message": CONCEPT_QUESTION},
            headers=await _headers(http, local_mesh),
            timeout=120,
        ) as response:
            assert response.status_code == 200
            async for event in sse.read(response.aiter_lines()):
                events.append(event)
                if event.event == "delta" and not killed_at:
                    local_mesh.stack.kill(MODEL_SERVER)  # SIGKILL, mid-answer
                    killed_at = time.monotonic()
        finished_at = time.monotonic()
    *deltas, done = events
    assert killed_at, "no delta came: the model never started writing"
    assert done.event == "done", events[-3:]
    reply = done.data["reply"]
    # what the learner saw is what is kept, and it says what happened, then answers offline
    assert "".join(e.data["text"] for e in deltas).strip() == reply.strip()
    assert grounded.STOPPED_MID_ANSWER.strip() in reply or SAID_THE_MODEL_FAILED.search(reply)
    assert "not written by an AI model" in reply  # the offline answer's own marker
    assert LESSON in done.data["sources"]
    # bounded by the stall limit (10 s on this stack), never hung
    assert finished_at - killed_at < 30
    await _model_answers_again(http, local_mesh)


async def test_a_hung_model_gives_the_offline_answer_within_the_answer_timeout(
    local_mesh: Mesh, http: httpx.AsyncClient
) -> None:
    with _model_server_held(local_mesh):
        local_mesh.stack.kill(MODEL_SERVER, signal.SIGSTOP)  # alive, listening, never answering
        try:
            started = time.monotonic()
            reply = await _chat(http, local_mesh, CONCEPT_QUESTION)
            took = time.monotonic() - started
        finally:
            local_mesh.stack.kill(MODEL_SERVER, signal.SIGCONT)
    timeout_s = float(local_mesh.stack.app_settings["LEARNFLOW_LLM_ANSWER_TIMEOUT_S"])
    assert grounded.NOTE_TIMEOUT in reply["reply"], reply["reply"]
    assert "not written by an AI model" in reply["reply"]
    assert LESSON in reply["sources"]
    assert took < timeout_s + 15, f"the learner waited {took:.0f} s"
    await _model_answers_again(http, local_mesh)


class _GarbageServer(http.server.ThreadingHTTPServer):
    """Speaks HTTP on the model server's port and nothing else: 200s with bodies that are not
    the OpenAI API (not JSON; an event stream of noise)."""

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Garbage)


class _Garbage(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        self.send_response(200)
        if b'"stream": true' in body or b'"stream":true' in body:
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            for _ in range(5):
                self.wfile.write(b"data: \x00\x17{{not json at all\n\n")
            self.wfile.write(b"data: [DONE]\n\n")
        else:
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b"<html>this is not a completion</html>")

    def log_message(self, format: str, *args: Any) -> None:
        pass


async def test_a_model_answering_garbage_gives_the_offline_answer(
    local_mesh: Mesh, http: httpx.AsyncClient
) -> None:
    with _model_server_held(local_mesh):
        local_mesh.stack.kill(MODEL_SERVER, signal.SIGTERM)
        eventually_sync(lambda: not _model_server_up(local_mesh), what="the model server gone")
        garbage = _GarbageServer(local_mesh.topo.model_server_port)
        thread = threading.Thread(target=garbage.serve_forever, daemon=True)
        thread.start()
        try:
            reply = await _chat(http, local_mesh, CONCEPT_QUESTION)
        finally:
            garbage.shutdown()
            garbage.server_close()
    assert SAID_THE_MODEL_FAILED.search(reply["reply"]), reply["reply"]
    assert "not written by an AI model" in reply["reply"]
    assert LESSON in reply["sources"]
    await _model_answers_again(http, local_mesh)


# --- the leak guardrail on a real model's output -------------------------------------------


class _Recording:
    """Keeps what the writer model really wrote, before any guardrail saw it."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.texts: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.writer, name)

    async def get_response(self, *args: Any, **kwargs: Any) -> Any:
        response = await self.writer.get_response(*args, **kwargs)
        self.texts.append(grounded._text_of(response))
        return response

    async def stream_response(self, *args: Any, **kwargs: Any) -> Any:
        text = ""
        async for event in self.writer.stream_response(*args, **kwargs):
            delta = getattr(event, "delta", None)
            if getattr(event, "type", "") == "response.output_text.delta" and delta:
                text += delta
            yield event
        self.texts.append(text)


async def test_a_real_models_solution_is_blocked_by_the_tutors_guardrail(
    local_mesh: Mesh,
) -> None:
    """A policy that (wrongly) hands the model the reference solution and asks for it back:
    what a careless context or an injected instruction would do. SmolLM2 copies it; the tutor's
    output guardrail must stop it before the learner sees it."""
    from learnflow.llm.provider import build_model
    from learnflow.settings import Settings
    from learnflow.testing import FakeSidecar, sandbox_runner
    from tutor_agent.agent import build_tutor_agent
    from tutor_agent.exercises import default_catalog
    from tutor_agent.models import TutorRequest
    from tutor_agent.offline_policy import TutorPolicy
    from tutor_agent.service import TutorService

    solution = load_catalog().exercise("basics.is-even").solution.strip()

    class LeakyPolicy(TutorPolicy):
        def writing(self, transcript: Transcript, draft: Answer) -> Writing | None:
            return Writing(
                instructions="Copy the user's Python code exactly, in one ```python block.",
                prompt=f"```python\n{solution}\n```",
                max_tokens=80,
            )

    tutor_spec = local_mesh.topo.app("tutor")
    settings = Settings(
        llm_base_url=f"{local_mesh.sidecar_url('tutor')}/v1.0/invoke/llm/method/v1",
        llm_through_sidecar=True,
        dapr_api_token=local_mesh.dapr_headers_for("tutor")["dapr-api-token"],
        dapr_http_port=tutor_spec.dapr_http_port,
        llm_model="smollm2-135m-instruct",
        llm_tool_calls=False,
    )
    model = build_model(LeakyPolicy(), settings)
    assert isinstance(model, grounded.GroundedModel)
    recording = _Recording(model.writer)
    model.writer = recording  # type: ignore[assignment]
    mesh = FakeSidecar(runner=sandbox_runner, where="the leak drill")
    service = TutorService(
        mesh,
        default_catalog(),
        build_tutor_agent(model=model),
        offline=False,
        events=mesh,
        leak_check_timeout_s=10,
    )
    reply = await service.respond(
        TutorRequest(
            message="I'm stuck, give me a hint",
            session_id="leak-drill",
            message_id="m1",
            intent="code_help",
            exercise_id="basics.is-even",
        )
    )

    written = " ".join(" ".join(recording.texts).split())
    assert "return n % 2 == 0" in written, (
        f"the model did not write the solution, so there was nothing to block: {written!r}"
    )
    assert "% 2 == 0" not in reply.reply, reply.reply
