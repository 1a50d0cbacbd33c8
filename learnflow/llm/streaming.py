"""A finished model response replayed as the stream a model server sends, phrase by phrase.

The offline model decides a whole step at once (a tool call, or an answer built from the
lessons); `stream_events` turns that step into the Responses API events a streaming endpoint
emits — the item added, one `response.output_text.delta` per phrase of the text, the item done,
`response.completed` — so `Runner.run_streamed` and everything after it (the SSE routes, the
chat in the browser) treat an offline answer exactly like a language model's. A short pause
between phrases (`Settings.offline_stream_pause_s`) makes the answer appear as it would from a
model, and gives a learner who leaves a moment to cancel it. A run whose text is `held_back()`
(the tutor's, until its guardrail has read the whole reply) is not paced: nobody sees it yet.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from agents.items import TResponseStreamEvent
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)

__all__ = ["held_back", "phrases", "stream_events"]

#: A phrase ends after a sentence or clause mark followed by spaces, or after a line break: code
#: streams line by line, prose sentence by sentence.
_PHRASE_END = re.compile(r"(?<=[.!?;:])[ \t]+|\n+")


_watched: ContextVar[bool] = ContextVar("learnflow_streamed_text_watched", default=True)


@contextmanager
def held_back() -> Iterator[None]:
    """Runs started within it (their tasks copy the context) stream without pauses."""
    token = _watched.set(False)
    try:
        yield
    finally:
        _watched.reset(token)


def phrases(text: str) -> list[str]:
    """`text` cut into phrases, whitespace kept: `"".join(phrases(text)) == text`."""
    found: list[str] = []
    start = 0
    for match in _PHRASE_END.finditer(text):
        if match.end() > start:
            found.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        found.append(text[start:])
    return found


class _Numbers:
    """The events' `sequence_number`s: 0, 1, 2, ..."""

    def __init__(self) -> None:
        self.next = 0

    def __call__(self) -> int:
        self.next += 1
        return self.next - 1


async def stream_events(
    response: Response, *, pause_s: float = 0.0
) -> AsyncIterator[TResponseStreamEvent]:
    """The events of a streaming endpoint that produced `response` (see the module docstring).

    Before each phrase it waits `pause_s` (at least one turn of the event loop, so that a
    cancellation — the learner left — lands between two phrases, not after the whole answer)."""
    number = _Numbers()
    pause_s = pause_s if _watched.get() else 0.0
    for index, item in enumerate(response.output):
        if isinstance(item, ResponseOutputMessage):
            async for event in _message_events(item, index, number, pause_s):
                yield event
        else:
            yield ResponseOutputItemAddedEvent(
                type="response.output_item.added",
                item=item,
                output_index=index,
                sequence_number=number(),
            )
        yield ResponseOutputItemDoneEvent(
            type="response.output_item.done",
            item=item,
            output_index=index,
            sequence_number=number(),
        )
    yield ResponseCompletedEvent(
        type="response.completed", response=response, sequence_number=number()
    )


async def _message_events(
    item: ResponseOutputMessage, index: int, number: _Numbers, pause_s: float
) -> AsyncIterator[TResponseStreamEvent]:
    """A message's events: added (empty), then per text part: part added, one delta per
    phrase, text done, part done."""
    started = item.model_copy(update={"status": "in_progress", "content": []})
    yield ResponseOutputItemAddedEvent(
        type="response.output_item.added",
        item=started,
        output_index=index,
        sequence_number=number(),
    )
    for at, part in enumerate(item.content):
        if not isinstance(part, ResponseOutputText):
            continue
        yield ResponseContentPartAddedEvent(
            type="response.content_part.added",
            item_id=item.id,
            output_index=index,
            content_index=at,
            part=part.model_copy(update={"text": "", "annotations": []}),
            sequence_number=number(),
        )
        for phrase in phrases(part.text):
            await asyncio.sleep(pause_s)
            yield ResponseTextDeltaEvent(
                type="response.output_text.delta",
                item_id=item.id,
                output_index=index,
                content_index=at,
                delta=phrase,
                logprobs=[],
                sequence_number=number(),
            )
        yield ResponseTextDoneEvent(
            type="response.output_text.done",
            item_id=item.id,
            output_index=index,
            content_index=at,
            text=part.text,
            logprobs=[],
            sequence_number=number(),
        )
        yield ResponseContentPartDoneEvent(
            type="response.content_part.done",
            item_id=item.id,
            output_index=index,
            content_index=at,
            part=part,
            sequence_number=number(),
        )
