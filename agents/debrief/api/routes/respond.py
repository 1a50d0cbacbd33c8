"""`POST /respond`: answer a progress question routed by triage ("how am I doing?")."""

from __future__ import annotations

from fastapi import APIRouter

from debrief_agent import agent, reports, views
from debrief_agent.agent import DebriefContext
from debrief_agent.api.deps import AgentDep
from debrief_agent.progress_consumer import student_of
from learnflow.api.deps import ModelLabelDep, PoolDep
from learnflow.contracts import SpecialistReply, SpecialistRequest
from learnflow.db.models import Role
from learnflow.db.repos.classes import list_classes_for_teacher
from learnflow.db.repos.users import get_user

router = APIRouter(tags=["agent"])
NO_CLASSES = "You are not teaching any class yet, so there is no progress to report."

NOT_SIGNED_IN = (
    "I can only talk about progress once I know who you are: log in and ask again "
    '("how am I doing?").'
)


@router.post("/respond", response_model=SpecialistReply)
async def respond(
    body: SpecialistRequest, pool: PoolDep, debrief: AgentDep, model: ModelLabelDep
) -> SpecialistReply:
    """Students get their stored progress per topic and the next exercise; teachers get a short
    report on each of their classes. `user_id` is the principal triage verified. Only what the
    agent wrote names the `model`; the fixed messages (not signed in, no classes) do not."""
    user_id = student_of(body.user_id)
    if user_id is None:
        return SpecialistReply(reply=NOT_SIGNED_IN)
    async with pool.connection() as conn:
        user = await get_user(conn, user_id=user_id)
        if user is None:
            return SpecialistReply(reply=NOT_SIGNED_IN)
        if user.role is Role.STUDENT:
            progress = await views.student_progress(conn, user)
            context = DebriefContext(
                progress=progress, next_exercise=await views.next_exercise(conn, progress)
            )
        else:
            classes = await list_classes_for_teacher(conn, teacher_id=user.id)
            class_reports = [await reports.class_report(conn, c) for c in classes]
    if user.role is Role.STUDENT:
        reply = await agent.run(debrief, body.message, context)
        return SpecialistReply(
            reply=reply, follow_up="Would you like the recommended exercise now?", model=model
        )
    if not class_reports:
        return SpecialistReply(reply=NO_CLASSES)
    parts = [
        await agent.run_task(debrief, "class-report", DebriefContext(class_report=report))
        for report in class_reports
    ]
    return SpecialistReply(reply="\n\n".join(parts), model=model)
