from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from learnflow.errors import SetupError
from learnflow.mesh import toolchain
from learnflow.mesh.cache_lock import cache_lock


def _fake_binary(path: Path) -> None:
    path.write_text("#!/bin/sh\necho 1.18.2\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_binaries_in_home_dapr_bin_are_used_as_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / ".dapr" / "bin"
    bin_dir.mkdir(parents=True)
    for name in toolchain.DAPR_BINARIES:
        _fake_binary(bin_dir / name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", "/nonexistent")

    assert toolchain.ensure_dapr(tmp_path / "cache", lambda _: None) == bin_dir


def test_no_go_and_no_daprd_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))  # neither go nor daprd

    with pytest.raises(SetupError) as caught:
        toolchain.ensure_dapr(tmp_path / "cache", lambda _: None)

    assert "Go is not installed" in caught.value.message
    assert "~/.dapr/bin" in caught.value.message


def test_a_full_disk_is_reported_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(SetupError) as caught:
        toolchain.check_disk(tmp_path, needed=10**18)
    assert "free" in caught.value.message and "MiB" in caught.value.message


def test_missing_java_for_kafka_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SetupError) as caught:
        toolchain.ensure_kafka(tmp_path / "cache", lambda _: None)
    assert "Java" in caught.value.message and "apt-get install" in caught.value.message


def test_cached_kafka_is_a_no_op(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    libs = tmp_path / "kafka" / toolchain.KAFKA_VERSION / "libs"
    libs.mkdir(parents=True)
    (libs / f"kafka_2.13-{toolchain.KAFKA_VERSION}.jar").write_bytes(b"")
    monkeypatch.setenv("PATH", str(tmp_path))  # no java, no mvn: must not be needed
    assert toolchain.ensure_kafka(tmp_path, lambda _: None) == libs
    assert os.listdir(libs) == [f"kafka_2.13-{toolchain.KAFKA_VERSION}.jar"]


def test_espeak_that_cannot_be_installed_is_reported_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # neither espeak-ng nor apt-get
    with pytest.raises(SetupError) as caught:
        toolchain.ensure_espeak(lambda _: None)
    assert "espeak-ng" in caught.value.message
    assert "apt-get install -y espeak-ng" in caught.value.message


def test_a_cached_dapr_build_is_used_in_silence_while_another_build_holds_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", "/nonexistent")  # no daprd on PATH, no go: nothing may be built
    root = toolchain.dapr_root(tmp_path / "cache")
    (root / "bin").mkdir(parents=True)
    for name in toolchain.DAPR_BINARIES:
        _fake_binary(root / "bin" / name)
    (root / "build.json").write_text("{}")
    said: list[str] = []
    found: list[Path] = []
    with cache_lock(tmp_path / "cache", "kube-apiserver 1.34.4"):  # e.g. `make test`'s kube build
        # in a thread: a regression would block on the lock, and fail here instead of hanging
        looking = threading.Thread(
            target=lambda: found.append(toolchain.ensure_dapr(tmp_path / "cache", said.append)),
            daemon=True,
        )
        looking.start()
        looking.join(timeout=10)
    assert found == [root / "bin"]
    assert said == []
