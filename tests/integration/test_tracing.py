"""One chat message is one trace, on the real stack: the sidecars' spans reach the stack's trace
collector under the trace id the apps log and answer with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from learnflow.mesh.stack import TRACE_COLLECTOR, WATCHDOG
from learnflow.mesh.traces import service_of, spans_of, traces_path
from learnflow.tracecontext import parse_traceparent
from tests.integration.harness import Mesh
from tests.integration.test_walking_skeleton import CONCEPT_QUESTION, _chat
from tests.waiting import eventually_sync

pytestmark = pytest.mark.integration

PYTHON_APPS = ("triage", "concepts", "tutor", "debrief", "code-runner")
SUPERVISOR_NOTE = "===== "  # a line of the supervisor's or the watchdog's (a start, a restart)


def _json_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of an app's log, parsed: each must be one JSON object."""
    entries = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith(SUPERVISOR_NOTE):
            continue
        entry = json.loads(line)  # fails the test on any line that is not JSON
        assert isinstance(entry, dict), line
        entries.append(entry)
    return entries


async def test_a_chat_message_is_one_trace_in_the_logs_and_the_spans(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    response = await _chat(http, mesh, message=CONCEPT_QUESTION, session_id=None)
    assert response.status_code == 200, response.text
    assert response.json()["routed_to"] == "concepts"
    served = parse_traceparent(response.headers.get("traceresponse"))
    assert served is not None, dict(response.headers)
    trace_id = served.trace_id

    # the apps' log lines for it carry the trace id: triage's, and the specialist's it called
    def logged(app_id: str, path: str) -> list[dict[str, Any]]:
        return [
            e
            for e in _json_lines(mesh.stack.table.log_path(app_id))
            if e.get("trace_id") == trace_id and e.get("http_path") == path
        ]

    (chat,) = eventually_sync(lambda: logged("triage", "/chat"), what="triage's line for /chat")
    assert chat["app_id"] == "triage" and chat["http_status"] == 200
    eventually_sync(lambda: logged("concepts", "/respond"), what="concepts' line for the call")

    # spans from the sidecars on both sides of the call reach the collector (batched by daprd)
    path = traces_path(mesh.settings.run_dir)

    def sidecars() -> set[str]:
        apps = {service_of(s) for s in spans_of(trace_id, path)}
        return apps if {"triage", "concepts"} <= apps else set()

    eventually_sync(sidecars, timeout_s=60, every_s=0.5, what=f"spans of {trace_id} in {path}")


def test_every_python_process_logs_json_lines(mesh: Mesh) -> None:
    for name in (*PYTHON_APPS, WATCHDOG, TRACE_COLLECTOR):
        assert _json_lines(mesh.stack.table.log_path(name)), f"{name} logged nothing"
