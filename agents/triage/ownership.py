"""Whose session id is it: requests that name a session id must name one of the caller's own.

A session id names a conversation (`conversation:<id>` in the state store, which records its
user) and/or a learning session (the workflow `session-<id>`, whose status names its student);
docs/glossary.md. An id that names neither yet is free: the caller's request starts it.
"""

from __future__ import annotations

from fastapi import Request

from learnflow.auth.tokens import Principal
from learnflow.errors import NotAllowed
from learnflow.sidecar import Sidecar
from learnflow.workflows import session as wf_session
from triage_agent import conversation
from triage_agent.workflow_runtime import WorkflowHost

NOT_YOURS = (
    "This session belongs to another user: continue one of your own sessions, or omit "
    "session_id to start a new one"
)


async def require_own_session(
    request: Request, sidecar: Sidecar, session_id: str, user: Principal
) -> None:
    """`NotAllowed` (403) unless `session_id` is the caller's or nobody's yet."""
    caller = str(user.user_id)
    stored, _ = await conversation.load(sidecar, session_id)
    if stored.user_id is not None and stored.user_id != caller:
        raise NotAllowed(NOT_YOURS, relationship="session_owner")
    host: WorkflowHost | None = getattr(request.app.state, "workflows", None)
    if host is None:
        return
    owner = host.owners.get(session_id)
    if owner is None:
        instance = await host.client.get(wf_session.instance_id(session_id))
        view = instance.custom_status if instance is not None else None
        found = view.get("student_id") if isinstance(view, dict) else None
        if isinstance(found, str):
            host.remember_owner(session_id, found)
            owner = found
    if owner is not None and owner != caller:
        raise NotAllowed(NOT_YOURS, relationship="session_owner")
