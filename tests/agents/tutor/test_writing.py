"""What the tutor hands a small model to write (`TutorPolicy.writing`, `tutor_agent.writing`):
hints, error explanations and code reviews become a `Writing` whose prompt holds the material
and never a test or a reference solution, with the exact facts in its tail; everything else
keeps the offline draft. Transcripts are the real ones: the offline tutor runs through
`TutorService`, and the policy records what it answered from."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from learnflow.curriculum import Catalog, Exercise
from learnflow.llm.offline import Answer, CallTool, OfflineModel, ToolResult, Transcript
from learnflow.llm.writing import Writing, WritingPolicy
from learnflow.settings import Settings
from learnflow.testing import FakeSidecar, failing
from tests.agents.tutor.sample_curriculum import FIRST_REPEAT, SUM_EVENS, WORD_COUNT
from tutor_agent.agent import build_tutor_agent
from tutor_agent.exercises import default_catalog
from tutor_agent.models import TutorRequest
from tutor_agent.offline_policy import OFFLINE_LABEL, TutorPolicy
from tutor_agent.service import TutorService
from tutor_agent.writing import PROMPT_BUDGET, error_writing, hint_writing, review_writing

TRACEBACK = """Traceback (most recent call last):
  File "/home/maya/main.py", line 2, in <module>
    print("You are " + age)
TypeError: can only concatenate str (not "int") to str"""


class RecordingPolicy(TutorPolicy):
    """The offline tutor, remembering the transcript and draft of its last answer."""

    last: tuple[Transcript, Answer] | None = None

    def next_step(self, transcript: Transcript) -> CallTool | Answer:
        step = super().next_step(transcript)
        if isinstance(step, Answer):
            self.last = (transcript, step)
        return step


class Session:
    def __init__(self, catalog: Catalog, sidecar: FakeSidecar) -> None:
        self.policy = RecordingPolicy()
        self.service = TutorService(
            sidecar,
            catalog,
            build_tutor_agent(model=OfflineModel(self.policy)),
            offline=True,
            events=sidecar,
            leak_check_timeout_s=Settings().tutor_leak_check_timeout_s,
        )
        self.ids = itertools.count(1)

    async def say(
        self, message: str, intent: str = "code_help", code: str | None = None
    ) -> tuple[Answer, Writing | None]:
        """The offline draft of the tutor's answer, and what the model would write instead."""
        request = TutorRequest(
            message=message,
            session_id="s-1",
            message_id=f"m-{next(self.ids)}",
            intent=intent,
            code=code,
        )
        await self.service.respond(request)
        assert self.policy.last is not None
        transcript, draft = self.policy.last
        return draft, self.policy.writing(transcript, draft)


@pytest.fixture
def session(catalog: Catalog, sidecar: FakeSidecar) -> Session:
    return Session(catalog, sidecar)


def assert_safe(writing: Writing, exercise: Exercise) -> None:
    """The prompt stays small and holds nothing of the exercise's tests, nor any part of its
    reference solution that no public text (starter, statement, hint rungs) shows."""
    material = writing.instructions + writing.prompt
    assert len(material) <= PROMPT_BUDGET
    assert exercise.solution.strip() not in material
    assert exercise.tests.strip() not in material
    assert "assert" not in material
    public = "\n".join([exercise.starter, exercise.prompt, *(h.text for h in exercise.hints.rungs)])
    for line in exercise.solution.splitlines():
        if len(line.strip()) >= 8 and line.strip() not in public:
            assert line.strip() not in material, line
    assert OFFLINE_LABEL not in writing.prompt + writing.tail
    assert "```" not in writing.prompt  # shown code, a tiny model writes code


def test_the_tutor_policy_is_a_writing_policy() -> None:
    assert isinstance(TutorPolicy(), WritingPolicy)


async def test_each_hint_rung_is_written_with_the_rung_and_the_hint_in_the_tail(
    session: Session,
) -> None:
    await session.say(f"I want to do {WORD_COUNT.id}", intent="exercise_request")
    for rung, hint in enumerate(WORD_COUNT.hints.rungs, start=1):
        draft, writing = await session.say("can I have a hint?")
        assert writing is not None
        assert f"Hint {rung} of 3" in draft.text
        assert writing.tail.startswith(f"Hint {rung} of 3 for “{WORD_COUNT.title}”")
        assert f"Exercise: {WORD_COUNT.title}" in writing.prompt
        assert "Learner: can I have a hint?" in writing.prompt
        if hint.level == "partial":
            assert f"```python\n{hint.text.strip()}\n```" in writing.tail
            assert "...)" in writing.prompt.splitlines()[-1]  # the task names the blanks
        else:
            assert f"Hint: {hint.text.strip()}" in writing.prompt
            assert writing.tail.endswith(hint.text.strip())
        for later in WORD_COUNT.hints.rungs[rung:]:
            assert later.text.strip().splitlines()[0] not in writing.prompt + writing.tail
        assert_safe(writing, WORD_COUNT)


@pytest.mark.parametrize(
    "message", ["just give me the answer", "write the function for me", "hint, in pseudocode"]
)
async def test_a_push_for_the_answer_keeps_the_refusal(session: Session, message: str) -> None:
    await session.say(f"I want to do {WORD_COUNT.id}", intent="exercise_request")
    draft, writing = await session.say(message)
    assert "I won't give you the solution" in draft.text
    assert writing is None


async def test_the_end_of_the_ladder_keeps_the_draft(session: Session) -> None:
    await session.say(f"I want to do {WORD_COUNT.id}", intent="exercise_request")
    for _ in range(3):
        await session.say("hint")
    draft, writing = await session.say("hint")
    assert "all 3 hints" in draft.text and writing is None


async def test_a_hint_for_another_exercise_is_told_with_that_exercise(
    session: Session,
) -> None:
    await session.say(f"I want to do {SUM_EVENS.id}", intent="exercise_request")
    draft, writing = await session.say(f"a hint for {WORD_COUNT.id} please")
    assert f"Hint 1 of 3 for “{WORD_COUNT.title}”" in draft.text
    assert writing is not None and f"Exercise: {WORD_COUNT.title}" in writing.prompt
    assert SUM_EVENS.title not in writing.prompt
    assert_safe(writing, WORD_COUNT)


async def test_an_exercise_statement_keeps_the_draft(session: Session) -> None:
    draft, writing = await session.say("give me an exercise on dictionaries", "exercise_request")
    assert WORD_COUNT.title in draft.text and writing is None


async def test_grading_keeps_the_draft_so_its_numbers_never_change(
    session: Session, sidecar: FakeSidecar
) -> None:
    await session.say(f"I want to do {SUM_EVENS.id}", intent="exercise_request")
    sidecar.runner = failing("sum_of_evens([1, 2, 3, 4]) should be 6, but got None")
    code = "def sum_of_evens(numbers):\n    total = 0\n"
    draft, writing = await session.say("why doesn't this work?", code=code)
    assert "1 of 2 tests pass" in draft.text and writing is None
    draft, writing = await session.say("submit", intent="submission", code=code)
    assert "✗ basic" in draft.text and writing is None


@pytest.mark.parametrize(
    ("message", "intent", "seen"),
    [
        ("I'm stuck", "code_help", "What are you working on?"),
        ("is my solution correct?", "submission", "don't see any code"),
    ],
)
async def test_questions_back_to_the_learner_keep_the_draft(
    session: Session, message: str, intent: str, seen: str
) -> None:
    draft, writing = await session.say(message, intent)
    assert seen in draft.text and writing is None


async def test_a_review_without_tests_is_written_with_the_whole_review_in_the_tail(
    session: Session, sidecar: FakeSidecar
) -> None:
    code = "def f(items=[]):\n    return items\n"
    draft, writing = await session.say("is this good code?", code=code)
    assert writing is not None and sidecar.invocations == []
    review = draft.text.split("Code review — ", 1)[1].split("\n\nWhat would you like", 1)[0]
    assert writing.tail == "Code review — " + review
    assert "Code quality:" in writing.tail and "mutable default" in writing.tail
    assert "Comment: line 1: mutable default" in writing.prompt
    assert "Learner: is this good code?" in writing.prompt
    assert "def f(" not in writing.prompt  # the comments name the lines; code is not shown
    assert len(writing.instructions + writing.prompt) <= PROMPT_BUDGET


async def test_a_submission_without_an_exercise_keeps_the_draft(session: Session) -> None:
    draft, writing = await session.say(
        "submit", intent="submission", code="def f(x):\n    return x\n"
    )
    assert "don't have a current exercise" in draft.text and writing is None


async def test_an_error_is_written_from_the_explanation_with_its_line_in_the_tail(
    session: Session,
) -> None:
    await session.say(f"I want to do {FIRST_REPEAT.id}", intent="exercise_request")
    draft, writing = await session.say(f"what does this mean?\n{TRACEBACK}")
    assert "TypeError" in draft.text and writing is not None
    assert writing.tail.startswith("(TypeError on line 2.")
    assert "errors.exception-types" in writing.tail
    assert 'Line 2: print("You are " + age)' in writing.prompt
    assert "Learner: what does this mean?" in writing.prompt
    assert f"Exercise: {FIRST_REPEAT.title}" in writing.prompt
    assert "Traceback" not in writing.prompt
    assert_safe(writing, FIRST_REPEAT)


def test_a_tool_error_keeps_the_draft() -> None:
    status = ToolResult("session_status", {}, json.dumps({"intent": "code_help"}))
    for name in ("explain_error", "get_hint", "review_code"):
        failed = ToolResult(name, {}, json.dumps({"error": "no Python error found"}))
        transcript = Transcript(
            instructions="",
            user_message="help",
            history=(),
            tool_results=(status, failed),
            tool_names=frozenset(),
        )
        assert TutorPolicy().writing(transcript, Answer("[offline tutor] …")) is None


# --- the builders, on the real curriculum and on oversized input ------------------------------

_HUGE_MESSAGE = "please explain " * 400
_HUGE_CODE = "\n".join(f"value_{i} = compute(value_{i - 1}) * {i}  # step {i}" for i in range(400))


@pytest.mark.parametrize("exercise", default_catalog().exercises, ids=lambda e: e.id)
def test_every_hint_of_the_curriculum_fits_the_budget_and_hides_the_solution(
    exercise: Exercise,
) -> None:
    for rung, hint in enumerate(exercise.hints.rungs, start=1):
        found = {
            "exercise_id": exercise.id,
            "title": exercise.title,
            "rung": rung,
            "of": len(exercise.hints.rungs),
            "level": hint.level,
            "hint": hint.text.strip(),
        }
        writing = hint_writing(found, _HUGE_MESSAGE)
        assert_safe(writing, exercise)
        assert writing.tail.startswith(f"Hint {rung} of {len(exercise.hints.rungs)} for ")
        assert hint.text.strip() in writing.tail


def test_oversized_input_is_trimmed_under_the_budget() -> None:
    current: dict[str, Any] = {"id": "x", "title": "T" * 300}
    found = {
        "exception": "ValueError",
        "message": "m" * 2000,
        "line": 7,
        "code_line": "c" * 2000,
        "meaning": "means " * 300,
        "cause": "cause " * 300,
        "hint": "hint " * 300,
        "lessons": ["errors.a", "errors.b"],
    }
    error = error_writing(current, found, _HUGE_MESSAGE)
    assert len(error.instructions + error.prompt) <= PROMPT_BUDGET
    assert error.tail == "(ValueError on line 7. Read more: `errors.a`, `errors.b`.)"
    review = {
        "score": 41,
        "comments": ["line 1: " + "x" * 2000] * 10,
        "praise": ["nice " * 300] * 5,
        "text": "Code quality: 41/100 (...)",
    }
    written = review_writing(current, review, _HUGE_MESSAGE)
    assert len(written.instructions + written.prompt) <= PROMPT_BUDGET
    assert written.tail == "Code review — Code quality: 41/100 (...)"
    assert "Quality score: 41/100" in written.prompt


@pytest.mark.parametrize(
    ("message", "said"),
    [
        (f"why doesn't this work?\n```python\n{_HUGE_CODE}\n```", "why doesn't this work?"),
        (_HUGE_CODE, None),
        ("help", "help"),
    ],
)
def test_code_the_learner_pasted_is_not_shown_to_the_model(message: str, said: str | None) -> None:
    review = {"score": 90, "comments": [], "praise": [], "text": "Code quality: 90/100"}
    prompt = review_writing(None, review, message).prompt
    assert "compute(" not in prompt and "```" not in prompt
    if said is None:
        assert "Learner:" not in prompt
    else:
        assert f"Learner: {said}" in prompt
