"""What a small local model writes for the tutor (retrieve-then-write, `learnflow.llm.writing`).

The offline policy has already made every tool call; these builders turn one answer's material
into a `Writing` for a tiny model (SmolLM2-135M): a short system prompt with one or two rules,
the material it may use, and a `tail` with the facts that must reach the learner exactly (the
hint rung, a partial-code rung, the quality score and review comments, the error's line and
lessons). Only three kinds of answer are written by the model — a hint, an error explanation,
a code review; `TutorPolicy.writing` decides which, and keeps the offline draft for the rest.

Nothing here reads the catalog: the material is what the tools returned (never a test or a
reference solution) and what the learner sent. Every field is trimmed, so instructions and
prompt together stay under `PROMPT_BUDGET` characters whatever the learner pastes — a small
model's context is short and its first token comes later the longer the prompt is. The output
guardrail (`solution_guardrail`) still checks whatever the model writes.
"""

from __future__ import annotations

from typing import Any

from learnflow.llm.writing import Writing

__all__ = [
    "PROMPT_BUDGET",
    "RUNG_LABELS",
    "error_writing",
    "hint_writing",
    "review_writing",
]

#: Most characters of instructions + prompt one Writing may have.
PROMPT_BUDGET = 2000
#: Field limits (characters). The learner's code gets what room is left (`_writing`).
TITLE_CHARS = 80
STATEMENT_CHARS = 500
HINT_CHARS = 400
CODE_CHARS = 450
#: Less room than this left for the learner's code: it is left out.
MIN_CODE_CHARS = 80
CODE_LINES = 18
LINE_CHARS = 100
MESSAGE_CHARS = 200
FACT_CHARS = 160
MAX_TOKENS = 160

_MORE = "# … (more lines)"

RUNG_LABELS = {"nudge": "a nudge", "concept": "the idea", "partial": "partial code"}

_RULES = (
    "Never write the solution or any code. Use only the material given. "
    "Write 2 to 4 short, warm sentences, then end with one question that helps the learner "
    "think of their next step."
)
HINT_INSTRUCTIONS = "You are a kind Python tutor. Say the hint again in your own simple words. " + (
    _RULES
)
PARTIAL_INSTRUCTIONS = (
    "You are a kind Python tutor. The learner gets the partial code below. Say in simple words "
    "what each part already does, not what goes in the `...`. " + _RULES
)
ERROR_INSTRUCTIONS = (
    "You are a kind Python tutor. Explain this error in simple words: what it means and the "
    "likely cause. Point toward the fix, do not give it. " + _RULES
)
REVIEW_INSTRUCTIONS = (
    "You are a kind Python tutor. Say one thing the learner did well, then explain the most "
    "useful review comment in simple words. " + _RULES
)


def trimmed(text: str, limit: int) -> str:
    """`text` stripped, cut to `limit` characters at a word boundary (with `…`) when longer."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def trimmed_markdown(text: str, limit: int) -> str:
    """`trimmed`, with a code fence the cut left open closed again (so what follows is not read
    as code)."""
    cut = trimmed(text, limit - 4)
    return cut + "\n```" if cut.count("```") % 2 else cut


def trimmed_code(code: str, limit: int = CODE_CHARS) -> str:
    """Code cut to whole lines: at most `CODE_LINES` lines of at most `LINE_CHARS` characters,
    `limit` characters in all, ending with a marker when something was left out."""
    lines = code.strip("\n").splitlines()
    room = limit - len(_MORE) - 1
    kept: list[str] = []
    size = 0
    for line in lines[:CODE_LINES]:
        line = line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 1] + "…"
        if size + len(line) + 1 > room:
            break
        kept.append(line)
        size += len(line) + 1
    if len(kept) < len(lines):
        kept.append(_MORE)
    return "\n".join(kept)


def _code_block(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


def _section(name: str, text: str) -> str:
    return f"{name}:\n{text}" if text.strip() else ""


def _prompt(*sections: str) -> str:
    return "\n\n".join(part for part in sections if part)


def _exercise(current: dict[str, Any] | None, *, statement: bool = True) -> str:
    if not current:
        return ""
    title = trimmed(str(current.get("title") or current.get("id") or ""), TITLE_CHARS)
    shown = trimmed_markdown(str(current.get("prompt") or ""), STATEMENT_CHARS) if statement else ""
    return _section("Exercise", f"{title}\n{shown}".strip())


def _writing(
    instructions: str, before: list[str], code: str, after: list[str], *, tail: str
) -> Writing:
    """A Writing whose prompt is `before`, the learner's code, then `after`: the code gets the
    room the other sections leave under `PROMPT_BUDGET` (at most `CODE_CHARS`), and is left out
    when too little is left."""
    label = "Learner's code"
    fixed = len(instructions) + len(_prompt(*before, *after))
    room = PROMPT_BUDGET - fixed - len(_section(label, _code_block(""))) - 2
    shown = ""
    if code.strip() and room >= MIN_CODE_CHARS:
        shown = _section(label, _code_block(trimmed_code(code, min(CODE_CHARS, room))))
    return Writing(
        instructions=instructions,
        prompt=_prompt(*before, shown, *after),
        tail=tail,
        max_tokens=MAX_TOKENS,
    )


def hint_writing(current: dict[str, Any] | None, hint: dict[str, Any], message: str) -> Writing:
    """The curriculum's hint rung, rephrased for the learner (`current`: the exercise the hint
    is for, with its statement, when it is the current one). The rung ("Hint 2 of 3") and the
    hint's own words are the tail: the model never has to copy them right, and a learner whose
    model wrote nonsense still has the curriculum's hint."""
    level = str(hint.get("level"))
    text = str(hint["hint"]).strip()
    current = current or {"title": hint.get("title")}
    head = (
        f"Hint {hint['rung']} of {hint['of']} for “{hint['title']}” — "
        f"{RUNG_LABELS.get(level, level)}"
    )
    learner = _section("Learner", trimmed(message, MESSAGE_CHARS))
    if level == "partial":
        shown = _section("Partial code", _code_block(trimmed_code(text)))
        return _writing(
            PARTIAL_INSTRUCTIONS,
            [_exercise(current), shown, learner],
            "",
            [],
            tail=f"{head}:\n\n{_code_block(text)}",
        )
    return _writing(
        HINT_INSTRUCTIONS,
        [_exercise(current), _section("Hint", trimmed(text, HINT_CHARS)), learner],
        "",
        [],
        tail=f"{head}: {text}",
    )


def error_writing(
    current: dict[str, Any] | None, found: dict[str, Any], code: str, words: str
) -> Writing:
    """An error explained from `explain_error`'s facts. The exception, its line and the lessons
    to read are the tail."""

    def fact(key: str) -> str:
        return trimmed(str(found.get(key) or ""), FACT_CHARS)

    line = found.get("line")
    facts = [
        f"Error: {found.get('exception')}" + (f": {fact('message')}" if fact("message") else ""),
        f"Line {line}: {fact('code_line')}" if line is not None else "",
        f"Meaning: {fact('meaning')}",
        f"Likely cause: {fact('cause')}",
        f"Hint: {fact('hint')}",
    ]
    where = f" on line {line}" if line is not None else ""
    lessons = ", ".join(f"`{lesson}`" for lesson in found.get("lessons") or [])
    tail = f"({found.get('exception')}{where}." + (f" Read more: {lessons}.)" if lessons else ")")
    return _writing(
        ERROR_INSTRUCTIONS,
        [
            _exercise(current, statement=False),
            _section("Facts", "\n".join(f for f in facts if f)),
        ],
        code,
        [_section("Learner", trimmed(words, MESSAGE_CHARS))],
        tail=tail,
    )


def review_writing(
    current: dict[str, Any] | None, review: dict[str, Any], code: str, message: str
) -> Writing:
    """A code review (no tests were run) told warmly. The whole review — score, categories,
    line-numbered comments — is the tail, exactly as `review_code` wrote it."""
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
        REVIEW_INSTRUCTIONS,
        [_exercise(current, statement=False), _section("Review", "\n".join(facts))],
        code,
        [_section("Learner", trimmed(message, MESSAGE_CHARS))],
        tail="Code review — " + str(review.get("text") or ""),
    )
