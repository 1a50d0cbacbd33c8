"""Which model `build_model` gives, and what its client sends: pure wiring, no server."""

from __future__ import annotations

import pytest
from agents import OpenAIChatCompletionsModel

from learnflow.errors import ConfigurationError
from learnflow.llm.grounded import GroundedModel
from learnflow.llm.offline import Answer, OfflineModel, Transcript
from learnflow.llm.provider import build_model, model_label, openai_client
from learnflow.settings import Settings


class _Policy:
    def next_step(self, transcript: Transcript) -> Answer:
        return Answer("offline")


def test_no_endpoint_means_the_offline_model() -> None:
    settings = Settings(llm_base_url=None)
    assert isinstance(build_model(_Policy(), settings), OfflineModel)
    assert model_label(settings) == "offline"


def test_an_endpoint_that_calls_tools_drives_the_agent_itself() -> None:
    settings = Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="big")
    assert isinstance(build_model(_Policy(), settings), OpenAIChatCompletionsModel)
    assert model_label(settings) == "big"


def test_a_small_model_only_writes_retrieve_then_write() -> None:
    settings = Settings(llm_base_url="http://127.0.0.1:9/v1", llm_tool_calls=False)
    model = build_model(_Policy(), settings)
    assert isinstance(model, GroundedModel)
    assert isinstance(model.writer, OpenAIChatCompletionsModel)


def test_through_the_sidecar_every_request_carries_its_api_token() -> None:
    settings = Settings(
        llm_base_url="http://127.0.0.1:3502/v1.0/invoke/llm/method/v1",
        llm_through_sidecar=True,
        dapr_api_token="sidecar-token",
    )
    client = openai_client(settings, max_retries=0)
    assert client.default_headers["dapr-api-token"] == "sidecar-token"
    assert (
        "dapr-api-token"
        not in openai_client(Settings(llm_base_url="http://x/v1"), max_retries=0).default_headers
    )


def test_through_the_sidecar_without_a_token_is_a_clear_configuration_error() -> None:
    settings = Settings(llm_base_url="http://x/v1", llm_through_sidecar=True, dapr_api_token=None)
    with pytest.raises(ConfigurationError, match="DAPR_API_TOKEN"):
        openai_client(settings, max_retries=0)
