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
  is caught too. On an exercise *not* in play, a similarity verdict is confirmed behaviourally
  when the tutor has a sandbox (the reply's code must pass that exercise's hidden tests): a tiny
  solution such as is-even's `n % 2 == 0` is also a fair part of another exercise's prompt.

Token similarity finds copies and near-copies of the reference, but a different algorithm that
also passes the tests (say, `collections.Counter` instead of a loop) is not similar. So the
guardrail also checks **behaviour** (`behavioural_leak`): when an exercise is in play and the
tutor has a sandbox (`TutorContext.grader`, the code runner's `tests` method), the code of the
reply is run against that exercise's hidden tests, and code that passes them all is a leak,
whatever its shape. What runs: each code piece of the reply, all of them together, and the code
the tutor showed earlier in the session followed by this reply's (a solution handed over in
parts) — at most `MAX_PROGRAMS` programs per exercise, only those that parse and mention every
name the tests import (unless they build names dynamically), never the learner's own code echoed
back. All runs share one time limit (`TutorContext.leak_check_timeout_s`); a program the sandbox
could not judge in time (or at all) counts as a leak — it defines what the tests import, so it is
shaped like a submission and the guardrail fails closed.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from agents import Agent, GuardrailFunctionOutput, RunContextWrapper, output_guardrail

from learnflow import python_ast
from learnflow.curriculum import Exercise
from learnflow.errors import LearnFlowError, NotFound

from .context import TutorContext
from .exercises import named_exercise
from .similarity import Fingerprint, Grams, code_pieces, grams_of_texts, normalised_tokens

__all__ = [
    "COMPLETE",
    "MARGIN",
    "MAX_PROGRAMS",
    "REVEAL",
    "Blocked",
    "LeakReport",
    "ReplyCode",
    "behavioural_leak",
    "check_reply",
    "check_reply_behaviour",
    "known_texts",
    "leak_report",
    "leaks_solution",
    "refusal",
    "similarity_leaks",
    "solution_guardrail",
    "tested_names",
]

log = logging.getLogger(__name__)

COMPLETE = 0.9
MARGIN = 0.05
REVEAL = 2 / 3
#: An assembled leak must add at least this many secret tokens in the blocked reply (or all of
#: a smaller secret).
MIN_NEW_SECRET = 2
#: At most this many programs of one reply are run per exercise in play (each code piece, all
#: pieces together, earlier code plus this reply's).
MAX_PROGRAMS = 3
#: Statements that can define a name the tests import.
_BINDINGS = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
    ast.Import,
    ast.ImportFrom,
    ast.NamedExpr,
)
#: Names whose presence means code can bind a tested name without spelling it out.
_DYNAMIC = re.compile(
    r"\b(exec|eval|compile|globals|locals|vars|setattr|__import__|importlib|__dict__|sys\.modules)\b"
)


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


def similarity_leaks(
    context: TutorContext, reply: str
) -> Iterator[tuple[Exercise, LeakReport, bool]]:
    """Each exercise whose solution `reply` leaks by token similarity (checked against the whole
    curriculum, the exercises in play first), with its report and whether it is in play."""
    if not code_pieces(reply):
        return
    code = ReplyCode.read(
        reply, earlier=context.state.shown_code, learner_code=_learner_code(context)
    )
    in_play = {e.id for e in _candidates(context, in_play_only=True)}
    for exercise in _candidates(context):
        report = leak_report(code, exercise, assembled=exercise.id in in_play)
        if report.leaked:
            yield exercise, report, exercise.id in in_play


def check_reply(context: TutorContext, reply: str) -> Blocked | None:
    """The first exercise whose solution `reply` leaks by similarity (checked against the whole
    curriculum, not only the current exercise), with the refusal to send instead; None when it
    is safe. No sandbox: `check_reply_behaviour` is the guardrail's full verdict."""
    for exercise, report, _ in similarity_leaks(context, reply):
        return Blocked(exercise.id, refusal(context, exercise), report)
    return None


# --- the behavioural check --------------------------------------------------------------------


def tested_names(exercise: Exercise, module: str = "solution") -> frozenset[str] | None:
    """The names the hidden tests import from the learner's module: None when they cannot be
    listed (`import solution` used as a module); empty when the tests do not even parse (then
    nothing can pass them)."""
    try:
        tree = python_ast.parse(exercise.tests)
    except (SyntaxError, ValueError):
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == module:
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import) and any(a.name == module for a in node.names):
            return None
    return frozenset(names) if names else None


def _normalised(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines() if line.strip())


def _could_pass(program: str, names: frozenset[str] | None) -> bool:
    """Whether `program` could pass tests importing `names`: it parses, binds some name, and
    spells out each tested name (when they are known) — or builds names dynamically. A cheap
    filter that keeps most replies out of the sandbox."""
    try:
        tree = python_ast.parse(program)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if _DYNAMIC.search(program):
        return True
    if not any(isinstance(node, _BINDINGS) for node in ast.walk(tree)):
        return False  # an expression alone defines nothing the tests could import
    if names is None:
        return True
    return all(re.search(rf"\b{re.escape(name)}\b", program) for name in names)


def _programs(
    pieces: Sequence[str],
    earlier: Sequence[str],
    learner: Sequence[str],
    known: Sequence[Exercise] = (),
) -> list[str]:
    """The programs to run for one reply: each piece, the pieces together, and the code shown
    earlier followed by the pieces — never code the learner wrote themselves, nor a piece that
    is the starter or a hint of an exercise in `known` (the learner may see those anyway)."""
    own = {_normalised(code) for code in learner if code.strip()}
    shown = {
        tuple(normalised_tokens(text))
        for exercise in known
        for group in known_texts(exercise)
        for text in group
    }
    mine = [
        p
        for p in pieces
        if p.strip() and _normalised(p) not in own and tuple(normalised_tokens(p)) not in shown
    ]
    if not mine:
        return []
    candidates = [*mine]
    if len(mine) > 1:
        candidates.append("\n\n".join(mine))
    if earlier:
        candidates.append("\n\n".join([*earlier, *mine]))
    unique: list[str] = []
    for program in candidates:
        if _normalised(program) not in {_normalised(u) for u in unique} | own:
            unique.append(program)
    return unique


#: Sandbox verdicts already known, per (grader kind, exercise, digest of tests and program):
#: the same starter-shaped or example code comes back turn after turn, and a definite verdict
#: of the same code on the same tests does not change. Bounded, oldest first out.
VERDICT_CACHE_SIZE = 1024
_verdicts: OrderedDict[tuple[str, str, str], bool] = OrderedDict()


def _verdict_key(
    context: TutorContext, exercise: Exercise, program: str
) -> tuple[str, str, str] | None:
    """Where `program`'s verdict on `exercise` is remembered; None for a grader that does not
    declare its verdicts repeatable (`cache_kind`), such as a scripted one in a test."""
    kind = getattr(context.grader, "cache_kind", None)
    if not isinstance(kind, str):
        return None
    digest = hashlib.sha256(f"{exercise.tests}\x00{program}".encode()).hexdigest()
    return kind, exercise.id, digest


async def _passes(context: TutorContext, exercise: Exercise, program: str) -> bool:
    """Whether `program` passes every hidden test of `exercise`. The run is anonymous (no session
    or user): it is the tutor's check, not the learner's submission, so no progress counts it.
    Definite verdicts (every test passed or failed; no limit hit, no runner error) are cached."""
    assert context.grader is not None
    key = _verdict_key(context, exercise, program)
    if key is not None and key in _verdicts:
        _verdicts.move_to_end(key)
        return _verdicts[key]
    result = await context.grader.grade(exercise, program)
    definite = result.raw_status in ("pass", "fail") and all(
        test.status in ("pass", "fail") for test in result.tests
    )
    if key is not None and definite:
        _verdicts[key] = result.passed
        while len(_verdicts) > VERDICT_CACHE_SIZE:
            _verdicts.popitem(last=False)
    return result.passed


async def behavioural_leak(
    context: TutorContext,
    exercises: Sequence[Exercise],
    pieces: Sequence[str],
    *,
    earlier: Sequence[str] = (),
    learner: Sequence[str] = (),
) -> tuple[Exercise, str] | None:
    """The first exercise whose hidden tests some program of the reply passes (or that the
    sandbox could not judge in time), with the reason; None when no program passes."""
    if context.grader is None or not exercises or not pieces:
        return None
    programs = _programs(pieces, earlier, learner, exercises)
    runs: list[tuple[Exercise, str]] = []
    for exercise in {e.id: e for e in exercises}.values():
        names = tested_names(exercise)
        if names is not None and not names:
            continue
        runs += [(exercise, p) for p in programs if _could_pass(p, names)][:MAX_PROGRAMS]
    if not runs:
        return None
    started = time.perf_counter()
    tasks = [asyncio.ensure_future(_passes(context, e, p)) for e, p in runs]
    _, pending = await asyncio.wait(tasks, timeout=context.leak_check_timeout_s)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    log.info(
        "behavioural leak check: %d run(s) in %.0f ms (%d not finished)",
        len(runs),
        (time.perf_counter() - started) * 1000,
        len(pending),
    )
    for (exercise, _), task in zip(runs, tasks, strict=True):
        if task in pending:
            return exercise, "the reply's code could not be checked against the tests in time"
        error = task.exception()
        if error is not None:
            if not isinstance(error, LearnFlowError):
                raise error
            return exercise, "the reply's code could not be checked against the tests"
        if task.result():
            return exercise, "the reply's code passes the exercise's hidden tests"
    return None


async def check_reply_behaviour(context: TutorContext, reply: str) -> Blocked | None:
    """The output guardrail's verdict: the similarity check, then the behavioural check on the
    exercises in play.

    A similarity verdict on an exercise in play blocks at once. One on an exercise *not* in play
    is confirmed behaviourally first (when the tutor has a sandbox): the reply's code is run
    against that exercise's hidden tests, and only code that passes them (or that could not be
    judged) is blocked — a short solution such as `n % 2 == 0` is also a fair piece of another
    exercise's prompt, and refusing it there would be a false block."""
    pieces = code_pieces(reply)
    if not pieces:
        return None
    learner = _learner_code(context)
    for exercise, report, in_play in similarity_leaks(context, reply):
        if in_play or context.grader is None:
            return Blocked(exercise.id, refusal(context, exercise), report)
        confirmed = await behavioural_leak(context, [exercise], pieces, learner=learner)
        if confirmed is not None:
            reason = f"{report.reason}, and {confirmed[1]}"
            return Blocked(exercise.id, refusal(context, exercise), replace(report, reason=reason))
        log.info(
            "similarity flagged %s (not in play), but no code of the reply passes its hidden "
            "tests: not blocked",
            exercise.id,
        )
    exercises = _candidates(context, in_play_only=True)
    found = await behavioural_leak(
        context,
        exercises,
        pieces,
        earlier=context.state.shown_code,
        learner=learner,
    )
    if found is None:
        return None
    exercise, reason = found
    report = replace(leak_report(reply, exercise), leaked=True, reason=reason)
    return Blocked(exercise.id, refusal(context, exercise), report)


@output_guardrail(name="solution_leak")
async def solution_guardrail(
    context: RunContextWrapper[TutorContext], agent: Agent[Any], output: Any
) -> GuardrailFunctionOutput:
    """Trips when the final answer leaks a solution; `output_info` is the `Blocked` verdict."""
    text = output if isinstance(output, str) else str(output)
    blocked = await check_reply_behaviour(context.context, text)
    return GuardrailFunctionOutput(output_info=blocked, tripwire_triggered=blocked is not None)
