"""What a real model writes when it does not call tools itself: retrieve-then-write.

Small local models (SmolLM2-135M, Gemma 3 270M) cannot drive an agent's tools. With
`Settings.llm_tool_calls` off, an agent's offline policy still decides every tool call — the
retrieval is LearnFlow's own, deterministic code — and only the last step changes: instead of
answering with its own draft, the policy says what the model should write (`Writing`), and the
model writes it (`learnflow.llm.grounded.GroundedModel`). The draft stays the answer whenever
the policy returns `None` (a refusal, a grade whose numbers must not change, "no lesson covers
this") and whenever the model fails, so a learner always gets the offline answer at worst.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from learnflow.llm.offline import Answer, OfflinePolicy, Transcript

#: Most characters of a Writing's instructions + prompt: a small model's context is short, and its
#: first token comes later the longer the prompt (the agents' builders stay under it).
PROMPT_BUDGET = 2000


@dataclass(frozen=True)
class Writing:
    """One request to the writer model.

    `instructions`: its system prompt, short and concrete (a 135M model follows one or two
    rules, not a page). `prompt`: the material (lesson text, exercise, facts) and the learner's
    request, all the model may use. `tail`: appended verbatim after what the model wrote (the
    `Sources:` and `Check question:` lines), so citations never depend on the model; as a paragraph
    of its own (a blank line is put before a tail that does not start with a line break).
    """

    instructions: str
    prompt: str
    tail: str = ""
    max_tokens: int = 320


@runtime_checkable
class WritingPolicy(OfflinePolicy, Protocol):
    """An offline policy that can hand its final answer to a real model to write."""

    def writing(self, transcript: Transcript, draft: Answer) -> Writing | None:
        """What the model should write instead of `draft`, or `None` to answer with `draft`."""
        ...
