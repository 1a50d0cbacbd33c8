# ruff: noqa: E501  (the variant tables below are data: one variant per line reads best)
"""Parameterised exercise families: each draws a new exercise — statement, starter, hidden
tests, reference solution, hint ladder — from a variant and fresh test inputs.

A family is a shape of exercise ("transform each number with a comprehension"); a variant is what
the shape is applied to ("the cube of each number"). Inputs are drawn from a seeded random source,
and the expected outputs are computed here from the variant's own expression, so the tests and
the reference solution agree by construction; the publishing workflow still checks both in the
sandbox (reference passes, starter fails, same result twice). Variants that an exercise of the
curriculum already covers are left out, and one batch never repeats a variant.
"""

from __future__ import annotations

import hashlib
import random
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from learnflow.curriculum import Difficulty, load_catalog
from learnflow.errors import InvalidInput
from learnflow.generation.request import GenerationRequest


@dataclass(frozen=True)
class Variant:
    key: str
    function: str  # the function's name
    describe: str  # what it returns, in words ("the cube of each number")
    expression: str  # the comprehension (or loop body) over `items`
    inputs: str  # "numbers" | "words"
    difficulty: Difficulty = "easy"


@dataclass(frozen=True)
class Draft:
    family: str
    variant: str
    title: str
    prompt: str
    starter: str
    tests: str
    solution: str
    hints: list[dict[str, str]]
    difficulty: Difficulty
    params: dict[str, Any] = field(default_factory=dict)


def _numbers(rng: random.Random) -> list[list[int]]:
    return [
        [rng.randint(-9, 20) for _ in range(rng.randint(4, 6))],
        [rng.randint(1, 12) for _ in range(3)],
        [0, rng.choice([-3, -7, -10]), rng.randint(11, 40)],
        [],
    ]


_WORDS = ["apple", "Kiwi", "banana", "fig", "Cherry", "loop", "list", "Python", "tuple", "set",
          "dict", "range", "Mango", "pear", "Lemon", "grape", "zip", "enumerate"]  # fmt: skip


def _words(rng: random.Random) -> list[list[str]]:
    return [rng.sample(_WORDS, rng.randint(4, 6)), rng.sample(_WORDS, 3), ["a", "Be", "sea"], []]


def _esc(text: str) -> str:
    """Literal text inside a generated f-string: braces doubled (dict results have them)."""
    return text.replace("{", "{{").replace("}", "}}")


def _evaluate(function: str, source: str, args: list[Any]) -> Any:
    scope: dict[str, Any] = {}
    exec(source, scope)  # our own generated reference solution, never user input
    return scope[function](list(args))


@dataclass(frozen=True)
class Family:
    key: str
    topic: str  # a key of learnflow.generation.request.TOPICS
    variants: tuple[Variant, ...]
    build: Callable[[Variant, random.Random], Draft]


# --- list comprehensions ----------------------------------------------------------------------


def _comprehension_tests(
    v: Variant, solution: str, cases: list[list[Any]], check_shape: str
) -> str:
    lines = [
        "import ast",
        "import inspect",
        "",
        "import solution",
        f"from solution import {v.function}",
        "",
        "",
        "def uses(node_type):",
        "    try:",
        "        tree = ast.parse(inspect.getsource(solution))",
        "    except (OSError, TypeError):",
        "        return True",
        "    return any(isinstance(node, node_type) for node in ast.walk(tree))",
    ]
    for i, case in enumerate(cases, 1):
        expected = _evaluate(v.function, solution, case)
        lines += [
            "",
            "",
            f"def test_case_{i}():",
            f"    result = {v.function}({case!r})",
            f"    assert result == {expected!r}, (",
            f'        f"{_esc(f"{v.function}({case!r}) should be {expected!r}")}, but got {{result!r}}"',
            "    )",
        ]
    lines += [
        "",
        "",
        "def test_input_is_not_changed():",
        f"    items = {cases[1]!r}",
        f"    {v.function}(items)",
        f'    assert items == {cases[1]!r}, "build a new list; leave the one you were given as it was"',
        "",
        "",
        f"def test_uses_{check_shape}():",
        "    assert uses(ast.ListComp), (",
        '        "write the body as a list comprehension: [expression for item in items]"',
        "    )",
    ]
    return "\n".join(lines) + "\n"


def _comprehension(v: Variant, rng: random.Random) -> Draft:
    arg = "numbers" if v.inputs == "numbers" else "words"
    cases: list[list[Any]] = [*(_numbers(rng) if v.inputs == "numbers" else _words(rng))]
    expression = v.expression.replace("items", arg)
    solution = f"def {v.function}({arg}):\n    return {expression}\n"
    examples = "\n".join(
        f"{v.function}({c!r})  # -> {_evaluate(v.function, solution, c)!r}" for c in cases[1:3]
    )
    prompt = textwrap.dedent(
        f"""\
        Write a function `{v.function}({arg})` that returns a new list with {v.describe}.

        Write the body as **one list comprehension**, not a loop with `append`, and leave the
        list you are given unchanged.

        ```python
        {{examples}}
        ```
        """
    ).replace("{examples}", examples)
    item = "n" if v.inputs == "numbers" else "word"
    _, _, condition = expression[1:-1].partition(" if ")
    partial = f"def {v.function}({arg}):\n    return [... for {item} in {arg}"
    partial += " if ...]\n" if condition else "]\n"
    hints = [
        {"nudge": f"With a loop, what would you append to the new list for each item of `{arg}`?"},
        {
            "concept": "A list comprehension reads `[expression for item in items]`; add "
            "`if condition` at the end to keep only some items."
        },
        {"partial": partial},
    ]
    return Draft(
        family="comprehension",
        variant=v.key,
        title=f"{v.describe[0].upper()}{v.describe[1:]} (list comprehension)",
        prompt=prompt,
        starter=f"def {v.function}({arg}):\n    # return [...] - one list comprehension\n    pass\n",
        tests=_comprehension_tests(v, solution, cases, "a_list_comprehension"),
        solution=solution,
        hints=hints,
        difficulty=v.difficulty,
        params={"cases": cases},
    )


COMPREHENSION_VARIANTS = (
    Variant("cubes", "cubes", "the cube of each number", "[n ** 3 for n in items]", "numbers"),
    Variant("doubled", "doubled", "each number doubled", "[n * 2 for n in items]", "numbers"),
    Variant("negated", "negated", "each number with its sign flipped", "[-n for n in items]", "numbers"),
    Variant("plus-ten", "plus_ten", "each number plus 10", "[n + 10 for n in items]", "numbers"),
    Variant("absolutes", "absolutes", "the absolute value of each number", "[abs(n) for n in items]", "numbers"),
    Variant("last-digits", "last_digits", "the last digit of each number", "[abs(n) % 10 for n in items]", "numbers"),
    Variant("odds", "odds_only", "only the odd numbers, in order", "[n for n in items if n % 2 != 0]", "numbers"),
    Variant("positives", "positives", "only the numbers greater than 0", "[n for n in items if n > 0]", "numbers"),
    Variant("multiples-of-3", "multiples_of_three", "only the numbers divisible by 3", "[n for n in items if n % 3 == 0]", "numbers"),
    Variant("upper", "shout", "each word in capital letters", "[word.upper() for word in items]", "words"),
    Variant("lengths", "lengths", "the length of each word", "[len(word) for word in items]", "words"),
    Variant("initials", "initials", "the first letter of each word", "[word[0] for word in items]", "words"),
    Variant("long-words", "long_words", "only the words with more than 4 letters", "[word for word in items if len(word) > 4]", "words"),
    Variant("capitalised", "capitalised_only", "only the words that start with a capital letter", "[word for word in items if word[:1].isupper()]", "words"),
    Variant("even-squares", "even_squares", "the square of each even number (odd numbers left out)", "[n * n for n in items if n % 2 == 0]", "numbers", "medium"),
    Variant("reversed-words", "reversed_words", "each word spelled backwards", "[word[::-1] for word in items]", "words", "medium"),
    Variant("big-lengths", "long_word_lengths", "the length of each word longer than 3 letters", "[len(word) for word in items if len(word) > 3]", "words", "medium"),
    Variant("clamped", "clamped", "each number limited to the range 0 to 10 (below 0 becomes 0, above 10 becomes 10)", "[min(10, max(0, n)) for n in items]", "numbers", "hard"),
    Variant("signs", "signs", "'+' for each positive number, '-' for each negative one and '0' for zero", "['+' if n > 0 else '-' if n < 0 else '0' for n in items]", "numbers", "hard"),
)  # fmt: skip


# --- for loops ----------------------------------------------------------------------------------


def _loop(v: Variant, rng: random.Random) -> Draft:
    arg = "numbers" if v.inputs == "numbers" else "words"
    cases: list[list[Any]] = [*(_numbers(rng) if v.inputs == "numbers" else _words(rng))]
    body = textwrap.indent(v.expression.replace("items", arg), "    ")
    solution = f"def {v.function}({arg}):\n{body}\n"
    lines = [f"from solution import {v.function}"]
    for i, case in enumerate(cases, 1):
        expected = _evaluate(v.function, solution, case)
        lines += [
            "",
            "",
            f"def test_case_{i}():",
            f"    result = {v.function}({case!r})",
            f"    assert result == {expected!r}, (",
            f'        f"{_esc(f"{v.function}({case!r}) should be {expected!r}")}, but got {{result!r}}"',
            "    )",
        ]
    examples = "\n".join(
        f"{v.function}({c!r})  # -> {_evaluate(v.function, solution, c)!r}" for c in cases[1:3]
    )
    first_line = v.expression.splitlines()[0]
    return Draft(
        family="loop",
        variant=v.key,
        title=f"{v.describe[0].upper()}{v.describe[1:]} (for loop)",
        prompt=(
            f"Write a function `{v.function}({arg})` that returns {v.describe}. Use a `for` loop "
            f"that walks through `{arg}` and updates a result as it goes.\n\n"
            f"```python\n{examples}\n```\n"
        ),
        starter=f"def {v.function}({arg}):\n    # walk through {arg} with a for loop\n    pass\n",
        tests="\n".join(lines) + "\n",
        solution=solution,
        hints=[
            {"nudge": "What should the result be before the loop has looked at any item?"},
            {
                "concept": "Start with a result variable, update it inside `for item in items:` "
                "for each item, and return it after the loop (not inside it)."
            },
            {
                "partial": f"def {v.function}({arg}):\n    {first_line}\n    for ... in {arg}:\n        ...\n"
            },
        ],
        difficulty=v.difficulty,
        params={"cases": cases},
    )


LOOP_VARIANTS = (
    Variant("count-negatives", "count_negatives", "how many numbers are below zero", "count = 0\nfor n in items:\n    if n < 0:\n        count += 1\nreturn count", "numbers"),
    Variant("sum-odds", "sum_of_odds", "the sum of the odd numbers (0 when there are none)", "total = 0\nfor n in items:\n    if n % 2 != 0:\n        total += n\nreturn total", "numbers"),
    Variant("product", "product", "all the numbers multiplied together (1 for an empty list)", "result = 1\nfor n in items:\n    result *= n\nreturn result", "numbers"),
    Variant("count-long", "count_long_words", "how many words have more than 4 letters", "count = 0\nfor word in items:\n    if len(word) > 4:\n        count += 1\nreturn count", "words"),
    Variant("total-letters", "total_letters", "the number of letters in all the words together", "total = 0\nfor word in items:\n    total += len(word)\nreturn total", "words"),
    Variant("smallest", "smallest", "the smallest number, or None for an empty list (without min())", "best = None\nfor n in items:\n    if best is None or n < best:\n        best = n\nreturn best", "numbers", "medium"),
    Variant("running-max", "running_max", "a list whose i-th item is the largest number seen up to position i", "result = []\nfor n in items:\n    result.append(n if not result else max(result[-1], n))\nreturn result", "numbers", "hard"),
)  # fmt: skip


# --- dictionaries -----------------------------------------------------------------------------


DICT_VARIANTS = (
    Variant("length-map", "length_map", "a dictionary mapping each word to its length", "result = {}\nfor word in items:\n    result[word] = len(word)\nreturn result", "words"),
    Variant("first-letter-count", "count_first_letters", "a dictionary counting how many words start with each (lower-case) letter", "counts = {}\nfor word in items:\n    letter = word[0].lower()\n    counts[letter] = counts.get(letter, 0) + 1\nreturn counts", "words", "medium"),
    Variant("parity", "parity_counts", "a dictionary {'even': how many even numbers, 'odd': how many odd ones}", "counts = {'even': 0, 'odd': 0}\nfor n in items:\n    counts['even' if n % 2 == 0 else 'odd'] += 1\nreturn counts", "numbers"),
)  # fmt: skip

FAMILIES: tuple[Family, ...] = (
    Family("comprehension", "list-comprehensions", COMPREHENSION_VARIANTS, _comprehension),
    Family("loop", "for-loops", LOOP_VARIANTS, _loop),
    Family("dict-loop", "dictionaries", DICT_VARIANTS, _loop),
)


def _taken_names() -> set[str]:
    """Function names the curriculum's exercises already define (their variants are left out)."""
    names: set[str] = set()
    for exercise in load_catalog().exercises:
        for line in exercise.solution.splitlines():
            if line.startswith("def "):
                names.add(line[4:].split("(", 1)[0].strip())
    return names


DIFFICULTY_ORDER: dict[Difficulty, tuple[Difficulty, ...]] = {
    "easy": ("easy", "medium", "hard"),
    "medium": ("medium", "easy", "hard"),
    "hard": ("hard", "medium", "easy"),
}


def generate(
    request: GenerationRequest, *, seed: str, avoid: frozenset[str] | set[str] = frozenset()
) -> list[Draft]:
    """`request.count` new drafts on the topic, at its difficulty when enough variants exist
    (the nearest difficulty otherwise); `avoid` names variants already made for this teacher."""
    rng = random.Random(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16))
    taken = _taken_names()
    variants = [
        (family, v)
        for family in FAMILIES
        if family.topic == request.topic
        for v in family.variants
        if v.function not in taken
    ]
    ordered: list[tuple[Family, Variant]] = []
    for difficulty in DIFFICULTY_ORDER[request.difficulty]:
        level = [fv for fv in variants if fv[1].difficulty == difficulty]
        fresh = [fv for fv in level if fv[1].key not in avoid]
        rng.shuffle(fresh)
        ordered += fresh + [fv for fv in level if fv[1].key in avoid]
    if not ordered:
        raise InvalidInput(f"there are no exercise families for {request.topic_title} yet")
    return [family.build(variant, rng) for family, variant in ordered[: request.count]]
