"""Quizzes (reached from triage, which passes the verified learner's id):

POST /quizzes                        start one (5 questions of a module) → the first question
GET  /quizzes/{quiz_id}?user_id=     where it stands
POST /quizzes/{quiz_id}/answers      answer the current question (the first answer counts)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from ...exercises import default_catalog
from ...quiz import AnswerIn, AnswerOutcome, QuizService, QuizStart, QuizView

router = APIRouter(prefix="/quizzes", tags=["quizzes"])


def _quizzes(request: Request) -> QuizService:
    state = request.app.state
    catalog = getattr(state, "tutor_catalog", None) or default_catalog()
    return QuizService(state.sidecar, catalog, state.events)


QuizDep = Annotated[QuizService, Depends(_quizzes)]


@router.post("", response_model=QuizView)
async def start_quiz(body: QuizStart, quizzes: QuizDep) -> QuizView:
    return await quizzes.start(body)


@router.get("/{quiz_id}", response_model=QuizView)
async def read_quiz(
    quiz_id: str, quizzes: QuizDep, user_id: Annotated[str, Query(min_length=1, max_length=100)]
) -> QuizView:
    return await quizzes.read(quiz_id, user_id)


@router.post("/{quiz_id}/answers", response_model=AnswerOutcome)
async def answer_question(quiz_id: str, body: AnswerIn, quizzes: QuizDep) -> AnswerOutcome:
    return await quizzes.answer(quiz_id, body)
