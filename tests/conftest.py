"""Test-session rules shared by every test.

With LEARNFLOW_REQUIRE_ALL=1 (set by .ci/run) a skipped test fails the run: every component a test
needs is installed by `make test`, so a skip can only mean something is missing.
"""

from __future__ import annotations

import os

import pytest

# the session's real stack (`mesh`), shared by tests/integration and tests/security
pytest_plugins = ("tests.integration.fixtures",)

_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # an expected failure (a step whose backend is pending) is reported, not a missing component
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `last` (e.g. stopping the shared stack) run after all others."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "last: run after every other test")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("LEARNFLOW_REQUIRE_ALL") == "1" and _skipped:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"LEARNFLOW_REQUIRE_ALL: {len(_skipped)} test(s) were skipped, which CI does not "
                "allow: " + ", ".join(_skipped[:10]),
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
