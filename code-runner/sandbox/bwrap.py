"""The bubblewrap backend: Linux namespaces, a read-only view of what Python needs, rlimits.

Each sandbox is `bwrap` with every namespace unshared (user, pid, net, ipc, uts, cgroup), no
capabilities, no further user namespaces, a new session, killed with its parent. Its filesystem is
an empty read-only root holding only: the interpreter, its standard library (site-packages masked
by an empty read-only tmpfs), the shared libraries they load (found with ldd), /usr/share/zoneinfo,
a fresh /proc and a minimal /dev, and one size-limited tmpfs at /tmp - the only writable place,
gone when the sandbox ends. Environment: cleared, then a handful of harmless variables.

When the server runs as root, bwrap itself runs as `sandbox_uid` (nobody): learner code then maps
to an unprivileged host user, so RLIMIT_NPROC applies and root-owned files stay root's.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import importlib.util
import json
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from code_runner.config import SandboxSettings
from code_runner.sandbox import seccomp
from code_runner.sandbox.base import (
    Limits,
    Outcome,
    SandboxFailure,
    SandboxUnavailable,
    source_of,
)
from code_runner.sandbox.cgroup import CgroupParent, RunCgroup
from code_runner.sandbox.pump import EventLines, FdPump, read_until_event

log = logging.getLogger("code_runner.sandbox")

INSIDE_UID = 1000
SHM_BYTES = 1024 * 1024
START_TIMEOUT_S = 15.0
TOP_LEVEL_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
INSTALL_HINT = "install it with `apt-get install -y bubblewrap` (Debian/Ubuntu)"


def _world_accessible(path: str) -> bool:
    """True when every directory above `path` is searchable and `path` readable by anyone."""
    current = Path(path)
    try:
        if not os.stat(current).st_mode & stat.S_IROTH:
            return False
        for parent in current.parents:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
    except OSError:
        return False
    return True


def choose_python(settings: SandboxSettings, switch_user: bool) -> str:
    """The interpreter to run inside: configured, else ours if the sandbox user can read it."""
    if settings.python:
        path = shutil.which(settings.python) or settings.python
        if not os.path.isfile(path):
            raise SandboxUnavailable(f"LEARNFLOW_SANDBOX_PYTHON={settings.python} does not exist")
        return os.path.realpath(path)
    base = getattr(sys, "_base_executable", None) or sys.executable
    candidates = [os.path.realpath(base), "/usr/bin/python3", "/usr/local/bin/python3"]
    for candidate in candidates:
        real = os.path.realpath(candidate)
        if os.path.isfile(real) and (not switch_user or _world_accessible(real)):
            return real
    raise SandboxUnavailable(
        "no Python interpreter usable inside the sandbox (tried "
        + ", ".join(candidates)
        + "); set LEARNFLOW_SANDBOX_PYTHON"
    )


@functools.cache
def _python_info(python: str) -> dict[str, str]:
    script = (
        "import json, sys, sysconfig, importlib.util; p = sysconfig.get_paths(); "
        "print(json.dumps({k: p[k] for k in ('stdlib', 'platstdlib', 'purelib', 'platlib')} "
        "| {'version': '%d.%d' % sys.version_info[:2], "
        "'magic': importlib.util.MAGIC_NUMBER.hex()}))"
    )
    try:
        done = subprocess.run(
            [python, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=30
        )
        info: dict[str, str] = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise SandboxUnavailable(f"cannot inspect the sandbox interpreter {python}: {exc}") from exc
    return info


def _shared_libraries(files: list[str]) -> set[str]:
    """Absolute paths of every library `files` load, from ldd (empty when ldd is missing)."""
    ldd = shutil.which("ldd")
    if ldd is None or not files:
        return set()
    done = subprocess.run([ldd, *files], capture_output=True, text=True, timeout=60)
    found = set()
    for line in done.stdout.splitlines():
        for word in line.replace("=>", " ").split():
            if word.startswith("/") and not word.endswith(":"):
                found.add(word)
    return found


def _minimal_dirs(paths: set[str]) -> list[str]:
    """Drop every directory that sits inside another one in the set."""
    result: list[str] = []
    for path in sorted(paths):
        if not any(path == kept or path.startswith(kept.rstrip("/") + "/") for kept in result):
            result.append(path)
    return result


def plan_filesystem(python: str, extra: list[Path]) -> list[str]:
    """The bwrap arguments that build the sandbox's read-only view of the system."""
    info = _python_info(python)
    stdlib_dirs = {os.path.realpath(info["stdlib"]), os.path.realpath(info["platstdlib"])}
    native = [python]
    for directory in stdlib_dirs:
        native += glob.glob(os.path.join(directory, "lib-dynload", "*.so"))
    libraries = _shared_libraries(native)
    lib_dirs = set()
    for library in libraries:
        lib_dirs.add(os.path.realpath(os.path.dirname(library)))
        lib_dirs.add(os.path.dirname(os.path.realpath(library)))
    if not libraries:  # no ldd: bind the usual library directories whole
        lib_dirs |= {d for d in ("/usr/lib", "/usr/lib64", "/usr/local/lib") if os.path.isdir(d)}
    args: list[str] = []
    for link in TOP_LEVEL_LINKS:
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
    for directory in _minimal_dirs(lib_dirs | stdlib_dirs):
        args += ["--ro-bind", directory, directory]
    if not any(python.startswith(d + "/") for d in lib_dirs | stdlib_dirs):
        args += ["--ro-bind", python, python]
    for key in ("purelib", "platlib"):
        site = os.path.realpath(info[key])
        if any(site.startswith(d + "/") for d in stdlib_dirs) and os.path.isdir(site):
            args += ["--tmpfs", site, "--remount-ro", site]
    args += ["--ro-bind-try", "/usr/share/zoneinfo", "/usr/share/zoneinfo"]
    for path in extra:
        args += ["--ro-bind", str(path), str(path)]
    return args


class BwrapBackend:
    name = "bwrap"

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.switch_user = os.geteuid() == 0
        self._args: list[str] | None = None
        self._seccomp: bytes | None = None
        self.runs_host_bytecode = False
        self._cgroups = CgroupParent(settings.cgroup_parent) if settings.cgroup_parent else None
        self.python = ""

    # -- setup
    def check(self) -> None:
        bwrap = shutil.which(self.settings.bwrap_path)
        if bwrap is None:
            raise SandboxUnavailable(
                f"the sandbox needs bubblewrap ({self.settings.bwrap_path!r} is not on PATH); "
                f"{INSTALL_HINT}, or set LEARNFLOW_SANDBOX_BACKEND=docker"
            )
        if self._cgroups is not None:
            self._cgroups.check()
        self.python = choose_python(self.settings, self.switch_user)
        # the same bytecode format: the host compiles the in-sandbox programs once
        magic = _python_info(self.python).get("magic")
        self.runs_host_bytecode = magic == importlib.util.MAGIC_NUMBER.hex()
        if self.settings.seccomp:
            if not seccomp.supported():
                raise SandboxUnavailable(
                    "no seccomp filter for this CPU architecture; "
                    "set LEARNFLOW_SANDBOX_SECCOMP=false"
                )
            self._seccomp = seccomp.build_filter()
        self._args = self._build_args(bwrap)

    def limits_note(self) -> str:
        if self._cgroups is not None:
            return (
                f"cgroup v2 under {self._cgroups.path}: memory.max={self.settings.memory_mb} MB "
                f"and pids.max={self.settings.max_processes} for the whole sandbox"
            )
        return (
            f"rlimits per process: RLIMIT_AS={self.settings.memory_mb} MB, "
            f"RLIMIT_NPROC={self.settings.max_processes} (this sandbox only), "
            f"RLIMIT_CPU={self.settings.cpu_s} s, RLIMIT_FSIZE={self.settings.max_file_bytes} B"
        )

    def _build_args(self, bwrap: str) -> list[str]:
        s = self.settings
        env = {
            "PATH": os.path.dirname(self.python),
            "HOME": "/tmp",
            "TMPDIR": "/tmp",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "USER": "learner",
            "LOGNAME": "learner",
            "MALLOC_ARENA_MAX": "2",
        }
        args = [
            bwrap,
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--uid", str(INSIDE_UID),
            "--gid", str(INSIDE_UID),
            "--hostname", "sandbox",
            *plan_filesystem(self.python, s.extra_ro_binds),
            "--proc", "/proc",
            "--dev", "/dev",
            "--remount-ro", "/dev",  # its tmpfs has no size limit
            "--size", str(SHM_BYTES),
            "--perms", "1777",
            "--tmpfs", "/dev/shm",  # POSIX semaphores (multiprocessing) need a little of it
            "--size", str(s.disk_bytes),
            "--perms", "0700",
            "--tmpfs", "/tmp",
            "--remount-ro", "/",
            "--chdir", "/tmp",
            "--clearenv",
        ]  # fmt: skip
        for key, value in env.items():
            args += ["--setenv", key, value]
        return args

    def close(self) -> None:
        return None

    # -- one sandbox
    def start(self) -> BwrapSandbox:
        if self._args is None:
            raise SandboxUnavailable("the bwrap backend was not checked before use")
        return BwrapSandbox(self)

    def limits(self) -> tuple[int, int]:
        """(address space per process, processes) the guest applies; cgroups take memory."""
        memory = 0 if self._cgroups is not None else self.settings.memory_bytes
        return memory, self.settings.max_processes


class BwrapSandbox:
    """One bwrap process tree, started ahead of its job."""

    def __init__(self, backend: BwrapBackend) -> None:
        settings = backend.settings
        assert backend._args is not None
        owned: list[int] = []

        def pipe() -> tuple[int, int]:
            read_end, write_end = os.pipe()
            owned.extend((read_end, write_end))
            return read_end, write_end

        self._cgroup: RunCgroup | None = None
        try:
            job_r, self.job_w = pipe()
            self.events_r, events_w = pipe()
            stdin_r, self.stdin_w = pipe()
            self.stdout_r, stdout_w = pipe()
            self.stderr_r, stderr_w = pipe()
            pass_fds = [job_r, events_w]
            args = list(backend._args)
            if backend._seccomp is not None:
                seccomp_fd = os.memfd_create("learnflow-seccomp", 0)
                owned.append(seccomp_fd)
                os.write(seccomp_fd, backend._seccomp)
                os.lseek(seccomp_fd, 0, os.SEEK_SET)
                pass_fds.append(seccomp_fd)
                args += ["--seccomp", str(seccomp_fd)]
            args += [
                "--",
                backend.python, "-I", "-B", "-X", "utf8", "-c", source_of("guest.py"),
                "fd", str(job_r), str(events_w),
            ]  # fmt: skip
            preexec: Callable[[], None] | None = None
            if backend._cgroups is not None:
                self._cgroup = backend._cgroups.create(
                    settings.memory_bytes, settings.max_processes
                )
                preexec = self._cgroup.join_from_child
            uid = settings.sandbox_uid if backend.switch_user else None
            no_env: dict[str, str] = {}
            self.proc = subprocess.Popen(
                args,
                stdin=stdin_r,
                stdout=stdout_w,
                stderr=stderr_w,
                pass_fds=pass_fds,
                # bwrap's own processes (its PID 1 in the sandbox included) must not carry the
                # server's environment: /proc/1/environ is readable from inside.
                env=no_env,
                start_new_session=True,
                preexec_fn=preexec,  # only os.write() on an fd opened beforehand
                user=uid,
                group=uid,
                extra_groups=[] if uid is not None else None,
            )
        except BaseException:
            for fd in owned:
                with contextlib.suppress(OSError):
                    os.close(fd)
            if self._cgroup is not None:
                self._cgroup.destroy()
            raise
        self._open = {self.job_w, self.events_r, self.stdin_w, self.stdout_r, self.stderr_r}
        for fd in owned:
            if fd not in self._open:
                os.close(fd)
        seen, rest, errors = read_until_event(
            self.events_r, "started", START_TIMEOUT_S, also_drain=[self.stderr_r]
        )
        if not seen:
            self.discard()
            message = errors.decode("utf-8", "replace").strip().splitlines()
            raise SandboxFailure(
                "the bubblewrap sandbox did not start: "
                + (message[0] if message else f"exit status {self.proc.poll()}")
            )
        self._events = EventLines(rest)
        self._used = False

    def alive(self) -> bool:
        return not self._used and self.proc.poll() is None

    def execute(
        self, job: bytes, stdin: bytes, limits: Limits, cancel: threading.Event | None
    ) -> Outcome:
        self._used = True
        pump = FdPump(
            stdout_fd=self.stdout_r,
            stderr_fd=self.stderr_r,
            events_fd=self.events_r,
            events=self._events,
            writes=[(self.job_w, job), (self.stdin_w, stdin)],
            max_output_bytes=limits.max_output_bytes,
            kill=self._kill,
            close=self._close,
        )
        try:
            outcome = pump.run(limits.wall_s, cancel)
        finally:
            self._kill_if_running()
            self.proc.wait()
            self._close_fds()
        if outcome.event("exit") is None and outcome.ready:
            # The guest had no chance to say how it ended (a signal, os._exit): bwrap passes
            # the exit status on, as 128 + N for signal N.
            code = self.proc.returncode
            if code > 128:
                outcome.signal = code - 128
            elif code >= 0 and not (outcome.timed_out or outcome.output_limited):
                outcome.exit_code = code
        if self._cgroup is not None:
            outcome.memory_exceeded = self._cgroup.oom_killed()
            self._cgroup.destroy()
        return outcome

    def discard(self) -> None:
        self._used = True
        self._kill_if_running()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._close_fds()
        if self._cgroup is not None:
            self._cgroup.destroy()

    def _kill(self) -> None:
        """SIGKILL bwrap's process group; --die-with-parent and the PID namespace take the rest."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def _kill_if_running(self) -> None:
        if self.proc.poll() is None:
            self._kill()

    def _close(self, fd: int) -> None:
        """Close one of our pipe ends exactly once (fd numbers are reused at once)."""
        if fd in self._open:
            self._open.discard(fd)
            os.close(fd)

    def _close_fds(self) -> None:
        for fd in list(self._open):
            self._close(fd)
