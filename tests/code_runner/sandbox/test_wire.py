"""The wire's codec (sandbox/wire.py) on the host, with a scripted peer: pure logic.

What crosses between the test process and the learner's process is data, rebuilt as exact
builtin types by the receiver; anything else is a handle; a malformed value is a WireError.
"""

from __future__ import annotations

import collections
import datetime
import decimal
import fractions
import json
import math
import pathlib
from typing import Any

import pytest

from code_runner.sandbox import wire


class FakePeer:
    """Exports objects as numbered handles and rebuilds handles as `Handle` records."""

    def __init__(self) -> None:
        self.exported: dict[int, Any] = {}

    def export(self, obj: Any) -> list[Any]:
        oid = len(self.exported) + 1
        self.exported[oid] = obj
        return ["h", oid, 0]

    def foreign(self, obj: Any) -> int | None:
        return obj.oid if isinstance(obj, Handle) else None

    def class_ref(self, cls: type) -> list[Any] | None:
        return None

    def own(self, oid: int) -> Any:
        return self.exported[oid]

    def global_value(self, module: str, qualname: str) -> Any:
        return wire.resolve_global(module, qualname)

    def handle(self, oid: int, tid: int) -> Handle:
        return Handle(oid)

    def klass(self, tid: int) -> Any:
        raise AssertionError("no classes here")

    def build_exception(self, desc: Any) -> BaseException:
        return RuntimeError(desc)


class Handle:
    def __init__(self, oid: int) -> None:
        self.oid = oid


def round_trip(value: Any) -> Any:
    peer = FakePeer()
    encoded = wire.Encoder(peer).encode(value)
    through_json = json.loads(json.dumps(encoded))
    return wire.Decoder(peer).decode(through_json)


PLAIN = [
    None,
    True,
    0,
    -(2**53) + 1,
    2**200,
    -(10**5000),
    1.5,
    -0.0,
    math.inf,
    "héllo \ud800 😀",
    b"\x00\xff",
    bytearray(b"ab"),
    3 + 4j,
    [1, [2, [3]]],
    (1, (2, "x")),
    {1: "a", (2, 3): [4], None: {"k": frozenset({1})}},
    {1, 2, 3},
    frozenset({"a"}),
    range(1, 10, 3),
    slice(1, None, 2),
    Ellipsis,
    collections.Counter("abca"),
    collections.OrderedDict([("b", 1), ("a", 2)]),
    collections.defaultdict(list, {"x": [1]}),
    collections.deque([1, 2, 3], maxlen=5),
    decimal.Decimal("1.10"),
    fractions.Fraction(3, 7),
    pathlib.PurePosixPath("/a/b"),
    pathlib.PosixPath("rel/c.txt"),
    datetime.date(2024, 2, 29),
    datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
    datetime.time(12, 30),
    datetime.timedelta(days=1, seconds=5),
    math.sqrt,
    len,
    int,
    ValueError,
]


@pytest.mark.parametrize("value", PLAIN, ids=lambda v: type(v).__name__)
def test_plain_values_come_back_equal_and_of_the_same_type(value: Any) -> None:
    back = round_trip(value)
    assert type(back) is type(value)
    assert back == value or (isinstance(value, float) and math.isnan(value))
    if isinstance(value, collections.deque):
        assert back.maxlen == value.maxlen
    if isinstance(value, collections.defaultdict):
        assert back.default_factory is list


def test_nan_and_negative_zero() -> None:
    assert math.isnan(round_trip(math.nan))
    assert math.copysign(1, round_trip(-0.0)) == -1


def test_functions_of_the_standard_library_cross_as_themselves() -> None:
    assert round_trip(math.sqrt) is math.sqrt
    assert round_trip(str.upper) is str.upper
    assert round_trip(json) is json


def test_unsafe_builtins_and_other_objects_cross_as_handles() -> None:
    peer = FakePeer()
    for value in (eval, exec, getattr, open, object(), lambda: 1):
        encoded = wire.Encoder(peer).encode(value)
        assert encoded[0] == "h"


def test_subclasses_of_builtins_are_not_plain_data() -> None:
    class Sneaky(int):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = int.__hash__

    assert wire.Encoder(FakePeer()).encode(Sneaky(3))[0] == "h"
    assert wire.Encoder(FakePeer()).encode([Sneaky(3)])[1][0] == "h"


def test_shared_and_cyclic_containers_keep_their_shape() -> None:
    inner = [1]
    shared = [inner, inner]
    back = round_trip(shared)
    assert back[0] is back[1]
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)
    back = round_trip(cyclic)
    assert back[1] is back
    mapping: dict[str, Any] = {}
    mapping["self"] = mapping
    assert round_trip(mapping)["self"] is not None


def test_a_cycle_through_a_tuple_cannot_be_plain_data() -> None:
    holder: list[Any] = []
    looped = (holder,)
    holder.append(looped)
    with pytest.raises(wire.Unencodable):
        wire.Encoder(FakePeer()).encode(looped)


def test_very_deep_values_become_handles_below_the_limit() -> None:
    deep: list[Any] = []
    for _ in range(wire.MAX_DEPTH + 50):
        deep = [deep]
    back = round_trip(deep)
    level = back
    for _ in range(wire.MAX_DEPTH + 1):
        assert isinstance(level, list)
        level = level[0]
    assert isinstance(level, Handle)


def test_handles_of_the_other_side_go_back_as_references() -> None:
    peer = FakePeer()
    mine = object()
    encoded = wire.Encoder(peer).encode([mine])
    assert encoded == ["l", ["h", 1, 0]]
    assert wire.Decoder(peer).decode(["H", 1]) is mine
    assert wire.Encoder(peer).encode(Handle(7)) == ["H", 7]


def test_written_back_containers_are_the_requests_own() -> None:
    original = [1, 2]
    decoder = wire.Decoder(FakePeer(), request=[original])
    assert decoder.decode(["l", ["R", 0]])[0] is original


@pytest.mark.parametrize(
    "data",
    [
        ["zz"],
        ["l", ["@", 5]],
        ["R", 0],
        ["d", 1],
        ["I", "not hex"],
        ["g", "os", "system"],
        ["g", "not_a_stdlib_module", "x"],
        ["m", "solution"],
        ["b", "!!!"],
        ["q", "x"],
        ["h", "1", 0],
        ["dd", 5],
        {"a": 1},
        ["S", 1, 2],
    ],
)
def test_malformed_values_are_wire_errors(data: Any) -> None:
    with pytest.raises((wire.WireError, ValueError, TypeError)):
        wire.Decoder(FakePeer()).decode(data)


def test_a_global_must_be_a_real_name_of_the_standard_library() -> None:
    with pytest.raises(wire.WireError):
        wire.resolve_global("os", "path.join.__globals__")
    assert wire.resolve_global("os.path", "join") is __import__("os").path.join


def test_frames_are_size_capped_json(tmp_path: pathlib.Path) -> None:
    import os

    read_end, write_end = os.pipe()
    try:
        wire.send_frame(write_end, {"op": "call", "args": ["l", 1]})
        assert wire.recv_frame(read_end) == {"op": "call", "args": ["l", 1]}
        os.write(write_end, (wire.MAX_FRAME + 1).to_bytes(4, "big"))
        with pytest.raises(wire.WireError, match="over the limit"):
            wire.recv_frame(read_end)
        os.write(write_end, (7).to_bytes(4, "big") + b"not{jso")
        with pytest.raises(wire.WireError, match="malformed"):
            wire.recv_frame(read_end)
        os.write(write_end, (2).to_bytes(4, "big") + b"[]")
        with pytest.raises(wire.WireError, match="not an object"):
            wire.recv_frame(read_end)
    finally:
        os.close(read_end)
        os.close(write_end)
