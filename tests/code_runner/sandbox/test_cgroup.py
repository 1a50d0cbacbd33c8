"""The cgroup v2 helper's file protocol, against a directory laid out like a cgroup.

(This machine's kernel has no writable cgroup v2 memory controller, so the kernel side is not
exercised here; the runner falls back to rlimits unless LEARNFLOW_SANDBOX_CGROUP_PARENT is set.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from code_runner.sandbox.base import SandboxUnavailable
from code_runner.sandbox.cgroup import CgroupParent


def fake_cgroup(path: Path, controllers: str = "cpu memory pids") -> Path:
    path.mkdir(exist_ok=True)
    (path / "cgroup.controllers").write_text(controllers + "\n")
    (path / "cgroup.subtree_control").write_text("")
    return path


def test_check_enables_memory_and_pids_for_children(tmp_path: Path) -> None:
    parent = fake_cgroup(tmp_path / "sandboxes")
    CgroupParent(parent).check()
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids"


def test_check_explains_a_missing_controller(tmp_path: Path) -> None:
    parent = fake_cgroup(tmp_path / "sandboxes", controllers="cpu")
    with pytest.raises(SandboxUnavailable, match="lacks the memory and pids controller"):
        CgroupParent(parent).check()


def test_check_refuses_a_directory_that_is_not_a_cgroup(tmp_path: Path) -> None:
    with pytest.raises(SandboxUnavailable, match="is not a cgroup v2 directory"):
        CgroupParent(tmp_path).check()


def test_a_run_cgroup_gets_its_limits_and_reports_oom(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = fake_cgroup(tmp_path / "sandboxes")

    real_mkdir = Path.mkdir

    def mkdir_with_files(self: Path, *args: object, **kwargs: object) -> None:
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]
        for name in ("cgroup.procs", "memory.max", "memory.swap.max", "pids.max"):
            (self / name).write_text("")

    monkeypatch.setattr(Path, "mkdir", mkdir_with_files)
    group = CgroupParent(parent).create(memory_bytes=50 * 2**20, max_pids=32)
    assert (group.path / "memory.max").read_text() == str(50 * 2**20)
    assert (group.path / "memory.swap.max").read_text() == "0"
    assert (group.path / "pids.max").read_text() == "32"
    assert not group.oom_killed()
    (group.path / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert group.oom_killed()
    for name in ("cgroup.procs", "memory.max", "memory.swap.max", "pids.max", "memory.events"):
        (group.path / name).unlink()
    group.destroy()
    assert not group.path.exists()
