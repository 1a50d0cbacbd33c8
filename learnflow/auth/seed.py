"""The demo class seeded on first start: "Python 101", Mr. Rodriguez teaching Maya and James.

No password is written in the repository. Each demo user gets `LEARNFLOW_DEMO_PASSWORD` when it
is set; otherwise a random password, generated when the user is created and printed once (to
stderr, by `seed_demo_and_report` / `learnflow db seed`). Seeding again creates nothing and
prints nothing; to get a new password, `learnflow user add` another user or reset it in the
database. Concurrent seeders are serialised by a transaction-level advisory lock.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from typing import TextIO
from uuid import UUID

from learnflow.auth.passwords import generate_password, hash_password
from learnflow.db.models import Role
from learnflow.db.pool import Conn, connect
from learnflow.db.repos.classes import enroll, ensure_class
from learnflow.db.repos.users import ensure_user, get_user_by_email
from learnflow.settings import Settings

DEMO_CLASS = "Python 101"
SEED_LOCK_KEY = int.from_bytes(b"LFseed01", "big")


@dataclass(frozen=True)
class DemoUser:
    email: str
    display_name: str
    role: Role


DEMO_TEACHER = DemoUser("rodriguez@learnflow.dev", "Mr. Rodriguez", Role.TEACHER)
DEMO_STUDENTS = (
    DemoUser("maya@learnflow.dev", "Maya", Role.STUDENT),
    DemoUser("james@learnflow.dev", "James", Role.STUDENT),
)


@dataclass(frozen=True)
class CreatedUser:
    user_id: UUID
    email: str
    role: Role
    password: str | None  # the generated password; None when it came from settings


@dataclass(frozen=True)
class SeedResult:
    class_id: UUID
    class_created: bool
    created: list[CreatedUser] = field(default_factory=list)

    def report(self) -> str:
        """What a person needs to log in as the users this run created (empty if none)."""
        if not self.created:
            return ""
        lines = [f"Seeded demo class {DEMO_CLASS!r}. Demo logins (shown once, not stored):"]
        for user in self.created:
            secret = user.password or "(LEARNFLOW_DEMO_PASSWORD)"
            lines.append(f"  {user.role.value:<8} {user.email:<26} password: {secret}")
        return "\n".join(lines)


async def _ensure_demo_user(
    conn: Conn, demo: DemoUser, password: str | None
) -> tuple[UUID, CreatedUser | None]:
    existing = await get_user_by_email(conn, email=demo.email)
    if existing is not None:
        return existing.id, None
    chosen = password or generate_password()
    user, created = await ensure_user(
        conn,
        email=demo.email,
        display_name=demo.display_name,
        role=demo.role,
        password_hash=await asyncio.to_thread(hash_password, chosen),
    )
    if not created:
        return user.id, None
    return user.id, CreatedUser(user.id, user.email, user.role, None if password else chosen)


async def seed_demo(conn: Conn, *, settings: Settings) -> SeedResult:
    """Create whatever of the demo class is missing; never modifies existing users."""
    configured = settings.demo_password
    password = configured.get_secret_value() if configured is not None else None
    created: list[CreatedUser] = []
    async with conn.transaction():
        await conn.execute("select pg_advisory_xact_lock(%s)", (SEED_LOCK_KEY,))
        teacher_id, new_teacher = await _ensure_demo_user(conn, DEMO_TEACHER, password)
        created += [new_teacher] if new_teacher else []
        school_class, class_created = await ensure_class(
            conn, name=DEMO_CLASS, teacher_id=teacher_id
        )
        for demo in DEMO_STUDENTS:
            student_id, new_student = await _ensure_demo_user(conn, demo, password)
            created += [new_student] if new_student else []
            await enroll(conn, class_id=school_class.id, student_id=student_id)
    return SeedResult(class_id=school_class.id, class_created=class_created, created=created)


async def seed_demo_and_report(
    conninfo: str, *, settings: Settings, out: TextIO | None = None
) -> SeedResult:
    """Seed over a new connection and print the new logins once (apps call this at start-up)."""
    conn = await connect(conninfo)
    try:
        result = await seed_demo(conn, settings=settings)
    finally:
        await conn.close()
    if result.created:
        print(result.report(), file=out or sys.stderr, flush=True)
    return result
