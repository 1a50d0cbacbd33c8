"""The solution-leak guardrail: no reply hands over a graded exercise's full solution.

`leaks_solution(reply, exercise)` is a pure function; `solution_guardrail` is the Agents SDK
output guardrail that runs it on every final answer of the tutor agent — the offline model's and,
above all, a language model's, which can write a solution from the prompt by itself. A blocked
reply is replaced by a Socratic refusal plus the next rung of the hint ladder (`Blocked`).

How a leak is decided (similarity measure: `tutor_agent.similarity`). Let S be the reference
solution's normalised tokens. What the learner may legitimately see — the starter, the prompt's
examples, every rung of the hint ladder (the partial-code rung included) and the learner's own
code — is *known*; the tokens of S no known text covers are the *secret*. A reply leaks when:

- **whole**: its code reproduces at least `COMPLETE` (90%) of S, and at least `MARGIN` more of
  S than any single known text does. The partial hint alone, or the learner's own code echoed
  back, never passes this; the solution with renamed variables, reformatted, or without its
  comments does.
- **assembled**: together with code the tutor showed earlier in the session, it reveals at least
  `REVEAL` (two thirds) of the secret, this reply adds some of it, and with the known texts the
  learner then has `COMPLETE` of S — the solution handed over in parts, across turns. This
  rule applies to the exercises in play (the current one, any a tool touched this turn, any the
  learner names);
  the whole rule applies to every exercise of the curriculum, so "solve this other exercise"
  is caught too.

Token similarity finds copies and near-copies of the reference. A different algorithm that also
passes the tests (say, `collections.Counter` instead of a loop) is not similar and is not
flagged; the instructions forbid it and the guardrail is the backstop for verbatim leaks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agents import Agent, GuardrailFunctionOutput, RunContextWrapper, output_guardrail

from learnflow.curriculum import Exercise
from learnflow.errors import NotFound

from .context import TutorContext
from .exercises import named_exercise
from .similarity import Fingerprint, Grams, code_pieces, grams_of_texts

__all__ = [
    "COMPLETE",
    "MARGIN",
    "REVEAL",
    "Blocked",
    "LeakReport",
    "ReplyCode",
    "check_reply",
    "known_texts",
    "leak_report",
    "leaks_solution",
    "refusal",
    "solution_guardrail",
]

COMPLETE = 0.9
MARGIN = 0.05
REVEAL = 2 / 3
#: An assembled leak must add at least this many secret tokens in the blocked reply (or all of
#: a smaller secret).
MIN_NEW_SECRET = 2


@dataclass(frozen=True)
class _Profile:
    solution: Fingerprint
    known: frozenset[int]
    best_single: float


_profiles: dict[tuple[str, str], _Profile] = {}


def known_texts(exercise: Exercise) -> list[list[str]]:
    """The code a learner may see of `exercise`, grouped by where it is shown: the starter,
    the prompt's examples, and each hint rung (a partial rung is code as a whole)."""
    groups = [[exercise.starter], code_pieces(exercise.prompt)]
    for hint in exercise.hints.rungs:
        pieces = code_pieces(hint.text)
        if hint.level == "partial":
            pieces.insert(0, hint.text)
        groups.append(pieces)
    return [group for group in groups if group]


def _coverage(solution: Fingerprint, texts: Sequence[str]) -> set[int]:
    return solution.covered_by(grams_of_texts(texts))


def _profile(exercise: Exercise) -> _Profile:
    digest = hashlib.sha256(
        "\x00".join(
            [exercise.solution, exercise.starter, exercise.prompt]
            + [hint.text for hint in exercise.hints.rungs]
        ).encode()
    ).hexdigest()
    key = (exercise.id, digest)
    found = _profiles.get(key)
    if found is None:
        solution = Fingerprint.of(exercise.solution)
        known: set[int] = set()
        best = 0.0
        for group in known_texts(exercise):
            covered = _coverage(solution, group)
            known |= covered
            best = max(best, len(covered) / max(1, len(solution)))
        found = _profiles[key] = _Profile(solution, frozenset(known), best)
    return found


@dataclass(frozen=True)
class LeakReport:
    """The figures behind a leak decision, all shares of the reference solution's tokens."""

    exercise_id: str
    leaked: bool
    reason: str
    completeness: float
    best_known: float
    secret_tokens: int
    revealed: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise_id": self.exercise_id,
            "leaked": self.leaked,
            "reason": self.reason,
            "completeness": round(self.completeness, 3),
            "best_known": round(self.best_known, 3),
            "secret_tokens": self.secret_tokens,
            "revealed": round(self.revealed, 3),
        }


@dataclass(frozen=True)
class ReplyCode:
    """The code of one reply (and of what surrounds it), read once, checked against many
    exercises."""

    now: Grams
    together: Grams | None
    earlier: Grams | None
    learner: Grams | None

    @classmethod
    def read(
        cls, reply: str, *, earlier: Sequence[str] = (), learner_code: Sequence[str] = ()
    ) -> ReplyCode:
        pieces = code_pieces(reply)
        earlier = [code for code in earlier if code.strip()]
        learner = [code for code in learner_code if code and code.strip()]
        return cls(
            now=grams_of_texts(pieces),
            together=grams_of_texts([*earlier, *pieces]) if earlier else None,
            earlier=grams_of_texts(earlier) if earlier else None,
            learner=grams_of_texts(learner) if learner else None,
        )


def leak_report(
    reply: str | ReplyCode,
    exercise: Exercise,
    *,
    earlier: Sequence[str] = (),
    learner_code: Sequence[str] = (),
    assembled: bool = True,
) -> LeakReport:
    """Whether `reply` gives away `exercise`'s solution, with the figures that decided it.

    `earlier`: code the tutor already showed in this session (for leaks in parts);
    `learner_code`: code the learner wrote or pasted themselves (never a leak to show back);
    `assembled`: also apply the in-parts rule (for the exercises being worked on).
    """
    code = (
        reply
        if isinstance(reply, ReplyCode)
        else ReplyCode.read(reply, earlier=earlier, learner_code=learner_code)
    )
    profile = _profile(exercise)
    solution = profile.solution
    total = max(1, len(solution))
    known = set(profile.known)
    best_known = profile.best_single
    if code.learner is not None:
        own = solution.covered_by(code.learner)
        known |= own
        best_known = max(best_known, len(own) / total)
    now = solution.covered_by(code.now)
    before: set[int] = set()
    together = now
    if assembled and code.earlier is not None and code.together is not None:
        before = solution.covered_by(code.earlier)
        together = now | solution.covered_by(code.together)
    secret = set(range(len(solution))) - known
    completeness = len(now) / total
    revealed = len(together & secret) / len(secret) if secret else 0.0

    def report(leaked: bool, reason: str) -> LeakReport:
        return LeakReport(
            exercise_id=exercise.id,
            leaked=leaked,
            reason=reason,
            completeness=completeness,
            best_known=best_known,
            secret_tokens=len(secret),
            revealed=revealed,
        )

    if completeness >= COMPLETE and completeness >= best_known + MARGIN:
        return report(True, "the reply contains the solution")
    added = (together & secret) - before
    if (
        assembled
        and secret
        and len(added) >= min(MIN_NEW_SECRET, len(secret))
        and revealed >= REVEAL
        and len(together | known) / total >= COMPLETE
    ):
        return report(True, "with earlier replies, the reply completes the solution")
    return report(False, "")


def leaks_solution(
    reply: str,
    exercise: Exercise,
    *,
    earlier: Sequence[str] = (),
    learner_code: Sequence[str] = (),
) -> bool:
    """True when `reply` reveals `exercise`'s reference solution or a near-complete equivalent
    (see the module docstring); the starter and the hint ladder never count."""
    return leak_report(reply, exercise, earlier=earlier, learner_code=learner_code).leaked


# --- the guardrail ------------------------------------------------------------------------------


def refusal(context: TutorContext, exercise: Exercise) -> str:
    """A Socratic refusal for `exercise`, with the next hint rung (one per turn, never more)."""
    rung, hint, _ = context.hint(exercise)
    total = len(exercise.hints.rungs)
    lines = [
        f"I won't write out the solution to “{exercise.title}” — not whole, not in parts, not "
        "as pseudocode or in another language. It's a graded exercise, and solving it yourself "
        "is what makes it stick. I'll help you get there, one step at a time."
    ]
    if hint is not None:
        lines.append(f"Hint {rung} of {total} ({hint.level}):\n{hint.text.strip()}")
        lines.append(
            "Try that, then paste your code here: I'll run the tests and tell you what the "
            "first failing one means."
        )
    else:
        lines.append(
            f"You've already seen all {total} hints for this one. Paste what you have — even "
            "if it doesn't work — and I'll review it and explain the first failing test."
        )
    lines.append("What does your code do right now, and where does it stop doing what you want?")
    return "\n\n".join(lines)


@dataclass(frozen=True)
class Blocked:
    """A reply the guardrail stopped, and what to send instead."""

    exercise_id: str
    replacement: str
    report: LeakReport


def _learner_code(context: TutorContext) -> list[str]:
    code = [context.learner_code] if context.learner_code else []
    return code + code_pieces(context.learner_message)


def _candidates(context: TutorContext, *, in_play_only: bool = False) -> list[Exercise]:
    """Every exercise of the curriculum, the ones in play this turn first: the current one, any
    a tool touched, any the learner's message names."""
    first = [e for e in (context.current_exercise,) if e is not None]
    named = named_exercise(context.catalog, context.learner_message)
    mentioned = {named.id} if named is not None else set()
    for exercise_id in sorted(context.in_play | mentioned):
        try:
            first.append(context.catalog.exercise(exercise_id))
        except NotFound:
            continue
    if in_play_only:
        return first
    seen = {e.id for e in first}
    return first + [e for e in context.catalog.exercises if e.id not in seen]


def check_reply(context: TutorContext, reply: str) -> Blocked | None:
    """The first exercise whose solution `reply` leaks (checked against the whole curriculum,
    not only the current exercise), with the refusal to send instead; None when it is safe."""
    if not code_pieces(reply):
        return None
    code = ReplyCode.read(
        reply, earlier=context.state.shown_code, learner_code=_learner_code(context)
    )
    in_play = {e.id for e in _candidates(context, in_play_only=True)}
    for exercise in _candidates(context):
        report = leak_report(code, exercise, assembled=exercise.id in in_play)
        if report.leaked:
            return Blocked(exercise.id, refusal(context, exercise), report)
    return None


@output_guardrail(name="solution_leak")
def solution_guardrail(
    context: RunContextWrapper[TutorContext], agent: Agent[Any], output: Any
) -> GuardrailFunctionOutput:
    """Trips when the final answer leaks a solution; `output_info` is the `Blocked` verdict."""
    blocked = check_reply(context.context, output if isinstance(output, str) else str(output))
    return GuardrailFunctionOutput(output_info=blocked, tripwire_triggered=blocked is not None)
