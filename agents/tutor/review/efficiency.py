"""Efficiency patterns a beginner's code often has, found with `ast`; each with a faster idiom.

Only patterns that are slow whatever the data are reported (quadratic work hidden in a loop,
strings rebuilt on every step), not micro-optimisations.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .findings import Finding, Source, inside_loop

__all__ = ["check_efficiency"]

_LIST_MAKERS = frozenset({"list", "sorted"})
_LIST_METHODS = frozenset({"split", "splitlines", "readlines", "copy"})


def _finding(line: int, rule: str, message: str) -> Finding:
    return Finding(line=line, rule=rule, category="efficiency", message=message)


def _key(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=False)


def _nested_loops_over_same_data(tree: ast.Module) -> Iterator[Finding]:
    reported: set[int] = set()
    for outer in ast.walk(tree):
        if not isinstance(outer, ast.For):
            continue
        outer_key = _key(outer.iter)
        for inner in ast.walk(outer):
            if inner is outer or not isinstance(inner, ast.For | ast.comprehension):
                continue
            if _key(inner.iter) == outer_key and inner.iter.lineno not in reported:
                reported.add(inner.iter.lineno)
                shown = ast.unparse(outer.iter)
                yield _finding(
                    inner.iter.lineno,
                    "P101",
                    f"a loop over `{shown}` inside another loop over `{shown}` does n×n steps; "
                    "a set or dict of what you have seen (or `itertools.combinations`) "
                    "usually needs one pass",
                )


def _known_lists(tree: ast.Module) -> set[str]:
    """Names that certainly hold a list: assigned a list display, comprehension, `list(...)`,
    `sorted(...)`, `str.split(...)`..., or appended to."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if not isinstance(target, ast.Name):
                continue
            is_list = isinstance(value, ast.List | ast.ListComp)
            if isinstance(value, ast.Call):
                func = value.func
                is_list = (isinstance(func, ast.Name) and func.id in _LIST_MAKERS) or (
                    isinstance(func, ast.Attribute) and func.attr in _LIST_METHODS
                )
            if is_list:
                names.add(target.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "append"
            and isinstance(node.func.value, ast.Name)
        ):
            names.add(node.func.value.id)
    return names


def _scans_in_loops(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Finding]:
    lists = _known_lists(tree)
    for node in ast.walk(tree):
        if not inside_loop(node, parents):
            continue
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("index", "count")
            and _scanned_list(node.func.value, node, lists, parents)
        ):
            method = node.func.attr
            better = (
                "`enumerate()` gives each position as you go"
                if method == "index"
                else "count everything once with a dict or `collections.Counter`"
            )
            yield _finding(
                node.lineno,
                "P102",
                f"`.{method}()` inside a loop scans the whole sequence on every step; {better}",
            )
        elif isinstance(node, ast.Compare) and any(
            isinstance(op, ast.In | ast.NotIn) for op in node.ops
        ):
            for container in node.comparators:
                if isinstance(container, ast.Name) and container.id in lists:
                    yield _finding(
                        node.lineno,
                        "P103",
                        f"`in {container.id}` inside a loop searches the list item by item "
                        f"on every step; keep a set (`seen = set()`) for fast membership tests",
                    )
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and (
                (node.func.attr == "insert" and _is_zero(node.args[:1]))
                or (node.func.attr == "pop" and _is_zero(node.args[:1]))
            )
        ):
            yield _finding(
                node.lineno,
                "P105",
                f"`.{node.func.attr}(0)` in a loop moves every other item each time; "
                "`collections.deque` does it in one step (or build the list reversed)",
            )


def _scanned_list(
    receiver: ast.expr, node: ast.AST, lists: set[str], parents: dict[ast.AST, ast.AST]
) -> bool:
    """True when `receiver` is a known list, or the sequence an enclosing loop walks."""
    if isinstance(receiver, ast.Name) and receiver.id in lists:
        return True
    wanted = _key(receiver)
    current = parents.get(node)
    while current is not None and not isinstance(current, ast.FunctionDef | ast.Lambda):
        if isinstance(current, ast.For | ast.comprehension) and _key(current.iter) == wanted:
            return True
        if isinstance(
            current, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
        ) and any(_key(generator.iter) == wanted for generator in current.generators):
            return True
        current = parents.get(current)
    return False


def _is_zero(args: list[ast.expr]) -> bool:
    return bool(args) and isinstance(args[0], ast.Constant) and args[0].value == 0


def _string_building(tree: ast.Module, parents: dict[ast.AST, ast.AST]) -> Iterator[Finding]:
    strings: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant | ast.JoinedStr)
            and isinstance(getattr(node.value, "value", ""), str)
        ):
            strings.add(node.targets[0].id)
    reported: set[str] = set()
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.AugAssign)
            and isinstance(node.op, ast.Add)
            and isinstance(node.target, ast.Name)
        ):
            continue
        name = node.target.id
        adds_text = isinstance(node.value, ast.JoinedStr) or (
            isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        )
        if (name in strings or adds_text) and name not in reported and inside_loop(node, parents):
            reported.add(name)
            yield _finding(
                node.lineno,
                "P104",
                f"`{name} += ...` in a loop copies the whole string every time; collect the "
                f"pieces in a list and join once: `''.join(pieces)`",
            )


def _sorted_for_extremes(tree: ast.Module) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "sorted"
            and isinstance(node.slice, ast.Constant | ast.UnaryOp)
        ):
            index = ast.unparse(node.slice)
            if index in ("0", "-1"):
                better = "min" if index == "0" else "max"
                yield _finding(
                    node.lineno,
                    "P107",
                    f"sorting everything to take one item is extra work; `{better}(...)` "
                    "finds it in one pass",
                )


def _keys_membership(tree: ast.Module) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if (
                    isinstance(op, ast.In | ast.NotIn)
                    and isinstance(right, ast.Call)
                    and isinstance(right.func, ast.Attribute)
                    and right.func.attr == "keys"
                    and not right.args
                ):
                    yield _finding(
                        node.lineno,
                        "P108",
                        "`key in d.keys()` can simply be `key in d`",
                    )


def check_efficiency(code: str | Source) -> list[Finding]:
    """Efficiency findings for `code`, sorted by line (none when it does not parse)."""
    source = code if isinstance(code, Source) else Source(code)
    tree = source.tree
    if tree is None:
        return []
    parents = source.parents()
    findings = [
        *_nested_loops_over_same_data(tree),
        *_scans_in_loops(tree, parents),
        *_string_building(tree, parents),
        *_sorted_for_extremes(tree),
        *_keys_membership(tree),
    ]
    return sorted(set(findings))
