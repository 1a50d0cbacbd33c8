"""Identity against the database: login, demo seeding, and the `user`/`db` CLI commands.

(These live with the database tests because they need the real PostgreSQL fixture.)
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json

import psycopg
import pytest
from argon2 import PasswordHasher

from learnflow.auth import seed
from learnflow.auth.login import WRONG_CREDENTIALS, authenticate, login
from learnflow.auth.passwords import hash_password, needs_rehash, verify_password
from learnflow.cli.commands import users as users_cli
from learnflow.db.migrate import discover
from learnflow.db.models import Role
from learnflow.db.repos import classes, users
from learnflow.errors import ConfigurationError, Conflict, InvalidInput, NotAuthenticated
from learnflow.settings import Settings

SECRET = "test-secret-long-enough-even-for-hs512-" + "0123456789" * 3


def _settings(**values: object) -> Settings:
    """The tests' settings, whatever the environment says (no demo password: random ones)."""
    defaults: dict[str, object] = {"jwt_secret": SECRET, "demo_password": None}
    return Settings(_env_file=None, **(defaults | values))  # type: ignore[arg-type]


# --- login --------------------------------------------------------------------------------------


async def test_login_with_the_right_password_issues_a_token(
    conn: psycopg.AsyncConnection,
) -> None:
    maya = await users.create_user(
        conn,
        email="maya@example.org",
        display_name="Maya",
        role=Role.STUDENT,
        password_hash=hash_password("for-loops-rock"),
    )
    issued = await login(
        conn, email=" MAYA@example.org", password="for-loops-rock", settings=_settings()
    )
    assert issued.principal.user_id == maya.id
    assert issued.principal.role is Role.STUDENT
    assert issued.token_type == "bearer" and issued.expires_in == 3600


@pytest.mark.parametrize(
    ("email", "password"),
    [("maya@example.org", "wrong-password"), ("nobody@example.org", "for-loops-rock")],
    ids=["wrong-password", "unknown-email"],
)
async def test_wrong_credentials_get_one_message(
    conn: psycopg.AsyncConnection, email: str, password: str
) -> None:
    await users.create_user(
        conn,
        email="maya@example.org",
        display_name="Maya",
        role=Role.STUDENT,
        password_hash=hash_password("for-loops-rock"),
    )
    with pytest.raises(NotAuthenticated) as caught:
        await authenticate(conn, email=email, password=password)
    assert caught.value.message == WRONG_CREDENTIALS


async def test_login_upgrades_a_hash_made_with_weaker_parameters(
    conn: psycopg.AsyncConnection,
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("for-loops-rock")
    assert needs_rehash(weak)
    maya = await users.create_user(
        conn, email="m@example.org", display_name="M", role=Role.STUDENT, password_hash=weak
    )
    await authenticate(conn, email="m@example.org", password="for-loops-rock")
    stored = await users.get_user(conn, user_id=maya.id)
    assert stored is not None and stored.password_hash != weak
    assert not needs_rehash(stored.password_hash)
    assert verify_password(stored.password_hash, "for-loops-rock")


# --- demo seed ----------------------------------------------------------------------------------


async def test_seeding_creates_the_demo_class_once(conn: psycopg.AsyncConnection) -> None:
    result = await seed.seed_demo(conn, settings=_settings())

    assert result.class_created
    assert [u.email for u in result.created] == [
        "rodriguez@learnflow.dev",
        "maya@learnflow.dev",
        "james@learnflow.dev",
    ]
    passwords = [u.password for u in result.created]
    assert all(passwords) and len(set(passwords)) == 3  # generated, one each
    for created in result.created:
        stored = await users.get_user(conn, user_id=created.user_id)
        assert stored is not None and created.password is not None
        assert verify_password(stored.password_hash, created.password)
        assert created.password in result.report()
    teacher = await users.get_user_by_email(conn, email="rodriguez@learnflow.dev")
    assert teacher is not None and teacher.role is Role.TEACHER
    [python101] = await classes.list_classes_for_teacher(conn, teacher_id=teacher.id)
    assert python101.name == "Python 101"
    students = await classes.list_students(conn, class_id=python101.id)
    assert [s.display_name for s in students] == ["James", "Maya"]

    again = await seed.seed_demo(conn, settings=_settings())
    assert (again.created, again.class_created, again.report()) == ([], False, "")
    assert again.class_id == result.class_id


async def test_seeding_uses_the_configured_demo_password(conn: psycopg.AsyncConnection) -> None:
    result = await seed.seed_demo(conn, settings=_settings(demo_password="demo-pass-for-tests"))
    assert [u.password for u in result.created] == [None, None, None]
    assert "demo-pass-for-tests" not in result.report()
    assert "LEARNFLOW_DEMO_PASSWORD" in result.report()
    maya = await users.get_user_by_email(conn, email="maya@learnflow.dev")
    assert maya is not None and verify_password(maya.password_hash, "demo-pass-for-tests")


async def test_concurrent_first_starts_seed_once(db_url: str) -> None:
    async def one() -> seed.SeedResult:
        async with await psycopg.AsyncConnection.connect(db_url) as connection:
            return await seed.seed_demo(connection, settings=_settings())

    results = await asyncio.gather(*(one() for _ in range(3)))
    assert sorted(len(r.created) for r in results) == [0, 0, 3]
    assert len({r.class_id for r in results}) == 1


async def test_seed_and_report_prints_new_logins_once(db_url: str) -> None:
    out = io.StringIO()
    await seed.seed_demo_and_report(db_url, settings=_settings(), out=out)
    await seed.seed_demo_and_report(db_url, settings=_settings(), out=out)
    assert out.getvalue().count("maya@learnflow.dev") == 1


# --- CLI ------------------------------------------------------------------------------------------


def _cli_settings(monkeypatch: pytest.MonkeyPatch, database_url: str | None) -> None:
    """The settings the CLI's commands read (once, at their start)."""
    settings = _settings(database_url=database_url)
    monkeypatch.setattr(users_cli, "get_settings", lambda: settings)


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    _cli_settings(monkeypatch, db_url)
    return db_url


def _cli(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="learnflow")
    users_cli.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def _stored_hash(db_url: str, email: str) -> str:
    with psycopg.connect(db_url) as sync_conn:
        row = sync_conn.execute(
            "select password_hash from users where email = %s", (email,)
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_user_add_reads_the_password_from_stdin(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    args = _cli(
        "user",
        "add",
        "--email",
        "New@Example.org",
        "--name",
        "New",
        "--role",
        "teacher",
        "--password-stdin",
    )
    assert args.func(args) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed["email"] == "new@example.org" and printed["role"] == "teacher"
    assert "password" not in printed
    assert verify_password(_stored_hash(cli_env, "new@example.org"), "a-long-enough-password")


def test_user_add_generates_and_prints_a_password_once(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _cli("user", "add", "--email", "s@example.org", "--name", "S", "--role", "student")
    assert args.func(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert verify_password(_stored_hash(cli_env, "s@example.org"), printed["password"])

    with pytest.raises(Conflict, match="already exists"):
        args.func(args)


@pytest.mark.parametrize(
    ("stdin", "message"),
    [("\n", "no password"), ("short\n", "at least 8 characters")],
)
def test_user_add_rejects_bad_passwords(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, stdin: str, message: str
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    args = _cli(
        "user",
        "add",
        "--email",
        "x@example.org",
        "--name",
        "X",
        "--role",
        "admin",
        "--password-stdin",
    )
    with pytest.raises(InvalidInput, match=message):
        args.func(args)


def test_user_add_rejects_unknown_roles() -> None:
    with pytest.raises(SystemExit):
        _cli("user", "add", "--email", "x@example.org", "--name", "X", "--role", "root")


def test_db_migrate_and_seed_commands(
    empty_db: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _cli_settings(monkeypatch, empty_db)
    migrate_args = _cli("db", "migrate")
    assert migrate_args.func(migrate_args) == 0
    assert json.loads(capsys.readouterr().out) == {"applied": [m.version for m in discover()]}
    assert migrate_args.func(migrate_args) == 0
    assert json.loads(capsys.readouterr().out) == {"applied": []}

    seed_args = _cli("db", "seed")
    assert seed_args.func(seed_args) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)["created"]) == 3
    assert "maya@learnflow.dev" in captured.err and "password:" in captured.err


def test_commands_say_what_to_set_without_a_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    _cli_settings(monkeypatch, None)
    args = _cli("db", "migrate")
    with pytest.raises(ConfigurationError, match="LEARNFLOW_DATABASE_URL is not set"):
        args.func(args)


def test_user_add_before_migrating_says_to_migrate(
    empty_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli_settings(monkeypatch, empty_db)
    args = _cli("user", "add", "--email", "x@example.org", "--name", "X", "--role", "student")
    with pytest.raises(ConfigurationError, match="learnflow db migrate"):
        args.func(args)
