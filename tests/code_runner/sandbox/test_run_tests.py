"""Correctness of `run_tests` on the real sandbox: the Exercism contract, both test styles."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from code_runner.sandbox.runner import Runner

pytestmark = pytest.mark.sandbox

SOLUTION = textwrap.dedent(
    """
    def add(a, b):
        return a + b

    def divide(a, b):
        return a / b
    """
)


def grade(runner: Runner, tests: str, code: str = SOLUTION, **kwargs: Any) -> dict[str, Any]:
    return runner.run_tests(code, textwrap.dedent(tests), **kwargs)


def by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {test["name"]: strip_timing(test) for test in result["tests"]}


def strip_timing(test: dict[str, Any]) -> dict[str, Any]:
    """A test's result without its durations (which vary from run to run)."""
    return {k: v for k, v in test.items() if k not in ("duration_ms", "cpu_ms")}


def test_pytest_style_functions_all_passing(pooled_runner: Runner) -> None:
    result = grade(
        pooled_runner,
        """
        from solution import add

        def test_small():
            assert add(1, 2) == 3

        def test_negative():
            assert add(-1, -2) == -3
        """,
    )
    assert result["status"] == "pass"
    assert result["message"] == "All 2 tests passed."
    assert [strip_timing(t) for t in result["tests"]] == [
        {"name": "test_small", "status": "pass", "message": None, "output": None, "limit": None},
        {"name": "test_negative", "status": "pass", "message": None, "output": None, "limit": None},
    ]
    assert result["limits"] == {
        "test_timeout_s": 1.0,
        "run_timeout_s": 3.0,
        "wall_timeout_s": 14.0,
        "memory_mb": 50,
    }
    for test in result["tests"]:
        assert test["duration_ms"] >= 0 and test["cpu_ms"] >= 0


def test_unittest_classes_with_failures_and_errors(pooled_runner: Runner) -> None:
    result = grade(
        pooled_runner,
        """
        import unittest
        from solution import add, divide

        class AddTest(unittest.TestCase):
            @classmethod
            def setUpClass(cls):
                cls.base = 10

            def setUp(self):
                self.extra = 1

            def test_passes(self):
                self.assertEqual(add(self.base, self.extra), 11)

            def test_fails(self):
                self.assertEqual(add(2, 2), 5)

            def test_errors(self):
                print("dividing now")
                divide(1, 0)

            def test_subtests(self):
                for n in range(3):
                    with self.subTest(n=n):
                        self.assertLess(n, 2)
        """,
    )
    assert result["status"] == "fail"
    assert result["message"] == "3 of 4 tests did not pass."
    tests = by_name(result)
    assert list(tests) == [
        "AddTest.test_passes",
        "AddTest.test_fails",
        "AddTest.test_errors",
        "AddTest.test_subtests",
    ]  # in the order they are written
    assert tests["AddTest.test_passes"]["status"] == "pass"
    assert tests["AddTest.test_fails"] == {
        "name": "AddTest.test_fails",
        "status": "fail",
        "message": "self.assertEqual(add(2, 2), 5) failed: 4 != 5",
        "output": None,
        "limit": None,
    }
    assert tests["AddTest.test_errors"] == {
        "name": "AddTest.test_errors",
        "status": "error",
        "message": "ZeroDivisionError: division by zero (in divide(), solution.py line 6)",
        "output": "dividing now\n",
        "limit": None,
    }
    assert tests["AddTest.test_subtests"]["message"] == (
        "n=2: self.assertLess(n, 2) failed: 2 not less than 2"
    )


def test_plain_asserts_explain_themselves(pooled_runner: Runner) -> None:
    result = grade(
        pooled_runner,
        """
        from solution import add

        def test_equal():
            assert add(2, 3) == 6

        def test_both_sides():
            expected = 7
            assert add(2, 3) == expected, "adding small numbers"

        def test_truthy():
            assert add(-1, 1)

        def test_membership():
            assert add(1, 1) in [3, 4]

        def test_not():
            assert not add(1, 1)
        """,
    )
    messages = {name: t["message"] for name, t in by_name(result).items()}
    assert messages == {
        "test_equal": "Expected add(2, 3) == 6, but add(2, 3) is 5.",
        "test_both_sides": (
            "adding small numbers\nExpected add(2, 3) == expected, but add(2, 3) is 5 and "
            "expected is 7."
        ),
        "test_truthy": "Expected add(-1, 1) to be true, but it is 0.",
        "test_membership": "Expected add(1, 1) in [3, 4], but add(1, 1) is 2.",
        "test_not": "Expected not add(1, 1), but add(1, 1) is 2.",
    }


def test_pytest_helpers_work_without_pytest(pooled_runner: Runner) -> None:
    result = grade(
        pooled_runner,
        """
        import pytest
        from solution import add, divide

        @pytest.fixture
        def pair():
            yield (2, 3)

        @pytest.mark.parametrize("a, b, total", [(1, 1, 2), (2, 2, 5)])
        def test_param(a, b, total):
            assert add(a, b) == total

        def test_raises():
            with pytest.raises(ZeroDivisionError):
                divide(1, 0)

        def test_raises_nothing():
            with pytest.raises(ValueError, match="bad"):
                add(1, 1)

        def test_approx():
            assert add(0.1, 0.2) == pytest.approx(0.3)

        def test_fixture(pair):
            assert add(*pair) == 5

        def test_builtin_fixtures(tmp_path, capsys, monkeypatch):
            monkeypatch.setattr("builtins.input", lambda prompt="": "42")
            print(input())
            assert capsys.readouterr().out == "42\\n"
            (tmp_path / "f.txt").write_text("hi")
            assert (tmp_path / "f.txt").read_text() == "hi"

        @pytest.mark.skip(reason="not today")
        def test_skipped():
            assert False

        class TestGrouped:
            def test_in_class(self):
                assert add(1, 2) == 3
        """,
    )
    statuses = {name: t["status"] for name, t in by_name(result).items()}
    assert statuses == {
        "test_param[1-1-2]": "pass",
        "test_param[2-2-5]": "fail",
        "test_raises": "pass",
        "test_raises_nothing": "fail",
        "test_approx": "pass",
        "test_fixture": "pass",
        "test_builtin_fixtures": "pass",
        "TestGrouped.test_in_class": "pass",
    }
    assert by_name(result)["test_raises_nothing"]["message"] == (
        "Expected ValueError to be raised, but nothing was raised."
    )


def test_a_slow_test_times_out_alone(pooled_runner: Runner) -> None:
    result = grade(
        pooled_runner,
        """
        from solution import add

        def test_forever():
            while True:
                pass

        def test_after():
            assert add(1, 1) == 2
        """,
    )
    tests = by_name(result)
    assert result["status"] == "fail"
    assert tests["test_forever"] == {
        "name": "test_forever",
        "status": "error",
        "message": "This test took longer than 1 s (the per-test time limit) and was stopped. "
        "Is there an infinite loop, or a very slow computation?",
        "output": None,
        "limit": "test_timeout_s",
    }
    assert tests["test_after"]["status"] == "pass"


def test_a_test_that_waits_without_computing_is_stopped(pooled_runner: Runner) -> None:
    result = grade(
        pooled_runner,
        """
        from solution import wait

        def test_waits():
            wait()

        def test_after():
            assert True
        """,
        code="import time\ndef wait():\n    time.sleep(60)\n",
    )
    tests = by_name(result)
    assert tests["test_waits"]["limit"] == "test_timeout_s"
    assert tests["test_waits"]["message"].startswith(
        "This test was stopped after waiting for 2 s without computing anything"
    )
    assert tests["test_after"]["status"] == "pass"


def test_per_exercise_limits_are_applied_and_reported(pooled_runner: Runner) -> None:
    code = (
        "import time\n"
        "def compute(seconds):\n"
        "    end = time.process_time() + seconds\n"
        "    while time.process_time() < end:\n"
        "        pass\n"
    )
    tests = "from solution import compute\n\ndef test_a():\n    compute(0.7)\n"
    tight = pooled_runner.run_tests(code, tests, test_timeout_s=0.5, run_timeout_s=3)
    assert tight["limits"]["test_timeout_s"] == 0.5
    assert tight["tests"][0]["limit"] == "test_timeout_s"
    assert "longer than 0.5 s (the per-test time limit)" in tight["tests"][0]["message"]
    roomy = pooled_runner.run_tests(code, tests, test_timeout_s=2, run_timeout_s=3)
    assert roomy["status"] == "pass"
    # the spin counts the process's CPU time, the harness's own time checks included; the
    # reported figure leaves those out (CI saw 696.1 ms), so it is a little under 700
    assert 600 <= roomy["tests"][0]["cpu_ms"] < 2000


def test_the_run_limit_stops_the_remaining_tests(pooled_runner: Runner) -> None:
    code = (
        "import time\n"
        "def compute(seconds):\n"
        "    end = time.process_time() + seconds\n"
        "    while time.process_time() < end:\n"
        "        pass\n"
    )
    tests = "".join(
        f"def test_{n}():\n    from solution import compute\n    compute(0.15)\n\n"
        for n in range(5)
    )
    result = pooled_runner.run_tests(code, tests, test_timeout_s=0.3, run_timeout_s=0.4)
    assert result["status"] == "fail"
    statuses = [(t["name"], t["status"], t["limit"]) for t in result["tests"]]
    stopped = [n for n, (_name, status, _limit) in enumerate(statuses) if status == "error"]
    assert stopped and stopped == list(range(stopped[0], 5)), statuses  # stopped, then not run
    assert all(limit == "run_timeout_s" for _name, _status, limit in statuses[stopped[0] :])
    assert all(status == "pass" for _name, status, _limit in statuses[: stopped[0]])
    assert "the run's time limit of 0.4 s" in result["tests"][stopped[0]]["message"]


@pytest.mark.parametrize(
    ("limits", "problem"),
    [
        ({"test_timeout_s": 0}, "test_timeout_s must be a positive number of seconds"),
        ({"run_timeout_s": 11}, "run_timeout_s is 11 s; this server allows at most 10 s"),
        ({"test_timeout_s": 4, "run_timeout_s": 3}, "must not be longer than run_timeout_s"),
    ],
)
def test_bad_limits_are_rejected(
    pooled_runner: Runner, limits: dict[str, float], problem: str
) -> None:
    result = pooled_runner.run_tests(SOLUTION, "def test_x():\n    pass\n", **limits)
    assert result["status"] == "error"
    assert problem in result["message"]


def test_the_clock_stops_a_run_whose_tests_defeat_the_timer(pooled_runner: Runner) -> None:
    """The per-test limits are enforced in the test process; the run's wall-clock backstop is the
    host's and holds even when a test switches the per-test timer off."""
    code = "import time\ndef wait():\n    time.sleep(60)\n"
    tests = """
        import signal
        from solution import wait

        def test_one():
            assert True

        def test_blocks():
            signal.signal(signal.SIGALRM, signal.SIG_IGN)  # defeats the per-test timer
            wait()

        def test_never_reached():
            assert True
        """
    result = grade(pooled_runner, tests, code=code, run_timeout_s=1)
    assert result["status"] == "error"
    assert result["message"].startswith(
        "Timed out: the tests ran for more than 10 s of clock time (the run's wall-clock limit)"
    )
    assert [(t["name"], t["status"], t["limit"]) for t in result["tests"]] == [
        ("test_one", "pass", None),
        ("test_blocks", "error", "wall_timeout_s"),
        ("test_never_reached", "error", "wall_timeout_s"),
    ]
    assert result["tests"][1]["message"].startswith("Timed out")
    assert result["tests"][2]["message"] == "Not run: an earlier test was stopped."


def test_output_is_captured_per_test_and_capped(pooled_runner: Runner) -> None:
    result = grade(
        pooled_runner,
        """
        def test_chatty():
            for i in range(1000):
                print("line", i)
        """,
        code="x = 1\nprint('printed while loading')\n",
    )
    output = result["tests"][0]["output"]
    assert output.startswith("line 0\nline 1\n")
    assert output.endswith("[output truncated: only the first 500 characters are shown]")
    assert len(output) < 600


def test_a_syntax_error_in_the_code_is_reported_plainly(pooled_runner: Runner) -> None:
    result = grade(pooled_runner, "def test_x():\n    pass\n", code="def add(a, b)\n    return 1\n")
    assert (result["status"], result["message"], result["tests"]) == (
        "error",
        "Your code has a syntax error on line 1: expected ':'\n    def add(a, b)",
        [],
    )


def test_a_missing_function_is_named(pooled_runner: Runner) -> None:
    result = grade(pooled_runner, "from solution import multiply\n\ndef test_x():\n    pass\n")
    assert result["status"] == "error"
    assert result["message"] == (
        "The tests use `multiply` from your code, but solution.py does not define it. Check "
        "the name and its spelling."
    )


def test_input_at_import_time_gets_a_hint(pooled_runner: Runner) -> None:
    result = grade(pooled_runner, "def test_x():\n    pass\n", code="name = input()\n")
    assert result["status"] == "error"
    assert "calls input() when it is loaded" in result["message"]


def test_a_tests_file_that_errors(pooled_runner: Runner) -> None:
    result = grade(pooled_runner, "import solution\nboom = 1 / 0\n\ndef test_x():\n    pass\n")
    assert result["status"] == "error"
    assert result["message"] == (
        "The tests could not be loaded: ZeroDivisionError: division by zero "
        "(test_solution.py, line 2)"
    )
    assert result["tests"] == []


def test_a_tests_file_with_a_syntax_error(pooled_runner: Runner) -> None:
    result = grade(pooled_runner, "def test_x(:\n    pass\n")
    assert result["status"] == "error"
    assert result["message"].startswith("The tests have a syntax error on line 1")


def test_no_tests_is_an_error(pooled_runner: Runner) -> None:
    result = grade(pooled_runner, "from solution import add\n\ndef helper():\n    pass\n")
    assert result["status"] == "error"
    assert result["message"].startswith("No tests were found")


def test_a_memory_bomb_in_the_code_is_reported(pooled_runner: Runner) -> None:
    code = "hoard = []\nwhile True:\n    hoard.append(' ' * 10**6)\n"
    result = grade(pooled_runner, "def test_x():\n    pass\n", code=code)
    assert result["status"] == "error"
    assert "Your code (solution.py) failed while being loaded: MemoryError" in result["message"]


def test_another_module_name(pooled_runner: Runner) -> None:
    result = grade(
        pooled_runner,
        "from greeter import hello\n\ndef test_hello():\n    assert hello() == 'hi'\n",
        code="def hello():\n    return 'hi'\n",
        module_name="greeter",
    )
    assert result["status"] == "pass"


@pytest.mark.parametrize(
    ("module_name", "reason"),
    [
        ("my-module", "must be a Python identifier"),
        ("class", "must be a Python identifier"),
        ("json", "is the name of a standard module"),
        ("../evil", "must be a Python identifier"),
    ],
)
def test_bad_module_names_are_rejected(
    pooled_runner: Runner, module_name: str, reason: str
) -> None:
    result = pooled_runner.run_tests(SOLUTION, "def test_x():\n    pass\n", module_name)
    assert result["status"] == "error"
    assert result["message"].startswith("Not run: ")
    assert reason in result["message"]
    assert result["tests"] == []


def test_empty_code_is_rejected(pooled_runner: Runner) -> None:
    result = pooled_runner.run_tests("", "def test_x():\n    pass\n")
    assert result == {
        "status": "error",
        "message": "Not run: there is no code to run (it is empty)",
        "tests": [],
    }
