"""Quizzes for students (the quiz card of the web app), through the tutor:

POST /quizzes                          {topic?, quiz_id?, session_id?} → the first question
GET  /quizzes/{quiz_id}                where it stands
POST /quizzes/{quiz_id}/answers        {question_id, choice} → right or not, explanation,
                                       the next question or the score
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from learnflow.api.deps import SidecarDep
from triage_agent import quizzes
from triage_agent.api.deps import Student
from triage_agent.models import ID_PATTERN

router = APIRouter(prefix="/quizzes", tags=["quizzes"])
QuizId = Annotated[str, Path(pattern=ID_PATTERN)]


class QuizRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(
        min_length=1, max_length=200, description='A module, lesson or words ("for loops").'
    )
    quiz_id: str | None = Field(
        default=None, pattern=ID_PATTERN, description="Client-chosen: a retry starts nothing new."
    )
    session_id: str | None = Field(default=None, pattern=ID_PATTERN)


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question_id: str = Field(min_length=1, max_length=200)
    choice: int = Field(ge=0, le=9, description="0-based index of the chosen answer.")


@router.post("")
async def start_quiz(body: QuizRequest, user: Student, sidecar: SidecarDep) -> Any:
    return await quizzes.start(
        sidecar,
        user_id=str(user.user_id),
        topic=body.topic,
        session_id=body.session_id,
        quiz_id=body.quiz_id,
    )


@router.get("/{quiz_id}")
async def read_quiz(quiz_id: QuizId, user: Student, sidecar: SidecarDep) -> Any:
    return await quizzes.read(sidecar, user_id=str(user.user_id), quiz_id=quiz_id)


@router.post("/{quiz_id}/answers")
async def answer_question(
    quiz_id: QuizId, body: AnswerRequest, user: Student, sidecar: SidecarDep
) -> Any:
    return await quizzes.answer(
        sidecar,
        user_id=str(user.user_id),
        quiz_id=quiz_id,
        question_id=body.question_id,
        choice=body.choice,
    )
