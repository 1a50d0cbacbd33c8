"""The triage app: the learner-facing edge of the mesh (Dapr app id `triage`).

Every route is public (the edge API) and authenticates its caller with a JWT, except
`POST /auth/login`, which issues them, and the pub/sub delivery of `session.activity` (internal).
The app also hosts the durable workflows (`workflow_runtime`: sessions, exercise publishing)
and the learners' rate-limit buckets (`bucket_actor`, a Dapr actor).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from learnflow.api.actors import mount_actor_routes
from learnflow.api.service import create_service_app
from learnflow.outbox import outbox_hooks
from learnflow.settings import Settings
from triage_agent import bucket_actor, demo_history, identity, workflow_runtime
from triage_agent.api.routes import (
    alerts,
    auth,
    chat,
    classes,
    code,
    enrollment,
    exams,
    exercises,
    history,
    ops,
    progress,
    quizzes,
    sessions,
    teacher_exercises,
    teaching,
)

Hook = Callable[[FastAPI], Awaitable[None]]


def create_app(
    settings: Settings | None = None,
    *,
    database: bool = True,
    workflows: bool = True,
    actors: bool | None = None,
) -> FastAPI:
    """The app; `database=False` leaves out the pool and seeding (only /auth needs them), the
    outbox (a test then sets `app.state.events`) and the workflow runtime (its activities need
    the database); `workflows=False` leaves out only the workflow runtime (tests without a
    daprd). `actors` hosts the rate-limit buckets (`bucket_actor`; without them there are no
    rate limits); they need daprd's placement as the workflows do, so by default they are
    hosted with the workflow runtime."""
    if actors is None:
        actors = database and workflows
    on_startup: list[Hook] = []
    on_shutdown: list[Hook] = []
    if database:
        start_outbox, stop_outbox = outbox_hooks("triage")
        on_startup += [identity.open_database, start_outbox]
        on_shutdown += [identity.close_database, stop_outbox]
    if database and workflows:
        on_startup.append(workflow_runtime.start)
        on_shutdown.append(workflow_runtime.stop)
        on_startup.append(demo_history.start)  # left out of unit tests as workflows are
        on_shutdown.append(demo_history.stop)
    if actors:
        on_startup.append(bucket_actor.host_buckets)
    app = create_service_app(
        "triage",
        routers=[sessions.internal_router],
        public_routers=[
            chat.router,
            code.router,
            auth.router,
            progress.router,
            enrollment.router,
            exams.router,
            classes.router,
            alerts.router,
            sessions.router,
            teacher_exercises.router,
            teacher_exercises.generation,
            quizzes.router,
            history.router,
            teaching.router,
            exercises.router,
            ops.router,
        ],
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        settings=settings,
    )
    if actors:
        mount_actor_routes(app)
    return app


app = create_app()
