"""The activity models type the JSON on the wire without changing it.

Every activity input and output in the recorded histories (tests/data/workflow_histories/) is
what daprd stored when the code of that time ran; it must validate into today's models and dump
back to the very same JSON text, and today's orchestrators must schedule the very same inputs
when they replay each recorded turn. A model that renames, reorders, drops or adds a key fails
here, before it meets a running instance.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dapr.ext.workflow._durabletask.worker import _OrchestrationExecutor

from learnflow.workflows import session as wf_session
from learnflow.workflows.activities import ACTIVITIES, SPECS, NonRetryableError
from learnflow.workflows.ops import history_events
from tests.learnflow.workflows.engine import production_registry
from tests.learnflow.workflows.test_replay import HISTORIES, log

# what daprd sends the worker in a turn; the rest of a turn's events echo the worker's actions
INBOUND = {
    "workflowStarted",
    "executionStarted",
    "taskCompleted",
    "taskFailed",
    "timerFired",
    "eventRaised",
}


def _recorded(kind: str) -> list[tuple[str, str, str]]:
    """(history, activity, JSON text) of every recorded activity input or output."""
    found = []
    for path in HISTORIES:
        names: dict[int, str] = {}
        for event in json.loads(path.read_text())["history"]:
            if "taskScheduled" in event:
                names[event["eventId"]] = event["taskScheduled"]["name"]
                if kind == "input":
                    found.append(
                        (path.stem, event["taskScheduled"]["name"], event["taskScheduled"]["input"])
                    )
            elif "taskCompleted" in event and kind == "output":
                done = event["taskCompleted"]
                found.append((path.stem, names[done["taskScheduledId"]], done["result"]))
    return found


def _id(case: tuple[str, str, str]) -> str:
    return f"{case[0]}-{case[1]}"


# Output fields added after a history was recorded, with the value the older code meant by
# leaving them out (like test_replay's ADDED_VIEW_FIELDS). Anything else is a change of wire.
ADDED_OUTPUT_FIELDS: dict[str, dict[str, Any]] = {"validate_exercise": {"repeatable": None}}


def test_every_activity_has_a_spec() -> None:
    assert set(SPECS) == set(ACTIVITIES)
    assert all(name == str(spec) for name, spec in SPECS.items())


@pytest.mark.parametrize("case", _recorded("input"), ids=_id)
def test_a_recorded_input_round_trips(case: tuple[str, str, str]) -> None:
    _, name, text = case
    raw = json.loads(text)

    model = SPECS[name].input.model_validate(raw)

    again = {**model.model_dump(mode="json"), "timeout_s": raw["timeout_s"]}
    assert json.dumps(again) == text


@pytest.mark.parametrize("case", _recorded("output"), ids=_id)
def test_a_recorded_output_round_trips(case: tuple[str, str, str]) -> None:
    _, name, text = case

    raw = json.loads(text)

    model = SPECS[name].output.model_validate(raw)

    added = {k: v for k, v in ADDED_OUTPUT_FIELDS.get(name, {}).items() if k not in raw}
    assert json.dumps(model.model_dump(mode="json")) == json.dumps({**raw, **added})
    assert json.dumps(raw) == text  # so the comparison above is one of JSON texts


def _turns(events: list[Any]) -> list[int]:
    return [i for i, e in enumerate(events) if e.HasField("workflowStarted")]


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: Path(p).stem)
def test_each_recorded_turn_schedules_the_same_activity_inputs(path: Path) -> None:
    recorded = json.loads(path.read_text())
    events = history_events(recorded["history"])
    scheduled = {e.eventId: e.taskScheduled for e in events if e.HasField("taskScheduled")}
    starts = _turns(events)
    checked = 0
    for start, end in zip(starts, [*starts[1:], len(events)], strict=True):
        turn = [e for e in events[start:end] if e.WhichOneof("eventType") in INBOUND]
        executor = _OrchestrationExecutor(production_registry(), log)
        result = executor.execute(recorded["instance_id"], events[:start], turn)
        for action in result.actions:
            if action.HasField("scheduleTask"):
                task = action.scheduleTask
                assert (task.name, task.input.value) == (
                    scheduled[action.id].name,
                    scheduled[action.id].input.value,
                )
                checked += 1
    assert checked == len(scheduled)


async def test_an_activity_rejects_a_malformed_input_without_retries() -> None:
    grade = ACTIVITIES[wf_session.GRADE]

    with pytest.raises(NonRetryableError) as failed:
        await grade({"session_id": "s-1", "submissions": [{"exercise_id": 7}], "timeout_s": 5})

    message = str(failed.value)
    assert message.startswith(
        "InvalidActivityInput: grade_session_work got an input that does not fit GradeInput"
    )
    assert "student_id\n  Field required" in message
    assert "submissions.0.exercise_id\n  Input should be a valid string" in message
    assert "submissions.0.submission_id\n  Field required" in message


def test_an_exam_result_leaves_out_what_does_not_apply() -> None:
    """No recorded history has an exam result yet: its two shapes are pinned here."""
    stored = wf_session.STORE_EXAM_RESULT.output(stored=True, score=2)
    missing = wf_session.STORE_EXAM_RESULT.output(stored=False, reason="no such attempt")

    assert stored.model_dump(mode="json") == {"stored": True, "score": 2}
    assert missing.model_dump(mode="json") == {"stored": False, "reason": "no such attempt"}
