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


class TestCaseResult(BaseModel):
    __test__ = False  # not a pytest test class

    name: str
    status: TestsStatus
    message: str | None = None
    output: str | None = Field(default=None, description="What the test printed (capped).")


class TestsResult(BaseModel):
    """The result of `run_tests`, following the Exercism test-runner contract."""

    __test__ = False

    status: TestsStatus
    message: str | None = None
    tests: list[TestCaseResult]


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


class RunResponse(RunResult):
    submission_id: str


class TestsResponse(TestsResult):
    submission_id: str
