"""The triage evaluation: the held-out target, the data's shape, and the metric arithmetic."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from learnflow.cli.main import main
from learnflow.errors import InvalidInput
from learnflow.evaluation.triage_eval import (
    DEV_SET,
    FRESH_SET,
    FRESH_TARGET,
    HELD_OUT_SET,
    TARGET_ACCURACY,
    Example,
    TriageReport,
    evaluate,
    evaluate_file,
    load_examples,
)
from learnflow.intents import AGENT_FOR_INTENT, Classification, Intent

#: The classifier's own labelled training examples (never in an evaluation set).
TRAINING = Path(__file__).resolve().parents[3] / "learnflow" / "data" / "triage_examples.jsonl"
MIN_PER_INTENT = 20
#: Regression floor per intent: no intent may quietly collapse while the average holds.
MIN_RECALL = 0.80


def _figures(report: TriageReport) -> str:
    lines = [f"{report.data}: accuracy {report.accuracy:.3f} ({report.total} messages)"]
    for intent, f in report.per_intent.items():
        lines.append(
            f"  {intent.value:<18} support {f.support:>3}  precision {f.precision:.3f}  "
            f"recall {f.recall:.3f}  f1 {f.f1:.3f}"
        )
    lines.extend(
        f"  miss: {m.expected.value} -> {m.predicted.value} ({m.confidence:.2f}) {m.message!r}"
        for m in report.misses
    )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def held_out() -> TriageReport:
    return evaluate_file(HELD_OUT_SET)


def test_held_out_accuracy_meets_the_target(held_out: TriageReport) -> None:
    figures = _figures(held_out)
    print(figures)
    assert held_out.accuracy >= TARGET_ACCURACY, figures


def test_no_intent_collapses_on_the_held_out_set(held_out: TriageReport) -> None:
    weak = {
        intent.value: figures.recall
        for intent, figures in held_out.per_intent.items()
        if figures.recall < MIN_RECALL or figures.precision < MIN_RECALL
    }
    assert not weak, _figures(held_out)


def test_confidence_is_lower_on_mistakes(held_out: TriageReport) -> None:
    assert held_out.mean_confidence_correct is not None
    if held_out.mean_confidence_wrong is not None:
        assert held_out.mean_confidence_wrong < held_out.mean_confidence_correct - 0.1


def test_dev_set_is_tuned_on_and_passes() -> None:
    report = evaluate_file(DEV_SET)
    print(_figures(report))
    assert report.accuracy >= TARGET_ACCURACY, _figures(report)


def test_fresh_phrasing_meets_the_issue_target() -> None:
    report = evaluate_file(FRESH_SET)
    print(_figures(report))
    assert report.total >= 30
    assert report.accuracy >= FRESH_TARGET, _figures(report)
    others = {
        e.message.lower() for path in (DEV_SET, HELD_OUT_SET, TRAINING) for e in load_examples(path)
    }
    assert not others & {e.message.lower() for e in load_examples(FRESH_SET)}, "fresh overlaps"


def test_the_labelled_sets_measure_every_intent_and_do_not_overlap() -> None:
    held_out, dev = load_examples(HELD_OUT_SET), load_examples(DEV_SET)
    assert len(held_out) >= 200 and len(dev) >= 60
    for intent in Intent:
        assert sum(e.intent is intent for e in held_out) >= MIN_PER_INTENT, intent
    held_out_messages = {e.message for e in held_out}
    assert len(held_out_messages) == len(held_out), "duplicate messages in the held-out set"
    assert not held_out_messages & {e.message for e in dev}, "dev and held-out sets overlap"


def _scripted(answers: dict[str, Intent]) -> Callable[[str], Classification]:
    def classifier(message: str) -> Classification:
        intent = answers[message]
        return Classification(intent=intent, agent=AGENT_FOR_INTENT[intent], confidence=0.5)

    return classifier


def test_metrics_arithmetic_on_a_scripted_classifier() -> None:
    c, e, h = Intent.CONCEPT_QUESTION, Intent.EXERCISE_REQUEST, Intent.CODE_HELP
    examples = [Example("a", c), Example("b", c), Example("c", e), Example("d", h)]
    # a: right; b: concept taken for an exercise; c: right; d: code help taken for an exercise.
    predicted = {"a": c, "b": e, "c": e, "d": e}
    report = evaluate(examples, classifier=_scripted(predicted))

    assert report.total == 4 and report.accuracy == 0.5
    assert report.confusion[c][c] == 1 and report.confusion[c][e] == 1
    assert report.confusion[h][e] == 1 and report.confusion[e][e] == 1
    assert report.per_intent[c].precision == 1.0 and report.per_intent[c].recall == 0.5
    assert report.per_intent[e].precision == round(1 / 3, 4) and report.per_intent[e].recall == 1.0
    assert report.per_intent[h].precision == 0.0 and report.per_intent[h].recall == 0.0
    assert report.per_intent[Intent.UNSAFE].support == 0
    # exercise and code help both go to the tutor: "d" is a wrong intent but the right agent.
    assert report.agent_accuracy == 0.75
    assert [m.message for m in report.misses] == ["b", "d"]
    as_json = report.to_dict()
    assert as_json["confusion"]["code_help"]["exercise_request"] == 1
    assert as_json["per_intent"]["concept_question"]["recall"] == 0.5


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"message": "hi", "intent": "small_talk"}\n', ":1:"),
        ('{"message": "hi"}\n', ":1:"),
        ('{"message": "hi", "intent": "off_topic"}\nnot json\n', ":2:"),
        ("\n\n", "empty"),
    ],
)
def test_bad_labelled_files_are_reported_with_the_line(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=problem):
        load_examples(path)


def test_eval_cli_prints_a_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "triage", "--data", str(DEV_SET)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"] == len(load_examples(DEV_SET))
    assert set(report["per_intent"]) == {i.value for i in Intent}
    assert set(report["confusion"]["unsafe"]) == {i.value for i in Intent}
    assert {"accuracy", "agent_accuracy", "mean_confidence", "misses"} <= set(report)


def test_eval_cli_fails_below_the_target_and_on_missing_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hard = tmp_path / "hard.jsonl"
    hard.write_text(
        json.dumps({"message": "How do for loops work in Python?", "intent": "off_topic"}) + "\n",
        encoding="utf-8",
    )
    assert main(["eval", "triage", "--data", str(hard)]) == 1
    assert "below" in capsys.readouterr().err
    assert main(["eval", "triage", "--data", str(tmp_path / "missing.jsonl")]) == 2
    assert "not found" in capsys.readouterr().err
