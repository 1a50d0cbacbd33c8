from __future__ import annotations

import socket
from pathlib import Path

import pytest

from learnflow.errors import SetupError
from learnflow.mesh.stack import Stack
from learnflow.settings import Settings


def test_a_taken_port_stops_up_with_one_clear_line(tmp_path: Path) -> None:
    stack = Stack(Settings(run_dir=tmp_path, port_offset=3300), lambda _: None)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", stack.topo.kafka_port))
        blocker.listen()
        with pytest.raises(SetupError) as caught:
            stack._preflight()

    message = caught.value.message
    assert f"kafka ({stack.topo.kafka_port})" in message
    assert "LEARNFLOW_PORT_OFFSET" in message
    assert "\n" not in message
    assert stack.table.recorded() == []  # nothing was started
