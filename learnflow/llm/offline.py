"""The built-in offline model: an OpenAI Agents SDK `Model` that is not a language model.

It runs when no OpenAI-compatible endpoint is configured. Each agent gives it a *policy*: plain,
deterministic code that reads the conversation (the learner's message and the results of tools
called so far) and decides the next step — call one of the agent's tools, or answer. Answers are
built from tool results (curriculum lessons, exercises, grading output), so they are grounded,
and they are labelled as coming from the offline tutor. The agent loop, tools, guardrails and
structured outputs are the SDK's own, exactly as with a real model.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from agents import Model, ModelResponse, ModelSettings, ModelTracing, Tool, Usage
from agents.agent_output import AgentOutputSchemaBase
from agents.handoffs import Handoff
from agents.items import TResponseInputItem, TResponseStreamEvent
from openai.types.responses import (
    Response,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
)

from learnflow.llm.streaming import stream_events

OFFLINE_MODEL_NAME = "learnflow-offline"
_ids = itertools.count(1)


@dataclass(frozen=True)
class ToolResult:
    name: str
    arguments: dict[str, Any]
    output: str

    def json(self) -> Any:
        """The tool output decoded from JSON (tools return JSON text), else the raw text."""
        try:
            return json.loads(self.output)
        except ValueError:
            return self.output


@dataclass(frozen=True)
class Transcript:
    """What the offline model can see: the last user message and this turn's tool results."""

    instructions: str
    user_message: str
    history: tuple[str, ...]
    tool_results: tuple[ToolResult, ...]
    tool_names: frozenset[str]

    def result(self, name: str) -> ToolResult | None:
        """The latest result of tool `name` in this turn."""
        for found in reversed(self.tool_results):
            if found.name == name:
                return found
        return None


@dataclass(frozen=True)
class CallTool:
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    text: str


class OfflinePolicy(Protocol):
    def next_step(self, transcript: Transcript) -> CallTool | Answer: ...


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _plain(raw: Any) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    dumped: dict[str, Any] = raw.model_dump()
    return dumped


def read_transcript(
    system_instructions: str | None, items: str | list[TResponseInputItem], tools: list[Tool]
) -> Transcript:
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    user_messages: list[str] = []
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    results: list[ToolResult] = []
    last_user_index = -1
    plain = [_plain(raw) for raw in items]
    for index, item in enumerate(plain):
        if item.get("role") == "user":
            user_messages.append(_text_of(item.get("content")))
            last_user_index = index
    for item in plain[last_user_index + 1 :]:
        if item.get("type") == "function_call":
            try:
                arguments = json.loads(str(item.get("arguments") or "{}"))
            except ValueError:
                arguments = {}
            calls[str(item["call_id"])] = (str(item["name"]), arguments)
        elif item.get("type") == "function_call_output":
            name, arguments = calls.get(str(item["call_id"]), ("?", {}))
            output = item.get("output")
            results.append(
                ToolResult(
                    name, arguments, output if isinstance(output, str) else json.dumps(output)
                )
            )
    return Transcript(
        instructions=system_instructions or "",
        user_message=user_messages[-1] if user_messages else "",
        history=tuple(user_messages[:-1]),
        tool_results=tuple(results),
        tool_names=frozenset(getattr(t, "name", "") for t in tools),
    )


def _output_item(step: CallTool | Answer) -> ResponseFunctionToolCall | ResponseOutputMessage:
    n = next(_ids)
    if isinstance(step, CallTool):
        return ResponseFunctionToolCall(
            id=f"fc_offline_{n}",
            call_id=f"call_offline_{n}",
            name=step.name,
            arguments=json.dumps(dict(step.arguments)),
            type="function_call",
            status="completed",
        )
    return ResponseOutputMessage(
        id=f"msg_offline_{n}",
        role="assistant",
        status="completed",
        type="message",
        content=[ResponseOutputText(type="output_text", text=step.text, annotations=[])],
    )


class OfflineModel(Model):
    """Drives an agent with a deterministic policy instead of a language model."""

    def __init__(
        self, policy: OfflinePolicy, *, max_tool_calls: int = 6, stream_pause_s: float = 0.0
    ) -> None:
        self.policy = policy
        self.max_tool_calls = max_tool_calls
        #: streamed answers wait this long before each phrase (`learnflow.llm.streaming`)
        self.stream_pause_s = stream_pause_s

    def step(self, transcript: Transcript) -> CallTool | Answer:
        """The policy's next step, checked: a known tool, and not one call too many."""
        step = self.policy.next_step(transcript)
        if isinstance(step, CallTool):
            if step.name not in transcript.tool_names:
                raise ValueError(f"offline policy asked for unknown tool {step.name!r}")
            if len(transcript.tool_results) >= self.max_tool_calls:
                raise RuntimeError("offline policy kept calling tools; it must answer")
        return step

    def respond(self, step: CallTool | Answer) -> ModelResponse:
        """`step` as `get_response` returns it."""
        return ModelResponse(output=[_output_item(step)], usage=Usage(), response_id=None)

    async def stream(self, step: CallTool | Answer) -> AsyncIterator[TResponseStreamEvent]:
        """`step` as `stream_response` streams it (an answer phrase by phrase)."""
        response = Response(
            id=f"resp_offline_{next(_ids)}",
            created_at=time.time(),
            model=OFFLINE_MODEL_NAME,
            object="response",
            output=[_output_item(step)],
            parallel_tool_calls=False,
            tool_choice="auto",
            tools=[],
            status="completed",
        )
        async for event in stream_events(response, pause_s=self.stream_pause_s):
            yield event

    def _step(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        tools: list[Tool],
    ) -> CallTool | Answer:
        return self.step(read_transcript(system_instructions, input, tools))

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
        return self.respond(self._step(system_instructions, input, tools))

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
        async for event in self.stream(self._step(system_instructions, input, tools)):
            yield event
