"""`SandboxSettings`: how the code runner isolates learner code. Env prefix `LEARNFLOW_SANDBOX_`.

Every limit has its own status in a run's result (`timeout`, `memory_limit`, `output_limit`,
`killed`); README.md says how each one is applied and what was measured.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024


def _default_concurrency() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


class SandboxSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LEARNFLOW_SANDBOX_", env_file=".env", extra="ignore", frozen=True
    )

    # --- isolation ---------------------------------------------------------------------------
    backend: Literal["bwrap", "docker"] = Field(
        default="bwrap", description="bubblewrap namespaces on this host, or a Docker engine."
    )
    bwrap_path: str = Field(default="bwrap", description="The bubblewrap binary (name or path).")
    python: str = Field(
        default="",
        description="Interpreter run inside the bwrap sandbox; empty = the server's own base "
        "interpreter if the sandbox user can read it, else /usr/bin/python3.",
    )
    sandbox_uid: int = Field(
        default=65534,
        ge=1,
        description="Host uid (and gid) bwrap runs as when the server runs as root, so the "
        "process limit applies and learner code never maps to host root.",
    )
    seccomp: bool = Field(
        default=True, description="Load a seccomp filter (x86_64/aarch64) denying risky syscalls."
    )
    cgroup_parent: Path | None = Field(
        default=None,
        description="A delegated, writable cgroup v2 directory; each run gets a child cgroup "
        "with memory.max/pids.max for its whole process tree. Unset = per-process rlimits.",
    )
    extra_ro_binds: list[Path] = Field(
        default_factory=list, description="Extra host paths bound read-only (bwrap backend)."
    )

    # --- docker backend ----------------------------------------------------------------------
    docker_image: str = "python:3.11-slim-bookworm"
    docker_python: str = "python3"

    # --- limits ------------------------------------------------------------------------------
    wall_s: float = Field(default=5.0, gt=0, le=120, description="Default wall-clock limit.")
    max_wall_s: float = Field(
        default=10.0, gt=0, le=300, description="Upper bound for a caller's timeout_s."
    )
    cpu_s: int = Field(default=5, ge=1, le=300, description="CPU seconds per process.")
    memory_mb: int = Field(
        default=50, ge=24, le=4096, description="Memory for the learner (see README: how)."
    )
    max_processes: int = Field(default=32, ge=4, le=4096, description="Processes+threads.")
    max_output_bytes: int = Field(
        default=64 * 1024, ge=1024, description="stdout+stderr together; beyond: truncated."
    )
    max_file_bytes: int = Field(default=1 * MB, ge=1024, description="Largest file written.")
    disk_bytes: int = Field(default=8 * MB, ge=64 * 1024, description="Size of the temp dir.")
    max_open_files: int = Field(default=64, ge=16, le=4096)
    test_timeout_s: float = Field(default=2.0, gt=0, description="Per test in run_tests.")

    # --- inputs ------------------------------------------------------------------------------
    max_code_bytes: int = Field(default=64 * 1024, ge=1024, description="Code and tests, each.")
    max_stdin_bytes: int = Field(default=64 * 1024, ge=0)

    # --- throughput --------------------------------------------------------------------------
    concurrency: int = Field(default_factory=_default_concurrency, ge=1, le=256)
    queue_size: int = Field(
        default=16, ge=0, le=10_000, description="Runs waiting beyond `concurrency`; more = busy."
    )
    warm_pool: int = Field(
        default=-1,
        ge=-1,
        le=64,
        description="Sandboxes started ahead of time, waiting for code; -1 = `concurrency`.",
    )

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * MB

    @property
    def pool_size(self) -> int:
        return self.concurrency if self.warm_pool < 0 else self.warm_pool


@lru_cache(maxsize=1)
def get_sandbox_settings() -> SandboxSettings:
    return SandboxSettings()
