"""Which model an agent runs on: the configured OpenAI-compatible endpoint, or the offline one."""

from __future__ import annotations

from agents import Model, OpenAIChatCompletionsModel, set_tracing_disabled
from openai import AsyncOpenAI, DefaultAsyncHttpxClient

from learnflow.errors import ConfigurationError
from learnflow.llm.grounded import GroundedModel
from learnflow.llm.offline import OfflineModel, OfflinePolicy
from learnflow.llm.whole_streams import WholeStreams
from learnflow.settings import Settings


def build_model(offline_policy: OfflinePolicy, settings: Settings) -> Model:
    """An OpenAI-compatible chat-completions model when `LEARNFLOW_LLM_BASE_URL` is set (any
    server that speaks that API: OpenAI, vLLM, Ollama, LM Studio, llama.cpp...); otherwise the
    built-in offline model driven by the agent's own `offline_policy`.

    With `llm_tool_calls` off (a small local model that cannot call tools), the endpoint's model
    only writes final answers: `GroundedModel`, where `offline_policy` makes every tool call."""
    # Learner conversations are never exported to a hosted tracing service.
    set_tracing_disabled(True)
    if settings.uses_offline_model:
        return OfflineModel(offline_policy, stream_pause_s=settings.offline_stream_pause_s)
    if settings.llm_tool_calls:
        return OpenAIChatCompletionsModel(
            model=settings.llm_model, openai_client=openai_client(settings, max_retries=2)
        )
    # No retries: a failed written answer falls back to the offline one, which is the retry.
    writer = OpenAIChatCompletionsModel(
        model=settings.llm_model, openai_client=openai_client(settings, max_retries=0)
    )
    return GroundedModel(
        offline_policy,
        writer,
        answer_timeout_s=settings.llm_answer_timeout_s,
        stall_s=settings.llm_stall_s,
        stream_pause_s=settings.offline_stream_pause_s,
    )


def openai_client(settings: Settings, *, max_retries: int) -> AsyncOpenAI:
    """The client for the configured endpoint: the one place it is built.

    With `llm_through_sidecar` the base URL is the app's own daprd (the HTTPEndpoint `llm`,
    under the Resiliency policy), which accepts only requests carrying its API token."""
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    headers: dict[str, str] = {}
    if settings.llm_through_sidecar:
        if settings.dapr_api_token is None:
            raise ConfigurationError(
                "LEARNFLOW_LLM_THROUGH_SIDECAR is set but the app has no DAPR_API_TOKEN: the "
                "sidecar would refuse every model call"
            )
        headers["dapr-api-token"] = settings.dapr_api_token.get_secret_value()
    return AsyncOpenAI(
        base_url=settings.llm_base_url,
        api_key=key,
        max_retries=max_retries,
        timeout=settings.invoke_timeout_s,
        default_headers=headers or None,
        # a streamed answer cut before `[DONE]` (the server died) is an error, not an answer
        http_client=DefaultAsyncHttpxClient(transport=WholeStreams()),
    )


def chosen_model(
    offline_policy: OfflinePolicy, *, model: Model | None, settings: Settings | None
) -> Model:
    """`model` when given (tests and evaluations script one), else `build_model` from `settings`:
    an agent builder takes one or the other, never the process environment."""
    if model is not None:
        return model
    if settings is None:
        raise TypeError("an agent needs the model to run on or the settings that configure it")
    return build_model(offline_policy, settings)


#: The label of text LearnFlow's own code wrote: the offline tutor's.
OFFLINE = "offline"


def model_label(settings: Settings) -> str:
    return OFFLINE if settings.uses_offline_model else settings.llm_model
