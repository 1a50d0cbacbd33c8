"""`ast.parse` that is safe to call from several threads at once.

CPython 3.11 (3.11.7 here) keeps the recursion depth of the converter that turns the parser's
tree into `ast` objects in shared module state. Two threads parsing at once, at different stack
depths, can overwrite each other's count, and `ast.parse` then raises
`SystemError: AST constructor recursion depth mismatch` — seen in code-runner, whose sandbox
runner plans tests in worker threads (a CI run lost 210 differential tests to it). A process-wide
lock around the parse removes the race; parsing is fast, so it costs nothing measurable.
"""

from __future__ import annotations

import ast
import threading

_PARSING = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    with _PARSING:
        return ast.parse(source, filename)
