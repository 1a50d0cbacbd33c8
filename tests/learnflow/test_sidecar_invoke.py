"""How `Sidecar.invoke` reads answers: an app's own problems (status in `x-learnflow-status`)
versus daprd's (a real non-2xx status). Fake transport: no daprd here (pure mapping logic)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter

from learnflow.api.service import create_service_app
from learnflow.errors import (
    Busy,
    DependencyFailed,
    FailedDependency,
    InvalidInput,
    RateLimited,
    Unavailable,
)
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar, UpstreamRejected


def _sidecar(status: int, headers: dict[str, str], body: dict[str, str]) -> Sidecar:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["x-learnflow-problems"] == "in-header"
        return httpx.Response(status, headers=headers, json=body)

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://d")
    return Sidecar(Settings(), client=client)


async def test_an_apps_404_is_passed_on_as_such() -> None:
    sidecar = _sidecar(200, {"x-learnflow-status": "404"}, {"message": "no exercise x"})
    with pytest.raises(UpstreamRejected) as caught:
        await sidecar.invoke("tutor", "grade")
    assert (caught.value.status_code, caught.value.message) == (404, "no exercise x")


@pytest.mark.parametrize(("status", "error"), [(429, RateLimited), (503, Busy)])
async def test_busy_answers_keep_their_retry_after(status: int, error: type[Busy]) -> None:
    headers = {"x-learnflow-status": str(status), "retry-after": "7"}
    sidecar = _sidecar(200, headers, {"message": "queue full"})
    with pytest.raises(error) as caught:
        await sidecar.invoke("code-runner", "run")
    assert caught.value.status_code == status and caught.value.retry_after_s == 7


async def test_daprds_own_refusal_is_a_failed_dependency() -> None:
    sidecar = _sidecar(403, {}, {"message": "access control policy has denied access"})
    with pytest.raises(DependencyFailed) as caught:
        await sidecar.invoke("debrief", "alerts")
    assert caught.value.details["upstream_status"] == 403


async def test_a_plain_2xx_is_the_answer() -> None:
    assert await _sidecar(200, {}, {"ok": "yes"}).invoke("concepts", "respond") == {"ok": "yes"}


@pytest.mark.parametrize(("status", "error"), [(424, "failed_dependency"), (503, "unavailable")])
async def test_an_app_whose_dependency_is_down_is_unavailable_naming_it(
    status: int, error: str
) -> None:
    """The tutor's 424 (its code runner is down) or 503 (its database is away), in the header:
    the caller's edge answers 503 + Retry-After with the app's plain message and names what is
    down — not the tutor, which is healthy."""
    body = {
        "error": error,
        "message": "Running code is unavailable right now, so your code was not graded.",
        "dependency": "code-runner",
    }
    headers = {"x-learnflow-status": str(status), "retry-after": "10"}
    with pytest.raises(Unavailable) as caught:
        await _sidecar(200, headers, body).invoke("tutor", "grade")
    assert caught.value.status_code == 503
    assert (caught.value.dependency, caught.value.retry_after_s) == ("code-runner", 10)
    assert caught.value.message == body["message"]


async def test_a_busy_503_stays_busy_not_unavailable() -> None:
    headers = {"x-learnflow-status": "503", "retry-after": "2"}
    with pytest.raises(Busy) as caught:
        await _sidecar(200, headers, {"error": "busy", "message": "queue full"}).invoke(
            "code-runner", "run"
        )
    assert not isinstance(caught.value, Unavailable) and caught.value.retry_after_s == 2


@pytest.mark.parametrize("status", [422, 409, 413])
async def test_an_apps_4xx_is_rejected_with_its_status_and_message(status: int) -> None:
    headers = {"x-learnflow-status": str(status)}
    with pytest.raises(UpstreamRejected) as caught:
        await _sidecar(200, headers, {"message": "code is empty"}).invoke("tutor", "grade")
    assert (caught.value.status_code, caught.value.message) == (status, "code is empty")


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_a_real_failure_is_a_failed_dependency_naming_the_app(status: int) -> None:
    """5xx are not tunnelled: they count against the app in Dapr's breaker, as they should."""
    with pytest.raises(DependencyFailed) as caught:
        await _sidecar(status, {}, {"message": "boom"}).invoke("concepts", "respond")
    assert not isinstance(caught.value, Unavailable)
    assert caught.value.dependency == "concepts"
    assert caught.value.details["upstream_status"] == status


async def test_daprds_404_for_an_unknown_method_is_not_the_apps() -> None:
    with pytest.raises(DependencyFailed) as caught:
        await _sidecar(404, {}, {"errorCode": "ERR_DIRECT_INVOKE"}).invoke("tutor", "nope")
    assert not isinstance(caught.value, UpstreamRejected)


async def test_the_guard_and_the_sidecar_agree_end_to_end() -> None:
    """What a real app's guard sends back through a daprd stand-in (which adds the caller id, as
    daprd does on service invocation) is read as the app's real answer."""
    internal = APIRouter()

    @internal.post("/grade")
    async def grade(kind: str) -> dict[str, str]:
        if kind == "bad":
            raise InvalidInput("code is empty: send the Python code to grade in `code`")
        if kind == "runner-down":
            raise FailedDependency("Running code is unavailable right now.", "code-runner")
        return {"ok": "yes"}

    token = "app-token-for-tests"
    app = create_service_app("tutor", routers=[internal], settings=Settings(app_api_token=token))
    to_app = httpx.ASGITransport(app=app)

    async def daprd(request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/method/", 1)[1]
        async with httpx.AsyncClient(transport=to_app, base_url="http://tutor") as client:
            answer = await client.post(
                f"/{method}?{request.url.query.decode()}",
                content=request.content,
                headers={
                    "x-learnflow-problems": request.headers["x-learnflow-problems"],
                    "dapr-caller-app-id": "triage",
                    "dapr-api-token": token,
                    "content-type": "application/json",
                },
            )
        assert answer.status_code == 200  # nothing for Dapr's breaker to count
        return httpx.Response(answer.status_code, content=answer.content, headers=answer.headers)

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
