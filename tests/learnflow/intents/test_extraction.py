"""Code extraction: pasted code and fences split from the prose (`learnflow.intents.extraction`)."""

from __future__ import annotations

import pytest

from learnflow.intents import classify, extract_code


@pytest.mark.parametrize(
    ("message", "code", "prose"),
    [
        (
            "my code is broken\n```python\nfor i in range(3)\n    print(i)\n```\nwhy?",
            "for i in range(3)\n    print(i)",
            "my code is broken\n\nwhy?",
        ),
        ("```\nx = 1\n```", "x = 1", ""),
        ("unclosed fence:\n```py\nprint('hi'", "print('hi'", "unclosed fence:\n"),
        (
            "what's wrong?\ndef add(a, b):\n    a + b\n\nprint(add(1, 2))",
            "def add(a, b):\n    a + b\nprint(add(1, 2))",
            "what's wrong?\n",
        ),
        (
            'Traceback (most recent call last):\n  File "a.py", line 2, in <module>\n'
            "    print(x)\nNameError: name 'x' is not defined",
            'Traceback (most recent call last):\n  File "a.py", line 2, in <module>\n'
            "    print(x)\nNameError: name 'x' is not defined",
            "",
        ),
        # Lost indentation after a block opener is still code.
        ("help\nwhile x < 10:\nprint(x)", "while x < 10:\nprint(x)", "help"),
        (
            "am i correct?\nsquares = {x: x**2 for x in range(5)}",
            "squares = {x: x**2 for x in range(5)}",
            "am i correct?",
        ),
        # A literal whose closing bracket sits at column 0 keeps that bracket (regression: it
        # was read as prose, so an unfenced solution with a module-level table was not code).
        (
            "one way:\nTABLE = {\n    1: 'a',\n}\ndef f(k):\n    return TABLE[k]\nTry it!",
            "TABLE = {\n    1: 'a',\n}\ndef f(k):\n    return TABLE[k]",
            "one way:\nTry it!",
        ),
    ],
)
def test_code_is_extracted_from_fences_and_pastes(message: str, code: str, prose: str) -> None:
    got_code, got_prose = extract_code(message)
    assert got_code == code
    assert got_prose.strip() == prose.strip()


@pytest.mark.parametrize(
    "message",
    [
        "for loops in python, how do they work",
        "For example: what does zip do?",
        "if you can, explain classes:",
        "import is confusing me",
        "return values confuse me",
        "x = the number of apples, right?",
        "what does `len()` do",
        "class is a keyword, what does it do",
    ],
)
def test_prose_that_mentions_code_words_is_not_code(message: str) -> None:
    assert extract_code(message) == (None, message)
    assert classify(message).code is None
