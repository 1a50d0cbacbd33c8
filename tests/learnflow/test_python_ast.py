"""`learnflow.python_ast.parse` from several threads at once, at different stack depths, with
the garbage collector running finalizers mid-parse: the conditions under which CPython 3.11's
`ast.parse` raised "AST constructor recursion depth mismatch" (64 of 800 parses here without
the lock, in code-runner's worker threads in a CI run)."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from learnflow import python_ast

SOURCE = "\n".join(
    f"def test_{i}():\n    x = [{i}, {{'a': ({i}, {i} + 1)}}]\n    assert x[0] == {i}, f'{{x}}'\n"
    for i in range(60)
)


class _Cycle:
    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        sum(range(50))  # Python code run by the collector, wherever it interrupts


def _at_depth(depth: int, work: Callable[[], None]) -> None:
    if depth == 0:
        work()
    else:
        _at_depth(depth - 1, work)


@pytest.fixture
def racy_interpreter() -> Iterator[None]:
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-6)
    gc.set_threshold(50, 2, 2)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)


def test_parsing_from_many_threads_at_once_never_raises(racy_interpreter: None) -> None:
    errors: list[BaseException] = []

    def parse_repeatedly() -> None:
        for _ in range(150):
            _Cycle()
            try:
                python_ast.parse(SOURCE)
            except SystemError as exc:
                errors.append(exc)

    threads = [
        threading.Thread(target=_at_depth, args=(depth, parse_repeatedly))
        for depth in (1, 7, 13, 20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, f"{len(errors)} parses failed, e.g. {errors[0]}"
