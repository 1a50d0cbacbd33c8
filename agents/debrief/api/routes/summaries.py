"""`POST /summaries/session`: the debrief of a finished session, for the student (stored once)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from debrief_agent import agent, reports, views
from debrief_agent.agent import DebriefContext
from debrief_agent.api.deps import AgentDep
from debrief_agent.progress_consumer import student_of
from learnflow.api.deps import PoolDep
from learnflow.contracts import SessionSummary, SessionSummaryRequest
from learnflow.db.models import Role, User
from learnflow.db.pool import Conn
from learnflow.db.repos.debriefs import save_debrief
from learnflow.db.repos.users import get_user
from learnflow.errors import NotFound

router = APIRouter(prefix="/summaries", tags=["debriefs"])


def _summary(session_id: str, summary: str, details: dict[str, Any]) -> SessionSummary:
    return SessionSummary(
        session_id=session_id,
        summary=summary,
        practised=list(details.get("practised", [])),
        mistakes=list(details.get("mistakes", [])),
        next_steps=list(details.get("next_steps", [])),
    )


async def _stored(conn: Conn, session_id: str) -> SessionSummary | None:
    cur = await conn.execute(
        "select summary, details from debriefs where session_id = %s", (session_id,)
    )
    row = await cur.fetchone()
    return None if row is None else _summary(session_id, row[0], row[1] or {})


async def _student(conn: Conn, user_id: UUID | None) -> User | None:
    if user_id is None:
        return None
    user = await get_user(conn, user_id=user_id)
    if user is None:
        raise NotFound(f"No LearnFlow user with id {user_id}")
    return user


@router.post("/session", response_model=SessionSummary)
async def summarise_session(
    body: SessionSummaryRequest, pool: PoolDep, debrief: AgentDep
) -> SessionSummary:
    """Summarise the session from its tally and the student's stored progress. The first
    summary of a session is stored (`debriefs`); asking again returns the stored one, so a
    workflow step that runs twice gets the same answer."""
    user_id = student_of(body.user_id)
    async with pool.connection() as conn:
        stored = await _stored(conn, body.session_id)
        if stored is not None:
            return stored
        student = await _student(conn, user_id)
        progress = next_card = None
        if student is not None and student.role is Role.STUDENT:
            progress = await views.student_progress(conn, student)
            next_card = (await views.next_exercise(conn, progress)).exercise
    facts = reports.session_facts(body, student=student, progress=progress, next_exercise=next_card)
    text = (await agent.run_task(debrief, "session-summary", DebriefContext(session=facts))).text
    details = {
        "practised": facts.practised,
        "mistakes": facts.mistakes,
        "next_steps": facts.next_steps,
        "mode": facts.mode,
        "topic": facts.topic,
        "tally": facts.tally.model_dump(mode="json"),
    }
    if student is None:
        return _summary(body.session_id, text, details)
    async with pool.connection() as conn:
        saved, _ = await save_debrief(
            conn,
            student_id=student.id,
            summary=text,
            details=details,
            session_id=body.session_id,
        )
    return _summary(body.session_id, saved.summary, saved.details)
