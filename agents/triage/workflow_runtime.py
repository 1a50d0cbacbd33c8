"""Hosting LearnFlow's workflows in the triage app: the Dapr `WorkflowRuntime` and its client.

`start` (an app start-up hook) registers the session and publishing workflows and their
activities, then connects the worker to this app's daprd on a background thread: the app
answers /healthz at once, and daprd — which starts after the app — is found as soon as it is up
(the SDK keeps reconnecting). Until the worker's stream is open, daprd has no workflow actors
for this app and would hold calls, so the routes answer 503 (`Busy`) instead (`require_ready`).
`stop` (a shutdown hook) closes the stream; work in flight is redone by the engine on restart.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from typing import Any, cast

import dapr.ext.workflow as wf
from fastapi import FastAPI, Request

from learnflow.errors import Busy
from learnflow.logs import route_to_root
from learnflow.settings import Settings
from learnflow.workflows import activities
from learnflow.workflows.client import WorkflowClient
from learnflow.workflows.registry import register_workflows

log = logging.getLogger("triage.workflows")
OWNERS_KEPT = 10_000
# The SDK logs every turn of every instance at INFO, each line twice (its own handler + root),
# and in its own text format: only its warnings go on, through our handler (JSON, learnflow.logs).
SDK_LOGGERS = (
    "WorkflowRuntime",
    "DaprWorkflowContext",
    "DaprWorkflowClient",
    "durabletask-worker",
    "durabletask-client",
)


def quiet_sdk_logs(level: int = logging.WARNING) -> None:
    """Run before creating the SDK's runtime and client (their start-up lines are INFO) and
    after (they add their own handlers as they start)."""
    route_to_root(SDK_LOGGERS, level)


class WorkflowHost:
    """The app's workflow worker and client, and what the routes remember about sessions."""

    def __init__(self, settings: Settings) -> None:
        from dapr.conf import settings as dapr_settings

        token = settings.dapr_api_token
        if token is not None:  # the SDK reads its token from its own settings
            cast(Any, dapr_settings).DAPR_API_TOKEN = token.get_secret_value()
        self.settings = settings
        quiet_sdk_logs()
        self.runtime = wf.WorkflowRuntime(host="127.0.0.1", port=str(settings.dapr_grpc_port))
        register_workflows(self.runtime)
        activities.use_settings(settings)  # the activities' database and sidecar
        self.client = WorkflowClient(settings)
        quiet_sdk_logs()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        # session id -> student id (never changes), and sessions known to be over
        self.owners: OrderedDict[str, str] = OrderedDict()
        self.closed: OrderedDict[str, None] = OrderedDict()
        # live sessions (learnflow.workflows.live) -> student id, read from their projection row
        self.live_owners: OrderedDict[str, str] = OrderedDict()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._connect, name="workflow-runtime", daemon=True)
        self._thread.start()

    def _connect(self) -> None:
        try:
            cast(Any, self.runtime).start()  # blocks until the work-item stream is open (untyped)
        except Exception:
            log.exception("the workflow worker did not start")
            return
        self._ready.set()
        log.info("workflow worker connected to daprd on port %s", self.settings.dapr_grpc_port)

    async def wait_ready(self, timeout_s: float) -> bool:
        return await asyncio.to_thread(self._ready.wait, timeout_s)

    async def stop(self) -> None:
        await asyncio.to_thread(self.runtime.shutdown)
        await self.client.close()

    def remember_owner(self, session_id: str, student_id: str) -> None:
        _remember(self.owners, session_id, student_id)

    def remember_closed(self, session_id: str) -> None:
        _remember(self.closed, session_id, None)

    def remember_live_owner(self, session_id: str, student_id: str) -> None:
        _remember(self.live_owners, session_id, student_id)


def _remember(cache: OrderedDict[str, Any], key: str, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > OWNERS_KEPT:
        cache.popitem(last=False)


async def start(app: FastAPI) -> None:
    host = WorkflowHost(app.state.settings)
    app.state.workflows = host
    host.start()


async def stop(app: FastAPI) -> None:
    host: WorkflowHost | None = getattr(app.state, "workflows", None)
    if host is not None:
        await host.stop()


async def require_ready(request: Request) -> WorkflowHost:
    """The app's `WorkflowHost`, once its worker is connected (else 503 with Retry-After)."""
    host: WorkflowHost | None = getattr(request.app.state, "workflows", None)
    if host is None:
        raise Busy("this app does not host workflows", retry_after_s=5)
    if not host.ready and not await host.wait_ready(5):
        raise Busy(
            "the session engine is still connecting to its Dapr sidecar; retry in a moment",
            retry_after_s=2,
        )
    return host
