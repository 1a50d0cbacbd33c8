"""How `Sidecar.invoke` reads answers: an app's own problems (status in `x-learnflow-status`)
versus daprd's (a real non-2xx status). Fake transport: no daprd here (pure mapping logic)."""

from __future__ import annotations

import httpx
import pytest

from learnflow.errors import Busy, DependencyFailed, RateLimited
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
