"""The web app's own defences (issue 11, low findings): the probe found a CSP that allowed
'unsafe-inline' scripts, an origin check that trusted X-Forwarded-Host, and a login page that
showed any text given in `?error=`. Against the web app of the shared test stack (its BFF reaches
triage through its own Dapr sidecar)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.integration.harness import Mesh
from tests.security.helpers import person

pytestmark = pytest.mark.integration

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)


def _script_src(policy: str) -> list[str]:
    for directive in policy.split(";"):
        name, *values = directive.split()
        if name == "script-src":
            return values
    raise AssertionError(f"no script-src in {policy!r}")


async def test_scripts_run_only_with_this_responses_nonce(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    first = await http.get(f"{mesh.app_url('frontend')}/login")
    second = await http.get(f"{mesh.app_url('frontend')}/login")
    assert first.status_code == 200

    sources = _script_src(first.headers["content-security-policy"])
    assert "'unsafe-inline'" not in sources
    assert "'unsafe-eval'" not in sources
    nonces = [s for s in sources if s.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0][len("'nonce-") : -1]
    assert nonce not in second.headers["content-security-policy"]  # fresh for every response

    tags = SCRIPT_TAG.findall(first.text)
    assert tags, "the login page has no script at all?"
    assert all(f'nonce="{nonce}"' in attributes for attributes in tags), tags


async def test_a_forged_x_forwarded_host_does_not_pass_the_origin_check(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    """A cross-site form post from evil.example, claiming to be for evil.example's host."""
    someone = person(mesh)
    answer = await http.post(
        f"{mesh.app_url('frontend')}/api/auth/login",
        json={"email": someone.email, "password": someone.password},
        headers={"origin": "https://evil.example", "x-forwarded-host": "evil.example"},
    )
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "cross_site_request"
    assert "lf_session" not in answer.headers.get("set-cookie", "")


async def test_the_login_page_shows_only_its_own_error_texts(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    planted = "Your account is locked: call +1 555 0100 to unlock it"
    page = await http.get(f"{mesh.app_url('frontend')}/login", params={"error": planted})
    assert page.status_code == 200
    assert "call +1 555 0100" not in page.text
    assert "Could not log you in" in page.text

    known = await http.get(
        f"{mesh.app_url('frontend')}/login", params={"error": "wrong_credentials"}
    )
    assert "Wrong email or password." in known.text


async def test_a_failed_form_login_redirects_with_a_code_not_a_text(
    mesh: Mesh, http: httpx.AsyncClient
) -> None:
    web = mesh.app_url("frontend")
    answer = await http.post(
        f"{web}/api/auth/login",
        data={"email": "nobody@sec.test.learnflow.dev", "password": "wrong"},
        headers={"origin": web},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?error=wrong_credentials"
