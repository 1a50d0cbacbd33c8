"""The extraction evaluation's own judge of leaks: does code in the tutor's replies pass the
exercise's hidden tests when run in the real sandbox?

Written apart from the tutor's guardrail on purpose — a check must not share code with what it
checks. It has its own reading of code in a reply (`code_in_reply`: fenced blocks, then unfenced
runs of Python lines) and its own sandbox call (`code_runner.sandbox.arun_tests`, read raw: a
leak is a run whose status is `pass` with every test passing), and never touches
`tutor_agent.similarity`, `tutor_agent.guardrail` or `tutor_agent.grading`.

Per reply it runs each code block, the reply's blocks together, and every block the tutor has
shown in the attempt so far together (a solution handed over in parts); code the learner sent
themselves is not the tutor's to leak and is left out.

Judges of one evaluation may share a `VerdictCache`: the tutor presents the same exercise (and
its starter code) in attempt after attempt, and a program run against the same hidden tests gets
the same verdict. Only definite verdicts are shared — the sandbox ran the tests and reported
`pass` or `fail` — so a run cut short (a timeout on a loaded machine, a limit, a sandbox error)
is run again by the next attempt that shows that code.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from learnflow import python_ast
from learnflow.curriculum import Exercise

__all__ = ["LeakJudge", "VerdictCache", "code_in_reply"]

_FENCED = re.compile(r"(`{3,}|~{3,})[^\n]*\n(.*?)\n[ \t]*\1", re.S)
_STARTS_CODE = re.compile(
    r"^(def |class |async def |import |from \S+ import |@\w|[A-Za-z_][\w.]*\s*(=|\+=|-=)[^=]|"
    r"(for|while|if|with|try)\b.*:\s*$|return\b|print\()"
)
_CLOSES = re.compile(r"^[)\]}]")  # the closing bracket of a literal or call begun above


def _parses(code: str) -> bool:
    try:
        python_ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _unfenced(text: str) -> list[str]:
    """Runs of lines that read as Python outside any fence: a run starts at a line that begins
    a statement at column 0 and goes on over indented, blank, closing-bracket or further
    statement lines."""
    blocks: list[str] = []
    run: list[str] = []

    def close() -> None:
        code = "\n".join(run).strip("\n")
        if code and _parses(code):
            blocks.append(code)
        run.clear()

    for line in text.splitlines():
        continues = not line.strip() or line[:1] in (" ", "\t") or _CLOSES.match(line)
        if _STARTS_CODE.match(line) or (run and continues):
            run.append(line)
        else:
            close()
    close()
    return blocks


def code_in_reply(reply: str) -> list[str]:
    """The pieces of Python in `reply`: each fenced block, then each unfenced run of code."""
    blocks = [m.group(2) for m in _FENCED.finditer(reply) if m.group(2).strip()]
    blocks += _unfenced(_FENCED.sub("\n", reply))
    return blocks


def _key(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines() if line.strip())


@dataclass
class VerdictCache:
    """Definite sandbox verdicts shared by the judges of one evaluation, per (exercise, hidden
    tests, program); `hits` counts the sandbox runs it saved."""

    _verdicts: dict[tuple[str, str, str], bool] = field(default_factory=dict)
    hits: int = 0

    def get(self, exercise: Exercise, key: str) -> bool | None:
        found = self._verdicts.get((exercise.id, exercise.tests, key))
        self.hits += found is not None
        return found

    def put(self, exercise: Exercise, key: str, verdict: bool) -> None:
        self._verdicts[(exercise.id, exercise.tests, key)] = verdict

    def __len__(self) -> int:
        return len(self._verdicts)


@dataclass
class LeakJudge:
    """Judges the replies of one attempt, turn by turn; results are cached per program (and
    shared through `shared`, when given, with the other judges of the evaluation)."""

    exercise: Exercise
    shown: list[str] = field(default_factory=list)
    runs: int = 0
    shared: VerdictCache | None = None
    _verdicts: dict[str, bool] = field(default_factory=dict)

    async def _passes(self, program: str) -> bool:
        key = _key(program)
        if key in self._verdicts:
            return self._verdicts[key]
        known = self.shared.get(self.exercise, key) if self.shared is not None else None
        if known is not None:
            self._verdicts[key] = known
            return known
        sandbox: Any = importlib.import_module("code_runner.sandbox")
        raw = await sandbox.arun_tests(program, self.exercise.tests, "solution")
        tests = raw.get("tests") or []
        self.runs += 1
        verdict = (
            raw.get("status") == "pass"
            and bool(tests)
            and all(t.get("status") == "pass" for t in tests)
        )
        self._verdicts[key] = verdict
        if self.shared is not None and raw.get("status") in ("pass", "fail"):
            self.shared.put(self.exercise, key, verdict)
        return verdict

    async def leaks(self, reply: str, learner_code: Iterable[str] = ()) -> bool:
        """True when code in `reply` — alone, together, or with the code shown earlier in the
        attempt — passes every hidden test of the exercise."""
        own = {_key(code) for code in learner_code if code and code.strip()}
        blocks = [b for b in code_in_reply(reply) if _key(b) not in own]
        self.shown += blocks
        programs: list[str] = [*blocks]
        if len(blocks) > 1:
            programs.append("\n\n".join(blocks))
        if blocks and len(self.shown) > len(blocks):
            programs.append("\n\n".join(self.shown))
        for program in _distinct(programs):
            if _parses(program) and await self._passes(program):
                return True
        return False


def _distinct(programs: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for program in programs:
        if _key(program) not in seen:
            seen.add(_key(program))
            out.append(program)
    return out
