"""`CurrentUser` and `require_role` in a real FastAPI app, with the project's problem mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio
from fastapi import Depends, FastAPI

from learnflow.api.problems import install_problem_handlers
from learnflow.auth.deps import CurrentUser, require_role
from learnflow.auth.tokens import Principal, issue_token
from learnflow.db.models import Role
from learnflow.settings import Settings

SECRET = "test-secret-long-enough-even-for-hs512-" + "0123456789" * 3
SETTINGS = Settings(_env_file=None, jwt_secret=SECRET)

Staff = Annotated[Principal, Depends(require_role(Role.TEACHER, Role.ADMIN))]


def _app() -> FastAPI:
    app = FastAPI()
    app.state.settings = SETTINGS  # as `create_service_app` does: tokens are checked with these
    install_problem_handlers(app)

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {"user_id": str(user.user_id), "role": user.role.value}

    @app.get("/teacher", dependencies=[Depends(require_role("teacher"))])
    async def teacher_only() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/staff")
    async def staff(user: Staff) -> dict[str, str]:
        return {"role": user.role.value}

    return app


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def bearer(role: Role, **kwargs: object) -> dict[str, str]:
    token = issue_token(user_id=uuid4(), role=role, settings=SETTINGS, **kwargs)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


async def test_current_user_reads_the_bearer_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/me", headers=bearer(Role.STUDENT))
    assert response.status_code == 200
    assert response.json()["role"] == "student"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        pytest.param({}, "Not logged in", id="no-header"),
        pytest.param({"Authorization": "Basic bWF5YTpwdw=="}, "must be `Bearer", id="basic"),
        pytest.param({"Authorization": "Bearer"}, "must be `Bearer", id="no-token"),
        pytest.param({"Authorization": "Bearer nope"}, "not a well-formed JWT", id="garbage"),
    ],
)
async def test_missing_or_invalid_credentials_are_401(
    client: httpx.AsyncClient, headers: dict[str, str], message: str
) -> None:
    response = await client.get("/me", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "not_authenticated"
    assert message in body["message"]


async def test_an_expired_token_is_401(client: httpx.AsyncClient) -> None:
    old = datetime.now(UTC) - timedelta(hours=3)
    response = await client.get("/me", headers=bearer(Role.STUDENT, now=old))
    assert response.status_code == 401
    assert "expired" in response.json()["message"]


@pytest.mark.parametrize(
    ("path", "role", "status", "message"),
    [
        ("/teacher", Role.TEACHER, 200, None),
        (
            "/teacher",
            Role.STUDENT,
            403,
            "This needs the teacher role; you are signed in as a student",
        ),
        ("/teacher", Role.ADMIN, 403, "This needs the teacher role; you are signed in as an admin"),
        ("/staff", Role.TEACHER, 200, None),
        ("/staff", Role.ADMIN, 200, None),
        ("/staff", Role.STUDENT, 403, "This needs one of the roles teacher, admin"),
    ],
)
async def test_require_role(
    client: httpx.AsyncClient, path: str, role: Role, status: int, message: str | None
) -> None:
    response = await client.get(path, headers=bearer(role))
    assert response.status_code == status
    if message is not None:
        body = response.json()
        assert body["error"] == "forbidden"
        assert body["message"].startswith(message)
        assert role.value == body["role"]


async def test_require_role_still_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/teacher")
    assert response.status_code == 401


def test_require_role_rejects_unknown_roles_when_the_route_is_defined() -> None:
    with pytest.raises(ValueError):
        require_role("superuser")
    with pytest.raises(ValueError, match="at least one role"):
        require_role()
