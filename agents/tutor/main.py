"""The tutor agent app (Dapr app id `tutor`)."""

from __future__ import annotations

from learnflow.api.service import create_service_app
from tutor_agent.api.routes import respond

app = create_service_app("tutor", routers=[respond.router])
