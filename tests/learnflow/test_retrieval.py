"""The lesson index: analyser, BM25F ranking, coverage, typo tolerance, determinism."""

from __future__ import annotations

from pathlib import Path

import pytest

from learnflow.curriculum import Catalog, Lesson, Module
from learnflow.errors import InvalidInput, NotFound
from learnflow.retrieval import Hit, LessonIndex, analyze, analyze_query, lesson_index


def _lesson(lesson_id: str, title: str, keywords: tuple[str, ...], body: str) -> Lesson:
    return Lesson(
        id=lesson_id,
        module=lesson_id.split(".")[0],
        title=title,
        keywords=keywords,
        explanation=body,
        worked_example="```python\nprint('example')\n```",
        common_mistakes="**1. A mistake.** Something that goes wrong.",
    )


LESSONS = (
    _lesson(
        "loops.for",
        "For loops",
        ("for", "for loop", "iterate", "range"),
        "A for loop runs its block once for each item of a sequence. "
        "Use range() to count: for n in range(3) gives 0, 1 and 2.",
    ),
    _lesson(
        "loops.while",
        "While loops",
        ("while", "while loop", "condition", "infinite loop"),
        "A while loop repeats as long as its condition is true, for example while x < 3.",
    ),
    _lesson(
        "data.dicts",
        "Dictionaries",
        ("dict", "dictionary", "key", "value", "KeyError"),
        "A dictionary maps keys to values. Reading a missing key raises a KeyError.",
    ),
    _lesson(
        "data.sets",
        "Sets",
        ("set", "unique", "duplicates"),
        "A set keeps each value once, so it removes duplicates. Sets are unordered.",
    ),
    _lesson(
        "maths.operators",
        "Operators",
        ("operator", "modulo", "//", "%", "floor division", "power"),
        "`7 // 2` is floor division and gives 3; `7 % 2` is the remainder 1; `2 ** 3` is 8.",
    ),
    _lesson(
        "classes.init",
        "Classes",
        ("class", "object", "__init__", "constructor"),
        "`__init__` runs when you create an object of a class and sets up its attributes.",
    ),
)


def _catalog(lessons: tuple[Lesson, ...] = LESSONS) -> Catalog:
    modules = sorted({lesson.module for lesson in lessons})
    return Catalog(
        root=Path("/nonexistent"),
        module_ids=tuple(modules),
        modules=tuple(
            Module(
                id=m,
                number=i + 1,
                title=m.title(),
                summary="s",
                lessons=tuple(x.id for x in lessons if x.module == m),
                exercises=(),
            )
            for i, m in enumerate(modules)
        ),
        lessons=lessons,
    )


@pytest.fixture(scope="module")
def index() -> LessonIndex:
    return LessonIndex.build(_catalog())


# --- the analyser ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Loops looping looped", ["loop", "loop", "loop"]),
        ("dictionaries dict dicts", ["dictionary", "dictionary", "dictionary"]),
        ("func functions", ["function", "function"]),
        ("taking take", ["tak", "tak"]),
        ("7 // 2 and 7 % 2", ["floordiv", "and", "modulo"]),
        ("x ** 2 but **bold** text", ["power", "bold", "text"]),
        ("__init__ and __str__", ["__init__", "and", "__str__"]),
        ("an f-string, f strings, fstring, if strings", ["fstr", "fstr", "fstr", "if", "str"]),
        ("else if", ["elif"]),
        ("how do for loops work", ["forloop", "loop"]),
        ("settings is not set", ["setting", "is", "not", "set"]),
        ("https://example.com/api", ["http", "exampl", "com", "api"]),
    ],
)
def test_analyze_normalises_python_words(text: str, expected: list[str]) -> None:
    assert analyze(text) == expected


def test_python_keywords_are_never_stop_words() -> None:
    words = "for while if in is not and or with as from return class try except import"
    assert len(analyze(words)) == len(words.split())


def test_query_adds_related_terms_at_a_lower_weight() -> None:
    terms = analyze_query("loop")
    by_term = {t.term: t for t in terms}
    assert by_term["loop"].weight == 1.0
    assert by_term["for"].kind == "related" and by_term["for"].weight < 1.0
    assert "whil" in by_term


def test_query_phrase_in_one_line_asks_for_comprehensions() -> None:
    assert "comprehension" in {t.term for t in analyze_query("squares in one line")}


def _words(question: str) -> list[str]:
    return [t.term for t in analyze_query(question) if t.kind == "word"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # a question's wrapping is not its topic
        ("what is __init__ for", ["is", "__init__"]),
        ("what's a lambda good for", ["lambda"]),
        ("what's the point of the with keyword", ["with"]),
        ("what does the 'global' keyword do", ["global"]),
        ("the index while looping over a list", ["index", "loop", "list"]),
        # ... but the loops and the word "keyword" stay when they are the topic
        ("what is the difference between while and for", ["is", "whil", "and", "for"]),
        ("while running: print(total)", ["whil", "run", "print", "total"]),
        ("how do keyword arguments work", ["keyword", "argument"]),
    ],
)
def test_question_wrapping_is_rewritten_away(question: str, expected: list[str]) -> None:
    assert _words(question)[: len(expected)] == expected


@pytest.mark.parametrize(
    ("question", "alias"),
    [
        ("why did changing b also change a after b = a", True),
        ("how does unpacking work like x, y = point", False),
        ("what does key= do in sorted", False),
        ("why is x = None", False),
        ("what does total = add(2, 3) give", False),
    ],
)
def test_one_name_assigned_to_another_asks_about_aliasing(question: str, alias: bool) -> None:
    phrases = {t.term for t in analyze_query(question) if t.kind == "phrase"}
    assert ("alia" in phrases) is alias


def test_typos_are_corrected_against_the_vocabulary(index: LessonIndex) -> None:
    terms = {t.term: t for t in index.query_terms("dictionery")}
    assert terms["dictionary"].kind == "typo"
    assert index.search("what is a dictionery")[0].lesson_id == "data.dicts"


def test_a_word_the_embedding_model_knows_whole_is_not_a_typo() -> None:
    # regression: "what is a linked list" was corrected to "line list" and answered from a lesson
    vocabulary = {"line": "lin", "list": "list", "dictionary": "dictionary"}
    real_words = {"linked"}.__contains__
    terms = analyze_query("linked list dictionery", vocabulary, real_words)
    assert [(t.term, t.kind) for t in terms] == [
        ("link", "word"),
        ("list", "word"),
        ("dictionary", "typo"),
    ]


def test_the_packaged_index_keeps_known_words_and_corrects_typos() -> None:
    index = lesson_index()
    assert index.spell_corrected("what is a linked list") == "what is a linked list"
    assert index.spell_corrected("what is a dictionery in pyhton") == (
        "what is a dictionary in python"
    )


def test_short_words_are_not_stretched_into_other_words(index: LessonIndex) -> None:
    # "bake" must not become "basket"-like words two letters longer: length slack is 1 for short
    # words, and a correction keeps the first letter.
    assert [t.kind for t in index.query_terms("bake")] == ["word"]


# --- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "lesson_id"),
    [
        ("How do for loops work?", "loops.for"),
        ("how to repeat while a condition is true", "loops.while"),
        ("I get a KeyError reading my dict", "data.dicts"),
        ("how do I remove duplicates", "data.sets"),
        ("what does // do", "maths.operators"),
        ("what is __init__ for", "classes.init"),
    ],
)
def test_search_ranks_the_answering_lesson_first(
    index: LessonIndex, question: str, lesson_id: str
) -> None:
    assert index.search(question)[0].lesson_id == lesson_id


def test_title_and_keywords_outweigh_a_mention_in_the_text(index: LessonIndex) -> None:
    # "condition" is a keyword of the while lesson; for-loops never says it.
    assert index.search("condition")[0].lesson_id == "loops.while"


def test_hits_are_sorted_limited_and_carry_a_snippet_from_the_lesson(index: LessonIndex) -> None:
    hits = index.search("loop", k=2)
    assert len(hits) == 2
    assert hits[0].score >= hits[1].score
    assert all(isinstance(hit, Hit) for hit in hits)
    lesson = index.lesson(hits[0].lesson_id)
    assert hits[0].snippet.replace("…", "").strip(" .") in lesson.explanation.replace("**", "")


def test_the_snippet_is_the_sentence_that_matches(index: LessonIndex) -> None:
    hit = index.search("what happens when a key is missing")[0]
    assert hit.lesson_id == "data.dicts"
    assert "missing key raises a KeyError" in hit.snippet
    assert hit.coverage > 0.6


def test_snippets_keep_dunder_names(index: LessonIndex) -> None:
    # Regression: the markdown clean-up once stripped `__init__` to `init`.
    assert "`__init__` runs" in index.search("__init__")[0].snippet


def test_search_is_deterministic_and_ties_follow_teaching_order() -> None:
    twins = (
        _lesson("a.one", "Alpha", ("zebra",), "Zebra text."),
        _lesson("a.two", "Alpha", ("zebra",), "Zebra text."),
    )
    index = LessonIndex.build(_catalog(twins))
    first = index.search("zebra")
    assert [h.lesson_id for h in first] == ["a.one", "a.two"]
    assert first[0].score == first[1].score
    assert index.search("zebra") == first


def test_unmatched_questions_give_no_hits_or_a_low_coverage(index: LessonIndex) -> None:
    assert index.search("quantum physics") == []
    assert index.search("") == []
    # One lucky word out of several unknown ones is not a match.
    hits = index.search("sourdough bread recipe with a key ingredient")
    assert hits and hits[0].coverage < 0.6


def test_k_must_be_positive(index: LessonIndex) -> None:
    with pytest.raises(InvalidInput, match="k must be at least 1"):
        index.search("loop", k=0)


def test_lesson_lookup(index: LessonIndex) -> None:
    assert index.lesson("data.sets").title == "Sets"
    assert "data.sets" in index and "nope.nope" not in index
    assert len(index) == len(LESSONS)
    with pytest.raises(NotFound, match=r"no lesson 'nope\.nope'"):
        index.lesson("nope.nope")


# --- the packaged curriculum ------------------------------------------------------------------


def test_default_index_is_cached_and_covers_the_curriculum() -> None:
    assert lesson_index() is lesson_index()
    modules = {lesson_id.split(".")[0] for lesson_id in lesson_index().lesson_ids}
    assert {"basics", "control-flow", "data-structures", "functions"} <= modules


def test_acceptance_story_question_finds_the_for_loops_lesson() -> None:
    # design.md, step 2: Maya asks "How do for loops work in Python?"
    hits = lesson_index().search("How do for loops work in Python?")
    assert hits[0].lesson_id == "control-flow.for-loops"
    assert hits[0].coverage == 1.0


@pytest.mark.parametrize(
    ("question", "lesson_id", "decisive"),
    [
        ("what is a float", "basics.data-types", True),  # the whole question; not "float()"
        ("when should I use is instead of ==", "basics.identity-equality", True),
        ("what does the % sign do in python", "basics.operators", True),  # an operator symbol
        ("what is a context manager protocol with __enter__", "files.with-statement", False),
        # equally long phrases: the rarer words win ("position", not the generic "list")
        ("how do I loop over a list with its positions", "control-flow.enumerate-zip", True),
    ],
)
def test_a_keyword_phrase_in_the_question_ranks_its_lesson_first(
    question: str, lesson_id: str, decisive: bool
) -> None:
    top = lesson_index().search(question)[0]
    assert top.lesson_id == lesson_id and top.keyword
    assert top.keyword_decisive is decisive


def test_one_keyword_among_other_words_is_no_phrase_match() -> None:
    # "array" is a keyword of the lists lesson, but numpy arrays are not what it teaches
    assert not any(hit.keyword for hit in lesson_index().search("how do I use numpy arrays"))
