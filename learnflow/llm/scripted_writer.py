"""A scripted writer model for tests of retrieve-then-write (`learnflow.llm.grounded`).

`ScriptedWriter` stands in for the small model that writes a grounded answer, with each way it
fails on a real machine: it writes its `deltas` (joined for a whole answer, one
`response.output_text.delta` each when streamed), then ends as `then` says — completes, hangs
for ever (a stalled stream), or raises (a dropped connection) — and `before` can make it hang or
raise before writing anything (a server that never answers, or refuses). It records every call
and sets `closed` when its stream is closed, so a test can check that nothing is left running.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from agents import Model, ModelResponse, ModelSettings, ModelTracing, Tool, Usage
from agents.agent_output import AgentOutputSchemaBase
from agents.handoffs import Handoff
from agents.items import TResponseInputItem, TResponseStreamEvent
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseTextDeltaEvent,
)

__all__ = ["ScriptedWriter", "WriterCall"]

Ending = Literal["complete", "hang"] | BaseException


@dataclass(frozen=True)
class WriterCall:
    """What the writer was asked: its system prompt, its input, its settings and tools."""

    instructions: str | None
    input: str | list[TResponseInputItem]
    settings: ModelSettings
    tools: list[Tool]
    streamed: bool

    @property
    def prompt(self) -> str:
        """The text of the (single) user message."""
        if isinstance(self.input, str):
            return self.input
        return "".join(str(dict(item).get("content", "")) for item in self.input)


class ScriptedWriter(Model):
    """Writes `deltas`, then ends as `then` says (module docstring)."""

    def __init__(
        self, *deltas: str, before: Ending | None = None, then: Ending = "complete"
    ) -> None:
        self.deltas = deltas
        self.before = before
        self.then = then
        self.calls: list[WriterCall] = []
        self.closed = asyncio.Event()

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: Any | None,
    ) -> ModelResponse:
        self.calls.append(
            WriterCall(system_instructions, input, model_settings, tools, streamed=False)
        )
        await _end(self.before)
        await _end(self.then)
        return ModelResponse(
            output=[_message("".join(self.deltas))],
            usage=Usage(requests=1, output_tokens=len(self.deltas)),
            response_id=None,
        )

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: Any | None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        self.calls.append(
            WriterCall(system_instructions, input, model_settings, tools, streamed=True)
        )
        try:
            await _end(self.before)
            yield ResponseOutputItemAddedEvent(
                type="response.output_item.added",
                item=_message("", status="in_progress"),
                output_index=0,
                sequence_number=0,
            )
            for number, delta in enumerate(self.deltas, start=1):
                yield ResponseTextDeltaEvent(
                    type="response.output_text.delta",
                    item_id="msg_scripted",
                    output_index=0,
                    content_index=0,
                    delta=delta,
                    logprobs=[],
                    sequence_number=number,
                )
            await _end(self.then)
            yield ResponseCompletedEvent(
                type="response.completed",
                response=Response(
                    id="resp_scripted",
                    created_at=time.time(),
                    model="scripted-writer",
                    object="response",
                    output=[_message("".join(self.deltas))],
                    parallel_tool_calls=False,
                    tool_choice="auto",
                    tools=[],
                    status="completed",
                ),
                sequence_number=len(self.deltas) + 1,
            )
        finally:
            self.closed.set()


async def _end(ending: Ending | None) -> None:
    if isinstance(ending, BaseException):
        raise ending
    if ending == "hang":
        await asyncio.get_running_loop().create_future()  # never set: only a timeout ends it


def _message(text: str, status: Any = "completed") -> ResponseOutputMessage:
    return ResponseOutputMessage(
        id="msg_scripted",
        role="assistant",
        status=status,
        type="message",
        content=[ResponseOutputText(type="output_text", text=text, annotations=[])] if text else [],
    )
