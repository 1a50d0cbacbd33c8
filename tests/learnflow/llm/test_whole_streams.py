"""`WholeStreams`: an event stream cut before `[DONE]` raises; whole ones and other bodies pass."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from learnflow.llm.whole_streams import WholeStreams

CHUNK = b'data: {"choices": [{"delta": {"content": "For"}}]}\n\n'


def _client(body: bytes, content_type: str = "text/event-stream") -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": content_type}, content=body)

    return httpx.AsyncClient(transport=WholeStreams(httpx.MockTransport(answer)))


async def _read(client: httpx.AsyncClient) -> bytes:
    async with client, client.stream("POST", "http://model/v1/chat/completions") as response:
        return b"".join([chunk async for chunk in response.aiter_bytes()])


async def test_a_stream_that_ends_with_done_is_read_whole() -> None:
    body = CHUNK * 3 + b"data: [DONE]\n\n"
    assert await _read(_client(body)) == body


async def test_a_stream_cut_before_done_is_an_error_not_an_answer() -> None:
    with pytest.raises(httpx.RemoteProtocolError, match="without \\[DONE\\]"):
        await _read(_client(CHUNK * 3))


async def test_other_bodies_are_left_alone() -> None:
    assert await _read(_client(b'{"id": "x"}', "application/json")) == b'{"id": "x"}'


async def test_a_reader_that_stops_early_never_trips_the_check() -> None:
    client = _client(CHUNK * 50)
    async with client, client.stream("POST", "http://model/v1") as response:
        async for _ in response.aiter_raw():
            break  # gave up after the first chunk: no error on close
