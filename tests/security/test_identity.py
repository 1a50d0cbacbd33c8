"""Logins are throttled and tokens die with their session or their user (issue 11).

The probe tried 50 wrong passwords in 13 s with no throttling, and used a token after its user
was deleted. Each test uses fresh users (and cleans the per-address counter it raises).
"""

from __future__ import annotations

import anyio
import httpx
import pytest

from learnflow.settings import Settings
from tests.integration.harness import Mesh
from tests.security.helpers import edge, person, post

pytestmark = pytest.mark.integration


async def _login(
    http: httpx.AsyncClient, mesh: Mesh, email: str, password: str, **headers: str
) -> httpx.Response:
    return await http.post(
        edge(mesh, "auth/login"), json={"email": email, "password": password}, headers=headers
    )


ADDRESS_KEY = "address:127.0.0.1"  # the tests log in from this host, at triage's own port


def _row(mesh: Mesh, key: str) -> tuple[int, float] | None:
    """(failures, seconds of the lock the last failure set; 0: none) of a login-failure key."""
    rows = mesh.sql(
        "SELECT failures, coalesce(extract(epoch from locked_until - last_failure), 0)::float8"
        " FROM login_failures WHERE key = %s",
        key,
    )
    return (int(rows[0][0]), float(rows[0][1] or 0)) if rows else None


def _forget_address(mesh: Mesh) -> None:
    mesh.sql("DELETE FROM login_failures WHERE key = %s RETURNING key", ADDRESS_KEY)


async def test_fifty_wrong_passwords_at_once_meet_the_lockout(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    """The probe's 50 guesses in 13 s: now only the free ones (and the one that set the lock)
    have their password checked; the rest are refused unchecked with Retry-After."""
    victim = person(mesh)
    answers: list[httpx.Response] = []

    async def guess(n: int) -> None:
        answers.append(await _login(http, mesh, victim.email, f"guess-{n}"))

    try:
        async with anyio.create_task_group() as group:
            for n in range(50):
                group.start_soon(guess, n)
        free = Settings().login_free_failures_per_account
        statuses = [a.status_code for a in answers]
        assert statuses.count(401) <= free + 3, statuses  # a few more if a lock ran out
        refused = [a for a in answers if a.status_code == 429]
        assert len(refused) >= 50 - free - 3, statuses
        assert all(int(a.headers["retry-after"]) >= 1 for a in refused)
        assert "Too many failed logins" in refused[0].json()["message"]
        counted = _row(mesh, f"account:{victim.email}")
        assert counted is not None and counted[0] >= free + 1
    finally:
        _forget_address(mesh)


async def test_a_locked_account_refuses_even_the_right_password(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    someone = person(mesh)
    key = f"account:{someone.email}"
    mesh.sql(  # the state a run of failures leaves: locked for another 30 s
        "INSERT INTO login_failures (key, failures, last_failure, locked_until)"
        " VALUES (%s, 9, now(), now() + interval '30 seconds') RETURNING key",
        key,
    )
    locked = await _login(http, mesh, someone.email, someone.password)
    assert locked.status_code == 429, locked.text
    assert 20 <= int(locked.headers["retry-after"]) <= 30

    mesh.sql("UPDATE login_failures SET locked_until = now() WHERE key = %s RETURNING key", key)
    unlocked = await _login(http, mesh, someone.email, someone.password)
    assert unlocked.status_code == 200, unlocked.text
    assert _row(mesh, key) is None  # a right password clears the account's count
    _forget_address(mesh)


async def test_each_failure_past_the_free_ones_doubles_the_wait(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    someone = person(mesh)
    key = f"account:{someone.email}"
    settings = Settings()
    try:
        for n in range(settings.login_free_failures_per_account):
            assert (await _login(http, mesh, someone.email, f"w{n}")).status_code == 401
            assert _row(mesh, key) == (n + 1, 0.0)  # free: no lock yet
        waits = []
        for n in range(3):
            assert (await _login(http, mesh, someone.email, f"x{n}")).status_code == 401
            row = _row(mesh, key)
            assert row is not None
            waits.append(row[1])
            # skip the wait instead of sleeping through it
            mesh.sql(
                "UPDATE login_failures SET locked_until = now(), last_failure = now()"
                " WHERE key = %s RETURNING key",
                key,
            )
        base = settings.login_backoff_base_s
        assert waits == [base, 2 * base, 4 * base]
    finally:
        _forget_address(mesh)


async def test_guesses_at_many_accounts_from_one_address_are_throttled(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    """A forged X-Forwarded-For does not spread them over many addresses: triage believes it
    only from a configured proxy."""
    free = Settings().login_free_failures_per_address
    bystander = person(mesh)
    _forget_address(mesh)
    try:
        for n in range(free + 1):
            spoof = {"x-forwarded-for": f"198.51.100.{n}"}
            answer = await _login(
                http, mesh, f"n{n}-{bystander.id}@sec.test.learnflow.dev", "x", **spoof
            )
            assert answer.status_code == 401, answer.text
        counted = _row(mesh, ADDRESS_KEY)
        assert counted is not None and counted[0] == free + 1
        assert not mesh.sql(
            "SELECT key FROM login_failures WHERE key LIKE %s", "address:198.51.100.%"
        )
        # while the address is locked, another account's right password waits too
        mesh.sql(
            "UPDATE login_failures SET locked_until = now() + interval '30 seconds'"
            " WHERE key = %s RETURNING key",
            ADDRESS_KEY,
        )
        blocked = await _login(http, mesh, bystander.email, bystander.password)
        assert blocked.status_code == 429, blocked.text
    finally:
        _forget_address(mesh)
    assert (await _login(http, mesh, bystander.email, bystander.password)).status_code == 200


async def test_logout_revokes_the_token(mesh: Mesh, http: httpx.AsyncClient) -> None:
    someone = person(mesh)
    login = await _login(http, mesh, someone.email, someone.password)
    bearer = {"authorization": f"Bearer {login.json()['access_token']}"}
    assert (await http.get(edge(mesh, "auth/me"), headers=bearer)).status_code == 200

    out = await http.post(edge(mesh, "auth/logout"), headers=bearer)
    assert out.status_code == 204, out.text

    for answer in (
        await http.get(edge(mesh, "auth/me"), headers=bearer),
        await http.post(edge(mesh, "chat"), json={"message": "hi"}, headers=bearer),
    ):
        assert answer.status_code == 401, answer.text
        assert "revoked" in answer.json()["message"]


async def test_a_deleted_users_tokens_die_with_it(mesh: Mesh, http: httpx.AsyncClient) -> None:
    someone = person(mesh)
    assert (await post(http, mesh, "chat", someone, {"message": "hi"})).status_code == 200
    mesh.sql("DELETE FROM users WHERE id = %s RETURNING id", someone.id)

    answer = await post(http, mesh, "chat", someone, {"message": "still me?"})
    assert answer.status_code == 401, answer.text
    assert "no longer exists" in answer.json()["message"]


async def test_a_token_whose_role_changed_is_void(mesh: Mesh, http: httpx.AsyncClient) -> None:
    teacher_once = person(mesh)  # a student token, then the account becomes a teacher's
    mesh.sql("UPDATE users SET role = 'teacher' WHERE id = %s RETURNING id", teacher_once.id)
    answer = await post(http, mesh, "chat", teacher_once, {"message": "hi"})
    assert answer.status_code == 401, answer.text
