"""The offline intent classifier the triage agent routes every learner message with.

It is a small rule + scoring model, readable end to end, pure standard library and deterministic
(the same message always gives the same answer, on any machine):

1. **Code extraction** (`extract_code`). Code in ``` fences is taken as is; outside fences each
   line is tested against Python shapes (``def f(...)``, ``for x in y:``, ``if a > b:``,
   assignments and calls with code punctuation, ``import``, tracebacks, ``NameError: ...`` lines,
   ``>>>`` prompts), and indented lines that follow a code line are kept with it. What is left
   is the *prose* the keyword features read.
2. **Normalisation** of the prose: Unicode NFKC, lower case, chat shorthand and contractions
   expanded (``pls`` → please, ``doesnt`` → does not, ``gimme`` → give me), runs of 3+ repeated
   letters squeezed (``pleeease``), punctuation dropped except ``?``.
3. **Spelling correction**: a word that is neither a known everyday word (or an inflection of
   one) nor already right is replaced by the closest of a curated list of typo-prone words
   the features depend on (`spelling._SPELLING_TARGETS`), by optimal string alignment
   distance: one edit up to six letters, two (keeping the first letter) from seven; four-letter
   targets only by swapping two adjacent letters (``lsit``). So ``excersise``, ``dictonary``,
   ``explane``, ``funtion``, ``progres`` hit the same features as the right spelling, while
   ``looking`` does not become ``looping``. Words unsafe features read are never corrected
   either way, so ``packing`` cannot become ``hacking``.
4. **Scoring**: each intent has weighted features (regular expressions over the corrected
   prose; unsafe features also read the code, and two read the raw message). An intent's
   *evidence* is the sum of the weights that fire, plus interaction features: a question form
   (``what is``, ``explain``, ``difference between``...) counts towards ``concept_question``
   only when the message names a Python notion, and towards ``off_topic`` when it does not
   ("explain photosynthesis"); a short message that only names a Python notion ("list
   comprehensions??") asks about it. Scores are evidence plus a per-intent bias (only
   ``off_topic`` has one: with no evidence at all a message is small talk). Attached code adds
   to ``code_help`` and ``submission``.
5. **Decision**, in this order (the rule for mixed intents: act first on what a tutor must act
   on first):

   - ``unsafe`` when its evidence reaches `UNSAFE_THRESHOLD`, whatever else the message asks:
     prompt injection, hacking/malware, self-harm, harassment and violence are never routed on.
   - with code attached, the message goes to the tutor with the code: ``code_help`` when it
     describes a problem (a clear cue: an error, a failing test, "doesn't work", "why does
     it..."), else ``submission`` when it hands the code in ("here is my solution", "is this
     correct?"), else ``code_help``.
   - otherwise, among the intents whose evidence reaches `PRESENT_THRESHOLD`, the first in
     `PRIORITY`: ``code_help`` > ``submission`` > ``concept_question`` > ``exercise_request`` >
     ``progress_question``. A learner who is stuck is helped before anything else, work handed
     in is graded before new work is given, a concept is explained before practising it, and
     a progress question waits for the learning activity. Small talk (``off_topic``) never
     outranks a real request ("hi! what is a set?" is a concept question).
   - when no intent is clearly present, the highest score wins (often ``off_topic`` on its
     bias alone, with a low confidence).

6. **Confidence** is the softmax probability of the chosen intent over all scores. It is high
   when one intent has strong evidence, and lower when the evidence is weak (every score near
   the bias) or conflicting (a second intent scores close), including when the mixed-intent
   rule chose an intent other than the top-scoring one.

`classify(message)` returns a `Classification` (intent, agent, confidence, code, evidence);
`AGENT_FOR_INTENT` maps each intent to the specialist that answers it.

One module per step: `extraction` (1), `normalise` (2), `spelling` (3), `features` (the rules
of 4), `scoring` (4-6 and `classify`); `routing` holds the intents and who answers them.
"""

from learnflow.intents.extraction import extract_code
from learnflow.intents.routing import AGENT_FOR_INTENT, Classification, Intent, agent_for
from learnflow.intents.scoring import (
    EMBEDDING_WEIGHT,
    PRESENT_THRESHOLD,
    PRIORITY,
    UNSAFE_THRESHOLD,
    classify,
)

__all__ = [
    "AGENT_FOR_INTENT",
    "EMBEDDING_WEIGHT",
    "PRESENT_THRESHOLD",
    "PRIORITY",
    "UNSAFE_THRESHOLD",
    "Classification",
    "Intent",
    "agent_for",
    "classify",
    "extract_code",
]
