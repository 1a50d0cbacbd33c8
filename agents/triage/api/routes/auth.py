"""`POST /auth/login`: email + password → a short-lived access token; `GET /auth/me`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from learnflow.api.deps import SettingsDep
from learnflow.auth.deps import CurrentUser
from learnflow.auth.login import login
from learnflow.db.models import Role
from learnflow.db.repos.users import get_user
from learnflow.errors import NotAuthenticated
from triage_agent.api.deps import PoolDep

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


@router.post("/login", response_model=LoginReply)
async def log_in(body: LoginRequest, pool: PoolDep, settings: SettingsDep) -> LoginReply:
    """Send the token back as `Authorization: Bearer <access_token>`; log in again when it
    expires. A wrong email and a wrong password get the same 401."""
    async with pool.connection() as conn:
        issued = await login(conn, email=body.email, password=body.password, settings=settings)
    return LoginReply(
        access_token=issued.access_token,
        token_type=issued.token_type,
        expires_in=issued.expires_in,
        user_id=issued.principal.user_id,
        role=issued.principal.role,
    )


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
