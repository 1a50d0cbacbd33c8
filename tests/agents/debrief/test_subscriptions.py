"""Debrief's subscription table: the topics it handles are exactly the ones the declarative
Subscriptions deliver to it, each served at its route, each handler named after its event (so
`grep -rn "<topic>"` or `grep -rn on_<topic_with_underscores>` finds it)."""

from __future__ import annotations

from fastapi.routing import APIRoute

from debrief_agent.api.routes.dead_letters import WATCHED_TOPICS
from debrief_agent.api.routes.events import SUBSCRIPTIONS, router
from learnflow.api.pubsub import event_route
from learnflow.mesh import policy


def test_the_table_is_what_components_subscriptions_yaml_delivers_to_debrief() -> None:
    """Events go to the table; dead-letter topics to the watcher (routes/dead_letters.py)."""
    delivered = policy.subscriptions()["debrief"]
    assert set(SUBSCRIPTIONS) == {t for t in delivered if not t.endswith(".dlq")}
    assert {t for t in delivered if t.endswith(".dlq")} <= set(WATCHED_TOPICS)


def test_every_topic_in_the_table_is_served_at_its_route() -> None:
    served = {route.path for route in router.routes if isinstance(route, APIRoute)}
    assert served == {event_route(topic) for topic in SUBSCRIPTIONS}


def test_each_handler_is_named_after_its_event() -> None:
    for topic, handler in SUBSCRIPTIONS.items():
        assert handler.__name__ == "on_" + topic.replace(".", "_"), topic
