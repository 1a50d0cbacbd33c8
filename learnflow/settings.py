"""The one place LearnFlow reads its configuration from (environment or `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Settings shared by every LearnFlow process. Env vars use the `LEARNFLOW_` prefix."""

    model_config = SettingsConfigDict(
        env_prefix="LEARNFLOW_", env_file=".env", extra="ignore", frozen=True
    )

    # --- where things live -------------------------------------------------------------------
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "learnflow",
        description="Heavy, reusable artifacts: daprd/placement/scheduler, Kafka jars.",
    )
    run_dir: Path = Field(
        default=REPO_ROOT / ".run" / "dev",
        description="One stack's data and logs: PostgreSQL cluster, Kafka log dirs, pids, logs.",
    )
    port_offset: int = Field(
        default=0, ge=0, le=20000, description="Added to every port, to run a second stack."
    )

    # --- this process inside the mesh --------------------------------------------------------
    app_id: str = Field(default="", validation_alias=AliasChoices("LEARNFLOW_APP_ID", "APP_ID"))
    dapr_http_port: int = Field(
        default=3500, validation_alias=AliasChoices("DAPR_HTTP_PORT", "LEARNFLOW_DAPR_HTTP_PORT")
    )
    dapr_grpc_port: int = Field(
        default=50001, validation_alias=AliasChoices("DAPR_GRPC_PORT", "LEARNFLOW_DAPR_GRPC_PORT")
    )
    dapr_api_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DAPR_API_TOKEN", "LEARNFLOW_DAPR_API_TOKEN")
    )
    app_api_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("APP_API_TOKEN", "LEARNFLOW_APP_API_TOKEN"),
        description="Token daprd sends to the app; when set, the app rejects calls without it.",
    )
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="json: one JSON object per line with the trace id (learnflow.logs); text: "
        "readable lines for a terminal.",
    )
    pubsub_name: str = "pubsub"
    statestore_name: str = "statestore"
    invoke_timeout_s: float = Field(default=30.0, gt=0)

    # --- data --------------------------------------------------------------------------------
    database_url: SecretStr | None = Field(
        default=None, description="psycopg conninfo for LearnFlow's own tables."
    )

    # --- identity ----------------------------------------------------------------------------
    jwt_secret: SecretStr | None = None
    jwt_ttl_s: int = Field(default=3600, gt=0, le=7 * 24 * 3600)
    demo_password: SecretStr | None = Field(
        default=None,
        description="Password of the seeded demo users (learnflow.auth.seed); unset = each gets "
        "a random one, printed once when it is created.",
    )

    # --- models ------------------------------------------------------------------------------
    llm: Literal["configured", "local"] = Field(
        default="configured",
        description="local = `learnflow up` also starts the local model server "
        "(learnflow.mesh.model_server) and points every agent at it through its Dapr sidecar; "
        "configured = LEARNFLOW_LLM_BASE_URL when set, else the built-in offline model.",
    )
    llm_through_sidecar: bool = Field(
        default=False,
        description="LEARNFLOW_LLM_BASE_URL is the app's own daprd (an HTTPEndpoint): requests "
        "carry its API token. Set by the stack for LEARNFLOW_LLM=local.",
    )
    llm_base_url: str | None = Field(
        default=None, description="Any OpenAI-compatible endpoint; unset = built-in offline model."
    )
    llm_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    llm_local_base_url: str | None = Field(
        default=None,
        description="The local model server's OpenAI-compatible base URL (`learnflow ask --llm "
        "local`).",
    )
    llm_tool_calls: bool = Field(
        default=True,
        description="true = the configured model calls the agents' tools itself; false = "
        "retrieve-then-write: LearnFlow's policies retrieve, the model only writes the answer "
        "(learnflow.llm.grounded) — for small local models that cannot drive tools.",
    )
    llm_answer_timeout_s: float = Field(
        default=30,
        gt=0,
        description="Retrieve-then-write: the model's written answer must be complete within "
        "this; else the offline answer.",
    )
    llm_stall_s: float = Field(
        default=10,
        gt=0,
        description="Retrieve-then-write: no new token for this long mid-answer = the model is "
        "stuck; the offline answer follows what it wrote.",
    )
    offline_stream_pause_s: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="A streamed offline answer waits this long before each phrase, so it is "
        "written out like a model's (learnflow.llm.streaming); 0 = as fast as possible.",
    )

    # --- durable workflows (learnflow.workflows); frozen into each instance's input at start --
    workflow_stuck_after_s: float = Field(
        default=600, gt=0, description="No heartbeat or run on an open exercise this long: stuck."
    )
    workflow_idle_finalize_after_s: float = Field(
        default=3600, gt=0, description="A session with no event at all this long is finalized."
    )
    workflow_active_gap_s: float = Field(
        default=300, gt=0, description="Gaps between events up to this long count as time on task."
    )
    workflow_exam_time_limit_s: int = Field(default=45 * 60, gt=0, le=6 * 3600)
    workflow_events_per_generation: int = Field(
        default=25,
        ge=2,
        description="Events a session handles before it continues as new: every turn replays "
        "the generation's history, so a turn costs O(events in the generation).",
    )
    workflow_live_sessions: bool = Field(
        default=True,
        description="New sessions fold learner events into the live projection (PostgreSQL "
        "table session_live) and raise their workflow only for what it must act on; False: "
        "every event is raised on the workflow (the old path, kept for comparison).",
    )
    workflow_activity_timeout_s: float = Field(default=45, gt=0)
    workflow_retry_max_attempts: int = Field(default=4, ge=1, le=20)
    workflow_retry_first_interval_s: float = Field(default=2, ge=0)
    workflow_retry_max_interval_s: float = Field(default=30, gt=0)

    # --- outages (learnflow.outbox, learnflow.db.pool) ---------------------------------------
    outbox_poll_s: float = Field(
        default=1.0,
        gt=0,
        description="How often a relay looks for rows queued by other processes (its own "
        "process wakes it at once).",
    )
    db_acquire_timeout_s: float = Field(
        default=3.0,
        gt=0,
        description="A request waits this long for a database connection, then answers 503.",
    )

    # --- request limits ----------------------------------------------------------------------
    max_message_chars: int = Field(default=8000, gt=0)
    max_body_bytes: int = Field(default=256 * 1024, gt=0)

    # --- speech (exam debriefs read aloud by espeak-ng; learnflow/speech.py) -----------------
    speech_engine: str = Field(default="espeak-ng", description="The espeak-ng executable.")
    speech_voice: str = Field(default="en-us", description="The default espeak-ng voice.")
    speech_speed_wpm: int = Field(default=160, ge=80, le=300)
    speech_timeout_s: float = Field(default=20.0, gt=0, le=120)
    speech_max_chars: int = Field(
        default=6000, gt=0, le=20000, description="Longer texts are refused (422), not cut."
    )
    speech_cache_max_bytes: int = Field(
        default=256 * 1024**2, gt=0, description="Past this, the oldest cached speech goes."
    )

    # --- tutor -------------------------------------------------------------------------------
    #: How long the solution-leak guardrail may run a reply's code against the hidden tests of
    #: the exercises in play; code it could not check in time is blocked when it defines what
    #: the tests import (fail closed).
    tutor_leak_check_timeout_s: float = Field(default=4.0, gt=0, le=30)

    # --- abuse limits, per learner, at triage (held in PostgreSQL: shared by every replica) ---
    limit_chat_burst: int = Field(default=10, ge=1, description="Chat messages sent at once.")
    limit_chat_per_minute: float = Field(default=20, gt=0)
    limit_run_burst: int = Field(default=10, ge=1, description="Code runs sent at once.")
    limit_run_per_minute: float = Field(default=30, gt=0)
    limit_submit_burst: int = Field(default=6, ge=1, description="Submissions sent at once.")
    limit_submit_per_minute: float = Field(default=12, gt=0)
    # joining a class: a join code is 8 letters of 32, and this keeps guessing them slow
    limit_join_burst: int = Field(default=5, ge=1, description="Class joins tried at once.")
    limit_join_per_minute: float = Field(default=6, gt=0)
    # exam answers (a quiz answer is cheap, but each one is a workflow event in daprd's store)
    limit_answer_burst: int = Field(default=20, ge=1, description="Exam answers sent at once.")
    limit_answer_per_minute: float = Field(default=60, gt=0)
    limit_code_in_flight: int = Field(
        default=2, ge=1, description="Runs + submissions of one learner in the sandbox at once."
    )
    login_free_failures_per_account: int = Field(default=5, ge=1)
    login_free_failures_per_address: int = Field(default=20, ge=1)
    login_backoff_base_s: float = Field(
        default=1, gt=0, description="First lockout after the free failures; doubles each time."
    )
    login_backoff_max_s: float = Field(default=900, gt=0)
    login_forget_after_s: float = Field(
        default=900, gt=0, description="Failed logins older than this are forgotten."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of reverse proxies (e.g. Kong) whose X-Forwarded-For is believed; "
        "empty = the client's address is the TCP peer's.",
    )

    # --- triage ------------------------------------------------------------------------------
    triage_llm_fallback_below: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="With a model configured, a message the offline classifier routes with a "
        "confidence below this is asked of the model (learnflow.intent_fallback); 0 = never.",
    )

    @property
    def dapr_http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.dapr_http_port}"

    @property
    def uses_offline_model(self) -> bool:
        return not self.llm_base_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
