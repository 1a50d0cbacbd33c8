"""`code.executed`: one event after every run, queued in the app's outbox before the reply.

The relay publishes it when Kafka is reachable, so a run never waits on the broker. A run whose
event cannot be queued (the database is away) is answered 503, like every request then: the
learner runs it again in a moment, and nothing they were shown goes unrecorded.
"""

from __future__ import annotations

import re
from typing import Any

from code_runner.models import _Tracked
from learnflow.events import CodeExecuted
from learnflow.outbox import EventSink

APP_ID = "code-runner"

_ERROR_LINE = re.compile(r"^([A-Z][A-Za-z0-9_]*(?:Error|Exception|Exit|Interrupt|Warning))\b")


def error_type(text: str | None) -> str | None:
    """The exception class named by a traceback's last line or a test message, if any."""
    if not text:
        return None
    for line in reversed(text.strip().splitlines()):
        match = _ERROR_LINE.match(line.strip())
        if match:
            return match.group(1)
    return None


def tests_error_type(result: dict[str, Any]) -> str | None:
    for test in result.get("tests", []):
        if test.get("status") == "error":
            found = error_type(test.get("message"))
            if found:
                return found
    if result.get("status") == "error":
        return error_type(result.get("message"))
    return None


CODE_KEPT_CHARS = 65536  # learnflow.events.CodeExecuted.code's limit


async def queue_executed(
    events: EventSink,
    request: _Tracked,
    submission_id: str,
    *,
    status: str,
    exit_code: int | None,
    duration_ms: float,
    error: str | None,
) -> None:
    event = CodeExecuted(
        source=APP_ID,
        session_id=request.session_id,
        user_id=request.user_id,
        submission_id=submission_id,
        exercise_id=request.exercise_id,
        status=status,
        exit_code=exit_code,
        duration_ms=max(0.0, duration_ms),
        error_type=error,
        # the learner's code, for their teacher's "code attempts" (debrief stores it)
        code=str(getattr(request, "code", ""))[:CODE_KEPT_CHARS] or None,
    )
    await events.queue(event)
