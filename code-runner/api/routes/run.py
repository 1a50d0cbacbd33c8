"""POST /run: run a program in the sandbox (Dapr service invocation)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from code_runner.api.deps import EventsDep, RunnerDep
from code_runner.api.events import error_type, queue_executed
from code_runner.models import RunRequest, RunResponse
from learnflow.errors import InvalidInput

router = APIRouter(tags=["code"])


@router.post("/run", response_model=RunResponse)
async def run(body: RunRequest, runner: RunnerDep, events: EventsDep) -> dict[str, Any]:
    problem = runner.check_python(body.code, body.stdin, body.timeout_s)
    if problem is not None:
        raise InvalidInput(f"not run: {problem}")
    result = await runner.arun_python(body.code, body.stdin, body.timeout_s)
    submission_id = body.submission_id or str(uuid.uuid4())
    await queue_executed(
        events,
        body,
        submission_id,
        status=result["status"],
        exit_code=result["exit_code"],
        duration_ms=result["duration_ms"],
        error=error_type(result["stderr"]) if result["status"] == "error" else None,
    )
    return {**result, "submission_id": submission_id}
