"""Progress lines for the toolchain's long steps (Go builds, Maven, npm), printed as they go.

A cold `make up` builds daprd & co. from Go modules for 6–13 minutes; before this module it said
nothing in between. `BuildReporter` turns a build's output into a line when a step starts and at
least one every `every` seconds after (elapsed time, Go modules downloaded, package N of at most
M compiled, what the tool printed last). It is pure — lines in, progress messages out, its clock
injected — so tests feed it a fake process's output. `run_reported` runs the real process and
feeds it.
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from learnflow.errors import SetupError

Progress = Callable[[str], None]
Clock = Callable[[], float]

HEARTBEAT_SECONDS = 15.0
# `go: downloading github.com/dapr/kit v0.16.1` (go list / go build / go mod download, on stderr)
_GO_DOWNLOAD = re.compile(r"^go: downloading (\S+) (\S+)")
# `go build -v` prints the import path of each package as it compiles it
_IMPORT_PATH = re.compile(r"^[A-Za-z0-9_.~-]+(?:/[A-Za-z0-9_.~+-]+)*$")
_LAST_CHARS = 100
# `[97/193] /usr/bin/g++ ... -c /tmp/.../llama-model.cpp` (ninja, in a CMake build via pip -v)
_NINJA_STEP = re.compile(r"^\[(\d+)/(\d+)\]\s.*?(?:\s-c\s+(\S+))?$")


def format_duration(seconds: float) -> str:
    """`45 s`, `6 min 05 s`: short enough for a progress line, exact enough to compare runs."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60:02d} s"


class BuildReporter:
    """Progress of one artifact's build, one step at a time."""

    def __init__(
        self,
        artifact: str,
        progress: Progress,
        *,
        every: float = HEARTBEAT_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.artifact = artifact
        self.progress = progress
        self.every = every
        self.clock = clock
        self.started = clock()
        self._said_at = self.started
        self.step = ""
        self.packages: int | None = None
        self.compiling = False
        self.compiled = 0
        self.downloaded = 0
        self.last = ""

    def begin(self, step: str, *, packages: int | None = None, compiling: bool = False) -> None:
        """A new step (`downloading Go modules`, `compiling`); `packages` is the most it builds."""
        self.step, self.packages, self.compiling = step, packages, compiling
        self.compiled, self.downloaded, self.last = 0, 0, ""
        total = f" ({packages} packages at most)" if packages else ""
        self._say(f"{step}{total}")

    def line(self, text: str) -> None:
        """One line of the tool's output."""
        text = text.strip()
        if not text:
            return
        download = _GO_DOWNLOAD.match(text)
        if download:
            self.downloaded += 1
            self.last = f"{download[1]} {download[2]}"
        elif ninja := _NINJA_STEP.match(text):
            source = ninja[3].rsplit("/", 1)[-1] if ninja[3] else "linking"
            self.last = f"step {ninja[1]} of {ninja[2]}: {source}"
        elif self.compiling and _IMPORT_PATH.match(text):
            self.compiled += 1
            self.last = text
        else:
            self.last = text[:_LAST_CHARS]
        self.tick()

    def tick(self) -> None:
        """Say where the step is if nothing was said for `every` seconds."""
        if self.due_in() == 0:
            self._say(self._status())

    def due_in(self) -> float:
        """Seconds until the next heartbeat is due."""
        return max(0.0, self._said_at + self.every - self.clock())

    def elapsed(self) -> float:
        return self.clock() - self.started

    def _status(self) -> str:
        parts = []
        if self.compiling:
            of = f" of at most {self.packages}" if self.packages else ""
            parts.append(f"package {self.compiled}{of} compiled")
        if self.downloaded:
            plural = "s" if self.downloaded != 1 else ""
            parts.append(f"{self.downloaded} Go module{plural} downloaded")
        parts.append(f"last: {self.last}" if self.last else "no output yet")
        return f"{self.step}: {', '.join(parts)}"

    def _say(self, message: str) -> None:
        self._said_at = self.clock()
        self.progress(f"{self.artifact} [{format_duration(self.elapsed())}] {message}")


def _pump(stream: IO[str], name: str, lines: queue.Queue[tuple[str, str | None]]) -> None:
    for text in stream:
        lines.put((name, text))
    lines.put((name, None))


def run_reported(
    cmd: list[str],
    what: str,
    reporter: BuildReporter,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> str:
    """Run `cmd`, feeding its stdout and stderr to `reporter` line by line; return its stdout.

    Like `toolchain._run`: the whole output goes to `log`, and a failure raises `SetupError`
    with the last lines of stderr.
    """
    try:
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    except FileNotFoundError as exc:
        raise SetupError(f"{what}: `{cmd[0]}` is not installed") from exc
    lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
    readers = [
        threading.Thread(target=_pump, args=(stream, name, lines), daemon=True)
        for name, stream in (("stdout", proc.stdout), ("stderr", proc.stderr))
    ]
    for reader in readers:
        reader.start()
    out: dict[str, list[str]] = {"stdout": [], "stderr": []}
    open_streams = len(readers)
    while open_streams:
        try:
            name, text = lines.get(timeout=max(reporter.due_in(), 0.05))
        except queue.Empty:
            reporter.tick()
            continue
        if text is None:
            open_streams -= 1
            continue
        out[name].append(text)
        reporter.line(text)
    returncode = proc.wait()
    stdout, stderr = "".join(out["stdout"]), "".join(out["stderr"])
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(stdout + stderr)
    if returncode != 0:
        tail = (stderr or stdout).strip().splitlines()[-3:]
        where = f" (full output: {log})" if log else ""
        raise SetupError(f"{what} failed: {' | '.join(tail)}{where}")
    return stdout
