"""`learnflow workflows ...`: parsing, and which daprd and token it talks to (no daprd here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from learnflow.cli import main as cli
from learnflow.cli.commands import workflows
from learnflow.mesh import services
from learnflow.mesh.topology import topology
from learnflow.settings import Settings
from learnflow.workflows.client import Instance


def test_every_action_parses() -> None:
    parser = cli.build_parser()

    listed = parser.parse_args(["workflows", "list", "--status", "failed", "--kind", "session"])
    inspected = parser.parse_args(["workflows", "inspect", "session-s1", "--history"])
    purged = parser.parse_args(["workflows", "purge", "--finished", "--kind", "publish"])

    assert (listed.status, listed.kind, listed.func) == ("failed", "session", workflows._list)
    assert inspected.history and inspected.instance_id == "session-s1"
    assert purged.finished and purged.instance_id is None
    with pytest.raises(SystemExit):
        parser.parse_args(["workflows", "purge"])  # an id or --finished


def test_it_targets_triages_daprd_with_the_stacks_token(tmp_path: Path) -> None:
    settings = Settings(run_dir=tmp_path, port_offset=1000)
    run_secrets = services.RunSecrets.load_or_create(tmp_path)

    target = workflows._target(settings)

    assert target.grpc_port == topology(settings).app("triage").dapr_grpc_port
    assert target.api_token == run_secrets.dapr_token("triage")


def test_list_prints_one_line_per_instance(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    found = [
        Instance("session-a", "session", "FAILED", None, None, {"phase": "failed"}, None, "boom"),
        Instance(
            "publish-x", "publish_exercise", "COMPLETED", None, None, {"step": "ready"}, {}, None
        ),
    ]
    seen: dict[str, Any] = {}

    class FakeAdmin:
        def __init__(self, target: Any) -> None:
            seen["target"] = target

        def __enter__(self) -> FakeAdmin:
            return self

        def __exit__(self, *_: object) -> None:
            return None

        def list_instances(self, **filters: Any) -> list[Instance]:
            seen["filters"] = filters
            return found

    monkeypatch.setattr(workflows, "WorkflowAdmin", FakeAdmin)

    assert cli.main(["workflows", "list", "--status", "failed"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["session-a", "session", "FAILED", "failed"]
    assert "failure: boom" in lines[1]
    assert seen["filters"] == {"status": "failed", "prefix": None}
