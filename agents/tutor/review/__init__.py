"""The tutor's code review: correctness, style (PEP 8), efficiency, readability.

    review = review_code(code)            # pure, no I/O
    review.score                          # 0-100 code-quality score
    review.comments                       # concrete, line-numbered comments, most important first

Correctness is the grade (the hidden tests, run by the code runner); it is reported next to the
review but not mixed into the quality score, because mastery already weighs exercises (40%)
apart from code quality (20%). The quality score starts from three budgets — style 40,
efficiency 30, readability 30 — and each finding takes its rule's penalty off its category
(the same rule repeated costs half as much again each time, up to three times its penalty), so a
single habit cannot sink the whole score. Code that does not parse scores 0.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from learnflow import python_ast

from .efficiency import check_efficiency
from .findings import Category, Finding, Source
from .readability import check_readability
from .style import check_style

__all__ = [
    "BUDGETS",
    "Finding",
    "Review",
    "check_efficiency",
    "check_readability",
    "check_style",
    "review_code",
]

BUDGETS: dict[Category, int] = {"style": 40, "efficiency": 30, "readability": 30}
_PENALTIES: dict[str, float] = {
    "E501": 2, "W291": 1, "W191": 4, "E111": 4, "E201": 2, "E202": 2, "E203": 2, "E211": 2,
    "E225": 2, "E231": 2, "E251": 2, "E302": 1, "E701": 3, "E702": 3, "E711": 4, "E712": 4,
    "E713": 3, "E722": 6, "E741": 3, "A001": 4, "N801": 3, "N802": 3, "N803": 3, "N806": 3,
    "F841": 4, "F401": 3, "B006": 8, "B007": 2,
    "P101": 12, "P102": 10, "P103": 10, "P104": 8, "P105": 8, "P107": 5, "P108": 3,
    "R201": 8, "R202": 8, "R203": 4, "R204": 5, "R205": 4, "R206": 4,
}  # fmt: skip
_DEFAULT_PENALTY = 3.0
_REPEAT_FACTOR = 0.5
_REPEAT_CAP = 3.0
#: How many comments the text form shows (all are in `findings`).
SHOWN_COMMENTS = 6


def _penalty(rule: str, count: int) -> float:
    base = _PENALTIES.get(rule, _DEFAULT_PENALTY)
    return base * min(_REPEAT_CAP, 1 + _REPEAT_FACTOR * (count - 1))


def _importance(finding: Finding) -> tuple[float, int]:
    return (-_PENALTIES.get(finding.rule, _DEFAULT_PENALTY), finding.line)


@dataclass(frozen=True)
class Review:
    """A code review: the quality score, its parts, and the concrete comments."""

    score: int
    category_scores: dict[Category, int]
    findings: tuple[Finding, ...]
    syntax_error: str | None = None
    correctness: str | None = None
    praise: tuple[str, ...] = field(default=())

    @property
    def comments(self) -> list[str]:
        """Every finding as a sentence, most important first."""
        return [str(f) for f in sorted(self.findings, key=_importance)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "categories": {
                name: {"score": self.category_scores[name], "out_of": budget}
                for name, budget in BUDGETS.items()
            },
            "syntax_error": self.syntax_error,
            "correctness": self.correctness,
            "comments": self.comments,
            "findings": [f.to_dict() for f in sorted(self.findings)],
            "praise": list(self.praise),
        }

    def text(self, *, limit: int = SHOWN_COMMENTS) -> str:
        """The review as a short message for the learner."""
        if self.syntax_error is not None:
            return f"Code quality: 0/100 — the code does not run yet: {self.syntax_error}"
        parts = ", ".join(f"{name} {self.category_scores[name]}/{b}" for name, b in BUDGETS.items())
        lines = [f"Code quality: {self.score}/100 ({parts})."]
        if self.correctness:
            lines.append(f"Correctness: {self.correctness}")
        comments = self.comments
        if not comments:
            lines.append("Clean code: nothing to flag for style, efficiency or readability.")
        for comment in comments[:limit]:
            lines.append(f"- {comment}")
        if len(comments) > limit:
            lines.append(f"- …and {len(comments) - limit} smaller points.")
        lines.extend(f"+ {good}" for good in self.praise)
        return "\n".join(lines)


def _syntax_message(code: str) -> str:
    try:
        python_ast.parse(code)
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        kind = type(exc).__name__
        return f"{where}{kind}: {exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return ""


def _praise(tree: ast.Module, findings: list[Finding]) -> tuple[str, ...]:
    good: list[str] = []
    rules = {f.rule for f in findings}
    if not any(rule.startswith(("N", "A", "E741")) for rule in rules):
        good.append("Names follow PEP 8.")
    if any(
        isinstance(n, ast.ListComp | ast.DictComp | ast.SetComp | ast.GeneratorExp)
        for n in ast.walk(tree)
    ):
        good.append("Comprehensions keep the loops short.")
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    if functions and all(ast.get_docstring(f) for f in functions):
        good.append("Every function has a docstring.")
    return tuple(good)


def review_code(code: str, *, correctness: str | None = None) -> Review:
    """Review `code` (pure; no code is run). `correctness` is the grade's one-line summary when
    the code was graded against an exercise."""
    source = Source(code)
    if not code.strip():
        return Review(
            score=0,
            category_scores=dict.fromkeys(BUDGETS, 0),
            findings=(),
            syntax_error="there is no code to review",
            correctness=correctness,
        )
    tree = source.tree
    if tree is None:
        message = _syntax_message(code) or "the code could not be read as Python"
        finding = Finding(line=0, rule="E999", category="style", message=message)
        return Review(
            score=0,
            category_scores=dict.fromkeys(BUDGETS, 0),
            findings=(finding,),
            syntax_error=message,
            correctness=correctness,
        )
    findings = [*check_style(source), *check_efficiency(source), *check_readability(source)]
    counts: dict[tuple[str, str], int] = {}
    for finding in findings:
        key = (finding.category, finding.rule)
        counts[key] = counts.get(key, 0) + 1
    lost: dict[str, float] = dict.fromkeys(BUDGETS, 0.0)
    for (category, rule), count in counts.items():
        lost[category] += _penalty(rule, count)
    category_scores = {name: max(0, round(budget - lost[name])) for name, budget in BUDGETS.items()}
    return Review(
        score=sum(category_scores.values()),
        category_scores=category_scores,
        findings=tuple(findings),
        correctness=correctness,
        praise=_praise(tree, findings),
    )
