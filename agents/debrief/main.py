"""The debrief agent app (Dapr app id `debrief`)."""

from __future__ import annotations

from debrief_agent.api.routes import events, respond, sessions
from learnflow.api.service import create_service_app

app = create_service_app("debrief", routers=[respond.router, events.router, sessions.router])
