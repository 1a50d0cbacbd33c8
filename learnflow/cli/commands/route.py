"""`learnflow route "<message>"`: how triage would route a message (the service's classifier)."""

from __future__ import annotations

import argparse
import json
import sys

from learnflow.errors import InvalidInput
from learnflow.intents import classify


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "route",
        help='classify a learner message; print {"intent", "agent", "confidence"} as JSON',
    )
    parser.add_argument("message", help='the message, or "-" to read it from stdin (code pastes)')
    parser.add_argument(
        "--has-code",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="code is attached to the message (default: detect pasted code in the message)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="also print the extracted code and the evidence"
    )
    parser.set_defaults(func=run_route)


def run_route(args: argparse.Namespace) -> int:
    message = sys.stdin.read() if args.message == "-" else args.message
    if not message.strip():
        raise InvalidInput("the message is empty; pass some text, or - to read stdin")
    result = classify(message, has_code=args.has_code)
    out: dict[str, object] = dict(result.summary())
    if args.explain:
        out["code"] = result.code
        out["evidence"] = list(result.evidence)
    print(json.dumps(out, ensure_ascii=False))
    return 0
