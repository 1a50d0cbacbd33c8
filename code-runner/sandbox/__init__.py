"""Run untrusted learner Python in a sandbox: the functions other LearnFlow code calls.

    run_python(code, stdin="", timeout_s=5.0) -> {status, exit_code, stdout, stderr,
                                                  duration_ms, truncated}
    run_tests(code, tests, module_name="solution", *, test_timeout_s=None, run_timeout_s=None)
        -> {status, message, tests: [...], limits}

plus `arun_python` / `arun_tests` for async services. All share one process-wide `Runner`
(`get_runner()`), started on first use: it refuses to start - `SandboxUnavailable`, one line
saying what to install or set - when the configured isolation does not work here, and never runs
code unsandboxed. A full queue raises `learnflow.errors.Busy`.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

from code_runner.config import get_sandbox_settings
from code_runner.sandbox.base import SandboxFailure, SandboxUnavailable
from code_runner.sandbox.runner import Runner

__all__ = [
    "Runner",
    "SandboxFailure",
    "SandboxUnavailable",
    "arun_python",
    "arun_tests",
    "get_runner",
    "run_python",
    "run_tests",
]

_runner: Runner | None = None
_lock = threading.Lock()


def get_runner() -> Runner:
    """The process-wide runner, checked and started on first use."""
    global _runner
    with _lock:
        if _runner is None:
            runner = Runner(get_sandbox_settings())
            try:
                runner.start()
            except BaseException:
                runner.close()
                raise
            atexit.register(runner.close)
            _runner = runner
        return _runner


def run_python(code: str, stdin: str = "", timeout_s: float = 5.0) -> dict[str, Any]:
    return get_runner().run_python(code, stdin, timeout_s)


def run_tests(
    code: str,
    tests: str,
    module_name: str = "solution",
    *,
    test_timeout_s: float | None = None,
    run_timeout_s: float | None = None,
) -> dict[str, Any]:
    return get_runner().run_tests(
        code, tests, module_name, test_timeout_s=test_timeout_s, run_timeout_s=run_timeout_s
    )


async def arun_python(code: str, stdin: str = "", timeout_s: float = 5.0) -> dict[str, Any]:
    return await get_runner().arun_python(code, stdin, timeout_s)


async def arun_tests(
    code: str,
    tests: str,
    module_name: str = "solution",
    *,
    test_timeout_s: float | None = None,
    run_timeout_s: float | None = None,
) -> dict[str, Any]:
    return await get_runner().arun_tests(
        code, tests, module_name, test_timeout_s=test_timeout_s, run_timeout_s=run_timeout_s
    )
