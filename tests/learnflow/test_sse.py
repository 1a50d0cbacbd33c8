"""The SSE wire format: what `encode` writes, `read` reads back, as the spec says."""

from __future__ import annotations

from collections.abc import AsyncIterator

from learnflow import sse


async def lines(*chunks: bytes) -> AsyncIterator[str]:
    for line in b"".join(chunks).decode().splitlines(keepends=True):
        yield line


async def test_encoded_events_read_back_with_their_data() -> None:
    written = [
        sse.comment("concepts is answering"),
        sse.encode(sse.DELTA, {"text": "line one\nline two"}),
        sse.encode(sse.DONE, {"reply": "é ✓", "sources": ["a.b"]}),
    ]

    events = [event async for event in sse.read(lines(*written))]

    assert events == [
        sse.ServerSentEvent("delta", {"text": "line one\nline two"}),
        sse.ServerSentEvent("done", {"reply": "é ✓", "sources": ["a.b"]}),
    ]
    assert written[1].count(b"\n") == 3  # one data line: the newline in the text is escaped


async def test_the_reader_follows_the_spec() -> None:
    raw = (
        b"data: 1\r\n\r\n"  # no event field: "message"; CRLF line ends
        b"event: delta\ndata: [1,\ndata: 2]\nid: 7\n\n"  # data lines joined by newlines
        b"event: nothing\n\n"  # no data: not dispatched
        b"event: done\ndata: {}\n"  # cut off before its blank line: not dispatched
    )

    events = [event async for event in sse.read(lines(raw))]

    assert events == [sse.ServerSentEvent("message", 1), sse.ServerSentEvent("delta", [1, 2])]
