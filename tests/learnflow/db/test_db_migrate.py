"""Migrations against a real PostgreSQL: order, idempotence, concurrency, immutability."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from learnflow.db.migrate import MIGRATION_LOCK_KEY, MIGRATIONS_DIR, discover, migrate
from learnflow.db.migrations import migrate_sync
from learnflow.errors import ConfigurationError, DependencyFailed
from tests.learnflow.db.factories import PgCluster

ALL_VERSIONS = [m.version for m in discover()]
EXPECTED_TABLES = {
    "users",
    "classes",
    "enrollments",
    "conversations",
    "messages",
    "progress",
    "code_submissions",
    "code_reviews",
    "exercise_attempts",
    "quiz_attempts",
    "struggle_alerts",
    "debriefs",
    "processed_events",
    "exercises_custom",
    "assignments",
    "ops_alerts",  # 0006: learnflow.workflows
    "exercise_publications",
    "exercise_index",
    "struggle_states",  # 0007: the debrief app's progress consumer
    "event_outbox",  # every app's outbox since 0010 (app_id, seq)
    "code_drafts",  # 0008: the learning loop (chat history, drafts, notifications, trend)
    "notifications",
    "progress_history",
    "demo_histories",
    "rate_buckets",  # 0009: abuse limits and token revocation (triage)
    "work_leases",
    "login_failures",
    "revoked_tokens",
    "class_admissions",  # 0011: enrollment (join codes, caps, class figures)
    "class_figures",
    "exams",  # 0012: timed exams (attempts and per-item results)
    "exam_attempts",
    "exam_item_results",
    "session_live",  # 0013: live sessions (learnflow.workflows.live)
    "dead_letters",  # 0014: the dead-letter watcher (debrief)
    "schema_migrations",
}


async def _tables(conninfo: str) -> set[str]:
    async with await psycopg.AsyncConnection.connect(conninfo) as conn:
        cur = await conn.execute(
            "select table_name from information_schema.tables where table_schema = 'public'"
        )
        return {name for (name,) in await cur.fetchall()}


async def _recorded(conninfo: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(conninfo) as conn:
        cur = await conn.execute("select version from schema_migrations order by version")
        return [v for (v,) in await cur.fetchall()]


def test_migration_files_are_numbered_without_gaps() -> None:
    expected = [f"{n:04d}" for n in range(1, int(ALL_VERSIONS[-1]) + 1)]
    assert expected == ALL_VERSIONS


async def test_migrate_creates_the_schema_and_records_each_version(empty_db: str) -> None:
    applied = await migrate(empty_db)

    assert applied == ALL_VERSIONS
    assert await _tables(empty_db) == EXPECTED_TABLES
    assert await _recorded(empty_db) == ALL_VERSIONS


async def test_the_owner_of_the_database_can_migrate_without_superuser(
    pg_cluster: PgCluster,
) -> None:
    """The stack migrates as an ordinary role that owns the database (PostgreSQL 15 no longer
    lets every role create tables in `public`): nothing in the migrations may need more."""
    role, database, password = "lf_app_test", "lf_owned_test", "app-password-for-tests"
    async with await psycopg.AsyncConnection.connect(
        pg_cluster.conninfo(), autocommit=True
    ) as admin:
        await admin.execute(
            sql.SQL("create role {} login password {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
        await admin.execute(
            sql.SQL("create database {} owner {}").format(
                sql.Identifier(database), sql.Identifier(role)
            )
        )
    try:
        conninfo = f"host={pg_cluster.host} port={pg_cluster.port} dbname={database}"
        conninfo += f" user={role} password={password}"
        assert await migrate(conninfo) == ALL_VERSIONS
    finally:
        async with await psycopg.AsyncConnection.connect(
            pg_cluster.conninfo(), autocommit=True
        ) as admin:
            await admin.execute(
                sql.SQL("drop database {} with (force)").format(sql.Identifier(database))
            )
            await admin.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def test_migrate_sync_for_the_stack_supervisor(empty_db: str) -> None:
    assert migrate_sync(empty_db) == ALL_VERSIONS
    assert migrate_sync(empty_db) == []


async def test_migrating_twice_is_a_no_op(empty_db: str) -> None:
    await migrate(empty_db)
    async with await psycopg.AsyncConnection.connect(empty_db) as conn:
        cur = await conn.execute("select version, applied_at from schema_migrations")
        before = await cur.fetchall()

    assert await migrate(empty_db) == []

    async with await psycopg.AsyncConnection.connect(empty_db) as conn:
        cur = await conn.execute("select version, applied_at from schema_migrations")
        assert await cur.fetchall() == before


async def test_concurrent_migrators_apply_each_migration_once(empty_db: str) -> None:
    results = await asyncio.gather(*(migrate(empty_db) for _ in range(6)))

    applied = sorted(v for result in results for v in result)
    assert applied == ALL_VERSIONS  # every version exactly once, across all callers
    assert await _recorded(empty_db) == ALL_VERSIONS


def test_two_processes_starting_at_once_both_succeed(empty_db: str) -> None:
    script = (
        "import asyncio, json, sys\n"
        "from learnflow.db.migrate import migrate\n"
        "print(json.dumps(asyncio.run(migrate(sys.argv[1]))))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, empty_db],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err
            outputs.append(out.strip())
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert sorted(outputs) == sorted(["[]", '["' + '", "'.join(ALL_VERSIONS) + '"]'])


async def test_a_held_lock_makes_migrate_wait_then_give_up_clearly(empty_db: str) -> None:
    async with await psycopg.AsyncConnection.connect(empty_db, autocommit=True) as holder:
        await holder.execute("select pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        with pytest.raises(DependencyFailed, match="Another process has been migrating"):
            await migrate(empty_db, lock_timeout_s=0.3)
    assert await migrate(empty_db) == ALL_VERSIONS  # the lock is free again: it proceeds


def _copy_migrations(tmp_path: Path) -> Path:
    target = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, target)
    return target


async def test_an_applied_migration_must_not_change(empty_db: str, tmp_path: Path) -> None:
    migrations = _copy_migrations(tmp_path)
    await migrate(empty_db, migrations_dir=migrations)
    first = sorted(migrations.glob("0001_*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited after release\n")

    with pytest.raises(ConfigurationError, match="changed after it was applied"):
        await migrate(empty_db, migrations_dir=migrations)


async def test_a_failing_migration_is_rolled_back_and_reported(
    empty_db: str, tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_ok.sql").write_text("create table ok_table (id int);")
    (migrations / "0002_broken.sql").write_text("create table half_done (id int);\nselect 1 / 0;\n")

    with pytest.raises(DependencyFailed, match=r"0002_broken\.sql failed and was rolled back"):
        await migrate(empty_db, migrations_dir=migrations)

    assert await _recorded(empty_db) == ["0001"]
    assert await _tables(empty_db) == {"ok_table", "schema_migrations"}


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("1_short.sql", "misnamed"),
        ("0001-dash.sql", "misnamed"),
        ("0001_Upper.sql", "misnamed"),
    ],
)
def test_misnamed_migration_files_are_rejected(tmp_path: Path, filename: str, message: str) -> None:
    (tmp_path / filename).write_text("select 1;")
    with pytest.raises(ConfigurationError, match=message):
        discover(tmp_path)


def test_duplicate_versions_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("select 1;")
    (tmp_path / "0001_b.sql").write_text("select 1;")
    with pytest.raises(ConfigurationError, match="share version 0001"):
        discover(tmp_path)
