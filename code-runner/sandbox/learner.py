# ruff: noqa: F821
# mypy: disable-error-code="no-untyped-def,no-untyped-call,var-annotated,attr-defined"
# mypy: disable-error-code="type-arg,name-defined,assignment,union-attr,index,arg-type"
# mypy: disable-error-code="return-value,operator,misc"
# (Runs inside the sandbox, executed after wire.py in the same namespace, in the learner's own
# process: a fresh interpreter that never held the tests. The host never imports it.)
"""The learner's process in `run_tests`: imports the learner's module and serves the tests' calls.

The test process starts this interpreter (`python -I -B -X utf8 -c STUB`), sends it this source
and a config frame, and from then on sends requests - get an attribute, call, apply an operator -
on objects that live here. Results go back as plain data or handles (wire.py). What the learner's
code prints travels with each answer; `input()` and `sys.stdin` ask the test process, so a test
that patches `builtins.input` or `sys.stdin` feeds the learner's code as it would in one process.

This process holds two pipe ends to the test process and the sandbox's stdout/stderr, nothing
else: not the results channel, not the tests. Whatever it sends is data to the test process.
"""

import contextlib
import operator

OUTPUT_CAP = 256 * 1024
LIVE_CONTAINERS = 32
LIVE_ITEMS = 200
_BINARY = {
    **{
        name: getattr(operator, name if name not in ("and", "or") else name + "_")
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
            "and",
            "or",
            "xor",
        )
    },
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


class _Output:
    """sys.stdout / sys.stderr of the learner's code: kept (capped) and sent with each frame."""

    def __init__(self, peer, stream):
        self.peer = peer
        self.stream = stream
        self.encoding = "utf-8"
        self.errors = "strict"

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.peer.output(self.stream, text)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        return None

    def isatty(self):
        return False

    def writable(self):
        return True

    def readable(self):
        return False

    def fileno(self):
        return 1 if self.stream == "o" else 2


class _Stdin:
    """sys.stdin of the learner's code: reads from the test process's sys.stdin."""

    def __init__(self, peer):
        self.peer = peer
        self.encoding = "utf-8"

    def _ask(self, method, *args):
        return self.peer.callback("stdin", method, list(args))

    def read(self, size=-1):
        return self._ask("read", size)

    def readline(self, size=-1):
        return self._ask("readline", size)

    def readlines(self, hint=-1):
        return self._ask("readlines", hint)

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def isatty(self):
        return False

    def readable(self):
        return True

    def close(self):
        return None


def _foreign_class(peer, tid, described):
    """A proxy class for objects of the test process (callbacks, fake objects, test exceptions)."""
    ops = set(described.get("ops", ()))
    name = str(described.get("name", "object"))
    namespace = {"__slots__": ("_lf_id",), "__module__": str(described.get("module", ""))}

    def forward(op):
        def method(self, *args):
            return peer.callback("op", self, op, list(args))

        return method

    namespace["__getattr__"] = lambda self, attr: peer.callback("getattr", self, attr)
    namespace["__repr__"] = lambda self: peer.callback("op", self, "repr", [])
    namespace["__str__"] = lambda self: peer.callback("op", self, "str", [])
    namespace["__eq__"] = lambda self, other: peer.callback("op", self, "eq", [other])
    namespace["__ne__"] = lambda self, other: peer.callback("op", self, "ne", [other])
    namespace["__hash__"] = forward("hash") if "hash" in ops else None
    if "call" in ops:
        namespace["__call__"] = lambda self, *a, **k: peer.callback("call", self, list(a), k)
    for op in (
        "iter",
        "next",
        "len",
        "getitem",
        "contains",
        "bool",
        "enter",
        "exit",
        "index",
        "int",
        "float",
        "abs",
        "neg",
    ):
        if op in ops:
            namespace[OPS[op]] = forward(op)

    def _setattr(self, attr, value):
        if attr == "_lf_id":
            object.__setattr__(self, attr, value)
        else:
            peer.callback("setattr", self, attr, value)

    namespace["__setattr__"] = _setattr
    return type(name, (), namespace)


class LearnerPeer:
    def __init__(self, fd_in, fd_out, config):
        self.fd_in = fd_in
        self.reader = FrameReader(fd_in)
        self.fd_out = fd_out
        self.config = config
        self.exports = {}
        self.export_ids = {}
        self.described = set()
        self.pending_types = {}
        self.proxies = {}
        self.foreign_ids = {}
        self.foreign_classes = {}
        self.remote_types = {}
        self.next_id = 1
        self.out = []
        self.out_size = 0
        self.out_dropped = 0
        self.module = None
        self.random_state = None
        self.announced_random = False
        self.module_file = ""
        import collections

        self.live = collections.OrderedDict()

    # -- output
    def output(self, stream, text):
        room = OUTPUT_CAP - self.out_size
        if room <= 0:
            self.out_dropped += len(text)
            return
        piece = text[:room]
        self.out_dropped += len(text) - len(piece)
        self.out_size += len(piece)
        if self.out and self.out[-1][0] == stream:
            self.out[-1][1].append(piece)
        else:
            self.out.append([stream, [piece]])

    def _take_output(self):
        out = [[stream, "".join(pieces)] for stream, pieces in self.out]
        dropped = self.out_dropped
        self.out, self.out_size, self.out_dropped = [], 0, 0
        return out, dropped

    # -- handles (Encoder/Decoder peer interface)
    def local(self, cls):
        module = getattr(cls, "__module__", None)
        return not (isinstance(module, str) and wire_is_stdlib(module))

    def _export_id(self, obj):
        key = id(obj)
        found = self.export_ids.get(key)
        if found is not None and self.exports.get(found) is obj:
            return found
        new = self.next_id
        self.next_id += 1
        self.exports[new] = obj
        self.export_ids[key] = new
        return new

    def type_id(self, cls):
        tid = self._export_id(cls)
        if tid not in self.described:
            self.described.add(tid)
            described = describe_type(cls, self.local)
            if described["local"]:
                self._describe_local(cls, described)
            self.pending_types[str(tid)] = described
        return tid

    def _describe_local(self, cls, described):
        names = []
        try:
            for name in list(vars(cls))[:300]:
                if isinstance(name, str) and name.isidentifier() and not name.startswith("_lf_"):
                    names.append(name)
        except Exception:
            pass
        described["attrs"] = names
        bases, gbases = [], []
        for base in getattr(cls, "__bases__", ()):
            if base is object:
                continue
            if self.local(base):
                bases.append(self.type_id(base))
            else:
                ref = global_ref(base)
                if ref is not None:
                    gbases.append(list(ref))
        described["bases"] = bases
        described["gbases"] = gbases
        described["exc_base"] = _exception_base(cls)
        doc = getattr(cls, "__doc__", None)
        described["doc"] = short_text(doc, 4000) if isinstance(doc, str) else None
        described["path"] = self._module_path(cls)

    def _module_path(self, cls):
        module = self.module
        qualname = getattr(cls, "__qualname__", "")
        if module is None or getattr(cls, "__module__", None) != module.__name__:
            return None
        if not isinstance(qualname, str) or "<" in qualname:
            return None
        target = module
        for part in qualname.split("."):
            target = getattr(target, part, None)
        return qualname if target is cls else None

    def export(self, obj):
        if isinstance(obj, BaseException):
            return ["x", self.exception(obj)]
        return ["h", self._export_id(obj), self.type_id(type(obj))]

    def foreign(self, obj):
        rid = self.foreign_ids.get(id(obj))
        if rid is not None and self.proxies.get(rid) is obj:
            return rid
        return None

    def class_ref(self, cls):
        if self.local(cls):
            return ["k", self.type_id(cls)]
        return None

    def own(self, oid):
        if oid not in self.exports:
            raise WireError("a reference to an unknown object")
        return self.exports[oid]

    def global_value(self, module, qualname):
        return resolve_global(module, qualname)

    def handle(self, rid, tid):
        found = self.proxies.get(rid)
        if found is not None:
            return found
        cls = self.foreign_classes.get(tid)
        if cls is None:
            described = self.remote_types.get(tid)
            if described is None:
                raise WireError("a handle of an undescribed type")
            cls = self.foreign_classes[tid] = _foreign_class(self, tid, described)
        proxy = cls.__new__(cls)
        object.__setattr__(proxy, "_lf_id", rid)
        self._remember(rid, proxy)
        return proxy

    def klass(self, tid):
        return self.handle(tid, tid)

    def _remember(self, rid, proxy):
        self.proxies[rid] = proxy
        self.foreign_ids[id(proxy)] = rid

    # -- exceptions
    def exception(self, exc, depth=0):
        rid = self.foreign(exc)
        if rid is not None:
            return {"own": rid}  # an exception of the tests, going back
        cls = type(exc)
        args = []
        try:
            raw_args = exc.args if isinstance(exc.args, tuple) else ()
        except Exception:
            raw_args = ()
        for arg in raw_args[:20]:
            args.append(self._safe_encode(arg))
        if isinstance(exc, OSError) and exc.filename is not None and len(raw_args) == 2:
            args.append(self._safe_encode(exc.filename))
        try:
            text = short_text(str(exc), 4000)
        except BaseException:
            text = f"<{cls.__name__}: str() failed>"
        ref = global_ref(cls)
        desc = {
            "type": ["g", *ref] if ref is not None else ["k", self.type_id(cls)],
            "name": short_text(getattr(cls, "__name__", "Exception"), 200),
            "exc_base": _exception_base(cls),
            "args": args,
            "str": text,
            "id": self._export_id(exc),
            "frames": frames_of(exc.__traceback__, (self.module_file,)),
        }
        if ref is not None and not self.local(cls):
            attrs = {}
            try:
                for key, value in list(vars(exc).items())[:20]:
                    if isinstance(key, str) and key.isidentifier():
                        attrs[key] = self._safe_encode(value)
            except Exception:
                pass
            desc["attrs"] = attrs
        cause = exc.__cause__
        if cause is not None and depth < 3:
            desc["cause"] = self.exception(cause, depth + 1)
        desc["suppress"] = bool(exc.__suppress_context__)
        return desc

    def _safe_encode(self, value):
        try:
            return Encoder(self).encode(value)
        except Exception:
            return self.export(value) if not isinstance(value, BaseException) else None

    def build_exception(self, desc):
        """An exception raised in the test process (by a callback), rebuilt here."""
        if not isinstance(desc, dict):
            raise WireError("a malformed exception")
        if "own" in desc:  # the learner's own exception, coming back
            own = self.exports.get(desc["own"]) if type(desc["own"]) is int else None
            if not isinstance(own, BaseException):
                raise WireError("a reference to an exception that is not ours")
            return own
        rid = desc.get("id")
        if type(rid) is int and rid in self.proxies:
            return self.proxies[rid]
        decoder = Decoder(self)
        args = [decoder.decode(a) for a in desc.get("args", [])]
        kind = desc.get("type")
        cls = None
        if isinstance(kind, list) and kind[:1] == ["g"] and len(kind) == 3:
            try:
                found = resolve_global(kind[1], kind[2])
                if isinstance(found, type) and issubclass(found, BaseException):
                    cls = found
            except Exception:
                cls = None
        if cls is None:
            base = builtin_exception(desc.get("exc_base")) or Exception
            name = str(desc.get("name", "Exception"))
            cls = self.foreign_classes.get(("exc", name, base))
            if cls is None:
                cls = type(name, (base,), {"__module__": "tests"})
                self.foreign_classes[("exc", name, base)] = cls
        try:
            exc = cls(*args)
        except Exception:
            exc = cls.__new__(cls)
            exc.args = tuple(args)
        if type(rid) is int:
            self._remember(rid, exc)
        return exc

    # -- requests from the test process
    def serve_forever(self):
        while True:
            message = self.reader.read()
            self.send(self.serve(message))

    def serve(self, message):
        self._register_types(message)
        self._sync(message.get("sync"))
        self._apply_live(message.get("live"))
        decoder = Decoder(self)
        try:
            op = message.get("op")
            target = decoder.decode(message.get("target"))
            args = decoder.decode(message.get("args", ["l"]))
            kwargs = decoder.decode(message.get("kw", ["d"])) if op == "call" else {}
        except WireError:
            raise
        except Exception as exc:
            raise WireError(f"a request that cannot be read ({type(exc).__name__})") from None
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise WireError("a malformed request")
        before = [  # the tests' containers (not the argument list and dict made for the call)
            (i, _snapshot(c))
            for i, c in enumerate(decoder.table)
            if c is not args and c is not kwargs and _mutable(c)
        ]
        try:
            result = self._apply(op, target, args, kwargs)
        except WireError:
            raise
        except BaseException as exc:  # the learner's code raised: the tests see the exception
            reply = {"exc": self.exception(exc)}
        else:
            tracked = {id(decoder.table[i]): i for i, _ in before}
            try:
                reply = {"ret": Encoder(self, tracked).encode(result)}
            except Unencodable:
                reply = {"ret": self.export(result)}
        writeback = self._writeback(decoder, before)
        if writeback:
            reply["wb"] = writeback
        # a container that something of the learner's code still holds after the call (more
        # references than this frame's) may change again later: both sides keep it in step
        if (
            "ret" in reply
            and _small_container(result)
            and (op == "getattr" or (op == "call" and sys.getrefcount(result) > 2))
        ):
            reply["live"] = self._track("L", self._export_id(result), result)
        kept = self._track_arguments(decoder, message.get("track"))
        if kept:
            reply["kept"] = kept
        random_state = self._random_update()
        if random_state is not None:
            reply["random"] = random_state
        updates = self._live_updates()
        if updates:
            reply["live_updates"] = updates
        return reply

    # -- containers both processes hold stay in step: those the tests read from attributes
    # ("L", our id) and those the tests passed in ("T", their id), while either side may change
    # them (a list kept by a generator, a module's list the tests clear). Checked at every frame.
    def _track(self, owner, key, container):
        live_id = (owner, key)
        self.live[live_id] = (container, Encoder(self).contents(container))
        self.live.move_to_end(live_id)
        while len(self.live) > LIVE_CONTAINERS:
            self.live.popitem(last=False)
        return key

    def _track_arguments(self, decoder, track):
        """The tests' containers the learner's code kept a reference to (a generator, an
        attribute): both sides keep them in step from now on. Returns their ids."""
        kept = []
        if not isinstance(track, list):
            return kept
        for item in track:
            if (
                isinstance(item, list)
                and len(item) == 2
                and type(item[0]) is int
                and type(item[1]) is int
                and 0 <= item[0] < len(decoder.table)
            ):
                container = decoder.table[item[0]]
                # references: the decoder's table, its parent, this name, getrefcount's argument
                if _mutable(container) and sys.getrefcount(container) > 4:
                    self._track("T", item[1], container)
                    kept.append(item[1])
        return kept

    def _live_updates(self):
        updates = []
        for live_id, (container, snapshot) in list(self.live.items()):
            try:
                now = Encoder(self).contents(container)
            except Exception:
                continue
            if now != snapshot:
                self.live[live_id] = (container, now)
                updates.append([*live_id, now])
        return updates

    def _apply_live(self, changes):
        """The tests changed containers both sides hold: change ours the same way."""
        if not isinstance(changes, list):
            return
        for item in changes:
            if not isinstance(item, list) or len(item) != 3:
                raise WireError("a malformed live update")
            live_id = (item[0], item[1])
            if live_id not in self.live:
                continue  # no longer kept here
            container, _ = self.live[live_id]
            _replace_contents(container, Decoder(self).decode(item[2]))
            self.live[live_id] = (container, Encoder(self).contents(container))

    def _register_types(self, message):
        described = message.get("types")
        if isinstance(described, dict):
            for key, value in described.items():
                if isinstance(value, dict) and key.isdigit():
                    self.remote_types[int(key)] = value

    def _sync(self, sync):
        if not isinstance(sync, dict):
            return
        cwd = sync.get("cwd")
        if isinstance(cwd, str):
            with contextlib.suppress(OSError):
                os.chdir(cwd)
        env = sync.get("env")
        if isinstance(env, dict):
            os.environ.clear()
            os.environ.update({str(k): str(v) for k, v in env.items()})
        state = sync.get("random")
        if state is not None:
            import random

            try:
                random.setstate(Decoder(self).decode(state))
            except (TypeError, ValueError):
                raise WireError("a malformed random state") from None
            self.random_state = random.getstate()

    def _random_update(self):
        """Our `random` state, when the learner's code drew numbers since the last frame."""
        generator = sys.modules.get("random")
        if generator is None:
            return None
        state = generator.getstate()
        if state == self.random_state:
            return None
        self.random_state = state
        return Encoder(self).encode(state)

    def _apply(self, op, target, args, kwargs):
        if op == "call":
            return target(*args, **kwargs)
        if op == "getattr":
            return getattr(target, _name(args[0]))
        if op == "setattr":
            setattr(target, _name(args[0]), args[1])
            return None
        if op == "delattr":
            delattr(target, _name(args[0]))
            return None
        if op == "resolve":
            found = self.module
            for part in _name(args[0]).split("."):
                found = getattr(found, part)
            return found
        if op == "snapshot":
            return _plain_value(target)
        if op in _BINARY:
            return _BINARY[op](target, args[0])
        return _unary(op, target, args)

    def _writeback(self, decoder, before):
        """The new contents of the request's containers that the call changed."""
        if not before:
            return None
        tracked = {id(decoder.table[i]): i for i, _ in before}
        out = []
        for index, snapshot in before:
            container = decoder.table[index]
            if not _changed(container, snapshot):
                continue
            try:
                out.append([index, Encoder(self, tracked).contents(container)])
            except Exception:
                continue
        return out

    # -- calls into the test process (callbacks)
    def callback(self, kind, target, *rest):
        encoder = Encoder(self)
        message = {"cb": kind}
        if kind in ("stdin", "log"):
            message["method"] = target
            message["args"] = encoder.encode(list(rest[0]))
        elif kind == "call":
            message["target"] = encoder.encode(target)
            message["args"] = encoder.encode(list(rest[0]))
            message["kw"] = encoder.encode(dict(rest[1]))
        elif kind == "input":
            message["args"] = encoder.encode([target])
        elif kind == "op":
            message["target"] = encoder.encode(target)
            message["name"] = rest[0]
            message["args"] = encoder.encode(list(rest[1]))
        elif kind in ("getattr", "setattr"):
            message["target"] = encoder.encode(target)
            message["name"] = rest[0]
            if kind == "setattr":
                message["args"] = encoder.encode([rest[1]])
        tracked = {id(c): i for i, c in enumerate(encoder.keep) if _mutable(c)}
        self.send(message)
        while True:
            reply = self.reader.read()
            if "op" in reply:  # the test process calls back into this one meanwhile
                self.send(self.serve(reply))
                continue
            self._register_types(reply)
            decoder = Decoder(self, request=[None] * 0)
            decoder.request = list(encoder.keep) if tracked else []
            self._apply_writeback(decoder, reply.get("wb"))
            if "exc" in reply:
                raise self.build_exception(reply["exc"])
            return decoder.decode(reply.get("ret"))

    def _apply_writeback(self, decoder, writeback):
        if not isinstance(writeback, list):
            return
        for item in writeback:
            if not isinstance(item, list) or len(item) != 2 or type(item[0]) is not int:
                raise WireError("a malformed write-back")
            if not 0 <= item[0] < len(decoder.request):
                raise WireError("a write-back to nothing")
            _replace_contents(decoder.request[item[0]], decoder.decode(item[1]))

    # -- frames
    def send(self, message):
        if not self.announced_random and "random" in sys.modules:
            # from now on the tests' `random` state is synced with ours at every call
            self.announced_random = True
            message["uses_random"] = True
        if self.pending_types:
            message["types"], self.pending_types = self.pending_types, {}
        out, dropped = self._take_output()
        if out:
            message["out"] = out
        if dropped:
            message["dropped"] = dropped
        try:
            send_frame(self.fd_out, message)
        except Unencodable as exc:
            send_frame(self.fd_out, {"exc": self.exception(MemoryError(str(exc)))})


def wire_is_stdlib(module):
    return is_stdlib_module(module)


def _exception_base(cls):
    try:
        for base in cls.__mro__:
            if base.__module__ == "builtins" and issubclass(base, BaseException):
                return base.__name__
    except Exception:
        pass
    return None


def _name(value):
    if not isinstance(value, str) or len(value) > 300:
        raise WireError("a malformed attribute name")
    return value


def _small_container(value):
    return type(value) in (list, dict, set, bytearray) and len(value) <= LIVE_ITEMS


def _mutable(container):
    return type(container) in (list, dict, set, bytearray) or type(container).__name__ in (
        "OrderedDict",
        "Counter",
        "defaultdict",
        "deque",
    )


def _snapshot(container):
    if isinstance(container, dict):
        return list(dict.items(container))
    if isinstance(container, set):
        return set(container)
    if isinstance(container, bytearray):
        return bytes(container)
    return list(container)


def _changed(container, snapshot):
    if isinstance(container, dict):
        items = list(dict.items(container))
        return len(items) != len(snapshot) or any(
            a[0] is not b[0] or a[1] is not b[1] for a, b in zip(items, snapshot, strict=True)
        )
    if isinstance(container, set):
        return len(container) != len(snapshot) or any(x not in snapshot for x in container)
    if isinstance(container, bytearray):
        return bytes(container) != snapshot
    items = list(container)
    if len(items) != len(snapshot):
        return True
    return any(a is not b for a, b in zip(items, snapshot, strict=True))


def _replace_contents(target, new):
    if type(target) is not type(new):
        raise WireError("a write-back of another type")
    if isinstance(target, (list, bytearray)):
        target[:] = new
    elif isinstance(target, (dict, set)):
        target.clear()
        target.update(new)
    else:  # deque
        target.clear()
        target.extend(new)


def _plain_value(obj):
    """The builtin value inside an instance of a subclass of a builtin type, or NotImplemented."""
    for base in type(obj).__mro__:
        if base.__module__ != "builtins":
            continue
        name = base.__name__
        if name == "int":
            return int.__index__(obj)
        if name == "float":
            return float.__float__(obj)
        if name == "complex":
            return (
                complex(complex.__complex__(obj))
                if hasattr(complex, "__complex__")
                else complex(obj.real, obj.imag)
            )
        if name == "str":
            return str.__str__(obj)
        if name in ("bytes", "bytearray"):
            return bytes(memoryview(obj))
        if name == "tuple":
            return tuple(tuple.__iter__(obj))
        if name == "list":
            return list(list.__iter__(obj))
        if name == "frozenset":
            return frozenset(frozenset.__iter__(obj))
        if name == "set":
            return set(set.__iter__(obj))
        if name == "dict":
            return dict(dict.items(obj))
    return NotImplemented


def _unary(op, target, args):
    if op == "iter":
        return iter(target)
    if op == "next":
        return next(target)
    if op == "len":
        return len(target)
    if op == "getitem":
        return target[args[0]]
    if op == "setitem":
        target[args[0]] = args[1]
        return None
    if op == "delitem":
        del target[args[0]]
        return None
    if op == "bool":
        return bool(target)
    if op == "hash":
        return hash(target)
    if op == "repr":
        return short_text(repr(target))
    if op == "str":
        return str(target)
    if op == "format":
        return format(target, args[0] if args else "")
    if op == "dir":
        return [name for name in dir(target) if isinstance(name, str)]
    if op == "index":
        return operator.index(target)
    if op == "int":
        return int(target)
    if op == "float":
        return float(target)
    if op == "complex":
        return complex(target)
    if op == "round":
        return round(target, *args[:1])
    if op == "abs":
        return abs(target)
    if op == "neg":
        return -target
    if op == "pos":
        return +target
    if op == "invert":
        return ~target
    if op == "reversed":
        return reversed(target)
    if op == "enter":
        return type(target).__enter__(target)
    if op == "exit":
        return type(target).__exit__(target, *args[:3])
    if op == "doc":
        doc = getattr(target, "__doc__", None)
        return doc if isinstance(doc, str) or doc is None else str(doc)
    raise WireError(f"an unknown operation {op!r}")


def _forward_logging(peer):
    """`logging` of the learner's code goes to the test process's loggers (as if both ran in one
    process), so `assertLogs`, `caplog`-like handlers and log levels set by the tests apply."""
    import logging
    import traceback

    def is_enabled_for(self, level):
        return bool(peer.callback("log", "enabled", [self.name, int(level)]))

    def handle(self, record):
        if self.disabled:
            return
        exc_text = None
        if record.exc_info and record.exc_info[0] is not None:
            exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        fields = {
            "name": record.name,
            "level": record.levelno,
            "msg": record.getMessage(),
            "pathname": record.pathname,
            "lineno": record.lineno,
            "func": record.funcName,
            "exc_text": exc_text,
            "stack_info": record.stack_info,
        }
        peer.callback("log", "handle", [fields])

    def set_level(self, level):
        peer.callback("log", "level", [self.name, logging._checkLevel(level)])

    def basic_config(**kwargs):
        wanted = {k: v for k, v in kwargs.items() if k in ("level", "format", "force", "style")}
        if "level" in wanted:
            wanted["level"] = logging._checkLevel(wanted["level"])
        peer.callback("log", "basicConfig", [wanted])

    logging.Logger.isEnabledFor = is_enabled_for
    logging.Logger.handle = handle
    logging.Logger.setLevel = set_level
    logging.basicConfig = basic_config


def learner_main(fd_in, fd_out):
    config = recv_frame(fd_in)
    peer = LearnerPeer(fd_in, fd_out, config)
    sys.stdout = _Output(peer, "o")
    sys.stderr = _Output(peer, "e")
    sys.stdin = _Stdin(peer)
    builtins.input = lambda prompt="": peer.callback("input", str(prompt))
    _forward_logging(peer)
    workdir = str(config.get("workdir", "/tmp"))
    module_name = str(config.get("module", "solution"))
    peer.module_file = os.path.join(workdir, module_name + ".py")
    sys.path.insert(0, workdir)
    sys.argv = [peer.module_file]
    os.chdir(workdir)
    try:
        import importlib

        module = importlib.import_module(module_name)
    except BaseException as exc:
        peer.send({"hello": False, "exc": peer.exception(exc)})
        return
    peer.module = module
    names = [n for n in vars(module) if isinstance(n, str) and not n.startswith("_")]
    peer.send({"hello": True, "module": Encoder(peer).encode(module), "names": names[:2000]})
    try:
        peer.serve_forever()
    except BaseException:  # a fault of this program, not of the learner's code: say so
        import traceback

        os.write(2, traceback.format_exc().encode("utf-8", "replace"))
        raise
