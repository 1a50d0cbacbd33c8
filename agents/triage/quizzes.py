"""Quizzes in the chat: "quiz me on for loops" starts one; a bare "A", "b)" or "2" right after a
quiz question answers it. The quiz itself lives in the tutor (`POST /quizzes` …); this module
decides when a chat message is about a quiz and writes the turn's text."""

from __future__ import annotations

import re
from typing import Any

from learnflow.sidecar import Sidecar
from triage_agent.specialists import ask_tutor

LETTERS = "ABCDEFGH"
_REQUEST = re.compile(
    r"\b(quiz|test|drill|check)\s+me\b|\b(give|start|take|do|run|want|try)\b.{0,20}\bquiz\b|"
    r"^\s*quiz\b|\bquiz\s+(on|about)\b",
    re.I,
)
_TOPIC_AFTER = re.compile(r"\b(?:on|about|for|in)\s+(.+?)[?.!]*$", re.I)
_BARE_ANSWER = re.compile(r"\s*\(?\s*([A-Ha-h]|[1-8])\s*[.)]?\s*")


def asks_for_quiz(message: str) -> bool:
    return len(message) <= 200 and _REQUEST.search(message) is not None


def quiz_topic(message: str) -> str | None:
    """The topic words of "quiz me on for loops" ("for loops"); None when none are given."""
    found = _TOPIC_AFTER.search(message.strip())
    if found is None:
        return None
    return found[1].strip() or None


def bare_choice(message: str, choices: int) -> int | None:
    """The 0-based choice a bare answer names ("A", "b)", "2"), or None for anything else."""
    match = _BARE_ANSWER.fullmatch(message)
    if match is None:
        return None
    token = match[1]
    index = int(token) - 1 if token.isdigit() else LETTERS.index(token.upper())
    return index if 0 <= index < choices else None


def _question_text(question: dict[str, Any], total: int, title: str | None = None) -> str:
    head = f"**Question {question['number']} of {total}**"
    if title:
        head = f"**Quiz: {title}** — question {question['number']} of {total}"
    # two trailing spaces: a Markdown line break, so each choice shows on its own line
    options = "\n".join(
        f"{LETTERS[i]}) {choice}  " for i, choice in enumerate(question.get("choices") or [])
    )
    return (
        f"{head}\n\n{question['prompt'].strip()}\n\n{options}\n\nAnswer with a letter or a number."
    )


def render_start(view: dict[str, Any]) -> str:
    question = view.get("question")
    if question is None:
        result = view.get("result") or {}
        return f"You finished this quiz: {result.get('score')}/{result.get('total')}."
    intro = "Here is a quiz: 5 questions, one at a time. Your first answer to each one counts."
    return f"{intro}\n\n{_question_text(question, view['total'], view.get('topic_title'))}"


def render_outcome(outcome: dict[str, Any], choices: list[str] | None = None) -> str:
    right = LETTERS[outcome["correct_choice"]]
    if outcome["correct"]:
        verdict = f"✅ Right — {right} is correct."
    else:
        verdict = f"❌ Not quite: you chose {LETTERS[outcome['choice']]}; the answer is {right}."
    lines = [verdict, "", outcome["explanation"].strip()]
    result = outcome.get("result")
    if result:
        lines += [
            "",
            f"**Quiz finished: {result['score']}/{result['total']}** ({result['percent']}%).",
        ]
        lines.append("Your mastery is being updated with this result.")
    elif outcome.get("next_question"):
        lines += ["", _question_text(outcome["next_question"], outcome["total"])]
    return "\n".join(lines)


async def start(
    sidecar: Sidecar,
    *,
    user_id: str,
    topic: str | None,
    session_id: str | None = None,
    quiz_id: str | None = None,
) -> dict[str, Any]:
    body = {"user_id": user_id, "topic": topic, "session_id": session_id, "quiz_id": quiz_id}
    view: dict[str, Any] = await ask_tutor(
        sidecar,
        "quizzes",
        json_body={k: v for k, v in body.items() if v is not None},
        doing="your quiz was not started",
    )
    return view


async def answer(
    sidecar: Sidecar, *, user_id: str, quiz_id: str, question_id: str, choice: int
) -> dict[str, Any]:
    outcome: dict[str, Any] = await ask_tutor(
        sidecar,
        f"quizzes/{quiz_id}/answers",
        json_body={"user_id": user_id, "question_id": question_id, "choice": choice},
        doing="your answer was not recorded",
    )
    return outcome


async def read(sidecar: Sidecar, *, user_id: str, quiz_id: str) -> dict[str, Any]:
    view: dict[str, Any] = await ask_tutor(
        sidecar,
        f"quizzes/{quiz_id}?user_id={user_id}",
        http_method="GET",
        doing="your quiz could not be loaded",
    )
    return view
