"""The abuse suite: hostile programs, each with its exact status and proof the host is unharmed.

Every case also checks that no process of the run is left: the sandbox's PID namespace is empty
once the run has returned (waiting on /proc, never sleeping a fixed time).
"""

from __future__ import annotations

import os
import socket
import textwrap
import uuid
from pathlib import Path

import pytest

from code_runner.sandbox.runner import Runner
from tests.code_runner.probes import SpyBackend, processes_in, processes_with
from tests.waiting import eventually_sync

pytestmark = pytest.mark.sandbox


def run(spy_runner: tuple[Runner, SpyBackend], code: str, **kwargs: object) -> dict[str, object]:
    runner, spy = spy_runner
    result = runner.run_python(textwrap.dedent(code), **kwargs)  # type: ignore[arg-type]
    namespace = spy.last_namespace()
    eventually_sync(lambda: not processes_in(namespace), timeout_s=5, what=f"an empty {namespace}")
    return result


def test_infinite_loop_times_out(spy_runner: tuple[Runner, SpyBackend]) -> None:
    result = run(spy_runner, "print('started')\nwhile True:\n    pass\n", timeout_s=1)
    assert result["status"] == "timeout"
    assert result["exit_code"] is None
    assert result["stdout"] == "started\n"  # printed before the loop: not lost to buffering
    assert "[sandbox] Timed out" in str(result["stderr"])
    assert 1000 <= float(result["duration_ms"]) <= 1100  # type: ignore[arg-type]


def test_busy_loop_in_a_child_process_times_out(spy_runner: tuple[Runner, SpyBackend]) -> None:
    code = """
        import os
        if os.fork() == 0:
            while True:
                pass
        os.wait()
    """
    assert run(spy_runner, code, timeout_s=1)["status"] == "timeout"


def test_fork_bomb_hits_the_process_limit(spy_runner: tuple[Runner, SpyBackend]) -> None:
    # 32 interpreters forking: seconds on a busy machine, more than the default 3 s wall
    result = run(spy_runner, "import os\nwhile True:\n    os.fork()\n", timeout_s=10)
    assert result["status"] == "error"
    assert "BlockingIOError: [Errno 11] Resource temporarily unavailable" in str(result["stderr"])
    assert os.fork is not None and _host_can_fork()


def _host_can_fork() -> bool:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    return os.waitpid(pid, 0)[1] == 0


def test_memory_bomb_hits_the_memory_limit(spy_runner: tuple[Runner, SpyBackend]) -> None:
    result = run(spy_runner, "hoard = []\nwhile True:\n    hoard.append(' ' * 10**6)\n")
    assert result["status"] == "memory_limit"
    assert "[sandbox] Memory limit: your program tried to use more than 50 MB" in str(
        result["stderr"]
    )


def test_memory_bomb_through_mmap_hits_the_memory_limit(
    spy_runner: tuple[Runner, SpyBackend],
) -> None:
    result = run(
        spy_runner, "import mmap\nm = mmap.mmap(-1, 200 * 2**20)\nm[:] = b'x' * 200 * 2**20"
    )
    assert result["status"] == "memory_limit"


def test_shared_memory_cannot_escape_the_memory_limit(
    spy_runner: tuple[Runner, SpyBackend],
) -> None:
    """RLIMIT_DATA (the memory limit) does not count shared memory: a shared anonymous mmap
    smaller than the address-space backstop, SysV shared memory and memfds are refused."""
    code = """
        import ctypes, mmap, os
        for size_mb in (100, 20):
            try:
                block = mmap.mmap(-1, size_mb * 2**20)
                print("shared mmap", size_mb, "allowed")
            except OSError as error:
                print("shared mmap", size_mb, error.errno)
        libc = ctypes.CDLL(None, use_errno=True)
        print("shmget", libc.shmget(0, 100 * 2**20, 0o1600), ctypes.get_errno())
        try:
            os.memfd_create("x")
            print("memfd allowed")
        except OSError as error:
            print("memfd", error.errno)
        private = mmap.mmap(-1, 20 * 2**20, flags=mmap.MAP_PRIVATE)
        print("private mmap allowed")
    """
    result = run(spy_runner, code)
    assert result["status"] == "ok", result
    assert result["stdout"].splitlines() == [
        "shared mmap 100 12",
        "shared mmap 20 12",
        "shmget -1 12",
        "memfd 1",
        "private mmap allowed",
    ]


def test_dev_is_read_only_and_dev_shm_small(spy_runner: tuple[Runner, SpyBackend]) -> None:
    """bwrap's /dev is a tmpfs without a size limit: it is read-only (devices still work), and
    /dev/shm (for multiprocessing's semaphores) is a tmpfs of its own, 1 MB."""
    code = """
        import os
        try:
            open("/dev/fill", "w").write("x")
            print("/dev written")
        except OSError as error:
            print("/dev", error.errno)
        try:
            for i in range(100):
                with open(f"/dev/shm/fill{i}", "wb") as handle:
                    handle.write(b"x" * 100_000)
            print("/dev/shm filled")
        except OSError as error:
            print("/dev/shm", error.errno, i)
        with open("/dev/null", "w") as sink:
            sink.write("discarded")
        print(len(open("/dev/urandom", "rb").read(8)))
    """
    result = run(spy_runner, code)
    assert result["stdout"].splitlines() == ["/dev 30", "/dev/shm 28 10", "8"], result


def test_the_memory_limit_is_memory_not_address_space(
    spy_runner: tuple[Runner, SpyBackend],
) -> None:
    """40 MB of data fits in the 50 MB limit (with RLIMIT_AS, the interpreter's own 14 MB of
    mappings left 36 MB); 60 MB does not."""
    fits = run(spy_runner, "block = bytearray(40 * 2**20)\nprint(len(block) >> 20)\n")
    assert (fits["status"], fits["stdout"]) == ("ok", "40\n"), fits
    too_much = run(spy_runner, "block = bytearray(60 * 2**20)\n")
    assert too_much["status"] == "memory_limit"


def test_recursion_near_the_memory_limit_raises_recursion_error(
    spy_runner: tuple[Runner, SpyBackend],
) -> None:
    """Issue 16's first finding: with RLIMIT_AS as the memory limit, a program holding ~36 MB
    that recursed past Python's limit got `SystemError: error return without exception set`
    (CPython 3.11 could not map a new frame chunk) where plain CPython raises RecursionError."""
    code = """
        import sys
        hog = bytearray(36 * 2**20 + 800 * 2**10)
        def f(n, a=1, b=2, c=3, d=4, e=5):
            x = y = z = n
            return f(n + 1)
        try:
            f(0)
        except RecursionError as error:
            print("RecursionError", error, sys.getrecursionlimit())
    """
    result = run(spy_runner, code)
    assert result["stdout"] == "RecursionError maximum recursion depth exceeded 1000\n", result


def test_100_mb_of_output_is_cut_at_the_output_limit(
    spy_runner: tuple[Runner, SpyBackend],
) -> None:
    runner, _ = spy_runner
    code = """
        import sys
        line = "x" * 1023 + "\\n"
        for _ in range(100 * 1024):  # 100 MB
            sys.stdout.write(line)
    """
    result = run(spy_runner, code)
    assert result["status"] == "output_limit"
    assert result["truncated"] is True
    assert result["exit_code"] is None
    assert len(str(result["stdout"])) == runner.settings.max_output_bytes
    assert "[sandbox] Output limit" in str(result["stderr"])
    assert float(result["duration_ms"]) < 2000  # type: ignore[arg-type]


def test_disk_fill_stops_at_the_temp_dir_size(spy_runner: tuple[Runner, SpyBackend]) -> None:
    code = """
        i = 0
        while True:
            with open(f"fill{i}", "wb") as f:
                f.write(b"x" * 900_000)
            i += 1
    """
    result = run(spy_runner, code)
    assert result["status"] == "error"
    assert "OSError: [Errno 28] No space left on device" in str(result["stderr"])


def test_one_huge_file_stops_at_the_file_size_limit(spy_runner: tuple[Runner, SpyBackend]) -> None:
    code = "with open('big', 'wb') as f:\n    while True:\n        f.write(b'x' * 65536)\n"
    result = run(spy_runner, code)
    assert result["status"] == "error"
    assert "OSError: [Errno 27] File too large" in str(result["stderr"])


def test_reading_etc_shadow_finds_nothing(spy_runner: tuple[Runner, SpyBackend]) -> None:
    result = run(spy_runner, "print(open('/etc/shadow').read())")
    assert result["status"] == "error"
    assert "FileNotFoundError" in str(result["stderr"])
    assert result["stdout"] == ""


def test_the_servers_environment_is_not_visible(
    spy_runner: tuple[Runner, SpyBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    monkeypatch.setenv("LEARNFLOW_DATABASE_URL", f"postgresql://learnflow:{canary}@db/learnflow")
    code = f"""
        import os
        print(sorted(os.environ))
        for path in ("/proc/self/environ", "/proc/1/environ", "/proc/{os.getpid()}/environ"):
            try:
                print(open(path, "rb").read())
            except OSError as exc:
                print(path, type(exc).__name__)
    """
    result = run(spy_runner, code)
    assert result["status"] == "ok"
    output = str(result["stdout"])
    assert canary not in output
    assert "DATABASE" not in output
    assert output.splitlines()[0] == str(
        sorted(["HOME", "LANG", "LC_ALL", "LOGNAME", "MALLOC_ARENA_MAX", "PATH", "PWD", "TMPDIR",
                "USER"])
    )  # fmt: skip


def test_writing_outside_the_temp_dir_fails(
    spy_runner: tuple[Runner, SpyBackend], tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    targets = ["/x", "/usr/x", "/etc/passwd", "/proc/x", str(victim), str(tmp_path / "new.txt")]
    code = f"""
        for path in {targets!r}:
            try:
                with open(path, "w") as handle:
                    handle.write("pwned")
                print("WROTE", path)
            except OSError as exc:
                print(type(exc).__name__, path)
    """
    result = run(spy_runner, code)
    assert result["status"] == "ok"
    assert "WROTE" not in str(result["stdout"])
    assert victim.read_text() == "precious"
    assert not (tmp_path / "new.txt").exists()


def test_connecting_to_a_loopback_listener_fails(
    spy_runner: tuple[Runner, SpyBackend], loopback_listener: socket.socket
) -> None:
    port = loopback_listener.getsockname()[1]
    code = f"""
        import socket
        for family, address in ((socket.AF_INET, ("127.0.0.1", {port})),
                                (socket.AF_INET6, ("::1", {port}))):
            try:
                socket.create_connection(address, timeout=1).close()
                print("CONNECTED", address)
            except OSError as exc:
                print(type(exc).__name__, exc.errno)
    """
    result = run(spy_runner, code)
    assert result["status"] == "ok"
    assert "CONNECTED" not in str(result["stdout"])
    assert "PermissionError" in str(result["stdout"])  # seccomp: only AF_UNIX sockets
    with pytest.raises(BlockingIOError):  # the run is over: any connection would be queued
        loopback_listener.accept()


def test_without_seccomp_the_network_namespace_still_isolates(
    loopback_listener: socket.socket,
) -> None:
    from tests.code_runner.probes import sandbox_settings

    port = loopback_listener.getsockname()[1]
    runner = Runner(sandbox_settings(seccomp=False)).start()
    try:
        code = f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=1).close()
                print("CONNECTED")
            except OSError as exc:
                print(type(exc).__name__)
        """
        result = runner.run_python(textwrap.dedent(code))
    finally:
        runner.close()
    assert result["status"] == "ok"
    assert result["stdout"] == "ConnectionRefusedError\n"  # its own, empty loopback
    with pytest.raises(BlockingIOError):
        loopback_listener.accept()


def test_symlinks_planted_for_the_clean_up_are_not_followed(
    spy_runner: tuple[Runner, SpyBackend], tmp_path: Path
) -> None:
    victim_dir = tmp_path / "victim"
    victim_dir.mkdir()
    victim = victim_dir / "keep.txt"
    victim.write_text("precious")
    code = f"""
        import os
        os.symlink({str(victim)!r}, "link-to-file")
        os.symlink({str(victim_dir)!r}, "link-to-dir")
        os.symlink("/", "link-to-root")
        os.mkdir("nested")
        os.symlink({str(victim)!r}, "nested/main.py")
        print(sorted(os.listdir(".")))
    """
    result = run(spy_runner, code)
    assert result["status"] == "ok"
    assert "link-to-file" in str(result["stdout"])
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in victim_dir.iterdir()) == ["keep.txt"]


def test_a_child_left_running_does_not_outlive_the_run(
    spy_runner: tuple[Runner, SpyBackend],
) -> None:
    token = f"lf-orphan-{uuid.uuid4().hex}"
    code = f"""
        import os, sys
        if os.fork() == 0:
            os.setsid()
            sleeper = "import time; time.sleep(300)"
            os.execv(sys.executable, [sys.executable, "-c", sleeper, {token!r}])
        print("parent exits")
    """
    result = run(spy_runner, code)
    assert result["status"] == "ok"
    assert result["stdout"] == "parent exits\n"
    eventually_sync(lambda: not processes_with(token), timeout_s=5, what="the orphan to be gone")


def test_signals_to_the_parent_and_to_everyone_reach_nothing(
    spy_runner: tuple[Runner, SpyBackend],
) -> None:
    code = f"""
        import os, signal
        for target in (os.getppid(), 1, -1, {os.getpid()}, {os.getppid()}):
            try:
                os.kill(target, signal.SIGKILL)
                print("sent", target)
            except OSError as exc:
                print(type(exc).__name__)
        print("still running")
    """
    result = run(spy_runner, code)
    assert result["status"] == "ok"
    assert str(result["stdout"]).endswith("still running\n")
    os.kill(os.getpid(), 0)  # the host process (this test) is alive
    os.kill(os.getppid(), 0)


def test_deep_recursion_is_a_recursion_error(spy_runner: tuple[Runner, SpyBackend]) -> None:
    result = run(spy_runner, "def f(n):\n    return f(n + 1)\nf(0)\n")
    assert result["status"] == "error"
    assert (
        str(result["stderr"]).rstrip().endswith("RecursionError: maximum recursion depth exceeded")
    )


def test_unbounded_recursion_is_never_ok(spy_runner: tuple[Runner, SpyBackend]) -> None:
    """Regression: the traceback of this run cannot be formatted (no memory left), and the run
    used to be reported `ok` with exit code 0. CPython 3.11 ends it with a SystemError (or a
    MemoryError, depending on the version), so either status is right; `ok` never is."""
    code = "import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return f(n + 1)\nf(0)\n"
    # ~100 000 frames fill the 50 MB before memory runs out: more than the default 3 s on a
    # busy machine
    result = run(spy_runner, code, timeout_s=10)
    assert result["status"] in ("error", "memory_limit")
    assert result["exit_code"] == 1


def test_a_c_level_crash_is_killed(spy_runner: tuple[Runner, SpyBackend]) -> None:
    result = run(spy_runner, "import ctypes\nctypes.string_at(0)\n")
    assert result["status"] == "killed"
    assert result["exit_code"] == -11
    assert "SIGSEGV" in str(result["stderr"])


def test_kernel_attack_surface_is_closed(spy_runner: tuple[Runner, SpyBackend]) -> None:
    code = """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        checks = {
            "unshare(CLONE_NEWUSER)": lambda: libc.unshare(0x10000000),
            "ptrace(PTRACE_TRACEME)": lambda: libc.ptrace(0, 0, 0, 0),
            "mount": lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
        }
        for name, call in checks.items():
            print(name, call(), os.strerror(ctypes.get_errno()))
        status = open("/proc/self/status").read()
        print("uid", os.getuid(), "caps", status.split("CapEff:")[1].split()[0])
    """
    result = run(spy_runner, code)
    assert result["status"] == "ok"
    lines = str(result["stdout"]).splitlines()
    assert all(line.endswith("-1 Operation not permitted") for line in lines[:3]), lines
    assert lines[3] == "uid 1000 caps 0000000000000000"


def test_cpu_time_runs_out_before_the_wall_clock() -> None:
    from tests.code_runner.probes import sandbox_settings

    # 1 s of CPU takes several seconds of clock on a busy machine: the wall limit is 10 s
    runner = Runner(sandbox_settings(cpu_s=1, wall_s=10.0)).start()
    try:
        result = runner.run_python("while True:\n    pass\n", timeout_s=10)
    finally:
        runner.close()
    assert result["status"] == "timeout"
    assert result["exit_code"] == -24  # SIGXCPU
    assert "[sandbox] CPU time limit: your program used more than 1 s of CPU time" in str(
        result["stderr"]
    )
    assert float(result["duration_ms"]) < 9500  # type: ignore[arg-type]


def test_forged_events_cannot_break_the_result(spy_runner: tuple[Runner, SpyBackend]) -> None:
    """Regression: the learner's process holds the events pipe, so it can write to it."""
    code = """
        import os
        for fd in range(3, 64):
            try:
                os.write(fd, b'{"e": "exit", "code": "owned", "signal": 999}\\nnot json\\n')
            except OSError:
                pass
        print("done")
    """
    result = run(spy_runner, code)
    assert result["status"] == "ok"  # the forged exit was ignored, the real one (0) counted
    assert result["exit_code"] == 0
