"""The triage app: the learner-facing edge of the mesh (Dapr app id `triage`)."""

from __future__ import annotations

from learnflow.api.service import create_service_app
from triage_agent.api.routes import chat, code

app = create_service_app("triage", public_routers=[chat.router, code.router])
