"""Running an agent: a model that fails becomes one clear `DependencyFailed` (HTTP 502).

`run_agent` waits for the whole answer (`Runner.run`); `StreamedRun` runs the same agent on the
streaming runner (`Runner.run_streamed`) and hands out the answer's text as the model writes it —
the offline model phrase by phrase, an OpenAI-compatible endpoint token by token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

from agents import (
    Agent,
    MaxTurnsExceeded,
    ModelBehaviorError,
    RawResponsesStreamEvent,
    Runner,
    RunResult,
    RunResultStreaming,
)
from openai import APIError
from openai.types.responses import ResponseTextDeltaEvent

from learnflow.errors import DependencyFailed


@contextmanager
def _model_failures(who: str, max_turns: int) -> Iterator[None]:
    """The SDK's and the endpoint's failures as `DependencyFailed` on `llm`."""
    try:
        yield
    except MaxTurnsExceeded as exc:
        raise DependencyFailed(
            f"the {who} model did not answer within {max_turns} turns", dependency="llm"
        ) from exc
    except (APIError, ModelBehaviorError) as exc:
        raise DependencyFailed(
            f"the language model endpoint failed: {exc}", dependency="llm"
        ) from exc


async def run_agent(
    agent: Agent[Any], input: Any, *, who: str, max_turns: int, context: Any = None
) -> RunResult:
    """`Runner.run`, with model failures mapped once for every agent; `who` names the agent."""
    with _model_failures(who, max_turns):
        return await Runner.run(agent, input, context=context, max_turns=max_turns)


class StreamedRun:
    """One agent run on the streaming runner, started when its text is first read.

    `text()` yields the text the model writes, delta by delta, and ends when the run has ended;
    `result` then holds the final output and the run's items, as `run_agent`'s result does.
    Failures are mapped as in `run_agent`; the output guardrails' tripwire is raised from
    `text()` too, after the whole answer (the SDK runs them on the final output). Leaving
    `text()` early — the caller is gone and the task is cancelled, or the iterator is closed —
    cancels the run: no more model calls or tools. A run whose text is never read never starts
    (a response that was never sent leaves no generation behind).

    Text the model writes before calling a tool (a narrating model) is streamed too, though it
    is not part of the final output: the final reply is the authoritative text.
    """

    def __init__(
        self, agent: Agent[Any], input: Any, *, who: str, max_turns: int, context: Any = None
    ) -> None:
        self.agent, self.input, self.context = agent, input, context
        self.who = who
        self.max_turns = max_turns
        self._result: RunResultStreaming | None = None

    @property
    def result(self) -> RunResultStreaming:
        if self._result is None:
            raise RuntimeError("the run has not started: read its text() first")
        return self._result

    async def text(self) -> AsyncIterator[str]:
        result = self._result = Runner.run_streamed(
            self.agent, self.input, context=self.context, max_turns=self.max_turns
        )
        try:
            with _model_failures(self.who, self.max_turns):
                async for event in result.stream_events():
                    if isinstance(event, RawResponsesStreamEvent) and isinstance(
                        event.data, ResponseTextDeltaEvent
                    ):
                        yield event.data.delta
        finally:
            if not result.is_complete:
                result.cancel()
