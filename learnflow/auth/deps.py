"""FastAPI dependencies: who is calling (`CurrentUser`) and may they (`require_role`).

    @router.get("/progress/me")
    async def my_progress(user: CurrentUser) -> ...

    @router.get("/classes/{class_id}/overview", dependencies=[Depends(require_role("teacher"))])

Both raise LearnFlow errors (`NotAuthenticated` → 401, `NotAllowed` → 403), mapped to HTTP
problems in one place like every other error.

A token's signature and expiry are not enough: when the app has a database (`app.state.pool`,
triage), every token is also checked against the user it names — the user must still exist with
the token's role — and against the revocation list (`POST /auth/logout`). Apps without a
database (the unit tests' triage on fakes) check the token alone. Tokens are verified with the
app's settings (`SettingsDep`: `app.state.settings`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from learnflow.api.deps import SettingsDep
from learnflow.auth.tokens import Principal, verify_token
from learnflow.db.models import Role
from learnflow.db.pool import Conn, Pool
from learnflow.errors import NotAllowed, NotAuthenticated

_bearer = HTTPBearer(
    auto_error=False, description="An access token from POST /auth/login", scheme_name="LearnFlow"
)


async def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    settings: SettingsDep,
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
    principal = verify_token(credentials.credentials, settings=settings)
    pool: Pool | None = getattr(request.app.state, "pool", None)
    if pool is not None:
        async with pool.connection() as conn:
            await check_principal(conn, principal)
    return principal


async def check_principal(conn: Conn, principal: Principal) -> None:
    """`NotAuthenticated` unless the token's user exists with its role and it is not revoked."""
    row = await (
        await conn.execute(
            "select u.role, exists (select 1 from revoked_tokens r where r.token_id = %s)"
            " from users u where u.id = %s",
            (principal.token_id, principal.user_id),
        )
    ).fetchone()
    if row is None:
        raise NotAuthenticated("This account no longer exists: its access tokens are void")
    role, revoked = row
    if revoked:
        raise NotAuthenticated(
            "This access token was revoked (you logged out): log in again (POST /auth/login)"
        )
    if role != principal.role.value:
        raise NotAuthenticated("Your role has changed since this token was issued: log in again")


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
