"""Helpers for the database tests (not a test module): the cluster handle and builders."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import make_conninfo

from learnflow.db.models import Role, User
from learnflow.db.pool import Conn
from learnflow.db.repos.users import create_user


@dataclass(frozen=True)
class PgCluster:
    host: str
    port: int
    user: str
    password: str
    socket_dir: Path

    def conninfo(self, dbname: str = "postgres") -> str:
        return make_conninfo(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=dbname
        )


# A syntactically valid argon2 hash; these tests never verify it.
FAKE_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


async def make_user(conn: Conn, role: Role = Role.STUDENT, name: str | None = None) -> User:
    label = name or f"{role.value}-{secrets.token_hex(3)}"
    return await create_user(
        conn,
        email=f"{label.lower().replace(' ', '.')}@example.org",
        display_name=label,
        role=role,
        password_hash=FAKE_HASH,
    )
