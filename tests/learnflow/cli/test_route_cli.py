"""`learnflow route`: the routing triple of one message, from the intent classifier."""

from __future__ import annotations

import json

import pytest

from learnflow.cli.main import main
from learnflow.intents import classify


def test_route_cli_prints_the_routing_triple(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "How do for loops work in Python?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "intent": "concept_question",
        "agent": "concepts",
        "confidence": classify("How do for loops work in Python?").confidence,
    }


def test_route_cli_reads_stdin_and_explains(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("why?\nfor i in range(3)\n    print(i)\n"))
    assert main(["route", "-", "--explain"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intent"] == "code_help" and out["agent"] == "tutor"
    assert out["code"] == "for i in range(3)\n    print(i)"
    assert "code-attached" in out["evidence"]


def test_route_cli_rejects_an_empty_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "   "]) == 2
    assert "empty" in capsys.readouterr().err
