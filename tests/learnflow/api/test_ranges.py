"""Byte ranges (learnflow.api.ranges): which part of a body a `Range` header selects."""

from __future__ import annotations

import pytest

from learnflow.api.ranges import ByteRange, Unsatisfiable, parse_range, ranged_response


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-", ByteRange(0, 99)),
        ("bytes=0-0", ByteRange(0, 0)),
        ("bytes=10-19", ByteRange(10, 19)),
        ("bytes=90-500", ByteRange(90, 99)),  # clipped to the end
        ("bytes=-10", ByteRange(90, 99)),  # the last ten
        ("bytes=-500", ByteRange(0, 99)),
        ("BYTES = 5 - 6", ByteRange(5, 6)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole body
        ("items=0-1", None),
        ("bytes=9-3", None),  # invalid: ignored
        ("bytes=-", None),
        ("bytes=abc", None),
    ],
)
def test_the_range_a_header_selects(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=100-200", "bytes=-0"])
def test_a_range_past_the_end_is_unsatisfiable(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        parse_range(header, 100)


def test_the_answers_carry_the_headers_a_media_element_needs() -> None:
    body = bytes(range(100))
    whole = ranged_response(body, media_type="audio/wav", range_header=None)
    assert (whole.status_code, whole.body, whole.headers["accept-ranges"]) == (200, body, "bytes")
    assert whole.headers["content-length"] == "100"

    part = ranged_response(body, media_type="audio/wav", range_header="bytes=10-19")
    assert (part.status_code, part.body) == (206, body[10:20])
    assert part.headers["content-range"] == "bytes 10-19/100"
    assert part.headers["content-length"] == "10" and part.headers["accept-ranges"] == "bytes"

    refused = ranged_response(body, media_type="audio/wav", range_header="bytes=100-")
    assert refused.status_code == 416 and refused.headers["content-range"] == "bytes */100"

    # If-Range with no validator of ours to compare: the whole body
    guarded = ranged_response(body, media_type="audio/wav", range_header="bytes=0-9", if_range="x")
    assert guarded.status_code == 200 and guarded.body == body
