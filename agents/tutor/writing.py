"""What a small local model writes for the tutor (retrieve-then-write, `learnflow.llm.writing`).

The offline policy has already made every tool call; these builders turn one answer's material
into a `Writing` for a tiny model (SmolLM2-135M): a one-rule system prompt, the material, and
the task as the prompt's last line (a tiny model follows the last thing it read). Only three
kinds of answer are written by the model — a hint, an error explanation, a code review (no tests
run); `TutorPolicy.writing` decides which, and keeps the offline draft for the rest.

Everything the learner must get exactly is the `tail`, appended verbatim: the hint rung and the
curriculum's own words for it (the partial rung's code), the error's line and lessons, the whole
review with its score. What the model writes is the warm part, and may be wrong: tried by hand,
SmolLM2-135M garbles technical content often (see the g-policies note), so nothing a learner
needs depends on it.

No code is put in a prompt: not the exercise statement (its examples and "write a function"
make a tiny model write the function — wrong code, and a solution attempt), not the partial
rung, not the learner's code. The material is the exercise's title, the hint text or the error's
facts or the review's comments, and the learner's message — what the tools returned (never a
test or a reference solution) and what the learner sent. Every field is trimmed, so instructions
and prompt stay under `PROMPT_BUDGET` characters whatever the learner pastes: a small model's
context is short and its first token comes later the longer the prompt is. The output guardrail
(`solution_guardrail`) still checks whatever the model writes.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from learnflow import python_ast
from learnflow.llm.writing import PROMPT_BUDGET, Writing

__all__ = [
    "INSTRUCTIONS",
    "PROMPT_BUDGET",
    "RUNG_LABELS",
    "error_writing",
    "hint_writing",
    "review_writing",
]

#: Field limits (characters).
TITLE_CHARS = 80
HINT_CHARS = 400
MESSAGE_CHARS = 200
FACT_CHARS = 160
#: 2-3 sentences are ~60-80 tokens; a tiny model that rambles is cut short.
MAX_TOKENS = 110

_FENCED = re.compile(r"```.*?(```|$)", re.S)

RUNG_LABELS = {"nudge": "a nudge", "concept": "the idea", "partial": "partial code"}

#: The system prompt: who it is and the rules (a 135M model keeps one or two).
INSTRUCTIONS = (
    "You are a kind Python tutor talking to a beginner. Write plain English only. "
    "Never write code. Never give the answer."
)
#: The last line of each prompt: what to write.
HINT_TASK = (
    "Give the learner this hint in your own words, in 2 or 3 short, warm sentences, and end "
    "with a question for them to think about."
)
PARTIAL_TASK = (
    "The learner now gets partial code with blanks (...) to fill in. Encourage them in 2 short "
    "sentences, and ask which blank they will fill first."
)
ERROR_TASK = (
    "Explain this error to the learner in 2 or 3 short, kind sentences: what it means and what "
    "to look at. End with a question."
)
REVIEW_TASK = (
    "Tell the learner one thing they did well and the most useful comment, in 2 or 3 short, "
    "kind sentences. End with a question."
)


def trimmed(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters at a word boundary (with `…`) when
    longer."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def _code_block(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


def _writing(task: str, *sections: str, tail: str) -> Writing:
    prompt = "\n\n".join(part for part in (*sections, task) if part)
    return Writing(instructions=INSTRUCTIONS, prompt=prompt, tail=tail, max_tokens=MAX_TOKENS)


def _exercise(title: Any) -> str:
    return f"Exercise: {trimmed(str(title), TITLE_CHARS)}" if title else ""


def _is_code(text: str) -> bool:
    """Whether `text` parses as Python that does something (not a bare word like "help")."""
    try:
        tree = python_ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(
        not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Name)) for node in tree.body
    )


def _said(message: str) -> str:
    """The learner's words, without the code they pasted: fenced blocks, or a message that is
    all code."""
    words = _FENCED.sub(" ", message)
    if not words.strip() or _is_code(words.strip()):
        return ""
    return f"Learner: {trimmed(words, MESSAGE_CHARS)}"


def hint_writing(hint: dict[str, Any], message: str) -> Writing:
    """`get_hint`'s rung, said for the learner. The rung ("Hint 2 of 3") and the hint's own
    words are the tail, so a learner whose model wrote nonsense still has the curriculum's hint.
    The partial rung's code is never shown to the model (it would complete it): for that rung
    it writes encouragement only."""
    level = str(hint.get("level"))
    text = str(hint["hint"]).strip()
    head = (
        f"Hint {hint['rung']} of {hint['of']} for “{hint['title']}” — "
        f"{RUNG_LABELS.get(level, level)}"
    )
    if level == "partial":
        return _writing(
            PARTIAL_TASK,
            _exercise(hint.get("title")),
            _said(message),
            tail=f"{head}:\n\n{_code_block(text)}",
        )
    return _writing(
        HINT_TASK,
        _exercise(hint.get("title")),
        f"Hint: {trimmed(text, HINT_CHARS)}",
        _said(message),
        tail=f"{head}: {text}",
    )


def error_writing(current: dict[str, Any] | None, found: dict[str, Any], words: str) -> Writing:
    """An error explained from `explain_error`'s facts (the failing line is one of them). The
    exception, its line and the lessons to read are the tail."""

    def fact(key: str) -> str:
        return trimmed(str(found.get(key) or ""), FACT_CHARS)

    line = found.get("line")
    facts = [
        f"Error: {found.get('exception')}" + (f": {fact('message')}" if fact("message") else ""),
        f"Line {line}: {fact('code_line')}" if line is not None else "",
        f"It means: {fact('meaning')}",
        f"Likely cause: {fact('cause')}",
        f"Hint: {fact('hint')}",
    ]
    where = f" on line {line}" if line is not None else ""
    lessons = ", ".join(f"`{lesson}`" for lesson in found.get("lessons") or [])
    tail = f"({found.get('exception')}{where}." + (f" Read more: {lessons}.)" if lessons else ")")
    return _writing(
        ERROR_TASK,
        _exercise((current or {}).get("title")),
        "\n".join(f for f in facts if f),
        _said(words),
        tail=tail,
    )


def review_writing(current: dict[str, Any] | None, review: dict[str, Any], message: str) -> Writing:
    """A code review (no tests were run) told warmly, from its comments (they name the lines).
    The whole review — score, categories, line-numbered comments — is the tail, exactly as
    `review_code` wrote it."""
    comments = [trimmed(str(c), FACT_CHARS) for c in (review.get("comments") or [])[:3]]
    praise = [trimmed(str(p), FACT_CHARS) for p in (review.get("praise") or [])[:1]]
    facts = [f"Quality score: {review.get('score')}/100"]
    if review.get("syntax_error"):
        facts.append(
            f"The code does not run yet: {trimmed(str(review['syntax_error']), FACT_CHARS)}"
        )
    facts += [f"Comment: {c}" for c in comments] or ["Comment: nothing to flag."]
    facts += [f"Good: {p}" for p in praise]
    return _writing(
        REVIEW_TASK,
        _exercise((current or {}).get("title")),
        "Review:\n" + "\n".join(facts),
        _said(message),
        tail="Code review — " + str(review.get("text") or ""),
    )
