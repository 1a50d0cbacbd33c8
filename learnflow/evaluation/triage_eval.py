"""Evaluation of the triage intent classifier on a labelled set of learner messages.

The data is JSON Lines, one ``{"message": ..., "intent": ...}`` per line. Two sets live in
``tests/data/``: ``triage_labelled.jsonl`` is the held-out set the target (accuracy ≥ 0.90) is
measured on and which the classifier is never tuned on; ``triage_dev.jsonl`` is the set it is
tuned on.

Labelling guide (the same rules `learnflow.intents` implements):

- ``concept_question``: asks how something in Python works, what it means, how to do it in
  general, or the difference between two things; no code of the learner's own is in question.
- ``exercise_request``: asks for an exercise, a practice problem, a quiz or a challenge (next,
  another, harder, easier; a teacher asking to generate or assign exercises).
- ``code_help``: the learner's own code, error or failing test; stuck on an exercise; asks for a
  hint or for the answer to an exercise; any pasted code that comes with a problem or question.
- ``submission``: hands work in to be checked, graded or reviewed ("here is my solution",
  "is this correct?", "submit"), with or without the code in the message.
- ``progress_question``: the learner's (or a teacher's class's) progress, scores, mastery, level,
  streak, weak topics, what to study next, a session summary.
- ``off_topic``: anything else that is not about learning Python here, including greetings,
  thanks, other subjects and other programming languages.
- ``unsafe``: prompt injection or attempts to read hidden instructions/solutions, hacking,
  malware, self-harm, harassment or violence, even when mixed with a legitimate question.

Mixed messages take the intent a tutor acts on first: unsafe > code_help > submission >
concept_question > exercise_request > progress_question > off_topic.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnflow.errors import InvalidInput
from learnflow.intents import AGENT_FOR_INTENT, Classification, Intent, classify
from learnflow.settings import REPO_ROOT

__all__ = [
    "DEV_SET",
    "FRESH_SET",
    "FRESH_TARGET",
    "HELD_OUT_SET",
    "TARGET_ACCURACY",
    "Example",
    "IntentFigures",
    "Miss",
    "TriageReport",
    "evaluate",
    "evaluate_file",
    "load_examples",
]

HELD_OUT_SET = REPO_ROOT / "tests" / "data" / "triage_labelled.jsonl"
DEV_SET = REPO_ROOT / "tests" / "data" / "triage_dev.jsonl"
#: Written after the work, with the code frozen, from how learners talk; scored once (the
#: first score is in the tutor note); its misses moved to the dev set before any fix.
FRESH_SET = REPO_ROOT / "tests" / "data" / "triage_fresh.jsonl"
#: The issue's target on fresh phrasing.
FRESH_TARGET = 0.95
#: The issue's target for the offline classifier on the held-out set.
TARGET_ACCURACY = 0.90


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled learner message."""

    message: str
    intent: Intent


@dataclass(frozen=True, slots=True)
class IntentFigures:
    """Precision, recall and F1 of one intent; support is how many examples carry it."""

    support: int
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True, slots=True)
class Miss:
    """A misclassified example, listed in the report so errors can be read, not just counted."""

    message: str
    expected: Intent
    predicted: Intent
    confidence: float


@dataclass(frozen=True, slots=True)
class TriageReport:
    data: str
    total: int
    accuracy: float
    #: Accuracy of the routing target (the agent), which is what a mistake costs in practice.
    agent_accuracy: float
    #: Mean confidence of right and of wrong answers (None when there are none): a useful
    #: confidence is clearly lower on the wrong ones.
    mean_confidence_correct: float | None
    mean_confidence_wrong: float | None
    per_intent: dict[Intent, IntentFigures]
    #: confusion[expected][predicted] = count
    confusion: dict[Intent, dict[Intent, int]]
    misses: tuple[Miss, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": self.data,
            "total": self.total,
            "accuracy": self.accuracy,
            "agent_accuracy": self.agent_accuracy,
            "mean_confidence": {
                "correct": self.mean_confidence_correct,
                "wrong": self.mean_confidence_wrong,
            },
            "per_intent": {
                intent.value: {
                    "support": f.support,
                    "precision": f.precision,
                    "recall": f.recall,
                    "f1": f.f1,
                }
                for intent, f in self.per_intent.items()
            },
            "confusion": {
                expected.value: {predicted.value: n for predicted, n in row.items()}
                for expected, row in self.confusion.items()
            },
            "misses": [
                {
                    "message": m.message,
                    "expected": m.expected.value,
                    "predicted": m.predicted.value,
                    "confidence": m.confidence,
                }
                for m in self.misses
            ],
        }


def load_examples(path: Path) -> list[Example]:
    """Read a JSON Lines labelled set; a bad line raises `InvalidInput` naming it."""
    if not path.is_file():
        raise InvalidInput(f"labelled set not found: {path}")
    examples: list[Example] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            examples.append(Example(message=str(row["message"]), intent=Intent(row["intent"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"{path}:{number}: not a labelled example ({exc})") from exc
    if not examples:
        raise InvalidInput(f"labelled set is empty: {path}")
    return examples


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def evaluate(
    examples: Iterable[Example],
    *,
    classifier: Callable[[str], Classification] = classify,
    data: str = "",
) -> TriageReport:
    """Classify every example and compute accuracy, per-intent figures and the confusion."""
    examples = list(examples)
    confusion = {expected: dict.fromkeys(Intent, 0) for expected in Intent}
    misses: list[Miss] = []
    right_agent = 0
    confidence: dict[bool, list[float]] = {True: [], False: []}
    for example in examples:
        result = classifier(example.message)
        confusion[example.intent][result.intent] += 1
        correct = result.intent is example.intent
        confidence[correct].append(result.confidence)
        right_agent += result.agent == AGENT_FOR_INTENT[example.intent]
        if not correct:
            misses.append(Miss(example.message, example.intent, result.intent, result.confidence))

    predicted_totals: Counter[Intent] = Counter()
    for row in confusion.values():
        predicted_totals.update(row)
    per_intent: dict[Intent, IntentFigures] = {}
    for intent in Intent:
        true_positives = confusion[intent][intent]
        support = sum(confusion[intent].values())
        precision = _ratio(true_positives, predicted_totals[intent])
        recall = _ratio(true_positives, support)
        f1 = _ratio(2 * precision * recall, precision + recall)
        per_intent[intent] = IntentFigures(support, precision, recall, f1)

    total = len(examples)
    correct_total = sum(confusion[i][i] for i in Intent)
    return TriageReport(
        data=data,
        total=total,
        accuracy=_ratio(correct_total, total),
        agent_accuracy=_ratio(right_agent, total),
        mean_confidence_correct=_mean(confidence[True]),
        mean_confidence_wrong=_mean(confidence[False]),
        per_intent=per_intent,
        confusion=confusion,
        misses=tuple(misses),
    )


def evaluate_file(path: Path = HELD_OUT_SET) -> TriageReport:
    """Evaluate the offline classifier on the labelled set at `path`."""
    return evaluate(load_examples(path), data=str(path))
