"""Replies triage gives itself, for messages no specialist should take."""

from __future__ import annotations

OFF_TOPIC_REPLY = (
    "I'm LearnFlow's Python tutor, so I can only help with learning Python. Try asking about a "
    'concept ("How do for loops work?"), for an exercise ("Give me an easy exercise on '
    'lists"), or paste your code and tell me what it should do.'
)
UNSAFE_REPLY = (
    "I can't help with that. I'm here to help you learn Python — ask me about a concept, an "
    "exercise, or code you're working on."
)


def own_reply(intent: str) -> str:
    return UNSAFE_REPLY if intent == "unsafe" else OFF_TOPIC_REPLY
