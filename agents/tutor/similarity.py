"""How much of a reference solution a piece of text gives away: normalised-token n-gram coverage.

The measure behind the solution-leak guardrail (`tutor_agent.guardrail`):

1. **Code pieces** are taken from a reply: fenced blocks, inline `code` spans that look like
   code, and unfenced Python lines (`learnflow.intents.extract_code`).
2. **Normalisation**: a piece that parses is round-tripped through the AST (`ast.unparse`), which
   drops comments and docstrings and fixes quoting, spacing, line breaks and redundant brackets;
   then it is tokenised (pieces that do not parse, such as `for raw in text.split():`, are
   tokenised as they are). Literals are kept by value.
3. **Runs**: texts are compared as sets of runs of consecutive tokens, in two modes. `exact`
   runs (`NGRAM` tokens) keep names as written. `alpha` runs (`NGRAM + 2` tokens) keep only the
   names that carry meaning (keywords, builtins, attributes and methods after a dot: `split`,
   `get`, `lower`) and rename the others by first appearance *inside the run* (`v0`, `v1`...),
   so a copy with consistently renamed variables has the same runs, while an extra line
   elsewhere changes nothing (parameterised matching, as clone detectors do).
4. **Coverage**: a token of the solution is *covered* by a text when some run around it also
   occurs in that text, in either mode. Runs are order-free across pieces, so a solution handed
   over in parts, or shuffled, is still covered.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import re
import textwrap
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Literal

from learnflow import python_ast
from learnflow.intents import extract_code

__all__ = [
    "MODES",
    "NGRAM",
    "RUN_LENGTH",
    "Fingerprint",
    "Grams",
    "code_pieces",
    "grams_of_texts",
    "ngrams",
    "normalised_tokens",
]

#: Length of the exact-name runs compared: long enough that generic shapes rarely match alone,
#: short enough that a one-line solution has several runs.
NGRAM = 4

_BUILTIN_NAMES = frozenset(dir(builtins))
_SKIPPED = frozenset(
    {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
        tokenize.ENCODING,
    }
)
_QUOTED = re.compile(r"^([rRbBuUfF]*)('{3}|\"{3}|'|\")(.*)\2$", re.S)
_FIELD = re.compile(r"\{([^{}]+)\}")
_FIELD_NAME = re.compile(r"(?<![.\w])[^\W\d]\w*")
_FENCE = re.compile(r"```[ \t]*[\w+.-]*[ \t]*\n?(.*?)(?:```|\Z)", re.S)
_INLINE = re.compile(r"`([^`\n]+)`")
_LOOKS_LIKE_CODE = re.compile(r"[()\[\]{}=.:%+*/<>-]|\b(for|in|if|return|def|while|import)\b")
_FALLBACK_LEXER = re.compile(
    r"""(?P<string>[rbfuRBFU]{0,2}(?:'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
      |(?P<number>\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?j?|\.\d+)
      |(?P<name>[^\W\d]\w*)
      |(?P<op>\.\.\.|\*\*=?|//=?|->|:=|<<=?|>>=?|[-+*/%@&|^<>=!]=|[-+*/%@&|^~<>=.,:;()\[\]{}])
      |(?P<comment>\#[^\n]*)""",
    re.S | re.X,
)


def code_pieces(text: str) -> list[str]:
    """The code a message or reply contains: fenced blocks, code-like inline spans, and
    unfenced Python lines, each as one piece."""
    pieces = [m.group(1) for m in _FENCE.finditer(text) if m.group(1).strip()]
    prose = _FENCE.sub("\n", text)
    for match in _INLINE.finditer(prose):
        span = match.group(1).strip()
        if _LOOKS_LIKE_CODE.search(span) and len(span) >= 3:
            pieces.append(span)
    unfenced, _ = extract_code(_INLINE.sub(" ", prose))
    if unfenced:
        pieces.append(unfenced)
    return pieces


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return tree


def _canonical_source(code: str) -> str:
    text = textwrap.dedent(code).strip("\n")
    try:
        return ast.unparse(_strip_docstrings(python_ast.parse(text)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text


def _literal(text: str) -> str:
    try:
        return repr(ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    # An f-string: quotes made uniform; names in its replacement fields are not compared.
    quoted = _QUOTED.match(text)
    if quoted:
        text = quoted.group(1).lower() + "'" + quoted.group(3) + "'"
    return _FIELD.sub(lambda m: "{" + _FIELD_NAME.sub("_", m.group(1)) + "}", text)


def _raw_tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: kind is name, number, string or op."""
    try:
        found: list[tuple[str, str]] = []
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in _SKIPPED:
                continue
            kind = {tokenize.NAME: "name", tokenize.NUMBER: "number", tokenize.STRING: "string"}
            found.append((kind.get(token.type, "op"), token.string))
        return found
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [
            (str(m.lastgroup), m.group())
            for m in _FALLBACK_LEXER.finditer(text)
            if m.lastgroup != "comment"
        ]


Mode = Literal["exact", "alpha"]
MODES: tuple[Mode, ...] = ("exact", "alpha")
#: Run length per mode: `alpha` runs lose the names, so they are longer to stay specific.
RUN_LENGTH: dict[str, int] = {"exact": NGRAM, "alpha": NGRAM + 2}
#: Marks a name that `alpha` mode renames (it carries no meaning of its own).
_VAR = "\x00"


def normalised_tokens(code: str) -> list[str]:
    """The tokens of `code` after normalisation (see the module docstring), names as written;
    a name that carries no meaning of its own is prefixed with a marker `_VAR` that `alpha`
    runs use to rename it."""
    return list(_normalised_tokens(code))


@lru_cache(maxsize=2048)
def _normalised_tokens(code: str) -> tuple[str, ...]:
    """`normalised_tokens`, remembered: the same starters, hints and reply pieces come back
    on every turn."""
    tokens: list[str] = []
    for kind, text in _raw_tokens(_canonical_source(code)):
        if kind == "name":
            after_dot = bool(tokens) and tokens[-1] == "."
            meaningful = keyword.iskeyword(text) or text in _BUILTIN_NAMES or after_dot
            tokens.append(text if meaningful else _VAR + text)
        elif kind in ("number", "string"):
            tokens.append(_literal(text))
        else:
            tokens.append(text)
    return tuple(tokens)


def _run(tokens: Sequence[str], start: int, n: int, mode: str) -> tuple[str, ...]:
    window = tokens[start : start + n]
    if mode == "exact":
        return tuple(t.removeprefix(_VAR) for t in window)
    renamed: dict[str, str] = {}
    return tuple(
        renamed.setdefault(t, f"v{len(renamed)}") if t.startswith(_VAR) else t for t in window
    )


def ngrams(tokens: Sequence[str], mode: str = "exact") -> set[tuple[str, ...]]:
    """Every run of `RUN_LENGTH[mode]` consecutive tokens (in `alpha` mode, names renamed by
    first appearance inside the run, so renaming a variable everywhere changes no run)."""
    n = RUN_LENGTH[mode]
    if len(tokens) <= n:
        return {_run(tokens, 0, len(tokens), mode)} if tokens else set()
    return {_run(tokens, i, n, mode) for i in range(len(tokens) - n + 1)}


Grams = dict[str, set[tuple[str, ...]]]


def grams_of_texts(texts: Iterable[str]) -> Grams:
    """The runs of every code text in each mode, each text on its own and all joined in order
    (so a solution split into consecutive pieces keeps the runs across the cuts)."""
    token_lists = [normalised_tokens(text) for text in texts if text.strip()]
    grams: Grams = {}
    for mode in MODES:
        found: set[tuple[str, ...]] = set()
        for tokens in token_lists:
            found |= ngrams(tokens, mode)
        if len(token_lists) > 1:
            found |= ngrams([t for tokens in token_lists for t in tokens], mode)
        grams[mode] = found
    return grams


@dataclass(frozen=True)
class Fingerprint:
    """A reference text's normalised tokens, ready to be compared with other texts (its runs are
    computed once: the guardrail compares every exercise's solution with every reply)."""

    tokens: tuple[str, ...]

    @classmethod
    def of(cls, code: str) -> Fingerprint:
        return cls(tuple(normalised_tokens(code)))

    def __len__(self) -> int:
        return len(self.tokens)

    @cached_property
    def _runs(self) -> dict[str, tuple[tuple[tuple[str, ...], range], ...]]:
        """Per mode, each run of the tokens with the positions it spans."""
        runs: dict[str, tuple[tuple[tuple[str, ...], range], ...]] = {}
        for mode in MODES:
            n = RUN_LENGTH[mode]
            if len(self.tokens) <= n:
                whole = _run(self.tokens, 0, len(self.tokens), mode)
                runs[mode] = ((whole, range(len(self.tokens))),)
            else:
                runs[mode] = tuple(
                    (_run(self.tokens, start, n, mode), range(start, start + n))
                    for start in range(len(self.tokens) - n + 1)
                )
        return runs

    @cached_property
    def _run_set(self) -> dict[str, frozenset[tuple[str, ...]]]:
        return {mode: frozenset(run for run, _ in runs) for mode, runs in self._runs.items()}

    def covered_by(self, grams: Grams) -> set[int]:
        """Positions inside some run of tokens found in `grams`, in any mode."""
        positions: set[int] = set()
        for mode in MODES:
            found = grams.get(mode, set())
            if self._run_set[mode].isdisjoint(found):
                continue
            for run, span in self._runs[mode]:
                if run in found:
                    positions.update(span)
        return positions
