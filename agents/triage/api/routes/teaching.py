"""The teacher's loop and what students get from it, answered by debrief (through Dapr):

POST /classes/{class_id}/assignments      assign exercises to the class or chosen students
GET  /classes/{class_id}/assignments      the class's assignments and who has done them
GET  /students/{student_id}/submissions   a student's code attempts, newest first
GET  /assignments                         the calling student's assignments
GET  /notifications                       the caller's notifications and unread count
POST /notifications/{id}/read             mark one read
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from learnflow.api.deps import SidecarDep
from learnflow.auth.deps import CurrentUser
from triage_agent.api.deps import Staff, Student
from triage_agent.debrief_client import ask_debrief
from triage_agent.models import ID_PATTERN

router = APIRouter(tags=["teaching"])


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise_ids: list[str] = Field(min_length=1, max_length=20)
    student_ids: list[UUID] | None = Field(
        default=None, max_length=200, description="Omit to assign to the whole class."
    )
    due_at: AwareDatetime | None = Field(default=None, description="Optional due date.")
    request_id: str | None = Field(
        default=None, pattern=ID_PATTERN, description="Idempotency key (a retry assigns once)."
    )


@router.post("/classes/{class_id}/assignments")
async def assign(class_id: UUID, body: AssignRequest, user: Staff, sidecar: SidecarDep) -> Any:
    return await ask_debrief(
        sidecar,
        user,
        f"classes/{class_id}/assignments",
        http_method="POST",
        json_body=body.model_dump(mode="json", exclude_none=True),
    )


@router.get("/classes/{class_id}/assignments")
async def class_assignments(class_id: UUID, user: Staff, sidecar: SidecarDep) -> Any:
    return await ask_debrief(sidecar, user, f"classes/{class_id}/assignments")


@router.get("/students/{student_id}/submissions")
async def student_submissions(
    student_id: UUID,
    user: Staff,
    sidecar: SidecarDep,
    limit: int = Query(default=20, ge=1, le=50),
) -> Any:
    return await ask_debrief(sidecar, user, f"students/{student_id}/submissions?limit={limit}")


@router.get("/students/{student_id}/trend")
async def student_trend(student_id: UUID, user: CurrentUser, sidecar: SidecarDep) -> Any:
    """Mastery per topic after each change (the student themself or their teacher)."""
    return await ask_debrief(sidecar, user, f"students/{student_id}/trend")


@router.get("/assignments")
async def my_assignments(user: Student, sidecar: SidecarDep) -> Any:
    return await ask_debrief(sidecar, user, f"students/{user.user_id}/assignments")


@router.get("/notifications")
async def my_notifications(user: CurrentUser, sidecar: SidecarDep) -> Any:
    return await ask_debrief(sidecar, user, f"users/{user.user_id}/notifications")


@router.post("/notifications/{notification_id}/read")
async def read_notification(notification_id: UUID, user: CurrentUser, sidecar: SidecarDep) -> Any:
    return await ask_debrief(
        sidecar,
        user,
        f"users/{user.user_id}/notifications/{notification_id}/read",
        http_method="POST",
    )
