"""gateway/kong.yaml and its Kubernetes twin (k8s/gateway/)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import jwt as pyjwt
import pytest
import yaml
from pydantic import SecretStr

from learnflow.auth.tokens import ALGORITHM, issue_token
from learnflow.db.models import Role
from learnflow.settings import Settings
from tests.deploy import gateway_checks as checks
from tests.deploy.compose_checks import shares_a_network
from tests.deploy.deploy_common import REPO_ROOT, Doc, apps, k8s_docs

KONG_FILE = REPO_ROOT / "gateway" / "kong.yaml"


@pytest.fixture(scope="module")
def kong() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(KONG_FILE.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def docs() -> list[Doc]:
    return [doc for _, doc in k8s_docs()]


def _route(config: dict[str, Any], name: str) -> dict[str, Any]:
    for _, route in checks.routes(config):
        if route["name"] == name:
            return route
    raise AssertionError(name)


def test_kong_config_is_valid_and_protected(kong: dict[str, Any]) -> None:
    assert not checks.check_kong(kong, apps())


def test_kong_reaches_only_triage_on_a_network_it_shares(kong: dict[str, Any]) -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yaml").read_text(encoding="utf-8"))
    for service in kong["services"]:
        app, how = checks.upstream_app(service["url"], apps())
        assert app is not None and app.app_id == "triage", service["url"]
        assert how == "direct"  # its public routes; see gateway/kong.yaml's header
        assert shares_a_network(compose, "kong", app.app_id)


def test_upstream_check_understands_both_ways_in() -> None:
    via_sidecar = "http://triage:3500/v1.0/invoke/tutor/method/x"
    assert checks.upstream_app(via_sidecar, apps())[0] == apps()["tutor"]
    assert checks.upstream_app("http://triage:3500/v1.0/state/x", apps())[0] is None
    assert checks.upstream_app("http://triage:9999", apps())[0] is None


def test_kong_and_kubernetes_gateways_agree(kong: dict[str, Any], docs: list[Doc]) -> None:
    assert not checks.check_parity(kong, docs)


def test_kong_check_catches_missing_protection(kong: dict[str, Any]) -> None:
    broken = copy.deepcopy(kong)
    api = _route(broken, "api")
    api["plugins"] = [p for p in api["plugins"] if p["name"] != "jwt"]
    broken["plugins"] = [p for p in broken["plugins"] if p["name"] != "request-size-limiting"]
    broken["services"][0]["url"] = "http://tutoring:8001/auth/login"
    problems = "\n".join(checks.check_kong(broken, apps()))
    assert "route api: needs jwt" in problems
    assert "request-size-limiting" in problems
    assert "'tutoring' is not an app id" in problems


def test_kong_check_catches_schema_errors(kong: dict[str, Any]) -> None:
    broken = copy.deepcopy(kong)
    broken["_format_version"] = "1.1"
    _route(broken, "api")["plugins"][0]["config"]["claims"] = ["exp"]
    problems = "\n".join(checks.check_kong(broken, apps()))
    assert "_format_version" in problems
    assert "'claims' was unexpected" in problems


def test_kong_check_rejects_a_literal_jwt_secret(kong: dict[str, Any]) -> None:
    broken = copy.deepcopy(kong)
    broken["consumers"][0]["jwt_secrets"][0]["secret"] = "hunter2"
    assert "placeholder" in "\n".join(checks.check_kong(broken, apps()))


def test_parity_check_notices_drift(kong: dict[str, Any], docs: list[Doc]) -> None:
    broken = copy.deepcopy(docs)
    for doc in broken:
        if doc["kind"] == "KongPlugin" and doc["metadata"]["name"] == "learnflow-rate-limit":
            doc["config"]["minute"] = 1000
    problems = "\n".join(checks.check_parity(kong, broken))
    assert "plugin rate-limiting differs" in problems


def test_kong_can_match_the_tokens_triage_issues(kong: dict[str, Any]) -> None:
    settings = Settings(jwt_secret=SecretStr("x" * 48))
    token = issue_token(user_id=uuid.uuid4(), role=Role.STUDENT, settings=settings)
    claims = pyjwt.decode(token, options={"verify_signature": False})
    header = pyjwt.get_unverified_header(token)
    plugin = _route(kong, "api")["plugins"][0]
    assert plugin["name"] == "jwt"
    claim = plugin["config"]["key_claim_name"]
    keys = {s["key"]: s for c in kong["consumers"] for s in c["jwt_secrets"]}
    assert header["alg"] == ALGORITHM
    assert claims["exp"] - claims["iat"] <= plugin["config"]["maximum_expiration"]
    key = claims.get(claim, header.get(claim))
    assert key in keys, f"tokens carry no {claim!r} naming a Kong credential ({sorted(keys)})"
    assert keys[key]["algorithm"] == ALGORITHM
