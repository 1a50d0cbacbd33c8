"""`learnflow dlq ...` on FAKE dead letters (a fake reader, a recording publish): parsing, the
list's text and JSON, which letters a replay sends. The real path is
tests/integration/test_dlq_cli.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from learnflow.cli import main as cli
from learnflow.cli.commands import dlq
from learnflow.dlq.messages import parse
from learnflow.dlq.reader import TopicLetters
from learnflow.settings import Settings

pytestmark = pytest.mark.fakes


def event(event_id: str) -> bytes:
    return json.dumps(
        {"id": event_id, "source": "code-runner", "type": "learnflow.code.executed.v1",
         "time": "2026-12-02T10:00:00Z", "data": {"user_id": "u"}}
    ).encode()  # fmt: skip


def poisoned(event_id: str) -> bytes:
    return json.dumps(
        {"source": "debrief", "data": {"topic": "code.executed", "reason": "no user\n u",
                                       "payload": event(event_id).decode()}}
    ).encode()  # fmt: skip


LETTERS = [
    parse("code.executed.dlq", 0, 0, poisoned("ev-1")),
    parse("code.executed.dlq", 1, 0, event("ev-2")),
    parse("code.executed.dlq", 1, 1, poisoned("ev-1")),  # the same event, dead-lettered again
    parse("code.executed.dlq", 2, 0, b"garbage"),
]


class FakeReader:
    def __init__(self, target: Any) -> None:
        pass

    def __enter__(self) -> FakeReader:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def topics(self) -> list[str]:
        return ["code.executed.dlq", "learning.routed.dlq"]

    def read(self, topic: str, limit: int | None = None) -> TopicLetters:
        letters = LETTERS if topic == "code.executed.dlq" else []
        return TopicLetters(topic, len(letters), letters[:limit])


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr(dlq, "DeadLetterReader", FakeReader)
    monkeypatch.setattr(dlq.StackTarget, "of", classmethod(lambda cls, settings: None))
    monkeypatch.setattr(
        dlq.replaying,
        "publish",
        lambda target, step: sent.append((step.topic, step.app_id, step.event_id)),
    )
    return sent


def test_replay_needs_exactly_one_of_id_and_all() -> None:
    parser = cli.build_parser()
    args = parser.parse_args(["dlq", "replay", "code.executed", "--all", "--dry-run"])
    assert (args.all, args.dry_run, args.id, args.func) == (True, True, None, dlq._replay)
    for wrong in (["code.executed"], ["code.executed", "--all", "--id", "x"]):
        with pytest.raises(SystemExit):
            parser.parse_args(["dlq", "replay", *wrong])


def test_list_shows_depth_letters_and_one_line_reasons(
    published: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["dlq", "list", "--limit", "2"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "code.executed.dlq  4 message(s)"
    assert out[1].split() == [
        "ev-1", "learnflow.code.executed.v1", "code-runner", "2026-12-02T10:00:00Z"
    ]  # fmt: skip
    assert out[2].strip() == "reason (by debrief): no user u"
    assert out[3].split()[0] == "ev-2"
    assert out[4].strip() == "… and 2 more (--limit)"
    assert out[5] == "learning.routed.dlq  0 message(s)"


def test_list_json_is_one_object_per_topic(
    published: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["dlq", "list", "--topic", "code.executed", "--json"]) == 0

    [report] = json.loads(capsys.readouterr().out)
    assert (report["topic"], report["original_topic"], report["count"]) == (
        "code.executed.dlq",
        "code.executed",
        4,
    )
    assert [m["replayable"] for m in report["messages"]] == [True, True, True, False]
    assert report["messages"][3]["problem"] == "the message is not a JSON object"


def test_replay_all_sends_each_event_once_and_counts_what_it_skipped(
    published: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["dlq", "replay", "code.executed.dlq", "--all"]) == 0

    assert published == [
        ("code.executed", "code-runner", "ev-1"),
        ("code.executed", "code-runner", "ev-2"),
    ]
    captured = capsys.readouterr()
    assert "[1/2] replaying ev-1 to code.executed as code-runner" in captured.err
    assert captured.out.strip() == (
        "2 event(s) replayed to code.executed; 1 letter(s) skipped (not a replayable CloudEvent)"
    )


def test_dry_run_publishes_nothing_and_an_unknown_id_is_a_clear_error(
    published: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["dlq", "replay", "code.executed", "--id", "ev-2", "--dry-run"]) == 0
    assert published == []
    assert "would replay ev-2" in capsys.readouterr().err

    assert cli.main(["dlq", "replay", "code.executed", "--id", "nope"]) == 2
    assert "no dead letter with event id nope on code.executed.dlq (4 message(s))" in (
        capsys.readouterr().err
    )
    assert cli.main(["dlq", "list", "--topic", "no.such"]) == 2
    assert "no dead-letter topic no.such.dlq" in capsys.readouterr().err


def test_without_a_stack_the_error_says_make_up_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(dlq, "get_settings", lambda: Settings(run_dir=tmp_path))

    assert cli.main(["dlq", "list"]) == 2

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"learnflow: error: no LearnFlow stack in {tmp_path}")
    assert "`make up` first" in line
