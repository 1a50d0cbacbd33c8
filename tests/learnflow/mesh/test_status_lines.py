"""`make status`'s dead-letter line: the count per `.dlq` topic the watcher recorded."""

from __future__ import annotations

import pytest

from learnflow.mesh.stack import print_dead_letters


def test_dead_letters_are_counted_per_topic(capsys: pytest.CaptureFixture[str]) -> None:
    print_dead_letters({"code.executed.dlq": 2, "quiz.completed.dlq": 1})
    print_dead_letters({})
    print_dead_letters(None)
    assert capsys.readouterr().out.splitlines() == [
        "dead letters: 3 event(s): code.executed.dlq 2, quiz.completed.dlq 1 "
        "(see `learnflow dlq list`, `learnflow dlq replay`)",
        "dead letters: none",
        "dead letters: unknown (the database does not answer)",
    ]
