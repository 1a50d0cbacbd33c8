"""The editor's two buttons: `POST /code/run` runs the learner's code in the sandbox (via
code-runner); `POST /exercises/{id}/submit` grades it against the exercise's hidden tests (via
the tutor, which publishes the grade).

The learner is the caller of record: their id travels in the run request and the
`code.executed` event, so progress and struggle tracking see it. When the app that does the work
is unavailable (down or restarting) the answer is a 503 with Retry-After that says so plainly.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from learnflow.api.deps import SidecarDep
from learnflow.auth.deps import CurrentUser
from learnflow.errors import DependencyFailed
from learnflow.sidecar import Sidecar
from triage_agent.degraded import unavailable

router = APIRouter(tags=["code"])

MAX_CODE_CHARS = 64 * 1024


class RunCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=MAX_CODE_CHARS, description="Python source")
    stdin: str = Field(default="", max_length=MAX_CODE_CHARS)
    session_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,100}$")
    exercise_id: str | None = Field(default=None, max_length=200)


class SubmitCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=MAX_CODE_CHARS, description="Python source")
    session_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,100}$")


async def _invoke(sidecar: Sidecar, app_id: str, method: str, body: Any, doing: str) -> Any:
    try:
        return await sidecar.invoke(app_id, method, json_body=body)
    except DependencyFailed as exc:
        if exc.dependency != app_id:
            raise
        raise unavailable(app_id, doing) from exc


@router.post("/code/run")
async def run_code(body: RunCode, user: CurrentUser, sidecar: SidecarDep) -> Any:
    return await _invoke(
        sidecar,
        "code-runner",
        "run",
        {**body.model_dump(exclude_none=True), "user_id": str(user.user_id)},
        "your code was not run",
    )


@router.post("/exercises/{exercise_id}/submit")
async def submit_code(
    exercise_id: str, body: SubmitCode, user: CurrentUser, sidecar: SidecarDep
) -> Any:
    """Grade the code against the exercise's hidden tests; the result lists every test."""
    return await _invoke(
        sidecar,
        "tutor",
        "grade",
        {
            **body.model_dump(exclude_none=True),
            "exercise_id": exercise_id,
            "user_id": str(user.user_id),
        },
        "your code was not graded",
    )
