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
   the features depend on (`_SPELLING_TARGETS`), by optimal string alignment distance: one edit
   up to six letters, two (keeping the first letter) from seven; four-letter targets only by
   swapping two adjacent letters (``lsit``). So ``excersise``, ``dictonary``, ``explane``,
   ``funtion``, ``progres`` hit the same features as the right spelling, while ``looking`` does
   not become ``looping``. Words unsafe features read are never corrected either way, so
   ``packing`` cannot become ``hacking``.
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
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

from learnflow.intent_model import default_intent_model

__all__ = [
    "AGENT_FOR_INTENT",
    "PRESENT_THRESHOLD",
    "PRIORITY",
    "UNSAFE_THRESHOLD",
    "Classification",
    "Intent",
    "agent_for",
    "classify",
    "extract_code",
]


class Intent(StrEnum):
    """What a learner's message asks for."""

    CONCEPT_QUESTION = "concept_question"
    EXERCISE_REQUEST = "exercise_request"
    CODE_HELP = "code_help"
    SUBMISSION = "submission"
    PROGRESS_QUESTION = "progress_question"
    OFF_TOPIC = "off_topic"
    UNSAFE = "unsafe"


AGENT_FOR_INTENT: Mapping[Intent, str] = MappingProxyType(
    {
        Intent.CONCEPT_QUESTION: "concepts",
        Intent.EXERCISE_REQUEST: "tutor",
        Intent.CODE_HELP: "tutor",
        Intent.SUBMISSION: "tutor",
        Intent.PROGRESS_QUESTION: "debrief",
        # Answered by triage itself: a polite redirect (off-topic) or refusal (unsafe).
        Intent.OFF_TOPIC: "triage",
        Intent.UNSAFE: "triage",
    }
)

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


def agent_for(intent: Intent) -> str:
    """The specialist service that answers `intent` (``triage`` answers it itself)."""
    return AGENT_FOR_INTENT[intent]


@dataclass(frozen=True, slots=True)
class Classification:
    """The triage decision for one message."""

    intent: Intent
    agent: str
    confidence: float
    code: str | None = None
    #: Names of the features that fired, for logs and debugging (not part of equality).
    evidence: tuple[str, ...] = field(default=(), compare=False)

    def summary(self) -> dict[str, str | float]:
        """The public routing triple, as `learnflow route` prints it."""
        return {"intent": self.intent.value, "agent": self.agent, "confidence": self.confidence}


# --------------------------------------------------------------------------------------------
# 1. Code extraction
# --------------------------------------------------------------------------------------------

_FENCE = re.compile(r"```[ \t]*(?:[\w+.-]*[ \t]*\n)?(.*?)(?:```|\Z)", re.S)
_CODE_CHARS = re.compile(r"[()\[\]{}'\"\d=<>%+*/.:]")
# A line of closing brackets at column 0 ends a bracketed literal or call begun on a code line.
_CLOSING_LINE = re.compile(r"^[)\]}][)\]},;:]*\s*$")
_ERROR_LINE = re.compile(r"^[A-Z]\w*(?:Error|Exception|Warning|Interrupt|Exit)\b(?::.*)?$")
_CODE_LINE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"^Traceback \(most recent call last\)",
        r'^File ".*", line \d+',
        r"^>>>",
        r"^def\s+[A-Za-z_]\w*\s*\(",
        r"^class\s+[A-Za-z_]\w*\s*(\(.*\))?\s*:",
        r"^for\s+[A-Za-z_][\w, ()]*\s+in\s+\S.*[):\]]\s*$",
        r"^(while|if|elif)\s+.*[=<>()\[\]%.].*:\s*$",
        r"^while\s+(True|1|not\s+\w+|\w+)\s*:\s*$",
        r"^(else|try|finally)\s*:\s*$",
        r"^except\b.*:\s*$",
        r"^with\s+.+\s+as\s+\w+\s*:\s*$",
        r"^import\s+[\w.]+(\s+as\s+\w+)?(\s*,\s*[\w.]+)*\s*$",
        r"^from\s+[\w.]+\s+import\s+[\w., *]+$",
        r"^(return|raise|yield)\b.*[()\[\]'\"=+\-*/%.]",
        r"^(pass|break|continue|return)\s*$",
        r"^[A-Za-z_][\w.]*\s*\(.*\)\s*$",
        r"^@\w+",
        r"^#",
    )
)
_ASSIGNMENT = re.compile(r"^[A-Za-z_][\w.]*(\[[^\]]*\])?\s*(\*\*|//|[-+*/%])?=\s*(?!=)(.+)$")


def _is_code_line(line: str) -> bool:
    stripped = line.strip()
    if not stripped:
        return False
    if _ERROR_LINE.match(stripped) or any(p.match(stripped) for p in _CODE_LINE_PATTERNS):
        return True
    assignment = _ASSIGNMENT.match(stripped)
    if assignment:
        right = assignment.group(3)
        # `x = 5`, `s = input('age')`; not `x = the number of apples`.
        return bool(_CODE_CHARS.search(right)) or len(right.split()) == 1
    return False


def _split_unfenced(text: str) -> tuple[list[str], list[str]]:
    """(code lines, prose lines) of text without fences."""
    lines = text.splitlines()
    is_code = [_is_code_line(line) for line in lines]
    # A comment line only counts inside code; an indented or blank line after code joins it,
    # and so do a closing-bracket line and the line after a block opener (learners often lose
    # the indentation).
    for i, line in enumerate(lines):
        if is_code[i] or i == 0:
            continue
        prev = next((j for j in range(i - 1, -1, -1) if lines[j].strip()), None)
        if prev is None or not is_code[prev]:
            continue
        indented = line[:1] in (" ", "\t") and bool(line.strip())
        opener = lines[prev].rstrip().endswith(":")
        after_opener = opener and _CODE_CHARS.search(line) and len(line.split()) <= 6
        if indented or _CLOSING_LINE.match(line) or after_opener:
            is_code[i] = True
    for i, line in enumerate(lines):
        if is_code[i] and line.strip().startswith("#"):
            neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(lines)]
            if not any(is_code[j] and not lines[j].strip().startswith("#") for j in neighbours):
                is_code[i] = False
    code = [line for line, flag in zip(lines, is_code, strict=True) if flag]
    prose = [line for line, flag in zip(lines, is_code, strict=True) if not flag]
    return code, prose


def extract_code(message: str) -> tuple[str | None, str]:
    """Split `message` into (code, prose): code from ``` fences or pasted Python lines."""
    blocks: list[str] = []
    prose_parts: list[str] = []
    last = 0
    for match in _FENCE.finditer(message):
        prose_parts.append(message[last : match.start()])
        if match.group(1).strip():
            blocks.append(match.group(1).strip("\n"))
        last = match.end()
    prose_parts.append(message[last:])
    code_lines, prose_lines = _split_unfenced("\n".join(prose_parts))
    if code_lines:
        blocks.append("\n".join(code_lines).strip("\n"))
    code = "\n\n".join(b.rstrip() for b in blocks if b.strip()) or None
    prose = "\n".join(prose_lines)
    return code, re.sub(r"\n{3,}", "\n\n", prose).strip() if code else prose


# --------------------------------------------------------------------------------------------
# 2. Normalisation
# --------------------------------------------------------------------------------------------

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


def _normalise(text: str) -> list[str]:
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


# --------------------------------------------------------------------------------------------
# 3. Features
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Feature:
    name: str
    intent: Intent
    weight: float
    pattern: re.Pattern[str]
    #: "prose": the normalised, spell-corrected prose; "raw": the whole message, lower-cased.
    source: Literal["prose", "raw"] = "prose"


def _features(intent: Intent, *rows: tuple[str, float, str]) -> tuple[_Feature, ...]:
    """(name, weight, regex over the corrected prose) rows of one intent."""
    return tuple(_Feature(name, intent, weight, re.compile(regex)) for name, weight, regex in rows)


# Python notions a concept question is about (curriculum topics and everyday vocabulary).
_PYTHON_TERMS = re.compile(
    r"\b(python|code|coding|program|programs|programming|script|syntax|variables?|strings?|str|"
    r"int|integers?|floats?|bool|booleans?|data\s+types?|types?|input|output|print|printing|"
    r"operators?|conversion|convert|casting|elif|else|if\s+statements?|conditions?|conditionals?|"
    r"loops?|looping|while|break|continue|range|iterate|iteration|lists?|tuples?|dictionar\w*|"
    r"dicts?|sets?|comprehensions?|index|indexes|indices|indexing|slice|slicing|"
    r"keys?|values?|mutable|immutable|functions?|def|parameters?|arguments?|args|return|returns|"
    r"scope|global|local|lambda|recursion|recursive|class|classes|objects?|attributes?|methods?|"
    r"inheritance|inherit|encapsulation|polymorphism|self|__init__|init|constructors?|oop|files?|"
    r"csv|json|try|except|finally|raise|exceptions?|errors?|\w+error|traceback|"
    r"debug|debugging|modules?|imports?|packages?|pip|venv|virtual\s+environments?|library|"
    r"libraries|apis?|requests|indentation|indent|keywords?|generators?|iterators?|decorators?|"
    r"f\s+strings?|fstrings?|formatting|append|extend|sort|sorted|enumerate|zip|len|"
    r"modulo|algorithm|data\s+structures?|control\s+flow|"
    r"pep\s*8|datetime|boolean|recursively|reading\s+files|writing\s+files)\b"
)
# Lookarounds rather than \b: there is no word boundary after the "+" of "c++".
_OTHER_LANGUAGE = re.compile(
    r"(?<![\w+#])(javascript|js|java|c\+\+|c#|csharp|html|css|php|ruby|swift|kotlin|rust|golang|"
    r"typescript|excel|div)(?![\w+#])"
)

_CONCEPT_CUES = _features(
    Intent.CONCEPT_QUESTION,
    ("explain", 2.5, r"\b(explain|explanation|elaborate)\b"),
    ("what-is", 1.5, r"\bwhat\s+(is|are|does|do)\b"),
    ("question-word", 0.5, r"^(how|why|what|when|where|which|is|are|can|could|does|do|should)\b"),
    ("how-do", 1.5, r"\bhow\s+(do|does|can|to|would|should|is|are)\b"),
    ("why", 1.0, r"\bwhy\s+(do|does|is|are|would|should|can|we|use)\b"),
    ("difference", 2.0, r"\b(difference|differences|different|compare|comparison)\b"),
    ("versus", 1.5, r"\b(vs|versus)\b"),
    ("meaning", 1.5, r"\b(mean|means|meaning)\b"),
    ("example", 1.0, r"\b(example|examples)\b"),
    ("when-use", 2.0, r"\bwhen\s+(should|do|would|to)\b.*\buse\b"),
    ("teach", 2.5, r"\b(teach|tell)\s+me\s+(about|how)\b|\blearn\s+about\b"),
    ("understand", 1.0, r"\b(understand|confused|confusing|get\s+it)\b|\bnot\s+get\b"),
    ("what-a-x-is", 1.5, r"\bwhat\s+(a|an|the)\s+\w+(\s+\w+)?\s+(is|are|does|do)\b"),
    ("point-of", 1.0, r"\b(the\s+point\s+of|used\s+for|purpose|important|why\s+would)\b"),
    ("work", 0.5, r"\b(work|works|working)\b"),
    ("question-mark", 0.5, r"\?"),
    ("possessive", -1.5, r"\b(my|mine)\b"),
)
_EXERCISE_CUES = _features(
    Intent.EXERCISE_REQUEST,
    ("exercise", 2.5, r"\b(exercise|exercises)\b"),
    ("practice", 2.5, r"\b(practice|practise|practicing|practising|train|drill)\b"),
    ("challenge", 2.5, r"\b(challenge|challenges|kata)\b"),
    ("quiz", 2.0, r"\b(quizz?|quizzes)\b"),
    ("task", 0.8, r"\b(problems?|tasks?|questions?|projects?|homework|assignments?|puzzles?)\b"),
    (
        "give-me-one",
        1.5,
        r"\b(give|get|have|want|like|need|set|make|create|generate|assign|send|try|do)\b.{0,30}"
        r"\b(exercises?|problems?|challenges?|quiz|quizzes|tasks?|questions?|projects?|homework|"
        r"assignments?|worksheets?|puzzles?|drills?)\b",
    ),
    (
        "another",
        3.0,
        r"\b(another|next|new|more|other)\s+(\w+\s+)?(exercises?|problems?|challenges?|tasks?|"
        r"questions?|quiz|puzzles?)\b|\b(another|next|new|different|harder|easier|tougher|simpler)"
        r"\s+ones?\b",
    ),
    ("difficulty", 1.5, r"\b(harder|easier|tougher|simpler|difficult|difficulty|beginner)\b"),
    ("something-harder", 1.5, r"\b(something|one)\s+(harder|easier|new|else|to\s+practi[cs]e)\b"),
    ("one-more", 3.0, r"\bone\s+more\b|\bmore\s+please\b"),
    (
        "something-to-try",
        3.0,
        r"\b(something|anything|stuff)\s+(to|i\s+can)\s+(try|do|practi[cs]e|work\s+on|solve|code)\b",
    ),
    ("get-better", 1.5, r"\b(get|getting)\s+better\s+at\b|\bimprove\s+(at|my)\b"),
    ("test-me", 3.0, r"\b(quiz|test|drill)\s+me\b"),
    ("whats-next", 1.5, r"\bwhat\s+is\s+next\b|\bready\s+for\b"),
    ("let-me-try", 1.0, r"\blet\s+(me|us)\s+(try|do)\b"),
)
_CODE_HELP_CUES = _features(
    Intent.CODE_HELP,
    ("error", 1.0, r"\b(\w+error|error|errors|exception)\b"),
    ("traceback", 2.5, r"\btraceback\b"),
    (
        "i-get-error",
        2.0,
        r"(?<!did\s)(?<!have\s)\b(i|it|this|that|my\s+\w+)\s+(get|gets|got|keep\s+getting|"
        r"am\s+getting|keeps?|gives?|"
        r"throws?|raises?|says?|said|shows?|prints?|returns?|outputs?)\b"
        r".{0,30}\b(\w+error|error|exception|none|nothing|wrong|same|weird|0|zero|instead)\b",
    ),
    (
        "getting",
        1.5,
        r"\b(keep\s+getting|am\s+getting|am\s+i\s+getting|getting\s+(an?\s+)?\w*error)\b",
    ),
    (
        "my-code",
        1.5,
        r"\bmy\s+(code|program|script|function|loop|class|output|list|dictionary|dict|"
        r"recursion|if|while|for|variable|method|test|tests|lookup|file)\b",
    ),
    (
        "not-working",
        2.5,
        r"\b(not|never)\s+(work|works|working|run|runs|running|compile|stop|stops|end|ends|print|"
        r"prints|printing|pass|passing|right)\b|\bnothing\s+(works|is\s+working|happens|prints)\b",
    ),
    ("broken", 2.0, r"\b(broken|bug|bugs|buggy|crash|crashes|crashing|crashed|fails?|failing)\b"),
    ("fix", 2.0, r"\b(fix|debug|debugging|solve\s+this)\b"),
    ("wrong", 1.5, r"\b(wrong|incorrect|instead\s+of)\b"),
    ("stuck", 2.5, r"\b(stuck|lost|struggling|frustrated)\b"),
    ("help", 1.0, r"\b(help|helps)\b"),
    ("hint", 3.0, r"\b(hint|hints|clue|nudge)\b"),
    (
        "give-answer",
        3.0,
        r"\b(give|tell|show)\s+me\s+(the\s+)?(full\s+)?(answer|solution|code)\b"
        r"|\bjust\s+(give|tell|show|write)\b|\b(write|do|code|solve)\s+it\s+for\s+me\b"
        r"|\bwhat\s+to\s+type\b",
    ),
    ("line-n", 1.5, r"\bline\s+\d+\b"),
    ("forever", 1.5, r"\b(infinite|forever|never\s+(stops|ends))\b"),
    (
        "error-text",
        2.0,
        r"\b(invalid\s+syntax|indented\s+block|not\s+defined|out\s+of\s+range|no\s+attribute|"
        r"not\s+callable|not\s+subscriptable|not\s+supported|no\s+module\s+named|"
        r"can\s+only\s+concatenate|unexpected\s+indent|division\s+by\s+zero|not\s+iterable|"
        r"object\s+(is\s+not|has\s+no))\b",
    ),
    ("why-my", 2.0, r"\bwhy\b.{0,20}\b(my|this|it|the\s+test|the\s+output)\b"),
    (
        "dont-know-why",
        1.5,
        r"\bdo\s+not\s+(know|understand)\s+(why|how\s+to\s+(start|fix|begin))\b"
        r"|\bwhat\s+am\s+i\s+(missing|doing\s+wrong)\b|\bwhat\s+is\s+wrong\b",
    ),
    (
        "misbehaves",
        2.0,
        r"\b(my|the|this)\s+(code|program|loop|function|list|output|script|class|method|if|while|"
        r"for\s+loop|while\s+loop|recursion|dictionary|dict)\b.{0,25}\b(skips?|ignores?|repeats?|"
        r"only|always|never|stops?|doubles?|misses?|loses?|overwrites?|goes)\b",
    ),
    ("cannot-see", 1.5, r"\bcan\s+not\s+(see|find|access|call|use|reach)\b"),
    ("start-exercise", 1.0, r"\bhow\s+to\s+(start|begin)\b"),
    ("tried", 1.0, r"\b(i\s+tried|tried|trying|been\s+trying)\b"),
)
_SUBMISSION_CUES = _features(
    Intent.SUBMISSION,
    ("submit", 3.5, r"\b(submit\w*|submission|hand\s+in|handing\s+in|turn\s+in)\b"),
    ("grade-it", 3.0, r"\b(grade|mark|evaluate|assess|score)\s+(my|it|this|exercise|the|that)\b"),
    ("check-it", 2.5, r"\bcheck\s+(my|this|it|if\s+(my|it|this)|please|again)\b"),
    (
        "my-solution",
        2.0,
        r"\b(my|the|this|final)\s+(solution|answer|attempt|work|submission|version)\b",
    ),
    ("here-is", 1.0, r"\b(here\s+is|here\s+you\s+go|this\s+is|that\s+is|here\s+it\s+is)\b"),
    (
        "is-it-right",
        3.0,
        r"\b(is|was|am|are)\s+(this|it|that|i|my\s+\w+)\s+(an?\s+)?(correct|right|ok|okay|good|fine|"
        r"efficient|readable|pythonic)\b|\bget\s+it\s+right\b|\bif\s+it\s+is\s+(ok|okay|correct)\b",
    ),
    ("correct", 1.0, r"\b(correct|right)\b"),
    ("done", 1.5, r"\b(done|finished|completed|solved)\b"),
    ("run-tests", 2.0, r"\brun\s+the\s+tests\b|\bpass(es)?\s+(all\s+)?(the\s+)?tests\b"),
    ("review", 2.5, r"\breview\s+(my|this|it|the\s+code)\b|\b(feedback|critique|pep\s*8)\b"),
    ("final", 1.5, r"\b(final|rewrote|rewritten|updated)\b"),
)
_PROGRESS_CUES = _features(
    Intent.PROGRESS_QUESTION,
    (
        "progress",
        3.0,
        r"\b(progress|mastery|streak|stats|statistics|dashboard|report|overview|performance)\b",
    ),
    (
        "my-score",
        3.0,
        r"\bmy\s+(\w+\s+)?(score|scores|grade|grades|level|levels|results|marks|points|alerts)\b",
    ),
    (
        "how-am-i-doing",
        3.5,
        r"\bhow\s+(am\s+i|are\s+my|is\s+my)\s+\w*\s*(doing|going)\b"
        r"|\bam\s+i\s+(improving|doing|ready|getting\s+better)\b"
        r"|\bhow\s+(i\s+did|did\s+i\s+do|i\s+am\s+doing)\b",
    ),
    ("how-many", 2.5, r"\bhow\s+(many|much)\b.{0,40}\b(have|did|do)\s+i\b"),
    ("next-topic", 2.5, r"\b(study|learn|work\s+on|focus\s+on|do|review)\s+next\b"),
    (
        "need-to-review",
        3.0,
        r"\b(topics?|areas?|modules?|lessons?|what)\b.{0,20}\b(need|should|ought)\s+to\s+"
        r"(review|revise|study|work\s+on|improve|focus\s+on|go\s+over)\b",
    ),
    ("alerts", 2.5, r"\b(alerts?|at\s+risk|struggling\s+students)\b"),
    ("recommend", 1.0, r"\b(recommend|suggest)\b"),
    ("weak", 2.5, r"\b(weak|weakest|weakness|weaknesses|strongest|strengths?)\b"),
    ("summary", 3.0, r"\b(summary|summarise|summarize|recap)\b"),
    # "what module am I up to", "which lesson am I on"
    ("up-to", 3.0, r"\b(what|which|where)\b.{0,25}\bam\s+i\s+(up\s+to|on|at)\b"),
    (
        "what-did-i",
        2.5,
        r"\b(what|which)\b.{0,20}\b(have|did)\s+i\s+(learn|learned|learnt|do|done|get\s+wrong|"
        r"practi[cs]ed|fail|failed|pass|passed|miss|missed|finish|finished|complete|completed)\b",
    ),
    (
        "did-i-pass",
        3.0,
        r"\b(did|have)\s+i\s+(pass|passed|fail|failed|finish|finished|complete|completed)\b",
    ),
    ("students", 2.0, r"\b(students|pupils)\b"),
    ("my-class", 1.0, r"\b(my|the)\s+class\b"),
    ("how-far", 2.5, r"\b(how\s+far|how\s+close|where\s+am\s+i)\b"),
    ("percent", 1.5, r"\b(percentage|percent)\b|\bso\s+far\b"),
    ("mistakes", 2.0, r"\b(mistakes|keep\s+making|get\s+wrong)\b"),
    ("session", 1.0, r"\b(session|today|this\s+week|last\s+quiz|last\s+session)\b"),
    ("improving", 1.5, r"\b(improving|improved|getting\s+better|on\s+track)\b"),
    ("move-on", 1.5, r"\bmove\s+on\b|\bready\s+to\b"),
    ("level", 1.5, r"\b(what\s+level|which\s+level|my\s+level)\b"),
)
_OFF_TOPIC_CUES = _features(
    Intent.OFF_TOPIC,
    (
        "small-talk",
        1.5,
        r"^(hi|hello|hey|hiya|yo|good\s+(morning|afternoon|evening|night)|bye|goodbye|see\s+you|"
        r"thanks|thank\s+you|ok|okay|lol|cool|nice|great|i\s+am\s+bored|who\s+are\s+you)\b",
    ),
    (
        "other-subject",
        2.5,
        r"\b(weather|joke|jokes|funny|movie|movies|film|music|song|poem|pizza|dinner|lunch|food|"
        r"recipe|football|soccer|basketball|world\s+cup|messi|ronaldo|president|capital|"
        r"history|chemistry|physics|biology|maths|essay|cover\s+letter|phone|minecraft|"
        r"spanish|french|german|translate|colour|color|favourite|favorite|bored|meaning\s+of\s+life|"
        r"time\s+is\s+it|photosynthesis|revolution|everest|mountain|team|celebrity|girlfriend|"
        r"boyfriend|weekend|holiday)\b",
    ),
    ("other-language", 3.0, _OTHER_LANGUAGE.pattern),
    ("who-are-you", 2.0, r"\bwho\s+are\s+you\b|\bare\s+you\s+(a|an)\s+(bot|human|robot|ai)\b"),
)
_UNSAFE_CUES = _features(
    Intent.UNSAFE,
    # Prompt injection and attempts to read the hidden configuration.
    (
        "ignore-instructions",
        5.0,
        r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules?|prompts?|"
        r"guidelines?|directions|restrictions|filters?|safety|guardrails|programming|"
        r"everything\s+(you|i))\b",
    ),
    (
        "system-prompt",
        5.0,
        r"\bsystem\s+prompt\b|\byour\s+(hidden\s+|secret\s+|initial\s+|original\s+|internal\s+)?"
        r"(instructions|prompt|configuration)\b|\bnew\s+instructions\b",
    ),
    ("hidden-answers", 2.0, r"\b(reveal|leak|dump)\b"),
    ("hidden-material", 1.5, r"\b(hidden\s+tests?|reference\s+solutions?|answer\s+key)\b"),
    ("admin-mode", 2.0, r"\b(admin|root|sudo|god|debug)\s+mode\b"),
    (
        "jailbreak",
        5.0,
        r"\b(jailbreak|jailbroken|developer\s+mode|god\s+mode|dan|do\s+anything\s+now)\b",
    ),
    (
        "role-play",
        1.5,
        r"\b(you\s+are\s+now|from\s+now\s+on|pretend|act\s+as|roleplay|role\s+play)\b",
    ),
    (
        "no-limits",
        3.0,
        r"\b(no|without|zero)\s+(any\s+)?(restrictions|rules|limits|filters|guidelines|censorship|"
        r"limitations)\b|\b(unrestricted|unfiltered|uncensored)\b",
    ),
    (
        "disable-safety",
        5.0,
        r"\b(disable|turn\s+off|switch\s+off|remove)\b.{0,20}\b(safety|filters?)\b",
    ),
    # Hacking, malware and abuse of other people's systems or data.
    ("hack", 3.5, r"\bhack(s|ing|ed|er|ers)?\b"),
    # Cheating the grading: "mark my exercises as passed without actually solving them".
    (
        "pass-without-solving",
        4.0,
        r"\b(mark|marked|count|counted|show|set)\b.{0,40}\b(passed|complete|completed|done|"
        r"solved)\b.{0,40}\bwithout\s+(actually\s+|really\s+)?(solving|doing|writing|finishing)\b",
    ),
    (
        "malware",
        5.0,
        r"\b(key\s*log+ers?|mal\s*wares?|ransomwares?|spywares?|trojans?|rootkits?|botnets?|"
        r"backdoors?|worms?\s+virus)\b",
    ),
    ("virus", 2.0, r"\bvirus(es)?\b"),
    (
        "make-malware",
        2.0,
        r"\b(write|make|create|build|code|program|develop)\b.{0,30}\b(virus|worm|exploit)\b",
    ),
    ("ddos", 5.0, r"\bd\s*dos\b|\bdenial\s+of\s+service\b"),
    ("phishing", 4.0, r"\b(phishing|phish|fake\s+login)\b"),
    ("steal", 2.5, r"\b(steal|steals|stealing|stolen|crack|cracking|brute\s*force|bruteforce)\b"),
    (
        "credentials",
        1.5,
        r"\b(passwords?|credentials|cookies|credit\s+cards?|identity|login|accounts?|email|"
        r"personal\s+(data|information|info)|private\s+(data|information|photos))\b",
    ),
    (
        "break-in",
        2.0,
        r"\b(get\s+into|break\s+into|log\s+into|access|bypass)\b.{0,30}\b(someone|somebody|my\s+ex|"
        r"my\s+friend|his|her|their|school|firewall|filter|paywall)\b",
    ),
    (
        "without-consent",
        2.5,
        r"\bwithout\s+(them|their|his|her|the\s+owner|anyone|consent|permission)\b",
    ),
    ("spam", 2.5, r"\b(spam|spams|spamming|flood|flooding)\b"),
    (
        "victim",
        1.0,
        r"\b(someone|somebody|people|my\s+ex|classmate|thousands|school|server|someone\s+else)\b",
    ),
    (
        "destroy-data",
        2.5,
        r"\b(delete|deletes|deleting|wipe|wipes|destroy|destroys|corrupt|corrupts|encrypt|encrypts)\b"
        r".{0,30}\b(all|every|everything|files|system|server|computer|data)\b",
    ),
    ("weapons", 4.0, r"\b(bomb|bombs|explosives?|weapons?|guns?|poison|meth|drugs)\b"),
    ("exploit", 2.0, r"\b(exploit|exploits|spy\s+on|track\s+someone)\b"),
    # Self-harm: routed to triage, which answers with care and points to help.
    (
        "self-harm",
        6.0,
        r"\b(kill|hurt|hurting|harm|harming|cut|cutting|end)\s+(myself|my\s+self|my\s+life)\b|"
        r"\bsuicid\w*|\bself\s+harm\w*|\bwant\s+to\s+die\b|\bnot\s+worth\s+living\b|"
        r"\bno\s+reason\s+to\s+live\b|\bend\s+it\s+all\b|\bbetter\s+off\s+dead\b|"
        r"\b(life|everything)\s+is\s+(pointless|meaningless|hopeless)\b|"
        r"\bdo\s+not\s+want\s+to\s+(live|be\s+alive|exist)\b",
    ),
    # Harassment and violence against people.
    (
        "harassment",
        4.0,
        r"\b(bully|bullying|harass|harassing|harassment|threaten|threatening|intimidate|humiliate|"
        r"dox|doxx|stalk|stalking|racist|sexist|slurs?|hate\s+speech)\b",
    ),
    ("insult", 2.5, r"\b(insult|insults|mean\s+message|make\s+\w+\s+cry|make\s+fun\s+of)\b"),
    (
        "hurt-someone",
        5.0,
        r"\b(kill|hurt|harm|attack|poison|stab|shoot|beat\s+up)\s+(him|her|them|someone|somebody|"
        r"people|everyone|others|a\s+person|my\s+(teacher|classmate|friend|brother|sister))\b",
    ),
)

_UNSAFE_RAW_CUES = (
    # A message dressed up as a system/admin turn.
    _Feature(
        "fake-system", Intent.UNSAFE, 4.0, re.compile(r"^\s*(system|admin|developer)\s*:"), "raw"
    ),
    # Code meant to damage the machine it runs on.
    _Feature(
        "destructive-code",
        Intent.UNSAFE,
        5.0,
        re.compile(r"rm\s+-rf\s+/|:\(\)\s*\{|/etc/(passwd|shadow)|system32"),
        "raw",
    ),
)

_FEATURES: tuple[_Feature, ...] = (
    *_CONCEPT_CUES,
    *_EXERCISE_CUES,
    *_CODE_HELP_CUES,
    *_SUBMISSION_CUES,
    *_PROGRESS_CUES,
    *_OFF_TOPIC_CUES,
    *_UNSAFE_CUES,
    *_UNSAFE_RAW_CUES,
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


# --------------------------------------------------------------------------------------------
# Spelling correction
# --------------------------------------------------------------------------------------------


# The words learners misspell that the features depend on. Only these are correction targets:
# correcting towards short everyday words ("stats", "making", "point") does more harm than good.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SPELLING_TARGETS: tuple[str, ...] = tuple(
    sorted(
        _words(
            """
    exercise exercises practice practise practicing practising explain explanation difference
    different dictionary dictionaries function functions recursion recursive inheritance
    encapsulation polymorphism comprehension comprehensions variable variables parameter
    parameters argument arguments attribute attributes exception exceptions indentation
    iteration iterate integer integers boolean booleans operator operators condition conditions
    conditional statement statements string strings tuple tuples method methods object objects
    class classes module modules library libraries program programming python syntax error
    errors traceback progress mastery submission submit submitting submitted challenge
    challenges problem problems another please correct wrong solution answer question questions
    summary summarise summarize dashboard statistics weakest difficulty beginner harder easier
    understand confused meaning example examples working debugging debug hint hints quiz
    quizzes loop loops list lists dict code help stuck broken review feedback grade check
    finished completed recommend percentage weather homework javascript lambda decorator
    generator iterator enumerate append extend import imports return returns because what doesn
    why while print input output float range slicing index indices global local scope
    constructor inherit virtual environment json format sorting sorted sort keyword keywords
    mutable immutable nested expression equal equals crashes crashing infinite forever failing
    fails reference hidden instructions explaining between level score scores streak report
    overview
            """
        )
    )
)

# Everyday words and inflections are never "corrected" (a token is known when it, or its stem
# after a common suffix, is listed here or is itself a target).
_COMMON_WORDS = _words(
    """
    a about above across act actually add after again against ago all almost alone along
    already also always am among an and angry any anyone anything anyway apple are area around
    ask at away baby back bad bag ball bank be bear beat beautiful become bed been before begin
    behind believe below best better big bird black blue board boat body book born both bottom
    box boy brain bread break bring brother brown build burn business busy but buy by cake call
    came can car card care carry case cat catch cause center chair chance change cheap child
    choose city clean clear climb clock close cloud coat coffee cold color come common cool
    copy corner could count country couple course cover crazy cross cry cup cut dad dance dark
    date day dead dear decide deep dinner do doctor does dog door double down draw dream dress
    drink drive drop dry during each early earth easy eat edge egg eight either else empty end
    enjoy enough even evening ever every exact eye face fact fair fall family famous far farm
    fast fat father favorite fear feel feet few field fight fill film final find fine finger
    fire first fish five fix flat floor fly follow food foot for force forget form four free
    fresh friend from front fruit full fun funny game garden gave get girl give glad glass go
    god gold gone good got great green ground group grow guess guy had hair half hall hand hang
    happen happy hard has hat hate have he head hear heart heat heavy hello help her here hey
    hi high hill him his hit hold hole home hope horse hot hour house how huge human hundred
    hungry hurry husband i ice idea if important in inside into is it its job join joke jump
    just keep kid kind king kitchen knew know lady land language large last late laugh lay lazy
    lead learn least leave left leg less let letter lie life light like line lion listen little
    live long look lose lot loud love low lucky lunch made main make man many map mark market
    matter may maybe me mean meet member middle might mile milk mind minute miss mom money
    month moon more morning mother mountain mouth move much music must my name near neck need
    never new news next nice night nine no noise none nor normal north nose not note nothing
    notice now number of off offer office often oh oil ok okay old on once one only open or
    order other our out outside over own page pain paint pair paper parent park part party pass
    past pay people perhaps person phone pick picture piece place plan plant play please point
    poor possible power pretty price probably pull push put quick quiet quite race rain raise
    ran rather reach read ready real really reason red remember rest rich ride right ring river
    road rock roll room round rule run sad safe said salt same sand save saw say school sea
    seat second see seem sell send sense sentence set seven several shall shape share she ship
    shirt shoe shop short should shout show side sign simple since sing sister sit six size
    skin sky sleep slow small smell smile snow so soft solve some someone something sometimes son
    song soon sorry sound south space speak special spend sport spring stand star start state
    station status stay step still stone stop store story straight strange street strong
    student study such sugar summer sun sure surprise sweet swim table tail take talk tall
    taste teach teacher team teeth tell ten test text than thank that the their them then there
    these they thing think third this those though thought three through throw time tired to
    today together told tomorrow too took top total touch toward town toy train travel tree
    trip trouble true try turn twice two type under until up upon us use usual very visit voice
    wait walk wall want war warm was wash watch water way we wear week weight well went were
    west what wheel when where which while white who whole whose why wide wife will win window
    winter wish with woman wonder word work world worry would write year yes yesterday yet you
    young your lol thanks thx yeah yep nope cool nice great awesome wow hmm ugh btw more cold
    harm hard bread stone stats stars state spring files paper
    """
)
# Words unsafe features read are matched as typed, and never turned into something else.
_PROTECTED = re.compile(
    r"(steal|hack|crack|kill|hurt|harm|bull|harass|threat|insult|spam|phish|bomb|weapon|virus|"
    r"malware|ransom|exploit|drug|suicid|die|dying|dead|death|jailbr|ignor|disregard|forget|"
    r"bypass|password|credential|cookie)"
)
_TARGET_SET = frozenset(_SPELLING_TARGETS)
_SUFFIXES = ("ing", "ed", "es", "s", "er", "ers", "ly", "est")


def _is_known(token: str) -> bool:
    if token in _COMMON_WORDS or token in _TARGET_SET:
        return True
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            stem = token[: -len(suffix)]
            candidates = (stem, stem + "e", stem[:-1] if stem[-1:] == stem[-2:-1] else stem)
            if any(c in _COMMON_WORDS or c in _TARGET_SET for c in candidates):
                return True
    return False


def _osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Levenshtein + adjacent swaps), capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _is_swap(a: str, b: str) -> bool:
    """Whether `a` is `b` with two adjacent letters swapped (``lsit`` / ``list``)."""
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


@lru_cache(maxsize=4096)
def _correct(token: str) -> str:
    """The spelling target `token` is a likely misspelling of, or `token` itself.

    One edit for words of up to six letters, two (keeping the first letter) from seven; targets
    of four letters or fewer are only reached by swapping two adjacent letters.
    """
    if len(token) < 4 or not token.isalpha() or _is_known(token) or _PROTECTED.match(token):
        return token
    limit = 1 if len(token) <= 6 else 2
    best: tuple[int, int, int, str] | None = None
    for word in _SPELLING_TARGETS:
        if len(word) <= 4:
            if _is_swap(token, word):
                return word
            continue
        distance = _osa_distance(token, word, limit)
        if distance <= limit and (distance == 1 or word[0] == token[0]):
            key = (distance, word[0] != token[0], abs(len(word) - len(token)), word)
            if best is None or key < best:
                best = key
    return best[3] if best else token


# --------------------------------------------------------------------------------------------
# 4-6. Scoring and decision
# --------------------------------------------------------------------------------------------


def _softmax(scores: Mapping[Intent, float]) -> dict[Intent, float]:
    top = max(scores.values())
    exps = {intent: math.exp(score - top) for intent, score in scores.items()}
    total = sum(exps.values())
    return {intent: value / total for intent, value in exps.items()}


def _evidence(
    prose: str, message: str, *, code: bool, use_model: bool = False
) -> tuple[dict[Intent, float], list[str]]:
    tokens = [_correct(token) for token in _normalise(prose)]
    text = " ".join(tokens)
    texts = {
        "prose": text,
        # Unsafe features also read the code: an injection can hide in a comment.
        "all": text if prose == message else " ".join(_correct(t) for t in _normalise(message)),
        "raw": unicodedata.normalize("NFKC", message).lower(),
    }
    evidence = dict.fromkeys(Intent, 0.0)
    fired: list[str] = []
    for feature in _FEATURES:
        source = "all" if feature.source == "prose" and feature.intent is Intent.UNSAFE else "prose"
        haystack = texts["raw"] if feature.source == "raw" else texts[source]
        if feature.pattern.search(haystack):
            evidence[feature.intent] += feature.weight
            fired.append(f"{feature.intent.value}:{feature.name}")

    # Interactions: a question is a concept question only when it is about Python (attached
    # code always is).
    mentions_python = code or (
        bool(_PYTHON_TERMS.search(text))
        and not (_OTHER_LANGUAGE.search(text) and "python" not in tokens)
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
    other_language = bool(_OTHER_LANGUAGE.search(text)) and "python" not in tokens
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
