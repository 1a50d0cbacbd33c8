"""POST /tests: grade code against tests in the sandbox (Dapr service invocation)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import APIRouter

from code_runner.api.deps import EventsDep, RunnerDep
from code_runner.api.events import queue_executed, tests_error_type
from code_runner.models import TestsRequest, TestsResponse
from learnflow.errors import InvalidInput

router = APIRouter(tags=["code"])


@router.post("/tests", response_model=TestsResponse)
async def run_tests(body: TestsRequest, runner: RunnerDep, events: EventsDep) -> dict[str, Any]:
    limits = {"test_timeout_s": body.test_timeout_s, "run_timeout_s": body.run_timeout_s}
    problem = runner.check_tests(body.code, body.tests, body.module_name, **limits)
    if problem is not None:
        raise InvalidInput(f"not run: {problem}")
    started = time.monotonic()
    result = await runner.arun_tests(body.code, body.tests, body.module_name, **limits)
    submission_id = body.submission_id or str(uuid.uuid4())
    await queue_executed(
        events,
        body,
        submission_id,
        status=result["status"],
        exit_code=None,
        duration_ms=(time.monotonic() - started) * 1000,
        error=tests_error_type(result),
    )
    return {**result, "submission_id": submission_id}
