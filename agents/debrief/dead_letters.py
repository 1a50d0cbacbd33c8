"""The dead-letter watcher: every `<topic>.dlq` message recorded once, with a WARNING.

Until now a dead-lettered event sat on its `.dlq` topic until someone ran `learnflow dlq list`.
Debrief subscribes to every dead-letter topic (components/subscriptions.yaml, granted in
learnflow/mesh/policy.py: `DEAD_LETTER_WATCHER`) and records each letter in `dead_letters` —
once per (topic, event id), so a redelivery or the same event dead-lettered again after a replay
adds nothing — which `make status` and `GET /ops/dead-letters` count.

Both shapes of a letter are read by `learnflow.dlq.messages.parse` (daprd's own dead letter, our
poison handling's wrapper with a reason). What is kept and logged: the event's id, type, source,
the topic, who dead-lettered it and the reason with pydantic's `input_value=…` cut out. Never
the payload: it may carry a learner's code or answers.

Outcomes for daprd: SUCCESS when recorded (or already recorded); DROP for a letter that can
never be recorded (not JSON, no id anywhere) — retrying cannot help, and a watcher's letter has
no dead-letter topic of its own; RETRY when the database fails.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Literal

from learnflow.db.pool import Pool
from learnflow.db.repos.dead_letters import record_dead_letter
from learnflow.dlq.messages import DeadLetter, parse

log = logging.getLogger("debrief.dead_letters")

Outcome = Literal["SUCCESS", "DROP", "RETRY"]
# pydantic's `[type=…, input_value='…', input_type=str]`: the value is the payload's
_INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=|\]|$)")


def redact(reason: str | None) -> str | None:
    """The reason without the offending input values (they are the payload's data)."""
    return None if reason is None else _INPUT_VALUE.sub("input_value=…", reason)


@dataclass(frozen=True)
class Recorded:
    """What the watcher keeps of one letter (no payload)."""

    topic: str
    event_id: str
    event_type: str | None
    event_source: str | None
    reason: str | None
    dead_lettered_by: str | None


def _letter_id(raw: bytes) -> str | None:
    """The dead-letter message's own CloudEvent id (our wrapper's, daprd gave it one)."""
    try:
        envelope = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    found = envelope.get("id") if isinstance(envelope, dict) else None
    return str(found) if found else None


def read_letter(topic: str, raw: bytes) -> Recorded | None:
    """What to record of `raw`, delivered from `topic`; None when it can never be recorded."""
    # partition and offset do not travel with a push delivery; the letter needs neither here
    letter: DeadLetter = parse(topic, -1, -1, raw)
    event_id = letter.event_id
    reason = letter.reason
    if event_id is None:  # a wrapper whose payload is no CloudEvent: keep the letter's own id
        event_id = _letter_id(raw)
        if event_id is None:  # not JSON, or no id anywhere
            return None
        reason = f"{reason or 'no reason given'} ({letter.problem})"
    return Recorded(
        topic=topic,
        event_id=event_id,
        event_type=letter.type,
        event_source=letter.source,
        reason=redact(reason),
        dead_lettered_by=letter.dead_lettered_by,
    )


async def watch(pool: Pool, topic: str, raw: bytes) -> Outcome:
    """Record one delivery from the dead-letter `topic`, once; say so at WARNING level."""
    found = read_letter(topic, raw)
    if found is None:
        log.warning("a message on %s is no readable dead letter (no event id); dropped", topic)
        return "DROP"
    try:
        async with pool.connection() as conn:
            new = await record_dead_letter(
                conn,
                topic=found.topic,
                event_id=found.event_id,
                event_type=found.event_type,
                event_source=found.event_source,
                reason=found.reason,
                dead_lettered_by=found.dead_lettered_by,
            )
    except Exception:
        log.exception("could not record dead letter %s on %s; retrying", found.event_id, topic)
        return "RETRY"
    if new:
        log.warning(
            "event %s (%s) was dead-lettered to %s by %s: %s",
            found.event_id,
            found.event_type or "unknown type",
            topic,
            found.dead_lettered_by or "daprd after its delivery retries",
            found.reason or "no reason given",
        )
    return "SUCCESS"
