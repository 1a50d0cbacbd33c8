"""Sentence embeddings from a pre-trained model that ships inside its wheel.

    from learnflow.embeddings import default_embedder

    vectors = default_embedder().embed(["How do for loops work?", "what is a for loop"])
    float(vectors[0] @ vectors[1])     # cosine similarity (rows are L2-normalised)

The default model is WordLlama `l2_supercat` at 256 dimensions (`wordllama` on PyPI, MIT): a
16 MB table of token embeddings distilled from large language models' codebooks, average-pooled
over the tokens of a text. It is installed with LearnFlow (`pip install -e .`, so `make up` and
`make test`) and is read from the installed package's own files: nothing is fetched
at run time, and a missing file is a clear error, never a silent fallback.

Retrieval (`learnflow.retrieval`), abstention (`concepts_agent`) and triage
(`learnflow.intents`) use it. Embeddings of fixed texts (lesson sections, labelled examples) are
memoised per process.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from learnflow.errors import SetupError

__all__ = ["DEFAULT_DIM", "Embedder", "Vectors", "WordLlamaEmbedder", "default_embedder"]

Vectors = npt.NDArray[np.float32]
DEFAULT_DIM = 256
MODEL_CONFIG = "l2_supercat"


class Embedder(Protocol):
    """Turns texts into L2-normalised row vectors (so a dot product is a cosine)."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors: ...

    def knows_word(self, word: str) -> bool:
        """Whether the model has `word` as one whole token (so it reads it as itself)."""
        ...


class WordLlamaEmbedder:
    """WordLlama's packaged `l2_supercat` model, read from the installed wheel's own files."""

    def __init__(self, dim: int = DEFAULT_DIM) -> None:
        try:
            import wordllama
            from safetensors import safe_open
            from tokenizers import Tokenizer
            from wordllama.inference import WordLlamaInference
        except ImportError as exc:  # pragma: no cover - an installation problem
            raise SetupError(
                "the embedding model package `wordllama` is not installed: install LearnFlow "
                "with `pip install -e .` (or run `make up`)"
            ) from exc
        # Read the files the wheel ships directly: `WordLlama.load` looks for the tokenizer in
        # a `tokenizer/` folder while the wheel has `tokenizers/` (wordllama 0.4.0), and would
        # then try the network.
        package = Path(wordllama.__file__).parent
        weights = package / "weights" / f"{MODEL_CONFIG}_{dim}.safetensors"
        tokenizer = package / "tokenizers" / f"{MODEL_CONFIG}_tokenizer_config.json"
        for path in (weights, tokenizer):
            if not path.is_file():  # pragma: no cover - a broken installation
                raise SetupError(
                    f"the WordLlama model file {path} is missing from the installed package: "
                    "reinstall it with `pip install --force-reinstall wordllama`"
                )
        with safe_open(str(weights), framework="np", device="cpu") as tensors:
            table = tensors.get_tensor("embedding.weight")
        self._model: Any = WordLlamaInference(table, Tokenizer.from_file(str(tokenizer)))
        self._dim = dim
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"wordllama-{MODEL_CONFIG}-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def knows_word(self, word: str) -> bool:
        with self._lock:
            tokens = self._model.tokenizer.encode(word.strip(), add_special_tokens=False).tokens
        return len(tokens) == 1

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        cleaned = [text if text.strip() else "." for text in texts]
        with self._lock:  # the tokenizer is not documented as thread-safe
            raw = self._model.embed(cleaned, norm=False)
        vectors = np.asarray(raw, dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        normalised: Vectors = vectors / norms
        return normalised


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The process-wide embedder (loaded once)."""
    return WordLlamaEmbedder()
