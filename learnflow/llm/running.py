"""Running an agent: a model that fails becomes one clear `DependencyFailed` (HTTP 502)."""

from __future__ import annotations

from typing import Any

from agents import Agent, MaxTurnsExceeded, ModelBehaviorError, Runner, RunResult
from openai import APIError

from learnflow.errors import DependencyFailed


async def run_agent(
    agent: Agent[Any], input: Any, *, who: str, max_turns: int, context: Any = None
) -> RunResult:
    """`Runner.run`, with model failures mapped once for every agent; `who` names the agent."""
    try:
        return await Runner.run(agent, input, context=context, max_turns=max_turns)
    except MaxTurnsExceeded as exc:
        raise DependencyFailed(
            f"the {who} model did not answer within {max_turns} turns", dependency="llm"
        ) from exc
    except (APIError, ModelBehaviorError) as exc:
        raise DependencyFailed(
            f"the language model endpoint failed: {exc}", dependency="llm"
        ) from exc
