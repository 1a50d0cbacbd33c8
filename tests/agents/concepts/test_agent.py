"""The concepts agent on the LLM path (a scripted model), and how a run becomes an answer."""

from __future__ import annotations

import httpx
import openai
import pytest

from concepts_agent.agent import (
    INSTRUCTIONS,
    agent_input,
    answer_of,
    build_concepts_agent,
    cited_sources,
    explain,
    explain_streamed,
    follow_up_of,
)
from concepts_agent.offline_policy import ConceptsOfflinePolicy
from learnflow.errors import DependencyFailed, InvalidInput
from learnflow.llm.grounded import NOTE_ERROR, GroundedModel
from learnflow.llm.offline import Answer, CallTool, OfflineModel
from learnflow.llm.scripted_writer import ScriptedWriter
from learnflow.retrieval import LessonIndex
from learnflow.testing import ScriptedPolicy, scripted_model

FINAL = """\
A `for` loop runs its block once for each item.

```python
for name in ["Maya", "James"]:
    print(name)
```

Sources: control-flow.for-loops, control-flow.made-up-lesson

Check question: What does `list(range(3))` give?"""


async def test_llm_path_runs_the_real_tools_and_cites_only_what_it_retrieved(
    index: LessonIndex,
) -> None:
    policy = ScriptedPolicy(
        CallTool("search_lessons", {"query": "for loops"}),
        CallTool("read_lesson", {"lesson_id": "control-flow.for-loops"}),
        Answer(FINAL),
    )
    agent = build_concepts_agent(index=index, model=OfflineModel(policy))

    answer = await explain(agent, "How do for loops work?")

    assert answer.answer == FINAL
    # the invented id is dropped: no tool ever returned it
    assert answer.sources == ("control-flow.for-loops",)
    assert answer.follow_up == "What does `list(range(3))` give?"
    first, after_search, after_read = policy.seen
    assert first.instructions == INSTRUCTIONS
    assert first.tool_names == {"search_lessons", "read_lesson"}
    (search,) = after_search.tool_results
    assert search.json()["results"][0]["lesson_id"] == "control-flow.for-loops"
    lesson = after_read.tool_results[-1].json()
    assert lesson["title"] == "For loops"
    assert lesson["check_questions"][0]["prompt"].startswith("What does `list(range(2, 8, 2))`")


async def test_without_a_sources_line_the_lessons_read_are_the_sources(
    index: LessonIndex,
) -> None:
    model = scripted_model(
        CallTool("search_lessons", {"query": "sets"}),
        CallTool("read_lesson", {"lesson_id": "data-structures.sets"}),
        Answer("A set keeps each value once. Can you make a set from [1, 1, 2]?"),
    )
    answer = await explain(build_concepts_agent(index=index, model=model), "what is a set")
    assert answer.sources == ("data-structures.sets",)
    assert answer.follow_up == "A set keeps each value once. Can you make a set from [1, 1, 2]?"


async def test_an_answer_from_no_tool_at_all_has_no_sources(index: LessonIndex) -> None:
    model = scripted_model(Answer("Loops repeat things.\n\nSources: control-flow.for-loops"))
    answer = await explain(build_concepts_agent(index=index, model=model), "loops?")
    assert answer.sources == ()


async def test_a_wrong_lesson_id_comes_back_as_an_error_the_model_can_recover_from(
    index: LessonIndex,
) -> None:
    policy = ScriptedPolicy(
        CallTool("read_lesson", {"lesson_id": "control-flow.for"}),
        CallTool("read_lesson", {"lesson_id": "control-flow.for-loops"}),
        Answer("Loops.\n\nSources: control-flow.for-loops"),
    )
    answer = await explain(
        build_concepts_agent(index=index, model=OfflineModel(policy)), "for loops?"
    )
    error = policy.seen[1].tool_results[-1].json()
    assert "no lesson 'control-flow.for'" in error["error"]
    assert answer.sources == ("control-flow.for-loops",)


async def test_an_endpoint_failure_is_a_dependency_failure(index: LessonIndex) -> None:
    failure = openai.APIConnectionError(request=httpx.Request("POST", "http://llm.invalid/v1"))
    agent = build_concepts_agent(index=index, model=scripted_model(failure))
    with pytest.raises(DependencyFailed, match="language model endpoint failed") as caught:
        await explain(agent, "loops?")
    assert caught.value.dependency == "llm"


async def test_a_model_that_never_answers_is_stopped(index: LessonIndex) -> None:
    search = CallTool("search_lessons", {"query": "loops"})
    agent = build_concepts_agent(index=index, model=scripted_model(search, search, search))
    with pytest.raises(DependencyFailed, match="did not answer within 2 turns"):
        await explain(agent, "loops?", max_turns=2)


# --- reading the answer ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("x\n\nSources: `a.one` (One); see also `a.two` (Two)", ("a.one", "a.two")),
        ("x\n\n**Sources:** a.two, a.one, a.two", ("a.two", "a.one")),
        ("x\n\nsources: a.one, e.g. nothing", ("a.one",)),
        ("x (see a.one)", ("a.read",)),  # no Sources line: the lessons read
    ],
)
def test_cited_sources(answer: str, expected: tuple[str, ...]) -> None:
    assert cited_sources(answer, ["a.read"], {"a.one", "a.two", "a.read"}) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            "Text.\n\n**Check question:** What is 2 + 2?\n\nA) 3\nB) 4",
            "What is 2 + 2?\n\nA) 3\nB) 4",
        ),
        ("Text.\nCheck question: Why?", "Why?"),
        ("Is it clear? Text.\nWhat prints?\nSources: a.b", "What prints?"),
        ("No question here.", None),
    ],
)
def test_follow_up_of(answer: str, expected: str | None) -> None:
    assert follow_up_of(answer) == expected


def test_agent_input_checks_and_attaches_code() -> None:
    assert agent_input("  why?  ", code="x = 1\n") == (
        "why?\n\nThe student's code:\n```python\nx = 1\n```"
    )
    with pytest.raises(InvalidInput, match="the question is empty"):
        agent_input(" \n ")
    with pytest.raises(InvalidInput, match="the limit is 8000"):
        agent_input("x" * 8001)


# --- retrieve-then-write: the offline policy retrieves, a writer model explains -----------------

WRITTEN = "A for loop runs its block once for each item of a list."


def grounded(index: LessonIndex, writer: ScriptedWriter) -> GroundedModel:
    return GroundedModel(ConceptsOfflinePolicy(index), writer, answer_timeout_s=5, stall_s=5)


async def test_a_written_answer_cites_the_lesson_retrieved_and_asks_its_check_question(
    index: LessonIndex,
) -> None:
    writer = ScriptedWriter(WRITTEN)
    agent = build_concepts_agent(index=index, model=grounded(index, writer))

    answer = await explain(agent, "How do for loops work?")

    assert answer.answer.startswith(WRITTEN + "\n\n**Worked example**\n\n")
    assert "\n\nSources: `control-flow.for-loops`" in answer.answer
    assert answer.sources == ("control-flow.for-loops",)
    assert answer.follow_up is not None
    assert answer.follow_up.startswith("What does `list(range(2, 8, 2))` give?")
    (call,) = writer.calls
    assert "Lesson: For loops" in call.prompt


async def test_a_streamed_written_answer_is_the_text_streamed(index: LessonIndex) -> None:
    writer = ScriptedWriter("A for loop ", "runs its block ", "once for each item.")
    run = explain_streamed(
        build_concepts_agent(index=index, model=grounded(index, writer)), "How do for loops work?"
    )
    text = "".join([delta async for delta in run.text()])
    answer = answer_of(run.result)
    assert text.startswith("A for loop runs its block once for each item.\n\n**Worked example**")
    assert answer.answer == text.strip()
    assert answer.sources == ("control-flow.for-loops",)


async def test_when_the_writer_fails_the_offline_answer_keeps_its_sources(
    index: LessonIndex,
) -> None:
    writer = ScriptedWriter(before=httpx.ConnectError("refused"))
    agent = build_concepts_agent(index=index, model=grounded(index, writer))

    answer = await explain(agent, "How do for loops work?")

    assert answer.answer.startswith(NOTE_ERROR)
    assert answer.sources == ("control-flow.for-loops",)
    assert answer.follow_up is not None
