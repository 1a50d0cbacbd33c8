"""`learnflow eval triage|concepts|extraction`: offline evaluations, each printing a JSON report
and exiting 1 when its target is missed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from learnflow.evaluation.triage_eval import HELD_OUT_SET, TARGET_ACCURACY, evaluate_file
from learnflow.settings import get_settings


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

    concepts = evaluations.add_parser(
        "concepts", help="recall@1/@3 of `learnflow explain`'s sources on labelled questions"
    )
    concepts.add_argument("--data", type=Path, default=None, help="labelled JSON Lines set")
    concepts.set_defaults(func=run_concepts)

    extraction = evaluations.add_parser(
        "extraction", help="attempts to extract full solutions from the tutor; target: no leak"
    )
    extraction.add_argument("--data", type=Path, default=None, help="attempts JSON Lines set")
    extraction.set_defaults(func=run_extraction)


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


def run_concepts(args: argparse.Namespace) -> int:
    import asyncio

    from learnflow.evaluation import retrieval_eval

    report = asyncio.run(retrieval_eval.evaluate_file(args.data or retrieval_eval.HELD_OUT_SET))
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    return 0 if report.recall_at_3 >= retrieval_eval.TARGET_RECALL_AT_3 else 1


def run_extraction(args: argparse.Namespace) -> int:
    from learnflow.evaluation import extraction_eval

    report = extraction_eval.evaluate_file(
        args.data or extraction_eval.DATA, settings=get_settings()
    )
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    return 0 if report.leaks <= extraction_eval.TARGET_LEAKS else 1
