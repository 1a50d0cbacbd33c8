"""`POST /auth/login` and the demo class seeded at start-up."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import httpx
import pytest

from learnflow.auth.tokens import verify_token
from learnflow.db.models import Role
from tests.agents.triage.harness import Mesh, read_logins, triage_settings
from triage_agent.identity import DEMO_LOGINS_FILE
from triage_agent.main import create_app

DEMO_EMAILS = {"rodriguez@learnflow.dev", "maya@learnflow.dev", "james@learnflow.dev"}


async def test_start_up_seeds_the_demo_class_and_writes_the_logins_privately(mesh: Mesh) -> None:
    path = mesh.run_dir / DEMO_LOGINS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    logins = mesh.logins()
    assert set(logins) == DEMO_EMAILS
    assert all(len(password) >= 12 for password in logins.values())


async def test_the_log_names_the_file_never_a_password(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(triage_settings(db_url, tmp_path), workflows=False)
    with caplog.at_level(logging.INFO, logger="triage.identity"):
        async with app.router.lifespan_context(app):
            pass
    text = caplog.text
    assert str(tmp_path / DEMO_LOGINS_FILE) in text
    assert not any(password in text for password in read_logins(tmp_path).values())

    caplog.clear()
    before = (tmp_path / DEMO_LOGINS_FILE).read_text()
    again = create_app(triage_settings(db_url, tmp_path), workflows=False)
    with caplog.at_level(logging.INFO, logger="triage.identity"):
        async with again.router.lifespan_context(again):
            pass
    assert "is present" in caplog.text  # seeding again creates nothing...
    assert (tmp_path / DEMO_LOGINS_FILE).read_text() == before  # ...and keeps the file


async def test_login_gives_a_token_with_the_role(mesh: Mesh) -> None:
    response = await mesh.client.post(
        "/auth/login",
        json={"email": "Maya@LearnFlow.dev ", "password": mesh.logins()["maya@learnflow.dev"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["role"] == "student"
    principal = verify_token(body["access_token"], settings=mesh.triage.state.settings)
    assert str(principal.user_id) == body["user_id"] and principal.role is Role.STUDENT

    me = await mesh.client.get(
        "/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["display_name"] == "Maya"


@pytest.mark.parametrize(
    ("email", "password"),
    [("maya@learnflow.dev", "wrong password"), ("nobody@learnflow.dev", "whatever1")],
    ids=["wrong-password", "unknown-email"],
)
async def test_wrong_credentials_get_the_same_401(mesh: Mesh, email: str, password: str) -> None:
    response = await mesh.client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 401
    assert response.json()["message"] == "Wrong email or password"


async def test_with_a_configured_demo_password_no_password_is_written(
    db_url: str, tmp_path: Path
) -> None:
    app = create_app(
        triage_settings(db_url, tmp_path, demo_password="demo-password-1"), workflows=False
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(
                "/auth/login",
                json={"email": "james@learnflow.dev", "password": "demo-password-1"},
            )
    assert response.status_code == 200
    assert not (tmp_path / DEMO_LOGINS_FILE).exists()


async def test_when_the_logins_cannot_be_written_nothing_is_seeded(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    app = create_app(triage_settings(db_url, blocker / "run"), workflows=False)
    with caplog.at_level(logging.WARNING, logger="triage.identity"):
        async with app.router.lifespan_context(app), app.state.pool.connection() as conn:
            cur = await conn.execute("select count(*) from users")
            assert await cur.fetchone() == (0,)
    assert "LEARNFLOW_DEMO_PASSWORD" in caplog.text
