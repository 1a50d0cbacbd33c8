"""A small PEP 8 checker for learner code, built on `ast` and `tokenize` (standard library only).

It checks what matters most for someone learning Python, each with a concrete fix: naming,
line length, whitespace, unused variables and imports, bare `except:`, comparisons to `None`
and booleans, mutable default arguments, shadowed builtins, several statements on one line.
Rule codes follow pycodestyle / pep8-naming / pyflakes / bugbear where one exists.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
import tokenize
from collections.abc import Iterator

from .findings import Finding, Source

__all__ = ["MAX_LINE_LENGTH", "check_style"]

MAX_LINE_LENGTH = 79
_SNAKE = re.compile(r"^_{0,2}[a-z][a-z0-9_]*_{0,2}$|^_$")
_UPPER = re.compile(r"^_?[A-Z][A-Z0-9_]*$")
_CAPWORDS = re.compile(r"^_?[A-Z][a-zA-Z0-9]*$")
_AMBIGUOUS = frozenset({"l", "O", "I"})
_SHADOWED = frozenset(
    name
    for name in dir(builtins)
    if not name.startswith("_") and name[0].islower() and name not in {"copyright", "credits"}
)
_SPACED_OPERATORS = frozenset(
    {"=", "==", "!=", "<", ">", "<=", ">=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", ":="}
)
_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")


def _finding(line: int, rule: str, message: str) -> Finding:
    return Finding(line=line, rule=rule, category="style", message=message)


def _snake(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return spaced.lower()


# --- lines --------------------------------------------------------------------------------------


def _line_checks(source: Source) -> Iterator[Finding]:
    for number, line in enumerate(source.lines, start=1):
        if len(line) > MAX_LINE_LENGTH:
            yield _finding(
                number,
                "E501",
                f"line is {len(line)} characters long; PEP 8 keeps lines to "
                f"{MAX_LINE_LENGTH} or fewer (break it inside brackets, or name a part)",
            )
        if line != line.rstrip():
            yield _finding(number, "W291", "trailing whitespace at the end of the line")
        indent = line[: len(line) - len(line.lstrip())]
        if "\t" in indent:
            yield _finding(number, "W191", "indented with a tab; PEP 8 indents with 4 spaces")


def _indentation(source: Source) -> Iterator[Finding]:
    for token in source.tokens:
        if token.type == tokenize.INDENT and "\t" not in token.string:
            width = len(token.string)
            if width % 4:
                yield _finding(
                    token.start[0],
                    "E111",
                    f"indented by {width} spaces; PEP 8 uses multiples of 4",
                )


# --- whitespace around tokens -------------------------------------------------------------------


def _significant(source: Source) -> list[tokenize.TokenInfo]:
    skipped = {tokenize.NL, tokenize.COMMENT, tokenize.ENCODING, tokenize.ENDMARKER}
    return [t for t in source.tokens if t.type not in skipped]


def _annotated_parameter(tokens: list[tokenize.TokenInfo], index: int) -> bool:
    """True when the `=` at `index` is the default of an annotated parameter (`x: int = 3`)."""
    depth = 0
    for token in reversed(tokens[:index]):
        if token.string in _CLOSING:
            depth += 1
        elif token.string in _OPENING:
            if depth == 0:
                return False
            depth -= 1
        elif depth == 0 and token.string == ",":
            return False
        elif depth == 0 and token.string == ":":
            return True
    return False


def _whitespace(source: Source) -> Iterator[Finding]:
    tokens = _significant(source)
    brackets: list[str] = []
    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        same_line_before = before is not None and before.end[0] == token.start[0]
        same_line_after = after is not None and after.start[0] == token.end[0]
        space_before = same_line_before and before is not None and before.end[1] < token.start[1]
        space_after = same_line_after and after is not None and token.end[1] < after.start[1]
        line, text = token.start[0], token.string
        if token.type != tokenize.OP:
            if (
                token.type == tokenize.NAME
                and after is not None
                and after.string == "("
                and space_after
                and not keyword.iskeyword(text)
                and not keyword.issoftkeyword(text)
            ):
                yield _finding(
                    line, "E211", f"no space between `{text}` and `(` when calling: `{text}(`"
                )
            continue
        if text in _OPENING:
            brackets.append(text)
            if space_after and after is not None and after.string not in _CLOSING:
                yield _finding(line, "E201", f"no space after `{text}`")
        elif text in _CLOSING:
            if brackets:
                brackets.pop()
            if (
                space_before
                and before is not None
                and before.string != ","
                and before.string not in _OPENING
            ):
                yield _finding(line, "E202", f"no space before `{text}`")
        elif text == ":" and space_before and (not brackets or brackets[-1] != "["):
            yield _finding(line, "E203", "no space before `:`")
        elif text in (",", ";"):
            if space_before:
                yield _finding(line, "E203", f"no space before `{text}`")
            if (
                text == ","
                and same_line_after
                and not space_after
                and after is not None
                and after.string not in _CLOSING
            ):
                yield _finding(line, "E231", "put a space after `,`")
        elif text == "=" and brackets:
            if (space_before or space_after) and not _annotated_parameter(tokens, i):
                yield _finding(
                    line,
                    "E251",
                    "no spaces around `=` for a keyword argument or default value "
                    "(`end=''`, `def f(x=0)`)",
                )
        elif text in _SPACED_OPERATORS and not (space_before and space_after):
            yield _finding(line, "E225", f"put one space on each side of `{text}` (`a {text} b`)")


# --- statements ---------------------------------------------------------------------------------


def _statements(source: Source, tree: ast.Module) -> Iterator[Finding]:
    for token in _significant(source):
        if token.type == tokenize.OP and token.string == ";":
            yield _finding(
                token.start[0], "E702", "one statement per line: put each on its own line"
            )
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.If | ast.For | ast.While | ast.With | ast.FunctionDef)
            and isinstance(body, list)
            and body
            and body[0].lineno == node.lineno
        ):
            yield _finding(
                node.lineno,
                "E701",
                "put the body of this block on the next line, indented, not after the `:`",
            )
    previous_end = 0
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([statement.lineno, *(d.lineno for d in statement.decorator_list)])
            if previous_end:
                blank = sum(
                    1 for line in source.lines[previous_end : first - 1] if not line.strip()
                )
                if blank < 2:
                    kind = "class" if isinstance(statement, ast.ClassDef) else "function"
                    yield _finding(
                        first,
                        "E302",
                        f"leave 2 blank lines before a top-level {kind} (found {blank})",
                    )
        previous_end = statement.end_lineno or statement.lineno


def _comparisons(tree: ast.Module) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if not isinstance(op, ast.Eq | ast.NotEq) or not isinstance(right, ast.Constant):
                    continue
                negated = isinstance(op, ast.NotEq)
                if right.value is None:
                    better = "is not None" if negated else "is None"
                    yield _finding(
                        node.lineno,
                        "E711",
                        f"compare with None using `{better}`, not `{'!=' if negated else '=='}`",
                    )
                elif right.value is True or right.value is False:
                    yield _finding(
                        node.lineno,
                        "E712",
                        f"don't compare with `{right.value}`: write `if x:` or `if not x:`",
                    )
        elif (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.Not)
            and isinstance(node.operand, ast.Compare)
            and len(node.operand.ops) == 1
            and isinstance(node.operand.ops[0], ast.In | ast.Is)
        ):
            better = "not in" if isinstance(node.operand.ops[0], ast.In) else "is not"
            yield _finding(node.lineno, "E713", f"write `x {better} y` rather than `not x ...`")


def _excepts_and_defaults(tree: ast.Module) -> Iterator[Finding]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is None:
            yield _finding(
                node.lineno,
                "E722",
                "bare `except:` also catches typos and Ctrl-C; name the error you expect "
                "(`except ValueError:`)",
            )
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defaults = [*node.args.defaults, *node.args.kw_defaults]
            for default in [d for d in defaults if d is not None]:
                mutable = isinstance(default, ast.List | ast.Dict | ast.Set) or (
                    isinstance(default, ast.Call)
                    and isinstance(default.func, ast.Name)
                    and default.func.id in ("list", "dict", "set")
                    and not default.args
                )
                if mutable:
                    yield _finding(
                        default.lineno,
                        "B006",
                        f"mutable default argument in `{node.name}`: the same object is shared "
                        "by every call; default to `None` and create it inside the function",
                    )


# --- names --------------------------------------------------------------------------------------


def _assigned_names(target: ast.AST) -> Iterator[ast.Name]:
    if isinstance(target, ast.Name):
        yield target
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _assigned_names(element)
    elif isinstance(target, ast.Starred):
        yield from _assigned_names(target.value)


def _check_name(name: str, line: int, kind: str, *, constant_ok: bool) -> Iterator[Finding]:
    if name in _AMBIGUOUS:
        yield _finding(
            line, "E741", f"`{name}` looks like 1 or 0 in many fonts; choose a longer name"
        )
        return
    if name in _SHADOWED:
        yield _finding(
            line,
            "A001",
            f"the {kind} `{name}` hides Python's built-in `{name}()`; pick another name "
            f"(e.g. `{name}_value` or a word that says what it holds)",
        )
        return
    if _SNAKE.match(name) or (constant_ok and _UPPER.match(name)):
        return
    rule = {"function": "N802", "parameter": "N803"}.get(kind, "N806")
    yield _finding(
        line,
        rule,
        f"{kind} names are lower_case_with_underscores in PEP 8: `{_snake(name)}`, not `{name}`",
    )


def _names(tree: ast.Module) -> Iterator[Finding]:
    module_level = {id(statement) for statement in tree.body}
    seen: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        found: list[Finding] = []
        if isinstance(node, ast.ClassDef):
            if not _CAPWORDS.match(node.name):
                better = "".join(part.capitalize() for part in node.name.split("_"))
                found.append(
                    _finding(
                        node.lineno,
                        "N801",
                        f"class names are CapWords in PEP 8: `{better}`, not `{node.name}`",
                    )
                )
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not (node.name.startswith("__") and node.name.endswith("__")):
                found += _check_name(node.name, node.lineno, "function", constant_ok=False)
            arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            arguments += [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
            for argument in arguments:
                if argument.arg not in ("self", "cls"):
                    found += _check_name(
                        argument.arg, argument.lineno, "parameter", constant_ok=False
                    )
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.For | ast.With):
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.With):
                targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
            else:
                targets = [node.target]
            constant_ok = id(node) in module_level
            for target in targets:
                for name in _assigned_names(target):
                    found += _check_name(name.id, name.lineno, "variable", constant_ok=constant_ok)
        for finding in found:
            key = (finding.message, finding.line)
            if key not in seen:
                seen.add(key)
                yield finding


# --- unused -------------------------------------------------------------------------------------


def _unused_locals(tree: ast.Module) -> Iterator[Finding]:
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        declared: set[str] = set()
        loaded: set[str] = set()
        stored: dict[str, int] = {}
        loop_targets: dict[str, int] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Global | ast.Nonlocal):
                declared.update(node.names)
            elif isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load):
                    loaded.add(node.id)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                loaded.add(node.target.id)
        for node in ast.walk(function):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        stored.setdefault(target.id, target.lineno)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                if isinstance(node.target, ast.Name):
                    stored.setdefault(node.target.id, node.target.lineno)
            elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
                loop_targets.setdefault(node.target.id, node.target.lineno)
        for name, line in sorted(stored.items(), key=lambda item: item[1]):
            if name not in loaded and name not in declared and name != "_":
                yield _finding(
                    line,
                    "F841",
                    f"`{name}` is given a value but never used; remove it, or use it "
                    "(a forgotten `return`?)",
                )
        yield from _unused_loop_variables(loop_targets, loaded)


def _unused_loop_variables(targets: dict[str, int], loaded: set[str]) -> Iterator[Finding]:
    for name, line in sorted(targets.items(), key=lambda item: item[1]):
        if name not in loaded and not name.startswith("_"):
            yield _finding(
                line, "B007", f"the loop variable `{name}` is never used; name it `_` to say so"
            )


def _module_loops(tree: ast.Module) -> Iterator[Finding]:
    """Unused loop variables of loops outside any function."""
    targets: dict[str, int] = {}
    for statement in tree.body:
        for node in ast.walk(statement):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                break
            if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
                targets.setdefault(node.target.id, node.target.lineno)
    loaded = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    yield from _unused_loop_variables(targets, loaded)


def _unused_imports(tree: ast.Module) -> Iterator[Finding]:
    imported: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    name = alias.asname or alias.name.split(".")[0]
                    imported.setdefault(name, node.lineno)
    if not imported:
        return
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    exported = any(
        isinstance(n, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)
        for n in tree.body
    )
    for name, line in imported.items():
        if name not in used and not exported:
            yield _finding(line, "F401", f"`{name}` is imported but never used; remove the import")


def check_style(code: str | Source) -> list[Finding]:
    """PEP 8 findings for `code`, sorted by line. Code that does not parse gets the line checks
    only (the syntax error itself is reported by `review_code`)."""
    source = code if isinstance(code, Source) else Source(code)
    findings = [*_line_checks(source), *_indentation(source), *_whitespace(source)]
    tree = source.tree
    if tree is not None:
        findings += [
            *_statements(source, tree),
            *_comparisons(tree),
            *_excepts_and_defaults(tree),
            *_names(tree),
            *_unused_locals(tree),
            *_module_loops(tree),
            *_unused_imports(tree),
        ]
    return sorted(set(findings))
