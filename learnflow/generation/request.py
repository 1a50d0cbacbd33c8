"""A teacher's request in plain words → topic, difficulty and count.

"Create easy exercises on list comprehensions" → (list-comprehensions, easy, 3);
"two harder for loop exercises" → (for-loops, hard, 2). A request that names no topic we can
generate for is refused with the topics that exist (`InvalidInput`), so nothing is half-made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from learnflow.curriculum import Difficulty
from learnflow.errors import InvalidInput

DEFAULT_COUNT = 3
MAX_COUNT = 5

# topic key -> (module, title, words that name it)
TOPICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "list-comprehensions": (
        "data-structures",
        "list comprehensions",
        ("list comprehension", "list comprehensions", "comprehension", "comprehensions"),
    ),
    "for-loops": (
        "control-flow",
        "for loops",
        ("for loop", "for loops", "for-loop", "loops", "loop"),
    ),
    "dictionaries": (
        "data-structures",
        "dictionaries",
        ("dictionary", "dictionaries", "dict", "dicts", "counting with a dict"),
    ),
}
_DIFFICULTY: dict[str, Difficulty] = {
    "easy": "easy", "easier": "easy", "simple": "easy", "beginner": "easy", "basic": "easy",
    "intro": "easy", "gentle": "easy", "medium": "medium", "intermediate": "medium",
    "moderate": "medium", "hard": "hard", "harder": "hard", "difficult": "hard",
    "challenging": "hard", "advanced": "hard", "tricky": "hard",
}  # fmt: skip
_NUMBERS = {
    "one": 1, "a single": 1, "an": 1, "two": 2, "a couple of": 2, "couple of": 2, "three": 3,
    "a few": 3, "few": 3, "four": 4, "five": 5,
}  # fmt: skip


@dataclass(frozen=True)
class GenerationRequest:
    topic: str  # a key of TOPICS
    module: str
    difficulty: Difficulty
    count: int
    words: str

    @property
    def topic_title(self) -> str:
        return TOPICS[self.topic][1]


def topics_supported() -> list[str]:
    return [title for _, title, _ in TOPICS.values()]


def _topic(text: str) -> str | None:
    best: tuple[int, str | None] = (0, None)
    for key, (_, _, names) in TOPICS.items():
        for name in names:
            if re.search(rf"\b{re.escape(name)}\b", text) and len(name) > best[0]:
                best = (len(name), key)
    return best[1]


def _count(text: str) -> int:
    digits = re.search(r"\b(\d{1,2})\b", text)
    if digits:
        count = int(digits[1])
    else:
        count = next(
            (n for word, n in sorted(_NUMBERS.items(), key=lambda kv: -len(kv[0]))
             if re.search(rf"\b{word}\b", text) and word not in ("an",)),
            DEFAULT_COUNT,
        )  # fmt: skip
        if re.search(r"\b(an?|one)\s+(easy|medium|hard|new|simple|\w+)?\s*exercise\b", text):
            count = 1
    if not 1 <= count <= MAX_COUNT:
        raise InvalidInput(
            f"ask for 1 to {MAX_COUNT} exercises at a time (the request asks for {count})"
        )
    return count


def parse_request(words: str) -> GenerationRequest:
    text = " ".join(words.lower().split())
    if not text:
        raise InvalidInput(
            'describe the exercises, e.g. "Create easy exercises on list comprehensions"'
        )
    topic = _topic(text)
    if topic is None:
        raise InvalidInput(
            f"no topic I can write exercises on is named in {words.strip()[:120]!r}; name one of: "
            f"{', '.join(topics_supported())} "
            '(e.g. "Create easy exercises on list comprehensions")',
            topics=topics_supported(),
        )
    found = [d for w, d in _DIFFICULTY.items() if re.search(rf"\b{w}\b", text)]
    difficulty: Difficulty = found[0] if found else "easy"
    return GenerationRequest(
        topic=topic,
        module=TOPICS[topic][0],
        difficulty=difficulty,
        count=_count(text),
        words=words.strip(),
    )
