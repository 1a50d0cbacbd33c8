"""The offline model drives a real Agents SDK agent: tool calls, tool results, final answer."""

from __future__ import annotations

import json

from agents import Agent, Runner, function_tool

from learnflow.llm.offline import Answer, CallTool, OfflineModel, Transcript
from learnflow.llm.provider import build_model
from learnflow.settings import Settings


@function_tool
def lookup(topic: str) -> str:
    """Look a topic up."""
    return json.dumps({"topic": topic, "fact": f"{topic} repeat a block for each item"})


class LookThenAnswer:
    def __init__(self) -> None:
        self.seen: list[Transcript] = []

    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        self.seen.append(transcript)
        found = transcript.result("lookup")
        if found is None:
            return CallTool("lookup", {"topic": "for loops"})
        return Answer(f"From my notes: {found.json()['fact']}.")


async def test_policy_calls_a_tool_then_answers_from_its_result() -> None:
    policy = LookThenAnswer()
    agent = Agent(name="t", instructions="be helpful", tools=[lookup], model=OfflineModel(policy))

    result = await Runner.run(agent, "How do for loops work?")

    assert result.final_output == "From my notes: for loops repeat a block for each item."
    assert [t.user_message for t in policy.seen] == ["How do for loops work?"] * 2
    assert policy.seen[1].tool_results[0].arguments == {"topic": "for loops"}


async def test_streaming_gives_the_same_answer() -> None:
    agent = Agent(name="t", tools=[lookup], model=OfflineModel(LookThenAnswer()))
    streamed = Runner.run_streamed(agent, "loops?")
    async for _ in streamed.stream_events():
        pass
    assert streamed.final_output == "From my notes: for loops repeat a block for each item."


def test_an_endpoint_in_settings_selects_the_openai_compatible_model() -> None:
    configured = Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="some-model")
    model = build_model(LookThenAnswer(), configured)
    assert type(model).__name__ == "OpenAIChatCompletionsModel"
    assert isinstance(build_model(LookThenAnswer(), Settings()), OfflineModel)
