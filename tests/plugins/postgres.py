"""A real, throwaway PostgreSQL for every test that needs one (a plugin registered once in
tests/conftest.py, so tests/learnflow/db, the outbox, the mesh and the in-process apps share one
cluster without importing fixtures from each other's conftest).

Fixtures: `pg_cluster` (session), `template_db` (session: the migrated schema), `db_url` (a fresh
database from the template per test), `empty_db` (a fresh empty one) and `conn` (a connection to
`db_url`'s database).

One cluster per test session, from the OS package's binaries (`LEARNFLOW_PG_BIN`, default
/usr/lib/postgresql/15/bin): `initdb -A scram-sha-256` with a generated password, a Unix socket
in the cluster's temporary directory, TCP on 127.0.0.1 at a free port, `pg_ctl -w start`; stopped
and deleted in `finally`, whatever happens. Tests connect over TCP with the password.

Running as root: initdb and postgres refuse to run as root. Then the server runs under the
unprivileged `postgres` account the OS package created for exactly this (or `nobody` when there
is none), through `runuser -u <account> --`, and the temporary directory is made in /tmp (not
pytest's per-user basetemp, which is private to root) and handed to that account. No account is
created and nothing outside the temporary directory is touched. As any other user, the binaries
run as that user.

Each test gets its own database, created from a template that holds the migrated schema, so
tests may commit freely and never see each other's rows.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
import pytest_asyncio
from psycopg import sql

from learnflow.db.migrate import migrate
from tests.learnflow.db.factories import PgCluster

PG_BIN = Path(os.environ.get("LEARNFLOW_PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVER_ACCOUNTS = ("postgres", "nobody")  # used only when the tests run as root
SUPERUSER = "learnflow"
TEMPLATE_DB = "learnflow_template"


def _server_account() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in SERVER_ACCOUNTS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    pytest.fail(
        f"Running as root and none of the accounts {SERVER_ACCOUNTS} exists to run postgres"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run(cmd: list[str], account: pwd.struct_passwd | None, cwd: Path) -> None:
    prefix = ["runuser", "-u", account.pw_name, "--"] if account else []
    result = subprocess.run(
        prefix + cmd, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{Path(cmd[0]).name} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN}; set LEARNFLOW_PG_BIN")
    account = _server_account()
    base = Path(tempfile.mkdtemp(prefix="lf-pg-"))
    data = base / "data"
    started = False
    try:
        if account is not None:
            os.chown(base, account.pw_uid, account.pw_gid)
        password = secrets.token_urlsafe(24)
        pwfile = base / "pwfile"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        if account is not None:
            os.chown(pwfile, account.pw_uid, account.pw_gid)
        _run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-A",
                "scram-sha-256",
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
            account,
            base,
        )
        pwfile.unlink()
        last_error: RuntimeError | None = None
        for _ in range(3):  # another process may grab the free port first: try a new one
            port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -k {base}"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                _run(
                    [
                        str(PG_BIN / "pg_ctl"),
                        "-D",
                        str(data),
                        "-l",
                        str(base / "server.log"),
                        "-w",
                        "-t",
                        "60",
                        "-o",
                        options,
                        "start",
                    ],
                    account,
                    base,
                )
            except RuntimeError as exc:
                last_error = exc
                continue
            started = True
            break
        if not started:
            log = base / "server.log"
            raise RuntimeError(
                f"PostgreSQL did not start: {last_error}\n"
                + (log.read_text() if log.exists() else "")
            )
        yield PgCluster("127.0.0.1", port, SUPERUSER, password, base)
    finally:
        if started:
            _run(
                [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                account,
                base,
            )
        shutil.rmtree(base, ignore_errors=True)


@pytest_asyncio.fixture(scope="session")
async def template_db(pg_cluster: PgCluster) -> str:
    """A database holding the migrated schema, used as the template of each test's database."""
    async with await psycopg.AsyncConnection.connect(
        pg_cluster.conninfo(), autocommit=True
    ) as admin:
        await admin.execute(sql.SQL("create database {}").format(sql.Identifier(TEMPLATE_DB)))
    await migrate(pg_cluster.conninfo(TEMPLATE_DB))
    return TEMPLATE_DB


async def _create_db(pg_cluster: PgCluster, template: str) -> str:
    name = f"t_{secrets.token_hex(6)}"
    async with await psycopg.AsyncConnection.connect(
        pg_cluster.conninfo(), autocommit=True
    ) as admin:
        await admin.execute(
            sql.SQL("create database {} template {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    return name


async def _drop_db(pg_cluster: PgCluster, name: str) -> None:
    async with await psycopg.AsyncConnection.connect(
        pg_cluster.conninfo(), autocommit=True
    ) as admin:
        await admin.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


@pytest_asyncio.fixture
async def empty_db(pg_cluster: PgCluster) -> AsyncIterator[str]:
    """Conninfo of a new, empty database (for migration tests)."""
    name = await _create_db(pg_cluster, "template0")
    try:
        yield pg_cluster.conninfo(name)
    finally:
        await _drop_db(pg_cluster, name)


@pytest_asyncio.fixture
async def db_url(pg_cluster: PgCluster, template_db: str) -> AsyncIterator[str]:
    """Conninfo of a new database with the current schema, dropped after the test."""
    name = await _create_db(pg_cluster, template_db)
    try:
        yield pg_cluster.conninfo(name)
    finally:
        await _drop_db(pg_cluster, name)


@pytest_asyncio.fixture
async def conn(db_url: str) -> AsyncIterator[psycopg.AsyncConnection[object]]:
    """A connection to the test's database; the test commits or not as it likes."""
    connection = await psycopg.AsyncConnection.connect(db_url)
    try:
        yield connection
    finally:
        await connection.close()
