"""SandboxSettings: defaults from issue 3 and the LEARNFLOW_SANDBOX_ environment."""

from __future__ import annotations

import pytest

from code_runner.config import SandboxSettings


def test_defaults() -> None:
    settings = SandboxSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.backend == "bwrap"
    assert settings.wall_s == 5.0
    assert settings.memory_mb == 50
    assert settings.memory_bytes == 50 * 1024 * 1024
    assert settings.max_output_bytes == 64 * 1024
    assert settings.max_code_bytes == 64 * 1024
    assert settings.pool_size == settings.concurrency


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNFLOW_SANDBOX_BACKEND", "docker")
    monkeypatch.setenv("LEARNFLOW_SANDBOX_MEMORY_MB", "128")
    monkeypatch.setenv("LEARNFLOW_SANDBOX_WARM_POOL", "0")
    settings = SandboxSettings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.backend, settings.memory_mb, settings.pool_size) == ("docker", 128, 0)


def test_nonsense_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNFLOW_SANDBOX_BACKEND", "none")
    with pytest.raises(ValueError, match="backend"):
        SandboxSettings(_env_file=None)  # type: ignore[call-arg]
