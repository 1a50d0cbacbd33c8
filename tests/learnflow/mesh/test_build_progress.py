"""The toolchain's progress lines, fed a fake build's output (no real Go, Maven or npm)."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from learnflow.errors import SetupError
from learnflow.mesh.build_progress import BuildReporter, format_duration, run_reported
from learnflow.mesh.toolchain import go_build_reported


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _reporter(said: list[str], clock: FakeClock, every: float = 15.0) -> BuildReporter:
    return BuildReporter("dapr 1.18.2", said.append, every=every, clock=clock)


def test_durations_read_in_seconds_then_minutes() -> None:
    assert format_duration(4.4) == "4 s"
    assert format_duration(59.4) == "59 s"
    assert format_duration(372) == "6 min 12 s"
    assert format_duration(60) == "1 min 00 s"


def test_a_step_is_announced_with_its_package_count() -> None:
    said: list[str] = []
    clock = FakeClock()
    reporter = _reporter(said, clock)
    clock.now += 20
    reporter.begin("compiling daprd", packages=1630, compiling=True)
    assert said == ["dapr 1.18.2 [20 s] compiling daprd (1630 packages at most)"]


def test_compiled_packages_are_counted_and_reported_every_15_s() -> None:
    said: list[str] = []
    clock = FakeClock()
    reporter = _reporter(said, clock)
    reporter.begin("compiling daprd", packages=4, compiling=True)
    for package in ["internal/goarch", "runtime", "github.com/dapr/kit/logger"]:
        clock.now += 5
        reporter.line(f"{package}\n")
    assert len(said) == 2  # the step, then one heartbeat at 15 s
    assert said[1] == (
        "dapr 1.18.2 [15 s] compiling daprd: package 3 of at most 4 compiled, "
        "last: github.com/dapr/kit/logger"
    )


def test_a_silent_step_still_says_something_every_15_s() -> None:
    said: list[str] = []
    clock = FakeClock()
    reporter = _reporter(said, clock)
    reporter.begin("compiling daprd", packages=4, compiling=True)
    reporter.line("runtime")
    clock.now += 14
    reporter.tick()
    assert len(said) == 1 and reporter.due_in() == pytest.approx(1)
    clock.now += 1  # the linker prints nothing for a minute
    reporter.tick()
    clock.now += 15
    reporter.tick()
    assert said[1:] == [
        "dapr 1.18.2 [15 s] compiling daprd: package 1 of at most 4 compiled, last: runtime",
        "dapr 1.18.2 [30 s] compiling daprd: package 1 of at most 4 compiled, last: runtime",
    ]


def test_module_downloads_are_counted_apart_from_other_output() -> None:
    said: list[str] = []
    clock = FakeClock()
    reporter = _reporter(said, clock, every=0)
    reporter.begin("downloading Go modules and listing packages")
    reporter.line("go: downloading github.com/dapr/kit v0.16.1")
    reporter.line("go: downloading google.golang.org/grpc v1.72.0")
    reporter.line("github.com/dapr/dapr/cmd/daprd")  # go list's stdout: not a compiled package
    assert said[-1] == (
        "dapr 1.18.2 [0 s] downloading Go modules and listing packages: "
        "2 Go modules downloaded, last: github.com/dapr/dapr/cmd/daprd"
    )


def test_a_step_with_no_output_yet_says_so() -> None:
    said: list[str] = []
    clock = FakeClock()
    reporter = _reporter(said, clock)
    reporter.begin("resolving jars from Maven Central")
    clock.now += 15
    reporter.tick()
    assert said[-1] == "dapr 1.18.2 [15 s] resolving jars from Maven Central: no output yet"


def _fake_go(folder: Path) -> None:
    """A `go` that prints what `go list -deps` and `go build -v` print, without building."""
    script = folder / "go"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "if sys.argv[1] == 'list':\n"
        "    print('go: downloading example.com/dep v1.0.0', file=sys.stderr)\n"
        "    print('runtime\\nexample.com/dep\\nexample.com/x/cmd/x')\n"
        "elif sys.argv[1] == 'build':\n"
        "    for p in ('example.com/dep', 'example.com/x/cmd/x'):\n"
        "        print(p, file=sys.stderr, flush=True)\n"
        "    if 'fail' in sys.argv:\n"
        "        print('cmd/x/main.go:3: undefined: y', file=sys.stderr)\n"
        "        sys.exit(1)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_a_go_build_reports_package_n_of_at_most_m(tmp_path: Path) -> None:
    _fake_go(tmp_path)
    said: list[str] = []
    reporter = BuildReporter("x 1.0", said.append, every=0)
    go_build_reported(
        tmp_path,
        ["./cmd/x"],
        reporter,
        what="x",
        output=str(tmp_path / "x"),
        ldflags="-s -w",
        env={"PATH": str(tmp_path)},
        log=tmp_path / "build.log",
    )
    assert any("compiling x (3 packages at most)" in line for line in said)
    assert said[-1].endswith("package 2 of at most 3 compiled, last: example.com/x/cmd/x")
    assert (tmp_path / "build.log").read_text() == "example.com/dep\nexample.com/x/cmd/x\n"
    assert "go: downloading example.com/dep" in (tmp_path / "build.list.log").read_text()


def test_a_failed_step_raises_with_its_last_lines(tmp_path: Path) -> None:
    _fake_go(tmp_path)
    with pytest.raises(SetupError) as caught:
        run_reported(
            [str(tmp_path / "go"), "build", "fail"],
            "building x",
            BuildReporter("x 1.0", lambda _: None),
            log=tmp_path / "build.log",
        )
    assert "building x failed" in caught.value.message
    assert "undefined: y" in caught.value.message
    assert str(tmp_path / "build.log") in caught.value.message


def test_a_missing_tool_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(SetupError) as caught:
        run_reported([str(tmp_path / "mvn")], "resolving Kafka", BuildReporter("k", print))
    assert "`" + str(tmp_path / "mvn") + "` is not installed" in caught.value.message


def test_a_cmake_build_reports_ninja_steps_by_source_file() -> None:
    said: list[str] = []
    clock = FakeClock()
    reporter = BuildReporter("llama-cpp-python 0.3.36", said.append, clock=clock)
    reporter.begin("compiling llama.cpp")
    clock.now += 16
    reporter.line(
        "  [97/193] /usr/bin/g++ -DGGML_BUILD -O3 -c /tmp/pip/llama.cpp/src/llama-model.cpp\n"
    )
    assert said[-1] == (
        "llama-cpp-python 0.3.36 [16 s] compiling llama.cpp: last: step 97 of 193: llama-model.cpp"
    )
    clock.now += 16
    reporter.line("  [193/193] : && /usr/bin/g++ -shared -o libllama.so\n")
    assert said[-1].endswith("last: step 193 of 193: linking")
