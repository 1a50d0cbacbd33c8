# mypy: disable-error-code="no-untyped-def,no-untyped-call,var-annotated,attr-defined,type-arg"
# (Runs inside the sandbox on any Python 3.10+, not imported by the host: typed lightly.)
"""The program that runs *inside* the sandbox, as `python -I -B -X utf8 -c <this source> ...`.

Standard library only (Python 3.10+), and lean: it imports nothing but builtin modules until the
learner's code runs, because it starts once per run. Its life:

1. say `started`, then wait for the job (a `marshal`-ed dict: trusted, it comes from the host) -
   so a sandbox can be started ahead of time and wait in the warm pool;
2. apply the job's rlimits to itself (inherited by everything it starts; soft = hard so nothing
   inside can raise them), write the learner's files into the private temp dir
   (O_EXCL|O_NOFOLLOW), say `ready`;
3. fork: the child runs the learner's script (`python` mode) or the test harness the job carries
   (`tests` mode, see harness.py); the parent - the supervisor - waits and reports the child's
   exact exit code or signal, then exits the same way.

Channels. `fd JOB EVENTS`: the job arrives on fd JOB and JSON-line events leave on fd EVENTS,
while stdin/stdout/stderr are the learner's own pipes to the host (bwrap). `mux`: the job is a
length-prefixed header on stdin and the supervisor relays the child's stdout, stderr and events as
frames `[channel:1][length:4][data]` on its own stdout (Docker, where only the standard streams
exist; the learner cannot write a frame, only the supervisor does).
"""

import builtins
import marshal
import os
import resource
import sys

WORKDIR = "/tmp"
GUEST_FILENAME = "<string>"
CH_STDOUT, CH_STDERR, CH_EVENTS = 1, 2, 3


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd, size):
    chunks = []
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError("the host closed the job channel early")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _exit_event(code, sig):
    return '{{"e": "exit", "code": {}, "signal": {}}}'.format(
        "null" if code is None else int(code),
        "null" if sig is None else int(sig),
    )


class _FdEvents:
    def __init__(self, fd):
        self.fd = fd

    def emit(self, line):
        _write_all(self.fd, line.encode() + b"\n")


class _MuxEvents:
    def __init__(self, fd):
        self.fd = fd

    def emit(self, line):
        self.frame(CH_EVENTS, line.encode() + b"\n")

    def frame(self, channel, data):
        _write_all(self.fd, bytes([channel]) + len(data).to_bytes(4, "big") + data)


def _apply_limits(limits):
    def lower(which, soft, hard=None):
        hard = soft if hard is None else hard
        _old_soft, old_hard = resource.getrlimit(which)
        if old_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, old_hard), min(hard, old_hard)
        resource.setrlimit(which, (soft, hard))

    usage = resource.getrusage(resource.RUSAGE_SELF)
    # RLIMIT_CPU counts whole seconds from the process start; start-up used a few ms of it.
    cpu = int(usage.ru_utime + usage.ru_stime) + int(limits["cpu_s"])
    lower(resource.RLIMIT_CORE, 0)
    if int(limits.get("data", 0)) > 0:
        lower(resource.RLIMIT_DATA, int(limits["data"]))
    # SIGXCPU at the soft limit (reported as a timeout); SIGKILL a second later if ignored.
    lower(resource.RLIMIT_CPU, cpu, cpu + 1)
    lower(resource.RLIMIT_FSIZE, int(limits["fsize"]))
    lower(resource.RLIMIT_NOFILE, int(limits["nofile"]))
    if int(limits["nproc"]) > 0:  # 0: a cgroup (Docker's pids_limit) counts processes
        lower(resource.RLIMIT_NPROC, int(limits["nproc"]))
    lower(resource.RLIMIT_MEMLOCK, 0)
    if hasattr(resource, "RLIMIT_MSGQUEUE"):
        lower(resource.RLIMIT_MSGQUEUE, 0)
    if int(limits["as"]) > 0:  # a backstop; RLIMIT_DATA is the memory limit
        lower(resource.RLIMIT_AS, int(limits["as"]))
        # A thread reserves RLIMIT_STACK (8 MB) of address space by default: 1 MB is plenty
        # for Python code and lets a program start dozens of threads within the limit.
        import _thread

        _thread.stack_size(1 << 20)


def _undumpable():
    """No other process of the sandbox may read this one's memory or descriptors via /proc."""
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE, 0
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def _write_files(files):
    for name, text in files.items():
        if "/" in name or name.startswith("."):
            raise ValueError(f"bad file name {name!r}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(os.path.join(WORKDIR, name), flags, 0o644)
        try:
            _write_all(fd, text.encode("utf-8", "surrogatepass"))
        finally:
            os.close(fd)


def _main():
    """Set everything up; returns (source, path, module dict) for the top level to run."""
    events: _FdEvents | _MuxEvents
    if sys.argv[1:2] == ["fd"]:
        job_fd, events_fd = int(sys.argv[2]), int(sys.argv[3])
        events = _FdEvents(events_fd)
        events.emit('{"e": "started"}')
        job = marshal.loads(_read_all(job_fd))
        os.close(job_fd)
    else:
        events = _MuxEvents(os.dup(1))
        events.emit('{"e": "started"}')
        size = int.from_bytes(_read_exactly(0, 4), "big")
        job = marshal.loads(_read_exactly(0, size))
    if job["mode"] == "tests":
        _undumpable()  # holds the results channel (and in mux mode relays it): keep it private
    _apply_limits(job["limits"])
    os.chdir(WORKDIR)
    _write_files(job["files"])
    if isinstance(events, _MuxEvents):
        events = _run_mux(events)  # returns in the forked child only
    events.emit('{"e": "ready"}')
    return _prepare(job, events)


def _prepare(job, events):
    if job["mode"] == "tests":
        scope: dict = {"__name__": "learnflow_harness", "__builtins__": builtins}
        code = job.get("harness_code")
        if code is not None:
            code = marshal.loads(code)  # compiled by the host for this interpreter
        else:
            code = compile(job["harness"], "<harness>", "exec", dont_inherit=True)
        exec(code, scope)
        scope["run"](job, events.fd)
        events.emit(_exit_event(0, None))
        os._exit(0)
    sys.path.insert(0, WORKDIR)
    path = os.path.join(WORKDIR, "main.py")
    module = type(sys)("__main__")
    module.__file__ = path
    module.__builtins__ = builtins
    module.__cached__ = None
    sys.modules["__main__"] = module
    sys.argv = [path]
    sys.excepthook = _excepthook
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr] # survives a kill
    # atexit runs last-registered first: this one runs after the learner's handlers and after
    # non-daemon threads were joined, just before the interpreter finalizes.
    import atexit

    atexit.register(lambda: events.emit(_exit_event(_EXIT_CODE[0], None)))
    return job["files"]["main.py"], path, module.__dict__


_EXIT_CODE = [0]


def _exit_code(exc):
    """What the interpreter would exit with for an uncaught SystemExit (and print, if text)."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:  # noqa: SIM105 - contextlib would cost an import at every start
        sys.stderr.write(f"{code}\n")
    except Exception:
        pass
    return 1


MAX_TRACEBACK_FRAMES = 200


def _excepthook(exc_type, exc, tb):
    """The default hook, minus this program's own frames at the top of the traceback, and with
    the middle of a very deep traceback left out (a runaway recursion has tens of thousands of
    frames: printing them all takes seconds and hides the error's last line under the output
    limit)."""
    import traceback

    while tb is not None and tb.tb_frame.f_code.co_filename == GUEST_FILENAME:
        tb = tb.tb_next
    depth, walker = 0, tb
    while walker is not None:
        depth += 1
        walker = walker.tb_next
    if depth <= MAX_TRACEBACK_FRAMES:
        traceback.print_exception(exc_type, exc, tb)
        return
    head, tail = 20, 80
    write = sys.stderr.write
    write("Traceback (most recent call last):\n")
    traceback.print_tb(tb, limit=head, file=sys.stderr)
    write(f"  [... {depth - head - tail} more calls not shown ...]\n")
    for _ in range(depth - tail):
        tb = tb.tb_next
    traceback.print_tb(tb, file=sys.stderr)
    write("".join(traceback.format_exception_only(exc_type, exc)))


def _run_mux(events):
    """Docker: fork; the parent relays the child's stdout, stderr and events as frames."""
    import selectors

    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    ev_r, ev_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        for fd in (out_r, out_w, err_r, err_w, ev_r, events.fd):
            os.close(fd)
        return _FdEvents(ev_w)
    for fd in (out_w, err_w, ev_w):
        os.close(fd)
    channels = {out_r: CH_STDOUT, err_r: CH_STDERR, ev_r: CH_EVENTS}
    selector = selectors.DefaultSelector()
    for fd in channels:
        selector.register(fd, selectors.EVENT_READ)
    status = None
    while channels:
        ready = selector.select(timeout=0.05)
        for key, _mask in ready:
            data = os.read(key.fd, 65536)
            if data:
                events.frame(channels[key.fd], data)
            else:
                selector.unregister(key.fd)
                del channels[key.fd]
        if status is None:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = raw
        elif not ready:
            break  # the child is gone; whatever still holds a pipe dies with the container
    if status is None:
        status = os.waitpid(pid, 0)[1]
    if os.WIFSIGNALED(status):  # otherwise the child said how it ended itself
        events.emit(_exit_event(None, os.WTERMSIG(status)))
    os._exit(0)


def _run(source, path, scope):
    """Run the learner's script like `python main.py` would; returns the exit code.

    Nothing here keeps a reference to the script's globals afterwards, so the interpreter
    clears them at exit as usual (and a `__del__` that prints still can).
    """
    try:
        exec(compile(source, path, "exec", dont_inherit=True), scope)
    except SystemExit as exit_request:
        return _exit_code(exit_request)
    except BaseException as error:
        _EXIT_CODE[0] = 1
        try:
            sys.excepthook(type(error), error, error.__traceback__)
        except BaseException:  # e.g. MemoryError while formatting the traceback
            try:  # noqa: SIM105
                sys.stderr.write(f"{type(error).__name__}: {error}\n")
            except BaseException:
                pass
        return 1
    return 0


if __name__ == "__main__":
    _EXIT_CODE[0] = _run(*_main())
    sys.exit(_EXIT_CODE[0])
