"""The probe's grading forgery (issue 11, High), replayed on the real stack: a student submits
code through triage's `POST /exercises/{id}/submit`; the tutor grades it through the code-runner
Dapr app in the real sandbox and publishes `exercise.graded` on Kafka; debrief turns it into
progress in PostgreSQL. Before the fix a `return 0` solution with one trick was graded pass 5/5
and raised mastery; now every trick is a failing grade, and mastery does not move.

(The sandbox-level reproductions, one per trick, are in tests/security/test_grading_*.py.)
"""

from __future__ import annotations

import textwrap

import httpx
import pytest

from tests.integration.harness import Mesh
from tests.integration.test_walking_skeleton import login
from tests.waiting import eventually

pytestmark = pytest.mark.integration

MAYA = "maya@learnflow.dev"
EXERCISE = "oop.point"  # a topic no other integration test grades for Maya
TOPIC = "oop"

TRICKS = {
    "writes pass results to every descriptor it holds, then exits": """
        import json, os
        for fd in range(3, 256):
            try:
                os.write(fd, b'{"e": "test", "name": "test_x", "status": "pass"}\\n')
            except OSError:
                pass
        os._exit(0)
    """,
    "patches unittest's assertions": """
        import unittest
        for name in dir(unittest.TestCase):
            if name.startswith("assert"):
                setattr(unittest.TestCase, name, lambda *args, **kwargs: None)
    """,
    "returns objects equal to everything": """
        class Point:
            def __init__(self, *args, **kwargs):
                pass
            def __eq__(self, other):
                return True
            def __getattr__(self, name):
                return Point()
            def __call__(self, *args, **kwargs):
                return Point()
            def __float__(self):
                return 0.0
    """,
}


def _user_id(mesh: Mesh, email: str) -> str:
    return str(mesh.sql("SELECT id FROM users WHERE email = %s", email)[0][0])


def _exercise_score(mesh: Mesh, student: str) -> float:
    """The exercises part of the topic's mastery (0-100; 40% of mastery)."""
    rows = mesh.sql(
        "SELECT exercise_score FROM progress WHERE student_id = %s AND topic = %s", student, TOPIC
    )
    return float(rows[0][0]) if rows else 0.0


async def test_forged_submissions_are_graded_as_failures(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    headers = mesh.dapr_headers | await login(http, mesh, MAYA)
    student = _user_id(mesh, MAYA)
    assert _exercise_score(mesh, student) == 0.0
    submission_ids = []
    for trick, code in TRICKS.items():
        response = await http.post(
            mesh.invoke_url("triage", "triage", f"exercises/{EXERCISE}/submit"),
            json={"code": textwrap.dedent(code)},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        graded = response.json()
        assert graded["passed"] is False, (trick, graded)
        assert graded["status"] in ("fail", "error"), (trick, graded)
        assert graded["tests_passed"] < graded["tests_total"] or graded["tests_total"] == 0, trick
        submission_ids.append(graded["submission_id"])

    # the grades reached debrief through Kafka, as failures, and mastery did not rise
    async def recorded() -> list[tuple[object, ...]]:
        rows = mesh.sql(
            "SELECT passed FROM exercise_attempts WHERE student_id = %s AND exercise_id = %s",
            student,
            EXERCISE,
        )
        return rows if len(rows) >= len(TRICKS) else []

    attempts = await eventually(recorded, timeout_s=60, what="the forged grades in debrief")
    assert all(passed is False for (passed,) in attempts)
    assert _exercise_score(mesh, student) == 0.0
