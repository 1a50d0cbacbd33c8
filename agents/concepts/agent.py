"""The concepts agent: explains Python concepts from the LearnFlow lessons, citing them.

One OpenAI Agents SDK `Agent` with two tools over the lesson index — `search_lessons(query)` and
`read_lesson(lesson_id)`, both returning JSON text — and a model from `build_model`: the
configured OpenAI-compatible endpoint, or the built-in offline model driven by
`ConceptsOfflinePolicy`. `explain()` runs it and returns the answer with its sources (the lesson
ids it cites on its `Sources:` line that this run actually retrieved), its check question and who
wrote it (`learnflow.llm.authorship.written_by`: the model, or LearnFlow's offline tutor).
The service routes, the `learnflow explain` command and the evaluation all call `explain()`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agents import (
    Agent,
    Model,
    Tool,
    function_tool,
    set_tracing_disabled,
)
from agents.items import RunItem, ToolCallItem, ToolCallOutputItem
from agents.result import RunResultBase

from concepts_agent.offline_policy import ConceptsOfflinePolicy
from learnflow.errors import InvalidInput, NotFound
from learnflow.llm.authorship import OFFLINE, written_by
from learnflow.llm.offline import OfflineModel
from learnflow.llm.provider import chosen_model
from learnflow.llm.running import StreamedRun, run_agent
from learnflow.retrieval import LessonIndex, lesson_index
from learnflow.settings import Settings

AGENT_NAME = "concepts"
MAX_TURNS = 8
SEARCH_RESULTS = 3
MAX_QUESTION_CHARS = 8000

INSTRUCTIONS = """\
You are LearnFlow's concepts tutor. Students learning Python ask you how something works; you
explain it at their level, grounded in the LearnFlow lessons.

How to answer:
1. Call `search_lessons` with the student's question (you may search again with other words).
   A result with a low `coverage` only matched a word or two: it probably does not answer the
   question.
2. Call `read_lesson` on the lesson that answers the question before you explain anything. Read a
   second lesson only if the question really spans two.
3. Explain in plain words, at the level the student's message suggests: a beginner gets short
   sentences, no jargon without a one-line definition, and one small runnable example; a more
   advanced student can get the finer points. Prefer the lesson's own examples and wording; do
   not teach things the lessons contradict. Mention one common mistake from the lesson when it
   fits the question.
4. If no lesson covers the question, say so plainly, name the closest lessons, and do not make an
   answer up.
5. Finish with a line `Sources: ` listing the ids of the lessons you used (for example
   `Sources: control-flow.for-loops`), then a last line `Check question: ` with one short
   question that checks the student understood (the lesson's `check_questions` are good ones;
   never reveal their answers).

Keep it under about 300 words, use Markdown with ```python code blocks, and never write a full
solution to a graded exercise: explain the concept and leave the exercise to the student.
"""

_LESSON_ID = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)*\.[a-z0-9]+(?:-[a-z0-9]+)*\b")
_SOURCES_LINE = re.compile(r"^[\s*_>#-]*sources?\s*[:：](.*)$", re.IGNORECASE | re.MULTILINE)
_CHECK_LINE = re.compile(
    r"^[\s*_>#-]*check[ -]question\s*[:：]?\**\s*", re.IGNORECASE | re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class ConceptAnswer:
    """What `explain()` returns: the answer text, its lesson ids, its check question, and who
    wrote the text (`SpecialistReply.model`: "offline" or the model's name)."""

    answer: str
    sources: tuple[str, ...]
    follow_up: str | None
    model: str = OFFLINE


# --- tools -------------------------------------------------------------------------------------


def search_lessons_json(index: LessonIndex, query: str, k: int = SEARCH_RESULTS) -> str:
    """The `search_lessons` tool's output: the best lessons for `query` as JSON text."""
    hits = index.search(query, k=k) if query.strip() else []
    results = [
        {
            "lesson_id": hit.lesson_id,
            "title": index.lesson(hit.lesson_id).title,
            "module": index.lesson(hit.lesson_id).module,
            "score": hit.score,
            "coverage": hit.coverage,
            "similarity": hit.similarity,
            "section": hit.section,
            "named": hit.named,
            "keyword": hit.keyword,
            "keyword_decisive": hit.keyword_decisive,
            "snippet": hit.snippet,
        }
        for hit in hits
    ]
    return json.dumps({"query": query, "results": results}, ensure_ascii=False)


def read_lesson_json(index: LessonIndex, lesson_id: str) -> str:
    """The `read_lesson` tool's output: one lesson and its check questions as JSON text.

    Check questions are the module quiz's questions tied to the lesson, without their answers.
    An unknown id gives `{"error": ...}` so the model can recover by searching.
    """
    try:
        lesson = index.lesson(lesson_id.strip())
    except NotFound as exc:
        return json.dumps({"error": exc.message}, ensure_ascii=False)
    questions = [
        {"prompt": q.prompt, "choices": list(q.choices)}
        for q in index.catalog.quiz_questions
        if q.lesson == lesson.id
    ]
    return json.dumps(
        {
            "lesson_id": lesson.id,
            "module": lesson.module,
            "title": lesson.title,
            "explanation": lesson.explanation,
            "worked_example": lesson.worked_example,
            "common_mistakes": lesson.common_mistakes,
            "check_questions": questions,
        },
        ensure_ascii=False,
    )


def lesson_tools(index: LessonIndex) -> list[Tool]:
    """The agent's function tools, bound to `index`."""

    @function_tool
    def search_lessons(query: str) -> str:
        """Search the LearnFlow Python lessons for the ones that answer a question.

        Returns JSON: `results`, best first, each with `lesson_id`, `title`, `module`, `score`
        (BM25F), `coverage` (0-1: how much of the question's words the lesson has),
        `similarity` (cosine of the question to the lesson's closest section), `section`
        (which one) and `snippet`.

        Args:
            query: The student's question or the concept to look for, in plain words.
        """
        return search_lessons_json(index, query)

    @function_tool
    def read_lesson(lesson_id: str) -> str:
        """Read one LearnFlow lesson in full.

        Returns JSON with `title`, `explanation`, `worked_example`, `common_mistakes` (Markdown)
        and `check_questions` (quiz questions on this lesson, without answers), or `error`.

        Args:
            lesson_id: A lesson id from `search_lessons`, such as `control-flow.for-loops`.
        """
        return read_lesson_json(index, lesson_id)

    return [search_lessons, read_lesson]


# --- the agent ---------------------------------------------------------------------------------


def build_concepts_agent(
    *,
    index: LessonIndex | None = None,
    settings: Settings | None = None,
    model: Model | None = None,
    offline: bool = False,
) -> Agent[None]:
    """The concepts agent over `index` (default: the packaged curriculum).

    The model is `model` when given; else the offline model when `offline` is true; else
    `build_model` from `settings` (an OpenAI-compatible endpoint when they configure one, the
    offline model otherwise).
    """
    index = index or lesson_index()
    policy = ConceptsOfflinePolicy(index)
    set_tracing_disabled(True)  # as in build_model: learner conversations are never exported
    if model is None and offline:
        model = OfflineModel(policy)
    model = chosen_model(policy, model=model, settings=settings)
    return Agent(name=AGENT_NAME, instructions=INSTRUCTIONS, tools=lesson_tools(index), model=model)


def agent_input(question: str, code: str | None = None) -> str:
    """The user message the agent sees: the question, and the student's code when attached."""
    text = question.strip()
    if not text:
        raise InvalidInput("the question is empty; ask about a Python concept")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidInput(
            f"the question is {len(text)} characters; the limit is {MAX_QUESTION_CHARS}"
        )
    if code and code.strip():
        text += f"\n\nThe student's code:\n```python\n{code.strip()}\n```"
    return text


async def explain(
    agent: Agent[None],
    question: str,
    *,
    code: str | None = None,
    max_turns: int = MAX_TURNS,
    settings: Settings | None = None,
) -> ConceptAnswer:
    """Run the agent on one question; model failures become `DependencyFailed` (502).
    `settings`: those the agent's model was built from, which name its author (`answer_of`)."""
    result = await run_agent(
        agent, agent_input(question, code), who="concepts", max_turns=max_turns
    )
    return answer_of(result, settings)


def explain_streamed(
    agent: Agent[None], question: str, *, code: str | None = None, max_turns: int = MAX_TURNS
) -> StreamedRun:
    """`explain`, streamed: a question that cannot be asked raises `InvalidInput` here; the run
    starts when its text is read; `answer_of(run.result, settings)` once the text has ended."""
    return StreamedRun(agent, agent_input(question, code), who="concepts", max_turns=max_turns)


def answer_of(result: RunResultBase, settings: Settings | None = None) -> ConceptAnswer:
    """The answer of a finished run, with the sources it cited and retrieved, and who wrote it
    on the model `settings` configure (`written_by`; `None`: no configured model, so the
    offline tutor)."""
    answer = str(result.final_output or "").strip()
    read, seen = _retrieved(result.new_items)
    return ConceptAnswer(
        answer=answer,
        sources=cited_sources(answer, read, seen),
        follow_up=follow_up_of(answer),
        model=written_by(result, settings),
    )


# --- reading a run -----------------------------------------------------------------------------


def _retrieved(items: Iterable[RunItem]) -> tuple[list[str], set[str]]:
    """Lesson ids this run read (in order), and every lesson id its tools returned."""
    names: dict[str, str] = {}
    read: list[str] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, ToolCallItem):
            call_id = _field(item.raw_item, "call_id")
            names[str(call_id)] = str(_field(item.raw_item, "name"))
        elif isinstance(item, ToolCallOutputItem):
            name = names.get(str(_field(item.raw_item, "call_id")), "")
            try:
                data = json.loads(str(item.output))
            except ValueError:
                continue
            if not isinstance(data, dict):
                continue
            if name == "read_lesson" and "lesson_id" in data:
                read.append(str(data["lesson_id"]))
                seen.add(str(data["lesson_id"]))
            elif name == "search_lessons":
                seen.update(str(r.get("lesson_id")) for r in data.get("results", []))
    return list(dict.fromkeys(read)), seen


def _field(raw: Any, name: str) -> Any:
    return raw.get(name) if isinstance(raw, dict) else getattr(raw, name, None)


def cited_sources(answer: str, read: list[str], seen: set[str]) -> tuple[str, ...]:
    """The lesson ids on the answer's `Sources:` line that the run retrieved, in order.

    Without a `Sources:` line (a model may forget it) the lessons the run read are the sources.
    An id the tools never returned is never a source, so a model cannot invent a citation.
    """
    lines = _SOURCES_LINE.findall(answer)
    if not lines:
        return tuple(read)
    cited = [m for line in lines for m in _LESSON_ID.findall(line) if m in seen]
    return tuple(dict.fromkeys(cited))


def follow_up_of(answer: str) -> str | None:
    """The answer's check question: the text after `Check question:`, else its last question."""
    markers = list(_CHECK_LINE.finditer(answer))
    if markers:
        marker = markers[-1]
        text = answer[marker.end() :].strip()
        return text or None
    questions = [line.strip() for line in answer.splitlines() if line.strip().endswith("?")]
    return questions[-1] if questions else None
