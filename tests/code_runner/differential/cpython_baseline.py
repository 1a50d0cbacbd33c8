"""Plain CPython's verdict on each program of the differential corpus, outside the sandbox.

    python cpython_baseline.py PROGRAMS.json RESULTS.json

PROGRAMS.json is a list of {"id", "dir", "runner": "pytest"|"unittest", "timeout_s"}; each dir
holds solution.py and test_solution.py. Every program runs in its own temporary directory (the
working directory and the first entry of sys.path, as `python -m pytest` in that directory would
have it), with the runner its tests are written for: pytest for pytest-style tests, the standard
unittest runner for unittest-only tests. Both run in this one process, one program after the
other, with `solution`, `test_solution` and whatever else the program imported from its directory
forgotten in between: starting a fresh pytest for each of 200 programs costs minutes here.

RESULTS.json maps each id to {test name: "pass"|"fail"|"error"|"skip"} in LearnFlow's naming
(`Class.method`, `function[params]`). "fail" is an AssertionError (pytest and unittest call that
a failure), "error" any other exception or a problem outside the test's body. A test that runs
longer than `timeout_s` is stopped (plain CPython has no limit; the comparison only needs to
know it did not finish) and reported as "timeout".
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import unittest
from pathlib import Path
from typing import Any

import pytest


class Timeout(BaseException):
    """Raised in a test that runs longer than the baseline's patience."""


class _Alarm:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __enter__(self) -> None:
        def expired(_signum: int, _frame: object) -> None:
            raise Timeout

        signal.signal(signal.SIGALRM, expired)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: object) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)


def _kind(exc: BaseException | None) -> str:
    """pass, fail (an assertion, pytest.fail(), pytest.raises that saw nothing), error, timeout."""
    if exc is None:
        return "pass"
    if isinstance(exc, Timeout):
        return "timeout"
    return "fail" if isinstance(exc, (AssertionError, pytest.fail.Exception)) else "error"


class PytestOutcomes:
    """A pytest plugin recording each test's outcome by phase."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.outcomes: dict[str, str] = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: object) -> Any:
        with _Alarm(self.timeout_s):
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report = outcome.get_result()
        name = _pytest_name(item.nodeid)
        if report.skipped:
            self.outcomes.setdefault(name, "skip")
            return
        excinfo = call.excinfo
        if excinfo is None:
            if call.when == "call":
                self.outcomes.setdefault(name, "pass")
            return
        kind = _kind(excinfo.value)
        if call.when != "call" and kind == "fail":
            kind = "error"  # a fixture or setup that failed: the test did not run
        previous = self.outcomes.get(name)
        if previous in (None, "pass"):
            self.outcomes[name] = kind

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.outcomes["<collection>"] = "error"


def _pytest_name(nodeid: str) -> str:
    parts = nodeid.split("::")[1:]
    return ".".join(parts)


# pytest plugins that play no part in a test's outcome here (caches, reports, debuggers, warnings
# capture, log capture, the installed async plugins): left out, a run costs a third of the time.
UNUSED_PLUGINS = [
    "cacheprovider",
    "asyncio",
    "anyio",
    "warnings",
    "doctest",
    "junitxml",
    "pastebin",
    "nose",
    "logging",
    "faulthandler",
    "stepwise",
    "unraisableexception",
    "threadexception",
    "legacypath",
    "lsof",
    "debugging",
]


def run_pytest(directory: Path, timeout_s: float) -> dict[str, str]:
    plugin = PytestOutcomes(timeout_s)
    (directory / "pytest.ini").write_text("[pytest]\n")
    disabled = [arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")]
    with _quiet():
        pytest.main(
            [*disabled, "-q", "--rootdir", str(directory), "test_solution.py"], plugins=[plugin]
        )
    return plugin.outcomes


class UnittestOutcomes(unittest.TestResult):
    """Each test method's outcome: the kind of its first problem (subtests included)."""

    def __init__(self) -> None:
        super().__init__()
        self.outcomes: dict[str, str] = {}

    @staticmethod
    def _name(test: unittest.TestCase) -> str:
        return ".".join(test.id().split(".")[1:])

    def _record(self, test: unittest.TestCase, kind: str) -> None:
        name = self._name(test)
        if self.outcomes.get(name) in (None, "pass"):
            self.outcomes[name] = kind

    def addSuccess(self, test: unittest.TestCase) -> None:
        self._record(test, "pass")

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:
        self._record(test, _kind(err[1]))

    def addError(self, test: unittest.TestCase, err: Any) -> None:
        kind = _kind(err[1])
        kind = "error" if kind == "fail" else kind
        failed_class = self._failed_class_setup(test)
        if failed_class is not None:  # setUpClass failed: none of the class's tests ran
            for method in unittest.defaultTestLoader.getTestCaseNames(failed_class):
                self.outcomes.setdefault(f"{failed_class.__name__}.{method}", kind)
            return
        self._record(test, kind)

    @staticmethod
    def _failed_class_setup(test: Any) -> type | None:
        description = getattr(test, "description", "")
        if not description.startswith("setUpClass ("):
            return None
        qualified = description[len("setUpClass (") : -1]
        module = sys.modules.get(qualified.rpartition(".")[0])
        found = getattr(module, qualified.rpartition(".")[2], None)
        return found if isinstance(found, type) else None

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:
        self._record(test, "skip")  # like pytest's xfail: neither a pass nor a failure

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        self._record(test, "fail")

    def addSubTest(self, test: unittest.TestCase, subtest: Any, err: Any) -> None:
        if err is not None:
            kind = _kind(err[1])
            if not issubclass(err[0], test.failureException) and kind == "fail":
                kind = "error"
            self._record(test, kind)

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        self._record(test, "skip")

    def startTest(self, test: unittest.TestCase) -> None:
        super().startTest(test)
        self._alarm = _Alarm(self._timeout_s)
        self._alarm.__enter__()

    def stopTest(self, test: unittest.TestCase) -> None:
        self._alarm.__exit__()
        super().stopTest(test)


def run_unittest(directory: Path, timeout_s: float) -> dict[str, str]:
    result = UnittestOutcomes()
    result._timeout_s = timeout_s  # type: ignore[attr-defined]
    with _quiet():
        try:
            suite = unittest.defaultTestLoader.loadTestsFromName("test_solution")
            suite.run(result)
        except Timeout:
            result.outcomes["<run>"] = "timeout"
        except Exception:
            result.outcomes["<load>"] = "error"
    return result.outcomes


@contextlib.contextmanager
def _quiet() -> Any:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def run_program(program: dict[str, Any]) -> dict[str, str]:
    directory = Path(program["dir"])
    before_modules = set(sys.modules)
    before_path = list(sys.path)
    before_cwd = os.getcwd()
    sys.path.insert(0, str(directory))
    os.chdir(directory)
    try:
        if program["runner"] == "unittest":
            return run_unittest(directory, program["timeout_s"])
        return run_pytest(directory, program["timeout_s"])
    finally:
        os.chdir(before_cwd)
        sys.path[:] = before_path
        for name in set(sys.modules) - before_modules:
            module = sys.modules.get(name)
            origin = getattr(module, "__file__", None) or ""
            if name in ("solution", "test_solution") or origin.startswith(str(directory)):
                del sys.modules[name]


def main() -> None:
    programs = json.loads(Path(sys.argv[1]).read_text())
    results = {program["id"]: run_program(program) for program in programs}
    Path(sys.argv[2]).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
