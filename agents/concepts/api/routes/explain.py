"""`POST /explain`: one question in, the answer and its lesson ids out (internal route)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from concepts_agent.agent import MAX_QUESTION_CHARS, explain
from concepts_agent.api.deps import ConceptsAgentDep

router = APIRouter(tags=["agent"])


class ExplainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank; ask about a Python concept")
        return value


class ExplainPublic(BaseModel):
    answer: str
    sources: list[str]


@router.post("/explain", response_model=ExplainPublic)
async def explain_concept(body: ExplainRequest, agent: ConceptsAgentDep) -> ExplainPublic:
    answer = await explain(agent, body.question)
    return ExplainPublic(answer=answer.answer, sources=list(answer.sources))
