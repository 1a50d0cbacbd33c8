"""Who may talk to whom inside the mesh: the one table both enforcement points are built from.

- **Service invocation** (`CALLERS`): each app's sidecar accepts calls only from the apps listed
  for it, identified by their mTLS certificate (SPIFFE id issued by Sentry), rendered into that
  app's Dapr Configuration as `accessControl` (default deny). Pub/sub delivery routes
  (`/events/...`) are never reachable by invocation, whoever calls.
- **Kafka** (`PRODUCES`, plus the consumers declared in `components/subscriptions.yaml`): each
  app has its own SCRAM credential and ACLs to write only the topics it produces and read only
  the topics it subscribes to (and write their dead-letter topics, which Dapr and our poison
  handling publish from the consumer's side). The dead-letter watcher (`DEAD_LETTER_WATCHER`)
  also reads every dead-letter topic.

A call or a publish that is not in this table is refused by daprd or the broker; add it here
(and say why) when an app needs a new one.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from learnflow.dlq.messages import is_dead_letter_topic
from learnflow.events import dead_letter_topic
from learnflow.settings import REPO_ROOT

# callee -> the apps whose sidecars may invoke it
CALLERS: dict[str, frozenset[str]] = {
    "triage": frozenset({"frontend"}),  # the web app's BFF forwards the edge API
    "concepts": frozenset({"triage"}),
    "tutor": frozenset({"triage"}),
    # triage (incl. the session workflows it hosts); the tutor records graded quizzes
    "debrief": frozenset({"triage", "tutor"}),
    "code-runner": frozenset({"triage", "tutor"}),  # runs; the tutor's grading
    "frontend": frozenset(),
}
# Never reachable through service invocation: pub/sub deliveries, and the routes daprd calls an
# app's actors and reads its configuration through, come from the app's own daprd only. (Actor
# calls between sidecars — triage's replicas sharing its rate-limit buckets — do not go through
# accessControl at all: daprd's internal CallActor checks the caller's mTLS identity.)
DENIED_OPERATIONS = ("/events/**", "/actors/**", "/dapr/**")

# app -> the topics it publishes (dead-letter topics of what it consumes come on top)
PRODUCES: dict[str, frozenset[str]] = {
    "triage": frozenset(
        {
            "learning.routed",
            "learning.response",
            "session.started",
            "session.finalized",
            "struggle.detected",  # a session workflow's "stuck on one exercise" timer
            "exercise.published",
            # the demo students' seeded history (demo_history.py): past grades and quizzes
            "exercise.graded",
            "quiz.completed",
            # the enrollment workflow's welcome (learnflow/workflows/enrollment_activities.py)
            "notification.created",
        }
    ),
    "concepts": frozenset(),
    # quiz.completed: the tutor grades quiz answers and publishes the finished quiz
    "tutor": frozenset({"code.submitted", "exercise.graded", "session.activity", "quiz.completed"}),
    # exercise.assigned: a teacher's assignment (debrief's own subscription fans it out);
    # notification.created: one per student notified (kept for audit consumers such as ops)
    "debrief": frozenset(
        {"progress.updated", "struggle.detected", "exercise.assigned", "notification.created"}
    ),
    "code-runner": frozenset({"code.executed", "session.activity"}),
    "frontend": frozenset(),
}

# app -> topics it subscribes to programmatically (its `/dapr/subscribe` answer, not the
# declarative components/subscriptions.yaml): the web app's live page updates
# (frontend/lib/server/bus.ts LIVE_TOPICS; a test keeps the two equal). No dead-letter topics:
# a live update that cannot be delivered is dropped, the page reloads the figures anyway.
PROGRAMMATIC_SUBSCRIPTIONS: dict[str, frozenset[str]] = {
    "frontend": frozenset(
        {"progress.updated", "struggle.detected", "notification.created", "exercise.assigned"}
    ),
}

# The app that reads every dead-letter topic a declarative subscription sends to, records each
# letter once and counts them (agents/debrief/dead_letters.py; `make status`, GET
# /ops/dead-letters). Its own Subscriptions to `<topic>.dlq` (components/subscriptions.yaml) have
# no dead-letter topic: a letter it cannot read is dropped, never sent to `<topic>.dlq.dlq`.
DEAD_LETTER_WATCHER = "debrief"

# Dapr's standalone namespace and the trust domain Sentry puts app identities in
NAMESPACE = "default"
APP_TRUST_DOMAIN = "public"


@dataclass(frozen=True)
class TopicAccess:
    """What one app may do on Kafka."""

    write: frozenset[str]
    read: frozenset[str]
    group: str  # its consumer group (components/pubsub.yaml: consumerGroup "{appID}")


SUBSCRIPTIONS_FILE = REPO_ROOT / "components" / "subscriptions.yaml"


@lru_cache(maxsize=4)
def subscription_specs(path: Path = SUBSCRIPTIONS_FILE) -> tuple[dict[str, Any], ...]:
    """The declarative Subscriptions, as written."""
    return tuple(
        doc
        for doc in yaml.safe_load_all(path.read_text())
        if doc and doc.get("kind") == "Subscription"
    )


@lru_cache(maxsize=1)
def subscriptions(path: Path = SUBSCRIPTIONS_FILE) -> dict[str, Any]:
    """app -> topics it subscribes to, from the declarative Subscriptions' scopes."""
    found: dict[str, set[str]] = {}
    for doc in subscription_specs(path):
        topic = doc["spec"]["topic"]
        for app in doc.get("scopes") or ():
            found.setdefault(app, set()).add(topic)
    return {app: frozenset(topics) for app, topics in found.items()}


def dead_letter_topics(path: Path = SUBSCRIPTIONS_FILE) -> frozenset[str]:
    """Every dead-letter topic a declarative subscription sends to: what the watcher reads."""
    return frozenset(
        doc["spec"]["deadLetterTopic"]
        for doc in subscription_specs(path)
        if doc["spec"].get("deadLetterTopic")
    )


def topic_access(app_id: str) -> TopicAccess:
    declared = subscriptions().get(app_id, frozenset())
    # the dead letters of what it consumes (the watcher's own subscriptions have none)
    dead_letters = frozenset(dead_letter_topic(t) for t in declared if not is_dead_letter_topic(t))
    watched = dead_letter_topics() if app_id == DEAD_LETTER_WATCHER else frozenset()
    read = declared | watched | PROGRAMMATIC_SUBSCRIPTIONS.get(app_id, frozenset())
    return TopicAccess(write=PRODUCES[app_id] | dead_letters, read=read, group=app_id)


def all_topics() -> frozenset[str]:
    """Every topic some app writes or reads (the broker creates these at start)."""
    topics: set[str] = set()
    for app in PRODUCES:
        access = topic_access(app)
        topics |= access.write | access.read
    return frozenset(topics)


def access_control(app_id: str, *, namespace: str = NAMESPACE) -> dict[str, Any]:
    """The Dapr `accessControl` section for `app_id`'s own sidecar (who may call it)."""
    return {
        "defaultAction": "deny",
        "trustDomain": APP_TRUST_DOMAIN,
        "policies": [
            {
                "appId": caller,
                "defaultAction": "allow",
                "trustDomain": APP_TRUST_DOMAIN,
                "namespace": namespace,
                "operations": [
                    {"name": op, "httpVerb": ["*"], "action": "deny"} for op in DENIED_OPERATIONS
                ],
            }
            for caller in sorted(CALLERS[app_id])
        ],
    }


def app_config_name(base_name: str, app_id: str) -> str:
    return f"{base_name}-{app_id}"


def app_configuration(
    shared: dict[str, Any], app_id: str, *, namespace: str = NAMESPACE
) -> dict[str, Any]:
    """`app_id`'s own Dapr Configuration: the shared one plus who may invoke it."""
    config = copy.deepcopy(shared)
    config["metadata"]["name"] = app_config_name(shared["metadata"]["name"], app_id)
    config.setdefault("spec", {})["accessControl"] = access_control(app_id, namespace=namespace)
    return config
