"""The Docker backend without a Docker engine: clear refusals, container options, framing.

No engine runs on these machines; what needs one (a real container) is not covered here.
"""

from __future__ import annotations

import sys
import types

import pytest

from code_runner.sandbox.base import SandboxUnavailable
from code_runner.sandbox.docker import DockerBackend, FrameReader
from tests.code_runner.probes import sandbox_settings


def test_a_missing_sdk_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "docker", None)  # import docker -> ImportError
    with pytest.raises(SandboxUnavailable, match=r"pip install 'learnflow\[docker\]'"):
        DockerBackend(sandbox_settings(backend="docker")).check()


def test_an_unreachable_engine_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class DockerException(Exception):
        pass

    def from_env(timeout: int) -> object:
        raise DockerException("Error while fetching server API version: connection refused")

    fake = types.SimpleNamespace(
        from_env=from_env,
        errors=types.SimpleNamespace(DockerException=DockerException, ImageNotFound=KeyError),
    )
    monkeypatch.setitem(sys.modules, "docker", fake)
    with pytest.raises(SandboxUnavailable, match="no Docker engine is reachable"):
        DockerBackend(sandbox_settings(backend="docker")).check()


def test_containers_are_locked_down() -> None:
    options = DockerBackend(sandbox_settings(backend="docker")).container_options()
    assert options["network_mode"] == "none"
    assert options["read_only"] is True
    assert options["cap_drop"] == ["ALL"]
    assert options["security_opt"] == ["no-new-privileges"]
    assert options["user"] == "65534:65534"
    assert options["mem_limit"] == options["memswap_limit"] == 50 * 2**20
    assert options["pids_limit"] == 32
    assert options["tmpfs"] == {"/tmp": "rw,nosuid,nodev,noexec,size=8388608,mode=1777"}
    assert options["command"][:5] == ["python3", "-I", "-B", "-X", "utf8"]
    assert "LEARNFLOW" not in str(options["environment"])


def test_frames_are_unwrapped_from_both_layers() -> None:
    def guest(channel: int, data: bytes) -> bytes:
        return bytes([channel]) + len(data).to_bytes(4, "big") + data

    def docker(stream: int, data: bytes) -> bytes:
        return bytes([stream, 0, 0, 0]) + len(data).to_bytes(4, "big") + data

    payload = guest(3, b'{"e": "ready"}\n') + guest(1, b"hi\n") + guest(2, b"oops\n")
    wire = docker(1, payload[:7]) + docker(2, b"guest stderr") + docker(1, payload[7:])
    reader = FrameReader()
    frames = []
    for i in range(0, len(wire), 5):  # arbitrary chunking
        frames += reader.feed(wire[i : i + 5])
    assert frames == [
        (0, b"guest stderr"),
        (3, b'{"e": "ready"}\n'),
        (1, b"hi\n"),
        (2, b"oops\n"),
    ]
