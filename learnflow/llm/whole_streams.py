"""A model's event stream that ends without `data: [DONE]` is an error, not an answer.

An OpenAI-compatible server ends every streamed completion with `data: [DONE]`. When the server
dies mid-answer behind daprd (the HTTPEndpoint `llm`), the sidecar ends its chunked response to
us cleanly, and the OpenAI client and the Agents SDK then take the half answer for a whole one
(the SDK checks for a finish reason only on api.openai.com). This transport wraps every
`text/event-stream` body and raises `httpx.RemoteProtocolError` at its end if `[DONE]` never
came, so `GroundedModel` sees the failure and says so to the learner instead of showing a half
sentence as the model's answer. A reader that stops early (at `[DONE]`, or because we gave up)
never reaches the check.

Written against `httpx2`, the HTTP library the installed OpenAI client is built on (its fork of
httpx: the client takes only an `httpx2` transport and maps only `httpx2` errors).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2 as httpx

DONE = b"[DONE]"
_TAIL = 64  # `data: [DONE]` and the line ends around it


class _EndsWithDone(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self.inner = inner
        self.request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        tail = b""
        async for chunk in self.inner:
            tail = (tail + chunk)[-_TAIL:]
            yield chunk
        if DONE not in tail:
            raise httpx.RemoteProtocolError(
                "the model's event stream ended without [DONE]: the server stopped mid-answer",
                request=self.request,
            )

    async def aclose(self) -> None:
        await self.inner.aclose()


class WholeStreams(httpx.AsyncBaseTransport):
    """`inner` (default: httpx's own transport), with event streams checked for their end."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            return response
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_EndsWithDone(stream, request),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()
