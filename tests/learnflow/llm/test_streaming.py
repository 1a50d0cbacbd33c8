"""The offline model streams its answers phrase by phrase through `Runner.run_streamed`
(`StreamedRun`), like a model server; leaving the stream cancels the run."""

from __future__ import annotations

import asyncio

import httpx
import openai
import pytest
from agents import Agent

from learnflow.errors import DependencyFailed
from learnflow.llm.offline import Answer, CallTool, OfflineModel, Transcript
from learnflow.llm.running import StreamedRun
from learnflow.llm.streaming import held_back, phrases
from learnflow.testing import ScriptedPolicy, scripted_model
from tests.learnflow.llm.test_offline import LookThenAnswer, lookup

ANSWER = (
    "A `for` loop runs a block once per item. Each time round, the variable is the next "
    "item:\n\n```python\nfor name in names:\n    print(name)\n```\n\nWhat does it print?"
)


@pytest.mark.parametrize(
    "text",
    [ANSWER, "", "one", "no end mark", "a.b c. ", "\n\n", "x:\ty", "Done!  Next? yes; no"],
)
def test_phrases_put_back_together_are_the_text(text: str) -> None:
    assert "".join(phrases(text)) == text
    assert all(phrases(text))  # no empty phrase


def test_prose_splits_by_sentence_and_code_by_line() -> None:
    assert phrases(ANSWER) == [
        "A `for` loop runs a block once per item. ",
        "Each time round, the variable is the next item:\n\n",
        "```python\n",
        "for name in names:\n",
        "    print(name)\n",
        "```\n\n",
        "What does it print?",
    ]


def agent_on(model: OfflineModel) -> Agent[None]:
    return Agent(name="t", instructions="help", tools=[lookup], model=model)


async def test_a_streamed_offline_answer_comes_in_phrases_and_ends_as_the_whole_answer() -> None:
    run = StreamedRun(agent_on(scripted_model(Answer(ANSWER))), "loops?", who="t", max_turns=3)

    deltas = [text async for text in run.text()]

    assert deltas == phrases(ANSWER)
    assert run.result.final_output == ANSWER


async def test_tool_calls_stream_no_text_and_the_answer_uses_their_results() -> None:
    run = StreamedRun(agent_on(OfflineModel(LookThenAnswer())), "loops?", who="t", max_turns=3)

    deltas = [text async for text in run.text()]

    assert "".join(deltas) == "From my notes: for loops repeat a block for each item."
    assert len(deltas) == 2  # "From my notes: " + the rest


async def test_the_pause_spaces_the_phrases_out() -> None:
    model = OfflineModel(ScriptedPolicy(Answer("One. Two. Three.")), stream_pause_s=0.05)
    run = StreamedRun(agent_on(model), "count", who="t", max_turns=2)
    loop = asyncio.get_running_loop()

    times = [loop.time() async for _ in run.text()]

    assert len(times) == 3 and times[-1] - times[0] >= 0.09


async def test_a_run_held_back_is_not_paced() -> None:
    """Text nobody sees yet (the tutor's, before its guardrail) is not written out slowly."""
    model = OfflineModel(ScriptedPolicy(Answer("One. Two. Three.")), stream_pause_s=10)
    run = StreamedRun(agent_on(model), "count", who="t", max_turns=2)
    async with asyncio.timeout(5):
        with held_back():
            assert [text async for text in run.text()] == ["One. ", "Two. ", "Three."]


async def test_a_run_whose_text_is_never_read_never_starts() -> None:
    """A response that was never sent (the client left before it started) leaves no run."""
    policy = ScriptedPolicy(Answer("One."))
    run = StreamedRun(agent_on(OfflineModel(policy)), "count", who="t", max_turns=2)
    await run.text().aclose()
    await asyncio.sleep(0)
    assert policy.seen == []
    with pytest.raises(RuntimeError, match="has not started"):
        run.result  # noqa: B018


async def test_leaving_the_stream_cancels_the_run() -> None:
    """The learner left after the first phrase: the run stops, no further model call is made."""
    policy = ScriptedPolicy(Answer("One. Two. Three."), CallTool("lookup", {"topic": "x"}))
    model = OfflineModel(policy, stream_pause_s=0.05)
    run = StreamedRun(agent_on(model), "count", who="t", max_turns=3)

    text = run.text()
    assert await anext(text) == "One. "
    await text.aclose()

    assert run.result.is_complete
    assert run.result.final_output is None
    assert len(policy.seen) == 1 and len(policy.steps) == 1  # never asked again


class Failing:
    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        raise openai.APIConnectionError(request=httpx.Request("POST", "http://llm.invalid"))


async def test_a_failing_endpoint_is_a_dependency_failure_on_the_llm() -> None:
    run = StreamedRun(agent_on(OfflineModel(Failing())), "hi", who="concepts", max_turns=2)
    with pytest.raises(DependencyFailed) as failed:
        [text async for text in run.text()]
    assert failed.value.dependency == "llm"


async def test_a_model_that_never_answers_is_a_dependency_failure() -> None:
    steps = [CallTool("lookup", {"topic": "x"})] * 3
    run = StreamedRun(agent_on(scripted_model(*steps)), "hi", who="concepts", max_turns=2)
    with pytest.raises(DependencyFailed, match="did not answer within 2 turns"):
        [text async for text in run.text()]
