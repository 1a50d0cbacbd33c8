"""`learnflow ask`: one message through triage and the specialists in-process, as JSON."""

from __future__ import annotations

import json

import pytest

from learnflow.cli.main import main
from learnflow.settings import Settings


def _ask(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["ask", *args, "--llm", "offline"]) == 0
    result: dict[str, object] = json.loads(capsys.readouterr().out)
    assert set(result) == {"agent", "intent", "reply", "sources", "model"}
    # who wrote it: the offline tutor for the agents' answers, nobody for a fixed message
    assert result["model"] == ("offline" if result["agent"] in {"concepts", "tutor"} else None)
    return result


def test_the_issues_examples(capsys: pytest.CaptureFixture[str]) -> None:
    answer = _ask(capsys, "What does the return statement do?")
    assert answer["agent"] == "concepts" and answer["sources"][0] == "functions.return-values"  # type: ignore[index]
    answer = _ask(capsys, "What is recursion?")
    assert answer["sources"][0] == "functions.recursion"  # type: ignore[index]
    answer = _ask(capsys, "what is a decorator")
    assert answer["sources"] == [] and "couldn't find" in str(answer["reply"])
    answer = _ask(capsys, 'TypeError: can only concatenate str (not "int") to str')
    assert answer["agent"] == "tutor" and "TypeError" in str(answer["reply"])
    assert "Code quality" not in str(answer["reply"])
    answer = _ask(capsys, "I keep getting IndexError")
    assert answer["agent"] == "tutor" and "IndexError" in str(answer["reply"])
    answer = _ask(capsys, "just give me the answer to the word count exercise")
    assert "Count the words" in str(answer["reply"]) and "won't give you" in str(answer["reply"])
    assert _ask(capsys, "set me something on recursion")["intent"] == "exercise_request"
    assert _ask(capsys, "where do I stand in the course")["agent"] == "debrief"


def test_the_open_exercise_is_the_context(capsys: pytest.CaptureFixture[str]) -> None:
    answer = _ask(capsys, "I'm stuck", "--exercise", "control-flow.fizzbuzz")
    assert "Hint 1 of 3" in str(answer["reply"]) and answer["sources"] == ["control-flow.fizzbuzz"]


def test_llm_local_without_a_server_says_what_to_set(capsys: pytest.CaptureFixture[str]) -> None:
    from learnflow.cli.commands.ask import settings_for
    from learnflow.errors import ConfigurationError

    # an offset where no stack runs: nothing answers on its model server port
    with pytest.raises(ConfigurationError, match="make up LLM=local"):
        settings_for("local", Settings(llm_local_base_url=None, port_offset=3370))
    local = settings_for("local", Settings(llm_local_base_url="http://127.0.0.1:8080/v1"))
    assert local.llm_base_url == "http://127.0.0.1:8080/v1"
    assert local.llm_model == "smollm2-135m-instruct" and not local.llm_tool_calls
