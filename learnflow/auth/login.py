"""Email + password → user → access token (used by `POST /auth/login`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache

from learnflow.auth.passwords import hash_password, needs_rehash, verify_password
from learnflow.auth.tokens import Principal, issue_token, verify_token
from learnflow.db.models import User
from learnflow.db.pool import Conn
from learnflow.db.repos.users import get_user_by_email, set_password_hash
from learnflow.errors import NotAuthenticated
from learnflow.settings import Settings

WRONG_CREDENTIALS = "Wrong email or password"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    principal: Principal
    token_type: str = "bearer"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not-a-real-password")


async def authenticate(conn: Conn, *, email: str, password: str) -> User:
    """The user with these credentials, or `NotAuthenticated` (same message and about the same
    time whether the email exists or not). Upgrades the stored hash when parameters changed."""
    user = await get_user_by_email(conn, email=email)
    stored = user.password_hash if user is not None else _dummy_hash()
    ok = await asyncio.to_thread(verify_password, stored, password)
    if user is None or not ok:
        raise NotAuthenticated(WRONG_CREDENTIALS)
    if needs_rehash(user.password_hash):
        new_hash = await asyncio.to_thread(hash_password, password)
        await set_password_hash(conn, user_id=user.id, password_hash=new_hash)
    return user


async def login(conn: Conn, *, email: str, password: str, settings: Settings) -> IssuedToken:
    user = await authenticate(conn, email=email, password=password)
    token = issue_token(user_id=user.id, role=user.role, settings=settings)
    return IssuedToken(
        access_token=token,
        expires_in=settings.jwt_ttl_s,
        principal=verify_token(token, settings=settings),
    )
