"""Steps 4-6, scoring and decision: evidence from the features (and the embedding model),
the mixed-intent rule, and the confidence; `classify` runs the whole pipeline."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

from learnflow.intent_model import default_intent_model
from learnflow.intents.extraction import extract_code
from learnflow.intents.features import FEATURES, OTHER_LANGUAGE, PYTHON_TERMS
from learnflow.intents.normalise import normalise
from learnflow.intents.routing import AGENT_FOR_INTENT, Classification, Intent
from learnflow.intents.spelling import correct

__all__ = ["EMBEDDING_WEIGHT", "PRESENT_THRESHOLD", "PRIORITY", "UNSAFE_THRESHOLD", "classify"]

#: Which intent a tutor acts on first when a message asks for several things.
PRIORITY: tuple[Intent, ...] = (
    Intent.UNSAFE,
    Intent.CODE_HELP,
    Intent.SUBMISSION,
    Intent.CONCEPT_QUESTION,
    Intent.EXERCISE_REQUEST,
    Intent.PROGRESS_QUESTION,
    Intent.OFF_TOPIC,
)

#: Evidence at which an unsafe request overrides everything else.
UNSAFE_THRESHOLD = 3.0
#: Evidence at which an intent counts as clearly asked for (the mixed-intent rule).
PRESENT_THRESHOLD = 3.0

_BIAS: Mapping[Intent, float] = MappingProxyType({Intent.OFF_TOPIC: 1.0})
_CODE_WEIGHT: Mapping[Intent, float] = MappingProxyType(
    {Intent.CODE_HELP: 3.0, Intent.SUBMISSION: 2.0}
)
_TERM_BONUS = 1.5  # concept cue + a Python notion
_NO_TERM_PENALTY = 1.0  # concept cue without one: probably a general-knowledge question
_GENERAL_QUESTION = 1.5  # ... which counts towards off_topic instead
_BARE_TOPIC = 2.0  # a short message that only names a Python notion
_BARE_TOPIC_WORDS = 6
_PROBLEM_CUE = 2.0  # with code attached, this much code_help evidence reports a problem...
_HAND_IN_CUE = 1.5  # ... and, without one, this much submission evidence hands the code in
_SAYS_PYTHON = 3.0  # naming Python cancels this much off-topic evidence
_PASTED_ERROR = re.compile(
    r"^Traceback \(most recent call last\)|^[A-Z]\w*(Error|Exception)\b", re.M
)
_PASTED_ERROR_WEIGHT = 3.0  # a traceback or error line in the pasted code is a problem report
#: How much evidence the embedding model's probability adds to each intent (a sure model makes
#: an intent as present as `PRESENT_THRESHOLD` of rule evidence). Tuned on the dev set.
EMBEDDING_WEIGHT = 3.0
_MODEL_MIN_WORDS = 2  # "hmm", "recursion?": one word is the rules' call


def _softmax(scores: Mapping[Intent, float]) -> dict[Intent, float]:
    top = max(scores.values())
    exps = {intent: math.exp(score - top) for intent, score in scores.items()}
    total = sum(exps.values())
    return {intent: value / total for intent, value in exps.items()}


def _evidence(
    prose: str, message: str, *, code: bool, use_model: bool = False
) -> tuple[dict[Intent, float], list[str]]:
    tokens = [correct(token) for token in normalise(prose)]
    text = " ".join(tokens)
    texts = {
        "prose": text,
        # Unsafe features also read the code: an injection can hide in a comment.
        "all": text if prose == message else " ".join(correct(t) for t in normalise(message)),
        "raw": unicodedata.normalize("NFKC", message).lower(),
    }
    evidence = dict.fromkeys(Intent, 0.0)
    fired: list[str] = []
    for feature in FEATURES:
        source = "all" if feature.source == "prose" and feature.intent is Intent.UNSAFE else "prose"
        haystack = texts["raw"] if feature.source == "raw" else texts[source]
        if feature.pattern.search(haystack):
            evidence[feature.intent] += feature.weight
            fired.append(f"{feature.intent.value}:{feature.name}")

    # Interactions: a question is a concept question only when it is about Python (attached
    # code always is).
    mentions_python = code or (
        bool(PYTHON_TERMS.search(text))
        and not (OTHER_LANGUAGE.search(text) and "python" not in tokens)
    )
    asks = any(
        f.startswith("concept_question:") and f != "concept_question:possessive" for f in fired
    )
    if asks and mentions_python:
        evidence[Intent.CONCEPT_QUESTION] += _TERM_BONUS
        fired.append("concept_question:python-term")
    elif asks:
        evidence[Intent.CONCEPT_QUESTION] -= _NO_TERM_PENALTY
        evidence[Intent.OFF_TOPIC] += _GENERAL_QUESTION
        fired.append("off_topic:general-question")
    elif mentions_python and not fired and len(tokens) <= _BARE_TOPIC_WORDS:
        # Just a topic ("list comprehensions??"): the learner wants it explained.
        evidence[Intent.CONCEPT_QUESTION] += _BARE_TOPIC
        fired.append("concept_question:bare-topic")
    if "python" in tokens and evidence[Intent.OFF_TOPIC] > 0:
        # "How do I get the weather from an API in Python?" is on topic.
        evidence[Intent.OFF_TOPIC] = max(0.0, evidence[Intent.OFF_TOPIC] - _SAYS_PYTHON)
        fired.append("off_topic:says-python")
    words = [token for token in tokens if token.isalpha()]
    other_language = bool(OTHER_LANGUAGE.search(text)) and "python" not in tokens
    if use_model and len(words) >= _MODEL_MIN_WORDS and not other_language:
        # The embedding model reads the same corrected prose; only the rules can say unsafe.
        probabilities = default_intent_model().probabilities(text)
        for intent in Intent:
            share = probabilities.get(intent.value, 0.0)
            if intent is not Intent.UNSAFE:
                evidence[intent] += EMBEDDING_WEIGHT * share
            if share >= 0.5:
                fired.append(f"{intent.value}:model({share:.2f})")
    return evidence, fired


def _decide(evidence: Mapping[Intent, float], scores: Mapping[Intent, float], code: bool) -> Intent:
    if evidence[Intent.UNSAFE] >= UNSAFE_THRESHOLD:
        return Intent.UNSAFE
    if code:
        help_, handed_in = evidence[Intent.CODE_HELP], evidence[Intent.SUBMISSION]
        if help_ >= _PROBLEM_CUE:
            return Intent.CODE_HELP
        if handed_in >= PRESENT_THRESHOLD or (handed_in >= _HAND_IN_CUE and handed_in > help_):
            return Intent.SUBMISSION
        return Intent.CODE_HELP
    for intent in PRIORITY[1:-1]:
        if evidence[intent] >= PRESENT_THRESHOLD:
            return intent
    # Nothing clearly asked for: the best score, ties broken by priority (never unsafe here).
    candidates = [i for i in PRIORITY if i is not Intent.UNSAFE]
    return max(candidates, key=lambda i: (scores[i], -PRIORITY.index(i)))


def classify(
    message: str, *, has_code: bool | None = None, use_model: bool = True
) -> Classification:
    """Classify one learner message.

    `has_code` says whether the caller attached code to the message (e.g. the editor's
    content): ``None`` detects pasted code in the message itself, ``True`` routes as code even
    when none is found in the text, ``False`` ignores anything that looks like code.
    `use_model=False` leaves the embedding model out (the rules alone, for comparison).
    """
    code, prose = extract_code(message)
    if has_code is False:
        code, prose = None, message
    attached = code is not None if has_code is None else has_code

    evidence, fired = _evidence(prose, message, code=attached, use_model=use_model)
    if code is not None and _PASTED_ERROR.search(code):
        evidence[Intent.CODE_HELP] += _PASTED_ERROR_WEIGHT
        fired.append("code_help:pasted-error")
    scores = {intent: evidence[intent] + _BIAS.get(intent, 0.0) for intent in Intent}
    if attached:
        for intent, weight in _CODE_WEIGHT.items():
            scores[intent] += weight
        fired.append("code-attached")

    intent = _decide(evidence, scores, attached)
    confidence = round(_softmax(scores)[intent], 3)
    return Classification(
        intent=intent,
        agent=AGENT_FOR_INTENT[intent],
        confidence=confidence,
        code=code,
        evidence=tuple(fired),
    )
