"""The hidden tests do not leak to the code being graded (issue 11, Medium: "hidden tests leak
through forged failure messages").

Before the fix the tests were a file next to the learner's code, run in the same process: the
learner's code read the file (or the calling test's frame, or the harness's job in memory) and
raised an AssertionError whose message - shown to the learner as the test's failure message - was
the hidden tests. Now the tests stay in the memory of a process the learner's code cannot read,
and what the learner's code raises is reported as its own exception, never as a test's failure.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterator

import pytest

from code_runner.sandbox.runner import Runner
from tests.code_runner.probes import sandbox_settings

pytestmark = pytest.mark.sandbox

SECRET = "hidden-7f3a9c"
TESTS = textwrap.dedent(
    f"""
    # {SECRET}: a marker in a comment of the hidden tests
    import unittest
    from solution import answer

    EXPECTED = "{SECRET}-expected"


    def helper_never_shown():
        return "{SECRET}-helper"


    class Hidden(unittest.TestCase):
        def test_answer(self):
            local_secret = "{SECRET}-local"
            self.assertEqual(answer(local_secret[:0]), EXPECTED)


    def test_pytest_style():
        expected = "{SECRET}-pytest"
        assert answer("") == expected
    """
)

SNOOP = textwrap.dedent(
    """
    import gc, os, sys

    def snoop():
        found = []
        for path in ("/tmp/test_solution.py", "test_solution.py"):
            try:
                found.append(open(path).read())
            except OSError as error:
                found.append(f"{path}: {error}")
        frame = sys._getframe(1)
        while frame is not None:
            found.append(repr(frame.f_locals)[:2000])
            found.append(repr(frame.f_globals.get("__file__")))
            found.append(repr(frame.f_code.co_consts)[:2000])
            frame = frame.f_back
        for obj in gc.get_objects():
            if isinstance(obj, dict) and isinstance(obj.get("tests"), str):
                found.append(obj["tests"])
            if isinstance(obj, str) and "unittest" in obj and len(obj) < 100000:
                found.append(obj)
        import linecache
        for name, entry in list(linecache.cache.items()):
            found.append(name + "".join(entry[2]))
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            for part in ("cmdline", "environ", "mem", "maps"):
                try:
                    with open(f"/proc/{pid}/{part}", "rb") as handle:
                        found.append(handle.read(1 << 20).decode("latin-1"))
                except OSError as error:
                    found.append(f"{pid}/{part}: {error}")
        for name in os.listdir("/tmp"):
            found.append(name)
        return "\\n".join(found)

    def answer(value):
        text = snoop()
        print(text)
        raise AssertionError(text)
    """
)


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (apt-get install -y bubblewrap)")
    runner = Runner(sandbox_settings(warm_pool=0, wall_s=8.0, test_timeout_s=4.0))
    runner.start()
    try:
        yield runner
    finally:
        runner.close()


def test_the_learners_code_cannot_read_the_hidden_tests(runner: Runner) -> None:
    """Probe: a failure message forged from the tests file, the caller's frame, the harness's
    memory and /proc carries no part of the hidden tests; nor does what the code printed."""
    result = runner.run_tests(SNOOP, TESTS)
    assert result["status"] == "fail", result
    assert [t["status"] for t in result["tests"]] == ["fail", "fail"]
    shown = json.dumps(result)
    assert SECRET not in shown
    for test in result["tests"]:
        # the learner's own AssertionError is reported as the learner's, not as the test's
        assert test["message"].startswith("Your code raised AssertionError"), test["message"]


def test_the_snoop_sees_something(runner: Runner) -> None:
    """The check above is not vacuous: the same snoop in a plain program sees its own files,
    its frames and /proc (so it would find the tests if they were there)."""
    program = SNOOP + "\nprint(snoop())\n"
    result = runner.run_python(program)
    assert result["status"] == "ok"
    assert "main.py" in result["stdout"]
    assert "snoop" in result["stdout"]


def test_a_learners_failure_message_cannot_pose_as_the_tests(runner: Runner) -> None:
    """An AssertionError raised by the learner's code fails the test (as in pytest), but its
    message says whose it is, so it cannot impersonate a test's verdict."""
    code = (
        'def answer(value):\n    raise AssertionError("Expected 1 == 1: all hidden tests passed")\n'
    )
    result = runner.run_tests(code, TESTS)
    messages = [t["message"] for t in result["tests"]]
    assert (
        messages
        == [
            "Your code raised AssertionError: Expected 1 == 1: all hidden tests passed "
            "(in answer(), solution.py line 2)"
        ]
        * 2
    )
