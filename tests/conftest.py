"""Test-session rules shared by every test.

With LEARNFLOW_REQUIRE_ALL=1 (set by .ci/run) a skipped test fails the run: every component a test
needs is installed by `make test`, so a skip can only mean something is missing.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

# Fixtures shared across folders, registered once here (a conftest's fixtures are seen only below
# its folder, and importing them into another conftest runs them twice):
# - the session's real stack (`mesh`), shared by tests/integration and tests/security;
# - a throwaway PostgreSQL (`pg_cluster`, `db_url`, `conn`, ...), for every database test.
pytest_plugins = ("tests.integration.fixtures", "tests.plugins.postgres")

_skipped: list[str] = []
_settings_at_start: dict[str, str] = {}


def _learnflow_settings() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key.startswith("LEARNFLOW_")}


def pytest_sessionstart(session: pytest.Session) -> None:
    _settings_at_start.update(_learnflow_settings())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    """No test or fixture leaves a `LEARNFLOW_*` setting behind in this process's environment:
    a stack started later in the session would inherit it (the chaos drills' retry bound once
    reached the integration stack that way). Stacks take their own settings as `app_settings`."""
    result = yield
    changed = {
        key
        for key in set(_settings_at_start) | set(_learnflow_settings())
        if os.environ.get(key) != _settings_at_start.get(key)
    }
    if changed:
        raise AssertionError(
            f"{item.nodeid} left {sorted(changed)} changed in os.environ; give a stack its "
            "settings with Stack(app_settings=...) or use monkeypatch"
        )
    return result


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
