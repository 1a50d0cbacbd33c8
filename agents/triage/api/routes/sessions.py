"""Durable learning sessions: start one, read its live state, send it what the learner does.

    POST /sessions                 start (or find) a session workflow      → 201 / 200
    GET  /sessions/{id}            its live tally and phase (custom status)
    POST /sessions/{id}/events     message | code_run | submission | quiz_answer | heartbeat |
                                   finalize                               → 202

A session belongs to the student who started it; nobody else sees or feeds it (admins may read).
Producers that must not depend on triage being up publish `session.activity` to Kafka instead;
`POST /events/session-activity` (the subscription's route) delivers those.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import ValidationError

from learnflow.api.deps import OptionalPoolDep, SettingsDep, optional_pool_of
from learnflow.api.pubsub import add_subscriber
from learnflow.auth.deps import CurrentUser
from learnflow.db.models import Role
from learnflow.db.pool import Pool
from learnflow.errors import Conflict, InvalidInput, NotAllowed, NotFound
from learnflow.events import SessionActivity
from learnflow.workflows import session as wf_session
from learnflow.workflows.client import Instance
from learnflow.workflows.models import SessionView
from triage_agent import live_sessions
from triage_agent.api.deps import Student
from triage_agent.sessions import (
    EventAccepted,
    SessionCreate,
    SessionEventIn,
    SessionPublic,
    new_session,
    to_event,
)
from triage_agent.workflow_runtime import WorkflowHost, require_ready

router = APIRouter(prefix="/sessions", tags=["sessions"])
internal_router = APIRouter(tags=["sessions"])
HostDep = Annotated[WorkflowHost, Depends(require_ready)]


async def _public(session_id: str, instance: Instance, pool: Pool | None) -> SessionPublic:
    view = instance.custom_status if isinstance(instance.custom_status, dict) else None
    shown = await live_sessions.status(pool, session_id, view)
    return SessionPublic(
        session_id=session_id,
        workflow_id=instance.instance_id,
        runtime_status=instance.runtime_status,
        status=None if shown is None else dict(shown),
        failure=instance.failure,
    )


async def _owned(host: WorkflowHost, session_id: str, user_id: str, role: Role) -> Instance:
    instance = await host.client.get(wf_session.instance_id(session_id))
    view = instance.custom_status if instance is not None else None
    owner = view.get("student_id") if isinstance(view, dict) else None
    if instance is None or (owner != user_id and role is not Role.ADMIN):
        raise NotFound(f"no session {session_id} of yours")  # never tell whose it is
    if isinstance(owner, str):
        host.remember_owner(session_id, owner)
    if not instance.running or (isinstance(view, dict) and view.get("phase") != "active"):
        host.remember_closed(session_id)
    return instance


@router.post("", response_model=SessionPublic, status_code=status.HTTP_201_CREATED)
async def start_session(
    body: SessionCreate,
    user: Student,
    host: HostDep,
    settings: SettingsDep,
    response: Response,
    pool: OptionalPoolDep,
) -> SessionPublic:
    state = new_session(body, student_id=user.user_id, settings=settings)
    if pool is not None and settings.workflow_live_sessions:
        state.live = True
        state = await live_sessions.create(pool, state)
    instance_id = wf_session.instance_id(state.session_id)
    created = await host.client.start(wf_session.WORKFLOW, instance_id, state)
    if not created:
        response.status_code = status.HTTP_200_OK
        try:
            existing = await _owned(host, state.session_id, str(user.user_id), user.role)
        except NotFound:
            raise Conflict(f"session id {state.session_id} is taken; choose another") from None
        return await _public(state.session_id, existing, pool)
    host.remember_owner(state.session_id, state.student_id)
    # the instance's first turn publishes exactly this view; answer with it without waiting
    return SessionPublic(
        session_id=state.session_id,
        workflow_id=instance_id,
        runtime_status="RUNNING",
        status=SessionView.of(state).model_dump(mode="json"),
    )


@router.get("/{session_id}", response_model=SessionPublic)
async def read_session(
    session_id: str, user: CurrentUser, host: HostDep, pool: OptionalPoolDep
) -> SessionPublic:
    instance = await _owned(host, session_id, str(user.user_id), user.role)
    return await _public(session_id, instance, pool)


async def _deliver(
    host: WorkflowHost,
    pool: Pool | None,
    session_id: str,
    user_id: str,
    body: SessionEventIn,
    at: datetime | None = None,
) -> EventAccepted:
    if pool is not None and (live_owner := await live_sessions.owner(pool, host, session_id)):
        if live_owner != user_id:
            raise NotFound(f"no session {session_id} of yours")
        event = await to_event(body, session_id=session_id, student_id=user_id, pool=pool, at=at)
        await live_sessions.apply(pool, host, session_id, event)
        return EventAccepted(session_id=session_id, event_id=event.id, kind=event.kind)
    owner = host.owners.get(session_id)
    if owner is None:  # the owner never changes: read it once per process
        await _owned(host, session_id, user_id, Role.STUDENT)
        owner = host.owners.get(session_id)
    if owner != user_id:
        raise NotFound(f"no session {session_id} of yours")
    if session_id in host.closed:
        raise Conflict(f"session {session_id} is finalized (or finalizing); start a new one")
    event = await to_event(body, session_id=session_id, student_id=owner, pool=pool, at=at)
    await host.client.raise_event(wf_session.instance_id(session_id), wf_session.EVENT, event)
    return EventAccepted(session_id=session_id, event_id=event.id, kind=event.kind)


@router.post(
    "/{session_id}/events", response_model=EventAccepted, status_code=status.HTTP_202_ACCEPTED
)
async def send_event(
    session_id: str, body: SessionEventIn, user: CurrentUser, host: HostDep, pool: OptionalPoolDep
) -> EventAccepted:
    if user.role is not Role.STUDENT:
        raise NotAllowed("only the student of a session sends it events")
    return await _deliver(host, pool, session_id, str(user.user_id), body)


async def _on_session_activity(event: SessionActivity, request: Request) -> None:
    """Kafka delivery: the same path as the HTTP route; 4xx → dead letter, 5xx → retried."""
    host = await require_ready(request)
    data: dict[str, Any] = {**event.data, "id": event.id, "kind": event.kind}
    try:
        body = SessionEventIn.model_validate(data)
    except ValidationError as exc:  # a poison message: dead-letter it, do not retry
        raise InvalidInput(f"session.activity {event.id} is not a session event: {exc}") from exc
    pool = optional_pool_of(request)
    owner = event.user_id or host.owners.get(event.session_id)
    if owner is None and pool is not None:
        owner = await live_sessions.owner(pool, host, event.session_id)
    if owner is None:
        instance = await host.client.get(wf_session.instance_id(event.session_id))
        view = instance.custom_status if instance is not None else None
        owner = view.get("student_id") if isinstance(view, dict) else None
        if not isinstance(owner, str):
            raise NotFound(f"no session {event.session_id}")
    await _deliver(host, pool, event.session_id, owner, body, at=event.occurred_at)


add_subscriber(internal_router, SessionActivity, _on_session_activity)
