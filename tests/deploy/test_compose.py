"""docker-compose.yaml: every app with its daprd, the infrastructure, Kong; checked offline."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.compose_checks import (
    check_compose,
    check_http_endpoints,
    check_sidecar_secrets,
)
from tests.deploy.deploy_common import REPO_ROOT, apps, load_docs, local_model_settings

COMPOSE_FILE = REPO_ROOT / "docker-compose.yaml"
AGENTS = "agents/Dockerfile"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return loaded


def test_compose_wires_the_whole_mesh(compose: dict[str, Any]) -> None:
    assert not check_compose(compose, apps(), REPO_ROOT)


def test_compose_mounts_the_generated_dapr_resources(compose: dict[str, Any]) -> None:
    kong = compose["services"]["kong"]
    assert any(str(v).startswith("./gateway/kong.yaml:") for v in kong["volumes"])
    assert (REPO_ROOT / "compose" / "dapr" / "config.yaml").is_file()


def test_compose_check_catches_broken_wiring(compose: dict[str, Any], tmp_path: Path) -> None:
    broken = copy.deepcopy(compose)
    services = broken["services"]
    services["tutor-dapr"]["network_mode"] = "bridge"
    services["triage-dapr"]["command"][services["triage-dapr"]["command"].index("127.0.0.1")] = (
        "0.0.0.0"
    )
    command = services["concepts-dapr"]["command"]
    command[command.index("--app-port") + 1] = "9999"
    services["code-runner"]["networks"] = ["mesh", "egress"]
    services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] = "broker"
    services["postgres"]["image"] = "postgres:latest"
    services["tutor-dapr"]["command"].remove("--enable-mtls")
    services["triage-dapr"]["volumes"] = [
        *services["triage-dapr"]["volumes"],
        "./compose/trust/tokens/tutor.jwt:/x:ro",
    ]
    del services["debrief-dapr"]
    problems = "\n".join(check_compose(broken, apps(), REPO_ROOT))
    for expected in (
        "tutor-dapr: network_mode",
        "triage-dapr: daprd's API must listen on loopback only",
        "concepts-dapr: --app-port",
        "code-runner must join internal networks only",
        "KRaft",
        "not pinned",
        "'debrief-dapr'",
        "tutor-dapr: mTLS must be on",
        "triage-dapr: must mount its own Sentry token and no other",
    ):
        assert expected in problems, expected


def _compose_dapr_docs() -> list[dict[str, Any]]:
    return [
        d for p in sorted((REPO_ROOT / "compose" / "dapr").glob("*.yaml")) for d in load_docs(p)
    ]


def test_sidecars_get_every_secret_their_components_reference(compose: dict[str, Any]) -> None:
    assert not check_sidecar_secrets(compose, _compose_dapr_docs())


def test_sidecar_secret_check_notices_a_missing_variable(compose: dict[str, Any]) -> None:
    broken = copy.deepcopy(compose)
    tutor = broken["services"]["tutor-dapr"]
    # YAML anchors share one dict between the sidecars: give tutor-dapr its own copy.
    tutor["environment"] = dict(tutor["environment"])
    del tutor["environment"]["LEARNFLOW_SECRET_DAPR_PG_CONN"]
    problems = check_sidecar_secrets(broken, _compose_dapr_docs())
    assert problems == [
        "tutor-dapr: LEARNFLOW_SECRET_DAPR_PG_CONN is not set (needed by statestore)"
    ]


def test_compose_secrets_provide_every_variable_and_trust_file(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    """`python -m learnflow.deploy.compose_secrets` makes everything the file needs."""
    from learnflow.deploy import compose_secrets

    compose_secrets.ensure(tmp_path)
    env = dict(line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines() if line)
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(LF_[A-Z_]+):\?", text))
    assert required <= set(env), required - set(env)
    sources = {
        str(v).split(":")[0]
        for service in compose["services"].values()
        for v in service.get("volumes", [])
        if str(v).startswith("./compose/trust/")
    } | {"./compose/trust/daprd.env"}
    missing = [s for s in sources if not (tmp_path / s).exists()]
    assert not missing
    anchors = (tmp_path / "compose/trust/daprd.env").read_text()
    assert anchors.startswith('DAPR_TRUST_ANCHORS="-----BEGIN CERTIFICATE-----\\n')
    assert compose_secrets.env_lines(env) == []  # a second run adds nothing


def test_the_local_model_server_is_opt_in_and_reached_by_the_agents_only(
    compose: dict[str, Any],
) -> None:
    assert not check_http_endpoints(compose, _compose_dapr_docs(), REPO_ROOT)
    endpoints = [d for d in _compose_dapr_docs() if d["kind"] == "HTTPEndpoint"]
    assert endpoints  # compose/dapr/model-endpoint.yaml


def test_http_endpoint_check_catches_an_open_or_unreachable_server(
    compose: dict[str, Any],
) -> None:
    broken = copy.deepcopy(compose)
    services = broken["services"]
    del services["model-server"]["profiles"]
    services["model-server"]["networks"] = ["mesh", "egress"]
    problems = "\n".join(check_http_endpoints(broken, _compose_dapr_docs(), REPO_ROOT))
    for expected in (
        "model-server: must be opt-in",
        "model-server must join internal networks only, not ['egress']",
        "code-runner must not reach model-server",
    ):
        assert expected in problems, expected
    cut_off = copy.deepcopy(compose)
    cut_off["services"]["tutor"]["networks"] = ["mesh", "egress"]
    assert check_http_endpoints(cut_off, _compose_dapr_docs(), REPO_ROOT) == [
        "tutor: its sidecar cannot reach model-server (no shared network)"
    ]
    endpoint = next(d for d in _compose_dapr_docs() if d["kind"] == "HTTPEndpoint")
    endpoint["spec"]["baseUrl"] = "http://model-server:9999"
    moved = "\n".join(check_http_endpoints(compose, [endpoint], REPO_ROOT))
    assert "port 9999 is not one" in moved
    endpoint["spec"]["baseUrl"] = "http://nowhere:8080"
    assert "names no service 'nowhere'" in "\n".join(
        check_http_endpoints(compose, [endpoint], REPO_ROOT)
    )


def test_the_agents_are_told_what_the_stack_tells_them_for_the_local_model(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    """The four lines docker-compose.yaml tells people to put in .env are what `learnflow up`
    with LEARNFLOW_LLM=local gives each agent, and every agent takes them from the environment."""
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    told = dict(re.findall(r"^#   (LEARNFLOW_LLM_[A-Z_]+)=(\S+)$", text, flags=re.M))
    assert told == local_model_settings(tmp_path)
    agents = [
        s for s in compose["services"].values() if s.get("build", {}).get("dockerfile") == AGENTS
    ]
    assert agents
    for service in agents:
        for key in told:
            assert str(service["environment"].get(key, "")).startswith(f"${{{key}:-"), key
