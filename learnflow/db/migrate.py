"""Versioned SQL migrations: `learnflow/db/migrations/NNNN_name.sql`, applied in order.

Rules:
- a file is applied once, inside its own transaction, and recorded in `schema_migrations`
  (version, name, sha256 checksum, applied_at) in that same transaction;
- `migrate()` holds a PostgreSQL session advisory lock while it works, so processes that start
  together (every app runs migrations at start-up) apply each file exactly once: the others wait,
  then find nothing left to do;
- an applied file must never change: a different checksum is an error, not a silent skip. Add a
  new file instead.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from learnflow.db.pool import Conn, connect
from learnflow.errors import ConfigurationError, DependencyFailed

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# pg_advisory_lock key shared by every LearnFlow migrator: the bytes of "LFmigrat" as an int64.
MIGRATION_LOCK_KEY = int.from_bytes(b"LFmigrat", "big")

_FILENAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def sql(self) -> bytes:
        return self.path.read_bytes()

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql).hexdigest()


def discover(migrations_dir: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; rejects misnamed files and duplicate versions."""
    found: dict[str, Migration] = {}
    for path in sorted(migrations_dir.glob("*.sql")):
        match = _FILENAME.match(path.name)
        if match is None:
            raise ConfigurationError(
                f"Migration file {path.name!r} is misnamed: use NNNN_lower_snake_name.sql"
            )
        version = match["version"]
        if version in found:
            raise ConfigurationError(
                f"Two migrations share version {version}: {found[version].path.name} and "
                f"{path.name}; renumber the newer one"
            )
        found[version] = Migration(version=version, name=match["name"], path=path)
    return [found[v] for v in sorted(found)]


_CREATE_TABLE = b"""
create table if not exists schema_migrations (
    version    text primary key,
    name       text not null,
    checksum   text not null,
    applied_at timestamptz not null default now()
)
"""


async def migrate(
    conninfo: str,
    *,
    migrations_dir: Path = MIGRATIONS_DIR,
    lock_timeout_s: float = 60.0,
) -> list[str]:
    """Apply every pending migration; return the versions applied by this call (often none).

    Safe to call from several processes at once and any number of times.
    """
    migrations = discover(migrations_dir)
    conn = await connect(conninfo, autocommit=True)
    try:
        await _acquire_lock(conn, lock_timeout_s)
        try:
            return await _apply_pending(conn, migrations)
        finally:
            await conn.execute("select pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    finally:
        await conn.close()


async def applied_versions(conn: Conn) -> dict[str, str]:
    """version -> checksum of what is recorded in `schema_migrations` (empty if none yet)."""
    cur = await conn.execute("select to_regclass('schema_migrations') is not null")
    row = await cur.fetchone()
    if row is None or not row[0]:
        return {}
    cur = await conn.execute("select version, checksum from schema_migrations order by version")
    return {version: checksum for version, checksum in await cur.fetchall()}


async def _acquire_lock(conn: Conn, lock_timeout_s: float) -> None:
    timeout_ms = max(1, int(lock_timeout_s * 1000))
    await conn.execute(sql.SQL("set lock_timeout = {}").format(sql.Literal(f"{timeout_ms}ms")))
    try:
        await conn.execute("select pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    except psycopg.errors.LockNotAvailable as exc:
        raise DependencyFailed(
            f"Another process has been migrating the database for over {lock_timeout_s:g}s; "
            "check for a stuck `learnflow db migrate` or app start-up",
            dependency="postgresql",
        ) from exc
    finally:
        await conn.execute("reset lock_timeout")


async def _apply_pending(conn: Conn, migrations: list[Migration]) -> list[str]:
    await conn.execute(_CREATE_TABLE)
    applied = await applied_versions(conn)
    known = {m.version for m in migrations}
    for version, checksum in applied.items():
        if version not in known:
            continue  # applied by a newer LearnFlow; an older one may still run against it
        migration = next(m for m in migrations if m.version == version)
        if migration.checksum != checksum:
            raise ConfigurationError(
                f"Migration {migration.path.name} changed after it was applied (checksum "
                "mismatch). Applied migrations are immutable: revert the edit and add a new "
                "migration file instead"
            )
    done: list[str] = []
    for migration in migrations:
        if migration.version in applied:
            continue
        try:
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "insert into schema_migrations (version, name, checksum) values (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
        except psycopg.Error as exc:
            raise DependencyFailed(
                f"Migration {migration.path.name} failed and was rolled back: {exc}",
                dependency="postgresql",
                migration=migration.version,
            ) from exc
        done.append(migration.version)
    return done
