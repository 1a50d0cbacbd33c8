"""`POST /exercises/recommend`: exercises matched to a learner's level (no tests, no solutions)."""

from __future__ import annotations

from fastapi import APIRouter

from ...models import RecommendReply, RecommendRequest
from ..deps import TutorDep

router = APIRouter(prefix="/exercises", tags=["exercises"])


@router.post("/recommend", response_model=RecommendReply)
async def recommend(body: RecommendRequest, tutor: TutorDep) -> RecommendReply:
    return await tutor.recommend(body)
