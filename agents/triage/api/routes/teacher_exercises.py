"""Teachers publish their own exercises to a class, through the publishing workflow.

    POST /teacher/classes/{class_id}/exercises   submit an exercise → validated, indexed, ready
    GET  /teacher/exercises/{exercise_id}        where it stands (and why, if it went back)

The exercise is stored as a draft at once; the workflow validates it in the sandbox (the
reference solution must pass the tests, the starter must not), indexes it for the tutor, marks
it ready and announces it (`exercise.published`) — or returns it to draft with the reason.
Submitting again with the same `exercise_id` is a retry: it finds the same exercise and run.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from learnflow.api.deps import PoolDep, SettingsDep
from learnflow.curriculum import load_catalog
from learnflow.db.models import Difficulty, Role
from learnflow.db.pool import Pool
from learnflow.db.repos import classes, exercises
from learnflow.errors import InvalidInput, NotAllowed, NotFound
from learnflow.generation import parse_request
from learnflow.workflows import publishing as wf_publishing
from learnflow.workflows import store
from learnflow.workflows.models import PublishInput, Timings
from triage_agent import generating
from triage_agent.api.deps import Staff
from triage_agent.workflow_runtime import WorkflowHost, require_ready

router = APIRouter(prefix="/teacher", tags=["teacher"])
generation = APIRouter(prefix="/exercises", tags=["teacher"])
HostDep = Annotated[WorkflowHost, Depends(require_ready)]
MAX_CODE_CHARS = 64 * 1024


class ExerciseSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str = Field(max_length=100, description="A module id, e.g. 'data-structures'.")
    difficulty: Difficulty = Difficulty.EASY
    title: str = Field(min_length=1, max_length=200)
    prompt: str = Field(min_length=1, max_length=20000)
    starter: str = Field(default="", max_length=MAX_CODE_CHARS)
    tests: str = Field(min_length=1, max_length=MAX_CODE_CHARS, description="pytest, hidden")
    solution: str = Field(min_length=1, max_length=MAX_CODE_CHARS)
    hints: list[dict[str, str]] = Field(default_factory=list, max_length=5)
    request: str = Field(default="", max_length=2000, description="The words that asked for it.")
    exercise_id: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]{1,60}\.custom-[a-z0-9]{4,40}$",
        description="Client-chosen (`<topic>.custom-<hex>`), so a retry finds the same one.",
    )


class PublicationPublic(BaseModel):
    exercise_id: str
    class_id: str | None
    workflow_id: str
    exercise_status: str
    step: str | None = None
    runtime_status: str | None = None
    reason: str | None = None
    validation: dict[str, Any] | None = None
    # the exercise itself, for its teacher to review, edit, approve or reject
    title: str = ""
    topic: str = ""
    difficulty: str = ""
    prompt: str = ""
    starter: str = ""
    tests: str = ""
    solution: str = ""
    hints: list[dict[str, str]] = Field(default_factory=list)
    review: str = "pending"
    origin: dict[str, Any] = Field(default_factory=dict)


async def _view(host: WorkflowHost, pool: Pool, exercise_id: str) -> PublicationPublic:
    async with pool.connection() as conn:
        exercise = await exercises.get_custom_exercise(conn, exercise_id=exercise_id)
        publication = await store.get_publication(conn, exercise_id=exercise_id)
    if exercise is None:
        raise NotFound(f"no custom exercise {exercise_id}")
    instance = await host.client.get(wf_publishing.instance_id(exercise_id))
    view = instance.custom_status if instance is not None else None
    view = view if isinstance(view, dict) else {}
    return PublicationPublic(
        exercise_id=exercise_id,
        class_id=str(publication.class_id) if publication else view.get("class_id"),
        workflow_id=wf_publishing.instance_id(exercise_id),
        exercise_status=exercise.status.value,
        step=view.get("step"),
        runtime_status=instance.runtime_status if instance is not None else None,
        reason=(publication.reason if publication else None) or view.get("reason"),
        validation=view.get("validation"),
        title=exercise.title,
        topic=exercise.topic,
        difficulty=exercise.difficulty.value,
        prompt=exercise.prompt,
        starter=exercise.starter,
        tests=exercise.tests,
        solution=exercise.solution,
        hints=exercise.hints,
        review=exercise.review,
        origin=exercise.origin,
    )


@router.post(
    "/classes/{class_id}/exercises",
    response_model=PublicationPublic,
    status_code=status.HTTP_202_ACCEPTED,
)
async def submit_exercise(
    class_id: UUID,
    body: ExerciseSubmit,
    user: Staff,
    host: HostDep,
    pool: PoolDep,
    settings: SettingsDep,
) -> PublicationPublic:
    catalog = load_catalog()
    catalog.module(body.topic)  # NotFound names the topics that exist
    if body.exercise_id is not None and not body.exercise_id.startswith(f"{body.topic}.custom-"):
        raise InvalidInput(f"exercise_id must start with '{body.topic}.custom-'")
    async with pool.connection() as conn:
        school_class = await classes.get_class(conn, class_id=class_id)
        if school_class is None:
            raise NotFound(f"no class {class_id}")
        if user.role is not Role.ADMIN and school_class.teacher_id != user.user_id:
            raise NotAllowed(f"only the teacher of {school_class.name!r} publishes to it")
        exercise = await exercises.create_custom_exercise(
            conn,
            author_id=user.user_id,
            topic=body.topic,
            difficulty=body.difficulty,
            title=body.title,
            prompt=body.prompt,
            starter=body.starter,
            tests=body.tests,
            solution=body.solution,
            hints=body.hints,
            request=body.request,
            exercise_id=body.exercise_id,
        )
    job = PublishInput(
        exercise_id=exercise.id,
        class_id=str(class_id),
        teacher_id=str(school_class.teacher_id),
        timings=Timings.from_settings(settings),
    )
    await host.client.start(wf_publishing.WORKFLOW, wf_publishing.instance_id(exercise.id), job)
    return await _view(host, pool, exercise.id)


@router.get("/exercises/{exercise_id}", response_model=PublicationPublic)
async def read_publication(
    exercise_id: str, user: Staff, host: HostDep, pool: PoolDep
) -> PublicationPublic:
    async with pool.connection() as conn:
        exercise = await exercises.get_custom_exercise(conn, exercise_id=exercise_id)
    if exercise is None or (user.role is not Role.ADMIN and exercise.author_id != user.user_id):
        raise NotFound(f"no custom exercise {exercise_id} of yours")
    return await _view(host, pool, exercise_id)


# --- exercises from plain words ----------------------------------------------------------------


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request: str = Field(
        min_length=1,
        max_length=500,
        description='e.g. "Create easy exercises on list comprehensions"',
    )
    class_id: UUID


class GenerateReply(BaseModel):
    topic: str
    module: str
    difficulty: str
    count: int
    exercises: list[PublicationPublic]


async def _publish(
    host: WorkflowHost, settings: Any, exercise_id: str, class_id: UUID, teacher_id: UUID
) -> None:
    job = PublishInput(
        exercise_id=exercise_id,
        class_id=str(class_id),
        teacher_id=str(teacher_id),
        timings=Timings.from_settings(settings),
    )
    await host.client.start(wf_publishing.WORKFLOW, wf_publishing.instance_id(exercise_id), job)


@generation.post("/generate", response_model=GenerateReply, status_code=status.HTTP_202_ACCEPTED)
async def generate_exercises(
    body: GenerateRequest, user: Staff, host: HostDep, pool: PoolDep, settings: SettingsDep
) -> GenerateReply:
    """Parse the words (topic, difficulty, count), draft new exercises and validate each one in
    the sandbox through the publishing workflow; poll `GET /teacher/exercises/{id}`."""
    wanted = parse_request(body.request)  # 422 naming the topics when none is recognised
    async with pool.connection() as conn:
        school_class = await generating.class_of_teacher(
            conn, body.class_id, user.user_id, user.role
        )
    drafts = await generating.store_drafts(pool, user.user_id, wanted, body.class_id)
    for draft in drafts:
        await _publish(host, settings, draft.id, body.class_id, school_class.teacher_id)
    return GenerateReply(
        topic=wanted.topic_title,
        module=wanted.module,
        difficulty=wanted.difficulty,
        count=wanted.count,
        exercises=[await _view(host, pool, d.id) for d in drafts],
    )


class ExerciseEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    prompt: str | None = Field(default=None, min_length=1, max_length=20000)
    starter: str | None = Field(default=None, max_length=MAX_CODE_CHARS)
    tests: str | None = Field(default=None, min_length=1, max_length=MAX_CODE_CHARS)
    solution: str | None = Field(default=None, min_length=1, max_length=MAX_CODE_CHARS)
    hints: list[dict[str, str]] | None = Field(default=None, max_length=5)


@router.post("/exercises/{exercise_id}/approve", response_model=PublicationPublic)
async def approve_exercise(
    exercise_id: str, user: Staff, host: HostDep, pool: PoolDep
) -> PublicationPublic:
    """Approve a validated exercise (then it can be assigned); 409 while not validated."""
    await generating.review(pool, exercise_id, user.user_id, user.role, "approved")
    return await _view(host, pool, exercise_id)


@router.post("/exercises/{exercise_id}/reject", response_model=PublicationPublic)
async def reject_exercise(
    exercise_id: str, user: Staff, host: HostDep, pool: PoolDep
) -> PublicationPublic:
    await generating.review(pool, exercise_id, user.user_id, user.role, "rejected")
    return await _view(host, pool, exercise_id)


@router.post("/exercises/{exercise_id}/edit", response_model=PublicationPublic,
             status_code=status.HTTP_202_ACCEPTED)  # fmt: skip
async def edit_exercise(
    exercise_id: str,
    body: ExerciseEdit,
    user: Staff,
    host: HostDep,
    pool: PoolDep,
    settings: SettingsDep,
) -> PublicationPublic:
    """Store the edited exercise as a new draft and validate it; the old one is rejected."""
    created, class_id = await generating.edit(
        pool, exercise_id, user.user_id, user.role, body.model_dump(exclude_none=True)
    )
    async with pool.connection() as conn:
        school_class = await generating.class_of_teacher(conn, class_id, user.user_id, user.role)
    await _publish(host, settings, created.id, class_id, school_class.teacher_id)
    return await _view(host, pool, created.id)
