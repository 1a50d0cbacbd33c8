"""The embedding half of the triage classifier: softmax regression over sentence embeddings.

`IntentModel.train(examples, embedder)` fits a multinomial logistic regression (L2-regularised,
full-batch gradient descent, a fixed number of steps: deterministic) on the embeddings of
labelled learner messages — the packaged `learnflow/data/triage_examples.jsonl`, written apart
from the evaluation sets. `probabilities(message)` gives one probability per intent.
`learnflow.intents.classify` adds `EMBEDDING_WEIGHT × probability` to each intent's rule
evidence, so the rules and the model decide together (see there).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from learnflow.embeddings import Embedder, default_embedder

__all__ = ["EXAMPLES", "IntentModel", "default_intent_model", "load_examples"]

EXAMPLES = "data/triage_examples.jsonl"
_STEPS = 400
_LEARNING_RATE = 2.0
_L2 = 1e-3
_SCALE = 8.0  # cosine-sized features are small: scale them so the logits can separate

Matrix = npt.NDArray[np.float64]


def load_examples() -> list[tuple[str, str]]:
    """(message, intent) pairs of the packaged training examples."""
    text = resources.files("learnflow").joinpath(EXAMPLES).read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [(str(row["message"]), str(row["intent"])) for row in rows]


@dataclass(frozen=True)
class IntentModel:
    labels: tuple[str, ...]
    weights: Matrix
    bias: Matrix
    embedder: Embedder

    @classmethod
    def train(cls, examples: Sequence[tuple[str, str]], embedder: Embedder) -> IntentModel:
        labels = tuple(sorted({intent for _, intent in examples}))
        x = embedder.embed([message for message, _ in examples]).astype(np.float64) * _SCALE
        y = np.zeros((len(examples), len(labels)))
        for row, (_, intent) in enumerate(examples):
            y[row, labels.index(intent)] = 1.0
        weights = np.zeros((x.shape[1], len(labels)))
        bias = np.zeros(len(labels))
        for _ in range(_STEPS):
            probabilities = _softmax(x @ weights + bias)
            error = (probabilities - y) / len(examples)
            weights -= _LEARNING_RATE * (x.T @ error + _L2 * weights)
            bias -= _LEARNING_RATE * error.sum(axis=0)
        return cls(labels, weights, bias, embedder)

    def probabilities(self, message: str) -> dict[str, float]:
        x = self.embedder.embed([message]).astype(np.float64) * _SCALE
        found = _softmax(x @ self.weights + self.bias)[0]
        return {label: float(p) for label, p in zip(self.labels, found, strict=True)}


def _softmax(logits: Matrix) -> Matrix:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    result: Matrix = exps / exps.sum(axis=1, keepdims=True)
    return result


@lru_cache(maxsize=1)
def default_intent_model() -> IntentModel:
    """The model trained on the packaged examples with the packaged embedder (once a process)."""
    return IntentModel.train(load_examples(), default_embedder())
