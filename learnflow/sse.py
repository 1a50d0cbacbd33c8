"""Server-sent events, the one wire format of a streamed reply (specialist -> triage -> browser).

An event is `event: <name>` and one `data:` line of JSON, then a blank line. A streamed reply is
any number of `delta` events, then exactly one of:

- `done`: the final reply — the same object the non-streaming route answers (a specialist's
  `StreamedReply`, triage's `ChatReply`). Its text is authoritative: a client shows it in place
  of the deltas it has put together.
- `error`: the reply could not be finished; the data is a problem body as the JSON routes answer
  it (`{"error", "message", ...}`) plus the HTTP `status` it would have had.

Lines starting with `:` are comments (a stream opens with one, so the headers go out at once).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

__all__ = ["DELTA", "DONE", "ERROR", "MEDIA_TYPE", "ServerSentEvent", "comment", "encode", "read"]

MEDIA_TYPE = "text/event-stream"
DELTA, DONE, ERROR = "delta", "done", "error"


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: Any


def encode(event: str, data: Any) -> bytes:
    """One event; JSON keeps the data on one line (a newline in text is escaped)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def comment(text: str) -> bytes:
    return f": {text}\n\n".encode()


async def read(lines: AsyncIterator[str]) -> AsyncIterator[ServerSentEvent]:
    """The events of a stream of lines (`httpx.Response.aiter_lines()`), as the SSE spec reads
    them: `event` and `data` fields up to a blank line; data lines joined with newlines;
    comments and other fields ignored; an event without data, or cut off before its blank line
    (the stream broke), is not dispatched. The data is
    decoded from JSON (a `ValueError` when it is not JSON: the stream is not ours)."""
    name = "message"
    data: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield ServerSentEvent(name, json.loads("\n".join(data)))
            name, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
