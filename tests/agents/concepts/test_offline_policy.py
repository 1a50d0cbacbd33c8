"""The concepts agent's offline policy: search → read the top lesson → answer from it."""

from __future__ import annotations

import json

import pytest
from agents import Runner

from concepts_agent.agent import (
    build_concepts_agent,
    explain,
    read_lesson_json,
    search_lessons_json,
)
from concepts_agent.offline_policy import (
    OFFLINE_MARKER,
    WRITING_INSTRUCTIONS,
    WRITING_REQUEST,
    ConceptsOfflinePolicy,
    check_question,
    split_blocks,
)
from learnflow.llm.offline import Answer, CallTool, ToolResult, Transcript
from learnflow.llm.writing import Writing, WritingPolicy
from learnflow.retrieval import LessonIndex

TOOLS = frozenset({"search_lessons", "read_lesson"})


def transcript(message: str, *results: ToolResult) -> Transcript:
    return Transcript(
        instructions="",
        user_message=message,
        history=(),
        tool_results=results,
        tool_names=TOOLS,
    )


def searched(index: LessonIndex, query: str) -> ToolResult:
    return ToolResult("search_lessons", {"query": query}, search_lessons_json(index, query))


def read(index: LessonIndex, lesson_id: str) -> ToolResult:
    return ToolResult("read_lesson", {"lesson_id": lesson_id}, read_lesson_json(index, lesson_id))


def answer_to(index: LessonIndex, question: str) -> str:
    """Drive the policy by hand through search and read, and return its answer."""
    policy = ConceptsOfflinePolicy(index)
    step = policy.next_step(transcript(question))
    assert isinstance(step, CallTool) and step.name == "search_lessons"
    search = searched(index, str(step.arguments["query"]))
    step = policy.next_step(transcript(question, search))
    if isinstance(step, Answer):
        return step.text
    assert step.name == "read_lesson"
    step = policy.next_step(transcript(question, search, read(index, step.arguments["lesson_id"])))
    assert isinstance(step, Answer)
    return step.text


# --- the steps ---------------------------------------------------------------------------------


def test_first_step_searches_with_the_question_without_pasted_code(index: LessonIndex) -> None:
    message = "why does my loop fail?\n\n```python\nfor i in len(x):\n    pass\n```"
    step = ConceptsOfflinePolicy(index).next_step(transcript(message))
    assert step == CallTool("search_lessons", {"query": "why does my loop fail?"})


def test_a_confident_match_is_read_before_answering(index: LessonIndex) -> None:
    question = "How do for loops work?"
    step = ConceptsOfflinePolicy(index).next_step(transcript(question, searched(index, question)))
    assert step == CallTool("read_lesson", {"lesson_id": "control-flow.for-loops"})


def test_an_empty_message_gets_a_question_back(index: LessonIndex) -> None:
    step = ConceptsOfflinePolicy(index).next_step(transcript("   "))
    assert isinstance(step, Answer) and "What would you like me to explain?" in step.text


# --- the grounded answer -----------------------------------------------------------------------


def test_answer_is_built_from_the_lesson_and_says_it_is_offline(index: LessonIndex) -> None:
    text = answer_to(index, "How do for loops work?")
    assert text.startswith(OFFLINE_MARKER)
    assert "### For loops" in text
    # explanation: the opening paragraph and its code
    assert "runs the same block of code **once for each item**" in text
    assert 'print("Hello", name)' in text
    # worked example: intro, code and its output
    assert "Adding up a basket of prices:" in text
    assert "total += price" in text and "Total: 8.0" in text
    # one common mistake (the first, when the question names none), numbering dropped
    assert "**Resetting the accumulator inside the loop.**" in text
    assert "Looping over a number" not in text
    assert "Sources: `control-flow.for-loops` (For loops)" in text


def test_explanation_adds_the_paragraph_that_matches_the_question(index: LessonIndex) -> None:
    text = answer_to(index, "how does range work in a for loop")
    assert "produces numbers to loop over" in text
    assert "| `range(3)`    | 0, 1, 2    |" in text  # the table the paragraph introduces


def test_the_common_mistake_shown_is_the_one_closest_to_the_question(index: LessonIndex) -> None:
    text = answer_to(index, "for loop says 'int' object is not iterable")
    assert "**Looping over a number instead of a sequence.**" in text
    assert "TypeError: 'int' object is not iterable" in text
    assert "Resetting the accumulator" not in text


def test_check_question_is_the_lessons_quiz_question_without_its_answer(
    index: LessonIndex,
) -> None:
    text = answer_to(index, "How do for loops work?")
    check = text.split("**Check question:** ", 1)[1]
    assert check.startswith("What does `list(range(2, 8, 2))` give?")
    assert "A) [2, 4, 6]\nB) [2, 4, 6, 8]\nC) [4, 6, 8]" in check
    assert "SECRET-EXPLANATION" not in text
    assert '"answer"' not in read_lesson_json(index, "control-flow.for-loops")


def test_without_a_quiz_question_the_check_question_comes_from_the_title(
    index: LessonIndex,
) -> None:
    text = answer_to(index, "how do I remove duplicates")
    assert "Sources: `data-structures.sets` (Sets)" in text
    assert text.endswith(
        "**Check question:** Can you write a short example that uses sets and say what it "
        "prints before you run it?"
    )


def test_related_lessons_are_listed_as_see_also(index: LessonIndex) -> None:
    text = answer_to(index, "loops")
    sources = next(line for line in text.splitlines() if line.startswith("Sources:"))
    assert "see also `control-flow.while-loops` (While loops)" in sources


# --- no good match -----------------------------------------------------------------------------


def test_a_weak_match_is_not_explained_but_the_closest_lessons_are_listed(
    index: LessonIndex,
) -> None:
    # "loop" matches, but sourdough, bread and oven are in no lesson: coverage is low.
    text = answer_to(index, "sourdough bread oven loop")
    assert text.startswith(OFFLINE_MARKER)
    assert "I couldn't find a LearnFlow lesson that answers" in text
    assert "won't guess" in text
    assert "- `control-flow.for-loops` (For loops):" in text
    assert "Sources:" not in text and "Check question" not in text


def test_no_match_at_all_names_what_the_lessons_cover(index: LessonIndex) -> None:
    text = answer_to(index, "quantum chromodynamics")
    assert "None of the lessons mention those words" in text
    assert "Control Flow, Data Structures" in text


def test_an_unknown_lesson_from_read_lesson_falls_back_to_no_match(index: LessonIndex) -> None:
    question = "How do for loops work?"
    bad_read = read(index, "control-flow.nope")
    assert "error" in json.loads(bad_read.output)
    step = ConceptsOfflinePolicy(index).next_step(
        transcript(question, searched(index, question), bad_read)
    )
    assert isinstance(step, Answer) and "I couldn't find" in step.text


# --- what a writer model is given (retrieve-then-write) -----------------------------------------


def writing_for(index: LessonIndex, question: str) -> tuple[Writing | None, str]:
    """The policy's `writing()` at its answer, and its draft, driven by hand like `answer_to`."""
    policy = ConceptsOfflinePolicy(index)
    assert isinstance(policy, WritingPolicy)
    results: list[ToolResult] = []
    while True:
        step = policy.next_step(transcript(question, *results))
        if isinstance(step, Answer):
            return policy.writing(transcript(question, *results), step), step.text
        query = str(step.arguments.get("query", step.arguments.get("lesson_id")))
        results.append(
            searched(index, query) if step.name == "search_lessons" else read(index, query)
        )


def test_the_writer_gets_the_lesson_the_draft_answers_from(index: LessonIndex) -> None:
    writing, _ = writing_for(index, "how does range work in a for loop")
    assert writing is not None
    assert writing.instructions == WRITING_INSTRUCTIONS
    assert writing.prompt.startswith("Lesson: For loops\n\n")
    # the draft's selection: the opening paragraph and the one that fits the question
    assert "runs the same block of code **once for each item**" in writing.prompt
    assert "produces numbers to loop over" in writing.prompt
    # one topic: no worked example (it follows verbatim) and no common mistakes
    assert "total += price" not in writing.prompt
    assert "Resetting the accumulator" not in writing.prompt
    assert writing.prompt.endswith(
        WRITING_REQUEST.format(question="how does range work in a for loop")
    )
    assert OFFLINE_MARKER not in writing.prompt


def test_the_writings_tail_is_the_drafts_example_sources_and_check_question(
    index: LessonIndex,
) -> None:
    writing, draft = writing_for(index, "How do for loops work?")
    assert writing is not None
    example, rest = writing.tail.split("\n\nSources: ", 1)
    assert example.startswith("\n\n**Worked example**\n\nAdding up a basket of prices:")
    assert "total += price" in example and "Total: 8.0" in example
    assert example.strip() in draft
    assert draft.endswith("\n\nSources: " + rest)  # the very lines the offline answer ends with
    assert rest.startswith("`control-flow.for-loops` (For loops)")
    assert "**Check question:** What does `list(range(2, 8, 2))` give?" in rest


def test_the_writers_material_keeps_to_its_budget(index: LessonIndex) -> None:
    writing, _ = writing_for(index, "How do for loops work?")
    assert writing is not None and len(writing.prompt) < 1200 + 300


@pytest.mark.parametrize("question", ["   ", "sourdough bread oven loop", "quantum chromodynamics"])
def test_answers_without_a_lesson_are_never_rewritten(index: LessonIndex, question: str) -> None:
    writing, draft = writing_for(index, question)
    assert writing is None
    assert draft.startswith(OFFLINE_MARKER)


# --- through the SDK ---------------------------------------------------------------------------


async def test_the_offline_agent_runs_search_read_answer_through_the_sdk(
    index: LessonIndex,
) -> None:
    agent = build_concepts_agent(index=index, offline=True)
    result = await Runner.run(agent, "How do for loops work?")
    calls = [item.raw_item.name for item in result.new_items if item.type == "tool_call_item"]
    assert calls == ["search_lessons", "read_lesson"]

    answer = await explain(agent, "How do for loops work?")
    assert answer.answer == result.final_output
    assert answer.sources == ("control-flow.for-loops",)
    assert answer.follow_up is not None
    assert answer.follow_up.startswith("What does `list(range(2, 8, 2))` give?")


async def test_the_offline_agent_answers_the_same_way_every_time(index: LessonIndex) -> None:
    agent = build_concepts_agent(index=index, offline=True)
    first = await explain(agent, "what is a set")
    assert await explain(agent, "what is a set") == first


# --- helpers -----------------------------------------------------------------------------------


def test_split_blocks_keeps_code_blocks_whole() -> None:
    blocks = split_blocks("Intro:\n\n```python\na = 1\n\nb = 2\n```\n\n| x |\n|---|\n\nEnd.")
    assert [b.kind for b in blocks] == ["prose", "code", "table", "prose"]
    assert blocks[1].text == "```python\na = 1\n\nb = 2\n```"


@pytest.mark.parametrize(
    ("title", "topic"),
    [("For loops", "for loops"), ("JSON files with the json module", "JSON files")],
)
def test_generated_check_question_keeps_acronyms(title: str, topic: str) -> None:
    question = check_question({"title": title, "check_questions": []})
    assert f"uses {topic}" in question
