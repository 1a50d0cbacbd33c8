# mypy: disable-error-code="no-untyped-def,no-untyped-call,var-annotated,attr-defined"
# (Runs inside the sandbox on any Python 3.10+, not imported by the host: typed lightly.)
"""The test harness that runs inside the sandbox for `run_tests` (standard library only).

The host sends this file's source inside the job; the guest compiles it only in tests mode and
calls `run(job, events_fd)`. It imports the learner's module, loads the tests with pytest-style
assertion rewriting, collects unittest classes and pytest-style functions and classes (with a
small stand-in for pytest: raises, approx, fail, skip, mark.parametrize/skip/skipif, fixtures incl.
tmp_path, capsys and monkeypatch), runs each test with its own timeout and captured output, and
emits one JSON-line event per test: {e: "test", name, status: pass|fail|error, message, output}.

Before the tests: {e: "fatal", kind: solution|tests, message} when the learner's code or the tests
cannot be loaded, else {e: "collected", names}. Messages are short and written for a beginner.
The learner's code runs in this same process: it could forge events, which only fools itself.
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
import types

WORKDIR = "/tmp"
MAX_TEST_OUTPUT = 500
MAX_MESSAGE = 1000
REPR_CHARS = 120


def run(job, events_fd):
    """Entry point, called by the guest in the forked child."""
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
    pass


class _Skipped(Exception):
    pass


class _Failed(AssertionError):
    pass


class _BadParametrize(Exception):
    pass


class _MissingFixture(LookupError):
    pass


def _short(value):
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<unprintable {type(value).__name__}: {type(exc).__name__}>"
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


class _Capture(io.TextIOBase):
    """Keeps the first `limit` characters a test prints (stdout and stderr together)."""

    def __init__(self, limit):
        super().__init__()
        self.limit = limit
        self.parts = []
        self.kept = 0
        self.total = 0

    @property
    def encoding(self):  # type: ignore[override]
        return "utf-8"

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        self.total += len(text)
        if self.kept < self.limit:
            piece = text[: self.limit - self.kept]
            self.parts.append(piece)
            self.kept += len(piece)
        return len(text)

    def value(self):
        return "".join(self.parts)

    def reset(self):
        self.parts, self.kept, self.total = [], 0, 0

    def render(self):
        text = self.value()
        if self.total > self.limit:
            text += f"\n[output truncated: only the first {self.limit} characters are shown]"
        return text


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
        if not issubclass(exc_type, self.expected):
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

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self):
        return f"approx({_short(self.expected)})"


class _Param:
    def __init__(self, values, id=None, marks=()):
        self.values = values
        self.id = id


def _fail(reason=""):
    raise _Failed(reason or "the test called pytest.fail()")


def _skip(reason=""):
    raise _Skipped(reason)


class _Marks:
    def parametrize(self, argnames, argvalues, ids=None, **_kwargs):
        names = [n.strip() for n in argnames.split(",")] if isinstance(argnames, str) else argnames

        def decorate(func):
            func.__dict__.setdefault("__lf_params__", []).insert(0, (list(names), argvalues, ids))
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


def _fixture(func=None, *, scope="function", autouse=False, name=None, **_kwargs):
    def decorate(f):
        f.__lf_fixture__ = {"autouse": autouse, "name": name or f.__name__}
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
        text = self.capture.value()
        self.capture.reset()
        return types.SimpleNamespace(out=text, err="")


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


class _Case:
    """One collected test: a name and how to run it."""

    def __init__(
        self, name, func=None, params=None, testcase=None, method=None, owner=None, error=None
    ):
        self.name = name
        self.error = error
        self.func = func
        self.params = params or {}
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
        self.capture = _Capture(MAX_TEST_OUTPUT)
        self.real_streams = (sys.stdout, sys.stderr)

    @contextlib.contextmanager
    def _captured(self):
        """Send what the code prints (stdout and stderr) to the capped capture."""
        self.capture.reset()
        sys.stdout = sys.stderr = self.capture
        try:
            yield
        finally:
            sys.stdout, sys.stderr = self.real_streams

    # -- the run
    def run(self):
        if WORKDIR not in sys.path:
            sys.path.insert(0, WORKDIR)
        sys.modules["pytest"] = _pytest_module()
        sys.stdin = io.StringIO("")
        if not self._import_solution():
            return
        module = self._load_tests()
        if module is None:
            return
        cases = self._collect(module)
        self.events.emit(e="collected", names=[case.name for case in cases])
        if not cases:
            self._fatal("tests", "No tests were found: test functions must be named test_...")
            return
        autouse = [f for f in self.fixtures.values() if f.__lf_fixture__["autouse"]]
        current_class = None
        class_error = None
        for case in cases:
            if case.testcase is not current_class:
                if current_class is not None and class_error is None:
                    self._class_teardown(current_class)
                current_class = case.testcase
                class_error = None if current_class is None else self._class_setup(current_class)
            if class_error is not None:
                self._report(case, "error", class_error, "")
                continue
            status, message = self._run_case(case, autouse)
            self._report(case, status, message, self.capture.render())
        if current_class is not None and class_error is None:
            self._class_teardown(current_class)
        for stream in self.real_streams:
            stream.flush()

    def _fatal(self, kind, message):
        self.events.emit(e="fatal", kind=kind, message=message[:MAX_MESSAGE])

    def _report(self, case, status, message, output):
        self.events.emit(
            e="test",
            name=case.name,
            status=status,
            message=(message or "")[:MAX_MESSAGE],
            output=output,
        )

    # -- loading
    def _import_solution(self):
        name = os.path.basename(self.solution_path)
        try:
            with self._captured():
                __import__(self.module_name)
        except SyntaxError as exc:
            where = f" on line {exc.lineno}" if exc.lineno else ""
            text = f"\n    {exc.text.strip()}" if exc.text and exc.text.strip() else ""
            self._fatal(
                "solution",
                f"Your code has a {_kind_of_syntax_error(exc)}{where}: {exc.msg}{text}",
            )
            return False
        except SystemExit:
            self._fatal(
                "solution",
                "Your code called exit() while it was being loaded, so the tests could not "
                'run. Remove the exit() call (or put it under `if __name__ == "__main__":`).',
            )
            return False
        except BaseException as exc:
            detail = self._describe_error(exc, exc.__traceback__)
            hint = ""
            if isinstance(exc, EOFError):
                hint = (
                    " Your code calls input() when it is loaded, but the tests give it no "
                    "input: move input() calls into a function or under "
                    '`if __name__ == "__main__":`.'
                )
            self._fatal(
                "solution",
                f"Your code ({name}) failed while being loaded: {detail}.{hint}",
            )
            return False
        return True

    def _load_tests(self):
        with open(self.tests_path, encoding="utf-8") as handle:
            source = handle.read()
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
                exec(code, module.__dict__)
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
        except BaseException as exc:
            self._fatal(
                "tests",
                f"The tests could not be loaded: {self._describe_error(exc, exc.__traceback__)}",
            )
            return None
        return module

    # -- collection
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
                loader = unittest.TestLoader()
                methods = loader.getTestCaseNames(value)
                methods = sorted(methods, key=lambda m, c=value: _first_line(getattr(c, m)))  # type: ignore[misc]
                cases += [_Case(f"{name}.{m}", testcase=value, method=m) for m in methods]
            elif isinstance(value, type) and name.startswith("Test"):
                if getattr(value, "__module__", None) != module.__name__:
                    continue
                methods = [
                    m for m, f in vars(value).items() if m.startswith("test") and callable(f)
                ]
                for m in methods:
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
        combos = [({}, [])]
        for names, values, ids in getattr(func, "__lf_params__", []):
            expanded = []
            for index, value in enumerate(values):
                label = None
                if isinstance(value, _Param):
                    label, value = value.id, value.values
                    if len(names) == 1:
                        value = value[0]
                if len(names) == 1:
                    value = (value,)
                if ids is not None and index < len(ids):
                    label = str(ids[index])
                if len(value) != len(names):
                    raise _BadParametrize(
                        f"parametrize gives {len(value)} values for {len(names)} names"
                    )
                if label is None:
                    label = "-".join(
                        _param_id(n, v, index) for n, v in zip(names, value, strict=True)
                    )
                expanded.append((dict(zip(names, value, strict=True)), label))
            combos = [
                ({**params, **more}, [*labels, label])
                for params, labels in combos
                for more, label in expanded
            ]
        cases = []
        for params, labels in combos:
            full = f"{name}[{'-'.join(labels)}]" if labels else name
            cases.append(_Case(full, func=func, params=params, owner=owner))
        return cases

    # -- running
    def _with_timeout(self, call):
        def expired(_signum, _frame):
            raise _TestTimeout()

        previous = signal.signal(signal.SIGALRM, expired)
        signal.setitimer(signal.ITIMER_REAL, self.test_timeout)
        try:
            return call()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def _run_case(self, case, autouse):
        if case.error is not None:
            return "error", self._describe_error(case.error, None)
        if case.testcase is not None:
            return self._run_unittest(case)
        if getattr(case.func, "__lf_skip__", None):
            return "skip", None
        patch = _MonkeyPatch()
        teardowns = []
        try:
            with self._captured():
                try:
                    self._with_timeout(lambda: self._call_pytest(case, autouse, patch, teardowns))
                finally:
                    for gen in reversed(teardowns):
                        with contextlib.suppress(StopIteration):
                            next(gen)
                    patch.undo()
        except _Skipped:
            return "skip", None
        except _TestTimeout:
            return "error", self._timeout_message()
        except AssertionError as exc:
            return "fail", self._describe_failure(exc, exc.__traceback__)
        except BaseException as exc:
            return "error", self._describe_error(exc, exc.__traceback__)
        return "pass", None

    def _call_pytest(self, case, autouse, patch, teardowns):
        cache = dict(case.params)
        counter = [0]

        def resolve(name, stack=()):
            if name in cache:
                return cache[name]
            if name in stack:
                raise RuntimeError(f"fixture {name!r} depends on itself")
            if name in self.fixtures:
                fixture = self.fixtures[name]
                value = fixture(**{a: resolve(a, (*stack, name)) for a in _arg_names(fixture)})
                if isinstance(value, types.GeneratorType):
                    teardowns.append(value)
                    value = next(value)
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
            func = getattr(case.owner.__new__(case.owner), func.__name__)
        func(**{name: resolve(name) for name in _arg_names(func)})

    def _run_unittest(self, case):
        result = self._unittest_result()
        test = case.testcase(case.method)
        with self._captured():
            try:
                self._with_timeout(lambda: test.run(result))
            except _TestTimeout:
                return "error", self._timeout_message()
        if result.lf.skipped:
            return "skip", None
        if result.lf.problem is None:
            return "pass", None
        kind, err, label = result.lf.problem
        exc_type, exc, tb = err
        if exc_type is _TestTimeout:
            return "error", self._timeout_message()
        if kind == "fail":
            message = self._describe_failure(exc, tb)
        else:
            message = self._describe_error(exc, tb)
        if label:
            message = f"{label}: {message}"
        return kind, message

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
                pass

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
        try:
            with self._captured():
                self._with_timeout(cls.setUpClass)
        except _TestTimeout:
            return self._timeout_message()
        except BaseException as exc:
            return "setUpClass failed: " + self._describe_error(exc, exc.__traceback__)
        return None

    def _class_teardown(self, cls):
        try:
            with self._captured():
                self._with_timeout(cls.tearDownClass)
        except BaseException:
            pass

    # -- messages
    def _timeout_message(self):
        return (
            f"This test took longer than {self.test_timeout:g} seconds and was stopped "
            "(timeout). Is there an infinite loop, or a very slow computation?"
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
        if isinstance(exc, (_MissingFixture, _BadParametrize)):
            return f"The test cannot run: {exc}"
        text = _one_line(exc)
        if isinstance(exc, RecursionError):
            text += " (does a function call itself without ever stopping?)"
        if isinstance(exc, EOFError):
            text += " (the code called input(), but the tests give it no input)"
        frame = None
        for path in (self.solution_path, self.tests_path):
            walker = tb
            while walker is not None:
                if walker.tb_frame.f_code.co_filename == path:
                    frame = walker
                walker = walker.tb_next
            if frame is not None:
                break
        if frame is not None:
            code = frame.tb_frame.f_code
            where = os.path.basename(code.co_filename)
            if code.co_name == "<module>":
                text += f" ({where}, line {frame.tb_lineno})"
            else:
                text += f" (in {code.co_name}(), {where} line {frame.tb_lineno})"
        return text


def _one_line(exc):
    text = str(exc).strip().splitlines()
    if isinstance(exc, KeyError) and exc.args:
        return f"KeyError: {_short(exc.args[0])}"
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _kind_of_syntax_error(exc):
    return "indentation error" if isinstance(exc, IndentationError) else "syntax error"


def _first_line(func):
    code = getattr(func, "__code__", None)
    return code.co_firstlineno if code is not None else 0


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
    if isinstance(value, (bool, int, float, type(None))) or (
        isinstance(value, str) and len(value) <= 20
    ):
        return str(value)
    return f"{name}{index}"


def _slug(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60]
