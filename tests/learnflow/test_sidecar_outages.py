"""How `Sidecar` words outages: its daprd unreachable, the state store's database away, another
app's plain 503/424 passed on — and daprd's own errors never shown as if they were ours."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from learnflow.errors import DependencyFailed, Unavailable
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar


def sidecar(handler: httpx.MockTransport) -> Sidecar:
    return Sidecar(Settings(), client=httpx.AsyncClient(transport=handler, base_url="http://d"))


def answering(status: int, body: object, headers: dict[str, str] | None = None) -> Sidecar:
    return sidecar(
        httpx.MockTransport(lambda _: httpx.Response(status, json=body, headers=headers))
    )


async def test_an_unreachable_sidecar_is_unavailable_for_a_few_seconds() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(Unavailable) as raised:
        await sidecar(httpx.MockTransport(refuse)).invoke("tutor", "grade")
    assert (raised.value.status_code, raised.value.retry_after_s) == (503, 2)
    assert raised.value.message == "Part of LearnFlow is restarting. Try again in a few seconds."


async def test_a_state_store_failure_is_unavailable_and_says_nothing_was_saved() -> None:
    down = answering(500, {"errorCode": "ERR_STATE_SAVE", "message": "dial tcp: refused"})
    with pytest.raises(Unavailable, match="nothing was saved") as raised:
        await down.save_state("k", {"v": 1})
    assert "dial tcp" not in raised.value.message  # no internals for the learner


@pytest.mark.parametrize("status", [424, 503])
async def test_another_apps_plain_unavailable_answer_is_passed_on(status: int) -> None:
    body = {
        "error": "failed_dependency" if status == 424 else "unavailable",
        "message": "Running code is unavailable right now, so your code was not graded.",
        "dependency": "code-runner",
    }
    with pytest.raises(Unavailable) as raised:
        await answering(status, body, {"retry-after": "10"}).invoke("tutor", "grade")
    assert raised.value.status_code == 503  # the edge answers 503 whatever the hop said
    assert (raised.value.dependency, raised.value.retry_after_s) == ("code-runner", 10)
    assert raised.value.message == body["message"]


async def test_daprds_own_503_is_not_passed_on_as_ours() -> None:
    daprd = answering(503, {"errorCode": "ERR_DIRECT_INVOKE", "message": "app unhealthy"})
    with pytest.raises(DependencyFailed) as raised:
        await daprd.invoke("tutor", "grade")
    assert not isinstance(raised.value, Unavailable)
    assert raised.value.dependency == "tutor"


async def test_an_app_that_does_not_answer_in_time_is_named() -> None:
    """A hung app (not a dead one: nothing refuses the connection) costs the caller at most its
    invoke timeout, and the error names the app, not daprd, so triage can say what is down."""

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200, json={})

    client = httpx.AsyncClient(transport=httpx.MockTransport(hang), base_url="http://d")
    slow = Sidecar(Settings(), client=client, timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(DependencyFailed) as raised:
        await slow.invoke("tutor", "respond")
    assert time.monotonic() - started < 2
    assert raised.value.dependency == "tutor"
    assert raised.value.message == "invoke tutor/respond: tutor did not answer within 0.3 s"
