"""Efficiency and readability findings, table-driven, and what must not be flagged."""

from __future__ import annotations

import textwrap

import pytest

from tutor_agent.review import check_efficiency, check_readability


def efficiency(code: str) -> set[str]:
    return {f.rule for f in check_efficiency(textwrap.dedent(code))}


def readability(code: str) -> set[str]:
    return {f.rule for f in check_readability(textwrap.dedent(code))}


NESTED_SAME = """
def pairs(items):
    found = []
    for a in items:
        for b in items:
            found.append((a, b))
    return found
"""
INDEX_IN_LOOP = """
def positions(items):
    return [items.index(x) for x in items]
"""
IN_LIST_IN_LOOP = """
def unique(items):
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen
"""
STRING_CONCAT = """
def shout(words):
    text = ""
    for w in words:
        text += w.upper()
    return text
"""
POP_FRONT = """
def drain(queue):
    while queue:
        queue.pop(0)
"""
SORTED_FIRST = "def smallest(xs):\n    return sorted(xs)[0]\n"
KEYS = "def has(d, k):\n    return k in d.keys()\n"


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        pytest.param(NESTED_SAME, "P101", id="nested-loops-same-list"),
        pytest.param(INDEX_IN_LOOP, "P102", id="index-in-loop"),
        pytest.param(IN_LIST_IN_LOOP, "P103", id="membership-in-list-in-loop"),
        pytest.param(STRING_CONCAT, "P104", id="string-concat-in-loop"),
        pytest.param(POP_FRONT, "P105", id="pop-front-in-loop"),
        pytest.param(SORTED_FIRST, "P107", id="sorted-for-min"),
        pytest.param(KEYS, "P108", id="in-keys"),
    ],
)
def test_efficiency_rules(code: str, rule: str) -> None:
    assert rule in efficiency(code)


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("def f(xs, ys):\n    return [x for x in xs for y in ys]\n", id="two-lists"),
        pytest.param(
            "def f(text):\n    return sum(text.count(v) for v in 'aeiou')\n", id="count-str"
        ),
        pytest.param(
            "def f(items):\n    seen = set()\n    for x in items:\n        if x in seen:\n"
            "            return x\n        seen.add(x)\n",
            id="set-membership",
        ),
        pytest.param(
            "def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n"
            "    return total\n",
            id="number-accumulator",
        ),
        pytest.param("def f(xs):\n    return min(xs)\n", id="min"),
    ],
)
def test_efficient_code_is_not_flagged(code: str) -> None:
    assert efficiency(code) == set()


LONG_FUNCTION = "def long():\n" + "".join(f"    x{i} = {i}\n" for i in range(35)) + "    return 0\n"
DEEP = """
def deep(rows):
    for row in rows:
        for cell in row:
            if cell:
                while cell > 0:
                    cell -= 1
"""
MAGIC = "def price(a, b, c):\n    return a * 1.0825 + b * 1.0825 + c\n"
REPEATED = "def f(a, b, c):\n    return a % 7 + b % 7 + c % 7\n"
RANGE_LEN = "def show(xs):\n    for i in range(len(xs)):\n        print(xs[i])\n"
BOOL_RETURN = (
    "def even(n):\n    if n % 2 == 0:\n        return True\n    else:\n        return False\n"
)
MANY_PARAMS = "def f(a, b, c, d, e, f2):\n    return a\n"


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        pytest.param(LONG_FUNCTION, "R201", id="long-function"),
        pytest.param(DEEP, "R202", id="deep-nesting"),
        pytest.param(MAGIC, "R203", id="magic-float"),
        pytest.param(REPEATED, "R203", id="repeated-number"),
        pytest.param(RANGE_LEN, "R204", id="range-len"),
        pytest.param(BOOL_RETURN, "R206", id="return-bool-literal"),
        pytest.param(MANY_PARAMS, "R205", id="too-many-parameters"),
    ],
)
def test_readability_rules(code: str, rule: str) -> None:
    assert rule in readability(code)


ELIF_CHAIN = """
def grade(score):
    if score >= 90:
        return "A"
    elif score >= 80:
        return "B"
    elif score >= 70:
        return "C"
    elif score >= 60:
        return "D"
    else:
        return "F"
"""
FIZZBUZZ = """
def fizzbuzz(n):
    if n % 15 == 0:
        return "FizzBuzz"
    elif n % 3 == 0:
        return "Fizz"
    elif n % 5 == 0:
        return "Buzz"
    return str(n)
"""


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(ELIF_CHAIN, id="elif-chain-is-not-nesting"),
        pytest.param(FIZZBUZZ, id="numbers-of-the-problem-used-once"),
        pytest.param("TAX = 1.0825\n\ndef f(a):\n    return a * TAX\n", id="named-constant"),
        pytest.param(
            "def f(xs):\n    for i, x in enumerate(xs):\n        print(i, x)\n", id="enum"
        ),
    ],
)
def test_readable_code_is_not_flagged(code: str) -> None:
    assert readability(code) == set()
