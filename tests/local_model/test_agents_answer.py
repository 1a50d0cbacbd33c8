"""Each agent answers through the local model, on the stack with `LEARNFLOW_LLM=local`: a concept
question (concepts), a hint on the open exercise (tutor) and a progress question (debrief), each
entering the mesh at triage as the web app's chat does. The reply names the model that wrote it
(`model`), carries LearnFlow's own facts (sources, the hint's rung, the figures) and no fallback
note; and the model server's log shows the request arrived."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from learnflow.mesh.model_server import SMOLLM2
from tests.integration.harness import Mesh
from tests.integration.test_walking_skeleton import CONCEPT_QUESTION, login

pytestmark = pytest.mark.integration

FELL_BACK = re.compile(r"The AI model (did not answer|could not answer|stopped|'s answer)")


async def _ask(http: httpx.AsyncClient, mesh: Mesh, **body: Any) -> dict[str, Any]:
    """The chat's reply, asked until the model wrote it (at most 3 times: on a busy machine an
    answer may time out, and then it says so and is LearnFlow's offline one)."""
    headers = mesh.dapr_headers | await login(http, mesh)
    for _ in range(3):
        response = await http.post(
            mesh.invoke_url("triage", "triage", "chat"), json=body, headers=headers, timeout=120
        )
        assert response.status_code == 200, response.text
        reply: dict[str, Any] = response.json()
        if not FELL_BACK.search(reply["reply"]):
            return reply
    raise AssertionError(f"the model never answered: {reply['reply'][:300]}")


def _requests_served(mesh: Mesh) -> int:
    log = mesh.stack.table.log_path("model-server")
    return log.read_text(errors="replace").count('"POST /v1/chat/completions HTTP/1.1" 200')


async def test_concepts_explains_with_the_model_and_cites_the_lesson_it_retrieved(
    local_mesh: Mesh, http: httpx.AsyncClient
) -> None:
    before = _requests_served(local_mesh)
    reply = await _ask(http, local_mesh, message=CONCEPT_QUESTION)
    assert reply["routed_to"] == "concepts"
    assert reply["model"] == SMOLLM2.alias
    assert reply["sources"][0] == "control-flow.for-loops"
    assert "Check question" in reply["reply"]  # LearnFlow's tail, after the model's words
    assert _requests_served(local_mesh) > before


async def test_the_tutor_gives_a_hint_in_the_models_words_and_the_curriculums(
    local_mesh: Mesh, http: httpx.AsyncClient
) -> None:
    reply = await _ask(
        http,
        local_mesh,
        message="I'm stuck, can I have a hint?",
        exercise_id="control-flow.fizzbuzz",
    )
    assert reply["routed_to"] == "tutor"
    assert reply["model"] == SMOLLM2.alias
    assert re.search(r"Hint 1 of \d", reply["reply"]), reply["reply"]


async def test_debrief_answers_a_progress_question_with_the_stored_figures(
    local_mesh: Mesh, http: httpx.AsyncClient
) -> None:
    reply = await _ask(http, local_mesh, message="How am I doing so far?")
    assert reply["routed_to"] == "debrief"
    assert reply["model"] == SMOLLM2.alias
    assert re.search(r"\d+%", reply["reply"]), reply["reply"]  # the figures, never the model's
