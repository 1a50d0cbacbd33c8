"""Who wrote an agent's answer: the reply's `model` ("Written by <model>" or "Offline tutor").

The label comes from what happened in the run, not from the settings alone: in
retrieve-then-write (`Settings.llm_tool_calls` off) a grade, a refusal, an exercise statement or
the fallback after the model failed is LearnFlow's text on a configured model, and a learner
must never be told a model wrote it — nor the other way round. `GroundedModel` marks the
answers its writer wrote (`learnflow.llm.grounded.model_wrote`); everything else it answers is
the offline tutor's.

An answer the model started and LearnFlow finished (a stream broken mid-answer: the model's
first words, a notice saying it stopped, then the offline answer) is labelled "offline": the
answer the learner is left with is the offline one, and the notice says whose the words above
it were.
"""

from __future__ import annotations

from agents.result import RunResultBase

from learnflow.llm.grounded import model_wrote
from learnflow.llm.provider import OFFLINE, model_label
from learnflow.settings import Settings

__all__ = ["OFFLINE", "written_by"]


def written_by(result: RunResultBase, settings: Settings | None) -> str:
    """Who wrote `result`'s final output: `OFFLINE`, or the configured model's name.

    `settings` are those the agent's model was built from; `None` means none were (an agent on
    the offline model or on a test's scripted one: LearnFlow's code either way). A model that
    calls tools itself (`llm_tool_calls`) writes every answer; in retrieve-then-write only the
    answers `GroundedModel` marks as written are the model's.
    """
    if settings is None or settings.uses_offline_model:
        return OFFLINE
    if settings.llm_tool_calls:
        return model_label(settings)
    responses = result.raw_responses
    if responses and model_wrote(responses[-1]):
        return model_label(settings)
    return OFFLINE
