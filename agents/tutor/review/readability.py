"""Readability: long functions, deep nesting, magic numbers, and a few idioms that read better."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator

from .findings import Finding, Source

__all__ = ["MAX_FUNCTION_LINES", "MAX_NESTING", "MAX_PARAMETERS", "check_readability"]

MAX_FUNCTION_LINES = 30
MAX_NESTING = 3
MAX_PARAMETERS = 5
#: A number used this many times outside a named constant should get a name.
MAGIC_REPEATS = 3
#: Numbers that explain themselves; others repeated in the code deserve a name.
_PLAIN_NUMBERS = frozenset({0, 1, 2, -1, 10, 100, 0.5})
_BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)


def _finding(line: int, rule: str, message: str) -> Finding:
    return Finding(line=line, rule=rule, category="readability", message=message)


def _long_functions(tree: ast.Module) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                yield _finding(
                    node.lineno,
                    "R201",
                    f"`{node.name}` is {length} lines long; split it into smaller functions "
                    f"that each do one thing (aim for under {MAX_FUNCTION_LINES})",
                )
            count = len(node.args.args) + len(node.args.kwonlyargs)
            if count > MAX_PARAMETERS:
                yield _finding(
                    node.lineno,
                    "R205",
                    f"`{node.name}` takes {count} parameters; group related ones "
                    "(a dict, a tuple or a small class)",
                )


def _deep_nesting(tree: ast.Module) -> Iterator[Finding]:
    reported: set[ast.AST] = set()

    def visit(node: ast.AST, depth: int, owner: ast.AST) -> Iterator[Finding]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                yield from visit(child, 0, child)
                continue
            nested = depth
            if isinstance(child, _BLOCKS):
                is_elif = isinstance(node, ast.If) and node.orelse == [child]
                nested = depth if is_elif else depth + 1
                if nested > MAX_NESTING and owner not in reported:
                    reported.add(owner)
                    yield _finding(
                        child.lineno,
                        "R202",
                        f"this block is nested {nested} levels deep; return early (`if not "
                        "ok: return`), use `continue`, or move the inner part into a function",
                    )
            yield from visit(child, nested, owner)

    yield from visit(tree, 0, tree)


def _exempt_numbers(tree: ast.Module) -> set[int]:
    """ids of number nodes that need no name: in constants, defaults, indexes, range()."""
    exempt: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            exempt.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Constant))

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and all(
            isinstance(t, ast.Name) and t.id.isupper() for t in node.targets
        ):
            mark(node.value)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                mark(default)  # kw_defaults holds None for keyword-only args without one
        elif isinstance(node, ast.Subscript):
            mark(node.slice)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("range", "round", "print", "int", "input", "enumerate"):
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    mark(argument)
        elif isinstance(node, ast.Assert):
            mark(node)
    return exempt


def _magic_numbers(tree: ast.Module) -> Iterator[Finding]:
    exempt = _exempt_numbers(tree)
    places: dict[int | float, list[int]] = defaultdict(list)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, int | float)
            and not isinstance(node.value, bool)
            and id(node) not in exempt
            and node.value not in _PLAIN_NUMBERS
        ):
            places[node.value].append(node.lineno)
    for value, lines in sorted(places.items(), key=lambda item: min(item[1])):
        repeated = len(lines) >= MAGIC_REPEATS
        unexplained_fraction = isinstance(value, float) and len(repr(value)) > 4
        if repeated or unexplained_fraction:
            where = "appears " + (f"{len(lines)} times" if repeated else "in a calculation")
            yield _finding(
                min(lines),
                "R203",
                f"the number {value!r} {where}; give it a name that says what it means "
                f"(e.g. `RATE = {value!r}` at the top) so readers don't have to guess",
            )


def _range_len(tree: ast.Module) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.For)
            and isinstance(node.target, ast.Name)
            and isinstance(node.iter, ast.Call)
            and isinstance(node.iter.func, ast.Name)
            and node.iter.func.id == "range"
            and len(node.iter.args) == 1
            and isinstance(node.iter.args[0], ast.Call)
            and isinstance(node.iter.args[0].func, ast.Name)
            and node.iter.args[0].func.id == "len"
            and len(node.iter.args[0].args) == 1
        ):
            continue
        index, sequence = node.target.id, ast.unparse(node.iter.args[0].args[0])
        uses = [
            n
            for stmt in node.body
            for n in ast.walk(stmt)
            if isinstance(n, ast.Name) and n.id == index
        ]
        as_index = [
            n
            for stmt in node.body
            for n in ast.walk(stmt)
            if isinstance(n, ast.Subscript)
            and isinstance(n.slice, ast.Name)
            and n.slice.id == index
            and ast.unparse(n.value) == sequence
            and isinstance(n.ctx, ast.Load)
        ]
        if uses and len(as_index) == len(uses):
            yield _finding(
                node.lineno,
                "R204",
                f"`for {index} in range(len({sequence}))` only to read `{sequence}[{index}]`: "
                f"loop over the items directly (`for item in {sequence}:`), or use "
                f"`enumerate({sequence})` when you need the position too",
            )


def _returns_bool_literal(tree: ast.Module) -> Iterator[Finding]:
    def returns_constant(body: list[ast.stmt], value: bool) -> bool:
        return (
            len(body) == 1
            and isinstance(body[0], ast.Return)
            and isinstance(body[0].value, ast.Constant)
            and body[0].value.value is value
        )

    for node in ast.walk(tree):
        if isinstance(node, ast.If) and node.orelse:
            for value in (True, False):
                if returns_constant(node.body, value) and returns_constant(node.orelse, not value):
                    condition = ast.unparse(node.test)
                    better = condition if value else f"not ({condition})"
                    yield _finding(
                        node.lineno,
                        "R206",
                        f"`if ...: return {value} else: return {not value}` can be just "
                        f"`return {better}`",
                    )


def check_readability(code: str | Source) -> list[Finding]:
    """Readability findings for `code`, sorted by line (none when it does not parse)."""
    source = code if isinstance(code, Source) else Source(code)
    tree = source.tree
    if tree is None:
        return []
    findings = [
        *_long_functions(tree),
        *_deep_nesting(tree),
        *_magic_numbers(tree),
        *_range_len(tree),
        *_returns_bool_literal(tree),
    ]
    return sorted(set(findings))
