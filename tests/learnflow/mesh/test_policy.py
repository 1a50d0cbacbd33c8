"""The mesh's access table, and the Dapr and Kafka rules built from it."""

from __future__ import annotations

import yaml

from learnflow.events import TOPICS
from learnflow.mesh import kafka_security, policy
from learnflow.mesh.topology import APPS
from learnflow.settings import REPO_ROOT


def test_every_app_has_callers_and_topics_listed() -> None:
    assert set(policy.CALLERS) == set(APPS) == set(policy.PRODUCES)
    assert all(callers <= set(APPS) for callers in policy.CALLERS.values())


def test_every_topic_written_or_read_is_a_real_topic_or_its_dead_letters() -> None:
    for topic in policy.all_topics():
        assert topic.removesuffix(".dlq") in TOPICS, topic


def test_consumers_come_from_the_declarative_subscriptions() -> None:
    subscribed = policy.subscriptions()
    assert "exercise.graded" in subscribed["debrief"]
    assert policy.topic_access("debrief").read == subscribed["debrief"]
    assert "exercise.graded.dlq" in policy.topic_access("debrief").write  # dead letters
    assert policy.topic_access("concepts").read == frozenset()


def test_access_control_denies_by_default_and_never_opens_daprds_own_routes() -> None:
    """Pub/sub deliveries, actor calls and /dapr/config come from the app's own daprd only."""
    acl = policy.access_control("tutor")
    assert acl["defaultAction"] == "deny"
    assert [p["appId"] for p in acl["policies"]] == ["triage"]
    assert acl["policies"][0]["operations"] == [
        {"name": route, "httpVerb": ["*"], "action": "deny"}
        for route in ("/events/**", "/actors/**", "/dapr/**")
    ]
    assert policy.access_control("frontend")["policies"] == []


def test_an_app_configuration_is_the_shared_one_plus_its_access_control() -> None:
    shared = yaml.safe_load((REPO_ROOT / "components" / "config.yaml").read_text())
    config = policy.app_configuration(shared, "debrief", namespace="learnflow")
    assert config["metadata"]["name"] == "learnflow-config-debrief"
    assert config["spec"]["nameResolution"] == shared["spec"]["nameResolution"]
    callers = {(p["appId"], p["namespace"]) for p in config["spec"]["accessControl"]["policies"]}
    assert callers == {("triage", "learnflow"), ("tutor", "learnflow")}
    assert "accessControl" not in shared["spec"]  # the input is not changed


def test_kafka_grants_follow_the_policy() -> None:
    grants = kafka_security.wanted_grants()
    writes = {(g.principal, g.name) for g in grants if g.operation == "WRITE"}
    assert ("User:tutor", "exercise.graded") in writes
    assert ("User:code-runner", "exercise.graded") not in writes
    # the web app reads its live-update topics and writes nothing
    assert not any(g.principal == "User:frontend" and g.operation == "WRITE" for g in grants)
    assert ("User:frontend", "TOPIC", "struggle.detected") in {
        (g.principal, g.resource_type, g.name) for g in grants if g.operation == "READ"
    }
    reads = {(g.principal, g.resource_type, g.name) for g in grants if g.operation == "READ"}
    assert ("User:debrief", "GROUP", "debrief") in reads
    assert ("User:ops", "GROUP", "ops-") in reads
    assert not any(g.operation == "WRITE" and g.principal == "User:ops" for g in grants)


def test_the_broker_has_no_anonymous_listener() -> None:
    props = kafka_security.server_properties(
        data=REPO_ROOT / "x",
        port=1,
        controller_port=2,
        passwords=dict.fromkeys(kafka_security.USERS, "pw"),
    )
    protocols = next(p for p in props.splitlines() if p.startswith("listener.security.protocol"))
    assert "PLAINTEXT:PLAINTEXT" not in protocols and "PLAINTEXT://" not in props
    assert "StandardAuthorizer" in props and "allow.everyone.if.no.acl.found=false" in props


def test_k8s_kafka_creates_every_scram_user() -> None:
    """k8s/data/kafka.yaml formats the storage with the same users as the local stack."""
    manifest = (REPO_ROOT / "k8s" / "data" / "kafka.yaml").read_text()
    for user in kafka_security.SCRAM_USERS:
        assert f"[name={user},password=" in manifest, user


def _events_constructed_in(*folders: str) -> set[str]:
    """Topics of the event classes an app's code builds (`QuizCompleted(` …), read from source."""
    import ast

    from learnflow import events

    by_name = {
        name: cls.topic
        for name, cls in vars(events).items()
        if isinstance(cls, type) and issubclass(cls, events.Event) and cls is not events.Event
    }
    found: set[str] = set()
    for path in (p for folder in folders for p in (REPO_ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in by_name
            ):
                found.add(by_name[node.func.id])
    return found


def test_every_event_an_app_builds_is_a_topic_it_may_write() -> None:
    """Regression: quiz.completed, exercise.assigned and notification.created were published by
    code the broker's ACLs did not know of, so the publishes were refused on the real stack."""
    for app, folders in {
        # triage hosts the workflows, so their activities publish as triage (regression: the
        # enrollment workflow's welcome notification.created had no grant)
        "triage": ("agents/triage", "learnflow/workflows"),
        "tutor": ("agents/tutor",),
        "debrief": ("agents/debrief",),
        "concepts": ("agents/concepts",),
        "code-runner": ("code-runner",),
    }.items():
        missing = _events_constructed_in(*folders) - policy.topic_access(app).write
        assert not missing, f"{app} publishes {sorted(missing)} without a Kafka grant"


def test_the_web_apps_live_topics_are_the_ones_it_subscribes_to() -> None:
    """frontend/lib/server/bus.ts LIVE_TOPICS (its /dapr/subscribe answer) is what its Kafka user
    may read: regression — the web app's sidecar had no credential, so no live update arrived."""
    import re

    source = (REPO_ROOT / "frontend" / "lib" / "server" / "bus.ts").read_text()
    found = re.search(r"LIVE_TOPICS\s*=\s*\[([^\]]*)\]", source)
    assert found is not None
    live = set(re.findall(r'"([^"]+)"', found.group(1)))
    assert live == set(policy.topic_access("frontend").read)


def test_the_watcher_reads_every_dead_letter_topic_and_writes_no_dead_letter_of_one() -> None:
    """Each `deadLetterTopic` of a declarative subscription has a watcher Subscription scoped to
    the watcher, delivered to the route its app serves, with no dead-letter topic of its own."""
    from debrief_agent.api.routes.dead_letters import WATCHED_TOPICS
    from learnflow.api.pubsub import event_route

    dead_letters = policy.dead_letter_topics()
    assert "code.executed.dlq" in dead_letters and "session.activity.dlq" in dead_letters
    watching = {
        doc["spec"]["topic"]: doc
        for doc in policy.subscription_specs()
        if policy.DEAD_LETTER_WATCHER in (doc.get("scopes") or ())
        and doc["spec"]["topic"].endswith(".dlq")
    }
    assert set(watching) == dead_letters
    for topic, doc in watching.items():
        assert doc["scopes"] == [policy.DEAD_LETTER_WATCHER]
        assert doc["spec"]["routes"]["default"] == event_route(topic)
        assert "deadLetterTopic" not in doc["spec"]
        assert topic in WATCHED_TOPICS
    access = policy.topic_access(policy.DEAD_LETTER_WATCHER)
    assert dead_letters <= access.read
    assert not any(t.endswith(".dlq.dlq") for t in policy.all_topics())
    reads = {(g.principal, g.name) for g in kafka_security.wanted_grants() if g.operation == "READ"}
    assert ("User:debrief", "session.activity.dlq") in reads  # triage's dead letters too
