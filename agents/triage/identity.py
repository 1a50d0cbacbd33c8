"""Triage's database at start-up: migrations, the connection pool, and the demo class.

The demo class (learnflow.auth.seed: "Python 101", Mr. Rodriguez, Maya, James) is seeded on
every start and created only when missing. With `LEARNFLOW_DEMO_PASSWORD` set, the demo users
get that password. Otherwise each gets a random one, generated once when the user is created and
written — never logged — to `<run dir>/demo-logins.json` (mode 0600; `LEARNFLOW_RUN_DIR`, which
`learnflow up` sets to `.run/dev`). The users are committed only if that file was written, so a
password can never be lost: when the file cannot be written nothing is seeded and the log says
what to set. Only the file's path is logged.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path

from fastapi import FastAPI

from learnflow.auth.seed import DEMO_CLASS, CreatedUser, SeedResult, seed_demo
from learnflow.db import database_conninfo, migrate, open_pool
from learnflow.db.pool import Conn
from learnflow.settings import Settings

log = logging.getLogger("triage.identity")
DEMO_LOGINS_FILE = "demo-logins.json"


def demo_logins_path(settings: Settings) -> Path:
    return settings.run_dir / DEMO_LOGINS_FILE


def write_demo_logins(path: Path, created: list[CreatedUser]) -> None:
    """Add these logins to the file (created 0600, replaced atomically)."""
    users: dict[str, dict[str, str]] = {}
    if path.is_file():
        previous = json.loads(path.read_text())
        users = {u["email"]: u for u in previous.get("users", []) if "email" in u}
    for user in created:
        if user.password is not None:
            users[user.email] = {
                "email": user.email,
                "role": user.role.value,
                "password": user.password,
            }
    body = {
        "class": DEMO_CLASS,
        "note": "Generated when the demo users were created; the database keeps only hashes.",
        "users": sorted(users.values(), key=lambda u: (u["role"] != "teacher", u["email"])),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".demo-logins-")  # created 0600
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(body, handle, indent=2)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def seed_demo_class(conn: Conn, settings: Settings) -> SeedResult | None:
    """Seed what is missing of the demo class; None when it could not be (logged)."""
    path = demo_logins_path(settings)
    try:
        async with conn.transaction():  # commits only once the passwords are safely written
            result = await seed_demo(conn, settings=settings)
            if any(user.password for user in result.created):
                write_demo_logins(path, result.created)
    except OSError as exc:
        log.warning(
            "The demo class was not seeded: its generated passwords could not be written to %s "
            "(%s). Set LEARNFLOW_DEMO_PASSWORD, or LEARNFLOW_RUN_DIR to a writable directory.",
            path,
            exc.strerror or type(exc).__name__,
        )
        return None
    if result.created:
        emails = ", ".join(user.email for user in result.created)
        if any(user.password for user in result.created):
            where = f"their generated passwords are in {path} (mode 0600)"
        else:
            where = "they log in with LEARNFLOW_DEMO_PASSWORD"
        log.info("Seeded the demo class %r (new users: %s); %s", DEMO_CLASS, emails, where)
    else:
        where = f"; its generated logins are in {path}" if path.is_file() else ""
        log.info("The demo class %r is present%s", DEMO_CLASS, where)
    return result


async def open_database(app: FastAPI) -> None:
    """Migrate, open the pool (`app.state.pool`), seed the demo class."""
    settings: Settings = app.state.settings
    conninfo = database_conninfo(settings)
    applied = await migrate(conninfo)
    if applied:
        log.info("applied database migrations %s", ", ".join(applied))
    stack = AsyncExitStack()
    app.state.db_stack = stack
    pool = await stack.enter_async_context(
        open_pool(
            conninfo, max_size=10, acquire_timeout_s=settings.db_acquire_timeout_s, name="triage"
        )
    )
    app.state.pool = pool
    async with pool.connection() as conn:
        await seed_demo_class(conn, settings)


async def close_database(app: FastAPI) -> None:
    stack: AsyncExitStack | None = getattr(app.state, "db_stack", None)
    if stack is not None:
        await stack.aclose()
