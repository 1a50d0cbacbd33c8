"""A scripted stand-in for a language model: preset tool calls, then preset text.

Each `get_response` returns the next scripted turn — a list of `(tool name, arguments)` calls or
a final text, or raises it when it is an exception — and records what the SDK sent, so a test
can check that the real tools ran and what their results were.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from agents import Model, ModelResponse, Usage
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

Turn = str | Sequence[tuple[str, dict[str, Any]]] | BaseException


@dataclass
class Sent:
    instructions: str | None
    input: Any
    tool_names: list[str]


class ScriptedModel(Model):
    # A plain class, not a dataclass: the SDK runs `dataclasses.asdict` over dataclass models
    # (agent identity), which would deep-copy the scripted turns.

    def __init__(self, turns: Sequence[Turn]) -> None:
        self.turns = list(turns)
        self.sent: list[Sent] = []

    async def get_response(
        self,
        system_instructions: str | None,
        input: Any,
        model_settings: Any,
        tools: list[Any],
        output_schema: Any,
        handoffs: list[Any],
        tracing: Any,
        **_: Any,
    ) -> ModelResponse:
        self.sent.append(Sent(system_instructions, input, [t.name for t in tools]))
        if not self.turns:
            raise AssertionError("the agent asked the scripted model for more turns than scripted")
        turn = self.turns.pop(0)
        if isinstance(turn, BaseException):
            raise turn
        number = len(self.sent)
        output: list[Any]
        if isinstance(turn, str):
            output = [
                ResponseOutputMessage(
                    id=f"msg_{number}",
                    role="assistant",
                    status="completed",
                    type="message",
                    content=[ResponseOutputText(type="output_text", text=turn, annotations=[])],
                )
            ]
        else:
            output = [
                ResponseFunctionToolCall(
                    id=f"fc_{number}_{i}",
                    call_id=f"call_{number}_{i}",
                    name=name,
                    arguments=json.dumps(arguments),
                    type="function_call",
                    status="completed",
                )
                for i, (name, arguments) in enumerate(turn)
            ]
        return ModelResponse(output=output, usage=Usage(), response_id=None)

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError("the scripted model does not stream")
        yield  # pragma: no cover


def tool_outputs(sent: Sent) -> list[str]:
    """The tool results the SDK sent the model in one request, oldest first (the SDK sends the
    whole run so far, so the last one is the newest)."""
    items = sent.input if isinstance(sent.input, list) else []
    return [
        str(item["output"])
        for item in items
        if isinstance(item, dict) and item.get("type") == "function_call_output"
    ]
