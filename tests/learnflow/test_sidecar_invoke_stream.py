"""`Sidecar.invoke_stream`: the body is read as it comes, an app's problems raise as `invoke`
raises them, and leaving the block closes the connection. Fake transport: no daprd here."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from learnflow.errors import DependencyFailed, Unavailable
from learnflow.settings import Settings
from learnflow.sidecar import Sidecar, UpstreamRejected


class Body(httpx.AsyncByteStream):
    """A streamed body that hands out one chunk per `release` and records being closed."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = list(chunks)
        self.released = asyncio.Semaphore(0)
        self.closed = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            await self.released.acquire()
            yield chunk

    async def aclose(self) -> None:
        self.closed.set()


def sidecar_answering(response: httpx.Response, seen: list[httpx.Request]) -> Sidecar:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://d")
    return Sidecar(Settings(), client=client, timeout_s=2)


async def test_the_body_is_read_as_it_comes_and_closed_on_leaving() -> None:
    body = Body(b"event: delta\n", b'data: {"text": "Hi"}\n\n', b"never read\n")
    seen: list[httpx.Request] = []
    sidecar = sidecar_answering(httpx.Response(200, stream=body), seen)

    async with sidecar.invoke_stream("concepts", "respond/stream", json_body={"m": 1}) as answer:
        lines = answer.aiter_lines()
        body.released.release()
        assert await anext(lines) == "event: delta"
        body.released.release()
        assert await anext(lines) == 'data: {"text": "Hi"}'

    async with asyncio.timeout(2):
        await body.closed.wait()
    (request,) = seen
    assert request.url.path == "/v1.0/invoke/concepts/method/respond/stream"
    assert request.headers["x-learnflow-problems"] == "in-header"
    assert "text/event-stream" not in request.headers.get("accept", "")  # daprd's plain path


async def test_an_apps_problem_raises_as_invoke_raises_it() -> None:
    problem = httpx.Response(
        200, headers={"x-learnflow-status": "404"}, json={"message": "no exercise x.y"}
    )
    sidecar = sidecar_answering(problem, [])
    with pytest.raises(UpstreamRejected) as caught:
        async with sidecar.invoke_stream("tutor", "respond/stream"):
            pytest.fail("a problem is not a stream")
    assert (caught.value.status_code, caught.value.message) == (404, "no exercise x.y")


async def test_an_app_that_is_down_is_a_dependency_failure_naming_it() -> None:
    down = httpx.Response(500, json={"errorCode": "ERR_DIRECT_INVOKE", "message": "refused"})
    with pytest.raises(DependencyFailed) as caught:
        async with sidecar_answering(down, []).invoke_stream("concepts", "respond/stream"):
            pytest.fail("a failure is not a stream")
    assert caught.value.dependency == "concepts" and caught.value.details["upstream_status"] == 500


async def test_headers_that_do_not_come_in_time_name_the_app() -> None:
    async def never(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    client = httpx.AsyncClient(transport=httpx.MockTransport(never), base_url="http://d")
    sidecar = Sidecar(Settings(), client=client, timeout_s=0.05)
    with pytest.raises(DependencyFailed, match=r"concepts did not answer within 0\.05 s"):
        async with sidecar.invoke_stream("concepts", "respond/stream"):
            pytest.fail("no headers came")


async def test_our_own_daprd_away_is_unavailable() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(refused), base_url="http://d")
    with pytest.raises(Unavailable) as caught:
        async with Sidecar(Settings(), client=client).invoke_stream("concepts", "respond/stream"):
            pytest.fail("daprd is away")
    assert caught.value.dependency == "daprd"
