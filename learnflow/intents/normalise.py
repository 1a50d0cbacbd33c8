"""Step 2, normalisation: the prose as lower-case tokens with chat shorthand and contractions
expanded, repeated letters squeezed and punctuation dropped except ``?``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["normalise"]

_SHORTHAND: Mapping[str, str] = MappingProxyType(
    {
        "u": "you",
        "ur": "your",
        "r": "are",
        "y": "why",
        "pls": "please",
        "plz": "please",
        "pleas": "please",
        "thx": "thanks",
        "ty": "thanks",
        "im": "i am",
        "ive": "i have",
        "dont": "do not",
        "doesnt": "does not",
        "didnt": "did not",
        "isnt": "is not",
        "arent": "are not",
        "wasnt": "was not",
        "cant": "can not",
        "cannot": "can not",
        "wont": "will not",
        "whats": "what is",
        "wats": "what is",
        "wat": "what",
        "wut": "what",
        "wht": "what",
        "whts": "what is",
        "waht": "what",
        "hw": "how",
        "hows": "how is",
        "thats": "that is",
        "heres": "here is",
        "theres": "there is",
        "its": "it is",
        "lets": "let us",
        "gimme": "give me",
        "giv": "give",
        "wanna": "want to",
        "gonna": "going to",
        "gotta": "have to",
        "idk": "i do not know",
        "bc": "because",
        "cuz": "because",
        "abt": "about",
        "prog": "program",
        "func": "function",
    }
)
_CONTRACTIONS = (
    (re.compile(r"\b(can)'t\b"), r"\1 not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"\bi'm\b"), "i am"),
    (re.compile(r"\b(it|that|what|here|there|how|who|where|let)'s\b"), r"\1 is"),
)
_TOKEN = re.compile(r"[a-z0-9_]+(?:\+\+|#)?|\?")


def normalise(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("’", "'").replace("‘", "'").replace("`", " ")
    text = re.sub(r"([a-z])\1{2,}", r"\1\1", text)
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    text = text.replace("let is", "let us")
    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        tokens.extend(_SHORTHAND.get(token, token).split())
    return tokens
