"""The local model server as the agents reach it: through their own daprd (the HTTPEndpoint
`llm`), streamed token by token, not buffered by the sidecar, and refused to callers without the
sidecar's token. Real llama.cpp server, real daprd."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from learnflow.mesh.model_server import SMOLLM2
from tests.integration.harness import Mesh

pytestmark = pytest.mark.integration

QUESTION = {"role": "user", "content": "Say hello to a Python learner in one sentence."}


def _llm_url(mesh: Mesh, via: str, path: str) -> str:
    return mesh.invoke_url(via, "llm", f"v1/{path}")


@pytest.mark.parametrize("via", ["triage", "concepts", "tutor", "debrief"])
async def test_every_agents_sidecar_reaches_the_model(
    local_mesh: Mesh, http: httpx.AsyncClient, via: str
) -> None:
    response = await http.post(
        _llm_url(local_mesh, via, "chat/completions"),
        json={"model": SMOLLM2.alias, "messages": [QUESTION], "max_tokens": 24, "temperature": 0},
        headers=local_mesh.dapr_headers_for(via),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == SMOLLM2.alias
    assert body["choices"][0]["message"]["content"].strip()
    assert body["usage"]["completion_tokens"] > 0


async def test_a_streamed_answer_comes_through_the_sidecar_token_by_token(
    local_mesh: Mesh, http: httpx.AsyncClient
) -> None:
    arrivals: list[tuple[float, str]] = []
    async with http.stream(
        "POST",
        _llm_url(local_mesh, "concepts", "chat/completions"),
        json={"messages": [QUESTION], "max_tokens": 48, "temperature": 0, "stream": True},
        headers=local_mesh.dapr_headers_for("concepts"),
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                delta = json.loads(line[6:])["choices"][0]["delta"].get("content")
                if delta:
                    arrivals.append((time.monotonic(), delta))
    assert len(arrivals) >= 3, arrivals
    # streamed, not gathered by daprd and sent at once: the tokens kept coming for a while
    assert arrivals[-1][0] - arrivals[0][0] > 0.1, f"{len(arrivals)} tokens came at once"


async def test_the_model_is_not_reachable_through_a_sidecar_without_its_token(
    local_mesh: Mesh, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        _llm_url(local_mesh, "concepts", "chat/completions"),
        json={"messages": [QUESTION], "max_tokens": 4},
        headers=local_mesh.dapr_headers_for("tutor"),  # another app's token
    )
    assert response.status_code == 401


async def test_code_runners_sidecar_has_no_route_to_the_model(
    local_mesh: Mesh, http: httpx.AsyncClient
) -> None:
    # the endpoint is scoped to the agents: the sidecar of the app that runs learners' code
    # never loaded it, so `llm` is no name it can call
    response = await http.post(
        _llm_url(local_mesh, "code-runner", "chat/completions"),
        json={"model": SMOLLM2.alias, "messages": [QUESTION], "max_tokens": 4},
        headers=local_mesh.dapr_headers_for("code-runner"),
    )
    assert response.status_code >= 400, response.text
    assert "choices" not in response.text
