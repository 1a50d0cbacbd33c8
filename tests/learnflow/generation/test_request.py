import pytest

from learnflow.errors import InvalidInput
from learnflow.generation import parse_request


@pytest.mark.parametrize(
    ("words", "topic", "difficulty", "count"),
    [
        ("Create easy exercises on list comprehensions", "list-comprehensions", "easy", 3),
        ("two harder for loop exercises", "for-loops", "hard", 2),
        ("4 medium exercises about dictionaries", "dictionaries", "medium", 4),
        ("an easy exercise on list comprehensions", "list-comprehensions", "easy", 1),
        ("a few challenging comprehension problems", "list-comprehensions", "hard", 3),
    ],
)
def test_plain_words_become_topic_difficulty_and_count(
    words: str, topic: str, difficulty: str, count: int
) -> None:
    wanted = parse_request(words)
    assert (wanted.topic, wanted.difficulty, wanted.count) == (topic, difficulty, count)


def test_a_request_without_a_known_topic_says_which_topics_exist() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_request("Create some nice exercises")
    assert "list comprehensions" in caught.value.message
    assert "for loops" in caught.value.message


def test_too_many_is_refused_with_the_limit() -> None:
    with pytest.raises(InvalidInput, match="1 to 5"):
        parse_request("40 exercises on for loops")
