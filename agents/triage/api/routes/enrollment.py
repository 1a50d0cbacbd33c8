"""Classes students join with a code; the teacher opens, caps, closes and prunes them.

    POST   /classes                              a teacher opens a class → its join code
    GET    /classes/{class_id}/admission         code, cap, open/closed, roster, class figures
    PATCH  /classes/{class_id}/admission         change the cap, close/open, make a new code
    DELETE /classes/{class_id}/students/{id}     take a student off the roster (work stays)
    POST   /classes/join                         a student joins with a code

Each rule (code exists, not already in, below the cap, class open) is checked in the one
transaction that writes the enrollment; a refusal is a 4xx that says what to do and writes
nothing. Joins are rate-limited per student (`triage_agent.limits`: codes are not guessed).
After the commit the enrollment workflow (`enroll-<join id>`) initialises the
student's progress, welcomes them and updates the class figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from learnflow.api.deps import PoolDep, SettingsDep
from learnflow.db.models import Role, Row, SchoolClass
from learnflow.db.pool import Conn, Pool
from learnflow.db.repos import classes, enrollment
from learnflow.db.repos._rows import fetch_one
from learnflow.errors import Conflict, NotAllowed, NotFound
from learnflow.settings import Settings
from learnflow.workflows import enrollment as wf_enrollment
from learnflow.workflows.models import EnrollInput, Timings
from triage_agent.api.deps import Staff, Student
from triage_agent.limits import JoinQuota
from triage_agent.workflow_runtime import WorkflowHost, require_ready

router = APIRouter(prefix="/classes", tags=["enrollment"])
HostDep = Annotated[WorkflowHost, Depends(require_ready)]


class ClassCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    capacity: int = Field(default=enrollment.DEFAULT_CAPACITY, ge=1, le=enrollment.MAX_CAPACITY)


class AdmissionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capacity: int | None = Field(default=None, ge=1, le=enrollment.MAX_CAPACITY)
    closed: bool | None = None
    new_code: bool = False


class JoinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, description="e.g. 'KQ7M-3XPD'")


class Figures(Row):
    enrolled: int
    removed: int
    welcomed: int
    last_join_at: datetime | None
    updated_at: datetime


class RosterEntry(Row):
    student_id: UUID
    display_name: str
    email: str
    enrolled_at: datetime
    removed_at: datetime | None


class AdmissionPublic(BaseModel):
    class_id: UUID
    name: str
    join_code: str
    capacity: int
    closed: bool
    enrolled: int
    figures: Figures | None = None
    roster: list[RosterEntry] = Field(default_factory=list)


class JoinReply(BaseModel):
    class_id: UUID
    class_name: str
    workflow_id: str
    message: str


async def _own_class(conn: Conn, user: Staff, class_id: UUID) -> SchoolClass:
    school_class = await classes.get_class(conn, class_id=class_id)
    if school_class is None:
        raise NotFound(f"No class with id {class_id}")
    if user.role is not Role.ADMIN and school_class.teacher_id != user.user_id:
        raise NotAllowed(
            f"Only the teacher of {school_class.name!r} can manage it; it is not one of your "
            "classes",
            relationship="teacher_of_class",
        )
    return school_class


async def _admission_view(conn: Conn, school_class: SchoolClass) -> AdmissionPublic:
    admission = await enrollment.admission_of(conn, class_id=school_class.id)
    figures = await fetch_one(
        conn, Figures, "select * from class_figures where class_id = %s", (school_class.id,)
    )
    async with conn.cursor() as cur:
        await cur.execute(
            "select u.id, u.display_name, u.email, e.enrolled_at, e.removed_at"
            " from enrollments e join users u on u.id = e.student_id where e.class_id = %s"
            " order by e.removed_at nulls first, u.display_name",
            (school_class.id,),
        )
        rows = await cur.fetchall()
    roster = [
        RosterEntry(
            student_id=r[0], display_name=r[1], email=r[2], enrolled_at=r[3], removed_at=r[4]
        )
        for r in rows
    ]
    return AdmissionPublic(
        class_id=school_class.id,
        name=school_class.name,
        join_code=admission.join_code,
        capacity=admission.capacity,
        closed=admission.closed_at is not None,
        enrolled=sum(1 for r in roster if r.removed_at is None),
        figures=figures,
        roster=roster,
    )


@router.post("", response_model=AdmissionPublic, status_code=status.HTTP_201_CREATED)
async def open_class(body: ClassCreate, user: Staff, pool: PoolDep) -> AdmissionPublic:
    """A new class and its join code (409 if you already have a class of that name)."""
    async with pool.connection() as conn, conn.transaction():
        school_class, _ = await enrollment.open_class(
            conn, name=body.name, teacher_id=user.user_id, capacity=body.capacity
        )
        return await _admission_view(conn, school_class)


@router.get("/{class_id}/admission", response_model=AdmissionPublic)
async def admission(class_id: UUID, user: Staff, pool: PoolDep) -> AdmissionPublic:
    async with pool.connection() as conn, conn.transaction():
        return await _admission_view(conn, await _own_class(conn, user, class_id))


@router.patch("/{class_id}/admission", response_model=AdmissionPublic)
async def update_admission(
    class_id: UUID, body: AdmissionUpdate, user: Staff, pool: PoolDep
) -> AdmissionPublic:
    async with pool.connection() as conn, conn.transaction():
        school_class = await _own_class(conn, user, class_id)
        await enrollment.update_admission(
            conn,
            class_id=class_id,
            capacity=body.capacity,
            closed=body.closed,
            new_code=body.new_code,
        )
        return await _admission_view(conn, school_class)


@router.delete("/{class_id}/students/{student_id}", response_model=AdmissionPublic)
async def remove_student(
    class_id: UUID, student_id: UUID, user: Staff, pool: PoolDep
) -> AdmissionPublic:
    """Take the student off the roster; their past work stays in this class's reports."""
    async with pool.connection() as conn, conn.transaction():
        school_class = await _own_class(conn, user, class_id)
        if not await enrollment.remove(conn, class_id=class_id, student_id=student_id):
            raise NotFound(f"No student {student_id} is on the roster of {school_class.name!r}")
        await conn.execute(
            "update class_figures set enrolled = greatest(enrolled - 1, 0), removed = removed + 1,"
            " updated_at = now() where class_id = %s",
            (class_id,),
        )
        return await _admission_view(conn, school_class)


@router.post("/join", response_model=JoinReply, status_code=status.HTTP_201_CREATED)
async def join_class(
    body: JoinRequest,
    user: Student,
    _quota: JoinQuota,
    pool: PoolDep,
    host: HostDep,
    settings: SettingsDep,
) -> JoinReply:
    """Join the class of `code`: 404 unknown code, 409 already in / full / closed, 429 when
    codes are tried faster than `LEARNFLOW_LIMIT_JOIN_PER_MINUTE`."""
    try:
        async with pool.connection() as conn, conn.transaction():
            joined = await enrollment.join(conn, code=body.code, student_id=user.user_id)
    except Conflict as refused:
        if refused.details.get("reason") == "already_enrolled":
            # a join whose workflow never started (the engine failed after the commit) is
            # completed by asking again; a started one is left as it is
            await _resume(pool, host, settings, body.code, user.user_id)
        raise
    workflow_id = await _start(host, settings, joined.class_id, user.user_id, joined.join_id)
    return JoinReply(
        class_id=joined.class_id,
        class_name=joined.class_name,
        workflow_id=workflow_id,
        message=f"You joined {joined.class_name}.",
    )


async def _start(
    host: WorkflowHost, settings: Settings, class_id: UUID, student_id: UUID, join_id: UUID
) -> str:
    job = EnrollInput(
        class_id=str(class_id),
        student_id=str(student_id),
        join_id=str(join_id),
        timings=Timings.from_settings(settings),
    )
    workflow_id = wf_enrollment.instance_id(str(join_id))
    await host.client.start(wf_enrollment.WORKFLOW, workflow_id, job)
    return workflow_id


async def _resume(
    pool: Pool, host: WorkflowHost, settings: Settings, code: str, student_id: UUID
) -> None:
    async with pool.connection() as conn:
        row = await conn.execute(
            "select e.class_id, e.join_id from enrollments e join class_admissions a"
            " on a.class_id = e.class_id where a.join_code = %s and e.student_id = %s",
            (enrollment.normalise_code(code), student_id),
        )
        found = await row.fetchone()
    if found is not None and found[1] is not None:
        await _start(host, settings, found[0], student_id, found[1])
