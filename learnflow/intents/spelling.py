"""Step 3, spelling correction: a misspelt word the features depend on becomes the right one.

Only a curated list of typo-prone words is a correction target (`_SPELLING_TARGETS`); everyday
words and their inflections are never changed, and neither are the words unsafe features read.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["correct"]


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
def correct(token: str) -> str:
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
