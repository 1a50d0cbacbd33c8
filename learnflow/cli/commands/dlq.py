"""`learnflow dlq list | replay`: see and recover the events consumers dead-lettered.

Every subscription (components/subscriptions.yaml) sends what it cannot process to
`<topic>.dlq`: daprd after its delivery retries, our poison handling at once with a reason. They
talk to the stack in `LEARNFLOW_RUN_DIR` / `LEARNFLOW_PORT_OFFSET` (default: the `make up` one).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from learnflow.dlq import replay as replaying
from learnflow.dlq.messages import (
    DeadLetter,
    is_dead_letter_topic,
    original_topic,
    unique_by_event,
)
from learnflow.dlq.reader import DeadLetterReader, TopicLetters
from learnflow.dlq.stack import StackTarget
from learnflow.errors import InvalidInput, NotFound
from learnflow.events import dead_letter_topic
from learnflow.settings import get_settings

REPLAY_HELP = """\
Publish dead-lettered events back to their original topic, so its consumers get them again
(after fixing what made them fail: a missing user, a bug). Each goes out with its own event id;
consumers dedupe on the event id, so a replay is idempotent: an event already applied is not
applied twice, and replaying the same letter again is harmless. The letters stay on the .dlq
topic (Kafka keeps them until retention). Published through the sidecar of an app that produces
the topic (the one that first published it when it does), with that app's token: no Kafka ACL
is widened, `ops` stays read-only."""


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _letter_line(letter: DeadLetter) -> str:
    head = (
        f"  {letter.event_id or '?':<36}  {letter.type or '-'}  {letter.source or '-'}  "
        f"{letter.time or '-'}"
    )
    if letter.reason:
        by = f" (by {letter.dead_lettered_by})" if letter.dead_lettered_by else ""
        head += f"\n      reason{by}: {letter.reason}"
    if letter.problem:
        head += f"\n      cannot be replayed: {letter.problem}"
    return head


def format_text(reports: list[TopicLetters]) -> str:
    """`dlq list` for people: one header per topic, one line (plus reason) per letter."""
    lines: list[str] = []
    for report in reports:
        lines.append(f"{report.topic}  {report.count} message(s)")
        lines.extend(_letter_line(letter) for letter in report.letters)
        hidden = report.count - len(report.letters)
        if report.letters and hidden > 0:
            lines.append(f"  … and {hidden} more (--limit)")
    return "\n".join(lines)


def format_json(reports: list[TopicLetters]) -> str:
    return json.dumps(
        [
            {
                "topic": report.topic,
                "original_topic": original_topic(report.topic),
                "count": report.count,
                "messages": [letter.summary() for letter in report.letters],
            }
            for report in reports
        ],
        indent=2,
    )


def dlq_name(topic: str) -> str:
    """Accept `code.executed` or `code.executed.dlq`; answer the dead-letter topic."""
    topic = topic.strip()
    if not topic:
        raise InvalidInput("give the topic, e.g. `learnflow dlq replay code.executed`")
    return topic if is_dead_letter_topic(topic) else dead_letter_topic(topic)


def _list(args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise InvalidInput("--limit must be 0 or more")
    with DeadLetterReader(StackTarget.of(get_settings())) as reader:
        topics = reader.topics()
        if args.topic:
            wanted = dlq_name(args.topic)
            if wanted not in topics:
                raise NotFound(f"no dead-letter topic {wanted}; there are: {', '.join(topics)}")
            topics = [wanted]
        reports = [reader.read(topic, args.limit) for topic in topics]
    print(format_json(reports) if args.json else format_text(reports))
    return 0


def _select(report: TopicLetters, event_id: str | None) -> list[DeadLetter]:
    if event_id is None:
        return unique_by_event(report.letters)
    matching = [letter for letter in report.letters if letter.event_id == event_id]
    if not matching:
        raise NotFound(
            f"no dead letter with event id {event_id} on {report.topic} "
            f"({report.count} message(s)); see `learnflow dlq list --topic {report.topic}`"
        )
    replayable = unique_by_event(matching)
    if not replayable:
        raise InvalidInput(f"event {event_id} cannot be replayed: {matching[0].problem}")
    return replayable


def _replay(args: argparse.Namespace) -> int:
    dlq = dlq_name(args.topic)
    topic = original_topic(dlq)
    target = StackTarget.of(get_settings())
    _progress(f"reading {dlq} as Kafka user ops …")
    with DeadLetterReader(target) as reader:
        if dlq not in reader.topics():
            raise NotFound(f"no dead-letter topic {dlq} on the broker")
        report = reader.read(dlq)
    letters = _select(report, args.id)
    skipped = sum(1 for letter in report.letters if not letter.replayable)
    plans = replaying.plan(topic, letters)
    verb = "would replay" if args.dry_run else "replaying"
    for n, step in enumerate(plans, 1):
        _progress(f"[{n}/{len(plans)}] {verb} {step.event_id} to {topic} as {step.app_id}")
        if not args.dry_run:
            replaying.publish(target, step)
    done = "would be replayed (dry run)" if args.dry_run else "replayed"
    summary = f"{len(plans)} event(s) {done} to {topic}"
    if args.id is None and skipped:
        summary += f"; {skipped} letter(s) skipped (not a replayable CloudEvent)"
    print(summary)
    return 0


def register(subparsers: Any) -> None:
    dlq = subparsers.add_parser(
        "dlq", help="dead-lettered events: list them, replay them to their topic"
    )
    actions = dlq.add_subparsers(dest="dlq_command", metavar="ACTION", required=True)

    p = actions.add_parser(
        "list",
        help="per dead-letter topic: depth, and each letter's event id, type, source, time, "
        "reason (read-only, as Kafka user ops)",
    )
    p.add_argument("--topic", help="only this topic (with or without .dlq)")
    p.add_argument("--limit", type=int, default=20, help="letters shown per topic (default 20)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_list)

    p = actions.add_parser(
        "replay",
        help="publish dead-lettered events back to their topic (idempotent: consumers dedupe "
        "on the event id)",
        description=REPLAY_HELP,
    )
    p.add_argument("topic", help="the original topic or its .dlq, e.g. code.executed")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", metavar="EVENT_ID", help="the one event with this id")
    which.add_argument("--all", action="store_true", help="every replayable letter, once per id")
    p.add_argument(
        "--dry-run", action="store_true", help="say what would be published, publish nothing"
    )
    p.set_defaults(func=_replay)
