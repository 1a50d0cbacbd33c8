"""Grading cannot be forged by the code it grades (issue 11, High: "grading is forgeable").

The probe's findings, each replayed against the real sandbox: a solution whose functions all
`return 0` (so it fails every test) plus one trick. Before the fix the learner's code ran in the
harness's own process and every trick turned the grade into "pass 5/5":

- writing "pass" results to the results pipe it inherits, then exiting;
- the same through another process's descriptors in /proc;
- monkeypatching unittest's assertions, or the harness's own assert helpers;
- returning an object whose `__eq__` is always true (and its cousins: `__ne__`, an int subclass,
  `__sub__` for approximate comparisons, `__contains__`);
- raising `unittest.SkipTest` so failing tests vanish from the count.

Now the learner's code runs in a process of its own that holds neither the results channel nor
the tests, and the host accepts only results for tests it found in the tests' source itself.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from code_runner.sandbox.runner import Runner
from tests.code_runner.probes import sandbox_settings

pytestmark = pytest.mark.sandbox

UNITTEST_TESTS = textwrap.dedent(
    """
    import unittest
    from solution import add, scale, first_word, mean, evens

    class Grading(unittest.TestCase):
        def test_add(self):
            self.assertEqual(add(2, 3), 5)

        def test_scale(self):
            self.assertEqual(scale([1, 2], 3), [3, 6])

        def test_first_word(self):
            self.assertEqual(first_word("hello world"), "hello")

        def test_mean(self):
            self.assertAlmostEqual(mean([1, 2, 4]), 7 / 3)

        def test_evens(self):
            self.assertIn(4, evens(5))
    """
)
PYTEST_TESTS = textwrap.dedent(
    """
    import pytest
    from solution import add, scale, first_word, mean, evens

    def test_add():
        assert add(2, 3) == 5

    def test_scale():
        assert scale([1, 2], 3) == [3, 6]

    def test_first_word():
        assert first_word("hello world") == "hello"

    def test_mean():
        assert abs(mean([1, 2, 4]) - 7 / 3) < 1e-9

    def test_evens():
        assert 4 in evens(5)
    """
)
TEST_NAMES = {
    "unittest": [f"Grading.test_{n}" for n in ("add", "scale", "first_word", "mean", "evens")],
    "pytest": [f"test_{n}" for n in ("add", "scale", "first_word", "mean", "evens")],
}
RETURN_ZERO = textwrap.dedent(
    """
    def add(a, b):
        return 0

    def scale(items, factor):
        return 0

    def first_word(text):
        return 0

    def mean(numbers):
        return 0

    def evens(n):
        return 0
    """
)
CORRECT = textwrap.dedent(
    """
    def add(a, b):
        return a + b

    def scale(items, factor):
        return [x * factor for x in items]

    def first_word(text):
        return text.split()[0]

    def mean(numbers):
        return sum(numbers) / len(numbers)

    def evens(n):
        return [x for x in range(n) if x % 2 == 0]
    """
)


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (apt-get install -y bubblewrap)")
    runner = Runner(sandbox_settings(warm_pool=2, wall_s=6.0, test_timeout_s=2.0))
    runner.start()
    try:
        yield runner
    finally:
        runner.close()


def grade(runner: Runner, trick: str, style: str, body: str = RETURN_ZERO) -> dict[str, Any]:
    tests = UNITTEST_TESTS if style == "unittest" else PYTEST_TESTS
    code = textwrap.dedent(trick).replace("NAMES", repr(TEST_NAMES[style])) + "\n" + body
    return runner.run_tests(code, tests)


def passed(result: dict[str, Any]) -> int:
    return sum(1 for test in result["tests"] if test["status"] == "pass")


STYLES = pytest.mark.parametrize("style", ["unittest", "pytest"])


@STYLES
def test_the_honest_baselines(runner: Runner, style: str) -> None:
    """A correct solution passes 5/5 and `return 0` passes nothing: what every trick starts from."""
    good = runner.run_tests(CORRECT, UNITTEST_TESTS if style == "unittest" else PYTEST_TESTS)
    assert good["status"] == "pass", good
    assert passed(good) == 5
    bad = grade(runner, "", style)
    assert bad["status"] == "fail"
    assert passed(bad) == 0
    assert [t["name"] for t in bad["tests"]] == TEST_NAMES[style]


WRITE_TO_INHERITED_PIPES = """
    import json, os
    _lines = "".join(
        json.dumps({"e": "test", "name": n, "status": "pass", "message": "", "output": ""}) + "\\n"
        for n in NAMES + ["test_invented_by_the_learner"]
    )
    _lines += json.dumps({"e": "collected", "names": NAMES}) + "\\n"
    _lines += json.dumps({"e": "exit", "code": 0, "signal": None}) + "\\n"
    for _fd in range(3, 256):
        try:
            os.write(_fd, _lines.encode())
        except OSError:
            pass
    os._exit(0)
"""


@STYLES
def test_writing_pass_results_to_the_inherited_results_pipe(runner: Runner, style: str) -> None:
    """Probe: the learner's code writes 'pass' for every test to every descriptor it holds
    (the harness's results pipe among them) and exits; graded pass 5/5."""
    result = grade(runner, WRITE_TO_INHERITED_PIPES, style)
    assert result["status"] == "error", result
    assert passed(result) == 0
    assert "test_invented_by_the_learner" not in json.dumps(result)


WRITE_THROUGH_PROC = """
    import json, os
    _lines = "".join(
        json.dumps({"e": "test", "name": n, "status": "pass", "message": "", "output": ""}) + "\\n"
        for n in NAMES
    ).encode()
    _reached = []
    for _pid in os.listdir("/proc"):
        if not _pid.isdigit() or int(_pid) == os.getpid():
            continue
        try:
            _fds = os.listdir(f"/proc/{_pid}/fd")
        except OSError:
            continue
        for _fd in _fds:
            try:
                with open(f"/proc/{_pid}/fd/{_fd}", "wb", buffering=0) as _pipe:
                    _pipe.write(_lines)
                _reached.append(f"{_pid}/{_fd}")
            except OSError:
                pass
    def reached():
        return _reached
"""


@STYLES
def test_writing_results_through_another_process_in_proc(runner: Runner, style: str) -> None:
    """The same forgery through /proc/<pid>/fd of the processes that do hold the channel."""
    result = grade(runner, WRITE_THROUGH_PROC, style)
    assert result["status"] == "fail", result
    assert passed(result) == 0


PATCH_UNITTEST = """
    import unittest
    for _name in dir(unittest.TestCase):
        if _name.startswith(("assert", "fail")):
            setattr(unittest.TestCase, _name, lambda *args, **kwargs: None)
    unittest.TestCase.failureException = KeyboardInterrupt
"""


def test_monkeypatching_unittest_asserts(runner: Runner) -> None:
    """Probe: the learner's code replaces unittest's assertions with no-ops."""
    result = grade(runner, PATCH_UNITTEST, "unittest")
    assert result["status"] == "fail", result
    assert passed(result) == 0


PATCH_THE_HARNESS = """
    import builtins, gc, operator, sys
    for _obj in gc.get_objects():
        if isinstance(_obj, dict):
            for _key in list(_obj):
                if isinstance(_key, str) and _key.startswith(("_lf_assert", "__lf_assert")):
                    _obj[_key] = lambda *args, **kwargs: None
    operator.eq = lambda a, b: True
    class _Never(Exception):
        pass
    builtins.AssertionError = _Never
"""


def test_patching_the_harness_and_its_assert_helpers(runner: Runner) -> None:
    """The pytest-style twin: the harness's rewritten-assert helpers, operator.eq and the
    builtin AssertionError, patched from the learner's code."""
    result = grade(runner, PATCH_THE_HARNESS, "pytest")
    assert result["status"] == "fail", result
    assert passed(result) == 0


ALWAYS_EQUAL = """
    class _Anything:
        def __eq__(self, other):
            return True
        def __ne__(self, other):
            return False
        def __lt__(self, other):
            return True
        __le__ = __gt__ = __ge__ = __lt__
        def __sub__(self, other):
            return 0
        __rsub__ = __add__ = __radd__ = __mul__ = __rmul__ = __truediv__ = __sub__
        def __abs__(self):
            return 0
        def __contains__(self, item):
            return True
        def __float__(self):
            return 0.0
        def __hash__(self):
            return 0
        def __bool__(self):
            return True
        def __repr__(self):
            return "anything"
    ANYTHING = _Anything()
"""
ALWAYS_EQUAL_BODY = textwrap.dedent(
    """
    def add(a, b):
        return ANYTHING

    def scale(items, factor):
        return ANYTHING

    def first_word(text):
        return ANYTHING

    def mean(numbers):
        return ANYTHING

    def evens(n):
        return ANYTHING
    """
)


@STYLES
def test_an_object_equal_to_everything(runner: Runner, style: str) -> None:
    """Probe: every function returns an object whose `__eq__` is always true (and which answers
    every other comparison, subtraction and membership the way a test wants)."""
    result = grade(runner, ALWAYS_EQUAL, style, body=ALWAYS_EQUAL_BODY)
    assert result["status"] == "fail", result
    assert passed(result) == 0


BUILTIN_SUBCLASSES = """
    class _Int(int):
        def __eq__(self, other):
            return True
        __hash__ = int.__hash__
    class _Str(str):
        def __eq__(self, other):
            return True
        __hash__ = str.__hash__
    class _List(list):
        def __eq__(self, other):
            return True
        def __contains__(self, item):
            return True
    class _Float(float):
        def __eq__(self, other):
            return True
        def __sub__(self, other):
            return 0.0
        __rsub__ = __sub__
"""
BUILTIN_SUBCLASSES_BODY = textwrap.dedent(
    """
    def add(a, b):
        return _Int(0)

    def scale(items, factor):
        return _List()

    def first_word(text):
        return _Str("")

    def mean(numbers):
        return _Float(0.0)

    def evens(n):
        return _List()
    """
)


@STYLES
def test_builtin_subclasses_that_claim_equality(runner: Runner, style: str) -> None:
    """The same trick inside an int, str, list or float: compared by the value they hold."""
    result = grade(runner, BUILTIN_SUBCLASSES, style, body=BUILTIN_SUBCLASSES_BODY)
    assert result["status"] == "fail", result
    assert passed(result) == 0


RAISE_SKIP = """
    import unittest
    def add(a, b):
        raise unittest.SkipTest("nothing to see")
"""


def test_skipping_the_tests_a_solution_fails(runner: Runner) -> None:
    """A skipped test drops out of the count: raising SkipTest from the learner's code must not
    skip anything (it is an error of that test)."""
    tests = textwrap.dedent(
        """
        import unittest
        from solution import add

        class Grading(unittest.TestCase):
            def test_add_is_a_function(self):
                self.assertTrue(callable(add))

            def test_add(self):
                self.assertEqual(add(2, 3), 5)
        """
    )
    result = runner.run_tests(textwrap.dedent(RAISE_SKIP), tests)
    assert result["status"] == "fail", result
    statuses = {t["name"]: t["status"] for t in result["tests"]}
    assert statuses == {"Grading.test_add_is_a_function": "pass", "Grading.test_add": "error"}


KILL_THE_TESTS = """
    import os, signal
    def add(a, b):
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) not in (1, os.getpid()):
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        return 0
"""


def test_killing_the_test_process_is_an_error_not_a_pass(runner: Runner) -> None:
    result = runner.run_tests(
        textwrap.dedent(KILL_THE_TESTS),
        "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n",
    )
    assert result["status"] == "error", result
    assert passed(result) == 0
