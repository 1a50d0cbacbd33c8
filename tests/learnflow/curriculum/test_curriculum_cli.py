"""`learnflow curriculum check|list` through the real CLI entry point, with a scripted runner."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from learnflow.cli import main as cli
from learnflow.cli.commands import curriculum as command

PASS = {"status": "pass", "message": "", "tests": [{"name": "t", "status": "pass"}]}
FAIL = {"status": "fail", "message": "failed", "tests": [{"name": "t", "status": "fail"}]}


@pytest.fixture
def fake_sandbox(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the sandbox with a fake that passes code containing `return` and fails the rest."""
    codes: list[str] = []

    def run_tests(code: str, tests: str, module_name: str, **limits: float) -> Mapping[str, Any]:
        codes.append(code)
        return PASS if "return" in code else FAIL

    def run_python(code: str) -> Mapping[str, Any]:
        return {"status": "ok", "exit_code": 0, "stdout": "", "stderr": ""}

    monkeypatch.setattr(command, "sandbox_run_tests", lambda: run_tests)
    monkeypatch.setattr(command, "sandbox_run_python", lambda: run_python)
    return codes


def test_check_prints_a_json_summary_and_exits_0(
    tree: Any, fake_sandbox: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["curriculum", "check", "--root", str(tree.root)])
    out, err = capsys.readouterr()
    assert code == 0
    summary = json.loads(out)
    assert summary == {
        "modules": 2,
        "lessons": 6,
        "exercises": 12,
        "quiz_questions": 16,
        "solutions_passed": 12,
        "starters_failed": 12,
        "worked_examples_run": 6,
        "problems": [],
        "ok": True,
    }
    assert len(fake_sandbox) == 24
    assert "[24/24]" in err


def test_check_exits_1_and_lists_problems(
    tree: Any, fake_sandbox: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    tree.edit_yaml("beta/quiz.yaml", lambda data: data["questions"][0].update(answer=7))
    code = cli.main(["curriculum", "check", "--root", str(tree.root), "--workers", "2"])
    out, err = capsys.readouterr()
    assert code == 1
    problems = json.loads(out)["problems"]
    assert problems == [
        {
            "where": "beta/quiz.yaml",
            "message": "question 1 (beta.q1): answer 7 is out of range for 3 choices (valid: 0..2)",
        }
    ]
    assert "1 problem(s)" in err


def test_check_only_one_module(
    tree: Any, fake_sandbox: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["curriculum", "check", "--root", str(tree.root), "--only", "alpha"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["exercises"] == 6
    assert len(fake_sandbox) == 12


def test_check_with_an_unknown_module_exits_2(
    tree: Any, fake_sandbox: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["curriculum", "check", "--root", str(tree.root), "--only", "nope"])
    assert code == 2
    assert "'nope' is not listed in catalog.yaml" in capsys.readouterr().err


def test_workers_must_be_at_least_one(tree: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["curriculum", "check", "--root", str(tree.root), "--workers", "0"])
    assert "must be at least 1" in capsys.readouterr().err


def test_missing_sandbox_says_what_to_install(
    tree: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(command, "SANDBOX_MODULE", "code_runner.no_such_sandbox")
    code = cli.main(["curriculum", "check", "--root", str(tree.root)])
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot import the code runner sandbox" in err
    assert "pip install -e ." in err


def test_list_shows_a_table_of_modules(tree: Any, capsys: pytest.CaptureFixture[str]) -> None:
    tree.write_yaml("catalog.yaml", {"modules": ["alpha", "beta", "gamma"]})
    assert cli.main(["curriculum", "list", "--root", str(tree.root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["#", "module", "lessons", "exercises", "quiz", "title"]
    assert lines[1].split() == ["1", "alpha", "3", "6", "8", "Alpha"]
    assert lines[3].split() == ["3", "gamma", "(not", "written", "yet)"]


def test_list_one_module_shows_lessons_and_exercises(
    tree: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["curriculum", "list", "--root", str(tree.root), "--module", "beta"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2. Beta (beta): A module.")
    assert "lesson  beta.lesson-1" in out
    assert "easy   beta.exercise-6" in out


def test_list_warns_about_files_it_could_not_load(
    tree: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    tree.write("alpha/quiz.yaml", "questions: [\n")
    assert cli.main(["curriculum", "list", "--root", str(tree.root)]) == 0
    assert "1 file(s) could not be loaded" in capsys.readouterr().err
