"""`POST /grade`: grade code against an exercise's hidden tests, review it, publish the grade."""

from __future__ import annotations

from fastapi import APIRouter

from ...models import GradeReply, GradeRequest
from ..deps import TutorDep

router = APIRouter(tags=["grading"])


@router.post("/grade", response_model=GradeReply)
async def grade(body: GradeRequest, tutor: TutorDep) -> GradeReply:
    return await tutor.grade(body)
