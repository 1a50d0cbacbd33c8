"""The chat stream through the web app's BFF on the real stack: browser -> `next start` -> its
daprd -> triage's daprd -> triage -> concepts. The answer arrives as it is written (no hop, Next's
compression included, holds it back), and a browser that leaves cancels the generation."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.frontend.harness import Frontend
from tests.waiting import eventually_sync

pytestmark = pytest.mark.integration

MAYA = "maya@learnflow.dev"


@pytest.fixture
def browser(frontend: Frontend) -> Iterator[httpx.Client]:
    """An HTTP client with Maya's session cookie, as her browser has it."""
    logins = json.loads(frontend.logins_file.read_text())
    password = next(u["password"] for u in logins["users"] if u["email"] == MAYA)
    headers = {"origin": frontend.url, "accept-encoding": "gzip"}
    with httpx.Client(base_url=frontend.url, timeout=60, headers=headers) as client:
        login = client.post("/api/auth/login", json={"email": MAYA, "password": password})
        assert login.status_code == 200, login.text
        yield client


def events(lines: Iterator[str]) -> Iterator[tuple[float, str, dict[str, object]]]:
    """(arrival time, event, data) of a stream of SSE lines (one `data:` line each, ours)."""
    name = ""
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield time.monotonic(), name, json.loads(line.removeprefix("data: "))


def test_the_answer_reaches_the_browser_as_it_is_written(browser: httpx.Client) -> None:
    body = {"message": "How do for loops work in Python?"}
    with browser.stream("POST", "/api/chat/stream", json=body) as response:
        assert response.status_code == 200
        assert "content-encoding" not in response.headers
        received = list(events(response.iter_lines()))

    deltas = [r for r in received if r[1] == "delta"]
    *_, (finished, last, done) = received
    assert last == "done" and done["routed_to"] == "concepts", received[-1]
    assert done["model"] == "offline", done  # the page captions it "Offline tutor — ..."
    assert len(deltas) >= 2
    assert finished - deltas[0][0] > 0.3, f"all {len(deltas)} deltas came at once"


def _log_has(path: Path, text: str, after: int) -> bool:
    return text in path.read_text(errors="replace")[after:]


def test_a_browser_that_leaves_cancels_the_generation(
    frontend: Frontend, browser: httpx.Client
) -> None:
    concepts_log = frontend.mesh.stack.table.log_path("concepts")
    seen = len(concepts_log.read_text(errors="replace"))
    body = {"message": "how do I catch an exception with try and except"}
    with browser.stream("POST", "/api/chat/stream", json=body) as response:
        assert response.status_code == 200
        first = next(events(response.iter_lines()))
        assert first[1] == "delta"
    # leaving the block closed the connection, mid-answer
    eventually_sync(
        lambda: _log_has(concepts_log, "the caller left after", seen),
        timeout_s=20,
        what="concepts to log the cancelled generation",
    )
