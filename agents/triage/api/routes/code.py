"""The editor's two buttons: `POST /code/run` runs the learner's code in the sandbox (via
code-runner); `POST /exercises/{id}/submit` grades it against the exercise's hidden tests (via
the tutor, which publishes the grade).

The learner is the caller of record: their id travels in the run request and the
`code.executed` event, so progress and struggle tracking see it. A `session_id` must be one of
the caller's own session ids (or a new one). Both routes are rate-limited per learner, and at most
two of a learner's runs and submissions are in the sandbox at once (`triage_agent.limits`). When
the app that does the work is unavailable (down or restarting) the answer is a 503 with
Retry-After that says so plainly (`triage_agent.calls`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from learnflow.api.deps import OptionalPoolDep, SidecarDep
from triage_agent import assigned
from triage_agent.calls import call_app
from triage_agent.limits import CodeSlot, RunUser, SubmitUser
from triage_agent.ownership import require_own_session

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


@router.post("/code/run", responses={429: {"description": "Too many"}})
async def run_code(
    body: RunCode, user: RunUser, sidecar: SidecarDep, request: Request, _: CodeSlot
) -> Any:
    if body.session_id is not None:
        await require_own_session(request, sidecar, body.session_id, user)
    return await call_app(
        sidecar,
        "code-runner",
        "run",
        json_body={**body.model_dump(exclude_none=True), "user_id": str(user.user_id)},
        doing="your code was not run",
    )


@router.post("/exercises/{exercise_id}/submit", responses={429: {"description": "Too many"}})
async def submit_code(
    exercise_id: str,
    body: SubmitCode,
    user: SubmitUser,
    sidecar: SidecarDep,
    pool: OptionalPoolDep,
    request: Request,
    _: CodeSlot,
) -> Any:
    """Grade the code against the exercise's hidden tests; the result lists every test. A
    teacher's exercise is graded only for the students it was assigned to."""
    if body.session_id is not None:
        await require_own_session(request, sidecar, body.session_id, user)
    payload: dict[str, Any] = {
        **body.model_dump(exclude_none=True),
        "exercise_id": exercise_id,
        "user_id": str(user.user_id),
    }
    if pool is not None and assigned.is_custom(exercise_id):
        custom = await assigned.custom_exercise_for(pool, user, exercise_id)
        if custom is not None:
            payload["exercise"] = assigned.grading_payload(custom)
    return await call_app(
        sidecar, "tutor", "grade", json_body=payload, doing="your code was not graded"
    )
