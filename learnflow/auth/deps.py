"""FastAPI dependencies: who is calling (`CurrentUser`) and may they (`require_role`).

    @router.get("/progress/me")
    async def my_progress(user: CurrentUser) -> ...

    @router.get("/classes/{class_id}/overview", dependencies=[Depends(require_role("teacher"))])

Both raise LearnFlow errors (`NotAuthenticated` → 401, `NotAllowed` → 403), mapped to HTTP
problems in one place like every other error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from learnflow.auth.tokens import Principal, verify_token
from learnflow.db.models import Role
from learnflow.errors import NotAllowed, NotAuthenticated

_bearer = HTTPBearer(
    auto_error=False, description="An access token from POST /auth/login", scheme_name="LearnFlow"
)


async def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified principal of the request's `Authorization: Bearer <token>` header."""
    if credentials is None:
        if request.headers.get("authorization"):
            raise NotAuthenticated(
                "The Authorization header must be `Bearer <token>` with a token from "
                "POST /auth/login"
            )
        raise NotAuthenticated(
            "Not logged in: send `Authorization: Bearer <token>` with a token from POST /auth/login"
        )
    return verify_token(credentials.credentials)


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def _with_article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def require_role(*roles: Role | str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only callers with one of `roles` (admins are not implied)."""
    if not roles:
        raise ValueError("require_role() needs at least one role")
    allowed = tuple(dict.fromkeys(Role(role) for role in roles))
    needed = (
        f"the {allowed[0].value} role"
        if len(allowed) == 1
        else "one of the roles " + ", ".join(role.value for role in allowed)
    )

    async def check_role(user: CurrentUser) -> Principal:
        if user.role not in allowed:
            raise NotAllowed(
                f"This needs {needed}; you are signed in as {_with_article(user.role.value)}",
                required_roles=[role.value for role in allowed],
                role=user.role.value,
            )
        return user

    return check_role
