"""Users: students, teachers and admins. Emails are stored trimmed and lower-cased."""

from __future__ import annotations

import re
from uuid import UUID

from learnflow.db.models import Role, User
from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_all, fetch_one, insert_or_get
from learnflow.errors import Conflict, InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    normal = email.strip().lower()
    if not _EMAIL.match(normal):
        raise InvalidInput(f"{email!r} is not an email address (expected name@example.org)")
    return normal


async def create_user(
    conn: Conn, *, email: str, display_name: str, role: Role, password_hash: str
) -> User:
    """Create a user; `Conflict` if the email is taken (the transaction stays usable)."""
    user, created = await ensure_user(
        conn, email=email, display_name=display_name, role=role, password_hash=password_hash
    )
    if not created:
        raise Conflict(f"A user with email {user.email} already exists", email=user.email)
    return user


async def ensure_user(
    conn: Conn, *, email: str, display_name: str, role: Role, password_hash: str
) -> tuple[User, bool]:
    """Create the user unless the email exists; return (user, created). Never changes a user."""
    name = display_name.strip()
    if not name:
        raise InvalidInput("A user needs a display name")
    normal = normalise_email(email)
    return await insert_or_get(
        conn,
        User,
        "insert into users (email, display_name, role, password_hash)"
        " values (%s, %s, %s, %s) on conflict (email) do nothing returning *",
        (normal, name, Role(role).value, password_hash),
        select="select * from users where email = %s",
        select_params=(normal,),
        vanished=Conflict(f"The user {normal} changed concurrently; retry"),
    )


async def get_user(conn: Conn, *, user_id: UUID) -> User | None:
    return await fetch_one(conn, User, "select * from users where id = %s", (user_id,))


async def get_user_by_email(conn: Conn, *, email: str) -> User | None:
    return await fetch_one(
        conn, User, "select * from users where email = %s", (email.strip().lower(),)
    )


async def list_users(conn: Conn, *, role: Role | None = None) -> list[User]:
    if role is None:
        return await fetch_all(conn, User, "select * from users order by email")
    return await fetch_all(
        conn, User, "select * from users where role = %s order by email", (Role(role).value,)
    )


async def set_password_hash(conn: Conn, *, user_id: UUID, password_hash: str) -> None:
    await conn.execute(
        "update users set password_hash = %s where id = %s", (password_hash, user_id)
    )
