"""Request and result models shared by the HTTP routes and the MCP tools (one definition)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RunStatus = Literal["ok", "error", "timeout", "memory_limit", "output_limit", "killed", "rejected"]
TestsStatus = Literal["pass", "fail", "error"]


class RunResult(BaseModel):
    """The result of `run_python`."""

    status: RunStatus
    exit_code: int | None = Field(
        description="The program's exit code; minus the signal number when a signal ended it; "
        "null when the sandbox stopped it (timeout, output limit) or it was not run."
    )
    stdout: str
    stderr: str = Field(description="Tracebacks; a last line '[sandbox] ...' explains a limit.")
    duration_ms: float
    truncated: bool = Field(description="True when the output limit cut stdout/stderr.")


LimitName = Literal[
    "test_timeout_s", "run_timeout_s", "wall_timeout_s", "memory_mb", "cpu_s", "output_bytes"
]


class TestCaseResult(BaseModel):
    __test__ = False  # not a pytest test class

    name: str
    status: TestsStatus
    message: str | None = None
    output: str | None = Field(default=None, description="What the test printed (capped).")
    duration_ms: float | None = Field(default=None, description="Wall-clock time of the test.")
    cpu_ms: float | None = Field(
        default=None, description="CPU time of the test: the tests' process and the learner's."
    )
    limit: LimitName | None = Field(
        default=None, description="The limit that stopped this test, if one did."
    )


class TestLimits(BaseModel):
    """The limits a test run had. Time limits count CPU time (steady on a busy machine);
    `wall_timeout_s` is the clock's backstop for code that waits."""

    __test__ = False

    test_timeout_s: float
    run_timeout_s: float
    wall_timeout_s: float
    memory_mb: int


class TestsResult(BaseModel):
    """The result of `run_tests`, following the Exercism test-runner contract."""

    __test__ = False

    status: TestsStatus
    message: str | None = None
    tests: list[TestCaseResult]
    limits: TestLimits | None = Field(
        default=None, description="The limits of the run (absent when it was not run)."
    )


class _Tracked(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submission_id: str | None = Field(
        default=None, max_length=200, description="Echoed in the code.executed event."
    )
    exercise_id: str | None = Field(default=None, max_length=200)
    session_id: str | None = Field(default=None, max_length=200)
    user_id: str | None = Field(default=None, max_length=200)


class RunRequest(_Tracked):
    code: str
    stdin: str = ""
    timeout_s: float = Field(default=5.0, gt=0)


class TestsRequest(_Tracked):
    __test__ = False

    code: str
    tests: str
    module_name: str = "solution"
    test_timeout_s: float | None = Field(
        default=None, gt=0, description="CPU seconds per test (default: the server's, 2 s)."
    )
    run_timeout_s: float | None = Field(
        default=None,
        gt=0,
        description="CPU seconds for all the tests (default: the server's, 5 s).",
    )


class RunResponse(RunResult):
    submission_id: str


class TestsResponse(TestsResult):
    submission_id: str
