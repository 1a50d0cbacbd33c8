"""Normalised tokens: formatting, comments and renamed variables do not hide a copy."""

from __future__ import annotations

from tutor_agent.similarity import Fingerprint, code_pieces, grams_of_texts, normalised_tokens

ORIGINAL = """def word_count(text):
    counts = {}
    for raw in text.split():
        counts[raw] = counts.get(raw, 0) + 1
    return counts
"""


def coverage(reference: str, *texts: str) -> float:
    solution = Fingerprint.of(reference)
    return len(solution.covered_by(grams_of_texts(texts))) / len(solution)


def test_formatting_comments_and_docstrings_are_ignored() -> None:
    messy = '''def word_count( text ) :
        """Count."""
        counts = dict( )  # not the same call, on purpose
        for raw in text.split( ):   # each word
            counts[ raw ] = counts.get( raw , 0 )+1
        return (counts)
'''
    assert normalised_tokens(ORIGINAL)[-2:] == normalised_tokens(messy)[-2:]
    assert coverage(ORIGINAL, messy) > 0.8


def test_quotes_and_string_prefixes_do_not_matter() -> None:
    assert normalised_tokens("f('a')") == normalised_tokens('f("a")')
    assert normalised_tokens('f(f"{x}!")') == normalised_tokens("f(f'{x}!')")


def test_consistently_renamed_variables_still_match() -> None:
    renamed = ORIGINAL.replace("counts", "tally").replace("raw", "w").replace("text", "s")
    assert coverage(ORIGINAL, renamed) == 1.0


def test_a_solution_in_pieces_is_covered_across_the_cuts() -> None:
    lines = ORIGINAL.splitlines()
    assert coverage(ORIGINAL, "\n".join(lines[:2]), "\n".join(lines[2:])) == 1.0


def test_unrelated_code_covers_little() -> None:
    other = "def area(r):\n    return 3.14 * r * r\n"
    assert coverage(ORIGINAL, other) < 0.3


def test_code_pieces_finds_fences_inline_spans_and_pasted_lines() -> None:
    text = (
        "Try `counts.get(word, 0) + 1` here.\n\n```python\nx = 1\n```\n\n"
        "Or paste:\nfor i in range(3):\n    print(i)\nand see."
    )
    pieces = code_pieces(text)
    assert "x = 1\n" in pieces
    assert "counts.get(word, 0) + 1" in pieces
    assert any("for i in range(3):" in piece for piece in pieces)
    assert code_pieces("No code here, just `words`.") == []
