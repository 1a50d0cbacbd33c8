"""Input the API cannot take is refused cleanly (issue 11, low findings).

The probe: the body limit read only Content-Length, so a 30 MB chunked body was read whole; NUL
or a lone surrogate gave 500; an unknown exercise gave 502.
"""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from learnflow.settings import Settings
from tests.integration.harness import Mesh
from tests.security.helpers import edge, person, post

pytestmark = pytest.mark.integration

CHUNK = 64 * 1024


def _whole_answer(sock: socket.socket, first: bytes) -> bytes:
    """The answer whose first bytes arrived: read on until its headers and its Content-Length of
    body are in (the body may come in a later segment) or the server closes."""
    answer = first
    sock.setblocking(True)
    sock.settimeout(10)
    while True:
        head, sep, body = answer.partition(b"\r\n\r\n")
        if sep:
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            if len(body) >= length:
                return answer
        try:
            more = sock.recv(4096)
        except OSError:
            return answer
        if not more:
            return answer
        answer += more


def _send_chunked(port: int, path: str, token: str, total: int) -> tuple[bytes, int]:
    """POST a chunked body of up to `total` bytes on a raw socket, stopping as soon as the server
    answers; returns (the answer's first bytes, how many body bytes were sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\n"
            ).encode()
        )
        sock.setblocking(False)
        chunk = f"{CHUNK:x}\r\n".encode() + b"a" * CHUNK + b"\r\n"
        deadline = time.monotonic() + 60
        while sent < total and time.monotonic() < deadline:
            try:
                answer = sock.recv(4096)
            except BlockingIOError:
                answer = b""
            except ConnectionResetError:
                break
            if answer:
                return _whole_answer(sock, answer), sent
            try:
                sock.sendall(chunk)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += CHUNK
        sock.setblocking(True)
        sock.settimeout(10)
        try:
            first = sock.recv(4096)
        except OSError:
            return b"", sent
        return _whole_answer(sock, first), sent


def test_a_30_mb_chunked_body_is_refused_without_being_read(mesh: Mesh) -> None:
    student = person(mesh)
    limit = Settings().max_body_bytes
    answer, sent = _send_chunked(
        mesh.topo.app("triage").app_port, "/chat", student.token, 30 * 1024 * 1024
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"payload_too_large" in answer
    # what was sent includes the kernel's socket buffers on both sides (several MB on loopback):
    # the point is that the answer came long before the 30 MB were through
    assert limit < sent < 15 * 1024 * 1024, f"{sent} bytes were sent before the refusal"


async def test_a_declared_oversized_body_is_refused_before_reading(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    student = person(mesh)
    body = json.dumps({"message": "x" * (Settings().max_body_bytes + 10)})
    answer = await http.post(
        edge(mesh, "chat"),
        content=body,
        headers=student.bearer | {"content-type": "application/json"},
    )
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"] == "payload_too_large"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("chat", {"message": "What is a list?\u0000"}),
        ("chat", {"message": "lone \ud800 surrogate"}),
        ("code/run", {"code": "print(1)\x00"}),
        ("code/run", {"code": "print('\udfff')"}),
        ("exercises/basics.greeting/submit", {"code": "x = '\ud83d'"}),
    ],
)
async def test_nul_and_lone_surrogates_are_a_clear_422(
    mesh: Mesh, http: httpx.AsyncClient, path: str, body: dict[str, str]
) -> None:
    student = person(mesh)
    raw = json.dumps(body)  # ensure_ascii: the surrogate travels as a \\ud800 escape
    answer = await http.post(
        edge(mesh, path),
        content=raw,
        headers=student.bearer | {"content-type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert "NUL" in answer.json()["message"]


async def test_nul_in_a_login_or_a_path_is_a_422(mesh: Mesh, http: httpx.AsyncClient) -> None:
    student = person(mesh)
    login = await http.post(
        edge(mesh, "auth/login"),
        content=json.dumps({"email": "maya\u0000@learnflow.dev", "password": "x"}),
        headers={"content-type": "application/json"},
    )
    assert login.status_code == 422, login.text
    in_path = await http.get(edge(mesh, "students/%00/progress"), headers=student.bearer)
    assert in_path.status_code == 422, in_path.text


async def test_an_unknown_exercise_is_a_404(mesh: Mesh, http: httpx.AsyncClient) -> None:
    student = person(mesh)
    answer = await post(
        http, mesh, "exercises/no-such-exercise/submit", student, {"code": "print(1)"}
    )
    assert answer.status_code == 404, answer.text
    assert "no-such-exercise" in answer.json()["message"]
