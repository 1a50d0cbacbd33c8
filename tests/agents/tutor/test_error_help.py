"""Error explanations: parsing tracebacks, the cause read from the failing line, no code review."""

from __future__ import annotations

from tutor_agent.error_help import RULES, explain_error, parse_error, split_traceback

TRACEBACK = """Traceback (most recent call last):
  File "/home/maya/main.py", line 2, in <module>
    print("You are " + age)
TypeError: can only concatenate str (not "int") to str"""


def test_a_traceback_gives_exception_line_cause_hint_and_the_errors_lesson() -> None:
    found = explain_error(TRACEBACK)
    assert found is not None
    assert (found.exception, found.line, found.rule) == ("TypeError", 2, "str-plus-number")
    assert "an `int`" in found.meaning and 'print("You are " + age)' in found.cause
    assert found.lessons[0] == "errors.exception-types"
    assert "str(" in found.hint


def test_the_traceback_is_split_from_the_code() -> None:
    error, rest = split_traceback(f"age = 5\n{TRACEBACK}")
    assert error is not None and "TypeError" in error
    assert rest == "age = 5"


def test_a_named_error_or_an_endless_loop_is_recognised_without_a_traceback() -> None:
    named = parse_error("I keep getting IndexError")
    assert named is not None and named.exception == "IndexError" and not named.pasted
    loop = explain_error("my program never stops", "n = 3\nwhile n > 0:\n    print(n)")
    assert loop is not None and "never changes `n`" in loop.cause
    assert parse_error("how do for loops work?") is None


def test_a_typo_is_named_with_the_name_the_code_defines() -> None:
    found = explain_error("NameError: name 'totl' is not defined", "total = 1\nprint(totl)")
    assert found is not None and "`total`" in found.cause


def test_every_rule_cites_a_lesson_of_the_curriculum() -> None:
    from learnflow.curriculum import load_catalog

    lessons = {lesson.id for lesson in load_catalog().lessons}
    assert {rule.lesson for rule in RULES} <= lessons
