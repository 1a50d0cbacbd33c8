"""The concepts agent's offline policy: what the built-in offline model does instead of an LLM.

Three steps, all deterministic: `search_lessons` with the learner's question; if no lesson covers
the question well, say so and list the closest lessons instead of guessing; otherwise
`read_lesson` on the best one and answer from it: the marker that this is the offline tutor, a
short explanation (the lesson's opening paragraph plus the one that best matches the question),
the worked example, the common mistake closest to the question, the sources, and a check
question (the quiz question tied to the lesson, else one made from the lesson title).

With a real model that only writes (`learnflow.llm.grounded`), `writing()` hands it the same
lesson the draft answers from — the same opening and best-fitting paragraphs, trimmed — to
explain in a few sentences; the draft's worked example, sources and check question follow it
verbatim (the tail). The "no lesson covers this" answers stay the draft.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from learnflow.llm.offline import Answer, CallTool, Transcript
from learnflow.llm.writing import Writing
from learnflow.retrieval import LessonIndex, analyze

OFFLINE_MARKER = (
    "_Offline tutor: this answer is built from the LearnFlow lessons, not written by an AI model._"
)

#: A lesson answers the question only if it covers this share of the question's content
#: (`Hit.coverage`) with at least this BM25 score. Tuned on tests/data/concept_questions_dev.jsonl
#: and off-topic questions: off-topic ones top out near 0.55, answerable ones sit above 0.6.
MIN_COVERAGE = 0.6
MIN_SCORE = 0.2
#: With embeddings, the words alone are not enough: a lesson that has the question's words must
#: also have a clearly matching BM25 score or a section whose meaning is close
#: (`Hit.similarity`); a section very close in meaning answers even when the words differ
#: ("how to make a string uppercase"). Tuned on tests/data/concept_grounding_dev.jsonl.
STRONG_SCORE = 2.5
ANSWER_FROM_TOP = 2
MIN_SIMILARITY = 0.38
CLOSE_SIMILARITY = 0.5
#: Other lessons scoring at least this share of the best one, with at least this coverage, are
#: listed as "see also": pointers for further reading, so they need not cover the whole question.
RELATED_SHARE = 0.5
RELATED_MIN_COVERAGE = 0.4

_EXPLANATION_CHARS = 1400
_CODE_LINES = 16
_MISTAKE_CHARS = 900
_CODE_FENCE = re.compile(r"^\s*```")
_MISTAKE_START = re.compile(r"^\*\*\s*\d+[.)]")

#: Retrieve-then-write (`writing`), tuned by hand on SmolLM2-135M-Instruct: the model explains
#: the lesson's text in a few sentences of prose; the worked example, the sources and the check
#: question follow verbatim (the tail). Its own code was wrong in most tries (invented functions,
#: made-up outputs), its prose mostly right for two or three sentences, then rambling (it
#: ignores "2 to 4 sentences"): hence no code and at most 120 tokens, ~6 s on this machine.
#: The rules sit at the end of the user message, where a model this small follows them best;
#: "Question:"-style labels made it echo them and go on with new ones.
WRITING_INSTRUCTIONS = (
    "You are a friendly Python tutor. You explain things to beginners in simple words, using "
    "only the lesson you are given."
)
WRITING_REQUEST = (
    "Using only this lesson, explain to a beginner: {question}\n"
    "Use 2 to 4 short sentences. Do not write code."
)
#: How much of the lesson's explanation the material takes: a small model reads a short text
#: much better than a long one (and reads it faster).
WRITING_EXPLANATION_CHARS = 1200
WRITING_MAX_TOKENS = 120


@dataclass(frozen=True, slots=True)
class Block:
    """A markdown block: a paragraph, a fenced code block or a table."""

    text: str
    kind: str  # "prose" | "code" | "table"

    @property
    def lines(self) -> int:
        return self.text.count("\n") + 1


def split_blocks(markdown: str) -> list[Block]:
    """Split markdown into paragraphs, fenced code blocks (kept whole) and tables."""
    blocks: list[Block] = []
    current: list[str] = []
    in_code = False

    def flush(kind: str) -> None:
        text = "\n".join(current).strip("\n")
        if text.strip():
            blocks.append(Block(text, kind))
        current.clear()

    for line in markdown.splitlines():
        if in_code:
            current.append(line)
            if _CODE_FENCE.match(line):
                flush("code")
                in_code = False
        elif _CODE_FENCE.match(line):
            flush("prose")
            current.append(line)
            in_code = True
        elif not line.strip():
            flush("table" if current and current[0].lstrip().startswith("|") else "prose")
        else:
            current.append(line)
    flush("code" if in_code else "table" if current and current[0].startswith("|") else "prose")
    return blocks


def _code_question(message: str) -> str:
    """The part of a message to search with: the prose, without pasted code blocks."""
    prose = re.sub(r"```.*?(```|$)", " ", message, flags=re.DOTALL).strip()
    return (prose or message)[:1000]


@dataclass(frozen=True, slots=True)
class FromLesson:
    """The policy's decision to answer `question` from `lesson` (a `read_lesson` result)."""

    question: str
    lesson: Mapping[str, Any]
    related: Sequence[Mapping[str, Any]]


class ConceptsOfflinePolicy:
    """Search, read the best lesson, answer from it (see the module docstring)."""

    def __init__(self, index: LessonIndex) -> None:
        self.index = index

    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        step = self.decide(transcript)
        if isinstance(step, FromLesson):
            return Answer(self.compose(step.question, step.lesson, step.related))
        return step

    def writing(self, transcript: Transcript, draft: Answer) -> Writing | None:
        """A model's explanation of the lesson the draft answers from (the same paragraphs,
        trimmed), followed by the draft's worked example, sources and check question; `None`
        (the draft stands) when no lesson answers."""
        step = self.decide(transcript)
        if not isinstance(step, FromLesson):
            return None
        lesson = step.lesson
        weights = self._question_weights(step.question)
        explanation = self._explanation(lesson, weights, budget=WRITING_EXPLANATION_CHARS)
        request = WRITING_REQUEST.format(question=step.question)
        tail = [""]
        example = self._worked_example(str(lesson.get("worked_example", "")))
        if example:
            tail.append(f"**Worked example**\n\n{example}")
        tail += [
            sources_line(lesson, step.related),
            f"**Check question:** {check_question(lesson)}",
        ]
        return Writing(
            instructions=WRITING_INSTRUCTIONS,
            prompt=f"Lesson: {lesson['title']}\n\n{explanation}\n\n{request}",
            tail="\n\n".join(tail),
            max_tokens=WRITING_MAX_TOKENS,
        )

    def decide(self, transcript: Transcript) -> CallTool | Answer | FromLesson:
        """The next tool call, an answer without a lesson, or the lesson to answer from."""
        question = _code_question(transcript.user_message)
        if not question.strip():
            return Answer(f"{OFFLINE_MARKER}\n\nWhat would you like me to explain?")
        search = transcript.result("search_lessons")
        if search is None:
            return CallTool("search_lessons", {"query": question})
        found = search.json()
        results: list[dict[str, Any]] = found.get("results", []) if isinstance(found, dict) else []
        # Only the best-ranked results may answer: a confident match further down the list is
        # a lesson that shares a word with the question, not its answer.
        keywords_only = _only_python_words(question)
        confident = [r for r in results[:ANSWER_FROM_TOP] if is_confident(r, keywords_only)]
        if not confident:
            return Answer(self.no_match(question, results))
        read = transcript.result("read_lesson")
        if read is None:
            return CallTool("read_lesson", {"lesson_id": confident[0]["lesson_id"]})
        lesson = read.json()
        if not isinstance(lesson, dict) or "error" in lesson:
            return Answer(self.no_match(question, results))
        top_score = float(confident[0]["score"])
        related = [
            r
            for r in results
            if r["lesson_id"] != confident[0]["lesson_id"]
            and float(r.get("coverage", 0)) >= RELATED_MIN_COVERAGE
            if float(r["score"]) >= RELATED_SHARE * top_score
            and r["lesson_id"] != lesson["lesson_id"]
        ]
        return FromLesson(question, lesson, related)

    # --- answers ---------------------------------------------------------------------------

    def compose(
        self, question: str, lesson: Mapping[str, Any], related: Sequence[Mapping[str, Any]]
    ) -> str:
        weights = self._question_weights(question)
        parts = [OFFLINE_MARKER, f"### {lesson['title']}", self._explanation(lesson, weights)]
        example = self._worked_example(str(lesson.get("worked_example", "")))
        if example:
            parts.append(f"**Worked example**\n\n{example}")
        mistake = self._mistake(str(lesson.get("common_mistakes", "")), weights)
        if mistake:
            parts.append(f"**A common mistake**\n\n{mistake}")
        parts.append(sources_line(lesson, related))
        parts.append(f"**Check question:** {check_question(lesson)}")
        return "\n\n".join(part for part in parts if part.strip())

    def no_match(self, question: str, results: Sequence[Mapping[str, Any]]) -> str:
        shown = question if len(question) <= 120 else question[:117] + "..."
        lines = [
            OFFLINE_MARKER,
            f"I couldn't find a LearnFlow lesson that answers “{shown}”, so I won't guess.",
        ]
        if results:
            lines.append("The closest lessons I have are:")
            lines += [f"- `{r['lesson_id']}` ({r['title']}): {r['snippet']}" for r in results]
        else:
            modules = ", ".join(module.title for module in self.index.catalog.modules)
            lines.append(f"None of the lessons mention those words. The lessons cover: {modules}.")
        lines.append(
            "Try asking again with the Python words you would expect in the answer "
            "(for example “list”, “for loop” or “dictionary”), or ask your tutor."
        )
        return "\n\n".join(lines)

    # --- picking the parts of a lesson -----------------------------------------------------

    def _question_weights(self, question: str) -> dict[str, float]:
        return {term: self.index.idf(term) for term in analyze(question)}

    @staticmethod
    def _overlap(text: str, weights: Mapping[str, float]) -> float:
        return sum(weights.get(term, 0.0) for term in set(analyze(text)))

    def _explanation(
        self,
        lesson: Mapping[str, Any],
        weights: Mapping[str, float],
        budget: int = _EXPLANATION_CHARS,
    ) -> str:
        """The opening paragraph (and its code), plus the paragraph that best fits the question;
        over `budget` characters, only the first two of those blocks."""
        blocks = split_blocks(str(lesson.get("explanation", "")))
        prose = [i for i, block in enumerate(blocks) if block.kind == "prose"]
        if not prose:
            return "\n\n".join(block.text for block in blocks[:2])
        chosen = {prose[0]}
        rest = [i for i in prose[1:] if self._overlap(blocks[i].text, weights) > 0]
        if rest:
            best = max(rest, key=lambda i: (self._overlap(blocks[i].text, weights), -i))
            opening = set(analyze(blocks[prose[0]].text))
            if any(term not in opening for term in analyze(blocks[best].text) if term in weights):
                chosen.add(best)
        picked: list[str] = []
        for i in sorted(chosen):
            picked.append(blocks[i].text)
            follower = blocks[i + 1] if i + 1 < len(blocks) else None
            introduces = blocks[i].text.rstrip().endswith(":")
            fits = follower is not None and follower.lines <= _CODE_LINES
            if follower and fits and (follower.kind != "prose" or introduces):
                picked.append(follower.text)
        text = "\n\n".join(picked)
        return text if len(text) <= budget else "\n\n".join(picked[:2])

    @staticmethod
    def _worked_example(markdown: str) -> str:
        """The intro sentence, the first code block and, when the lesson shows it, its output."""
        blocks = split_blocks(markdown)
        first_code = next((i for i, b in enumerate(blocks) if b.kind == "code"), None)
        if first_code is None:
            return "\n\n".join(b.text for b in blocks[:1])
        picked = [b.text for b in blocks[:first_code] if b.kind == "prose"][:1]
        picked.append(blocks[first_code].text)
        after = blocks[first_code + 1 : first_code + 3]
        if (
            len(after) == 2
            and after[0].kind == "prose"
            and after[0].text.lower().startswith("output")
            and after[1].kind == "code"
        ):
            picked += [after[0].text, after[1].text]
        return "\n\n".join(picked)

    def _mistake(self, markdown: str, weights: Mapping[str, float]) -> str:
        """The common mistake that best matches the question (the first one on a tie)."""
        items: list[list[Block]] = []
        for block in split_blocks(markdown):
            starts_item = block.kind == "prose" and _MISTAKE_START.match(block.text) is not None
            if starts_item or not items:
                items.append([block])
            else:
                items[-1].append(block)
        if not items:
            return ""
        best = max(
            range(len(items)),
            key=lambda i: (self._overlap(" ".join(b.text for b in items[i]), weights), -i),
        )
        text = ""
        for block in items[best]:
            candidate = f"{text}\n\n{block.text}" if text else block.text
            if text and len(candidate) > _MISTAKE_CHARS:
                break
            text = candidate
        return re.sub(r"^\*\*\s*\d+[.)]\s*", "**", text)


def _only_python_words(question: str) -> bool:
    """Whether every content word of the question is a Python keyword or built-in ("what do
    and, or and not do"): the embedding model reads those as everyday English."""
    words = [term for term in analyze(question) if not term.isdigit()]
    return bool(words) and all(term in _PYTHON_WORDS for term in words)


_PYTHON_WORDS = frozenset(keyword.kwlist) | frozenset(dir(builtins))


def is_confident(result: Mapping[str, Any], python_words_only: bool = False) -> bool:
    """Whether a `search_lessons` result answers the question well enough to explain from it."""
    if result.get("named"):  # the question is the lesson's name: "what does the with statement do"
        return True
    if result.get("keyword_decisive"):  # it has a keyword phrase of the lesson: "is instead of =="
        return True
    coverage, score = float(result.get("coverage", 0)), float(result["score"])
    worded = coverage >= MIN_COVERAGE and score >= MIN_SCORE
    if not result.get("section") or python_words_only:  # no embeddings to go by
        return worded
    similarity = float(result.get("similarity", 0))
    if worded and (score >= STRONG_SCORE or similarity >= MIN_SIMILARITY):
        return True
    return similarity >= CLOSE_SIMILARITY and score > 0


def sources_line(lesson: Mapping[str, Any], related: Sequence[Mapping[str, Any]]) -> str:
    line = f"Sources: `{lesson['lesson_id']}` ({lesson['title']})"
    if related:
        line += "; see also " + ", ".join(f"`{r['lesson_id']}` ({r['title']})" for r in related)
    return line


def check_question(lesson: Mapping[str, Any]) -> str:
    """The lesson's first quiz question (without its answer), else one made from its title."""
    questions = lesson.get("check_questions") or []
    if questions:
        question = questions[0]
        letters = "ABCDEFGH"
        choices = "\n".join(
            f"{letters[i]}) {choice}" for i, choice in enumerate(question["choices"][:8])
        )
        return f"{str(question['prompt']).strip()}\n\n{choices}"
    title = str(lesson["title"])
    topic = title[0].lower() + title[1:] if title[:2] != title[:2].upper() else title
    return (
        f"Can you write a short example that uses {topic} and say what it prints before you run it?"
    )
