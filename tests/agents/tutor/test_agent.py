"""The agent's tools keep their promises whatever model drives them (LLM path, scripted)."""

from __future__ import annotations

import json

from learnflow.curriculum import Catalog
from learnflow.llm.offline import Answer, CallTool, OfflineModel
from learnflow.testing import FakeSidecar, ScriptedPolicy
from tests.agents.tutor.sample_curriculum import WORD_COUNT
from tutor_agent.agent import build_tutor_agent, run_turn
from tutor_agent.context import TutorContext
from tutor_agent.grading import SidecarGrader
from tutor_agent.state import TutorState


async def run_tools(
    catalog: Catalog, *calls: CallTool, **fields: object
) -> list[dict[str, object]]:
    """Let a scripted model call `calls`, then answer; returns each tool's decoded output."""
    policy = ScriptedPolicy(*calls, Answer("ok"))
    agent = build_tutor_agent(model=OfflineModel(policy))
    ctx = TutorContext(catalog=catalog, state=TutorState(), offline=False, **fields)  # type: ignore[arg-type]
    await run_turn(agent, ctx, str(fields.get("learner_message", "hi")))
    last = policy.seen[-1]
    return [json.loads(result.output) for result in last.tool_results]


async def test_get_exercise_shows_prompt_and_starter_never_tests_or_solution(
    catalog: Catalog,
) -> None:
    (shown,) = await run_tools(catalog, CallTool("get_exercise", {"exercise_id": WORD_COUNT.id}))
    assert shown["starter"] == WORD_COUNT.starter and "how_to_submit" in shown
    assert WORD_COUNT.solution not in json.dumps(shown)
    assert "tests" not in shown and "solution" not in shown


async def test_get_hint_gives_one_new_rung_per_turn_whatever_is_asked(catalog: Catalog) -> None:
    results = await run_tools(
        catalog,
        CallTool("get_hint", {"exercise_id": WORD_COUNT.id, "rung": 3}),
        CallTool("get_hint", {"exercise_id": WORD_COUNT.id, "rung": 3}),
    )
    assert [r["rung"] for r in results] == [1, 1]
    assert "one rung at a time" in str(results[0]["note"])


async def test_grade_submission_grades_only_the_learners_code(catalog: Catalog) -> None:
    sidecar = FakeSidecar()
    mine = "def word_count(text):\n    return {}\n"
    results = await run_tools(
        catalog,
        CallTool("grade_submission", {"exercise_id": WORD_COUNT.id, "code": WORD_COUNT.solution}),
        CallTool("grade_submission", {"exercise_id": WORD_COUNT.id, "code": mine}),
        grader=SidecarGrader(sidecar),
        learner_code=mine,
        learner_message="check mine",
    )
    assert "only grades code the learner sent" in str(results[0]["error"])
    assert results[1]["passed"] is True and isinstance(results[1]["quality_score"], int)
    assert [c.body["code"] for c in sidecar.invocations] == [mine]


async def test_unknown_ids_come_back_as_errors_the_model_can_read(catalog: Catalog) -> None:
    results = await run_tools(
        catalog,
        CallTool("get_exercise", {"exercise_id": "nope.nope"}),
        CallTool("get_hint", {"exercise_id": "nope.nope", "rung": 1}),
        CallTool("recommend_exercise", {"topic": "", "difficulty": ""}),
        CallTool("review_code", {"code": ""}),
    )
    assert "no exercise 'nope.nope'" in str(results[0]["error"])
    assert "error" in results[1] and "exercises" in results[2]
    assert "no code" in str(results[3]["error"])
