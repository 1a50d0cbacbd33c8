"""The spoken debrief, `GET /exams/{id}/debrief/speech`, through triage's public routes (real
PostgreSQL, the real espeak-ng): only the student who sat the exam, or its teacher, hears it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from learnflow.db.models import Role
from learnflow.db.repos.users import create_user
from learnflow.speech import Speaker, is_wav
from learnflow.workflows import session as wf_session
from learnflow.workflows.activities import ACTIVITIES
from tests.agents.triage.harness import Mesh, People, RecordedWorkflows, activities_use, bearer
from tests.agents.triage.test_exams_api import _demo_class, _exam


async def test_the_debrief_is_spoken_to_its_student_and_teacher_only(
    mesh: Mesh,
    workflows: RecordedWorkflows,
    people: People,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    speaker = Speaker(engine="espeak-ng", cache_dir=tmp_path / "speech")
    mesh.triage.state.speaker = speaker
    teacher, maya, james = people.teacher, people.maya, people.james
    class_id = await _demo_class(mesh, teacher)
    exam = (await mesh.client.post("/exams", json=_exam(class_id), headers=teacher)).json()
    url = f"/exams/{exam['id']}"
    attempt = (await mesh.client.post(f"{url}/start", headers=maya)).json()["attempt"]

    running = await mesh.client.get(f"{url}/debrief/speech", headers=maya)
    assert (running.status_code, running.json()["reason"]) == (409, "not_submitted")

    activities_use(monkeypatch, mesh.triage.state.settings)
    await ACTIVITIES[wf_session.STORE_EXAM_RESULT](
        {
            "session_id": attempt["attempt_id"],
            "exam_id": exam["id"],
            "reason": "deadline",
            "quiz": {"basics.q1": True},
            "choices": {"basics.q1": 1},
            "graded": [],
            "student_id": workflows.started[attempt["workflow_id"]]["student_id"],
        }
    )
    results = (await mesh.client.get(f"{url}/results", headers=teacher)).json()
    maya_id = results["students"][0]["student_id"]

    one = await mesh.client.get(f"{url}/debrief/speech", params={"item": "basics.q1"}, headers=maya)
    assert one.status_code == 200, one.text
    assert one.headers["content-type"] == "audio/wav" and is_wav(one.content)
    assert speaker.runs == 1
    again = await mesh.client.get(
        f"{url}/debrief/speech", params={"item": "basics.q1"}, headers=maya
    )
    assert again.content == one.content and speaker.runs == 1  # from the cache
    assert one.headers["accept-ranges"] == "bytes"
    assert one.headers["content-length"] == str(len(one.content))

    # byte ranges, as a media element asks for them (`bytes=0-` first, then a later part)
    size = len(one.content)
    item1 = {"item": "basics.q1"}
    from_start = await mesh.client.get(
        f"{url}/debrief/speech", params=item1, headers={**maya, "range": "bytes=0-"}
    )
    assert from_start.status_code == 206, from_start.text
    assert from_start.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    assert from_start.headers["accept-ranges"] == "bytes"
    assert from_start.content == one.content
    middle = await mesh.client.get(
        f"{url}/debrief/speech", params=item1, headers={**maya, "range": "bytes=100-199"}
    )
    assert (middle.status_code, middle.content) == (206, one.content[100:200])
    assert middle.headers["content-range"] == f"bytes 100-199/{size}"
    assert middle.headers["content-length"] == "100"
    past_end = await mesh.client.get(
        f"{url}/debrief/speech", params=item1, headers={**maya, "range": f"bytes={size}-"}
    )
    assert past_end.status_code == 416
    assert past_end.headers["content-range"] == f"bytes */{size}"
    assert speaker.runs == 1  # every part from the one cached file

    whole = await mesh.client.get(f"{url}/debrief/speech", headers=maya)
    assert whole.status_code == 200 and len(whole.content) > len(one.content)
    by_teacher = await mesh.client.get(
        f"{url}/debrief/speech",
        params={"item": "basics.q1", "student_id": maya_id},
        headers=teacher,
    )
    assert by_teacher.status_code == 200 and by_teacher.content == one.content
    assert speaker.runs == 2

    async with mesh.triage.state.pool.connection() as conn:
        other = await create_user(
            conn,
            email="other.teacher@learnflow.dev",
            display_name="Ms. Other",
            role=Role.TEACHER,
            password_hash="x",
        )
    # nobody else: a classmate (for Maya's, or their own unsat one), another teacher
    classmate = await mesh.client.get(
        f"{url}/debrief/speech", params={"student_id": maya_id}, headers=james
    )
    unsat = await mesh.client.get(f"{url}/debrief/speech", headers=james)
    other_teacher = await mesh.client.get(
        f"{url}/debrief/speech",
        params={"student_id": maya_id},
        headers=bearer(other.id, Role.TEACHER),
    )
    assert (classmate.status_code, unsat.status_code, other_teacher.status_code) == (
        403,
        409,
        403,
    )
    # bad input: a clear 4xx, and espeak-ng never ran for any of it
    no_student = await mesh.client.get(f"{url}/debrief/speech", headers=teacher)
    not_sat = await mesh.client.get(
        f"{url}/debrief/speech", params={"student_id": str(uuid.uuid4())}, headers=teacher
    )
    unknown_item = await mesh.client.get(
        f"{url}/debrief/speech", params={"item": "basics.q99"}, headers=maya
    )
    bad_voice = await mesh.client.get(
        f"{url}/debrief/speech", params={"voice": "--help"}, headers=maya
    )
    bad_speed = await mesh.client.get(f"{url}/debrief/speech", params={"speed": 9}, headers=maya)
    assert [r.status_code for r in (no_student, not_sat, unknown_item, bad_voice, bad_speed)] == [
        422,
        404,
        404,
        422,
        422,
    ]
    assert "student_id" in no_student.json()["message"]
    assert "voice must be one of" in bad_voice.json()["message"]
    assert speaker.runs == 2

    # the engine failing is a 503 that says so
    speaker.engine = "false"
    failed = await mesh.client.get(
        f"{url}/debrief/speech", params={"item": "basics.q2"}, headers=maya
    )
    assert failed.status_code == 503 and "espeak-ng" in failed.json()["message"]
