"""A small curriculum of our own for the tutor's tests (the real one is still being written):
two modules, five exercises of every difficulty, hint ladders shaped like the real ones."""

from __future__ import annotations

import textwrap
from pathlib import Path

from learnflow.curriculum import Catalog, Exercise, Lesson, Module


def _code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _exercise(
    exercise_id: str,
    lesson: str,
    difficulty: str,
    title: str,
    starter: str,
    solution: str,
    hints: tuple[str, str, str],
) -> Exercise:
    module = exercise_id.split(".")[0]
    name = starter.split("(")[0].removeprefix("def ").strip()
    return Exercise.model_validate(
        {
            "id": exercise_id,
            "module": module,
            "lesson": lesson,
            "difficulty": difficulty,
            "title": title,
            "prompt": f"Write `{name}`.\n\n```python\n{name}(...)  # -> ...\n```\n",
            "starter": _code(starter),
            "tests": f"from solution import {name}\n\ndef test_it():\n    assert {name}\n",
            "solution": _code(solution),
            "hints": [
                {"nudge": hints[0]},
                {"concept": hints[1]},
                {"partial": _code(hints[2])},
            ],
        }
    )


SUM_EVENS = _exercise(
    "loops.sum-evens",
    "loops.for-loops",
    "easy",
    "Sum of even numbers",
    """
    def sum_of_evens(numbers):
        # your code here
        pass
    """,
    """
    def sum_of_evens(numbers):
        total = 0
        for n in numbers:
            if n % 2 == 0:
                total += n
        return total
    """,
    (
        "If you added these up by hand, what would you keep in your head?",
        "A running total starts at 0; `n % 2 == 0` is true for even numbers.",
        """
        def sum_of_evens(numbers):
            total = 0
            for n in numbers:
                if ...:
                    ...
            return total
        """,
    ),
)
FIZZBUZZ = _exercise(
    "loops.fizzbuzz",
    "loops.for-loops",
    "medium",
    "FizzBuzz for one number",
    """
    def fizzbuzz(n):
        # your code here
        pass
    """,
    """
    def fizzbuzz(n):
        if n % 15 == 0:
            return "FizzBuzz"
        elif n % 3 == 0:
            return "Fizz"
        elif n % 5 == 0:
            return "Buzz"
        else:
            return str(n)
    """,
    (
        "15 is divisible by 3. What will 15 get if you check 3 first?",
        "Only the first true branch of an if/elif chain runs; check the most specific case "
        "first. `str(n)` turns a number into text.",
        """
        def fizzbuzz(n):
            if ...:
                return "FizzBuzz"
            elif n % 3 == 0:
                return "Fizz"
            elif ...:
                return "Buzz"
            else:
                return ...
        """,
    ),
)
PRIMES = _exercise(
    "loops.primes",
    "loops.while-loops",
    "hard",
    "Primes up to n",
    """
    def primes_up_to(n):
        return []
    """,
    """
    def primes_up_to(n):
        found = []
        candidate = 2
        while candidate <= n:
            if all(candidate % p != 0 for p in found):
                found.append(candidate)
            candidate += 1
        return found
    """,
    (
        "Which numbers do you need to try dividing a candidate by?",
        "A number is prime when no smaller prime divides it: `all(...)` checks every one.",
        """
        def primes_up_to(n):
            found = []
            candidate = 2
            while ...:
                ...
            return found
        """,
    ),
)
WORD_COUNT = _exercise(
    "lists.word-count",
    "lists.dictionaries",
    "medium",
    "Count the words",
    """
    def word_count(text):
        counts = {}
        # Fill counts with word -> number of times it appears.
        return counts
    """,
    """
    def word_count(text):
        counts = {}
        for raw in text.split():
            word = raw.strip(".,!?;:").lower()
            if word:
                counts[word] = counts.get(word, 0) + 1
        return counts
    """,
    (
        "How will you turn the text into words, and what happens the first time you meet one?",
        "`text.split()` splits on whitespace; `counts.get(word, 0)` is the count so far.",
        """
        def word_count(text):
            counts = {}
            for raw in text.split():
                word = ...                # strip punctuation and lowercase
                if word:
                    counts[word] = ...    # one more than before
            return counts
        """,
    ),
)
FIRST_REPEAT = _exercise(
    "lists.first-repeat",
    "lists.sets",
    "easy",
    "The first repeated item",
    """
    def first_repeat(items):
        seen = set()
        return "not written yet"
    """,
    """
    def first_repeat(items):
        seen = set()
        for item in items:
            if item in seen:
                return item
            seen.add(item)
        return None
    """,
    (
        "How can you remember what you have already seen?",
        "A set answers `x in seen` quickly; `seen.add(x)` remembers x.",
        """
        def first_repeat(items):
            seen = set()
            for item in items:
                ...
            return None
        """,
    ),
)
EXERCISES = (SUM_EVENS, FIZZBUZZ, PRIMES, WORD_COUNT, FIRST_REPEAT)


def _lesson(lesson_id: str, title: str, keywords: list[str]) -> Lesson:
    return Lesson.model_validate(
        {
            "id": lesson_id,
            "module": lesson_id.split(".")[0],
            "title": title,
            "keywords": keywords,
            "explanation": "Text.",
            "worked_example": "Example.",
            "common_mistakes": "Mistakes.",
        }
    )


def build_catalog() -> Catalog:
    modules = [
        Module(
            id="loops",
            number=1,
            title="Loops",
            summary="Repeat things.",
            lessons=("loops.for-loops", "loops.while-loops"),
            exercises=("loops.sum-evens", "loops.fizzbuzz", "loops.primes"),
        ),
        Module(
            id="lists",
            number=2,
            title="Lists and dictionaries",
            summary="Many values.",
            lessons=("lists.dictionaries", "lists.sets"),
            exercises=("lists.word-count", "lists.first-repeat"),
        ),
    ]
    lessons = [
        _lesson("loops.for-loops", "For loops", ["for", "range", "iterate"]),
        _lesson("loops.while-loops", "While loops", ["while", "condition"]),
        _lesson("lists.dictionaries", "Dictionaries", ["dict", "key", "value", "count"]),
        _lesson("lists.sets", "Sets", ["set", "unique", "membership"]),
    ]
    return Catalog(
        root=Path("/nonexistent"),
        module_ids=("loops", "lists"),
        modules=tuple(modules),
        lessons=tuple(lessons),
        exercises=EXERCISES,
    )
