"""The concepts agent app (Dapr app id `concepts`)."""

from __future__ import annotations

from concepts_agent.api.routes import respond
from learnflow.api.service import create_service_app

app = create_service_app("concepts", routers=[respond.router])
