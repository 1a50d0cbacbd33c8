"""People and requests for the attack tests: fresh users of their own (so one test's limits and
lockouts never touch another's), and the edge API as an attacker reaches it."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx

from learnflow.auth.passwords import hash_password
from learnflow.auth.tokens import issue_token
from learnflow.db.models import Role
from learnflow.settings import Settings
from tests.integration.harness import Mesh


@dataclass(frozen=True)
class Person:
    id: UUID
    email: str
    password: str
    token: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


def person(mesh: Mesh, role: Role = Role.STUDENT) -> Person:
    """A new user with a password, and a token issued for it."""
    email = f"{role.value}-{uuid.uuid4().hex[:10]}@sec.test.learnflow.dev"
    password = secrets.token_urlsafe(12)
    ((user_id,),) = mesh.sql(
        "insert into users (email, display_name, role, password_hash)"
        " values (%s, %s, %s, %s) returning id",
        email,
        f"Sec {role.value}",
        role.value,
        hash_password(password),
    )
    token = issue_token(
        user_id=user_id, role=role, settings=Settings(jwt_secret=mesh.secrets.jwt_secret)
    )
    return Person(user_id, email, password, token)


def edge(mesh: Mesh, path: str) -> str:
    """A public route at triage's own port, as the API gateway (or anyone on the host) calls it."""
    return f"{mesh.app_url('triage')}/{path.lstrip('/')}"


async def post(
    http: httpx.AsyncClient, mesh: Mesh, path: str, who: Person | None, body: Any
) -> httpx.Response:
    return await http.post(edge(mesh, path), json=body, headers=who.bearer if who else {})
