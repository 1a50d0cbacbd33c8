"""The debrief agent behind `/respond`, `/summaries/session` and the reports: the real offline
model for the default path, scripted model outputs for the LLM path."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from debrief_agent.agent import build_debrief_agent
from debrief_agent.offline_policy import OFFLINE_DEBRIEF, OFFLINE_MARKER
from learnflow.contracts import SessionTally
from learnflow.events import CodeExecuted, ExerciseGraded
from learnflow.llm.offline import Answer, CallTool, OfflineModel, Transcript
from learnflow.testing import SCRIPTED_MODEL, on_a_model
from tests.agents.debrief.harness import Debrief

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


def question(user_id: object, message: str = "How am I doing?") -> dict[str, object]:
    return {
        "message": message,
        "session_id": "s-1",
        "message_id": str(uuid.uuid4()),
        "intent": "progress_question",
        "user_id": None if user_id is None else str(user_id),
    }


async def _some_progress(debrief: Debrief) -> None:
    maya = debrief.school.maya
    for exercise_id, passed in (("control-flow.fizzbuzz", True), ("control-flow.largest", False)):
        await debrief.deliver(
            ExerciseGraded(
                user_id=str(maya.id),
                occurred_at=T0,
                submission_id=str(uuid.uuid4()),
                exercise_id=exercise_id,
                topic_id="control-flow",
                passed=passed,
                tests_passed=3 if passed else 0,
                tests_total=3,
            )
        )


async def test_how_am_i_doing_is_answered_from_stored_progress(debrief: Debrief) -> None:
    await _some_progress(debrief)
    row = await debrief.sql(
        "select mastery from progress where student_id = %s", debrief.school.maya.id
    )
    mastery = row[0][0]

    response = await debrief.client.post("/respond", json=question(debrief.school.maya.id))

    assert response.status_code == 200, response.text
    reply = response.json()["reply"]
    assert reply.startswith(OFFLINE_MARKER)
    assert response.json()["model"] == "offline"
    assert f"- Module 2: Control Flow — {mastery}% (Beginner)" in reply
    assert "Next: “" in reply
    assert "solution" not in reply.lower()


async def test_a_question_about_one_topic_gets_that_topics_detail(debrief: Debrief) -> None:
    await _some_progress(debrief)
    reply = (
        await debrief.client.post(
            "/respond", json=question(debrief.school.maya.id, "how am i doing with loops?")
        )
    ).json()["reply"]
    assert "**Module 2: Control Flow — " in reply
    assert "exercises 20/100" in reply
    assert "reach Learning" in reply


async def test_no_progress_yet_and_unknown_callers(debrief: Debrief) -> None:
    fresh = (await debrief.client.post("/respond", json=question(debrief.school.james.id))).json()
    nobody = (await debrief.client.post("/respond", json=question(None))).json()
    stranger = (await debrief.client.post("/respond", json=question(uuid.uuid4()))).json()
    assert "no graded work stored yet" in fresh["reply"]
    assert "Module 1: Basics" in fresh["reply"]  # where to start
    assert "log in" in nobody["reply"] and "log in" in stranger["reply"]
    assert fresh["model"] == "offline"
    assert nobody["model"] is None and stranger["model"] is None  # a fixed message, no model's


async def test_a_teacher_asking_gets_a_report_on_their_class(debrief: Debrief) -> None:
    reply = (await debrief.client.post("/respond", json=question(debrief.school.teacher.id))).json()
    assert reply["reply"].startswith(OFFLINE_DEBRIEF)
    assert "Python 101: 2 students" in reply["reply"]
    assert reply["model"] == "offline"


class ScriptedModel:
    """What an LLM would do, scripted: read the progress tool, then answer with its numbers."""

    def __init__(self) -> None:
        self.calls = 0

    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        self.calls += 1
        tool = "session_facts" if transcript.user_message.startswith("[") else "student_progress"
        found = transcript.result(tool)
        if found is None:
            return CallTool(tool)
        data = found.json()
        if tool == "session_facts":
            return Answer(f"LLM: you practised {', '.join(data['practised'])}.")
        started = [t["label"] for t in data["progress"]["topics"] if t["started"]]
        return Answer(f"LLM: {'; '.join(started)}")


async def test_with_a_model_the_agent_answers_from_the_same_tools(debrief: Debrief) -> None:
    await _some_progress(debrief)
    scripted = ScriptedModel()
    debrief.app.state.agent = build_debrief_agent(model=OfflineModel(scripted))
    debrief.app.state.settings = on_a_model(debrief.app.state.settings)

    reply = (await debrief.client.post("/respond", json=question(debrief.school.maya.id))).json()

    assert reply["reply"].startswith("LLM: Module 2: Control Flow — ")
    assert reply["model"] == SCRIPTED_MODEL
    assert scripted.calls == 2


def summary_request(user_id: object, session_id: str = "sess-1") -> dict[str, object]:
    tally = SessionTally(
        attempts=3,
        runs=5,
        failed_runs=3,
        errors_by_type={"TypeError": 3},
        exercises_attempted=["data-structures.squares", "data-structures.evens-only"],
        exercises_passed=["data-structures.evens-only"],
        quiz_answers=5,
        quiz_correct=4,
        time_on_task_s=1500,
    )
    return {
        "session_id": session_id,
        "user_id": None if user_id is None else str(user_id),
        "topic": "data-structures",
        "tally": tally.model_dump(),
    }


async def test_a_session_debrief_is_written_and_stored_once(debrief: Debrief) -> None:
    james = debrief.school.james
    first = await debrief.client.post("/summaries/session", json=summary_request(james.id))

    assert first.status_code == 200, first.text
    body = first.json()
    assert body["summary"].startswith(OFFLINE_DEBRIEF)
    assert "James, you worked on Module 3: Data Structures for about 25 min." in body["summary"]
    assert "You passed 1 of 2 exercises" in body["summary"]
    assert body["practised"] == [
        "Exercise “Square every number (list comprehension)” (not passed yet)",
        "Exercise “Keep only the even numbers (list comprehension)” (passed)",
        "Quiz questions: 4/5 right",
    ]
    assert body["mistakes"][0].startswith("TypeError ×3: an operation got a value of the wrong")
    assert body["next_steps"][0].startswith("Finish “")
    stored = await debrief.sql(
        "select session_id, summary, details from debriefs where student_id = %s", james.id
    )
    assert len(stored) == 1 and stored[0][1] == body["summary"]
    assert stored[0][2]["next_steps"] == body["next_steps"]

    scripted = ScriptedModel()
    debrief.app.state.agent = build_debrief_agent(model=OfflineModel(scripted))
    again = await debrief.client.post("/summaries/session", json=summary_request(james.id))
    assert again.json() == body
    assert scripted.calls == 0  # answered from the stored debrief, no model run


async def test_a_session_without_a_user_is_summarised_but_not_stored(debrief: Debrief) -> None:
    scripted = ScriptedModel()
    debrief.app.state.agent = build_debrief_agent(model=OfflineModel(scripted))
    response = await debrief.client.post("/summaries/session", json=summary_request(None, "anon"))
    assert response.status_code == 200
    assert response.json()["summary"].startswith("LLM: you practised Exercise")
    assert await debrief.sql("select count(*) from debriefs") == [(0,)]
    unknown = await debrief.client.post("/summaries/session", json=summary_request(uuid.uuid4()))
    assert unknown.status_code == 404


async def test_teacher_reports_on_a_student_and_a_class(debrief: Debrief) -> None:
    school = debrief.school
    for minute in range(3):
        await debrief.deliver(
            CodeExecuted(
                user_id=str(school.james.id),
                occurred_at=T0 + timedelta(minutes=minute),
                submission_id=str(uuid.uuid4()),
                exercise_id="data-structures.squares",
                status="error",
                duration_ms=5,
                error_type="TypeError",
                code="[x * x for x in xs",
            )
        )

    student = await debrief.client.get(
        f"/students/{school.james.id}/report", headers=debrief.as_user(school.teacher)
    )
    forbidden = await debrief.client.get(
        f"/students/{school.james.id}/report", headers=debrief.as_user(school.james)
    )
    klass = await debrief.client.get(
        f"/classes/{school.school_class.id}/report", headers=debrief.as_user(school.teacher)
    )

    assert student.status_code == 200, student.text
    report = student.json()
    assert (report["runs"], report["failed_runs"], report["error_types"]) == (
        3,
        3,
        {"TypeError": 3},
    )
    assert [a["trigger"] for a in report["open_alerts"]] == ["repeated_error"]
    assert "most common error: TypeError (3×)" in report["summary"]
    assert forbidden.status_code == 403
    assert klass.status_code == 200, klass.text
    attention = klass.json()["needs_attention"]
    assert [(a["display_name"], a["reasons"][0]) for a in attention] == [
        ("James", "open alert: the same error again and again")
    ]
    assert "Needs attention:\n- James" in klass.json()["summary"]
