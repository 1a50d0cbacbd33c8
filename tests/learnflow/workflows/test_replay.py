"""Recorded histories, replayed against the current code: a change that would break running
instances fails here, not in production.

The histories in tests/data/workflow_histories/ were recorded from the real stack by the
integration tests (`LEARNFLOW_RECORD_WORKFLOW_HISTORIES=1 pytest tests/integration/
test_workflows.py`): a practice session (its last generation, after continue-as-new), an exam
finalized by its deadline, a session whose summary step failed after its retries, a published
exercise and a compensated one. Replaying one feeds everything but the last turn as history and
the last turn as new events, as daprd does: the SDK checks every activity and timer the code
schedules against what the history says it scheduled (`NonDeterminismError` otherwise), and the
test checks the outcome — status, output and custom status — is the one recorded.

Record again (and review the diff) when a workflow changes on purpose; instances already running
with the old code then need a versioned workflow (`is_patched`), not a silent change.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from dapr.ext.workflow._durabletask.internal import protos as pb
from dapr.ext.workflow._durabletask.worker import _OrchestrationExecutor

from learnflow.settings import REPO_ROOT
from learnflow.workflows import session as wf_session
from learnflow.workflows.ops import history_events
from tests.learnflow.workflows.engine import production_registry

HISTORIES = sorted((REPO_ROOT / "tests" / "data" / "workflow_histories").glob("*.json"))
log = logging.getLogger("tests.replay")
STATUS = {
    "COMPLETED": pb.ORCHESTRATION_STATUS_COMPLETED,
    "FAILED": pb.ORCHESTRATION_STATUS_FAILED,
}


def replay(recorded: dict[str, Any], registry: Any = None) -> Any:
    events = [
        e for e in history_events(recorded["history"]) if not e.HasField("executionCompleted")
    ]
    last_turn = max(i for i, e in enumerate(events) if e.HasField("workflowStarted"))
    executor = _OrchestrationExecutor(registry or production_registry(), log)
    return executor.execute(recorded["instance_id"], events[:last_turn], events[last_turn:])


# View fields added after a history was recorded, with the value an instance of that time shows
# (it never set them). Anything else new or changed in a replayed output is a regression.
ADDED_VIEW_FIELDS: dict[str, Any] = {"exam_id": None, "choices": {}, "saved": {}, "graded": []}


def same_view(replayed: dict[str, Any], recorded: dict[str, Any]) -> None:
    added = {k: v for k, v in replayed.items() if k not in recorded}
    assert set(added) <= {*ADDED_VIEW_FIELDS, "answered"}, added
    for key, value in added.items():
        if key == "answered":  # derived from the tally: the quizzes and exercises answered
            tally = recorded["tally"]
            assert value == sorted(tally.get("exercises_attempted", [])) or tally["quiz_answers"]
        else:
            assert value == ADDED_VIEW_FIELDS[key]
    assert {k: v for k, v in replayed.items() if k in recorded} == recorded


def completion(result: Any) -> Any:
    done = [a.completeWorkflow for a in result.actions if a.HasField("completeWorkflow")]
    return done[0] if done else None


def test_there_are_recorded_histories_of_both_workflows() -> None:
    names = {json.loads(p.read_text())["workflow"] for p in HISTORIES}
    assert names == {"session", "publish_exercise"}


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: Path(p).stem)
def test_a_recorded_history_replays_to_the_same_outcome(path: Path) -> None:
    recorded = json.loads(path.read_text())

    result = replay(recorded)

    done = completion(result)
    assert done is not None, "the recorded instance finished; the replay must finish it too"
    assert done.failureDetails.errorType != "NonDeterminismError", done.failureDetails
    assert done.workflowStatus == STATUS[recorded["runtime_status"]]
    if recorded["runtime_status"] == "COMPLETED":
        same_view(json.loads(done.result.value), recorded["output"])
    else:
        assert done.failureDetails.errorType == "WorkflowStepError"
        assert recorded["failure"].startswith("WorkflowStepError")
    same_view(json.loads(result.encoded_custom_status), recorded["custom_status"])


def test_a_change_in_what_the_orchestrator_schedules_is_caught() -> None:
    """The check has teeth: an orchestrator that now does one more step first cannot replay."""
    recorded = json.loads(next(p for p in HISTORIES if "exam" in p.stem).read_text())
    registry = production_registry()
    current = registry.orchestrators[wf_session.WORKFLOW]

    def changed(ctx: Any, payload: Any) -> Any:
        yield ctx.call_activity("a_new_first_step", input={"x": 1})
        return (yield from current(ctx, payload))

    registry.orchestrators[wf_session.WORKFLOW] = changed

    done = completion(replay(recorded, registry))

    assert done is not None and done.failureDetails.errorType == "NonDeterminismError"
