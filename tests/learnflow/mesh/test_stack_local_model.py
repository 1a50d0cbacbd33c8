"""`LEARNFLOW_LLM=local`: what the stack adds (a model server) and what the apps are told (the
model is behind their own sidecar). Pure wiring, no process started."""

from __future__ import annotations

from pathlib import Path

from learnflow.mesh import model_server
from learnflow.mesh.services import RunSecrets
from learnflow.mesh.stack import MODEL_SERVER, WATCHDOG, Stack
from learnflow.settings import Settings


def _stack(tmp_path: Path, llm: str) -> Stack:
    return Stack(Settings(run_dir=tmp_path, port_offset=3300, llm=llm), lambda _: None)


def test_the_model_server_is_part_of_the_stack_only_when_asked_for(tmp_path: Path) -> None:
    plain = _stack(tmp_path / "plain", "configured")
    local = _stack(tmp_path / "local", "local")

    assert MODEL_SERVER not in plain.names()
    assert local.names()[: len(local.infra)] == list(local.infra)
    assert MODEL_SERVER in local.infra
    assert Stack.prerequisites(MODEL_SERVER) == ()  # it needs nothing else up to load
    assert MODEL_SERVER in local._checks(RunSecrets.load_or_create(tmp_path / "local"))


def test_every_agent_reaches_the_local_model_through_its_own_sidecar(tmp_path: Path) -> None:
    stack = _stack(tmp_path, "local")
    secrets = RunSecrets.load_or_create(tmp_path)
    for spec in stack.apps:
        if spec.app_id == "frontend":
            assert "LEARNFLOW_LLM_BASE_URL" not in stack.app_env(spec, secrets)
            continue
        env = stack.app_env(spec, secrets)
        assert env["LEARNFLOW_LLM_BASE_URL"] == (
            f"http://127.0.0.1:{spec.dapr_http_port}/v1.0/invoke/llm/method/v1"
        )
        assert env["LEARNFLOW_LLM_THROUGH_SIDECAR"] == "true"
        assert env["LEARNFLOW_LLM_TOOL_CALLS"] == "false"
        assert env["LEARNFLOW_LLM_MODEL"] == model_server.SMOLLM2.alias


def test_a_plain_stack_tells_the_apps_nothing_about_a_local_model(tmp_path: Path) -> None:
    stack = _stack(tmp_path, "configured")
    secrets = RunSecrets.load_or_create(tmp_path)
    env = stack.app_env(stack.topo.app("concepts"), secrets)
    assert "LEARNFLOW_LLM_THROUGH_SIDECAR" not in env


def test_the_watchdog_keeps_the_model_server_of_a_local_stack(tmp_path: Path) -> None:
    # the watchdog builds its own Stack from this environment: it must see the model server
    assert _stack(tmp_path, "local").watchdog_env()["LEARNFLOW_LLM"] == "local"
    assert WATCHDOG not in _stack(tmp_path, "local").names()


def test_status_and_down_see_a_running_model_server_without_being_told(tmp_path: Path) -> None:
    started = _stack(tmp_path, "local")
    started.table.start(MODEL_SERVER, ["sleep", "30"], env={"PATH": "/usr/bin:/bin"})
    try:
        later = _stack(tmp_path, "configured")  # `make status` without LLM=local
        assert later.local_model and MODEL_SERVER in later.names()
    finally:
        later.down(quiet=True)
    assert started.table.get(MODEL_SERVER) is None


def test_the_server_command_queues_requests_instead_of_cutting_one_off(tmp_path: Path) -> None:
    server = model_server.ModelServer(tmp_path / "python", tmp_path / "m.gguf", "smol")
    command = model_server.server_command(server, 18089)
    assert command[command.index("--interrupt_requests") + 1] == "False"
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--model_alias") + 1] == "smol"
