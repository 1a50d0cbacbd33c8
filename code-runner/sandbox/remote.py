# ruff: noqa: F821
# mypy: disable-error-code="no-untyped-def,no-untyped-call,var-annotated,attr-defined"
# mypy: disable-error-code="type-arg,name-defined,assignment,union-attr,index,arg-type"
# mypy: disable-error-code="return-value,operator,misc,has-type,call-overload,valid-type"
# (Runs inside the sandbox in the test process, executed after wire.py in the same namespace.)
"""The test process's side of the wire: the learner's process, and proxies of its objects.

`Learner` starts the learner's process (a fresh interpreter: `learner.py`), restarts it after a
test stopped it (a timeout, a crash), and makes every request. What comes back is plain data or
a proxy:

- a *handle* (`Remote`) for an object that stays in the learner's process: attribute access,
  calls and operators are forwarded;
- a *mirror class* for a class of the learner's code, a real local class, so `isinstance`,
  `issubclass`, `type(x) is Point` and `pytest.raises(InsufficientFunds)` work as usual;
- a rebuilt exception for an exception the learner's code raised.

What makes grading unforgeable: a learner's object never decides a comparison with the tests' own
values. `==`, `!=`, `<`, ... and arithmetic between a handle and plain data use the builtin value
inside the object (an int subclass compares as that int, a namedtuple as its tuple) or fail as
they would for unrelated types; `x in obj` iterates. Only two learner objects are compared by the
learner's own methods - both sides are the learner's then.
"""

import contextlib
import os
import signal
import sys
import types

LEARNER_STUB = (
    "import os,sys\n"
    "r=int(sys.argv[1])\n"
    "def _read(n):\n"
    "    b=b''\n"
    "    while len(b)<n:\n"
    "        c=os.read(r,n-len(b))\n"
    "        if not c: raise SystemExit(3)\n"
    "        b+=c\n"
    "    return b\n"
    "_src=_read(int.from_bytes(_read(4),'big'))\n"
    "_ns={'__name__':'learnflow_learner','__builtins__':__builtins__}\n"
    "if _src[:1]==b'M':\n"
    "    import marshal\n"
    "    _code=marshal.loads(_src[1:])\n"
    "else:\n"
    "    _code=compile(_src[1:],'<learnflow-learner>','exec')\n"
    "exec(_code,_ns)\n"
    "del _src,_code\n"
    "_ns['learner_main'](r,int(sys.argv[2]))\n"
)


class LearnerGone(BaseException):
    """The learner's process ended or broke the wire during a request (not catchable by tests)."""

    def __init__(self, message, limit=None):
        super().__init__(message)
        self.message = message
        self.limit = limit


class StaleObject(Exception):
    """An object of a learner process that was stopped and replaced."""


# --- handles -----------------------------------------------------------------------------------
class Remote:
    """A handle on an object in the learner's process."""

    __slots__ = ("_lf_key", "_lf_path")

    def __getattr__(self, name):
        if name.startswith("_lf_"):
            raise AttributeError(name)
        return _peer().request("getattr", self, [name], path=_child_path(self, name))

    def __setattr__(self, name, value):
        if name in Remote.__slots__:
            object.__setattr__(self, name, value)
        else:
            _peer().request("setattr", self, [name, value])

    def __delattr__(self, name):
        _peer().request("delattr", self, [name])

    def __repr__(self):
        return _peer().text(self, "repr")

    def __str__(self):
        return _peer().text(self, "str")

    def __format__(self, spec):
        return _peer().request("format", self, [spec])

    def __dir__(self):
        return _peer().request("dir", self, [])

    def __eq__(self, other):
        return _compare(self, other, "eq")

    def __ne__(self, other):
        return _compare(self, other, "ne")

    def __lt__(self, other):
        return _compare(self, other, "lt")

    def __le__(self, other):
        return _compare(self, other, "le")

    def __gt__(self, other):
        return _compare(self, other, "gt")

    def __ge__(self, other):
        return _compare(self, other, "ge")

    def __hash__(self):
        return _peer().request("hash", self, [])

    def __reduce_ex__(self, protocol):
        raise TypeError(f"cannot copy or pickle an object of your code ({type(self).__name__})")


_SWAPPED = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def _compare(handle, other, op):
    peer = _peer()
    if peer.is_handle(other):
        if op in ("eq", "ne") and handle is other:
            return op == "eq"
        return peer.request(op, handle, [other])
    value = peer.plain_value(handle)
    if value is NotImplemented:
        return NotImplemented
    return _OPERATORS[op](value, other)


def _binary(op, reflected):
    def method(self, other):
        peer = _peer()
        if peer.is_handle(other):
            if reflected:
                return peer.request(op, other, [self])
            return peer.request(op, self, [other])
        value = peer.plain_value(self)
        if value is NotImplemented:
            return NotImplemented
        return _OPERATORS[op](other, value) if reflected else _OPERATORS[op](value, other)

    return method


def _forward(op):
    def method(self, *args):
        return _peer().request(op, self, list(args))

    method.__name__ = f"__{op}__"
    return method


def _call(self, *args, **kwargs):
    return _peer().request("call", self, list(args), kwargs=kwargs)


def _exit(self, exc_type, exc, tb):
    return _peer().request("exit", self, [exc_type, exc, None])


def _child_path(obj, name):
    """The dotted name of `obj.name` from the learner's module, when `obj` has one."""
    if isinstance(obj, type):
        path = obj.__dict__.get("_lf_class_path") or None
    else:
        try:
            path = object.__getattribute__(obj, "_lf_path")
        except AttributeError:
            path = None
    return None if path is None else f"{path}.{name}"


_UNARY = {
    "iter": "__iter__",
    "next": "__next__",
    "len": "__len__",
    "getitem": "__getitem__",
    "setitem": "__setitem__",
    "delitem": "__delitem__",
    "bool": "__bool__",
    "enter": "__enter__",
    "index": "__index__",
    "int": "__int__",
    "float": "__float__",
    "complex": "__complex__",
    "round": "__round__",
    "abs": "__abs__",
    "neg": "__neg__",
    "pos": "__pos__",
    "invert": "__invert__",
    "reversed": "__reversed__",
}


def _namespace_for(described):
    """The special methods a proxy class needs for the operations the remote type supports."""
    ops = set(described.get("ops", ()))
    namespace = {}
    for op, dunder in _UNARY.items():
        if op in ops:
            namespace[dunder] = _forward(op)
    if "call" in ops:
        namespace["__call__"] = _call
    if "exit" in ops:
        namespace["__exit__"] = _exit
    if "hash" not in ops:
        namespace["__hash__"] = None
    for op in BINARY_OPS:
        if op in ops:
            reflected = op.startswith("r") and op[1:] in BINARY_OPS
            name = op[1:] if reflected else op
            namespace[f"__{op}__"] = _binary(name, reflected)
    return namespace


class RemoteAttr:
    """A class attribute of a learner's class (so `vars(cls)` lists it); reads it remotely."""

    def __init__(self, name):
        self.name = name

    def __get__(self, obj, owner=None):
        target = owner if obj is None else obj
        return _peer().request("getattr", target, [self.name], path=_child_path(target, self.name))

    def __set__(self, obj, value):
        _peer().request("setattr", obj, [self.name, value])

    def __delete__(self, obj):
        _peer().request("delattr", obj, [self.name])


class RemoteClass(type):
    """Metaclass of mirror classes: calling one builds the object in the learner's process."""

    def __call__(cls, *args, **kwargs):
        if "_lf_class_path" not in cls.__dict__:
            raise TypeError(
                f"the tests cannot subclass {cls.__mro__[1].__name__} from your code here: "
                "its objects live in your program's own process"
            )
        return _peer().request("call", cls, list(args), kwargs=kwargs)

    def __getattr__(cls, name):
        if name.startswith("_lf_") or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(name)
        return _peer().request("getattr", cls, [name], path=_child_path(cls, name))

    def __setattr__(cls, name, value):
        if name.startswith("_lf_") or (name.startswith("__") and name.endswith("__")):
            type.__setattr__(cls, name, value)
            return
        _peer().request("setattr", cls, [name, value])
        if name.isidentifier():
            type.__setattr__(cls, name, RemoteAttr(name))

    def __delattr__(cls, name):
        _peer().request("delattr", cls, [name])
        if name in cls.__dict__:
            type.__delattr__(cls, name)


class RemoteException:
    """Mixed into mirrors of the learner's exception classes (instances are real exceptions)."""

    def __getattr__(self, name):
        if name.startswith("_lf_") or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(name)
        rid = self.__dict__.get("_lf_id")
        if rid is None:
            raise AttributeError(name)
        return _peer().request("getattr", self, [name])

    def __str__(self):
        text = self.__dict__.get("_lf_str")
        return text if isinstance(text, str) else BaseException.__str__(self)


class RemoteModule(types.ModuleType):
    """`solution` as the tests see it: every attribute is read from the learner's module."""

    def __getattr__(self, name):
        if name == "__all__":  # the module's own list, else (for `import *`) its public names
            try:
                return _peer().request("getattr", _peer().module_handle(), [name])
            except AttributeError:
                return _peer().module_names()
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _peer().request("getattr", _peer().module_handle(), [name], path=name)

    def __setattr__(self, name, value):
        if name.startswith("__") and name.endswith("__"):
            types.ModuleType.__setattr__(self, name, value)
        else:
            _peer().request("setattr", _peer().module_handle(), [name, value])

    def __delattr__(self, name):
        _peer().request("delattr", _peer().module_handle(), [name])

    def __dir__(self):
        return sorted(set(_peer().module_names()) | set(self.__dict__))


_OPERATORS = {}
_CURRENT = []


def _peer():
    return _CURRENT[0]


def _install_operators():
    import operator

    for name in (
        "add",
        "sub",
        "mul",
        "truediv",
        "floordiv",
        "mod",
        "pow",
        "matmul",
        "lshift",
        "rshift",
        "xor",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
    ):
        _OPERATORS[name] = getattr(operator, name)
    _OPERATORS["and"] = operator.and_
    _OPERATORS["or"] = operator.or_


_install_operators()


# --- the learner's process ---------------------------------------------------------------------
class Learner:
    """The connection to the learner's process; the peer for wire.Encoder / wire.Decoder."""

    def __init__(self, *, sources, module, workdir, solution_file, python=None, code=None):
        self.sources = sources
        self.code = code
        self.module_name = module
        self.workdir = workdir
        self.solution_file = solution_file
        self.python = python or sys.executable
        self.pid = None
        self.fd_in = self.fd_out = None
        self.generation = 0
        self.hello = None
        self.types = {}
        self.mirrors = {}
        self.proxies = {}
        self.foreign_ids = {}
        self.exports = {}
        self.export_ids = {}
        self.described = set()
        self.pending_types = {}
        self.next_id = 1
        self.frames = {}
        self.module_proxy = None
        self.last_sync = {}
        self.learner_exceptions = set()
        self.abandoned = False
        self.learner_uses_random = False
        self.waiting = False
        self.retired_cpu = 0.0
        self.live = {}
        self.module_proxy_handle = None
        self.on_restart = None
        _CURRENT[:] = [self]

    # -- lifecycle
    def start(self):
        """Start a fresh learner process; returns the hello frame (the module, or its error)."""
        self.spawn()
        return self.connect()

    def spawn(self):
        """Start the interpreter (it boots while the caller does other work)."""
        self.stop()
        to_learner_r, to_learner_w = os.pipe()
        from_learner_r, from_learner_w = os.pipe()
        os.set_inheritable(to_learner_r, True)
        os.set_inheritable(from_learner_w, True)
        argv = [
            self.python,
            "-I",
            "-B",
            "-X",
            "utf8",
            "-c",
            LEARNER_STUB,
            str(to_learner_r),
            str(from_learner_w),
        ]
        try:
            self.pid = os.posix_spawn(self.python, argv, dict(os.environ))
        finally:
            os.close(to_learner_r)
            os.close(from_learner_w)
        self.fd_out, self.fd_in = to_learner_w, from_learner_r
        self.reader = FrameReader(from_learner_r)
        self.abandoned = False
        self.generation += 1
        self.last_sync = {}
        self.learner_uses_random = False

    def connect(self):
        """Give the spawned interpreter its program and config; returns its hello frame."""
        # compiled by the host when it could, else the source to compile here
        source = b"S" + self.sources.encode("utf-8")
        program = b"M" + self.code if self.code is not None else source
        write_all(self.fd_out, len(program).to_bytes(4, "big") + program)
        send_frame(self.fd_out, {"module": self.module_name, "workdir": self.workdir})
        self.hello = self._receive()
        return self.hello

    def alive(self):
        return self.pid is not None and not self.abandoned

    def abandon(self):
        """Kill the learner's process now (safe in a signal handler); restarted on next use."""
        if self.pid is not None and not self.abandoned:
            self.abandoned = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def stop(self):
        self.abandoned = False
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self._reap(block=True)
        for fd in (self.fd_in, self.fd_out):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.fd_in = self.fd_out = None

    def _reap(self, block):
        if self.pid is None:
            return None
        try:
            pid, status, usage = os.wait4(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            self.pid = None
            return None
        if pid == 0:
            return None
        self.pid = None
        self.retired_cpu += usage.ru_utime + usage.ru_stime
        return status

    def cpu_seconds(self):
        """CPU time of every learner process so far: ended ones, and the running one (from
        /proc: it is this process's child and dumpable)."""
        total = self.retired_cpu
        if self.pid is not None:
            try:
                with open(f"/proc/{self.pid}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
            except (OSError, IndexError, ValueError):
                pass
        return total

    def ensure(self):
        """A running learner process: a fresh one after the last one was stopped."""
        if self.pid is not None and not self.abandoned:
            return
        hello = self.start()
        if not hello.get("hello"):
            self.stop()
            raise LearnerGone(
                "Your code failed while being loaded again: "
                + _describe_remote(self.build_exception(hello.get("exc")), self)
            )
        if self.on_restart is not None:
            self.on_restart(hello)

    def gone(self, why):
        """The learner's process broke the wire: stop it and explain how it ended."""
        status = None
        if self.pid is not None:
            for _ in range(50):
                status = self._reap(block=False)
                if status is not None or self.pid is None:
                    break
                import time

                time.sleep(0.01)
            if status is None and self.pid is not None:
                os.kill(self.pid, signal.SIGKILL)
                status = self._reap(block=True)
        self.stop()
        return LearnerGone(*_ending(status, why))

    # -- requests
    def request(self, op, target, args, kwargs=None, path=None):
        """Ask the learner's process to apply `op` to `target`; returns the (decoded) result.

        The learner's own calls back into this process (callbacks, input()) are served while
        waiting. An exception of the learner's code is raised here as a local exception.
        """
        self.ensure()
        encoder = Encoder(self)
        message = {"op": op, "target": self._target(target)}
        arguments, keywords = list(args), dict(kwargs or {})
        try:
            message["args"] = encoder.encode(arguments)
            if op == "call":
                message["kw"] = encoder.encode(keywords)
        except Unencodable as exc:
            raise TypeError(
                f"this value of the tests cannot be given to your code: {exc}"
            ) from None
        sync = self._sync()
        if sync:
            message["sync"] = sync
        live = self._live_changes()
        if live:
            message["live"] = live
        sent = [  # the tests' own containers among the arguments (not the wrappers made here)
            (i, c)
            for i, c in enumerate(encoder.keep)
            if _small_container(c) and c is not arguments and c is not keywords
        ]
        if sent:
            message["track"] = [[i, self._export_id(c)] for i, c in sent]
        self._send(message)
        reply = self._receive()
        decoder = Decoder(self, request=list(encoder.keep))
        self._apply_writeback(decoder, reply.get("wb"))
        self._apply_random(reply.get("random"))
        kept = reply.get("kept")
        if isinstance(kept, list):
            for _index, container in sent:
                if self._export_id(container) in kept:
                    self._track("T", self._export_id(container), container)
        self._apply_live_updates(reply.get("live_updates"))
        if "exc" in reply:
            raise self.build_exception(reply["exc"])
        value = decoder.decode(reply.get("ret"))
        if path is not None and isinstance(value, Remote):
            object.__setattr__(value, "_lf_path", path)
        lid = reply.get("live")
        if type(lid) is int and _small_container(value):
            self._track("L", lid, value)
        return value

    # -- containers both processes hold stay in step (see learner.py: LearnerPeer._track)
    def _track(self, owner, key, container):
        live_id = (owner, key)
        self.live.pop(live_id, None)
        self.live[live_id] = (container, Encoder(self).contents(container), self.generation)
        while len(self.live) > LIVE_CONTAINERS:
            self.live.pop(next(iter(self.live)))

    def _live_changes(self):
        """Containers both sides hold that the tests changed since the last frame."""
        changes = []
        for live_id, (container, snapshot, gen) in list(self.live.items()):
            if gen != self.generation:
                del self.live[live_id]
                continue
            try:
                now = Encoder(self).contents(container)
            except Exception:
                continue
            if now != snapshot:
                self.live[live_id] = (container, now, gen)
                changes.append([*live_id, now])
        return changes

    def _apply_live_updates(self, updates):
        if not isinstance(updates, list):
            return
        for item in updates:
            if not isinstance(item, list) or len(item) != 3:
                raise self.gone("sent a malformed live update")
            live_id = (item[0], item[1])
            if live_id not in self.live:
                continue  # no longer kept here
            container, _snapshot, gen = self.live[live_id]
            new = Decoder(self).decode(item[2])
            if type(new) is not type(container):
                raise self.gone("sent a live update of another type")
            _replace_in_place(container, new)
            self.live[live_id] = (container, Encoder(self).contents(container), gen)

    def _target(self, target):
        if isinstance(target, type) and "_lf_class_path" in target.__dict__:
            return ["H", self.class_id(target)]
        if isinstance(target, Remote):
            return ["H", self.handle_id(target)]
        rid = self.foreign(target)
        if rid is None:
            raise TypeError("not an object of your code")
        return ["H", rid]

    def text(self, handle, op):
        try:
            return self.request(op, handle, [])
        except (LearnerGone, StaleObject, WireError):
            return f"<{type(handle).__name__} object of your code (no longer available)>"

    def is_handle(self, value):
        return isinstance(value, Remote) or (
            isinstance(value, BaseException) and "_lf_id" in getattr(value, "__dict__", {})
        )

    def plain_value(self, handle):
        """The builtin value inside the learner's object (an int subclass's int, a namedtuple's
        tuple), or NotImplemented when it has none: what comparisons with the tests' values
        use, so the learner's own `__eq__` never decides them."""
        described = self.types.get((self.generation, self._tid_of(handle)))
        if described is None or not described.get("base"):
            return NotImplemented
        return self.request("snapshot", handle, [])

    def _tid_of(self, handle):
        cls = type(handle)
        tids = cls.__dict__.get("_lf_tids") or {}
        return tids.get(self.generation)

    def module_handle(self):
        self.ensure()
        return self.module_proxy_handle

    def module_names(self):
        self.ensure()
        return list(self.hello.get("names") or [])

    def handle_id(self, handle):
        gen, rid = object.__getattribute__(handle, "_lf_key")
        if gen == self.generation:
            return rid
        try:
            path = object.__getattribute__(handle, "_lf_path")
        except AttributeError:
            path = None
        if path is None:
            raise StaleObject(
                "this object was made by your code before it was restarted (an earlier test "
                "stopped it), so it no longer exists"
            )
        fresh = self.request("resolve", self.module_handle(), [path])
        gen2, rid2 = object.__getattribute__(fresh, "_lf_key")
        object.__setattr__(handle, "_lf_key", (gen2, rid2))
        return rid2

    def class_id(self, cls):
        tids = cls.__dict__["_lf_tids"]
        if self.generation in tids:
            return tids[self.generation]
        path = cls.__dict__.get("_lf_class_path")
        if not path:
            raise StaleObject(
                f"the class {cls.__name__} was made by your code before it was restarted"
            )
        fresh = self.request("resolve", self.module_handle(), [path])
        if fresh is not cls:
            raise StaleObject(f"{path} is no longer the same class in your code")
        return tids[self.generation]

    def _sync(self):
        """The working directory, environment and `random` state of the tests, when they changed
        (one process would share them: a test that seeds `random` gets the same numbers from the
        learner's code as it would in one process)."""
        sync = {}
        generator = sys.modules.get("random") if self.learner_uses_random else None
        if generator is not None:
            state = generator.getstate()
            if state != self.last_sync.get("random"):
                self.last_sync["random"] = state
                sync["random"] = Encoder(self).encode(state)
        try:
            cwd = os.getcwd()
        except OSError:
            cwd = None
        if cwd is not None and cwd != self.last_sync.get("cwd"):
            sync["cwd"] = self.last_sync["cwd"] = cwd
        raw = getattr(os.environ, "_data", None)  # compared raw: decoding it costs more
        if not isinstance(raw, dict):
            raw = dict(os.environ)
        if raw != self.last_sync.get("env"):
            self.last_sync["env"] = dict(raw)
            sync["env"] = dict(os.environ)
        return sync

    def _apply_random(self, encoded):
        if encoded is None:
            return
        import random

        try:
            state = Decoder(self).decode(encoded)
            random.setstate(state)
        except (TypeError, ValueError) as exc:
            raise self.gone(f"sent a malformed random state ({exc})") from None
        self.last_sync["random"] = random.getstate()

    def _send(self, message):
        if self.pending_types:
            message["types"], self.pending_types = self.pending_types, {}
        try:
            send_frame(self.fd_out, message)
        except (BrokenPipeError, OSError) as exc:
            raise self.gone(f"the wire broke ({type(exc).__name__})") from None

    def _receive(self):
        """The answer to the last request; meanwhile serves the learner's own calls to us."""
        while True:
            self.waiting = True  # the learner's code runs: what it computes is its CPU time
            try:
                message = self.reader.read()
            except EOFError:
                raise self.gone("ended") from None
            except WireError as exc:
                raise self.gone(f"sent a malformed message ({exc})") from None
            finally:
                self.waiting = False
            self._register_types(message)
            self._write_output(message)
            if message.get("uses_random"):
                self.learner_uses_random = True
            if "cb" in message:
                self._send(self._serve(message))
                continue
            return message

    def _register_types(self, message):
        described = message.get("types")
        if not isinstance(described, dict):
            return
        for key, value in described.items():
            if isinstance(key, str) and key.isdigit() and isinstance(value, dict):
                self.types[(self.generation, int(key))] = value

    def _write_output(self, message):
        out = message.get("out")
        if isinstance(out, list):
            for item in out:
                if isinstance(item, list) and len(item) == 2 and isinstance(item[1], str):
                    (sys.stderr if item[0] == "e" else sys.stdout).write(item[1])
        dropped = message.get("dropped")
        if type(dropped) is int and dropped > 0:
            sys.stdout.write(f"\n[{dropped} more characters your code printed are not shown]\n")

    def _apply_writeback(self, decoder, writeback):
        if writeback is None:
            return
        if not isinstance(writeback, list):
            raise self.gone("sent a malformed write-back")
        updates = []
        for item in writeback:
            if (
                not isinstance(item, list)
                or len(item) != 2
                or type(item[0]) is not int
                or not 0 <= item[0] < len(decoder.request)
            ):
                raise self.gone("sent a malformed write-back")
            updates.append((decoder.request[item[0]], decoder.decode(item[1])))
        for target, new in updates:
            if type(target) is type(new):
                _replace_in_place(target, new)

    # -- the learner's calls to the test process (only what its code needs)
    def _serve(self, message):
        encoder = Encoder(self)
        decoder = Decoder(self)
        try:
            result = self._serve_callback(message, decoder)
            reply = {"ret": encoder.encode(result)}
        except (_TestTimeout, LearnerGone):
            raise
        except Unencodable:
            reply = {"ret": self.export(result)}
        except BaseException as exc:
            reply = {"exc": self.describe_exception(exc)}
        return reply

    def _serve_callback(self, message, decoder):
        kind = message.get("cb")
        if kind == "input":
            args = decoder.decode(message.get("args"))
            prompt = args[0] if args else ""
            import builtins

            value = builtins.input(prompt)
            return value if isinstance(value, str) else str(value)
        if kind == "log":
            return _log(message.get("method"), decoder.decode(message.get("args")))
        if kind == "stdin":
            method = message.get("method")
            if method not in ("read", "readline", "readlines"):
                raise WireError("an unknown stdin method")
            args = decoder.decode(message.get("args"))
            return getattr(sys.stdin, method)(*args[:1])
        target = decoder.decode(message.get("target"))
        if not self._exported(target):
            raise WireError("a call on something the tests did not give")
        if kind == "call":
            args = decoder.decode(message.get("args"))
            kwargs = decoder.decode(message.get("kw"))
            if not callable(target) or not isinstance(args, list) or not isinstance(kwargs, dict):
                raise TypeError("not callable")
            return target(*args, **kwargs)
        name = message.get("name")
        if not isinstance(name, str) or name.startswith("_") or len(name) > 200:
            raise AttributeError(
                f"your code cannot use the attribute {name!r} of the tests' objects"
            )
        if kind == "getattr":
            _check_attribute_owner(target)
            return getattr(target, name)
        if kind == "setattr":
            _check_attribute_owner(target)
            value = decoder.decode(message.get("args"))
            setattr(target, name, value[0])
            return None
        if kind == "op":
            args = decoder.decode(message.get("args"))
            return _apply_op(name, target, args)
        raise WireError(f"an unknown callback {kind!r}")

    def _exported(self, obj):
        oid = self.export_ids.get(id(obj))
        return oid is not None and self.exports.get(oid) is obj

    # -- wire.Encoder / wire.Decoder peer interface
    def local(self, cls):
        module = getattr(cls, "__module__", None)
        return not (isinstance(module, str) and is_stdlib_module(module))

    def export(self, obj):
        if isinstance(obj, BaseException):
            return ["x", self.describe_exception(obj)]
        return ["h", self._export_id(obj), self._type_id(type(obj))]

    def _export_id(self, obj):
        key = id(obj)
        oid = self.export_ids.get(key)
        if oid is None or self.exports.get(oid) is not obj:
            oid = self.next_id
            self.next_id += 1
            self.exports[oid] = obj
            self.export_ids[key] = oid
        return oid

    def _type_id(self, cls):
        oid = self._export_id(cls)
        if oid not in self.described:
            self.described.add(oid)
            described = describe_type(cls, self.local)
            described.pop("ref", None)
            self.pending_types[str(oid)] = described
        return oid

    def foreign(self, obj):
        if isinstance(obj, Remote):
            return self.handle_id(obj)
        if isinstance(obj, type) and "_lf_class_path" in obj.__dict__:
            return self.class_id(obj)
        if isinstance(obj, BaseException):
            rid = obj.__dict__.get("_lf_id") if hasattr(obj, "__dict__") else None
            gen = obj.__dict__.get("_lf_gen") if hasattr(obj, "__dict__") else None
            if rid is not None and gen == self.generation:
                return rid
            return None
        return None

    def class_ref(self, cls):
        return None

    def own(self, oid):
        if oid not in self.exports:
            raise WireError("a reference to an object the tests never gave")
        return self.exports[oid]

    def global_value(self, module, qualname):
        return resolve_global(module, qualname)

    def handle(self, rid, tid):
        key = (self.generation, rid)
        found = self.proxies.get(key)
        if found is not None:
            return found
        cls = self.klass(tid, as_instance_type=True)
        proxy = object.__new__(cls)
        object.__setattr__(proxy, "_lf_key", key)
        object.__setattr__(proxy, "_lf_path", None)
        self.proxies[key] = proxy
        return proxy

    def klass(self, tid, as_instance_type=False):
        """The local class for the learner's type `tid` (a mirror, or a proxy type)."""
        key = (self.generation, tid)
        found = self.mirrors.get(key)
        if found is not None:
            return found
        described = self.types.get(key)
        if described is None:
            raise WireError("an undescribed type")
        if described.get("local"):
            cls = self._mirror(tid, described)
        else:
            cls = self._proxy_type(described)
            if not as_instance_type:
                # a standard-library class value would have come by name; this one could not be
                # looked up: give the tests a handle on the class object itself
                proxy = object.__new__(self._proxy_type(self.types.get(key) or {}))
                object.__setattr__(proxy, "_lf_key", key)
                object.__setattr__(proxy, "_lf_path", None)
                return proxy
        self.mirrors[key] = cls
        return cls

    def _proxy_type(self, described):
        name = str(described.get("name") or "object")
        key = ("proxy", name, tuple(described.get("ops", ())), str(described.get("base")))
        found = self.mirrors.get(key)
        if found is not None:
            return found
        namespace = _namespace_for(described)
        namespace["__slots__"] = ()
        namespace["__module__"] = property(
            lambda self: _peer().request("getattr", self, ["__module__"])
        )
        real = None
        ref = described.get("ref")
        if isinstance(ref, list) and len(ref) == 2:
            try:
                real = resolve_global(ref[0], ref[1], import_allowed=False)
            except Exception:
                real = None
        if isinstance(real, type):
            namespace["__class__"] = property(lambda self, real=real: real)
        namespace["__doc__"] = property(lambda self: self._lf_doc())
        namespace["_lf_doc"] = lambda self: _peer().request("doc", self, [])
        namespace["_lf_tids"] = {}
        cls = type(name, (Remote,), namespace)
        self.mirrors[key] = cls
        return cls

    def _mirror(self, tid, described):
        """A real local class standing for the learner's class `tid`, keyed by its name so the
        same class object serves every restart of the learner's process."""
        module = str(described.get("module") or self.module_name)
        qualname = str(described.get("qualname") or described.get("name") or "object")
        path = described.get("path")
        stable = ("class", module, qualname) if isinstance(path, str) else None
        if stable is not None and stable in self.mirrors:
            cls = self.mirrors[stable]
            cls.__dict__["_lf_tids"][self.generation] = tid
            return cls
        bases = []
        for base in described.get("bases") or []:
            if type(base) is int:
                bases.append(self.klass(base))
        is_exception = bool(described.get("exc"))
        if is_exception:
            builtin_base = builtin_exception(described.get("exc_base")) or Exception
            if not any(issubclass(b, BaseException) for b in bases):
                bases.append(builtin_base)
            bases.insert(0, RemoteException)
            bases = _dedupe_bases(bases)
            namespace = {}
        else:
            if not bases:
                bases = [Remote]
            namespace = _namespace_for(described)
            namespace["__slots__"] = ()
        namespace["__module__"] = module
        namespace["__qualname__"] = qualname
        namespace["__doc__"] = (
            described.get("doc") if isinstance(described.get("doc"), str) else None
        )
        namespace["_lf_tids"] = {self.generation: tid}
        namespace["_lf_class_path"] = path if isinstance(path, str) else ""
        namespace["_lf_described"] = described
        for name in described.get("attrs") or []:
            if (
                isinstance(name, str)
                and name.isidentifier()
                and not name.startswith("__")
                and not name.startswith("_lf_")
                and name not in namespace
            ):
                namespace[name] = RemoteAttr(name)
        name = str(described.get("name") or "object")
        metaclass = RemoteClass if not is_exception else _ExceptionMirrorClass
        cls = metaclass(name, tuple(bases), namespace)
        if stable is not None:
            self.mirrors[stable] = cls
        return cls

    # -- exceptions
    def build_exception(self, desc):
        """An exception the learner's code raised (or returned), as a real local exception."""
        if not isinstance(desc, dict):
            raise self.gone("sent a malformed exception")
        if "own" in desc:  # an exception of the tests, coming back
            own = self.exports.get(desc["own"]) if type(desc["own"]) is int else None
            if not isinstance(own, BaseException):
                raise self.gone("sent back an exception the tests never raised")
            return own
        rid = desc.get("id")
        key = (self.generation, rid)
        if type(rid) is int and key in self.proxies:
            return self.proxies[key]
        decoder = Decoder(self)
        args = [decoder.decode(a) for a in desc.get("args") or []]
        kind = desc.get("type")
        exc = None
        if isinstance(kind, list) and kind[:1] == ["g"] and len(kind) == 3:
            exc = _rebuild_standard_exception(kind[1], kind[2], args, desc, decoder)
        elif isinstance(kind, list) and kind[:1] == ["k"] and len(kind) == 2:
            cls = self.klass(kind[1])
            if isinstance(cls, type) and issubclass(cls, BaseException):
                exc = BaseException.__new__(cls, *args)
                exc.args = tuple(args)
        if exc is None:
            exc = _generic_exception(self, desc, args)
        if isinstance(exc, RemoteException) or type(exc).__name__ != desc.get("name"):
            exc.__dict__["_lf_str"] = desc.get("str") if isinstance(desc.get("str"), str) else ""
        if type(rid) is int:
            exc.__dict__["_lf_id"] = rid
            exc.__dict__["_lf_gen"] = self.generation
            self.proxies[key] = exc
        frames = desc.get("frames")
        if isinstance(frames, list):
            self.frames[id(exc)] = (exc, [f for f in frames if _frame_ok(f)])
        cause = desc.get("cause")
        if isinstance(cause, dict):
            exc.__cause__ = self.build_exception(cause)
        exc.__suppress_context__ = bool(desc.get("suppress"))
        self.learner_exceptions.add(id(exc))
        return exc

    def remote_frames(self, exc):
        entry = self.frames.get(id(exc))
        return entry[1] if entry is not None and entry[0] is exc else None

    def raised_by_learner(self, exc):
        entry = self.frames.get(id(exc))
        return (entry is not None and entry[0] is exc) or (
            id(exc) in self.learner_exceptions and isinstance(exc, RemoteException)
        )

    def describe_exception(self, exc):
        """An exception of the tests' callbacks, for the learner's process."""
        rid = self.foreign(exc)
        if rid is not None:
            return {"own": rid}  # the learner's own exception, going back
        cls = type(exc)
        ref = global_ref(cls)
        args = []
        for arg in exc.args[:20] if isinstance(exc.args, tuple) else ():
            try:
                args.append(Encoder(self).encode(arg))
            except Exception:
                args.append(None)
        if isinstance(exc, OSError) and exc.filename is not None and len(exc.args) == 2:
            args.append(exc.filename if isinstance(exc.filename, str) else None)
        desc = {
            "id": self._export_id(exc),
            "type": ["g", *ref] if ref is not None else None,
            "name": cls.__name__,
            "exc_base": next(
                (
                    b.__name__
                    for b in cls.__mro__
                    if b.__module__ == "builtins" and issubclass(b, BaseException)
                ),
                "Exception",
            ),
            "args": args,
            "str": short_text(str(exc), 4000),
        }
        return desc


def _replace_in_place(target, new):
    if isinstance(target, (list, bytearray)):
        target[:] = new
    elif isinstance(target, (dict, set)):
        target.clear()
        target.update(new)
    elif type(target).__name__ == "deque":
        target.clear()
        target.extend(new)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
LIVE_CONTAINERS = 32
LIVE_ITEMS = 200


def _small_container(value):
    return type(value) in (list, dict, set, bytearray) and len(value) <= LIVE_ITEMS


class _ExceptionMirrorClass(RemoteClass):
    """Metaclass of mirrors of the learner's exception classes."""


_BINARY_NAMES = frozenset(
    (
        "add",
        "sub",
        "mul",
        "truediv",
        "floordiv",
        "mod",
        "pow",
        "matmul",
        "lshift",
        "rshift",
        "and",
        "or",
        "xor",
    )
)


def _dedupe_bases(bases):
    out = []
    for base in bases:
        if base in out:
            continue
        if any(issubclass(other, base) for other in bases if other is not base):
            continue
        out.append(base)
    return out


def _frame_ok(frame):
    return (
        isinstance(frame, list)
        and len(frame) == 3
        and isinstance(frame[0], str)
        and type(frame[1]) is int
        and isinstance(frame[2], str)
    )


_DENIED_EXCEPTION_MODULES = ("unittest", "pytest", "_pytest", "learnflow")


def _rebuild_standard_exception(module, qualname, args, desc, decoder):
    """A builtin or standard-library exception rebuilt here; None when it must not be."""
    if module.partition(".")[0] in _DENIED_EXCEPTION_MODULES:
        return None  # e.g. unittest.SkipTest: from the learner's code it is just an error
    try:
        cls = resolve_global(module, qualname)
    except Exception:
        return None
    if not isinstance(cls, type) or not issubclass(cls, BaseException):
        return None
    if module == "builtins":
        try:
            return cls(*args)
        except Exception:
            exc = cls.__new__(cls)
            exc.args = tuple(args)
            return exc
    try:
        exc = cls.__new__(cls, *args)
        BaseException.__init__(exc, *args)
    except Exception:
        return None
    attrs = desc.get("attrs")
    if isinstance(attrs, dict):
        for key, value in attrs.items():
            if isinstance(key, str) and key.isidentifier():
                with contextlib.suppress(Exception):
                    setattr(exc, key, decoder.decode(value))
    return exc


def _generic_exception(peer, desc, args):
    base = builtin_exception(desc.get("exc_base")) or Exception
    if base in (KeyboardInterrupt, GeneratorExit):
        base = Exception
    name = str(desc.get("name") or "Exception")
    key = ("generic-exception", name, base)
    cls = peer.mirrors.get(key)
    if cls is None:
        cls = type(name, (RemoteException, base), {"__module__": peer.module_name})
        peer.mirrors[key] = cls
    exc = BaseException.__new__(cls, *args)
    exc.args = tuple(args)
    return exc


def _describe_remote(exc, peer):
    text = short_text(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, 300)
    frames = peer.remote_frames(exc) or []
    if frames:
        path, line, func = frames[-1]
        where = os.path.basename(path)
        text += (
            f" ({where}, line {line})"
            if func == "<module>"
            else f" (in {func}(), {where} line {line})"
        )
    return text


def _ending(status, why):
    """(message, limit) for a learner process that ended during a request."""
    if status is None:
        return f"Your code's process {why} and could not be read any more.", None
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return "Your code used up its CPU time and was stopped (CPU time limit).", "cpu_s"
        if sig == signal.SIGKILL:
            return "Your code's process was killed (it may have run out of memory).", "memory_mb"
        if sig == signal.SIGSEGV:
            return "Your code crashed with a segmentation fault (SIGSEGV).", None
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return f"Your code's process was killed by signal {name}.", None
    code = os.WEXITSTATUS(status)
    return (
        f"Your code ended its own process (exit code {code}) while this test was running, for "
        "example with os._exit(); the tests could not continue with it.",
        None,
    )


def _log(method, args):
    """The learner's `logging` calls, applied to this process's loggers."""
    import logging

    if not isinstance(args, list) or not args:
        raise WireError("a malformed log call")
    if method == "enabled" and len(args) == 2:
        return logging.getLogger(str(args[0]) if args[0] != "root" else None).isEnabledFor(
            int(args[1])
        )
    if method == "level" and len(args) == 2:
        logging.getLogger(str(args[0]) if args[0] != "root" else None).setLevel(int(args[1]))
        return None
    if method == "basicConfig" and isinstance(args[0], dict):
        wanted = {k: v for k, v in args[0].items() if k in ("level", "format", "force", "style")}
        logging.basicConfig(**wanted)
        return None
    if method == "handle" and isinstance(args[0], dict):
        fields = args[0]
        name = str(fields.get("name") or "root")
        logger = logging.getLogger(name if name != "root" else None)
        record = logging.LogRecord(
            name,
            int(fields.get("level") or 0),
            str(fields.get("pathname") or ""),
            int(fields.get("lineno") or 0),
            str(fields.get("msg") or ""),
            None,
            None,
            str(fields.get("func") or ""),
        )
        record.exc_text = (
            fields.get("exc_text") if isinstance(fields.get("exc_text"), str) else None
        )
        if isinstance(fields.get("stack_info"), str):
            record.stack_info = fields["stack_info"]
        logger.handle(record)
        return None
    raise WireError("an unknown log call")


def _check_attribute_owner(target):
    """The learner's code may read public attributes of the tests' own objects only."""
    if isinstance(
        target,
        (
            types.ModuleType,
            types.FunctionType,
            types.BuiltinFunctionType,
            types.MethodType,
            types.CodeType,
            types.FrameType,
            types.TracebackType,
            types.GeneratorType,
        ),
    ):
        raise AttributeError("your code cannot read attributes of this object of the tests")


def _apply_op(name, target, args):
    import operator

    simple = {
        "iter": iter,
        "next": next,
        "len": len,
        "bool": bool,
        "hash": hash,
        "repr": lambda t: short_text(repr(t)),
        "str": str,
        "index": operator.index,
        "int": int,
        "float": float,
        "abs": abs,
        "neg": operator.neg,
    }
    if name in simple:
        return simple[name](target)
    if name == "getitem":
        return target[args[0]]
    if name == "contains":
        return args[0] in target
    if name in ("eq", "ne"):
        return (target == args[0]) if name == "eq" else (target != args[0])
    if name == "enter":
        return type(target).__enter__(target)
    if name == "exit":
        return type(target).__exit__(target, *args[:3])
    raise AttributeError(f"your code cannot apply {name!r} to the tests' objects")
