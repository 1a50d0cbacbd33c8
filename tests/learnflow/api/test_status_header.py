"""A service invocation's 4xx travels as 200 + `x-learnflow-status` (Dapr's circuit breakers
count every non-2xx answer against the app) and `Sidecar.invoke` restores it; the edge API, the
guard's own refusals and daprd's own calls (`/dapr/subscribe`: a 200 there must be a list)
keep their real status."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter

from learnflow.api.service import STATUS_HEADER, create_service_app
from learnflow.errors import FailedDependency, InvalidInput, Unavailable
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar, UpstreamRejected

TOKEN = "app-token-for-tests"
INVOKED = {"dapr-api-token": TOKEN, "dapr-caller-app-id": "triage"}
internal, public = APIRouter(), APIRouter()


@internal.post("/grade")
async def grade(kind: str) -> dict[str, str]:
    if kind == "bad":
        raise InvalidInput("code is empty: send the Python code to grade in `code`")
    if kind == "runner-down":
        raise FailedDependency("Running code is unavailable right now.", "code-runner")
    return {"ok": "yes"}


@public.post("/chat")
async def chat() -> dict[str, str]:
    raise InvalidInput("the message is empty")


def app_client() -> httpx.AsyncClient:
    app = create_service_app(
        "tutor",
        routers=[internal],
        public_routers=[public],
        settings=Settings(app_api_token=TOKEN),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tutor")


async def test_an_internal_4xx_travels_as_200_with_its_status() -> None:
    async with app_client() as client:
        sent = await client.post("/grade?kind=bad", headers=INVOKED)
        down = await client.post("/grade?kind=runner-down", headers=INVOKED)
    assert (sent.status_code, sent.headers[STATUS_HEADER]) == (200, "422")
    assert sent.json()["error"] == "invalid_input"
    assert (down.status_code, down.headers[STATUS_HEADER]) == (200, "424")


async def test_the_edge_the_guard_and_daprds_own_calls_keep_their_real_status() -> None:
    async with app_client() as client:
        edge = await client.post("/chat")
        refused = await client.post("/grade?kind=ok")  # no token: not from our sidecar
        probe = await client.get("/dapr/subscribe", headers={"dapr-api-token": TOKEN})
    assert edge.status_code == 422 and STATUS_HEADER not in edge.headers
    assert refused.status_code == 401 and STATUS_HEADER not in refused.headers
    assert probe.status_code == 404 and STATUS_HEADER not in probe.headers


async def test_the_sidecar_client_restores_the_status() -> None:
    """What daprd hands back (the app's 200 + header) is read as the app's real answer."""
    async with app_client() as app:

        async def daprd(request: httpx.Request) -> httpx.Response:
            method = request.url.path.rsplit("/method/", 1)[1]
            answer = await app.post(
                f"/{method}?{request.url.query.decode()}",
                content=request.content,
                headers=INVOKED | {"content-type": "application/json"},
            )
            return httpx.Response(
                answer.status_code, content=answer.content, headers=answer.headers
            )

        client = httpx.AsyncClient(transport=httpx.MockTransport(daprd), base_url="http://d")
        sidecar = Sidecar(Settings(), client=client)
        with pytest.raises(UpstreamRejected) as rejected:
            await sidecar.invoke("tutor", "grade?kind=bad")
        with pytest.raises(Unavailable) as unavailable:
            await sidecar.invoke("tutor", "grade?kind=runner-down")
        assert await sidecar.invoke("tutor", "grade?kind=ok") == {"ok": "yes"}
        await sidecar.aclose()
    assert rejected.value.status_code == 422
    assert unavailable.value.status_code == 503 and unavailable.value.dependency == "code-runner"
