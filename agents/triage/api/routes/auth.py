"""`POST /auth/login`: email + password → a short-lived access token (throttled per account and
per client address: `learnflow.auth.throttle`); `POST /auth/logout` revokes the token it is sent
with; `GET /auth/me`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from learnflow.api.deps import PoolDep, SettingsDep
from learnflow.auth import throttle
from learnflow.auth.deps import CurrentUser
from learnflow.auth.login import login
from learnflow.auth.throttle import client_address
from learnflow.db.models import Role
from learnflow.db.repos.limits import revoke_token
from learnflow.db.repos.users import get_user
from learnflow.errors import NotAuthenticated

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class LoginReply(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    user_id: UUID
    role: Role


class Me(BaseModel):
    user_id: UUID
    role: Role
    email: str
    display_name: str
    expires_at: datetime


@router.post(
    "/login",
    response_model=LoginReply,
    responses={401: {"description": "Wrong email or password"}, 429: {"description": "Locked"}},
)
async def log_in(
    body: LoginRequest, request: Request, pool: PoolDep, settings: SettingsDep
) -> LoginReply:
    """Send the token back as `Authorization: Bearer <access_token>`; log in again when it
    expires. A wrong email and a wrong password get the same 401; after a few failures the
    account (and the address) must wait, longer each time (429 with Retry-After)."""
    address = client_address(request, settings)
    async with pool.connection() as conn:  # counted before the password is checked
        await throttle.begin_attempt(conn, email=body.email, address=address, settings=settings)
    async with pool.connection() as conn:
        issued = await login(conn, email=body.email, password=body.password, settings=settings)
        await throttle.record_success(conn, email=body.email, address=address)
    return LoginReply(
        access_token=issued.access_token,
        token_type=issued.token_type,
        expires_in=issued.expires_in,
        user_id=issued.principal.user_id,
        role=issued.principal.role,
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def log_out(user: CurrentUser, pool: PoolDep) -> Response:
    """Revoke the access token this request carries: it is refused from now on, everywhere."""
    async with pool.connection() as conn:
        await revoke_token(
            conn, token_id=user.token_id, user_id=user.user_id, expires_at=user.expires_at
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me)
async def me(user: CurrentUser, pool: PoolDep) -> Me:
    async with pool.connection() as conn:
        found = await get_user(conn, user_id=user.user_id)
    if found is None:
        raise NotAuthenticated("This account no longer exists; log in again")
    return Me(
        user_id=found.id,
        role=found.role,
        email=found.email,
        display_name=found.display_name,
        expires_at=user.expires_at,
    )
