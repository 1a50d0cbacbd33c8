"""`learnflow eval triage [--data PATH]`: offline evaluations, each printing a JSON report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from learnflow.evaluation.triage_eval import HELD_OUT_SET, TARGET_ACCURACY, evaluate_file


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("eval", help="run an offline evaluation; print a JSON report")
    evaluations = parser.add_subparsers(dest="eval_command", metavar="EVALUATION", required=True)

    triage = evaluations.add_parser(
        "triage",
        help="accuracy, per-intent precision/recall and confusion of the intent classifier; "
        "exit 1 below --min-accuracy",
    )
    triage.add_argument(
        "--data",
        type=Path,
        default=HELD_OUT_SET,
        help="labelled JSON Lines set (default: the held-out tests/data/triage_labelled.jsonl)",
    )
    triage.add_argument(
        "--min-accuracy",
        type=float,
        default=TARGET_ACCURACY,
        help=f"target accuracy (default {TARGET_ACCURACY})",
    )
    triage.set_defaults(func=run_triage)


def run_triage(args: argparse.Namespace) -> int:
    report = evaluate_file(args.data)
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    if report.accuracy < args.min_accuracy:
        print(
            f"eval triage: accuracy {report.accuracy:.3f} is below {args.min_accuracy:.3f}",
            file=sys.stderr,
        )
        return 1
    return 0
