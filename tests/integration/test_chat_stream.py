"""`POST /chat/stream` through the real runtime: the offline answer is written out delta by
delta across two daprd hops (triage -> concepts), ends with the reply `/chat` gives, is saved
once; a learner who leaves after the first delta cancels the generation in the concepts app."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from learnflow import sse
from tests.integration.harness import Mesh
from tests.integration.test_walking_skeleton import CONCEPT_QUESTION, login
from tests.waiting import eventually

pytestmark = pytest.mark.integration

COMPARED = ("reply", "routed_to", "intent", "confidence", "sources", "unavailable", "quiz")
LONG_QUESTION = "how do I catch an exception with try and except"  # ~110 phrases


async def stream_chat(
    http: httpx.AsyncClient, mesh: Mesh, body: dict[str, Any]
) -> list[tuple[float, sse.ServerSentEvent]]:
    """The events of a chat stream with the time each arrived (entering through triage's own
    sidecar, like the web app's BFF after its own daprd)."""
    headers = mesh.dapr_headers | await login(http, mesh)
    url = mesh.invoke_url("triage", "triage", "chat/stream")
    async with http.stream("POST", url, json=body, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        return [(time.monotonic(), e) async for e in sse.read(response.aiter_lines())]


async def test_a_chat_streams_delta_by_delta_and_ends_as_chat_would_answer(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    session_id = f"it-stream-{uuid.uuid4()}"

    timed = await stream_chat(http, mesh, {"message": CONCEPT_QUESTION, "session_id": session_id})
    whole = await http.post(
        mesh.invoke_url("triage", "triage", "chat"),
        json={"message": CONCEPT_QUESTION},
        headers=mesh.dapr_headers | await login(http, mesh),
    )

    events = [event for _, event in timed]
    *deltas, done = events
    assert len(deltas) >= 2 and {e.event for e in deltas} == {"delta"}, events[-3:]
    assert done.event == "done"
    assert {k: done.data[k] for k in COMPARED} == {k: whole.json()[k] for k in COMPARED}
    assert done.data["sources"][0] == "control-flow.for-loops"
    assert "".join(e.data["text"] for e in deltas).strip() == done.data["reply"]
    # streamed, not buffered by a daprd on the way: the text kept coming for a while
    first_delta, finished = timed[0][0], timed[-1][0]
    assert finished - first_delta > 0.3, f"all {len(deltas)} deltas came at once"
    # saved once: the conversation in the state store, the user's history in PostgreSQL
    stored = mesh.state_value("triage", f"conversation:{session_id}")
    assert stored is not None
    assert [t["message_id"] for t in stored["turns"]] == [done.data["message_id"]]
    rows = mesh.sql(
        "SELECT m.sender FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.session_id = %s ORDER BY m.created_at, m.id",
        session_id,
    )
    assert [sender for (sender,) in rows] == ["student", "agent"]


def _log_has(path: Path, text: str, after: int) -> bool:
    return text in path.read_text(errors="replace")[after:]


async def test_a_learner_who_leaves_cancels_the_generation(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    concepts_log = mesh.stack.table.log_path("concepts")
    triage_log = mesh.stack.table.log_path("triage")
    seen = {p: len(p.read_text(errors="replace")) for p in (concepts_log, triage_log)}
    session_id = f"it-leave-{uuid.uuid4()}"
    headers = mesh.dapr_headers | await login(http, mesh)
    url = mesh.invoke_url("triage", "triage", "chat/stream")

    async with http.stream(
        "POST", url, json={"message": LONG_QUESTION, "session_id": session_id}, headers=headers
    ) as response:
        assert response.status_code == 200
        async for event in sse.read(response.aiter_lines()):
            assert event.event == "delta"
            break  # the learner closes the tab after the first words

    async def cancelled() -> bool:
        return _log_has(concepts_log, "the caller left after", seen[concepts_log])

    await eventually(cancelled, timeout_s=20, what="concepts to log the cancelled generation")
    assert _log_has(triage_log, "the learner left after", seen[triage_log])
    assert mesh.state_value("triage", f"conversation:{session_id}") is None  # not saved
    # and the next chat is served normally
    timed = await stream_chat(http, mesh, {"message": CONCEPT_QUESTION})
    assert timed[-1][1].event == "done"
