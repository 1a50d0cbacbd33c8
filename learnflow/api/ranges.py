"""HTTP byte ranges (RFC 9110 §14) for bytes held in memory, e.g. a spoken debrief's WAV.

A media element asks for `Range: bytes=0-` first; an answer without `Accept-Ranges` is taken
for a live stream (Chromium then reports an infinite duration and shows no seek bar).

One range per request: a request for several ranges, a unit other than `bytes`, a malformed
header, or one sent with `If-Range` (we give no validators to compare) is answered with the
whole body (200), which the RFC allows. A well-formed range that starts past the end is 416
with `Content-Range: bytes */<size>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Response

from learnflow.api.problems import problem

_ONE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ByteRange:
    """Inclusive `first`..`last`, both inside the body."""

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1


class Unsatisfiable(Exception):
    """A well-formed range that selects no byte of the body (416)."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range `header` asks for, clipped to `size` bytes; None = send the whole body.
    Raises Unsatisfiable for a range that selects nothing."""
    if header is None:
        return None
    match = _ONE_RANGE.match(header)
    if match is None:
        return None  # several ranges, another unit, or malformed: ignore (RFC 9110 §14.2)
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None  # "bytes=-" is not a range
    if not first_text:  # the last N bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # invalid range-spec: ignore the header
    if first >= size:
        raise Unsatisfiable
    last = int(last_text) if last_text else size - 1
    return ByteRange(first, min(last, size - 1))


def ranged_response(
    body: bytes,
    *,
    media_type: str,
    range_header: str | None,
    if_range: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """`body` answered as the request asked: 200 whole, 206 one part, or 416 (a problem)."""
    size = len(body)
    base = {**(headers or {}), "accept-ranges": "bytes"}
    try:
        chosen = None if if_range is not None else parse_range(range_header, size)
    except Unsatisfiable:
        refused = problem(
            416,
            "range_not_satisfiable",
            f"the range {range_header!r} is outside the {size} bytes of this file; "
            f"ask for bytes=0-{max(size - 1, 0)} or less",
            size=size,
        )
        refused.headers["content-range"] = f"bytes */{size}"
        refused.headers["accept-ranges"] = "bytes"
        return refused
    if chosen is None:
        return Response(content=body, media_type=media_type, headers=base)
    return Response(
        content=body[chosen.first : chosen.last + 1],
        status_code=206,
        media_type=media_type,
        headers={**base, "content-range": f"bytes {chosen.first}-{chosen.last}/{size}"},
    )
