"""The review: a 0-100 quality score from three budgets, concrete comments, syntax errors."""

from __future__ import annotations

from tutor_agent.review import BUDGETS, review_code

GOOD = '''def word_count(text):
    """How often each word appears in `text`."""
    counts = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return counts
'''
MESSY = """def WordCount(Text, seen=[]):
    result=""
    for w in Text.split():
        if w in seen :
            pass
        seen.append(w)
        result += w
    try:
        x = 1
    except:
        pass
    return result
"""


def test_clean_code_scores_100() -> None:
    review = review_code(GOOD)
    assert review.score == 100
    assert review.category_scores == BUDGETS
    assert "nothing to flag" in review.text()


def test_problems_cost_points_in_their_category_and_are_explained() -> None:
    review = review_code(MESSY)
    assert 0 < review.score < 70
    assert review.category_scores["style"] < BUDGETS["style"]
    assert review.category_scores["efficiency"] < BUDGETS["efficiency"]
    text = review.text(limit=50)
    assert "bare `except:`" in text and "mutable default" in text
    assert "''.join" in text and "`word_count`" in text
    # most important first: a mutable default costs more than a missing space
    comments = review.comments
    assert comments.index(next(c for c in comments if "mutable" in c)) < comments.index(
        next(c for c in comments if "one space on each side" in c)
    )


def test_one_habit_repeated_cannot_sink_the_score() -> None:
    code = "".join(f"x{i}=1\n" for i in range(40))
    review = review_code(code)
    assert review.category_scores["style"] >= BUDGETS["style"] - 6
    assert review.score >= 90


def test_code_that_does_not_parse_scores_zero_with_the_error() -> None:
    review = review_code("def f(:\n    pass\n")
    assert review.score == 0
    assert review.syntax_error is not None and "line 1" in review.syntax_error
    assert "does not run yet" in review.text()


def test_empty_code_scores_zero() -> None:
    assert review_code("   \n").score == 0


def test_correctness_is_reported_beside_the_score_not_in_it() -> None:
    with_grade = review_code(GOOD, correctness="2 of 6 tests pass")
    assert with_grade.score == review_code(GOOD).score
    assert "Correctness: 2 of 6 tests pass" in with_grade.text()
    assert with_grade.to_dict()["correctness"] == "2 of 6 tests pass"
