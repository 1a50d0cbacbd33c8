"""The tests a tests file defines, read by the host from its source (never run here).

The host accepts a result from the sandbox only for a test it found itself: a test function or
method written in the file, or a parametrized case of one (`name[...]`). So even a process of the
sandbox that managed to write on the results channel could not add a passing test, and a test
the run never reported is an error, not a silent omission.

The rules are pytest's (which also runs unittest classes): module-level `def test*`; methods
`test*` of `unittest.TestCase` subclasses (including methods inherited from classes of the same
file); methods `test*` of classes named `Test*` that have no `__init__`. A function decorated as a
fixture is not a test. Tests created at run time (e.g. assigned through `globals()`) are not
found, and so not accepted.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from learnflow import python_ast

_TESTCASE_NAMES = frozenset({"TestCase", "IsolatedAsyncioTestCase"})


@dataclass(frozen=True)
class TestPlan:
    """The tests of one file in source order; `parametrized` ones accept `name[...]` results."""

    __test__ = False  # not a pytest test class

    names: tuple[str, ...] = ()
    parametrized: frozenset[str] = field(default_factory=frozenset)

    def accepts(self, name: str) -> bool:
        if name in self.names:
            return True
        base, bracket, rest = name.partition("[")
        return bool(bracket) and rest.endswith("]") and base in self.parametrized

    def position(self, name: str) -> int:
        """Where the test (or the function of a parametrized case) is in the file."""
        base = name.partition("[")[0]
        try:
            return self.names.index(base)
        except ValueError:
            return len(self.names)


def plan_tests(source: str) -> TestPlan:
    """The tests `source` defines; an empty plan when it does not parse (the sandbox says why)."""
    try:
        tree = python_ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return TestPlan()
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    names: list[str] = []
    parametrized: set[str] = set()

    def add(name: str, function: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if name in names:
            return
        names.append(name)
        if _is_parametrized(function):
            parametrized.add(name)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name.startswith("test") and not _is_fixture(node):
                add(node.name, node)
        elif isinstance(node, ast.ClassDef) and _is_test_class(node, classes):
            for method in _methods(node, classes, set()):
                add(f"{node.name}.{method.name}", method)
    return TestPlan(tuple(names), frozenset(parametrized))


def _is_test_class(node: ast.ClassDef, classes: dict[str, ast.ClassDef]) -> bool:
    """A unittest.TestCase, or a pytest-style `Test*` class without a constructor."""
    if _is_testcase(node, classes, set()):
        return True
    return node.name.startswith("Test") and not _has_init(node, classes, set())


def _base_name(base: ast.expr) -> str | None:
    if isinstance(base, ast.Name):
        return base.id
    if isinstance(base, ast.Attribute):
        return base.attr
    return None


def _is_testcase(node: ast.ClassDef, classes: dict[str, ast.ClassDef], seen: set[str]) -> bool:
    seen.add(node.name)
    for base in node.bases:
        name = _base_name(base)
        if name in _TESTCASE_NAMES:
            return True
        if name in classes and name not in seen and _is_testcase(classes[name], classes, seen):
            return True
    return False


def _has_init(node: ast.ClassDef, classes: dict[str, ast.ClassDef], seen: set[str]) -> bool:
    seen.add(node.name)
    if any(isinstance(s, ast.FunctionDef) and s.name == "__init__" for s in node.body):
        return True
    for base in node.bases:
        name = _base_name(base)
        if name in classes and name not in seen and _has_init(classes[name], classes, seen):
            return True
    return False


def _methods(
    node: ast.ClassDef, classes: dict[str, ast.ClassDef], seen: set[str]
) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Test methods of the class and of its bases defined in the same file, bases first."""
    seen.add(node.name)
    found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for base in node.bases:
        name = _base_name(base)
        if name in classes and name not in seen:
            found += _methods(classes[name], classes, seen)
    own = [
        statement
        for statement in node.body
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
        and statement.name.startswith("test")
    ]
    overridden = {method.name for method in own}
    return [m for m in found if m.name not in overridden] + own


def _decorator_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    names = []
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        parts = []
        while isinstance(target, ast.Attribute):
            parts.append(target.attr)
            target = target.value
        if isinstance(target, ast.Name):
            parts.append(target.id)
        names.append(".".join(reversed(parts)))
    return names


def _is_fixture(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(name.split(".")[-1] == "fixture" for name in _decorator_names(function))


def _is_parametrized(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Parametrized, or asking for a fixture that may have params: results come as name[...]."""
    decorated = any(name.endswith("parametrize") for name in _decorator_names(function))
    return decorated or bool(function.args.args)
