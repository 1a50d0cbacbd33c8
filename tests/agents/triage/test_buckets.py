"""The token-bucket arithmetic of the rate limits (`triage_agent.buckets`): pure, fake clock."""

from __future__ import annotations

import pytest

from triage_agent.buckets import Bucket, available, refill_s, take_token

POLICY = {"capacity": 3, "per_second": 0.5}  # a burst of 3, then one every 2 s


def spend(times: list[float], bucket: Bucket | None = None) -> tuple[Bucket | None, list[float]]:
    waits = []
    for now in times:
        bucket, wait = take_token(bucket, now=now, **POLICY)
        waits.append(wait)
    return bucket, waits


def test_a_new_bucket_is_full_and_gives_its_whole_burst_at_once() -> None:
    bucket, waits = spend([100.0, 100.0, 100.0])
    assert waits == [0.0, 0.0, 0.0]
    assert bucket == Bucket(tokens=0.0, at=100.0)


def test_past_the_burst_the_wait_is_the_time_to_the_next_token() -> None:
    _, waits = spend([100.0, 100.0, 100.0, 100.0, 101.5])
    assert waits[3] == pytest.approx(2.0)  # empty: one token takes 1 / 0.5 s
    assert waits[4] == pytest.approx(0.5)  # 1.5 s later, three quarters of one is back


def test_a_refusal_leaves_the_bucket_as_it_was() -> None:
    empty = Bucket(tokens=0.25, at=100.0)
    after, wait = take_token(empty, now=100.5, **POLICY)
    assert after is empty
    assert wait == pytest.approx(1.0)  # 0.5 of a token is there, 0.5 more takes 1 s


def test_tokens_refill_at_the_rate_and_never_past_the_burst() -> None:
    empty = Bucket(tokens=0.0, at=100.0)
    assert available(empty, now=103.0, **POLICY) == pytest.approx(1.5)
    assert available(empty, now=1_000.0, **POLICY) == 3.0
    after, wait = take_token(empty, now=1_000.0, **POLICY)
    assert (after, wait) == (Bucket(tokens=2.0, at=1_000.0), 0.0)


def test_a_clock_behind_the_stored_one_refills_nothing_and_takes_nothing_away() -> None:
    bucket = Bucket(tokens=1.5, at=100.0)
    assert available(bucket, now=99.0, **POLICY) == 1.5  # another replica's clock, 1 s behind
    after, wait = take_token(bucket, now=99.0, **POLICY)
    assert (after, wait) == (Bucket(tokens=0.5, at=99.0), 0.0)


def test_a_lowered_burst_applies_to_buckets_already_stored() -> None:
    assert available(Bucket(tokens=10.0, at=0.0), now=0.0, capacity=2, per_second=1.0) == 2.0


def test_a_refusal_never_says_wait_zero() -> None:
    almost = Bucket(tokens=1 - 1e-12, at=0.0)
    _, wait = take_token(almost, now=0.0, capacity=1, per_second=1e6)
    assert wait > 0


def test_a_bucket_is_full_again_after_capacity_over_rate_seconds() -> None:
    assert refill_s(**POLICY) == 6.0
    empty = Bucket(tokens=0.0, at=0.0)
    assert available(empty, now=refill_s(**POLICY), **POLICY) == POLICY["capacity"]


@pytest.mark.parametrize("state", [None, "x", {}, {"tokens": "many", "at": 1}, {"at": 1.0}])
def test_state_that_is_not_a_bucket_reads_as_a_new_one(state: object) -> None:
    assert Bucket.from_state(state) is None


def test_a_bucket_survives_its_state_round_trip() -> None:
    bucket = Bucket(tokens=1.25, at=1_700_000_000.5)
    assert Bucket.from_state(bucket.to_state()) == bucket
