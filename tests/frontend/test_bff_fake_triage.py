"""The BFF's contract, against a scripted fake of triage (and of a Dapr sidecar): the session
cookie, the route allow-list, the Origin check, and every error shown as `{"error", "message"}`.

Needs Node and the built frontend, not the stack: marked `fake_triage`, never `integration` (the
real BFF against the real triage is tests/frontend/test_browser.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.fake_triage

TOKEN = "header.payload.signature"
DAPR_TOKEN = "dapr-token-for-tests"
APP_TOKEN = "app-token-for-tests"  # what the frontend's sidecar sends with event deliveries


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeTriage:
    """Answers by path; records every request it gets."""

    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    # path -> (status, headers, bytes): a file answered exactly as scripted
    files: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)

    def answer(self, path: str, status: int, body: Any) -> None:
        self.answers[path] = (status, body)

    def answer_file(self, path: str, status: int, headers: dict[str, str], data: bytes) -> None:
        self.files[path] = (status, headers, data)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(fake: FakeTriage) -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            fake.seen.append(
                Seen(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(raw) if raw else None,
                )
            )
            if self.path in fake.files:
                status, headers, data = fake.files[self.path]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            status, body = fake.answers.get(self.path, (404, {"detail": "Not Found"}))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@dataclass
class Bff:
    url: str
    fake: FakeTriage
    prefix: str  # what comes before a triage route in the path the fake sees

    def route(self, route: str) -> str:
        return f"{self.prefix}/{route}"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers={"origin": self.url})


def _start_next(frontend: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    npm = shutil.which("npm") or "npm"
    proc = subprocess.Popen(
        [npm, "start"],
        cwd=frontend,
        env={**os.environ, **env, "PORT": str(port), "NEXT_TELEMETRY_DISABLED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    os.killpg(proc.pid, 15)
    pytest.fail("next start did not answer /healthz within 60 s")


@pytest.fixture(scope="module", params=["direct", "dapr"])
def bff(request: pytest.FixtureRequest, frontend_build: Path) -> Iterator[Bff]:
    """The built app in front of the fake: as TRIAGE_URL, or as the Dapr sidecar."""
    fake = FakeTriage()
    server, port = _serve(fake)
    if request.param == "direct":
        env, prefix = {"TRIAGE_URL": f"http://127.0.0.1:{port}"}, ""
    else:
        env = {"DAPR_HTTP_PORT": str(port), "DAPR_API_TOKEN": DAPR_TOKEN}
        prefix = "/v1.0/invoke/triage/method"
    proc, url = _start_next(frontend_build, {**env, "APP_API_TOKEN": APP_TOKEN})
    try:
        yield Bff(url, fake, prefix)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=10)
        server.shutdown()


def _log_in(bff: Bff, client: httpx.Client) -> httpx.Response:
    login = {"access_token": TOKEN, "token_type": "bearer", "expires_in": 900}
    reply = {**login, "user_id": "5f0c5c8e-5b7a-4c55-9a43-4f7b0c0b1a11", "role": "student"}
    bff.fake.answer(bff.route("auth/login"), 200, reply)
    return client.post("/api/auth/login", json={"email": "maya@x.dev", "password": "pw"})


def test_login_keeps_the_token_in_an_httponly_strict_cookie(bff: Bff) -> None:
    with bff.client() as client:
        response = _log_in(bff, client)
    assert response.status_code == 200
    assert TOKEN not in response.text
    assert response.json()["home"] == "/student"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"lf_session={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=900" in cookie
    assert bff.fake.seen[-1].body == {"email": "maya@x.dev", "password": "pw"}


def test_calls_carry_the_bearer_token_and_in_the_mesh_the_dapr_token(bff: Bff) -> None:
    with bff.client() as client:
        _log_in(bff, client)
        bff.fake.answer(bff.route("progress/me"), 200, {"topics": []})
        response = client.get("/api/progress/me")
    assert response.status_code == 200 and response.json() == {"topics": []}
    seen = bff.fake.seen[-1]
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.path == bff.route("progress/me")
    if bff.prefix:
        assert seen.headers["dapr-api-token"] == DAPR_TOKEN
    else:
        assert "dapr-api-token" not in seen.headers


def test_only_edge_routes_are_forwarded(bff: Bff) -> None:
    with bff.client() as client:
        _log_in(bff, client)
        before = len(bff.fake.seen)
        response = client.post("/api/events/code-executed", json={})
    assert response.status_code == 404
    assert response.json()["error"] == "no_such_route"
    assert len(bff.fake.seen) == before


def test_without_a_session_the_api_says_to_log_in(bff: Bff) -> None:
    with bff.client() as client:
        response = client.post("/api/chat", json={"message": "hi"})
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_a_post_from_another_site_is_refused(bff: Bff) -> None:
    with bff.client() as client:
        _log_in(bff, client)
        response = client.post(
            "/api/chat", json={"message": "hi"}, headers={"origin": "http://evil.example"}
        )
    assert response.status_code == 403
    assert response.json()["error"] == "cross_site_request"


def test_triage_problems_pass_through_and_a_missing_route_says_so(bff: Bff) -> None:
    with bff.client() as client:
        _log_in(bff, client)
        problem = {"error": "invalid_input", "message": "message: the message is empty"}
        bff.fake.answer(bff.route("chat"), 422, problem)
        invalid = client.post("/api/chat", json={"message": " "})
        bff.fake.answer(
            bff.route("exercises/generate"), 404, {"error": "http_error", "message": "Not Found"}
        )
        missing = client.post("/api/exercises/generate", json={"request": "easy loops"})
    assert (invalid.status_code, invalid.json()) == (422, problem)
    assert missing.status_code == 404
    assert missing.json()["error"] == "route_not_available"
    assert missing.json()["message"] == (
        "The LearnFlow API has no POST /exercises/generate route yet (HTTP 404 Not Found)."
    )


def test_a_chat_stream_passes_through_as_an_uncompressed_event_stream(bff: Bff) -> None:
    events = (
        b": triage is answering\n\n"
        b'event: delta\ndata: {"text": "A for loop "}\n\n'
        b'event: done\ndata: {"reply": "A for loop repeats.", "routed_to": "concepts"}\n\n'
    )
    stream = {"content-type": "text/event-stream"}
    bff.fake.answer_file(bff.route("chat/stream"), 200, stream, events)
    with bff.client() as client:
        _log_in(bff, client)
        response = client.post(
            "/api/chat/stream", json={"message": "loops?"}, headers={"accept-encoding": "gzip"}
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "no-transform" in response.headers["cache-control"]  # never held back to compress
    assert "content-encoding" not in response.headers
    assert response.content == events
    seen = bff.fake.seen[-1]
    assert seen.body == {"message": "loops?"}
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["x-learnflow-problems"] == "in-header"
    # daprd's separate SSE path is not asked for: its plain invocation path streams
    assert "text/event-stream" not in seen.headers.get("accept", "")


def test_a_problem_before_the_chat_stream_is_json_with_its_status(bff: Bff) -> None:
    problem = {"error": "rate_limited", "message": "You are sending messages too fast"}
    bff.fake.files.pop(bff.route("chat/stream"), None)  # the stream another test scripted
    bff.fake.answer(bff.route("chat/stream"), 429, problem)
    with bff.client() as client:
        _log_in(bff, client)
        response = client.post("/api/chat/stream", json={"message": "loops?"})
    assert (response.status_code, response.json()) == (429, problem)


MODEL_REPLY = {
    "reply": "A for loop repeats.",
    "routed_to": "concepts",
    "session_id": "s-1",
    "message_id": "m-1",
    "intent": "concept_question",
    "confidence": 0.9,
    "sources": ["control-flow.for-loops"],
    "model": "smollm2-135m-instruct",
}
MAYA_ME = {
    "user_id": "5f0c5c8e-5b7a-4c55-9a43-4f7b0c0b1a11",
    "role": "student",
    "email": "maya@x.dev",
    "display_name": "Maya",
    "expires_at": "2099-01-01T00:00:00Z",
}


def test_who_wrote_an_answer_reaches_the_page(bff: Bff) -> None:
    """`model` passes through the BFF (whole reply, stream, history) and the learner's page
    ships the caption that shows it."""
    offline = {**MODEL_REPLY, "model": "offline"}
    history = {"session_id": "s-1", "turns": [{"message": "loops?", "at": "x", "reply": offline}]}
    events = (
        b'event: delta\ndata: {"text": "A for loop repeats."}\n\n'
        b"event: done\ndata: " + json.dumps(MODEL_REPLY).encode() + b"\n\n"
    )
    bff.fake.answer(bff.route("chat"), 200, MODEL_REPLY)
    bff.fake.answer(bff.route("chat/history"), 200, history)
    stream = {"content-type": "text/event-stream"}
    bff.fake.answer_file(bff.route("chat/stream"), 200, stream, events)
    bff.fake.answer(bff.route("auth/me"), 200, MAYA_ME)
    with bff.client() as client:
        _log_in(bff, client)
        whole = client.post("/api/chat", json={"message": "loops?"})
        streamed = client.post("/api/chat/stream", json={"message": "loops?"})
        remembered = client.get("/api/chat/history")
        page = client.get("/learn")
        sources = re.findall(r'<script[^>]+src="(/_next/static/[^"]+\.js)"', page.text)
        scripts = [client.get(src).text for src in dict.fromkeys(sources)]
    bff.fake.files.pop(bff.route("chat/stream"))  # the fake's other tests script their own

    assert whole.json()["model"] == "smollm2-135m-instruct"
    assert streamed.content == events
    assert remembered.json()["turns"][0]["reply"]["model"] == "offline"
    assert page.status_code == 200, page.text[:300]
    shipped = [js for js in scripts if '"answer-model"' in js]
    assert shipped, f"no script of /learn renders the answer-model caption ({len(scripts)} read)"
    assert any("Offline tutor — built from the lessons" in js for js in shipped)
    assert any("Written by " in js and " from the lessons" in js for js in shipped)


def test_byte_ranges_of_a_file_pass_through_unchanged(bff: Bff) -> None:
    """A media element's `Range: bytes=0-` reaches triage; 206/416 and the range headers come
    back as triage sent them (without `accept-ranges`, Chromium takes a WAV for a live stream)."""
    exam = "0b7e8e52-6a55-4a57-9a39-2f1c3e0c9d11"
    route = bff.route(f"exams/{exam}/debrief/speech?item=basics.q1")
    wav = b"RIFF" + bytes(range(256)) * 4
    size = len(wav)
    with bff.client() as client:
        _log_in(bff, client)
        part = {"content-type": "audio/wav", "accept-ranges": "bytes"}
        bff.fake.answer_file(
            route, 206, {**part, "content-range": f"bytes 4-103/{size}"}, wav[4:104]
        )
        ranged = client.get(
            f"/api/exams/{exam}/debrief/speech?item=basics.q1", headers={"range": "bytes=4-103"}
        )
        asked = bff.fake.seen[-1].headers
        # past the end: triage's 416 comes as 200 + x-learnflow-status through the mesh
        refused = {"error": "range_not_satisfiable", "message": f"outside the {size} bytes"}
        bff.fake.answer_file(
            route,
            200,
            {
                "content-type": "application/json",
                "x-learnflow-status": "416",
                "content-range": f"bytes */{size}",
                "accept-ranges": "bytes",
            },
            json.dumps(refused).encode(),
        )
        past = client.get(
            f"/api/exams/{exam}/debrief/speech?item=basics.q1",
            headers={"range": f"bytes={size}-"},
        )
        bff.fake.answer_file(route, 200, part, wav)
        whole = client.get(f"/api/exams/{exam}/debrief/speech?item=basics.q1")
        plain = bff.fake.seen[-1].headers
    assert asked["range"] == "bytes=4-103" and "range" not in plain
    assert (ranged.status_code, ranged.content) == (206, wav[4:104])
    assert ranged.headers["content-range"] == f"bytes 4-103/{size}"
    assert ranged.headers["accept-ranges"] == "bytes"
    # Next drops content-length from route handlers' answers (chunked); the size is in the range
    assert len(ranged.content) == 100
    assert (past.status_code, past.json()["error"]) == (416, "range_not_satisfiable")
    assert past.headers["content-range"] == f"bytes */{size}"
    assert (whole.status_code, whole.content) == (200, wav)
    assert whole.headers["accept-ranges"] == "bytes" and "content-range" not in whole.headers
    assert len(whole.content) == size


def test_an_expired_session_is_dropped(bff: Bff) -> None:
    with bff.client() as client:
        _log_in(bff, client)
        expired = {"error": "not_authenticated", "message": "Your access token has expired"}
        bff.fake.answer(bff.route("alerts"), 401, expired)
        response = client.get("/api/alerts")
    assert (response.status_code, response.json()) == (401, expired)
    assert "lf_session=;" in response.headers["set-cookie"]


def test_dapr_errors_become_problems(bff: Bff) -> None:
    with bff.client() as client:
        _log_in(bff, client)
        dapr_error = {"errorCode": "ERR_DIRECT_INVOKE", "message": "fail to invoke, id: triage"}
        bff.fake.answer(bff.route("classes"), 500, dapr_error)
        response = client.get("/api/classes")
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "mesh_error"
    assert "ERR_DIRECT_INVOKE" in body["message"] and "fail to invoke" in body["message"]


def test_an_unreachable_triage_is_explained(frontend_build: Path) -> None:
    proc, url = _start_next(frontend_build, {"TRIAGE_URL": f"http://127.0.0.1:{_free_port()}"})
    try:
        response = httpx.post(
            f"{url}/api/auth/login",
            json={"email": "maya@x.dev", "password": "pw"},
            headers={"origin": url},
        )
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=10)
    assert response.status_code == 502
    body = response.json()
    assert body["error"] == "upstream_unreachable"
    assert "Cannot reach the LearnFlow API" in body["message"] and "ECONNREFUSED" in body["message"]


def test_the_sidecar_is_told_which_events_feed_live_pages(bff: Bff) -> None:
    with bff.client() as client:
        subscriptions = client.get("/dapr/subscribe").json()
    topics = {s["topic"] for s in subscriptions}
    assert {"progress.updated", "struggle.detected", "notification.created"} <= topics
    assert all(s["route"] == f"/dapr/events/{s['topic']}" for s in subscriptions)


def test_only_the_sidecar_delivers_events(bff: Bff) -> None:
    event = {"data": {"type": "struggle.detected", "user_id": "x", "trigger": "repeated_error"}}
    with bff.client() as client:
        anonymous = client.post("/dapr/events/struggle.detected", json=event)
        forged = client.post(
            "/dapr/events/struggle.detected", json=event, headers={"dapr-api-token": "guess"}
        )
        sidecar = client.post(
            "/dapr/events/struggle.detected", json=event, headers={"dapr-api-token": APP_TOKEN}
        )
    assert (anonymous.status_code, forged.status_code) == (403, 403)
    assert sidecar.status_code == 200 and sidecar.json() == {"status": "SUCCESS"}


def test_live_updates_need_a_session(bff: Bff) -> None:
    with bff.client() as client:
        response = client.get("/api/events")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
