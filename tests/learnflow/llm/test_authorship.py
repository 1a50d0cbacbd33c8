"""Who wrote a run's answer (`written_by`): the model only when its text is the answer.

Retrieve-then-write runs on a scripted writer, whole and streamed alike: what the writer wrote
is the model's; a draft the policy keeps, and every fallback after a writer failure (before or
in the middle of its answer), is the offline tutor's.
"""

from __future__ import annotations

import anyio
import httpx
import pytest
from agents import Agent, Runner
from agents.result import RunResultBase

from learnflow.llm.authorship import OFFLINE, written_by
from learnflow.llm.grounded import NOTE_ERROR, NOTE_TIMEOUT, STOPPED_MID_ANSWER, UNUSABLE_AFTER
from learnflow.llm.offline import OfflineModel
from learnflow.llm.scripted_writer import ScriptedWriter
from learnflow.settings import Settings
from tests.learnflow.llm.test_grounded import (
    BOUND_S,
    DRAFT,
    LOOPING,
    QUESTION,
    TAIL,
    DraftOnly,
    LookThenAnswer,
    agent_on,
    lookup,
)

GROUNDED = Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="smollm2", llm_tool_calls=False)
WAYS = pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])


async def run(agent: Agent[None], *, streamed: bool) -> RunResultBase:
    with anyio.fail_after(BOUND_S):
        if not streamed:
            return await Runner.run(agent, QUESTION)
        result = Runner.run_streamed(agent, QUESTION)
        async for _ in result.stream_events():
            pass
        return result


@WAYS
async def test_an_answer_the_writer_wrote_is_the_models(streamed: bool) -> None:
    result = await run(agent_on(ScriptedWriter("A for loop ", "repeats.")), streamed=streamed)
    assert result.final_output == "A for loop repeats." + TAIL
    assert written_by(result, GROUNDED) == "smollm2"


@WAYS
async def test_an_answer_cut_at_a_loop_is_still_the_models(streamed: bool) -> None:
    result = await run(agent_on(ScriptedWriter(*LOOPING)), streamed=streamed)
    assert str(result.final_output).endswith(TAIL)
    assert written_by(result, GROUNDED) == "smollm2"


@WAYS
@pytest.mark.parametrize("policy", [DraftOnly(), LookThenAnswer(write=False)])
async def test_a_draft_the_policy_keeps_is_offline(streamed: bool, policy: object) -> None:
    result = await run(agent_on(ScriptedWriter("never used"), policy), streamed=streamed)
    assert result.final_output == DRAFT
    assert written_by(result, GROUNDED) == OFFLINE


@WAYS
@pytest.mark.parametrize(
    ("writer", "note"),
    [
        (ScriptedWriter("late", before="hang"), NOTE_TIMEOUT),
        (ScriptedWriter(before=httpx.ConnectError("refused")), NOTE_ERROR),
        (ScriptedWriter("the " * 20), None),
    ],
    ids=["timeout", "error", "garbage"],
)
async def test_the_fallback_after_a_writer_failure_is_offline(
    streamed: bool, writer: ScriptedWriter, note: str | None
) -> None:
    result = await run(agent_on(writer, answer_timeout_s=0.2), streamed=streamed)
    assert str(result.final_output).endswith(DRAFT)
    if note is not None:
        assert str(result.final_output) == f"{note}\n\n{DRAFT}"
    assert written_by(result, GROUNDED) == OFFLINE


@WAYS
async def test_an_answer_broken_mid_stream_is_offline(streamed: bool) -> None:
    # the model's first words, the notice, the offline answer: the learner is left with the
    # offline answer, and the notice says whose the words above it are
    writer = ScriptedWriter("A for", " loop", then=httpx.RemoteProtocolError("reset"))
    result = await run(agent_on(writer), streamed=streamed)
    if streamed:
        assert result.final_output == "A for loop …" + STOPPED_MID_ANSWER + DRAFT
    assert written_by(result, GROUNDED) == OFFLINE


async def test_a_stream_found_unusable_after_it_was_shown_is_offline() -> None:
    result = await run(agent_on(ScriptedWriter(*["the "] * 12)), streamed=True)
    assert str(result.final_output).endswith(UNUSABLE_AFTER + DRAFT)
    assert written_by(result, GROUNDED) == OFFLINE


@WAYS
async def test_the_offline_model_and_a_tool_calling_model_are_named_by_the_settings(
    streamed: bool,
) -> None:
    # a tool-calling model's stand-in, as the agents' tests script one
    agent = Agent(name="t", tools=[lookup], model=OfflineModel(DraftOnly()))
    result = await run(agent, streamed=streamed)
    assert written_by(result, GROUNDED.model_copy(update={"llm_tool_calls": True})) == "smollm2"
    assert written_by(result, Settings(llm_base_url=None)) == OFFLINE
    assert written_by(result, None) == OFFLINE
