"""Error explanations: a traceback or error message (with or without code) → what it means.

    found = explain_error(traceback_text, code)
    found.exception   # "TypeError"
    found.line        # 3 — the line of the learner's code where it happened (when known)
    found.meaning     # what the error means, in plain words
    found.cause       # the likely cause *in this code* (reads the failing line)
    found.hint        # a hint toward the fix — never the fixed exercise
    found.lessons     # the Errors lesson section first, then the lesson on the construct

`parse_error` reads the last exception line of a traceback (or a bare ``NameError: ...`` line, or
just an exception's name in prose: "I keep getting IndexError"), the learner's frame (the last
``File "...", line N`` that is not inside Python itself) and the source line it shows.
`split_traceback` separates a pasted traceback from pasted code, so a traceback is never
reviewed as code. Each rule of `RULES` matches one exception (and message pattern), and reads
the failing line for the cause; rules are ordered from specific to general. Pure Python, no I/O.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ERRORS_LESSON",
    "RULES",
    "ErrorExplanation",
    "ParsedError",
    "explain_error",
    "mentions_error",
    "parse_error",
    "split_traceback",
]

#: The Errors module's section on exception types and reading a traceback: cited every time.
ERRORS_LESSON = "errors.exception-types"

_EXC_NAME = r"(?:[A-Za-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Warning|Iteration|Exit|Interrupt)"
_EXC_LINE = re.compile(rf"^\s*(?P<name>{_EXC_NAME})(?::[ \t]*(?P<message>.*))?\s*$")
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<where>.+))?')
_TRACEBACK_HEAD = re.compile(r"^\s*Traceback \(most recent call last\):?\s*$")
_CARET = re.compile(r"^\s*[~^]+\s*$")
_SYSTEM_FILE = re.compile(r"(/lib/python\d|site-packages|<frozen |\\lib\\python)")
_NAMED_IN_PROSE = re.compile(rf"\b(?P<name>{_EXC_NAME})\b")
_TIMEOUT = re.compile(
    r"\b(time\s*limit|timed?\s*out|timeout|took too long|ran too long|never (stops|ends|finishes)|"
    r"(keeps|kept) (running|going|looping)|infinite loop|endless loop|loops? forever|runs? forever|"
    r"hangs|frozen|freezes)\b",
    re.I,
)
_MESSAGE_ONLY: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), name)
    for p, name in (
        (r"can only concatenate str", "TypeError"),
        (r"unsupported operand type", "TypeError"),
        (r"object is not (subscriptable|callable|iterable)", "TypeError"),
        (r"missing \d+ required positional argument", "TypeError"),
        (r"(list|string|tuple) index out of range", "IndexError"),
        (r"invalid literal for int\(\)", "ValueError"),
        (r"could not convert string to float", "ValueError"),
        (r"name '\w+' is not defined", "NameError"),
        (r"has no attribute", "AttributeError"),
        (r"division by zero|division or modulo by zero", "ZeroDivisionError"),
        (r"no module named", "ModuleNotFoundError"),
        (r"maximum recursion depth", "RecursionError"),
        (r"no such file or directory", "FileNotFoundError"),
        (
            r"expected an indented block|unexpected indent|unindent does not match",
            "IndentationError",
        ),
        (r"invalid syntax|was never closed|unterminated string", "SyntaxError"),
        (r"referenced before assignment|cannot access local variable", "UnboundLocalError"),
    )
)


@dataclass(frozen=True, slots=True)
class ParsedError:
    """What a pasted error says: the exception, its message, where, and the failing line."""

    exception: str
    message: str = ""
    line: int | None = None
    source_line: str | None = None
    #: True when a whole traceback (or an exception line) was pasted; False when the learner
    #: only named the error in words, or described an endless loop.
    pasted: bool = True


@dataclass(frozen=True, slots=True)
class ErrorExplanation:
    """The explanation of one error (see the module docstring)."""

    rule: str
    exception: str
    message: str
    line: int | None
    code_line: str | None
    meaning: str
    cause: str
    hint: str
    lessons: tuple[str, ...]
    pasted: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "exception": self.exception,
            "message": self.message,
            "line": self.line,
            "code_line": self.code_line,
            "meaning": self.meaning,
            "cause": self.cause,
            "hint": self.hint,
            "lessons": list(self.lessons),
        }

    def text(self) -> str:
        """The explanation as Markdown, for a learner."""
        head = f"**{self.exception}**" + (f": `{self.message}`" if self.message else "")
        where = ""
        if self.line is not None:
            where = f" on line {self.line}"
            if self.code_line:
                where += f":\n\n```python\n{self.code_line.strip()}\n```"
            else:
                where += "."
        elif self.code_line:
            where = f" here:\n\n```python\n{self.code_line.strip()}\n```"
        parts = [
            f"You got {head}{where}" if self.pasted else f"About **{self.exception}**:",
            f"**What it means:** {self.meaning}",
            f"**Likely cause in your code:** {self.cause}",
            f"**Hint:** {self.hint}",
            "Read more: " + ", ".join(f"`{lesson}`" for lesson in self.lessons),
        ]
        return "\n\n".join(parts)


# --- parsing ------------------------------------------------------------------------------------


def _is_error_line(line: str) -> re.Match[str] | None:
    match = _EXC_LINE.match(line)
    if match is None:
        return None
    # "Error: something" in prose is not an exception line; a class name is.
    return match


def split_traceback(text: str) -> tuple[str | None, str]:
    """(the traceback and error lines, the rest) of pasted text: the rest is the learner's code
    or prose; frames, their source lines, carets and the exception line go to the traceback."""
    lines = text.splitlines()
    error_lines: list[int] = []
    in_traceback = False
    for i, line in enumerate(lines):
        if _TRACEBACK_HEAD.match(line):
            in_traceback = True
            error_lines.append(i)
            continue
        if in_traceback:
            error_lines.append(i)
            if _is_error_line(line):
                in_traceback = False
            continue
        if _FRAME.match(line):
            error_lines.append(i)
            if i + 1 < len(lines) and not _FRAME.match(lines[i + 1]):
                error_lines.append(i + 1)
            continue
        if _CARET.match(line) and error_lines and error_lines[-1] == i - 1:
            error_lines.append(i)
            continue
        if _is_error_line(line):
            error_lines.append(i)
    if not error_lines:
        return None, text
    chosen = set(error_lines)
    traceback = "\n".join(lines[i] for i in sorted(chosen))
    rest = "\n".join(line for i, line in enumerate(lines) if i not in chosen)
    return traceback, rest.strip("\n")


def parse_error(text: str) -> ParsedError | None:
    """The error a message shows or names, or None when it is about no error at all."""
    lines = text.splitlines()
    last_error: tuple[int, re.Match[str]] | None = None
    for i, line in enumerate(lines):
        match = _is_error_line(line)
        if match is not None:
            last_error = (i, match)
    if last_error is not None:
        index, match = last_error
        name = match.group("name").rsplit(".", 1)[-1]
        message = (match.group("message") or "").strip()
        line_no, source = _learner_frame(lines[:index])
        return ParsedError(name, message, line_no, source, pasted=True)
    for pattern, name in _MESSAGE_ONLY:
        found = pattern.search(text)
        if found:
            line = next((ln for ln in lines if pattern.search(ln)), found.group(0))
            return ParsedError(name, line.strip().strip("`\"'"), None, None, pasted=True)
    named = _NAMED_IN_PROSE.search(text)
    if named:
        return ParsedError(named.group("name").rsplit(".", 1)[-1], "", None, None, pasted=False)
    if _TIMEOUT.search(text):
        return ParsedError("TimeoutError", "time limit exceeded", None, None, pasted=False)
    return None


def mentions_error(text: str) -> bool:
    """Whether a message pastes or names a Python error (or an endless loop)."""
    return parse_error(text) is not None


def _learner_frame(lines: list[str]) -> tuple[int | None, str | None]:
    """(line number, source line) of the last frame in the learner's own code."""
    found: tuple[int | None, str | None] = (None, None)
    for i, line in enumerate(lines):
        frame = _FRAME.match(line)
        if frame is None or _SYSTEM_FILE.search(frame.group("file")):
            continue
        source = None
        if i + 1 < len(lines):
            candidate = lines[i + 1]
            if not (
                _FRAME.match(candidate) or _CARET.match(candidate) or _is_error_line(candidate)
            ):
                source = candidate.strip() or None
        found = (int(frame.group("line")), source)
    return found


# --- the rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Situation:
    """What a rule reads: the parsed error, the learner's code and the failing line."""

    error: ParsedError
    code: str
    line: str
    match: re.Match[str] | None

    def group(self, index: int | str, default: str = "") -> str:
        if self.match is None:
            return default
        try:
            value = self.match.group(index)
        except IndexError:
            return default
        return value if value is not None else default


Text = str | Callable[[Situation], str]


@dataclass(frozen=True)
class Rule:
    id: str
    exceptions: tuple[str, ...]
    message: re.Pattern[str] | None
    meaning: Text
    cause: Text
    hint: Text
    lesson: str
    extra: tuple[str, ...] = field(default=())

    def matches(self, error: ParsedError) -> re.Match[str] | bool | None:
        if error.exception not in self.exceptions:
            return False
        if self.message is None:
            return None
        return self.message.search(error.message)


def _a(type_name: str) -> str:
    """ "an `int`", "a `float`"."""
    return f"{'an' if type_name[:1] in 'aeiou' else 'a'} `{type_name}`"


def _say(text: Text, situation: Situation) -> str:
    return text(situation) if callable(text) else text


def _names_in(code: str) -> set[str]:
    return set(re.findall(r"\b[A-Za-z_]\w*\b", code)) - set(keyword.kwlist)


def _on_line(situation: Situation, what: str) -> str:
    return (
        f"On `{situation.line.strip()}`, {what}"
        if situation.line.strip()
        else what[0].upper() + what[1:]
    )


_BUILTIN_NAMES = {"list", "str", "int", "dict", "sum", "max", "min", "len", "input", "print", "set"}
_MODULES = {"math", "random", "json", "csv", "os", "sys", "time", "datetime", "re", "statistics"}


def _name_error_cause(s: Situation) -> str:
    name = s.group(1)
    known = sorted(_names_in(s.code) - {name})
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    if close:
        return (
            f"`{name}` looks like a typo of `{close[0]}`, which your code does define. Python "
            "names must match exactly, capitals included."
        )
    if name in _MODULES:
        return f"`{name}` is a module: it must be imported (`import {name}`) before it is used."
    assigned_later = re.search(rf"^\s*{re.escape(name)}\s*=", s.code, re.M)
    if assigned_later:
        return (
            f"`{name}` is given a value somewhere, but only after (or away from) the line that "
            "uses it — Python runs top to bottom, and names made inside a function exist only "
            "there."
        )
    if re.fullmatch(r"[a-z]+", name) and s.line and re.search(rf"\(\s*{name}\s*\)", s.line):
        return (
            f'`{name}` is used as a name, but maybe you meant the text `"{name}"` — without '
            "quotes Python looks for a variable."
        )
    return (
        f"`{name}` is used before anything gave it a value: a typo, a variable defined later "
        "or inside another function, or a missing import."
    )


_DEF = re.compile(r"^(?P<indent>[ \t]*)def\s+(?P<name>\w+)\s*\(", re.M)
_RETURNS = re.compile(r"^\s*return\s+\S", re.M)


def _functions(code: str) -> list[tuple[str, str]]:
    """(name, body) of each function defined in `code` (the body ends at a dedent)."""
    found = []
    lines = code.splitlines()
    for i, line in enumerate(lines):
        match = _DEF.match(line)
        if match is None:
            continue
        indent = len(match.group("indent"))
        body = []
        for following in lines[i + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            body.append(following)
        found.append((match.group("name"), "\n".join(body)))
    return found


def _none_cause(s: Situation) -> str:
    in_place = re.search(
        r"=\s*[\w.\[\]]+\.(sort|append|extend|reverse|insert|remove|clear)\(", s.code
    )
    if in_place:
        method = in_place.group(1)
        return (
            f"A value is `None`. Your code keeps the result of `.{method}()`, which changes the "
            f"list in place and returns `None`."
        )
    missing = [name for name, body in _functions(s.code) if not _RETURNS.search(body)]
    if missing:
        return (
            f"A value is `None`: the function `{missing[0]}` never `return`s a value (printing "
            "is not returning), so calling it gives `None`."
        )
    return (
        "A value you use is `None`: usually a function that prints instead of returning, a "
        "`return` on only some paths, or the result of a list method such as `.sort()` that "
        "returns `None`."
    )


def _missing_args_cause(s: Situation) -> str:
    function, count, names = s.group(1), s.group(2), s.group(3)
    if "self" in s.code and re.search(rf"\b[A-Z]\w*\.{function}\(", s.code):
        return (
            f"`{function}` is a method called on the class itself, so no object fills `self`: "
            "create an object first and call the method on it."
        )
    return f"`{function}` needs {count} more argument(s) ({names}) than the call gives it."


def _too_many_args_cause(s: Situation) -> str:
    function = s.group(1)
    defs = re.search(rf"def\s+{re.escape(function)}\s*\(([^)]*)\)", s.code)
    in_class = re.search(r"^\s*class\s", s.code, re.M)
    if defs and in_class and not defs.group(1).strip().startswith("self"):
        return (
            f"`{function}` is a method, but its first parameter is not `self`: Python passes "
            "the object itself as the first argument, so there is one argument too many."
        )
    if function == "__init__" or "object() takes no arguments" in s.error.message:
        return (
            "The class's constructor doesn't take these arguments — check that `__init__` is "
            "spelled with two underscores on each side and lists every parameter."
        )
    return f"The call to `{function}` passes more arguments than its definition lists."


def _not_callable_cause(s: Situation) -> str:
    kind = s.group(1)
    shadowed = [name for name in _BUILTIN_NAMES if re.search(rf"^\s*{name}\s*=", s.code, re.M)]
    if shadowed:
        return (
            f"Your code assigns a value to `{shadowed[0]}`, which hides Python's built-in "
            f"`{shadowed[0]}()`: calling it now calls your {kind} instead."
        )
    if re.search(r"\d\s*\(", s.line):
        return "A number is followed by `(`: Python reads that as a call. Multiply with `*`."
    return f"Something that is a {kind}, not a function, is followed by `(...)`."


def _index_cause(s: Situation) -> str:
    if re.search(r"range\(\s*len\([^)]*\)\s*\+\s*1\s*\)|<=\s*len\(", s.code):
        return (
            "The loop goes one step too far: positions run from 0 to `len(x) - 1`, so "
            "`range(len(x) + 1)` or `<= len(x)` reaches a position that doesn't exist."
        )
    if re.search(r"\[\s*len\([^)]*\)\s*\]", s.code):
        return "`x[len(x)]` is one past the end: the last item is `x[len(x) - 1]`, or `x[-1]`."
    if re.search(r"\[\s*\w+\s*\+\s*1\s*\]", s.code):
        return (
            "An index such as `i + 1` goes past the end on the last round of the loop: stop "
            "the loop one step earlier."
        )
    return (
        "A position is used that the list (or string) doesn't have: it may be shorter than "
        "you think — even empty — or the index is off by one."
    )


def _key_cause(s: Situation) -> str:
    key = s.group(1) or s.error.message
    if re.search(r"\[[^\]]+\]\s*\+=", s.code):
        return (
            f"The first time a key such as {key} is seen it isn't in the dictionary yet, so "
            "`d[key] += 1` has nothing to add to."
        )
    return (
        f"The dictionary has no key {key}: check its spelling and capitals, and whether the "
        "key was ever added."
    )


def _attribute_cause(s: Situation) -> str:
    kind, attribute = s.group(1), s.group(2)
    type_methods = {
        "str": dir(str),
        "list": dir(list),
        "dict": dir(dict),
        "int": dir(int),
        "tuple": dir(tuple),
        "set": dir(set),
        "float": dir(float),
    }
    if kind in type_methods:
        close = difflib.get_close_matches(attribute, type_methods[kind], n=1, cutoff=0.7)
        if close and close[0] != attribute:
            return f"A {kind} has no `.{attribute}` — did you mean `.{close[0]}`?"
        owners = [t for t, names in type_methods.items() if attribute in names and t != kind]
        if owners:
            return f"`.{attribute}` is a method of `{owners[0]}`, but the value here is a `{kind}`."
        return f"A `{kind}` has no `.{attribute}`."
    if re.search(rf"self\.{re.escape(attribute)}\b", s.code) or re.search(r"__init__", s.code):
        return (
            f"The object has no attribute `{attribute}`: `__init__` must set it with "
            f"`self.{attribute} = ...` (with `self.`), and the names must match exactly."
        )
    return f"A `{kind}` object has no attribute `{attribute}` — check the spelling and the type."


def _unbound_cause(s: Situation) -> str:
    name = s.group("name") or s.group(1)
    return (
        f"The function assigns to `{name}` (e.g. `{name} += 1`), which makes `{name}` local to the "
        "function — so it is read before it has a value there, even if a global of that name "
        "exists."
    )


def _syntax_assign_cause(s: Situation) -> str:
    return _on_line(s, "a single `=` is used in a condition. `=` assigns; `==` compares.")


def _unclosed_cause(s: Situation) -> str:
    bracket = s.group(1) or "a bracket"
    return (
        f"{bracket!s} is opened but never closed — Python reaches the end of the statement (or "
        "the file) still waiting for it. The line Python reports can be *after* the real one."
    )


def _generic_syntax_cause(s: Situation) -> str:
    line = s.line
    if re.match(r"\s*(if|elif|else|for|while|def|class|try|except|with)\b[^:]*$", line):
        return _on_line(s, "the line starts a block but doesn't end with `:`.")
    if re.match(r"\s*print\s+[^(]", line):
        return _on_line(s, "`print` is a function in Python 3: it needs parentheses.")
    if line.count('"') % 2 or line.count("'") % 2:
        return _on_line(s, "a quote is opened but not closed.")
    if re.search(r"\b(if|while|elif)\b[^=!<>]*[^=!<>]=[^=]", line):
        return _syntax_assign_cause(s)
    return _on_line(
        s,
        "Python couldn't read the line: look for a missing `:`, comma, bracket, quote or "
        "operator at (or just before) the place the `^` points to.",
    )


def _indent_expected_cause(s: Situation) -> str:
    return (
        "A line that ends with `:` (an `if`, `for`, `while`, `def` or `class`) must be followed "
        "by at least one line indented under it — here the next line isn't indented."
    )


def _module_missing_cause(s: Situation) -> str:
    module = s.group(1)
    stdlib = {"math", "random", "json", "csv", "os", "sys", "datetime", "collections", "re"}
    close = difflib.get_close_matches(module, sorted(stdlib | {"requests", "numpy", "pandas"}), 1)
    if close and close[0] != module:
        return f"`{module}` looks like a typo of `{close[0]}`."
    return (
        f"`{module}` isn't installed in the Python that runs your code (in the LearnFlow sandbox "
        "only the standard library is available), or it is installed in another environment."
    )


def _value_int_cause(s: Situation) -> str:
    value = s.group(1)
    if re.fullmatch(r"-?\d+\.\d+", value):
        return f"`'{value}'` has a decimal point: `int()` only reads whole numbers from text."
    if value.strip() == "":
        return "The text is empty (e.g. the user just pressed Enter), and `int('')` has no number."
    return f"`'{value}'` is not a whole number, so `int()` can't convert it."


def _timeout_cause(s: Situation) -> str:
    loop = re.search(r"^\s*while\s+(.+):", s.code, re.M)
    if loop:
        condition = loop.group(1).strip()
        if condition in ("True", "1"):
            return "`while True:` only stops at a `break` (or `return`) — one is never reached."
        variables = [n for n in _names_in(condition) if n not in ("and", "or", "not", "len")]
        body = s.code[loop.end() :]
        changed = [v for v in variables if re.search(rf"\b{v}\s*(\+|-|\*|/)?=", body)]
        if variables and not changed:
            names = ", ".join(f"`{v}`" for v in variables)
            return (
                f"The loop `while {condition}:` never changes {names}, so its condition stays "
                "true forever."
            )
        return f"The condition of `while {condition}:` never becomes false for this input."
    return (
        "Your code ran longer than the time limit: almost always a `while` loop whose "
        "condition never becomes false, or a recursion that never reaches its base case."
    )


def _rule(
    id: str,
    exceptions: str,
    message: str | None,
    meaning: Text,
    cause: Text,
    hint: Text,
    lesson: str,
) -> Rule:
    return Rule(
        id,
        tuple(exceptions.split()),
        re.compile(message, re.I) if message else None,
        meaning,
        cause,
        hint,
        lesson,
    )


RULES: tuple[Rule, ...] = (
    _rule(
        "none-value",
        "TypeError AttributeError",
        r"NoneType",
        'An operation was used on `None`, Python\'s "no value".',
        _none_cause,
        "Find where that value comes from and make sure it really gets a value: `return` "
        "the result instead of printing it, and don't keep the result of in-place methods.",
        "functions.return-values",
    ),
    _rule(
        "str-plus-number",
        "TypeError",
        r"can only concatenate str \(not \"(\w+)\"\) to str",
        lambda s: f"`+` joins text only to text, and here a string meets {_a(s.group(1))}.",
        lambda s: _on_line(
            s,
            f"a string is joined with `+` to {_a(s.group(1))} — numbers (e.g. a count, an age, "
            "a result) are not text.",
        ),
        "Turn the number into text with `str(...)` before joining, or write an f-string: "
        'f"Total: {total}".',
        "basics.type-conversion",
    ),
    _rule(
        "number-plus-str",
        "TypeError",
        r"unsupported operand type\(s\) for ([^:]+): '(int|float)' and 'str'|"
        r"unsupported operand type\(s\) for ([^:]+): 'str' and '(int|float)'",
        "Python won't do arithmetic between a number and a string.",
        lambda s: _on_line(
            s,
            "one operand is text — often a value from `input()`, which is always a string, "
            "that was never converted.",
        ),
        "Convert the text with `int(...)` or `float(...)` before calculating.",
        "basics.type-conversion",
    ),
    _rule(
        "unsupported-operand",
        "TypeError",
        r"unsupported operand type\(s\) for ([^:]+): '(\w+)' and '(\w+)'",
        lambda s: f"`{s.group(1).strip()}` can't combine a `{s.group(2)}` with a `{s.group(3)}`.",
        lambda s: _on_line(
            s,
            f"one side is a `{s.group(2)}` and the other a `{s.group(3)}`; print both values "
            "(and their `type()`) just before this line.",
        ),
        "Make both sides the same kind of value before using the operator.",
        "basics.operators",
    ),
    _rule(
        "multiply-sequence",
        "TypeError",
        r"can't multiply sequence by non-int of type '(\w+)'",
        "A string or list can only be repeated a whole number of times.",
        lambda s: _on_line(
            s,
            f"text (or a list) is multiplied by a `{s.group(1)}` — often an `input()` value "
            "that is still a string.",
        ),
        "Convert the text to a number (`int()`/`float()`) before multiplying.",
        "basics.type-conversion",
    ),
    _rule(
        "compare-mixed",
        "TypeError",
        r"'(<|>|<=|>=)' not supported between instances of '(\w+)' and '(\w+)'",
        lambda s: f"Python can't order a `{s.group(2)}` and a `{s.group(3)}`.",
        lambda s: _on_line(
            s,
            f"a `{s.group(2)}` is compared with a `{s.group(3)}` — usually a number that is "
            "still text from `input()` or a file.",
        ),
        "Convert the text to a number before comparing.",
        "basics.type-conversion",
    ),
    _rule(
        "not-subscriptable",
        "TypeError",
        r"'(\w+)' object is not subscriptable",
        lambda s: f"`[...]` was used on a `{s.group(1)}`, which has no items or positions.",
        lambda s: _on_line(
            s,
            f"the value before `[` is a `{s.group(1)}`, not a list, string or dictionary.",
        ),
        "Print the value and its `type()` just before this line: which variable did you mean?",
        "data-structures.lists",
    ),
    _rule(
        "not-callable",
        "TypeError",
        r"'(\w+)' object is not callable",
        lambda s: f"Something that is a `{s.group(1)}`, not a function, was called with `(...)`.",
        _not_callable_cause,
        "Rename your variable so it doesn't hide a built-in function, or use `*` to multiply.",
        "functions.defining-functions",
    ),
    _rule(
        "missing-arguments",
        "TypeError",
        r"(\w+)\(\) missing (\d+) required (?:positional|keyword-only) arguments?: (.+)",
        lambda s: f"`{s.group(1)}` was called with fewer arguments than it needs.",
        _missing_args_cause,
        "Compare the call with the `def` line: give one value per parameter (or a default).",
        "functions.parameters",
    ),
    _rule(
        "too-many-arguments",
        "TypeError",
        r"(\w+)\(\) takes (\d+) positional arguments? but (\d+) (?:were|was) given|"
        r"(object)\(\) takes no arguments",
        lambda s: "A function or method got more arguments than its definition accepts.",
        _too_many_args_cause,
        "Compare the call with the `def` line; in a class, every method's first parameter is "
        "`self`.",
        "oop.attributes-and-methods",
    ),
    _rule(
        "not-iterable",
        "TypeError",
        r"'(\w+)' object is not iterable",
        lambda s: (
            f"A `for` loop (or `in`, `list()`, `sum()`) needs a sequence, not a `{s.group(1)}`."
        ),
        lambda s: _on_line(
            s,
            f"the loop goes over a `{s.group(1)}`: to repeat n times, loop over `range(n)`.",
        ),
        "Loop over a list, string or `range(...)` — e.g. `for i in range(n):`.",
        "control-flow.for-loops",
    ),
    _rule(
        "string-indices",
        "TypeError",
        r"string indices must be integers",
        "A string was indexed with something that isn't a whole number.",
        lambda s: _on_line(
            s,
            "a string is indexed with a string — often a loop over a list of strings where you "
            "expected dictionaries, or `text['key']` on text that was never parsed (e.g. JSON).",
        ),
        "Print the value you index: is it really the dictionary you think it is?",
        "data-structures.dictionaries",
    ),
    _rule(
        "list-indices",
        "TypeError",
        r"list indices must be integers or slices, not (\w+)",
        lambda s: f"A list position must be a whole number, and here it is a `{s.group(1)}`.",
        lambda s: _on_line(
            s,
            "the index is a "
            + (
                "float — `/` always gives a float; use `//` for a whole-number position."
                if s.group(1) == "float"
                else f"`{s.group(1)}`, not a position number."
            ),
        ),
        "Use `//` (whole-number division) or `int(...)` to get a whole-number position.",
        "data-structures.lists",
    ),
    _rule(
        "no-len",
        "TypeError",
        r"object of type '(\w+)' has no len\(\)",
        lambda s: f"`len()` counts items, and a `{s.group(1)}` has none.",
        lambda s: _on_line(s, f"`len()` is called on a `{s.group(1)}`."),
        "Use `len()` on a string, list or dictionary; for a number's digits, `len(str(n))`.",
        "basics.data-types",
    ),
    _rule(
        "unhashable",
        "TypeError",
        r"unhashable type: '(\w+)'",
        lambda s: f"A `{s.group(1)}` can't be a dictionary key or a set member (it can change).",
        lambda s: _on_line(s, f"a `{s.group(1)}` is used as a key or put in a set."),
        "Use a tuple instead of a list as the key (`tuple(items)`).",
        "data-structures.sets",
    ),
    _rule(
        "int-of-wrong-type",
        "TypeError",
        r"(int|float)\(\) argument must be a string, a bytes-like object or a (?:real )?number,"
        r" not '(\w+)'",
        lambda s: f"`{s.group(1)}()` can't convert a `{s.group(2)}`.",
        lambda s: _on_line(s, f"`{s.group(1)}()` gets a `{s.group(2)}`."),
        "Convert each item, not the whole list: e.g. `[int(x) for x in items]`.",
        "basics.type-conversion",
    ),
    _rule(
        "type-error",
        "TypeError",
        None,
        "A value of the wrong type was used for this operation.",
        lambda s: _on_line(s, "one of the values isn't the type the operation needs."),
        "Print the values (and `type()` of each) just before the failing line.",
        "basics.data-types",
    ),
    _rule(
        "index-out-of-range",
        "IndexError",
        r"(list|string|tuple|range object) index out of range",
        lambda s: (
            f"A position past the end of the {s.group(1) or 'sequence'} was used. Positions "
            "start at 0; the last is `len(x) - 1`."
        ),
        _index_cause,
        "Print `len(x)` and the index just before the line; check the loop's last round, and "
        "the empty case.",
        "data-structures.lists",
    ),
    _rule(
        "pop-empty",
        "IndexError",
        r"pop from empty list",
        "`.pop()` was called on a list with nothing left in it.",
        "The list is already empty when `.pop()` runs — the loop takes more items than it has.",
        "Check `if items:` (or the loop's condition) before popping.",
        "data-structures.lists",
    ),
    _rule(
        "index-error",
        "IndexError",
        None,
        "A position past the end of a list, string or tuple was used.",
        _index_cause,
        "Print the length and the index just before the failing line.",
        "data-structures.lists",
    ),
    _rule(
        "key-error",
        "KeyError",
        r"^(.*)$",
        "A dictionary was asked for a key it doesn't have.",
        _key_cause,
        "Check with `if key in d:` first, or use `d.get(key, default)`.",
        "data-structures.dictionaries",
    ),
    _rule(
        "name-error",
        "NameError",
        r"name '(\w+)' is not defined",
        lambda s: f"Python doesn't know any name `{s.group(1)}` at this point.",
        _name_error_cause,
        "Check the spelling against where the name is created, and that it is created (or "
        "imported) before this line runs.",
        "basics.variables",
    ),
    _rule(
        "name-error-any",
        "NameError",
        None,
        "A name is used that Python doesn't know at that point.",
        "A typo, a variable used before it gets a value, or a missing import.",
        "Check the spelling against where the name is created.",
        "basics.variables",
    ),
    _rule(
        "unbound-local",
        "UnboundLocalError",
        r"(?:local variable|cannot access local variable) '(?P<name>\w+)'",
        lambda s: (
            f"The variable `{s.group('name')}` is local to the function and is read before "
            "it is given a value there."
        ),
        _unbound_cause,
        "Pass the value in as a parameter and `return` the new value, instead of changing a "
        "global.",
        "functions.scope",
    ),
    _rule(
        "unbound-any",
        "UnboundLocalError",
        None,
        "A local variable is read before it is given a value in the function.",
        "The function assigns to a name that also exists outside it, so inside it is local.",
        "Pass the value in as a parameter and return the result.",
        "functions.scope",
    ),
    _rule(
        "attribute-module",
        "AttributeError",
        r"module '(\w+)' has no attribute '(\w+)'",
        lambda s: f"The module `{s.group(1)}` has nothing called `{s.group(2)}`.",
        lambda s: (
            f"A typo in `{s.group(2)}`, or a file of yours named `{s.group(1)}.py` that hides the "
            "real module."
        ),
        "Check the spelling in the module's documentation, and rename any file of yours that "
        "has the module's name.",
        "libraries.modules-imports",
    ),
    _rule(
        "attribute-error",
        "AttributeError",
        r"'(\w+)' object has no attribute '(\w+)'",
        lambda s: f"A `{s.group(1)}` has no method or attribute called `{s.group(2)}`.",
        _attribute_cause,
        "Check the value's type (`type(x)`) and the exact spelling of the method.",
        "oop.attributes-and-methods",
    ),
    _rule(
        "attribute-any",
        "AttributeError",
        None,
        "A method or attribute was used on a value that doesn't have it.",
        "A typo in the name, or the value is of another type than you think.",
        "Check the value's type (`type(x)`) and the spelling.",
        "oop.attributes-and-methods",
    ),
    _rule(
        "int-of-text",
        "ValueError",
        r"invalid literal for int\(\) with base \d+: '(.*)'",
        "`int()` got text that isn't a whole number.",
        _value_int_cause,
        "Check the text before converting (`.isdigit()`), convert decimals with `float()`, or "
        "catch `ValueError` with `try`/`except` and ask again.",
        "basics.type-conversion",
    ),
    _rule(
        "float-of-text",
        "ValueError",
        r"could not convert string to float: '(.*)'",
        "`float()` got text that isn't a number.",
        lambda s: (
            f"`'{s.group(1)}'` is not a number — empty text, a comma as decimal mark, or a word."
        ),
        "Clean the text first (`.strip()`, `.replace(',', '.')`) or catch `ValueError`.",
        "basics.type-conversion",
    ),
    _rule(
        "unpack",
        "ValueError",
        r"(too many values to unpack|not enough values to unpack)",
        "The number of names on the left of `=` (or in the `for`) doesn't match the number of "
        "values on the right.",
        lambda s: _on_line(
            s,
            "the values don't split into that many names — e.g. a line with more (or fewer) "
            "fields than expected, or a dictionary looped over without `.items()`.",
        ),
        "Print the value being unpacked; use `.items()` to loop over a dictionary's pairs.",
        "data-structures.tuples",
    ),
    _rule(
        "not-in-list",
        "ValueError",
        r"(x not in list|is not in list)",
        "`.remove()` or `.index()` looked for a value the list doesn't contain.",
        "The value isn't (or is no longer) in the list.",
        "Check with `if value in items:` first.",
        "data-structures.lists",
    ),
    _rule(
        "value-error",
        "ValueError",
        None,
        "A function got a value of the right type but an impossible content.",
        lambda s: _on_line(s, "a value has the right type but a content the function refuses."),
        "Print the value just before the failing line, and validate it first.",
        "errors.try-except",
    ),
    _rule(
        "zero-division",
        "ZeroDivisionError",
        None,
        "A number was divided by zero (with `/`, `//` or `%`), which has no answer.",
        lambda s: _on_line(
            s,
            "the divisor is 0 — for an average, that is what happens with an empty list "
            "(`len([])` is 0).",
        ),
        "Handle the zero case first: `if count == 0: ...` before dividing.",
        "basics.operators",
    ),
    _rule(
        "module-not-found",
        "ModuleNotFoundError",
        r"No module named '([\w.]+)'",
        lambda s: f"Python can't find a module called `{s.group(1)}`.",
        _module_missing_cause,
        "Check the spelling; install third-party packages with `pip` inside your virtual "
        "environment (not available in the LearnFlow sandbox).",
        "libraries.pip-packages",
    ),
    _rule(
        "import-error",
        "ImportError",
        r"cannot import name '(\w+)'",
        lambda s: f"The module exists, but has nothing called `{s.group(1)}` to import.",
        lambda s: (
            f"`{s.group(1)}` is misspelled, or not defined at the top level of that module "
            "(in an exercise: check your function's name matches the exercise exactly)."
        ),
        "Check the exact name (capitals too) in the module you import from.",
        "libraries.modules-imports",
    ),
    _rule(
        "recursion",
        "RecursionError",
        None,
        "A function kept calling itself, about 1000 calls deep, without stopping.",
        lambda s: (
            "The base case is missing or never reached: each call must get closer to it (e.g. "
            "`n - 1`), and the check must come before the recursive call."
        ),
        "Find your base case and check that every call moves toward it.",
        "functions.recursion",
    ),
    _rule(
        "file-not-found",
        "FileNotFoundError",
        r"No such file or directory: '(.*)'",
        lambda s: f"There is no file `{s.group(1)}` where Python looked.",
        lambda s: (
            f"`{s.group(1)}` is a path relative to the folder the program runs in (not the "
            "folder of your script), or the name is misspelled."
        ),
        "Print `Path.cwd()` to see where Python looks, or build the path from your script's "
        "folder; check the extension too.",
        "files.paths",
    ),
    _rule(
        "indent-expected",
        "IndentationError",
        r"expected an indented block",
        "A block (after a line ending in `:`) has no indented body.",
        _indent_expected_cause,
        "Indent the block's lines by 4 spaces; if it is meant to be empty for now, write `pass`.",
        "control-flow.if-elif-else",
    ),
    _rule(
        "indent-unexpected",
        "IndentationError",
        r"unexpected indent",
        "A line is indented where no block started.",
        lambda s: _on_line(
            s, "the line has spaces in front, but the line before it doesn't open a block (no `:`)."
        ),
        "Line it up with the lines around it (same block = same indentation).",
        "control-flow.if-elif-else",
    ),
    _rule(
        "indent-mismatch",
        "IndentationError TabError",
        r"unindent does not match|inconsistent use of tabs",
        "The indentation of this line matches no block around it.",
        "Tabs and spaces are mixed, or the line is indented by a different number of spaces "
        "than the block it belongs to.",
        "Use 4 spaces per level everywhere (let the editor turn tabs into spaces).",
        "control-flow.if-elif-else",
    ),
    _rule(
        "assign-in-condition",
        "SyntaxError",
        r"Maybe you meant '==' |cannot assign to",
        "A single `=` was used where Python expected a comparison.",
        _syntax_assign_cause,
        "Compare with `==` in `if`/`while` conditions; keep `=` for giving a variable a value.",
        "basics.operators",
    ),
    _rule(
        "unclosed-bracket",
        "SyntaxError",
        r"'([(\[{])' was never closed|unexpected EOF|does not match opening parenthesis",
        "A bracket or parenthesis was opened and not closed (or closed with the wrong kind).",
        _unclosed_cause,
        "Count the brackets on the reported line and the line before it; every `(` needs a `)`.",
        "errors.debugging",
    ),
    _rule(
        "unterminated-string",
        "SyntaxError",
        r"unterminated string|EOL while scanning",
        "A string's opening quote has no closing quote on the same line.",
        lambda s: _on_line(s, "a quote is opened but not closed."),
        "Close the string with the same kind of quote it starts with.",
        "basics.data-types",
    ),
    _rule(
        "missing-colon",
        "SyntaxError",
        r"expected ':'",
        "A line that opens a block (`if`, `for`, `while`, `def`, ...) must end with `:`.",
        lambda s: _on_line(s, "the line opens a block but has no `:` at the end."),
        "Add the `:` at the end of that line.",
        "control-flow.if-elif-else",
    ),
    _rule(
        "print-parentheses",
        "SyntaxError",
        r"Missing parentheses in call to 'print'",
        "`print` is a function in Python 3 and needs parentheses.",
        lambda s: _on_line(s, "`print` is written without `(...)` (Python 2 style)."),
        "Write `print(...)` with the values inside the parentheses.",
        "basics.input-output",
    ),
    _rule(
        "syntax-error",
        "SyntaxError",
        None,
        "Python couldn't read your code, so none of it ran.",
        _generic_syntax_cause,
        "Look at the reported line and the one before it; the `^` shows where Python gave up.",
        "errors.debugging",
    ),
    _rule(
        "time-limit",
        "TimeoutError",
        None,
        "Your program didn't finish within the time limit, so it was stopped.",
        _timeout_cause,
        "Check that something in the loop changes what its condition tests, so it can become "
        "false (or that a `break` is reached).",
        "control-flow.while-loops",
    ),
    _rule(
        "assertion",
        "AssertionError",
        None,
        "An `assert` found that something expected to be true was false.",
        "A check on a value failed: the value isn't what the `assert` expects.",
        "Print the values the `assert` compares, just before it.",
        "errors.debugging",
    ),
    _rule(
        "json-decode",
        "JSONDecodeError",
        None,
        "The text given to `json.loads`/`json.load` isn't valid JSON.",
        "The file or text is empty, or uses single quotes or a trailing comma (JSON allows "
        "neither).",
        "Print the text before parsing it; JSON strings use double quotes.",
        "files.json",
    ),
    _rule(
        "stop-iteration",
        "StopIteration",
        None,
        "`next()` was called on an iterator with nothing left.",
        "The iterator (or file) is used up: everything was already read.",
        "Loop with `for` instead of calling `next()`, or give `next()` a default.",
        "errors.exception-types",
    ),
)

_FALLBACK = Rule(
    "other",
    (),
    None,
    "Python stopped with this error.",
    "Look at the last line of the traceback for what went wrong, and the last `File ... line` "
    "in your own code for where.",
    "Print the values used on that line just before it runs.",
    ERRORS_LESSON,
)


def _failing_line(error: ParsedError, code: str) -> str:
    if error.source_line:
        return error.source_line
    if error.line is not None and code:
        lines = code.splitlines()
        if 1 <= error.line <= len(lines):
            return lines[error.line - 1]
    return ""


def explain_error(text: str, code: str | None = None) -> ErrorExplanation | None:
    """The explanation of the error `text` shows or names (None when there is none).

    `code` is the learner's code, when they sent it separately; code pasted with the traceback
    in `text` is used too.
    """
    error = parse_error(text)
    if error is None:
        return None
    _, pasted_code = split_traceback(text)
    learner_code = "\n".join(part for part in (code or "", pasted_code) if part.strip())
    line = _failing_line(error, code or "")
    for rule in RULES:
        found = rule.matches(error)
        if found is False:
            continue
        if rule.message is not None and not found:
            continue
        match = found if isinstance(found, re.Match) else None
        return _build(rule, error, learner_code, line, match)
    return _build(_FALLBACK, error, learner_code, line, None)


def _build(
    rule: Rule, error: ParsedError, code: str, line: str, match: re.Match[str] | None
) -> ErrorExplanation:
    situation = Situation(error, code, line, match)
    lessons = tuple(dict.fromkeys((ERRORS_LESSON, rule.lesson)))
    return ErrorExplanation(
        rule=rule.id,
        exception=error.exception,
        message=error.message,
        line=error.line,
        code_line=line or None,
        meaning=_say(rule.meaning, situation),
        cause=_say(rule.cause, situation),
        hint=_say(rule.hint, situation),
        lessons=lessons,
        pasted=error.pasted,
    )
