"""Spelling correction (`learnflow.intents.spelling`): typo-prone words the features depend on
are corrected; everyday words and the words unsafe features read never are."""

from __future__ import annotations

import pytest

from learnflow.intents.spelling import correct


@pytest.mark.parametrize(
    ("typo", "target"),
    [
        ("excersise", "exercise"),
        ("dictonary", "dictionary"),
        ("explane", "explain"),
        ("funtion", "function"),
        ("progres", "progress"),
        ("lsit", "list"),  # four letters: only an adjacent swap reaches it
    ],
)
def test_a_typo_becomes_its_target(typo: str, target: str) -> None:
    assert correct(typo) == target


@pytest.mark.parametrize("word", ["looking", "packing", "making", "list", "lst", "x1", "it"])
def test_known_protected_short_or_non_alphabetic_words_stay(word: str) -> None:
    assert correct(word) == word
