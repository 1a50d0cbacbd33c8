"""Kafka with SASL/SCRAM-SHA-512 and ACLs: nobody reads or writes an event anonymously.

- The broker has one listener for clients (`BROKER`, SASL_PLAINTEXT, SCRAM-SHA-512) and one for
  the KRaft controller (`CONTROLLER`, SASL_PLAINTEXT, PLAIN), both on 127.0.0.1. There is no
  anonymous listener.
- Users: one per app (its sidecar's credential, `components/pubsub.yaml`), `ops` (reads every
  topic: tests, `learnflow` tooling), `admin` (a super user, used only by `learnflow up` to create
  topics and ACLs) and `broker`/`controller` (the broker itself). SCRAM users are written into
  the storage when it is formatted (KRaft takes them at format time); users added to the code
  later are created over the Admin API by `sync_access`.
- Authorisation: `StandardAuthorizer`, no ACL = denied. `sync_access` makes the broker's ACLs
  exactly those of `learnflow.mesh.policy`: each app writes only the topics it produces and reads
  only those it subscribes to.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnflow.errors import SetupError
from learnflow.mesh import policy
from learnflow.mesh.topology import APPS

log = logging.getLogger("learnflow.mesh.kafka")

MECHANISM = "SCRAM-SHA-512"
ADMIN_USER = "admin"
OPS_USER = "ops"
OPS_GROUP_PREFIX = "ops-"
BROKER_USER = "broker"
CONTROLLER_USER = "controller"
# every app's sidecar logs in as its app; the web app's only reads its live-update topics
APP_USERS = tuple(APPS)
SCRAM_USERS = (*APP_USERS, OPS_USER, ADMIN_USER, BROKER_USER)
USERS = (*SCRAM_USERS, CONTROLLER_USER)
SUPER_USERS = (ADMIN_USER, BROKER_USER, CONTROLLER_USER)
PARTITIONS = 3


def server_properties(
    *, data: Path, port: int, controller_port: int, passwords: dict[str, str]
) -> str:
    """The broker's configuration (holds the broker's own passwords: written 0600)."""
    controller = passwords[CONTROLLER_USER]
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            f"listeners=BROKER://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners=BROKER://127.0.0.1:{port}",
            "listener.security.protocol.map=BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "inter.broker.listener.name=BROKER",
            "controller.listener.names=CONTROLLER",
            # clients and the broker itself: SCRAM (credentials live in the metadata log)
            f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
            f"listener.name.broker.sasl.enabled.mechanisms={MECHANISM}",
            f"listener.name.broker.{MECHANISM.lower()}.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{BROKER_USER}" password="{passwords[BROKER_USER]}";',
            # the controller listener: PLAIN (SCRAM needs the metadata the controller serves)
            "sasl.mechanism.controller.protocol=PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
            "listener.name.controller.plain.sasl.jaas.config="
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="{CONTROLLER_USER}" password="{controller}" '
            f'user_{CONTROLLER_USER}="{controller}";',
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users=" + ";".join(f"User:{u}" for u in SUPER_USERS),
            "allow.everyone.if.no.acl.found=false",
            # topics are created by `learnflow up` (policy.all_topics), never by a client
            "auto.create.topics.enable=false",
            f"log.dirs={data}",
            f"num.partitions={PARTITIONS}",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "log.retention.hours=168",
            "",
        ]
    )


def format_arguments(cluster_id: str, props: Path, passwords: dict[str, str]) -> list[str]:
    """`kafka.tools.StorageTool format` arguments that also create every SCRAM user."""
    # `--cluster-id=<id>`, one argument: an id may start with "-" (URL-safe base64), which the
    # tool's parser took for an option when given as two ("expected one argument")
    args = ["format", f"--cluster-id={cluster_id}", "-c", str(props)]
    for user in SCRAM_USERS:
        args += ["--add-scram", f"{MECHANISM}=[name={user},password={passwords[user]}]"]
    return args


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    tmp.replace(path)


def client_config(bootstrap: str, user: str, password: str) -> dict[str, Any]:
    """confluent-kafka settings for one of our users."""
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": MECHANISM,
        "sasl.username": user,
        "sasl.password": password,
    }


# --- ACLs ------------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Grant:
    """One ACL binding: `principal` may `operation` on `resource_type` `name`."""

    principal: str
    resource_type: str  # "TOPIC" | "GROUP"
    name: str
    pattern: str  # "LITERAL" | "PREFIXED"
    operation: str  # "READ" | "WRITE" | "DESCRIBE"


def wanted_grants() -> set[Grant]:
    grants: set[Grant] = set()
    for app in APP_USERS:
        access = policy.topic_access(app)
        principal = f"User:{app}"
        grants |= {Grant(principal, "TOPIC", t, "LITERAL", "WRITE") for t in access.write}
        grants |= {Grant(principal, "TOPIC", t, "LITERAL", "READ") for t in access.read}
        if access.read:
            grants.add(Grant(principal, "GROUP", access.group, "LITERAL", "READ"))
    ops = f"User:{OPS_USER}"
    grants |= {Grant(ops, "TOPIC", t, "LITERAL", "READ") for t in policy.all_topics()}
    grants.add(Grant(ops, "GROUP", OPS_GROUP_PREFIX, "PREFIXED", "READ"))
    grants.add(Grant(ops, "GROUP", "*", "LITERAL", "DESCRIBE"))  # every group's offsets (lag)
    return grants


def admin_client(bootstrap: str, password: str) -> Any:
    from confluent_kafka.admin import AdminClient

    return AdminClient(client_config(bootstrap, ADMIN_USER, password))


def acl_binding(grant: Grant) -> Any:
    from confluent_kafka.admin import (
        AclBinding,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
    )

    return AclBinding(
        ResourceType[grant.resource_type],
        grant.name,
        ResourcePatternType[grant.pattern],
        grant.principal,
        "*",
        AclOperation[grant.operation],
        AclPermissionType.ALLOW,
    )


def _wait_all(futures: Iterable[Any], what: str, *, ignore: tuple[str, ...] = ()) -> None:
    from confluent_kafka import KafkaException

    for future in futures:
        try:
            future.result(timeout=30)
        except KafkaException as exc:
            error = exc.args[0]
            if error.name() in ignore:
                continue
            raise SetupError(f"{what} failed: {error.str()}") from exc


def sync_access(bootstrap: str, passwords: dict[str, str]) -> dict[str, int]:
    """Make users, topics and ACLs on the broker exactly what `policy` says (idempotent)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import (
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        NewTopic,
        ResourcePatternType,
        ResourceType,
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialUpsertion,
    )

    admin = admin_client(bootstrap, passwords[ADMIN_USER])
    # users the storage was formatted without (an app added since): create them
    known = set()
    for user, future in admin.describe_user_scram_credentials(list(SCRAM_USERS)).items():
        try:
            future.result(timeout=30)
        except KafkaException as exc:  # a user without credentials: RESOURCE_NOT_FOUND
            if exc.args[0].name() != "RESOURCE_NOT_FOUND":
                raise SetupError(f"reading Kafka users failed: {exc.args[0].str()}") from exc
            continue
        known.add(user)
    missing = [u for u in SCRAM_USERS if u not in known]
    if missing:
        upserts = [
            UserScramCredentialUpsertion(
                u, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), passwords[u].encode()
            )
            for u in missing
        ]
        _wait_all(admin.alter_user_scram_credentials(upserts).values(), "creating Kafka users")

    topics = sorted(policy.all_topics())
    new = [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in topics]
    _wait_all(
        admin.create_topics(new).values(), "creating Kafka topics", ignore=("TOPIC_ALREADY_EXISTS",)
    )

    wanted = wanted_grants()
    anything: Any = None  # a filter field left open (the typings want a str)
    everything = AclBindingFilter(
        ResourceType.ANY,
        anything,
        ResourcePatternType.ANY,
        anything,
        anything,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    present = admin.describe_acls(everything).result(timeout=30)
    have = {
        Grant(
            b.principal,
            b.restype.name,
            b.name,
            b.resource_pattern_type.name,
            b.operation.name,
        ): b
        for b in present
    }
    stale = [b for g, b in have.items() if g not in wanted]
    if stale:
        _wait_all(admin.delete_acls(stale).values(), "removing stale Kafka ACLs")
    added = sorted(wanted - set(have))
    if added:
        _wait_all(
            admin.create_acls([acl_binding(g) for g in added]).values(), "creating Kafka ACLs"
        )
    return {"users_created": len(missing), "acls_added": len(added), "acls_removed": len(stale)}
