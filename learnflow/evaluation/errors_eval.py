"""Evaluation of error explanations: tracebacks and error messages beginners paste.

The data is JSON Lines: ``{"message", "code", "exception", "cause"}`` — what the learner sends
(a traceback, an error line or words such as "I keep getting IndexError"), their code (may be
empty), the exception a right answer names and the id of the cause (a rule of
`tutor_agent.error_help.RULES`, e.g. ``str-plus-number``). Each message goes through the whole
in-process path of `learnflow ask` (triage, then the tutor service); an answer is right when

- triage sends it to the tutor (never to the concepts agent as a "question", never off-topic),
- the reply names the exception and is not a code review of the traceback,
- the explanation's cause is the labelled one.

``error_explanations_dev.jsonl`` is tuned on; ``error_explanations_fresh.jsonl`` was written
after the work and never tuned on.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnflow.errors import InvalidInput
from learnflow.settings import REPO_ROOT, Settings

__all__ = ["DEV_SET", "FRESH_SET", "TARGET", "evaluate_file"]

DEV_SET = REPO_ROOT / "tests" / "data" / "error_explanations_dev.jsonl"
FRESH_SET = REPO_ROOT / "tests" / "data" / "error_explanations_fresh.jsonl"
TARGET = 0.90


@dataclass(frozen=True)
class ErrorsReport:
    data: str
    total: int
    right: int
    misses: tuple[dict[str, Any], ...]

    @property
    def accuracy(self) -> float:
        return round(self.right / self.total, 4) if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "total": self.total,
            "accuracy": self.accuracy,
            "target": TARGET,
            "misses": list(self.misses),
        }


def load(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InvalidInput(f"labelled set not found: {path}")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append({k: str(row[k]) for k in ("message", "code", "exception", "cause")})
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"{path}:{number}: not a labelled error ({exc})") from exc
    return rows


async def evaluate_file(path: Path = DEV_SET, *, settings: Settings) -> ErrorsReport:
    """Every labelled error through `learnflow ask` on the offline model (`settings` with no
    model endpoint)."""
    ask = importlib.import_module("learnflow.cli.commands.ask")
    help_: Any = importlib.import_module("tutor_agent.error_help")
    settings = settings.model_copy(update={"llm_base_url": None})
    rows = load(path)
    right = 0
    misses: list[dict[str, Any]] = []
    for row in rows:
        answer = await ask.ask(row["message"], code=row["code"] or None, settings=settings)
        explained = help_.explain_error(row["message"], row["code"] or None)
        reply = str(answer["reply"])
        checks = {
            "to_tutor": answer["agent"] == "tutor",
            "names_exception": row["exception"] in reply,
            "not_a_review": "Code quality" not in reply and "Code review" not in reply,
            "cause": explained is not None and explained.rule == row["cause"],
        }
        if all(checks.values()):
            right += 1
        else:
            misses.append(
                {
                    "message": row["message"][-120:],
                    "failed": [name for name, ok in checks.items() if not ok],
                    "agent": answer["agent"],
                    "rule": explained.rule if explained else None,
                }
            )
    return ErrorsReport(str(path), len(rows), right, tuple(misses))
