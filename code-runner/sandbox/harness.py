# ruff: noqa: F821
# mypy: disable-error-code="no-untyped-def,no-untyped-call,var-annotated,attr-defined"
# mypy: disable-error-code="name-defined,union-attr,assignment,arg-type,misc,index"
# mypy: disable-error-code="operator"
# (Runs inside the sandbox on any Python 3.10+, after wire.py and remote.py in the same namespace;
# the host never imports it: typed lightly.)
"""The test harness that runs inside the sandbox for `run_tests` (standard library only).

This is the *test process*. The guest executes it with the job; it:

1. makes itself undumpable (so no other process of the sandbox can read its memory or file
   descriptors through /proc), keeps the hidden tests in memory only (never on disk), and never
   imports anything from the sandbox's writable temp dir;
2. starts the learner's code in a process of its own (remote.Learner): a fresh interpreter that
   imports the learner's module and answers the tests' calls. Tests see `solution` as a proxy
   module whose functions and classes run over there, with results coming back as plain data;
3. loads the tests with pytest-style assertion rewriting, collects unittest classes and
   pytest-style functions and classes (a small stand-in for pytest: raises, approx, fail, skip,
   mark.parametrize/skip/skipif, fixtures with scopes, params and yield teardown, the fixtures
   tmp_path, capsys, monkeypatch, request), runs them in pytest's order, each with its own time
   limit and captured output;
4. emits one JSON-line event per test on the results channel, which only this process holds:
   {e: "test", name, status: pass|fail|error|skip, message, output, ms, limit}.

Before the tests: {e: "fatal", kind: solution|tests, message} when the learner's code or the tests
cannot be loaded, else {e: "collected", names}. Messages are short and written for a beginner.
The host accepts results only for the tests it found in the tests' source itself.
"""

import ast
import builtins
import contextlib
import io
import json
import math
import operator
import os
import re
import signal
import sys
import time
import types

WORKDIR = "/tmp"
MAX_TEST_OUTPUT = 500
TICK_S = 0.02
PROGRESS_CPU_S = 0.01
MIN_IDLE_S = 2.0
CAPSYS_LIMIT = 4 * 1024 * 1024
MAX_MESSAGE = 1000
REPR_CHARS = 120
PR_SET_DUMPABLE = 4


def run(job, events_fd):
    """Entry point, called by the guest."""
    _Harness(job, events_fd).run()


class _Events:
    def __init__(self, fd):
        self.fd = fd

    def emit(self, **event):
        data = (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]


class _TestTimeout(BaseException):
    """A test used up its time: `wall` when it waited (no computing) past the wall backstop."""

    def __init__(self, wall=False):
        super().__init__()
        self.wall = wall


class _RunTimeout(BaseException):
    """The run used up its CPU time: no further test starts."""


class _Skipped(Exception):
    pass


class _Failed(AssertionError):
    pass


class _BadParametrize(Exception):
    pass


class _MissingFixture(LookupError):
    pass


def _undumpable():
    """No process of the sandbox may read this one's memory or descriptors via /proc."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except Exception:  # no ctypes here: the supervisor made us undumpable already
        pass


def _short(value):
    try:
        text = repr(value)
    except (_TestTimeout, LearnerGone):
        raise
    except BaseException as exc:
        text = f"<unprintable {type(value).__name__}: {type(exc).__name__}>"
    if not isinstance(text, str):
        text = object.__repr__(value)
    return text if len(text) <= REPR_CHARS else text[: REPR_CHARS - 3] + "..."


def _is_literal(node):
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


_COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "is": operator.is_,
    "is not": operator.is_not,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}
_OP_TEXT = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}


def _message_prefix(msg):
    if msg is None:
        return ""
    return f"{msg()}\n"


def _lf_assert_compare(left, right, op, src, lsrc, rsrc, show_left, show_right, msg):
    if _COMPARE[op](left, right):
        return
    details = []
    if show_left:
        details.append(f"{lsrc} is {_short(left)}")
    if show_right and rsrc != lsrc:
        details.append(f"{rsrc} is {_short(right)}")
    because = " and ".join(details) if details else "it is False"
    raise AssertionError(f"{_message_prefix(msg)}Expected {src}, but {because}.")


def _lf_assert_true(value, src, msg):
    if value:
        return
    text = f"Expected {src} to be true, but it is {_short(value)}."
    raise AssertionError(_message_prefix(msg) + text)


def _lf_assert_not(value, src, inner_src, msg):
    if not value:
        return
    raise AssertionError(
        f"{_message_prefix(msg)}Expected {src}, but {inner_src} is {_short(value)}."
    )


class _AssertRewriter(ast.NodeTransformer):
    """`assert a == b` -> a call that explains both sides when it fails (like pytest)."""

    def __init__(self, source):
        self.source = source

    def _src(self, node):
        text = ast.get_source_segment(self.source, node) or "the expression"
        return " ".join(text.split())

    def visit_Assert(self, node):
        msg: ast.expr = ast.Constant(value=None)
        if node.msg is not None:
            msg = ast.Lambda(
                args=ast.arguments(
                    posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]
                ),
                body=node.msg,
            )
        test = node.test
        src = self._src(test)
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _OP_TEXT:
            right = test.comparators[0]
            args = [
                test.left,
                right,
                ast.Constant(_OP_TEXT[type(test.ops[0])]),
                ast.Constant(src),
                ast.Constant(self._src(test.left)),
                ast.Constant(self._src(right)),
                ast.Constant(not _is_literal(test.left)),
                ast.Constant(not _is_literal(right)),
                msg,
            ]
            func = "__lf_assert_compare__"
        elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            args = [test.operand, ast.Constant(src), ast.Constant(self._src(test.operand)), msg]
            func = "__lf_assert_not__"
        else:
            args = [test, ast.Constant(src), msg]
            func = "__lf_assert_true__"
        call = ast.Call(func=ast.Name(id=func, ctx=ast.Load()), args=args, keywords=[])
        return ast.copy_location(ast.Expr(value=call), node)


class _Capture:
    """What a test prints (stdout and stderr, in order), keeping the first `limit` characters."""

    def __init__(self, limit):
        self.limit = limit
        self.reset()
        self.stdout = _CaptureStream(self, "out")
        self.stderr = _CaptureStream(self, "err")

    def add(self, stream, text):
        self.total += len(text)
        if self.kept < self.limit:
            piece = text[: self.limit - self.kept]
            self.parts.append(piece)
            self.kept += len(piece)
        if self.unread_size < CAPSYS_LIMIT:  # what capsys.readouterr() can still return
            self.unread[stream].append(text)
            self.unread_size += len(text)

    def reset(self):
        self.parts, self.kept, self.total = [], 0, 0
        self.unread = {"out": [], "err": []}
        self.unread_size = 0

    def readouterr(self):
        out, err = "".join(self.unread["out"]), "".join(self.unread["err"])
        self.unread = {"out": [], "err": []}
        self.unread_size = 0
        return out, err

    def render(self):
        text = "".join(self.parts)
        if self.total > self.limit:
            text += f"\n[output truncated: only the first {self.limit} characters are shown]"
        return text


class _CaptureStream(io.TextIOBase):
    def __init__(self, capture, name):
        super().__init__()
        self.capture = capture
        self.name = name

    @property
    def encoding(self):  # type: ignore[override]
        return "utf-8"

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.capture.add(self.name, text)
        return len(text)


# --- a small stand-in for pytest: raises, approx, fail, skip, mark, fixture, param --------------
class _RaisesInfo:
    def __init__(self):
        self.value = None
        self.type = None

    def __repr__(self):
        return f"<ExceptionInfo {_short(self.value)}>"


class _RaisesContext:
    def __init__(self, expected, match):
        self.expected = expected
        self.match = match
        self.info = _RaisesInfo()

    def __enter__(self):
        return self.info

    def __exit__(self, exc_type, exc, tb):
        names = _exception_names(self.expected)
        if exc_type is None:
            raise _Failed(f"Expected {names} to be raised, but nothing was raised.")
        if issubclass(exc_type, (_TestTimeout, LearnerGone)) or not issubclass(
            exc_type, self.expected
        ):
            return False
        if self.match is not None and not re.search(self.match, str(exc)):
            raise _Failed(
                f"{exc_type.__name__} was raised, but its message {_short(str(exc))} does not "
                f"match {self.match!r}."
            )
        self.info.value, self.info.type = exc, exc_type
        return True


def _exception_names(expected):
    if isinstance(expected, tuple):
        return " or ".join(e.__name__ for e in expected)
    return expected.__name__


def _raises(expected, *args, match=None, **kwargs):
    context = _RaisesContext(expected, match)
    if not args:
        return context
    with context:
        args[0](*args[1:], **kwargs)
    return context.info


class _Approx:
    def __init__(self, expected, rel=None, abs=None):
        self.expected = expected
        self.rel = 1e-6 if rel is None else rel
        self.abs = 1e-12 if abs is None else abs

    def _close(self, a, b):
        if isinstance(b, dict):
            return (
                isinstance(a, dict)
                and a.keys() == b.keys()
                and all(self._close(a[k], b[k]) for k in b)
            )
        if isinstance(b, (list, tuple)):
            return (
                isinstance(a, (list, tuple))
                and len(a) == len(b)
                and all(self._close(x, y) for x, y in zip(a, b, strict=True))
            )
        try:
            return a == b or math.isclose(a, b, rel_tol=self.rel, abs_tol=self.abs)
        except TypeError:
            return False

    def __eq__(self, other):
        return self._close(other, self.expected)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def __repr__(self):
        return f"approx({_short(self.expected)})"


class _Param:
    def __init__(self, values, id=None, marks=()):
        self.values = values
        self.id = id
        self.marks = marks if isinstance(marks, (list, tuple)) else (marks,)


def _fail(reason=""):
    raise _Failed(reason or "the test called pytest.fail()")


def _skip(reason=""):
    raise _Skipped(reason)


class _Marks:
    def parametrize(self, argnames, argvalues, ids=None, **_kwargs):
        names = [n.strip() for n in argnames.split(",")] if isinstance(argnames, str) else argnames

        def decorate(func):
            # decorators apply bottom-up: the one nearest the function varies slowest (pytest)
            func.__dict__.setdefault("__lf_params__", []).append((list(names), argvalues, ids))
            return func

        return decorate

    def skip(self, reason=""):
        if callable(reason):
            reason.__lf_skip__ = "skipped"
            return reason

        def decorate(func):
            func.__lf_skip__ = reason or "skipped"
            return func

        return decorate

    def skipif(self, condition, reason=""):
        return self.skip(reason) if condition else (lambda func: func)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def mark(*args, **_kwargs):
            if len(args) == 1 and callable(args[0]):
                return args[0]
            return lambda func: func

        return mark


def _fixture(
    func=None, *, scope="function", params=None, autouse=False, ids=None, name=None, **_kwargs
):
    def decorate(f):
        f.__lf_fixture__ = {
            "autouse": autouse,
            "name": name or f.__name__,
            "scope": scope
            if scope in ("function", "class", "module", "package", "session")
            else "function",
            "params": None if params is None else list(params),
            "ids": ids,
        }
        return f

    return decorate(func) if callable(func) else decorate


def _pytest_module():
    module = types.ModuleType("pytest")
    module.raises = _raises
    module.approx = _Approx
    module.fail = _fail
    module.skip = _skip
    module.mark = _Marks()
    module.fixture = _fixture
    module.param = lambda *values, id=None, marks=(): _Param(values, id, marks)
    module.__version__ = "0-learnflow"
    return module


class _CapSys:
    def __init__(self, capture):
        self.capture = capture

    def readouterr(self):
        out, err = self.capture.readouterr()
        return types.SimpleNamespace(out=out, err=err)


class _MonkeyPatch:
    _missing = object()

    def __init__(self):
        self.undo_stack = []

    def setattr(self, target, name, value=_missing, raising=True):
        if value is self._missing:
            module_name, _, attr = target.rpartition(".")
            target, name, value = __import__(module_name, fromlist=["_"]), attr, name
        old = getattr(target, name, self._missing)
        if old is self._missing and raising:
            raise AttributeError(f"{target!r} has no attribute {name!r}")
        self.undo_stack.append(("attr", target, name, old))
        setattr(target, name, value)

    def delattr(self, target, name, raising=True):
        old = getattr(target, name, self._missing)
        if old is self._missing:
            if raising:
                raise AttributeError(name)
            return
        self.undo_stack.append(("attr", target, name, old))
        delattr(target, name)

    def setitem(self, mapping, key, value):
        self.undo_stack.append(("item", mapping, key, mapping.get(key, self._missing)))
        mapping[key] = value

    def delitem(self, mapping, key, raising=True):
        if key not in mapping:
            if raising:
                raise KeyError(key)
            return
        self.undo_stack.append(("item", mapping, key, mapping[key]))
        del mapping[key]

    def setenv(self, name, value, prepend=None):
        self.setitem(os.environ, name, str(value))

    def delenv(self, name, raising=True):
        self.delitem(os.environ, name, raising)

    def chdir(self, path):
        self.undo_stack.append(("cwd", None, None, os.getcwd()))
        os.chdir(path)

    def undo(self):
        while self.undo_stack:
            kind, target, name, old = self.undo_stack.pop()
            if kind == "cwd":
                os.chdir(old)
            elif kind == "attr":
                if old is self._missing:
                    delattr(target, name)
                else:
                    setattr(target, name, old)
            elif old is self._missing:
                target.pop(name, None)
            else:
                target[name] = old


class _Request:
    """The `request` fixture: `request.param` for a parametrized fixture."""

    def __init__(self, case, param=None):
        self.param = param
        self.node = types.SimpleNamespace(name=case.name)
        self.function = case.func
        self.cls = case.owner


class _Case:
    """One collected test: a name and how to run it."""

    def __init__(
        self,
        name,
        func=None,
        params=None,
        testcase=None,
        method=None,
        owner=None,
        error=None,
        fixture_params=None,
    ):
        self.name = name
        self.error = error
        self.func = func
        self.params = params or {}
        self.fixture_params = fixture_params or {}
        self.testcase = testcase
        self.method = method
        self.owner = owner


class _UnittestResult:
    """Collects the first problem of one unittest method, keeping the exception objects."""

    def __init__(self):
        self.problem = None
        self.skipped = False

    def record(self, kind, err, label=None):
        if self.problem is None:
            self.problem = (kind, err, label)


class _Harness:
    def __init__(self, job, events_fd):
        self.job = job
        self.events = _Events(events_fd)
        self.module_name = job["module"]
        self.solution_path = os.path.join(WORKDIR, self.module_name + ".py")
        self.tests_path = os.path.join(WORKDIR, "test_" + self.module_name + ".py")
        self.test_timeout = float(job["test_timeout_s"])
        self.run_timeout = float(job.get("run_timeout_s") or 1e9)
        # a test that waits instead of computing (sleep, a blocked read) is stopped when neither
        # process has used any CPU time for this long
        self.test_wall = max(self.test_timeout, MIN_IDLE_S)
        self.tick_cpu = 0.0
        self.run_cpu_start = time.process_time()
        self.memory_mb = int(job.get("memory_mb") or 0)
        self.capture = _Capture(MAX_TEST_OUTPUT)
        self.real_streams = (sys.stdout, sys.stderr)
        self.learner = None
        self.scoped = {}
        self.scoped_teardowns = {"class": [], "module": []}

    @contextlib.contextmanager
    def _captured(self):
        """Send what the code prints (stdout and stderr) to the capped capture."""
        self.capture.reset()
        sys.stdout, sys.stderr = self.capture.stdout, self.capture.stderr
        try:
            yield
        finally:
            sys.stdout, sys.stderr = self.real_streams

    # -- the run
    def run(self):
        _undumpable()
        with contextlib.suppress(OSError):
            os.set_inheritable(self.events.fd, False)
        self.learner = Learner(
            sources=self.job["learner_source"],
            code=self.job.get("learner_code"),
            module=self.module_name,
            workdir=WORKDIR,
            solution_file=self.solution_path,
        )
        self.learner.spawn()  # its interpreter starts while this one gets ready
        while WORKDIR in sys.path:  # the learner's process writes there: never import from it
            sys.path.remove(WORKDIR)
        import linecache
        import unittest  # noqa: F401 - loaded before any learner code exists

        for path, source in (
            (self.solution_path, self.job["files"][self.module_name + ".py"]),
            (self.tests_path, self.job["tests"]),
        ):
            linecache.cache[path] = (len(source), None, source.splitlines(True), path)
        sys.modules["pytest"] = _pytest_module()
        sys.stdin = io.StringIO("")
        _guard_unittest()
        if not self._start_learner():
            return
        module = self._load_tests()
        if module is None:
            self._stop_learner()
            return
        cases = self._collect(module)
        self.events.emit(e="collected", names=[case.name for case in cases])
        if not cases:
            self._fatal("tests", "No tests were found: test functions must be named test_...")
            self._stop_learner()
            return
        self._run_cases(module, cases)
        self._stop_learner()
        for stream in self.real_streams:
            stream.flush()

    def _run_cases(self, module, cases):
        autouse = [f for f in self.fixtures.values() if f.__lf_fixture__["autouse"]]
        setup_module = getattr(module, "setup_module", None)
        if callable(setup_module):
            problem = self._call_hook(setup_module, module)
            if problem is not None:
                for case in cases:
                    self._report(case, "error", "setup_module failed: " + problem, "", 0.0)
                return
        current_class = None
        class_error = None
        for index, case in enumerate(cases):
            owner = case.testcase or case.owner
            if owner is not current_class:
                if current_class is not None and class_error is None:
                    self._class_teardown(current_class)
                self._end_scope("class")
                current_class = owner
                class_error = None if owner is None else self._class_setup(owner)
            if class_error is not None:
                self._report(case, "error", class_error, "", 0.0)
                continue
            started, cpu_started = time.perf_counter(), self._cpu()
            status, message, limit = self._run_case(case, autouse, module)
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (self._cpu() - cpu_started) * 1000
            self._report(case, status, message, self.capture.render(), elapsed, limit, cpu)
            if limit == "run_timeout_s":  # the run's budget is gone: nothing else starts
                for rest in cases[index + 1 :]:
                    self._report(
                        rest,
                        "error",
                        "Not run: the run's time limit of "
                        f"{self.run_timeout:g} s was used up by the tests before it.",
                        "",
                        0.0,
                        "run_timeout_s",
                        0.0,
                    )
                return
        if current_class is not None and class_error is None:
            self._class_teardown(current_class)
        self._end_scope("class")
        self._end_scope("module")
        teardown_module = getattr(module, "teardown_module", None)
        if callable(teardown_module):
            self._call_hook(teardown_module, module)

    def _fatal(self, kind, message):
        self.events.emit(e="fatal", kind=kind, message=message[:MAX_MESSAGE])

    def _report(self, case, status, message, output, elapsed_ms, limit=None, cpu_ms=None):
        event = {
            "e": "test",
            "name": case.name,
            "status": status,
            "message": (message or "")[:MAX_MESSAGE],
            "output": output,
            "ms": round(elapsed_ms, 1),
        }
        if cpu_ms is not None:
            event["cpu_ms"] = round(cpu_ms, 1)
        if limit:
            event["limit"] = limit
        self.events.emit(**event)

    # -- the learner's process
    def _start_learner(self):
        name = os.path.basename(self.solution_path)
        try:
            with self._captured():
                hello = self._with_timeout(self.learner.connect)
        except _TestTimeout:
            self._stop_learner()
            self._fatal(
                "solution",
                f"Your code ({name}) took longer than {self.test_timeout:g} s to load (the "
                "per-test time limit), so the tests could not run. Is there an infinite loop "
                "or an input() outside a function?",
            )
            return False
        except LearnerGone as gone:
            self._fatal("solution", f"Your code ({name}) could not be loaded: {gone.message}")
            return False
        if hello.get("hello"):
            proxy = RemoteModule(self.module_name)
            proxy.__file__ = self.solution_path
            proxy.__loader__ = None
            self.learner.module_proxy = proxy
            self.learner.module_proxy_handle = Decoder(self.learner).decode(hello.get("module"))
            sys.modules[self.module_name] = proxy
            self.learner.on_restart = self._on_restart
            return True
        self._stop_learner()
        try:
            exc = self.learner.build_exception(hello.get("exc"))
        except LearnerGone as gone:
            self._fatal("solution", f"Your code ({name}) could not be loaded: {gone.message}")
            return False
        self._fatal("solution", self._load_problem(exc, name))
        return False

    def _on_restart(self, hello):
        self.learner.module_proxy_handle = Decoder(self.learner).decode(hello.get("module"))

    def _stop_learner(self):
        if self.learner is not None:
            self.learner.stop()

    def _load_problem(self, exc, name):
        if isinstance(exc, SyntaxError):
            where = f" on line {exc.lineno}" if exc.lineno else ""
            text = f"\n    {exc.text.strip()}" if exc.text and exc.text.strip() else ""
            return f"Your code has a {_kind_of_syntax_error(exc)}{where}: {exc.msg}{text}"
        if isinstance(exc, SystemExit):
            return (
                "Your code called exit() while it was being loaded, so the tests could not "
                'run. Remove the exit() call (or put it under `if __name__ == "__main__":`).'
            )
        detail, _limit = self._describe_error(exc, None)
        hint = ""
        if isinstance(exc, EOFError):
            hint = (
                " Your code calls input() when it is loaded, but the tests give it no "
                "input: move input() calls into a function or under "
                '`if __name__ == "__main__":`.'
            )
        return f"Your code ({name}) failed while being loaded: {detail}.{hint}"

    # -- loading the tests
    def _load_tests(self):
        source = self.job["tests"]
        try:
            tree = ast.parse(source, self.tests_path)
        except SyntaxError as exc:
            self._fatal(
                "tests",
                f"The tests have a syntax error on line {exc.lineno}: {exc.msg} (this is a "
                "problem with the tests, not with your code)",
            )
            return None
        tree = ast.fix_missing_locations(_AssertRewriter(source).visit(tree))
        module = types.ModuleType("test_" + self.module_name)
        module.__file__ = self.tests_path
        module.__builtins__ = builtins
        module.__lf_assert_compare__ = _lf_assert_compare
        module.__lf_assert_true__ = _lf_assert_true
        module.__lf_assert_not__ = _lf_assert_not
        sys.modules[module.__name__] = module
        try:
            code = compile(tree, self.tests_path, "exec", dont_inherit=True)
            with self._captured():
                self._with_timeout(lambda: exec(code, module.__dict__))
        except ImportError as exc:
            missing = re.match(r"cannot import name '([^']+)' from '([^']+)'", str(exc))
            if missing and missing.group(2) == self.module_name:
                self._fatal(
                    "solution",
                    f"The tests use `{missing.group(1)}` from your code, but "
                    f"{self.module_name}.py does not define it. Check the name and its spelling.",
                )
            else:
                self._fatal("tests", f"The tests could not be loaded: {_one_line(exc)}")
            return None
        except AttributeError as exc:
            if self.learner.raised_by_learner(exc) or not re.search(
                rf"module '{re.escape(self.module_name)}' has no attribute", str(exc)
            ):
                detail, _ = self._describe_error(exc, exc.__traceback__)
                self._fatal("tests", f"The tests could not be loaded: {detail}")
            else:
                self._fatal("solution", f"The tests could not be loaded: {_one_line(exc)}")
            return None
        except _TestTimeout:
            self._fatal("tests", "The tests took too long to load (the per-test time limit).")
            return None
        except LearnerGone as gone:
            self._fatal("solution", f"The tests could not be loaded: {gone.message}")
            return None
        except BaseException as exc:
            detail, _ = self._describe_error(exc, exc.__traceback__)
            self._fatal("tests", f"The tests could not be loaded: {detail}")
            return None
        return module

    # -- collection (pytest's rules and order)
    def _collect(self, module):
        import unittest

        self.fixtures = {
            value.__lf_fixture__["name"]: value
            for value in vars(module).values()
            if callable(value) and hasattr(value, "__lf_fixture__")
        }
        cases = []
        for name, value in list(vars(module).items()):
            if isinstance(value, type) and issubclass(value, unittest.TestCase):
                if getattr(value, "__module__", None) != module.__name__:
                    continue
                methods = unittest.TestLoader().getTestCaseNames(value)
                cases += [_Case(f"{name}.{m}", testcase=value, method=m) for m in methods]
            elif isinstance(value, type) and name.startswith("Test"):
                if getattr(value, "__module__", None) != module.__name__:
                    continue
                if "__init__" in vars(value):
                    continue  # pytest does not collect classes with a constructor
                seen = set()
                for klass in reversed(value.__mro__[:-1]):
                    for m, f in vars(klass).items():
                        if m.startswith("test") and callable(f) and m not in seen:
                            seen.add(m)
                            cases += self._expand(f"{name}.{m}", getattr(value, m), owner=value)
            elif name.startswith("test") and isinstance(value, types.FunctionType):
                if hasattr(value, "__lf_fixture__") or value.__module__ != module.__name__:
                    continue
                cases += self._expand(name, value)
        return cases

    def _expand(self, name, func, owner=None):
        try:
            return self._parametrize(name, func, owner)
        except _BadParametrize as exc:
            return [_Case(name, func=func, owner=owner, error=exc)]

    def _parametrize(self, name, func, owner):
        combos = [({}, [], {})]
        for names, values, ids in getattr(func, "__lf_params__", []):
            expanded = []
            labels = []
            for index, value in enumerate(values):
                label = None
                if isinstance(value, _Param):
                    label, value = value.id, value.values
                    if len(names) == 1:
                        value = value[0]
                if len(names) == 1:
                    value = (value,)
                if ids is not None and not callable(ids) and index < len(ids) and label is None:
                    label = None if ids[index] is None else str(ids[index])
                if not isinstance(value, (tuple, list)) or len(value) != len(names):
                    raise _BadParametrize(
                        f"parametrize gives {len(value) if isinstance(value, (tuple, list)) else 1}"
                        f" values for {len(names)} names"
                    )
                if label is None and callable(ids):
                    made = ids(value[0]) if len(names) == 1 else None
                    label = None if made is None else str(made)
                if label is None:
                    label = "-".join(
                        _param_id(n, v, index) for n, v in zip(names, value, strict=True)
                    )
                expanded.append(dict(zip(names, value, strict=True)))
                labels.append(label)
            labels = _unique_ids(labels)
            combos = [
                ({**params, **more}, [*got, label], fparams)
                for params, got, fparams in combos
                for more, label in zip(expanded, labels, strict=True)
            ]
        for fixture_name in self._parametrized_fixtures(func):
            fixture = self.fixtures[fixture_name]
            spec = fixture.__lf_fixture__
            ids = spec.get("ids")
            labels = []
            for index, param in enumerate(spec["params"]):
                if ids is not None and not callable(ids) and index < len(ids):
                    labels.append(str(ids[index]))
                elif callable(ids):
                    labels.append(str(ids(param)))
                else:
                    labels.append(_param_id(fixture_name, param, index))
            labels = _unique_ids(labels)
            combos = [
                (params, [*got, label], {**fparams, fixture_name: param})
                for params, got, fparams in combos
                for param, label in zip(spec["params"], labels, strict=True)
            ]
        cases = []
        for params, labels, fparams in combos:
            full = f"{name}[{'-'.join(labels)}]" if labels else name
            cases.append(_Case(full, func=func, params=params, owner=owner, fixture_params=fparams))
        return cases

    def _parametrized_fixtures(self, func):
        """Fixtures with `params` the test uses, directly or through other fixtures, in order."""
        found, seen = [], set()

        def visit(names):
            for name in names:
                if name in seen or name not in self.fixtures:
                    continue
                seen.add(name)
                fixture = self.fixtures[name]
                visit(_arg_names(fixture))
                if fixture.__lf_fixture__.get("params") is not None:
                    found.append(name)

        autouse = [n for n, f in self.fixtures.items() if f.__lf_fixture__["autouse"]]
        visit(autouse + _arg_names(func))
        return found

    # -- running
    def _cpu(self):
        """CPU seconds of this process (without the time checks themselves) and of every learner
        process of the run."""
        own = time.process_time() - self.tick_cpu
        return own + (self.learner.cpu_seconds() if self.learner else 0.0)

    def _learner_cpu(self):
        return self.learner.cpu_seconds() if self.learner is not None else 0.0

    def _received(self):
        reader = getattr(self.learner, "reader", None)
        return reader.received if reader is not None else 0

    def _with_timeout(self, call):
        """Run `call` within the per-test limit: CPU time of this process and the learner's
        (steady on a busy machine, unlike the clock), with the clock as a backstop for code that
        waits. Checked every TICK_S; also stops the run when its CPU budget is used up."""
        cpu_start = self._cpu()
        # the learner's CPU time and the bytes it sent, and when either last grew
        progress = [self._learner_cpu(), self._received(), time.monotonic()]

        def tick(_signum, _frame):
            entered = time.process_time()
            try:
                check()
            finally:
                self.tick_cpu += time.process_time() - entered

        def check():
            cpu, now = self._cpu(), time.monotonic()
            # waiting for the learner's code while it neither computes nor sends anything:
            # sleeping, or blocked
            waiting = self.learner is not None and self.learner.waiting
            learner_cpu, received = self._learner_cpu(), self._received()
            if (
                not waiting
                or learner_cpu - progress[0] >= PROGRESS_CPU_S
                or received != progress[1]
            ):
                progress[:] = [learner_cpu, received, now]
            over_run = cpu - self.run_cpu_start > self.run_timeout
            over_test = cpu - cpu_start > self.test_timeout
            over_wall = now - progress[2] > self.test_wall
            if over_run or over_test or over_wall:
                signal.setitimer(signal.ITIMER_REAL, 0)
                if self.learner is not None:
                    self.learner.abandon()  # it may be stuck in the learner's code: stop it now
                if over_run:
                    raise _RunTimeout()
                raise _TestTimeout(wall=over_wall and not over_test)

        previous = signal.signal(signal.SIGALRM, tick)
        signal.setitimer(signal.ITIMER_REAL, TICK_S, TICK_S)
        try:
            return call()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def _run_case(self, case, autouse, module):
        """(status, message, limit) of one test."""
        if case.error is not None:
            return "error", self._describe_error(case.error, None)[0], None
        if case.testcase is not None:
            return self._run_unittest(case)
        if getattr(case.func, "__lf_skip__", None):
            return "skip", None, None
        patch = _MonkeyPatch()
        teardowns = []
        try:
            with self._captured():
                try:
                    self._with_timeout(
                        lambda: self._call_pytest(case, autouse, patch, teardowns, module)
                    )
                finally:
                    self._with_timeout(lambda: self._finish_pytest(case, teardowns, patch, module))
        except _Skipped:
            return "skip", None, None
        except BaseException as exc:
            return self._outcome(exc, exc.__traceback__)
        return "pass", None, None

    def _outcome(self, exc, tb):
        """(status, message, limit) for what a test raised."""
        if isinstance(exc, _TestTimeout):
            return "error", self._timeout_message(exc), "test_timeout_s"
        if isinstance(exc, _RunTimeout):
            return "error", self._run_timeout_message(), "run_timeout_s"
        if isinstance(exc, LearnerGone):
            return "error", exc.message, exc.limit
        if isinstance(exc, AssertionError) and not self.learner.raised_by_learner(exc):
            return "fail", self._describe_failure(exc, tb), None
        if isinstance(exc, AssertionError):
            detail, _ = self._describe_error(exc, tb)
            return "fail", f"Your code raised {detail}", None
        message, limit = self._describe_error(exc, tb)
        return "error", message, limit

    def _call_pytest(self, case, autouse, patch, teardowns, module):
        cache = dict(case.params)
        counter = [0]

        def resolve(name, stack=()):
            if name in cache:
                return cache[name]
            if name in stack:
                raise RuntimeError(f"fixture {name!r} depends on itself")
            if name in self.fixtures:
                value = self._fixture_value(name, case, resolve, stack, teardowns)
            elif name == "tmp_path":
                import pathlib

                counter[0] += 1
                path = pathlib.Path(WORKDIR, ".tmp_path", f"{_slug(case.name)}-{counter[0]}")
                path.mkdir(parents=True)
                value = path
            elif name == "capsys":
                value = _CapSys(self.capture)
            elif name == "monkeypatch":
                value = patch
            elif name == "request":
                value = _Request(case)
            else:
                raise _MissingFixture(
                    f"the test asks for fixture {name!r}, which this test runner does not provide"
                )
            cache[name] = value
            return value

        for fixture in autouse:
            resolve(fixture.__lf_fixture__["name"])
        func = case.func
        if case.owner is not None:
            instance = case.owner()
            func = getattr(instance, func.__name__)
            setup = getattr(instance, "setup_method", None)
            if callable(setup):
                setup(func)
            case.instance = instance
        else:
            setup = getattr(module, "setup_function", None)
            if callable(setup):
                setup(case.func)
        func(**{name: resolve(name) for name in _arg_names(func)})

    def _fixture_value(self, name, case, resolve, stack, teardowns):
        fixture = self.fixtures[name]
        spec = fixture.__lf_fixture__
        scope = "module" if spec["scope"] in ("package", "session") else spec["scope"]
        param = case.fixture_params.get(name)
        key = (name, scope, repr(param) if spec.get("params") is not None else None)
        if scope != "function" and key in self.scoped:
            return self.scoped[key]
        kwargs = {}
        for arg in _arg_names(fixture):
            kwargs[arg] = (
                _Request(case, param) if arg == "request" else resolve(arg, (*stack, name))
            )
        value = fixture(**kwargs)
        if isinstance(value, types.GeneratorType):
            (teardowns if scope == "function" else self.scoped_teardowns[scope]).append(value)
            value = next(value)
        if scope != "function":
            self.scoped[key] = value
        return value

    def _finish_pytest(self, case, teardowns, patch, module):
        try:
            for gen in reversed(teardowns):
                with contextlib.suppress(StopIteration):
                    next(gen)
            instance = getattr(case, "instance", None)
            hook = (
                getattr(instance, "teardown_method", None)
                if instance is not None
                else getattr(module, "teardown_function", None)
            )
            if callable(hook):
                hook(getattr(instance, case.func.__name__) if instance is not None else case.func)
        finally:
            patch.undo()

    def _end_scope(self, scope):
        for gen in reversed(self.scoped_teardowns[scope]):
            try:
                with self._captured():
                    self._with_timeout(lambda gen=gen: next(gen, None))
            except BaseException:
                pass
        self.scoped_teardowns[scope] = []
        for key in [k for k in self.scoped if k[1] == scope]:
            del self.scoped[key]

    def _call_hook(self, hook, arg):
        try:
            with self._captured():
                self._with_timeout(lambda: hook(arg))
        except BaseException as exc:
            return self._outcome(exc, exc.__traceback__)[1]
        return None

    def _run_unittest(self, case):
        result = self._unittest_result()
        test = case.testcase(case.method)
        with self._captured():
            try:
                self._with_timeout(lambda: test.run(result))
            except (_TestTimeout, _RunTimeout) as stopped:
                return self._outcome(stopped, None)
            except LearnerGone as gone:
                return "error", gone.message, gone.limit
            except BaseException as exc:  # e.g. KeyboardInterrupt from the learner's code
                return self._outcome(exc, exc.__traceback__)
        if result.lf.skipped:
            return "skip", None, None
        if result.lf.problem is None:
            return "pass", None, None
        kind, err, label = result.lf.problem
        _exc_type, exc, tb = err
        if isinstance(exc, _RunTimeout):
            raise exc  # caught by unittest on its way out: the run stops here
        status, message, limit = self._outcome(exc, tb)
        if kind == "error" and status == "fail" and not isinstance(exc, AssertionError):
            status = "error"
        if label:
            message = f"{label}: {message}"
        return status, message, limit

    def _unittest_result(self):
        import unittest

        class Result(unittest.TestResult):
            def __init__(self):
                super().__init__()
                self.lf = _UnittestResult()

            def addFailure(self, test, err):
                self.lf.record("fail", err)

            def addError(self, test, err):
                self.lf.record("error", err)

            def addSubTest(self, test, subtest, err):
                if err is not None:
                    failed = issubclass(err[0], test.failureException)
                    label = subtest._subDescription().strip("() ") or None
                    self.lf.record("fail" if failed else "error", err, label)

            def addSkip(self, test, reason):
                self.lf.skipped = True

            def addExpectedFailure(self, test, err):
                self.lf.skipped = True  # like pytest's xfail: neither a pass nor a failure

            def addUnexpectedSuccess(self, test):
                self.lf.record(
                    "fail",
                    (
                        AssertionError,
                        AssertionError("This test was expected to fail, but it passed."),
                        None,
                    ),
                )

        return Result()

    def _class_setup(self, cls):
        hook = getattr(cls, "setUpClass", None) or getattr(cls, "setup_class", None)
        if not callable(hook):
            return None
        try:
            with self._captured():
                self._with_timeout(hook)
        except BaseException as exc:
            _status, message, _limit = self._outcome(exc, exc.__traceback__)
            if isinstance(exc, _TestTimeout):
                return message
            return "setUpClass failed: " + message
        return None

    def _class_teardown(self, cls):
        hook = getattr(cls, "tearDownClass", None) or getattr(cls, "teardown_class", None)
        if not callable(hook):
            return
        try:
            with self._captured():
                self._with_timeout(hook)
        except BaseException:
            pass

    # -- messages
    def _timeout_message(self, timeout=None):
        if timeout is not None and timeout.wall:
            return (
                f"This test was stopped after waiting for {self.test_wall:g} s without computing "
                f"anything (the per-test time limit is {self.test_timeout:g} s). Is it sleeping, "
                "or waiting for something that never comes?"
            )
        return (
            f"This test took longer than {self.test_timeout:g} s (the per-test time limit) and "
            "was stopped. Is there an infinite loop, or a very slow computation?"
        )

    def _run_timeout_message(self):
        return (
            f"The tests used up the run's time limit of {self.run_timeout:g} s, so this test was "
            "stopped. Is there an infinite loop, or a very slow computation?"
        )

    def _describe_failure(self, exc, tb):
        """Our own messages as they are; others (unittest's) prefixed with the failing line."""
        text = str(exc).strip()
        if isinstance(exc, _Failed) or text.startswith("Expected") or "\nExpected " in text:
            return text
        line = self._line_in(tb, self.tests_path)
        if line:
            return f"{line} failed: {text}" if text else f"{line} failed."
        return text or "The assertion failed."

    def _line_in(self, tb, path):
        import linecache

        found = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == path:
                found = linecache.getline(path, tb.tb_lineno).strip()
            tb = tb.tb_next
        return found

    def _describe_error(self, exc, tb):
        """(message, limit): the exception in one line, where it happened, and the limit that
        caused it, if one did."""
        if isinstance(exc, (_MissingFixture, _BadParametrize)):
            return f"The test cannot run: {exc}", None
        if isinstance(exc, LearnerGone):
            return exc.message, exc.limit
        text = _one_line(exc)
        limit = None
        if isinstance(exc, RecursionError):
            text += " (does a function call itself without ever stopping?)"
        elif isinstance(exc, MemoryError) or _frame_push_failed(exc):
            limit = "memory_mb"
            text = "MemoryError" if _frame_push_failed(exc) else text
            text += (
                f" (your code used more than its memory limit of {self.memory_mb} MB)"
                if self.memory_mb
                else " (your code ran out of memory)"
            )
        elif isinstance(exc, EOFError):
            text += " (the code called input(), but the tests give it no input)"
        elif isinstance(exc, StaleObject):
            text = str(exc)
        remote = self.learner.remote_frames(exc) if self.learner is not None else None
        if remote:
            path, line, name = remote[-1]
            where = os.path.basename(path)
            if name == "<module>":
                return f"{text} ({where}, line {line})", limit
            return f"{text} (in {name}(), {where} line {line})", limit
        frame = None
        walker = tb
        while walker is not None:
            if walker.tb_frame.f_code.co_filename == self.tests_path:
                frame = walker
            walker = walker.tb_next
        if frame is not None:
            code = frame.tb_frame.f_code
            where = os.path.basename(code.co_filename)
            if code.co_name == "<module>":
                text += f" ({where}, line {frame.tb_lineno})"
            else:
                text += f" (in {code.co_name}(), {where} line {frame.tb_lineno})"
        return text, limit


def _frame_push_failed(exc):
    """CPython 3.11 reports a failed frame allocation (no memory left) this way."""
    return isinstance(exc, SystemError) and "error return without exception set" in str(exc)


def _guard_unittest():
    """assertAlmostEqual computes `first - second`: an object of the learner's code must not see
    the expected value that way. Such an object is compared by its builtin value only."""
    import unittest

    for name in ("assertAlmostEqual", "assertNotAlmostEqual"):
        original = getattr(unittest.TestCase, name)

        def guarded(self, first, second, *args, __original=original, **kwargs):
            first, second = _plain_number(first), _plain_number(second)
            return __original(self, first, second, *args, **kwargs)

        setattr(unittest.TestCase, name, guarded)


def _plain_number(value):
    learner = _CURRENT[0] if _CURRENT else None
    if learner is None or not learner.is_handle(value):
        return value
    plain = learner.plain_value(value)
    if plain is NotImplemented:
        raise AssertionError(
            f"Expected a number, but your code gave {_short(value)} "
            f"(an object of type {type(value).__name__})."
        )
    return plain


def _one_line(exc):
    text = str(exc).strip().splitlines()
    if isinstance(exc, KeyError) and exc.args:
        return f"KeyError: {_short(exc.args[0])}"
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _kind_of_syntax_error(exc):
    return "indentation error" if isinstance(exc, IndentationError) else "syntax error"


def _arg_names(func):
    """The parameters a test or fixture needs (those without a default)."""
    import inspect

    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return []
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in parameters if p.default is p.empty and p.kind in kinds]


def _param_id(name, value, index):
    """The id pytest gives one parametrize value (its `_idval`)."""
    if isinstance(value, str):
        return _ascii_escaped(value)
    if isinstance(value, bytes):
        return value.decode("ascii", "backslashreplace")
    if value is None or isinstance(value, (float, int, bool, complex)):
        return str(value)
    if isinstance(value, re.Pattern):
        return _ascii_escaped(value.pattern)
    import enum

    if isinstance(value, enum.Enum):
        return str(value)
    if isinstance(getattr(value, "__name__", None), str) and isinstance(
        value, (type, types.FunctionType)
    ):
        return value.__name__
    return f"{name}{index}"


def _ascii_escaped(text):
    escaped = text.encode("unicode_escape").decode("ascii")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in escaped)


def _unique_ids(ids):
    """pytest's way to tell equal ids apart: a counter suffix."""
    if len(ids) == len(set(ids)):
        return ids
    import collections

    counts = collections.Counter(ids)
    suffixes = collections.defaultdict(int)
    taken = set(ids)
    out = list(ids)
    for index, ident in enumerate(ids):
        if counts[ident] > 1:
            sep = "_" if ident and ident[-1].isdigit() else ""
            new = f"{ident}{sep}{suffixes[ident]}"
            while new in taken:
                suffixes[ident] += 1
                new = f"{ident}{sep}{suffixes[ident]}"
            out[index] = new
            taken.add(new)
            suffixes[ident] += 1
    return out


def _slug(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60]
