"""What triage answers when the specialist a message needs is unavailable (down, restarting, or
its circuit breaker open): a clear reply that names what is unavailable, and — where the course
notes cover the question — the closest lesson's explanation and worked example, so a concept
question still gets a useful answer.

Such a turn is not stored in the conversation: resending the same message id once the
specialist is back gets the full answer. Its `learning.routed` event is queued as usual (the
learner did ask), with the same id a retry would give it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from learnflow.errors import Unavailable
from learnflow.retrieval import lesson_index

#: What each app does, in the learner's words.
WHAT_IT_DOES = {
    "concepts": "The concepts tutor",
    "tutor": "The exercise tutor (exercises, hints and grading)",
    "debrief": "Progress tracking (progress, classes, assignments and notifications)",
    "code-runner": "Running code",
}
#: A lesson is offered only if it covers this share of the question (see `learnflow.retrieval.Hit`).
MIN_COVERAGE = 0.6
_EXPLANATION_CHARS = 700
_EXAMPLE_LINES = 14
_FENCE = re.compile(r"```(?:python)?\n(.*?)```", re.S)


@dataclass(frozen=True)
class Degraded:
    reply: str
    sources: list[str]


def describe(app_id: str) -> str:
    return WHAT_IT_DOES.get(app_id, f"The {app_id} service")


def unavailable(app_id: str, doing: str) -> Unavailable:
    """The 503 for a request that cannot be served without `app_id` (nothing was done)."""
    return Unavailable(
        f"{describe(app_id)} is unavailable right now, so {doing}. Nothing was lost: try again "
        "in a minute.",
        dependency=app_id,
        retry_after_s=10,
    )


def _first_paragraph(markdown: str) -> str:
    paragraph = markdown.strip().split("\n\n", 1)[0].strip()
    if len(paragraph) <= _EXPLANATION_CHARS:
        return paragraph
    return paragraph[:_EXPLANATION_CHARS].rsplit(" ", 1)[0] + " …"


def _first_example(markdown: str) -> str | None:
    found = _FENCE.search(markdown)
    if found is None:
        return None
    lines = found.group(1).rstrip().splitlines()[:_EXAMPLE_LINES]
    return "```python\n" + "\n".join(lines) + "\n```"


def from_course_notes(question: str) -> tuple[str, str] | None:
    """(lesson id, a short answer built from it) when a lesson covers the question."""
    index = lesson_index()
    hits = index.search(question, k=1)
    if not hits or hits[0].coverage < MIN_COVERAGE:
        return None
    lesson = index.lesson(hits[0].lesson_id)
    parts = [f"**{lesson.title}** (from the course notes)", _first_paragraph(lesson.explanation)]
    example = _first_example(lesson.worked_example)
    if example:
        parts.append(example)
    return lesson.id, "\n\n".join(parts)


def degraded_reply(app_id: str, message: str) -> Degraded:
    """The reply when `app_id` cannot answer `message` right now."""
    notes = from_course_notes(message)
    if notes is None:
        return Degraded(
            f"{describe(app_id)} is unavailable right now, so I can't answer this fully. "
            "Nothing you sent is lost: ask again in a minute.",
            [],
        )
    lesson_id, answer = notes
    return Degraded(
        f"{describe(app_id)} is unavailable right now, so here is the closest lesson from the "
        f"course notes instead.\n\n{answer}\n\nAsk again in a minute for a full answer.",
        [lesson_id],
    )
