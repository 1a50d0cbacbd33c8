"""The local model in a real browser (frontend/tests/e2e/model.mjs) against the stack with
`LEARNFLOW_LLM=local`: Maya's question is answered by the model as it writes (the answer shown
so far grows before it is finished), the answer's caption names the model, and it cites the
for-loops lesson. Each step is its own test; the story's output, with the stack's logged
warnings and errors when it failed, is printed by the test of the whole story."""

from __future__ import annotations

import pytest

from learnflow.mesh.model_server import SMOLLM2
from tests.frontend.harness import Frontend, StoryRun, run_story

pytestmark = pytest.mark.integration

STORY = "model"
STEPS = ("login", "stream", "model", "sources", "guards")


@pytest.fixture(scope="module")
def model_story(local_model_stack: Frontend, tmp_path_factory: pytest.TempPathFactory) -> StoryRun:
    return run_story(
        local_model_stack,
        STORY,
        results=tmp_path_factory.mktemp("e2e-results"),
        screenshots=tmp_path_factory.mktemp("e2e-shots"),
        env={"E2E_EXPECT_MODEL": SMOLLM2.alias},  # the name the stack gives the agents' model
    )


def test_the_story_runs_to_the_end(model_story: StoryRun) -> None:
    model_story.check_ran(STEPS)


@pytest.mark.parametrize("step", STEPS)
def test_step(model_story: StoryRun, step: str) -> None:
    model_story.check_step(step)
