"""The llm bench's pure parts: reading a streamed chat completion, splitting a grounded answer's
written part from its tail, rates, and spotting a fallback. No server, no timing."""

from __future__ import annotations

import json

import pytest

from benchmarks.llm_bench import (
    Timed,
    chunk_text,
    decode_rate,
    fell_back,
    rate_summary,
    ratio,
    written_part,
)
from learnflow.llm.grounded import NOTE_TIMEOUT, STOPPED_MID_ANSWER


def _chunk(content: str | None) -> str:
    delta = {} if content is None else {"content": content}
    return "data: " + json.dumps({"choices": [{"index": 0, "delta": delta}]})


def test_chunk_text_reads_the_content_of_a_data_line() -> None:
    assert chunk_text(_chunk("Hello")) == "Hello"


@pytest.mark.parametrize(
    "line",
    [
        "",
        ": keep-alive",
        "data: [DONE]",
        _chunk(None),  # the role-only first chunk
        _chunk(""),
        'data: {"choices": []}',
    ],
)
def test_chunk_text_is_none_without_content(line: str) -> None:
    assert chunk_text(line) is None


def test_timed_first_text_skips_whitespace_deltas() -> None:
    run = Timed(started=10.0, deltas=[(10.2, " "), (10.5, "Hi"), (10.9, "!")], ended=11.0)
    assert run.text == " Hi!"
    assert run.first_s == pytest.approx(0.5)
    assert run.total_s == pytest.approx(1.0)


def test_timed_without_text_has_its_first_token_at_the_end() -> None:
    assert Timed(started=1.0, deltas=[], ended=3.0).first_s == pytest.approx(2.0)


def test_written_part_leaves_out_the_tail_delta() -> None:
    tail = "\n\nSources: functions.recursion"
    deltas = [(1.0, "A"), (1.1, " function"), (1.2, " calls itself"), (1.3, " …" + tail)]
    assert written_part(deltas, tail) == deltas[:3]


def test_written_part_is_everything_when_the_text_does_not_end_with_the_tail() -> None:
    deltas = [(1.0, "offline"), (1.1, " draft")]
    assert written_part(deltas, "\n\nSources: x.y") == deltas
    assert written_part(deltas, "") == deltas


def test_decode_rate_counts_units_after_the_first() -> None:
    deltas = [(1.0, "a"), (1.5, "b"), (2.0, "c")]
    assert decode_rate(deltas, 3) == pytest.approx(2.0)  # 2 more over 1 s
    assert decode_rate(deltas, 11) == pytest.approx(10.0)  # tokens, not deltas


@pytest.mark.parametrize(
    ("deltas", "units"),
    [([], 0), ([(1.0, "a")], 5), ([(1.0, "a"), (1.0, "b")], 2), ([(1.0, "a"), (2.0, "b")], 1)],
)
def test_decode_rate_is_none_when_it_cannot_say(
    deltas: list[tuple[float, str]], units: int
) -> None:
    assert decode_rate(deltas, units) is None


def test_fell_back_spots_the_offline_note_and_the_mid_answer_notice() -> None:
    assert fell_back(f"{NOTE_TIMEOUT}\n\nThe offline answer.")
    assert fell_back("Recursion is" + STOPPED_MID_ANSWER + "The offline answer.")
    assert not fell_back("Recursion is a function calling itself.")


def test_rate_summary_and_ratio() -> None:
    assert rate_summary([]) == {"n": 0, "p50": None, "mean": None}
    assert rate_summary([10.0, 20.0, 30.0]) == {"n": 3, "p50": 20.0, "mean": 20.0}
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(1.0, 0.0) is None
