"""Finding the lessons that answer a learner's question: a small BM25F index over the curriculum.

    from learnflow.retrieval import lesson_index

    hits = lesson_index().search("how do for loops work?", k=3)
    hits[0].lesson_id       # "control-flow.for-loops"
    hits[0].snippet         # the lesson sentence that best matches the question

Pure Python and deterministic (ties go to teaching order). Each lesson is scored with BM25F over
its fields — title and keywords boosted, then the explanation, the worked example and the common
mistakes — so a word in a lesson's title counts for more than the same word in a code sample.

Documents and questions go through the same analyser: lower-case, Python operators turned into
words (`//` → floordiv), dunder names kept whole (`__init__`), common abbreviations made canonical
(dict → dictionary, func → function), English stop words dropped (Python keywords such as `for`,
`in`, `is` or `not` never are) and a light suffix stemmer (loops, looping → loop). Questions get
more steps: the way learners wrap a question is rewritten away ("what is `__init__` *for*", "*the
point of* the with *keyword*", "the index *while* looping"), related terms are added at a lower
weight ("loop" also looks for `for` and `while`; `b = a` asks about aliasing), and a word no
lesson contains is corrected to its closest vocabulary word with difflib ("dictionery" →
dictionary), since learners type fast.

Scores are raw BM25 sums (higher is better, unbounded); callers that need a "nothing matches
well" cut-off compare `Hit.score` against a threshold tuned on labelled questions
(see `learnflow.evaluation.retrieval_eval`).

**Embeddings.** Built with an `Embedder` (`lesson_index()` uses the packaged model of
`learnflow.embeddings`), the index also splits every lesson into *sections* — a paragraph of
the explanation with the code it introduces, the worked example, each common mistake — and
embeds each one, prefixed with its lesson's title. A search then ranks sections by cosine
similarity to the question, and fuses the two rankings with reciprocal rank fusion: a lesson's
fused score is `BM25_WEIGHT/(RRF_K + BM25F rank) + EMBEDDING_WEIGHT/(RRF_K + rank of its best
section)`, plus `TITLE_WEIGHT/(RRF_K + 1)` when the question is (nearly) the lesson's short
name. Hits are ordered by the fused score and carry their best section and its `similarity`,
which the concepts agent uses (with `coverage`) to decide whether a lesson answers the question.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from keyword import kwlist
from typing import Literal

import numpy as np

from learnflow.curriculum import Catalog, Lesson, load_catalog
from learnflow.embeddings import Embedder, Vectors, default_embedder
from learnflow.errors import InvalidInput, NotFound

__all__ = [
    "FIELD_WEIGHTS",
    "RRF_K",
    "Hit",
    "LessonIndex",
    "QueryTerm",
    "Section",
    "TermKind",
    "analyze",
    "analyze_query",
    "lesson_index",
]

# --- the analyser ------------------------------------------------------------------------------

#: Words that carry no topic in a learner's question. Python keywords and builtins are never here.
_STOP_WORDS_TEXT = """
    a about actually again also am an any anyone anything are at be been being but by can cant
    could did didnt do does doesnt doing done dont down each explain explained explaining get
    gets getting go goes going got had has have having he her here him his how hi hello hey i
    id ill im into it its ive just know let lets like me mean means meaning meant mine more myself
    most much my need needs of off oh ok okay on onto our out over please pls python
    program programming really same she should so some someone something stuff tell
    than thank thanks that thats the their them then there theres these they thing things this
    those through to too understand up us very vs versus want wanna was way ways we were yourself
    what whats when where which who whom why will would you your youre difference differences
    different between vs use uses used using work works working make makes making happen
    happens exactly basically simple simply question statement statements
"""
_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

#: Abbreviations and spelling variants, mapped before stemming (both documents and questions).
_CANONICAL = {
    "dict": "dictionary",
    "dicts": "dictionary",
    "func": "function",
    "funcs": "function",
    "fn": "function",
    "def": "def",
    "var": "variable",
    "vars": "variable",
    "obj": "object",
    "objs": "object",
    "attr": "attribute",
    "attrs": "attribute",
    "str": "string",
    "strs": "string",
    "int": "integer",
    "ints": "integer",
    "bool": "boolean",
    "bools": "boolean",
    "param": "parameter",
    "params": "parameter",
    "elseif": "elif",
    "elsif": "elif",
    "err": "error",
    "errs": "error",
    "virtualenv": "venv",
    "virtualenvs": "venv",
    "pip3": "pip",
    "python3": "python",
    "conversion": "convert",
    "conversions": "convert",
    "inheritance": "inherit",
    "exceptions": "exception",
    # other languages' word for `raise`
    "throw": "raise",
    "throws": "raise",
    "throwing": "raise",
    "thrown": "raise",
    "args": "args",
    "kwargs": "kwargs",
}

#: Related terms a question also looks for, at `RELATED_WEIGHT` (raw words, analysed on use).
_RELATED: Mapping[str, tuple[str, ...]] = {
    "loop": ("for", "while", "iterate"),
    "iterate": ("loop", "for"),
    "repeat": ("loop", "for", "while"),
    "error": ("exception",),
    "exception": ("error",),
    "throw": ("raise",),
    "catch": ("except", "try"),
    "handle": ("except", "try"),
    "crash": ("exception", "except"),
    "array": ("list",),
    "constructor": ("__init__", "init"),
    "parent": ("inherit",),
    "child": ("inherit",),
    "subclass": ("inherit",),
    "install": ("pip", "package"),
    "package": ("pip", "install"),
    "library": ("module", "import", "package"),
    "virtual": ("venv",),
    "environment": ("venv",),
    "env": ("environment", "venv"),
    "web": ("api", "http"),
    "website": ("api", "http"),
    "internet": ("api", "http"),
    "http": ("api",),
    "url": ("api", "http"),
    "request": ("api", "http"),
    "spreadsheet": ("csv",),
    "excel": ("csv",),
    "folder": ("directory", "path"),
    "directory": ("folder", "path"),
    "bug": ("debug",),
    "debugger": ("pdb", "debug"),
    "breakpoint": ("pdb", "debug"),
    "decimal": ("float",),
    "whole": ("integer",),
    "text": ("string",),
    "keyboard": ("input",),
    "ask": ("input",),
    "display": ("print",),
    "output": ("print",),
    "unique": ("set",),
    "duplicate": ("set",),
    "hashmap": ("dictionary",),
    "traceback": ("exception",),
    "instance": ("object",),
    "condition": ("if",),
}
RELATED_WEIGHT = 0.4
TYPO_WEIGHT = 0.8
_TYPO_CUTOFF = 0.8

#: Phrases rewritten before tokenising (documents and questions).
_PHRASES = (
    (re.compile(r"\belse\s+if\b"), " elif "),
    # `for` and `while` are also English words ("for example"), so the keyword alone carries no
    # weight; the construct, written as one token, does.
    (re.compile(r"\bfor[\s-]*(?:each\s+)?loops?\b"), " forloop loop "),
    (re.compile(r"\bwhile[\s-]*loops?\b"), " whileloop loop "),
    (re.compile(r"\bf[\s-]?strings?\b"), " fstring "),
)
#: Phrases that add terms to a question (e.g. "in one line" is how learners ask for comprehensions).
_QUERY_PHRASES = (
    (re.compile(r"\b(?:one|single)[\s-]*(?:line|liner)s?\b"), ("comprehension",)),
    (re.compile(r"\bstatus\s+codes?\b"), ("status", "http")),
    # one name assigned to another ("after b = a"): two names for one object. Not a keyword
    # argument ("key=len"), an unpacking ("x, y = point") or a literal ("x = None").
    (
        re.compile(
            r"(?<!,)(?<!, )\b[a-z_]\w* = (?!(?:none|true|false)\b)[a-z_]\w*\b(?!\s*[(.\[,])"
        ),
        ("alias",),
    ),
)
_PYTHON_KEYWORDS = "|".join(sorted((k.lower() for k in kwlist), key=len, reverse=True))
#: How learners wrap a question, rewritten away before the question is analysed (questions only).
_QUERY_REWRITES = (
    # "what's the point of the with keyword": the point of X is asking about X
    (re.compile(r"\bthe\s+point\s+(?:of|in)\b"), " "),
    # "the with keyword", "the 'global' keyword": the keyword is the topic, not the word keyword
    (re.compile(rf"\b({_PYTHON_KEYWORDS})(['\"`]?)\s+keywords?\b"), r"\1\2 "),
    # "the index while looping": the English `while`, not the loop (`while running:` is code)
    (re.compile(r"\bwhile\s+(?=[a-z]+ing\b(?!\s*:))"), " "),
    # "what is __init__ for", "what's a lambda good for": `for` ends the question, not a loop
    # ("what is the difference between while and for" keeps it: more than three words, or `and`)
    (
        re.compile(
            r"^\s*(what(?:'s|\s+is|\s+are)\s+(?!(?:\S+\s+){0,2}?(?:and|or|vs|versus|than|instead)\b)"
            r"(?:\S+\s+){0,2}?\S+)\s+(?:used\s+|good\s+)?for\s*[?!.]*\s*$"
        ),
        r"\1",
    ),
)
#: Operators that would otherwise vanish with the punctuation.
_SYMBOLS = (
    (re.compile(r"://"), " "),
    (re.compile(r"//"), " floordiv "),
    (re.compile(r"(?<=[\w)\]]) \*\* (?=[\w(])|(?<=[\w)\]])\*\*(?=[\w(])"), " power "),
    (re.compile(r"%"), " modulo "),
    (re.compile(r"=="), " equality "),
    (re.compile(r"!="), " notequal "),
    (re.compile(r"(?<=\s)/(?=\s)"), " divide "),
)
_WORD = re.compile(r"\d+\.\d+|[a-z0-9_]+")
_UNDOUBLE = frozenset("bgmnprt")
#: Words whose stem would collide with a Python type name ("settings" is not about sets).
_UNSTEMMED = frozenset({"setting", "settings", "listing", "listings"})


def _stem(word: str) -> str:
    """A light suffix stemmer: plurals, -ing, -ed, -ation and a final e (make, making → mak)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word in _UNSTEMMED:
        return word.removesuffix("s")
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) > 4:
        word = _undouble(word[:-2])
    if word.endswith("ation") and len(word) > 7:
        word = word[:-5] + "ate"
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    if len(word) > 2 and word[-1] == word[-2] and word[-1] in _UNDOUBLE:
        return word[:-1]
    return word


_LETTERS = re.compile(r"[A-Za-z]+")
#: Keywords that are also the glue of a question ("what *is* a set *in* python"): they do not
#: stop a question from being just a lesson's name.
_QUESTION_FILLER = frozenset({"is", "in"})


def _raw_words(text: str) -> list[str]:
    """Lower-cased words and operator tokens, before stop words, canonical forms and stemming."""
    text = text.lower().replace("`", " ")
    for pattern, replacement in (*_PHRASES, *_SYMBOLS):
        text = pattern.sub(replacement, text)
    words: list[str] = []
    for token in _WORD.findall(text):
        if token.startswith("__") and token.endswith("__") and len(token) > 4:
            words.append(token)  # a dunder name stays whole: __init__, __name__, __str__
            continue
        words += [part for part in token.split("_") if len(part) > 1]
    return words


def _term(word: str) -> str | None:
    """The index term for one raw word, or None for a stop word."""
    if word.startswith("__"):
        return word
    word = _CANONICAL.get(word, word)
    if word in _STOP_WORDS:
        return None
    return _stem(word)


_RELATED_BY_TERM: Mapping[str, tuple[str, ...]] = {
    term: related for word, related in _RELATED.items() if (term := _term(word)) is not None
}


def analyze(text: str) -> list[str]:
    """The index terms of `text`, in order (what documents are made of)."""
    return [term for word in _raw_words(text) if (term := _term(word)) is not None]


TermKind = Literal["word", "typo", "related", "phrase"]


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One term of an analysed question.

    `kind` says where it came from: a question `word`, a `typo` correction of one, a `related`
    term added for one, or a `phrase` of the question; `source` is that question word or phrase.
    """

    term: str
    weight: float
    source: str
    kind: TermKind = "word"


def analyze_query(
    question: str,
    vocabulary: Mapping[str, str] | None = None,
    is_word: Callable[[str], bool] | None = None,
) -> list[QueryTerm]:
    """The weighted terms of a question (see the module docstring), in question order.

    `vocabulary` maps raw document words to their terms; with it, a word whose term no lesson
    contains is corrected to the closest vocabulary word (typo tolerance), unless `is_word` says
    it is a real word ("linked" is not a typo of "line"). A term may appear more than once (say,
    as a word and as a related term); it counts once, with its highest weight.
    """
    terms: list[QueryTerm] = []
    known_terms = frozenset(vocabulary.values()) if vocabulary else frozenset()
    for word in _raw_words(_unwrapped(question)):
        term = _term(word)
        if term is None:
            continue
        kind: TermKind = "word"
        if (
            vocabulary is not None
            and term not in known_terms
            and not (is_word is not None and is_word(word))
        ):
            corrected = _correct(word, vocabulary)
            if corrected is not None:
                term, kind = _term(corrected), "typo"
                if term is None:
                    continue  # a misspelt stop word ("somthing")
        terms.append(QueryTerm(term, TYPO_WEIGHT if kind == "typo" else 1.0, word, kind))
        terms += [
            QueryTerm(related, RELATED_WEIGHT, word, "related")
            for extra in _RELATED_BY_TERM.get(term, ())
            if (related := _term(extra)) is not None
        ]
    lowered = question.lower()
    for pattern, extras in _QUERY_PHRASES:
        if match := pattern.search(lowered):
            terms += [
                QueryTerm(term, RELATED_WEIGHT * 2, match.group(0), "phrase")
                for extra in extras
                if (term := _term(extra)) is not None
            ]
    return terms


def _unwrapped(question: str) -> str:
    """The question without the wrapping of `_QUERY_REWRITES` (lower-cased)."""
    text = question.lower()
    for pattern, replacement in _QUERY_REWRITES:
        text = pattern.sub(replacement, text)
    return text


def _correct(word: str, vocabulary: Mapping[str, str]) -> str | None:
    """The vocabulary word closest to a misspelt `word`, or None when none is close enough.

    Candidates share the first letter and differ in length by at most one letter (two for words
    longer than five): learners' typos drop, double or swap letters, and rarely get the first one
    wrong; short words need the tighter rule or "bake" becomes "basket".
    """
    if len(word) < 4 or not word.isalpha():
        return None
    slack = 1 if len(word) <= 5 else 2
    candidates = [
        known
        for known in (*vocabulary, *_STOP_WORDS)
        if known[0] == word[0] and abs(len(known) - len(word)) <= slack
    ]
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=_TYPO_CUTOFF)
    return match[0] if match else None


# --- the index ---------------------------------------------------------------------------------

#: Field → (weight, length normalisation b). Title and keywords are what a lesson is *about*.
FIELD_WEIGHTS: Mapping[str, tuple[float, float]] = {
    "title": (3.0, 0.3),
    "keywords": (2.5, 0.3),
    "explanation": (1.0, 0.75),
    "worked_example": (0.5, 0.75),
    "common_mistakes": (0.5, 0.75),
}
_K1 = 1.2
#: In `Hit.coverage` a bare number ("from 10 to 1") is an example, not a topic: it is left out.
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z`*(\"'])")
_SNIPPET_CHARS = 220


def _fields(lesson: Lesson) -> dict[str, str]:
    return {
        "title": lesson.title,
        "keywords": " ; ".join(lesson.keywords),
        "explanation": lesson.explanation,
        "worked_example": lesson.worked_example,
        "common_mistakes": lesson.common_mistakes,
    }


def _sentences(lesson: Lesson) -> list[str]:
    """The lesson's prose sentences (code blocks and tables left out), explanation first."""
    sentences: list[str] = []
    for section in (lesson.explanation, lesson.worked_example, lesson.common_mistakes):
        prose = _CODE_BLOCK.sub("\n\n", section)
        for paragraph in re.split(r"\n\s*\n", prose):
            lines = [line for line in paragraph.splitlines() if not line.lstrip().startswith("|")]
            text = " ".join(line.strip() for line in lines).strip()
            text = text.replace("**", "")  # bold; `__init__` and friends stay as they are
            if len(text) > 20:
                sentences += [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    return sentences


def _shorten(text: str, limit: int = _SNIPPET_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + " …"


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: a lesson, its BM25F score and the sentence that best matches.

    `coverage` (0–1) is the share of the question's content — its words weighted by how rare they
    are, a word no lesson has counting as rare — that this lesson contains (a related term counts
    half). A high score with a low coverage means one lucky word matched: "sql join tables"
    matches "join" in the paths lesson and nothing else.
    """

    lesson_id: str
    score: float
    snippet: str
    coverage: float = 1.0
    #: Cosine similarity of the question to the lesson's best section (0 without embeddings).
    similarity: float = 0.0
    #: That section's label, e.g. "explanation 2" or "common mistake 1" ("" without embeddings).
    section: str = ""
    #: The reciprocal-rank-fusion score the hits are ordered by (the BM25F score without
    #: embeddings).
    fused: float = 0.0
    #: Whether the question is (nearly) just this lesson's name ("what is a set in python").
    named: bool = False
    #: The lesson keyword phrase the question contains, if it is among the longest any lesson
    #: matched ("is instead of ==", "0.1 + 0.2", "float"); "" otherwise.
    keyword: str = ""
    #: Whether that phrase decides the topic: it is the whole question ("what is a float"), or
    #: it has two or more words or is an operator symbol and the lesson has the question's other
    #: words but at most one; a single word among others ("numpy arrays") never decides.
    keyword_decisive: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """A part of a lesson the index embeds: a label, its text (Markdown) and its lesson."""

    lesson_id: str
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class _Doc:
    lesson: Lesson
    position: int
    field_counts: Mapping[str, Counter[str]]
    field_lengths: Mapping[str, int]
    terms: frozenset[str]
    sentences: tuple[tuple[str, frozenset[str]], ...]
    #: Each keyword phrase of the lesson as (its text, its terms without question glue).
    keyword_terms: tuple[tuple[str, frozenset[str]], ...] = ()

    @property
    def title_terms(self) -> frozenset[str]:
        """The terms of the lesson's short name, its id's slug ("while-loops")."""
        return frozenset(analyze(self.lesson.id.split(".", 1)[-1].replace("-", " ")))


class LessonIndex:
    """A BM25F index over a catalog's lessons. Build with `LessonIndex.build(catalog)`."""

    def __init__(
        self,
        catalog: Catalog,
        docs: Sequence[_Doc],
        document_frequency: Mapping[str, int],
        average_lengths: Mapping[str, float],
        vocabulary: Mapping[str, str],
        embedder: Embedder | None = None,
    ) -> None:
        self.catalog = catalog
        self._docs = tuple(docs)
        self._by_id = {doc.lesson.id: doc for doc in self._docs}
        self._df = dict(document_frequency)
        self._average = dict(average_lengths)
        self._vocabulary = dict(vocabulary)
        self.embedder = embedder
        self.sections: tuple[Section, ...] = tuple(
            section for doc in self._docs for section in lesson_sections(doc.lesson)
        )
        self._section_vectors: Vectors | None = None

    def _is_word(self, word: str) -> bool:
        """Whether `word`, or its stem before an -s/-ed/-ing ending, is a word the embedding model
        knows whole ("linked", "invented"): a real word, not a typo to correct."""
        if self.embedder is None:
            return False
        stems = [word] + [
            word[: -len(ending)] + extra
            for ending in ("s", "ed", "ing")
            if word.endswith(ending) and len(word) - len(ending) >= 3
            for extra in ("", "e")
        ]
        return any(self.embedder.knows_word(stem) for stem in stems)

    @classmethod
    def build(cls, catalog: Catalog, embedder: Embedder | None = None) -> LessonIndex:
        """Index every lesson of `catalog` (in teaching order); with `embedder`, its sections
        are embedded too (see the module docstring)."""
        docs: list[_Doc] = []
        df: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        vocabulary: dict[str, str] = {}
        for position, lesson in enumerate(catalog.lessons):
            counts: dict[str, Counter[str]] = {}
            lengths: dict[str, int] = {}
            for name, text in _fields(lesson).items():
                for word in _raw_words(text):
                    term = _term(word)
                    if term is not None and word.isalpha():
                        vocabulary.setdefault(word, term)
                field_terms = analyze(text)
                counts[name] = Counter(field_terms)
                lengths[name] = len(field_terms)
                totals[name] += len(field_terms)
            sentences = tuple((s, frozenset(analyze(s))) for s in _sentences(lesson))
            df.update({term for counter in counts.values() for term in counter})
            terms = frozenset(term for counter in counts.values() for term in counter)
            keyword_terms = tuple(
                (str(keyword), kw_terms)
                for keyword in lesson.keywords
                # a call ("float()") names the function: it is matched by the words, not here
                if "(" not in keyword
                and (kw_terms := frozenset(analyze(keyword)) - _QUESTION_FILLER)
            )
            docs.append(_Doc(lesson, position, counts, lengths, terms, sentences, keyword_terms))
        count = max(len(docs), 1)
        average = {name: max(totals[name] / count, 1.0) for name in FIELD_WEIGHTS}
        return cls(catalog, docs, df, average, vocabulary, embedder)

    # --- look-ups --------------------------------------------------------------------------

    @property
    def lesson_ids(self) -> tuple[str, ...]:
        return tuple(doc.lesson.id for doc in self._docs)

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, lesson_id: object) -> bool:
        return lesson_id in self._by_id

    def lesson(self, lesson_id: str) -> Lesson:
        """The indexed lesson `lesson_id`; `NotFound` (with the known ids' count) otherwise."""
        try:
            return self._by_id[lesson_id].lesson
        except KeyError:
            raise NotFound(
                f"no lesson {lesson_id!r} in the curriculum ({len(self._docs)} lessons indexed); "
                "search the lessons to find an id"
            ) from None

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of an (analysed) term; 0 for a term in no lesson."""
        n = self._df.get(term, 0)
        if n == 0:
            return 0.0
        return math.log(1 + (len(self._docs) - n + 0.5) / (n + 0.5))

    # --- search ----------------------------------------------------------------------------

    def query_terms(self, query: str) -> list[QueryTerm]:
        """How `query` is analysed against this index (for debugging and explanations)."""
        return analyze_query(query, self._vocabulary, self._is_word)

    def spell_corrected(self, query: str) -> str:
        """`query` with each word no lesson contains replaced by its typo correction, if any.

        The embedding model reads "dictionery in pyhton" as unknown tokens, so the question's
        meaning is embedded from the corrected words (the same corrections BM25 uses).
        """
        known = frozenset(self._vocabulary.values())

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            term = _term(word.lower())
            if term is None or term in known or self._is_word(word.lower()):
                return word
            return _correct(word.lower(), self._vocabulary) or word

        return _LETTERS.sub(fix, query)

    def search(self, query: str, k: int = 3) -> list[Hit]:
        """The `k` best lessons for `query`, best first; only lessons that match at all.

        Raises `InvalidInput` for `k < 1`. A query with no known word and no embedder returns
        `[]`.
        """
        if k < 1:
            raise InvalidInput(f"k must be at least 1 (got {k})")
        terms = self.query_terms(query)
        weights: dict[str, float] = {}
        for t in terms:
            if self._df.get(t.term):
                weights[t.term] = max(weights.get(t.term, 0.0), t.weight)
        bm25 = {doc.lesson.id: self._score(doc, weights) for doc in self._docs} if weights else {}
        ranked = sorted(
            (doc for doc in self._docs if bm25.get(doc.lesson.id, 0.0) > 0),
            key=lambda doc: (-bm25[doc.lesson.id], doc.position),
        )
        best_sections = (
            self._best_sections(self.spell_corrected(query)) if self.embedder is not None else {}
        )
        if not best_sections:
            return [
                Hit(
                    doc.lesson.id,
                    round(bm25[doc.lesson.id], 4),
                    self._snippet(doc, weights),
                    round(self._coverage(doc, terms), 4),
                    fused=round(bm25[doc.lesson.id], 4),
                )
                for doc in ranked[:k]
            ]
        bm25_rank = {doc.lesson.id: rank for rank, doc in enumerate(ranked, start=1)}
        by_similarity = sorted(
            self._docs, key=lambda doc: (-best_sections[doc.lesson.id][0], doc.position)
        )
        embedding_rank = {doc.lesson.id: rank for rank, doc in enumerate(by_similarity, start=1)}
        fused = {
            doc.lesson.id: EMBEDDING_WEIGHT / (RRF_K + embedding_rank[doc.lesson.id])
            + (
                BM25_WEIGHT / (RRF_K + bm25_rank[doc.lesson.id])
                if doc.lesson.id in bm25_rank
                else 0.0
            )
            for doc in self._docs
        }
        asked = {t.term for t in terms if t.kind in ("word", "typo")}
        # the question is (nearly) just a lesson's title ("what is a while loop"): the longest
        # such title wins
        named = [
            doc
            for doc in self._docs
            if doc.title_terms
            and doc.title_terms <= asked
            and len(asked - doc.title_terms - _QUESTION_FILLER) <= 1
        ]
        longest = max((len(doc.title_terms) for doc in named), default=0)
        named_ids = {doc.lesson.id for doc in named if len(doc.title_terms) == longest}
        for lesson_id in named_ids:
            fused[lesson_id] += TITLE_WEIGHT / (RRF_K + 1)
        # the question contains one of a lesson's keyword phrases ("is instead of ==",
        # "0.1 + 0.2"): the lessons with the longest such phrase rank as if first in one more list
        phrases = {doc.lesson.id: _keyword_in(doc, asked) for doc in self._docs}
        # among equally long phrases the most specific (rarest words) wins: "with its
        # positions" is about `position in a loop`, not the generic `loop over a list`
        rank = {
            lesson_id: (len(terms), round(sum(self.idf(t) for t in terms), 6))
            for lesson_id, (_, terms) in phrases.items()
        }
        most = max(rank.values(), default=(0, 0.0))
        keyword_ids = {lesson_id for lesson_id, value in rank.items() if most[0] and value == most}
        for lesson_id in keyword_ids:
            fused[lesson_id] += KEYWORD_WEIGHT / (RRF_K + 1)
        order = sorted(
            self._docs,
            key=lambda doc: (-fused[doc.lesson.id], -bm25.get(doc.lesson.id, 0.0), doc.position),
        )
        hits = []
        for doc in order[:k]:
            similarity, section = best_sections[doc.lesson.id]
            snippet = (
                self._snippet(doc, weights)
                if bm25.get(doc.lesson.id)
                else _shorten(_first_sentence(section.text))
            )
            hits.append(
                Hit(
                    doc.lesson.id,
                    round(bm25.get(doc.lesson.id, 0.0), 4),
                    snippet,
                    round(self._coverage(doc, terms), 4),
                    similarity=round(similarity, 4),
                    section=section.label,
                    fused=round(fused[doc.lesson.id], 6),
                    # exactly the lesson's name, no extra word ("what is a *linked* list" is not)
                    named=doc.lesson.id in named_ids
                    and not asked - doc.title_terms - _QUESTION_FILLER,
                    keyword=phrases[doc.lesson.id][0] if doc.lesson.id in keyword_ids else "",
                    keyword_decisive=doc.lesson.id in keyword_ids
                    and _decisive(doc, *phrases[doc.lesson.id], asked),
                )
            )
        return hits

    def section_vectors(self) -> Vectors:
        """The embeddings of `sections` (computed on first use)."""
        if self.embedder is None:
            raise InvalidInput("this index was built without an embedder")
        if self._section_vectors is None:
            texts = [f"{self.lesson(s.lesson_id).title}: {_plain(s.text)}" for s in self.sections]
            self._section_vectors = self.embedder.embed(texts)
        return self._section_vectors

    def _best_sections(self, query: str) -> dict[str, tuple[float, Section]]:
        """Per lesson: (cosine similarity, section) of its section closest to `query`."""
        assert self.embedder is not None
        vectors = self.section_vectors()
        if not len(vectors) or not query.strip():
            return {}
        similarities = vectors @ self.embedder.embed([query])[0]
        best: dict[str, tuple[float, Section]] = {}
        for section, value in zip(self.sections, similarities.tolist(), strict=True):
            found = best.get(section.lesson_id)
            if found is None or value > found[0]:
                best[section.lesson_id] = (float(value), section)
        return best

    def closest_sections(self, query: str, k: int = 3) -> list[tuple[float, Section]]:
        """The `k` sections most similar to `query` (needs an embedder)."""
        assert self.embedder is not None
        vectors = self.section_vectors()
        similarities = vectors @ self.embedder.embed([query])[0]
        order = np.argsort(-similarities, kind="stable")[:k]
        return [(float(similarities[i]), self.sections[i]) for i in order]

    def _score(self, doc: _Doc, weights: Mapping[str, float]) -> float:
        total = 0.0
        for term, query_weight in weights.items():
            weighted_tf = 0.0
            for name, (weight, b) in FIELD_WEIGHTS.items():
                tf = doc.field_counts[name].get(term, 0)
                if tf:
                    norm = 1 - b + b * doc.field_lengths[name] / self._average[name]
                    weighted_tf += weight * tf / norm
            if weighted_tf:
                saturation = weighted_tf * (_K1 + 1) / (weighted_tf + _K1)
                total += query_weight * self.idf(term) * saturation
        return total

    def _coverage(self, doc: _Doc, terms: Sequence[QueryTerm]) -> float:
        """The idf-weighted share of the question's words found in `doc` (see `Hit.coverage`)."""
        rare = math.log(1 + (len(self._docs) - 0.5) / 1.5)  # the idf of a word in one lesson
        found: dict[str, float] = {}
        importance: dict[str, float] = {}
        for t in terms:
            if t.kind in ("word", "typo") and not _NUMBER.fullmatch(t.term):
                weight = self.idf(t.term) or rare
                importance[t.source] = max(importance.get(t.source, 0.0), weight)
                if t.term in doc.terms:
                    found[t.source] = 1.0
            elif t.kind == "related" and t.term in doc.terms:
                found[t.source] = max(found.get(t.source, 0.0), 0.5)
        total = sum(importance.values())
        if not total:
            return 0.0
        return sum(weight * found.get(source, 0.0) for source, weight in importance.items()) / total

    def _snippet(self, doc: _Doc, weights: Mapping[str, float]) -> str:
        """The lesson sentence sharing the most (idf-weighted) terms with the query."""
        best, best_score = "", 0.0
        for sentence, sentence_terms in doc.sentences:
            score = sum(
                weight * self.idf(term)
                for term, weight in weights.items()
                if term in sentence_terms
            )
            if score > best_score:
                best, best_score = sentence, score
        if not best:
            best = doc.sentences[0][0] if doc.sentences else doc.lesson.title
        return _shorten(best)


RRF_K = 60
#: A lesson keyword phrase in the question ranks the lesson as if first in one more list.
KEYWORD_WEIGHT = 1.0
BM25_WEIGHT = 1.5
EMBEDDING_WEIGHT = 1.0
#: A question that names a lesson's whole title ("what is a while loop") (its id's slug, e.g.
#: `while-loops`) ranks it as if it were first in one more list.
TITLE_WEIGHT = 1.0
_MIN_SECTION_CHARS = 200
_SECTION_CHARS = 1200
_MISTAKE = re.compile(r"^\*\*\s*\d+[.)]")


def _keyword_in(doc: _Doc, asked: frozenset[str] | set[str]) -> tuple[str, frozenset[str]]:
    """The longest of `doc`'s keyword phrases whose terms the question has, or ("", {}).

    A one-word phrase counts only when it is an operator symbol or the whole question: "what
    does the % sign do" names the `%` operator and "what is a float" the type, while "how do I
    use numpy arrays" is not about lists nor "make a string uppercase" about data types.
    """
    best: tuple[str, frozenset[str]] = ("", frozenset())
    for keyword, terms in doc.keyword_terms:
        if not terms <= asked or len(terms) <= len(best[1]):
            continue
        if len(terms) == 1 and not _decisive(doc, keyword, terms, asked):
            continue
        best = (keyword, terms)
    return best


def _decisive(
    doc: _Doc, keyword: str, terms: frozenset[str], asked: frozenset[str] | set[str]
) -> bool:
    """Whether a matched keyword phrase settles the topic (see `Hit.keyword_decisive`): the
    question is just the phrase, or the phrase has two or more words or is an operator symbol
    and at most one other content word of the question is missing from the lesson ("a context
    manager *protocol* with *__enter__*" asks for more than the lesson has)."""
    others = asked - terms - _QUESTION_FILLER
    if not others:
        return True
    missing = [t for t in others if t not in doc.terms and not _NUMBER.fullmatch(t)]
    symbol = not any(ch.isalpha() for ch in keyword)
    return (len(terms) >= 2 or symbol) and len(missing) <= 1


def _plain(markdown: str) -> str:
    """Markdown without fences, tables' rules and emphasis marks (what the embedder reads)."""
    text = re.sub(r"```[\w-]*", " ", markdown)
    text = re.sub(r"^\s*\|?[-:| ]+\|?\s*$", " ", text, flags=re.M)
    return re.sub(r"\s+", " ", text.replace("**", "").replace("`", "")).strip()[:_SECTION_CHARS]


def _first_sentence(markdown: str) -> str:
    prose = _CODE_BLOCK.sub(" ", markdown).replace("**", "")
    return re.split(r"(?<=[.!?])\s", " ".join(prose.split()), maxsplit=1)[0]


def _paragraphs(markdown: str) -> list[str]:
    """Blank-line separated blocks, a fenced code block kept whole with the text before it."""
    blocks: list[str] = []
    current: list[str] = []
    in_code = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if not line.strip() and not in_code:
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    merged: list[str] = []
    for block in blocks:
        if merged and (block.lstrip().startswith("```") or block.lstrip().startswith("|")):
            merged[-1] += "\n\n" + block
        else:
            merged.append(block)
    return merged


def lesson_sections(lesson: Lesson) -> list[Section]:
    """A lesson cut into sections: explanation paragraphs (short ones merged with the next),
    the worked example, and each common mistake."""
    sections: list[Section] = []
    current = ""
    number = 0
    for paragraph in _paragraphs(lesson.explanation):
        current = f"{current}\n\n{paragraph}" if current else paragraph
        if len(_plain(current)) >= _MIN_SECTION_CHARS:
            number += 1
            sections.append(Section(lesson.id, f"explanation {number}", current))
            current = ""
    if current:
        number += 1
        sections.append(Section(lesson.id, f"explanation {number}", current))
    sections.append(Section(lesson.id, "worked example", lesson.worked_example))
    mistakes: list[str] = []
    for paragraph in _paragraphs(lesson.common_mistakes):
        if _MISTAKE.match(paragraph) or not mistakes:
            mistakes.append(paragraph)
        else:
            mistakes[-1] += "\n\n" + paragraph
    sections += [
        Section(lesson.id, f"common mistake {i}", text) for i, text in enumerate(mistakes, 1)
    ]
    return sections


@lru_cache(maxsize=1)
def lesson_index() -> LessonIndex:
    """The index over the packaged curriculum with the packaged embedding model, built once
    (`lesson_index.cache_clear()` resets)."""
    return LessonIndex.build(load_catalog(), default_embedder())
