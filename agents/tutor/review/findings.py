"""One finding of the code review, and the source it was found in."""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from learnflow import python_ast

Category = Literal["style", "efficiency", "readability"]


@dataclass(frozen=True, order=True)
class Finding:
    """A concrete comment on one line: what is wrong and how to fix it."""

    line: int
    rule: str
    category: Category = field(compare=False)
    message: str = field(compare=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "rule": self.rule,
            "category": self.category,
            "message": self.message,
        }

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class Source:
    """Code under review, parsed once. `tree` is None when the code does not parse."""

    code: str

    @cached_property
    def lines(self) -> list[str]:
        return self.code.splitlines()

    @cached_property
    def tree(self) -> ast.Module | None:
        try:
            return python_ast.parse(self.code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None

    @cached_property
    def tokens(self) -> list[tokenize.TokenInfo]:
        try:
            return list(tokenize.generate_tokens(io.StringIO(self.code).readline))
        except (tokenize.TokenError, SyntaxError):
            return []

    def parents(self) -> dict[ast.AST, ast.AST]:
        found: dict[ast.AST, ast.AST] = {}
        if self.tree is not None:
            for node in ast.walk(self.tree):
                for child in ast.iter_child_nodes(node):
                    found[child] = node
        return found


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def inside_loop(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """True when `node` runs once per iteration of an enclosing loop (in the same function)."""
    child, current = node, parents.get(node)
    while current is not None:
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            return False
        if isinstance(current, ast.For | ast.AsyncFor):
            if child is not current.iter and child not in current.orelse:
                return True
        elif isinstance(current, ast.While):
            if child not in current.orelse:
                return True
        elif isinstance(current, ast.comprehension):
            owner = parents.get(current)
            first = isinstance(owner, _COMPREHENSIONS) and owner.generators[0] is current
            if not (first and child is current.iter):
                return True
        elif isinstance(current, _COMPREHENSIONS) and child is not current.generators[0]:
            return True
        child, current = current, parents.get(current)
    return False
