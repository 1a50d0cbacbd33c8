"""Retrieve-then-write: the offline policy calls the tools, a scripted writer writes the answer.

Every failure of the writer (slow, refused, broken mid-stream, stalled, empty, looping) must end
in an answer — the offline draft with a note — within the configured bounds, and a streamed run's
final output must be exactly the text it streamed.
"""

from __future__ import annotations

import json
import logging

import anyio
import httpx
import httpx2
import openai
import pytest
from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool
from openai.types.responses import ResponseTextDeltaEvent

from learnflow.llm.grounded import (
    NOTE_ERROR,
    NOTE_TIMEOUT,
    NOTE_UNUSABLE,
    STOPPED_MID_ANSWER,
    UNUSABLE_AFTER,
    GroundedModel,
    closing,
    repeated_sentence,
    requested,
    unusable,
)
from learnflow.llm.offline import Answer, CallTool, Transcript
from learnflow.llm.provider import build_model, model_label
from learnflow.llm.running import StreamedRun
from learnflow.llm.scripted_writer import ScriptedWriter
from learnflow.llm.writing import Writing
from learnflow.settings import Settings

QUESTION = "How do for loops work? my secret name is Zed"
DRAFT = "From my notes: for loops repeat a block for each item."
TAIL = "\n\nSources: notes.loops"
#: Generous bound for "it did not hang": the timeouts under test are 0.2 s, the others longer
#: than this bound, so only the one under test can end the wait in time.
BOUND_S = 5
NEVER_S = 60


@function_tool
def lookup(topic: str) -> str:
    """Look a topic up."""
    return json.dumps({"topic": topic, "fact": f"{topic} repeat a block for each item"})


class LookThenAnswer:
    """Looks the topic up, then answers with a draft; hands the answer to the writer."""

    def __init__(self, *, write: bool = True, tail: str = TAIL) -> None:
        self.write, self.tail = write, tail
        self.seen: list[Transcript] = []

    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        self.seen.append(transcript)
        if transcript.result("lookup") is None:
            return CallTool("lookup", {"topic": "for loops"})
        return Answer(DRAFT)

    def writing(self, transcript: Transcript, draft: Answer) -> Writing | None:
        found = transcript.result("lookup")
        if not self.write or found is None:
            return None
        return Writing(
            instructions="Explain to a beginner.",
            prompt=f"Fact: {found.json()['fact']}\n\nQuestion: {transcript.user_message}",
            tail=self.tail,
            max_tokens=50,
        )


class DraftOnly:
    """A policy without `writing()`: its draft is always the answer."""

    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        if transcript.result("lookup") is None:
            return CallTool("lookup", {"topic": "for loops"})
        return Answer(DRAFT)


def agent_on(
    writer: ScriptedWriter,
    policy: object | None = None,
    *,
    answer_timeout_s: float = NEVER_S,
    stall_s: float = NEVER_S,
) -> Agent[None]:
    model = GroundedModel(
        policy or LookThenAnswer(),  # type: ignore[arg-type]
        writer,
        answer_timeout_s=answer_timeout_s,
        stall_s=stall_s,
    )
    return Agent(name="t", instructions="be helpful", tools=[lookup], model=model)


async def streamed(agent: Agent[None]) -> tuple[list[str], str]:
    """The deltas a streamed run gave, and its final output."""
    result = Runner.run_streamed(agent, QUESTION)
    deltas: list[str] = []
    async for event in result.stream_events():
        if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent):
            deltas.append(event.data.delta)
    return deltas, str(result.final_output)


# --- whole answers -----------------------------------------------------------------------------


async def test_the_policy_calls_the_tools_and_the_writer_writes_the_answer() -> None:
    writer = ScriptedWriter("A for loop ", "repeats its block for each item.")
    policy = LookThenAnswer()

    result = await Runner.run(agent_on(writer, policy), QUESTION)

    assert result.final_output == "A for loop repeats its block for each item." + TAIL
    assert policy.seen[1].tool_results[0].arguments == {"topic": "for loops"}
    (call,) = writer.calls  # the tool step never reached the writer
    assert call.streamed  # a whole answer is streamed too, and collected
    assert call.instructions == "Explain to a beginner."
    assert call.prompt.startswith("Fact: for loops repeat a block for each item")
    assert call.tools == []
    assert (call.settings.max_tokens, call.settings.temperature) == (50, 0.2)


async def test_a_whole_answer_counts_the_writers_usage() -> None:
    result = await Runner.run(agent_on(ScriptedWriter("A for loop ", "repeats.")), QUESTION)
    assert result.context_wrapper.usage.output_tokens == 2  # one token per scripted delta


async def test_the_written_text_is_stripped_before_the_tail() -> None:
    writer = ScriptedWriter("\n  Loops repeat.  \n\n")
    result = await Runner.run(agent_on(writer), QUESTION)
    assert result.final_output == "Loops repeat." + TAIL


async def test_a_tail_is_a_paragraph_of_its_own_after_the_written_text() -> None:
    # regression: the tutor's "Hint 1 of 3 …" ran on from the model's last word
    policy = LookThenAnswer(tail="Hint 1 of 3: check 15 first.")
    result = await Runner.run(agent_on(ScriptedWriter("Loops repeat."), policy), QUESTION)
    assert result.final_output == "Loops repeat.\n\nHint 1 of 3: check 15 first."
    deltas, final = await streamed(agent_on(ScriptedWriter("Loops repeat."), policy))
    assert "".join(deltas) == final == "Loops repeat.\n\nHint 1 of 3: check 15 first."


@pytest.mark.parametrize("policy", [DraftOnly(), LookThenAnswer(write=False)])
async def test_without_a_writing_the_draft_is_the_answer(policy: object) -> None:
    writer = ScriptedWriter("never used")
    result = await Runner.run(agent_on(writer, policy), QUESTION)
    assert result.final_output == DRAFT
    assert writer.calls == []


@pytest.mark.parametrize(
    ("writer", "note"),
    [
        (ScriptedWriter("late", before="hang"), NOTE_TIMEOUT),
        (
            ScriptedWriter(before=openai.APITimeoutError(httpx.Request("POST", "http://m"))),
            NOTE_TIMEOUT,
        ),
        # the OpenAI client's own HTTP library (httpx2), should a timeout of it escape
        (ScriptedWriter(before=httpx2.ReadTimeout("no bytes")), NOTE_TIMEOUT),
        (ScriptedWriter(before=httpx.ConnectError("refused")), NOTE_ERROR),
        (
            ScriptedWriter(
                before=openai.APIConnectionError(request=httpx.Request("POST", "http://m"))
            ),
            NOTE_ERROR,
        ),
        (ScriptedWriter(""), NOTE_UNUSABLE),
        (ScriptedWriter("  \n"), NOTE_UNUSABLE),
        (ScriptedWriter("the " * 20), NOTE_UNUSABLE),
    ],
    ids=[
        "slow",
        "client-timeout",
        "transport-timeout",
        "refused",
        "api-error",
        "empty",
        "blank",
        "looping",
    ],
)
async def test_a_failing_writer_gives_the_draft_with_a_note(
    writer: ScriptedWriter, note: str
) -> None:
    with anyio.fail_after(BOUND_S):
        result = await Runner.run(agent_on(writer, answer_timeout_s=0.2), QUESTION)
    assert result.final_output == f"{note}\n\n{DRAFT}"


@pytest.mark.parametrize(
    "writer",
    [ScriptedWriter(before="hang"), ScriptedWriter("A for", " loop", then="hang")],
    ids=["before-its-first-token", "mid-answer"],
)
async def test_a_whole_answer_given_up_on_closes_the_writers_stream(writer: ScriptedWriter) -> None:
    # closing the stream closes its HTTP connection: llama.cpp's server then stops generating,
    # where a whole (non-streamed) request would hold the model until it had finished
    with anyio.fail_after(BOUND_S):
        result = await Runner.run(agent_on(writer, answer_timeout_s=0.2, stall_s=0.2), QUESTION)
        await writer.closed.wait()
    assert result.final_output == f"{NOTE_TIMEOUT}\n\n{DRAFT}"


async def test_a_whole_answer_broken_mid_answer_is_the_draft_with_a_note() -> None:
    # nobody saw the writer's first words: unlike a stream, the answer need not keep them
    writer = ScriptedWriter("A for", " loop", then=httpx.RemoteProtocolError("reset"))
    result = await Runner.run(agent_on(writer), QUESTION)
    assert result.final_output == f"{NOTE_ERROR}\n\n{DRAFT}"
    assert writer.closed.is_set()


async def test_the_warning_names_the_reason_and_never_the_learners_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="learnflow.llm.grounded"):
        await Runner.run(agent_on(ScriptedWriter(before=httpx.ConnectError("refused"))), QUESTION)
    (record,) = caplog.records
    assert "ConnectError" in record.getMessage()
    assert "Zed" not in record.getMessage() and "loops" not in record.getMessage()


# --- streamed answers --------------------------------------------------------------------------


async def test_streamed_tokens_are_the_writers_then_the_tail() -> None:
    writer = ScriptedWriter("\n", "A for", " loop", " repeats.", "\n")

    deltas, final = await streamed(agent_on(writer))

    assert deltas == ["A for", " loop", " repeats.", TAIL]
    assert final == "".join(deltas) == "A for loop repeats." + TAIL
    assert [call.streamed for call in writer.calls] == [True]
    assert writer.closed.is_set()


async def test_a_streamed_tool_step_never_calls_the_writer() -> None:
    policy = DraftOnly()
    writer = ScriptedWriter("unused")
    deltas, final = await streamed(agent_on(writer, policy))
    assert final == "".join(deltas) == DRAFT
    assert writer.calls == []


@pytest.mark.parametrize(
    ("writer", "note"),
    [
        (ScriptedWriter("late", before="hang"), NOTE_TIMEOUT),
        (ScriptedWriter(before=httpx.ConnectError("refused")), NOTE_ERROR),
        (ScriptedWriter(), NOTE_UNUSABLE),
        (ScriptedWriter(" ", "\n"), NOTE_UNUSABLE),
    ],
    ids=["slow", "refused", "nothing", "blank"],
)
async def test_a_stream_failing_before_its_first_token_streams_the_draft_with_a_note(
    writer: ScriptedWriter, note: str
) -> None:
    with anyio.fail_after(BOUND_S):
        deltas, final = await streamed(agent_on(writer, answer_timeout_s=0.2))
    assert final == "".join(deltas) == f"{note}\n\n{DRAFT}"
    assert writer.closed.is_set()


@pytest.mark.parametrize(
    "writer",
    [
        ScriptedWriter("A for", " loop", then=httpx.RemoteProtocolError("connection reset")),
        ScriptedWriter("A for", " loop", then="hang"),
    ],
    ids=["broken", "stalled"],
)
async def test_a_stream_stopping_mid_answer_ends_with_the_notice_and_the_draft(
    writer: ScriptedWriter,
) -> None:
    with anyio.fail_after(BOUND_S):
        deltas, final = await streamed(agent_on(writer, stall_s=0.2))
    assert deltas[:2] == ["A for", " loop"]
    assert final == "".join(deltas) == "A for loop …" + STOPPED_MID_ANSWER + DRAFT
    assert writer.closed.is_set()


async def test_the_answer_timeout_bounds_a_stream_that_keeps_going_slowly() -> None:
    writer = ScriptedWriter("A for", " loop", then="hang")
    with anyio.fail_after(BOUND_S):
        deltas, final = await streamed(agent_on(writer, answer_timeout_s=0.2))
    assert final == "".join(deltas) == "A for loop …" + STOPPED_MID_ANSWER + DRAFT


async def test_a_streamed_loop_is_followed_by_the_draft() -> None:
    writer = ScriptedWriter(*["the "] * 12)
    deltas, final = await streamed(agent_on(writer))
    assert final == "".join(deltas)
    assert final.endswith(UNUSABLE_AFTER + DRAFT)


async def test_a_learner_who_leaves_closes_the_writers_stream() -> None:
    writer = ScriptedWriter("A for", " loop", then="hang")
    run = StreamedRun(agent_on(writer), QUESTION, who="test", max_turns=4)
    with anyio.fail_after(BOUND_S):
        text = run.text()
        assert await anext(text) == "A for"
        await text.aclose()  # type: ignore[attr-defined]
        await writer.closed.wait()


async def test_an_answer_cut_inside_a_code_block_is_closed_before_the_tail() -> None:
    cut = "Like this:\n\n```python\nfor x in items:"
    result = await Runner.run(agent_on(ScriptedWriter(cut)), QUESTION)
    assert result.final_output == cut + "\n```" + TAIL
    deltas, final = await streamed(agent_on(ScriptedWriter("Like this:\n\n", "```python\nfor")))
    assert final == "".join(deltas) == "Like this:\n\n```python\nfor\n```" + TAIL


async def test_a_stream_broken_inside_a_code_block_closes_it_before_the_notice() -> None:
    writer = ScriptedWriter("Like this:\n\n", "```python\nfor", then=httpx.ReadError("reset"))
    deltas, final = await streamed(agent_on(writer))
    assert (
        final == "".join(deltas) == "Like this:\n\n```python\nfor\n```" + STOPPED_MID_ANSWER + DRAFT
    )


LOOPING = (
    "A loop repeats a block of code. ",
    "It runs once for each item. ",
    "A loop repeats a block of code. ",
    "Never shown.",
)


async def test_a_looping_answer_stops_before_the_repetition() -> None:
    result = await Runner.run(agent_on(ScriptedWriter(*LOOPING)), QUESTION)
    assert (
        result.final_output == "A loop repeats a block of code. It runs once for each item." + TAIL
    )


async def test_a_looping_stream_stops_after_the_repetition() -> None:
    writer = ScriptedWriter(*LOOPING, then="hang")  # it would go on; the loop stops it at once
    with anyio.fail_after(BOUND_S):
        deltas, final = await streamed(agent_on(writer))
    assert final == "".join(deltas)
    assert final == "".join(LOOPING[:3]).rstrip() + TAIL
    assert writer.closed.is_set()


async def test_an_answer_saying_its_request_back_stops_there() -> None:
    echo = "Loops repeat a block. \n\nQuestion: How do for loops work? my secret name is Zed\n"
    result = await Runner.run(agent_on(ScriptedWriter(echo, "More.")), QUESTION)
    assert result.final_output == "Loops repeat a block." + TAIL


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("A loop repeats a block of code. A loop repeats a block of code. ", 32),
        ("A loop repeats a block of code.\nA loop repeats a block of code.\n", 32),
        ("A loop repeats a block of code. A loop repeats a block of code", None),  # unfinished
        ("Yes, it is. Yes, it is. ", None),  # short: emphasis, not a loop
        ("```python\nprint('a value that repeats')\nprint('a value that repeats')\n```\n", None),
    ],
)
def test_repeated_sentence(text: str, at: int | None) -> None:
    assert repeated_sentence(text) == at


def test_the_request_counts_as_said() -> None:
    writing = Writing(
        instructions="You are a tutor. Explain things in simple words to a beginner.",
        prompt="Lesson: Loops\n\nA loop repeats.\n\nExplain to a beginner: what is a loop?\n"
        "Use 2 to 4 short sentences.",
    )
    said = requested(writing)
    assert said == {
        "Explain things in simple words to a beginner.",
        "Explain to a beginner: what is a loop?",
        "Use 2 to 4 short sentences.",
    }
    text = "A loop repeats.\nUse 2 to 4 short sentences.\n"
    assert repeated_sentence(text, said) == len("A loop repeats.\n")


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("A loop repeats.", ""),
        ("A loop repeats its block for each", " …"),
        ("Use `range(3)`", ""),
        ("```python\nx = 1\n```", ""),
        ("Like this:\n```python\nx = 1", "\n```"),
        ("Like this:\n  ```\nx = 1\n  ```\nand\n```\ny", "\n```"),
    ],
)
def test_closing(text: str, after: str) -> None:
    assert closing(text) == after


# --- the unusable rule -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("  \n ", "empty"),
        ("... 123 !!!", "no letters"),
        ("the the the the the the the The", "one word repeated"),
        ("loop " * 5 + "a b c d", "one word repeated"),
        ("A loop loop.", None),
        ("A `for` loop runs its block once for each item in a list.", None),
        ("yes yes yes", None),  # too short to call a loop
    ],
)
def test_unusable(text: str, why: str | None) -> None:
    assert unusable(text) == why


# --- the provider ------------------------------------------------------------------------------


def test_with_tool_calls_off_the_endpoint_only_writes() -> None:
    configured = Settings(
        llm_base_url="http://127.0.0.1:9/v1",
        llm_model="smollm2",
        llm_tool_calls=False,
        llm_answer_timeout_s=12,
        llm_stall_s=3,
    )
    model = build_model(DraftOnly(), configured)
    assert isinstance(model, GroundedModel)
    assert (model.answer_timeout_s, model.stall_s) == (12, 3)
    assert isinstance(model.writer, OpenAIChatCompletionsModel)
    assert model.writer._client.max_retries == 0  # the offline fallback is the retry
    assert model_label(configured) == "smollm2"

    calling = build_model(DraftOnly(), configured.model_copy(update={"llm_tool_calls": True}))
    assert isinstance(calling, OpenAIChatCompletionsModel)
    assert calling._client.max_retries == 2
