"""The intents and who answers them (`learnflow.intents.routing`)."""

from __future__ import annotations

from learnflow.intents import AGENT_FOR_INTENT, PRIORITY, Intent, agent_for

C = Intent.CONCEPT_QUESTION
E = Intent.EXERCISE_REQUEST
H = Intent.CODE_HELP
S = Intent.SUBMISSION
P = Intent.PROGRESS_QUESTION
OT = Intent.OFF_TOPIC
U = Intent.UNSAFE


def test_every_intent_has_a_specialist() -> None:
    assert dict(AGENT_FOR_INTENT) == {
        C: "concepts",
        E: "tutor",
        H: "tutor",
        S: "tutor",
        P: "debrief",
        OT: "triage",
        U: "triage",
    }
    assert all(agent_for(intent) == AGENT_FOR_INTENT[intent] for intent in Intent)
    assert set(PRIORITY) == set(Intent) and PRIORITY[0] is U and PRIORITY[-1] is OT
