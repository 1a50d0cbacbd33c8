"""The code runner's `tests` method, as the workflow activities call it.

Grading a session's submissions and validating a teacher's exercise both run hidden tests in the
sandbox (Dapr app `code-runner`, method `tests`), which answers Exercism-style:
`{"status", "message", "tests": [{"name", "status", "message", ...}], ...}`. Only what the
activities read is modelled here; the rest of the answer (output, durations, limits) is ignored.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from learnflow.sidecar import Mesh, UpstreamRejected

CODE_RUNNER = "code-runner"


class TestsRun(BaseModel):
    """A `tests` request; unset limits and ids are left out (the runner's defaults apply)."""

    __test__ = False  # not a pytest test class

    code: str
    tests: str
    module_name: str = "solution"
    test_timeout_s: float | None = None  # CPU seconds per test
    run_timeout_s: float | None = None  # CPU seconds for all the tests
    # echoed in the runner's code.executed event
    submission_id: str | None = None
    exercise_id: str | None = None
    session_id: str | None = None
    user_id: str | None = None


class CaseVerdict(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    status: str  # pass | fail | error
    message: str | None = None


class Verdict(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: str  # pass | fail | error, a sandbox limit (timeout, ...), or the refusal's status
    message: str | None = None
    tests: list[CaseVerdict] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def tests_passed(self) -> int:
        return sum(1 for case in self.tests if case.status == "pass")


async def run_tests(client: Mesh, run: TestsRun, *, refused: str) -> Verdict:
    """The runner's verdict. A request it refuses (code too large, tests it cannot load) is a
    verdict too, with status `refused` and the runner's reason: retrying cannot change it."""
    body = run.model_dump(mode="json", exclude_none=True)
    try:
        answer = await client.invoke(CODE_RUNNER, "tests", json_body=body)
    except UpstreamRejected as rejected:
        return Verdict(status=refused, message=rejected.message)
    return Verdict.model_validate(answer)
