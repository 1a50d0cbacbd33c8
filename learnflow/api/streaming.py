"""Streamed replies over HTTP (the wire format is `learnflow.sse`).

`EventStream` is the response: `text/event-stream`, never cached or held back by a proxy, and it
closes its body when it ends — also when the client left: Starlette cancels the body then, and
closing it at once (not whenever the garbage collector gets to it) is what stops the
generation behind it.

`reply_events` is a specialist's reply as events. Its work happens *inside* the streamed body on
purpose: Starlette notices a client that leaves only while a streaming body is being sent, so
a generation run before the response starts could not be cancelled. What can fail fast
(validation, loading the session) belongs before it, in the route, where it keeps its status.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any

from pydantic import BaseModel
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from learnflow import sse
from learnflow.api.problems import problem_details
from learnflow.errors import LearnFlowError

__all__ = ["EventStream", "error_event", "reply_events"]

log = logging.getLogger("learnflow.streaming")
NO_BUFFERING = {"cache-control": "no-cache", "x-accel-buffering": "no"}

#: OpenAPI of a route answering `EventStream` (learnflow.sse's events).
STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "SSE (learnflow.sse)"}
}


class EventStream(StreamingResponse):
    media_type = sse.MEDIA_TYPE

    def __init__(
        self,
        events: AsyncGenerator[bytes, None],
        status_code: int = 200,  # FastAPI's OpenAPI reads a response class's default status
        headers: Mapping[str, str] | None = None,
        *,
        on_close: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """`on_close` runs after the body is closed, whatever happened: it releases what the
        route opened for the body (an upstream stream), even if the body never started."""
        super().__init__(events, status_code, headers={**NO_BUFFERING, **(headers or {})})
        self.events = events
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            try:
                await self.events.aclose()
            finally:
                if self.on_close is not None:
                    await self.on_close()


def error_event(exc: LearnFlowError) -> bytes:
    """An `error` event: the problem body the JSON routes answer, plus its HTTP status."""
    body = {"error": exc.code, "message": exc.message, **problem_details(exc)}
    return sse.encode(sse.ERROR, {**body, "status": exc.status_code})


async def reply_events(
    parts: AsyncGenerator[str | BaseModel, None], *, who: str
) -> AsyncGenerator[bytes, None]:
    """`parts` — text chunks, then the final reply (a model, last) — as a streamed reply:

    an opening comment (so the headers go out at once and the caller knows the reply started),
    a `delta` per non-empty chunk, then `done` with the final reply; a `LearnFlowError` midway
    is an `error` event (anything else too, as a 500, and logged). A caller that leaves
    cancels `parts`, which is logged with how far it got (`who` names the agent)."""
    deltas = 0
    finished = False
    yield sse.comment(f"{who} is answering")
    try:
        async for part in parts:
            if isinstance(part, str):
                if part:
                    deltas += 1
                    yield sse.encode(sse.DELTA, {"text": part})
                continue
            finished = True
            yield sse.encode(sse.DONE, part.model_dump(mode="json"))
    except LearnFlowError as exc:
        if exc.status_code >= 500:
            log.warning("%s: the reply failed after %d deltas: %s", who, deltas, exc.message)
        yield error_event(exc)
    except (asyncio.CancelledError, GeneratorExit):
        if not finished:
            log.info(
                "%s: the caller left after %d deltas; the generation is cancelled", who, deltas
            )
        raise
    except Exception:
        log.exception("%s: the reply failed after %d deltas", who, deltas)
        yield error_event(LearnFlowError("something went wrong on our side; try again"))
    finally:
        await parts.aclose()
