"""The code run the dead-letter tests send, unit (tests/agents/debrief/test_dead_letters.py) and
integration (the watcher and `learnflow dlq` on the real stack): a failed run that debrief
dead-letters, with the reason, while its user does not exist."""

from __future__ import annotations

import uuid

from learnflow.events import CodeExecuted


def failed_run(user_id: str, *, code: str = "print(undefined)") -> CodeExecuted:
    """A `code.executed` event for a run of `code` that failed with a NameError."""
    return CodeExecuted(
        user_id=user_id,
        source="code-runner",
        submission_id=str(uuid.uuid4()),
        status="error",
        exit_code=1,
        duration_ms=3.0,
        error_type="NameError",
        code=code,
    )
