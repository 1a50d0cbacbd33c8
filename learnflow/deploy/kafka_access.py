"""`k8s/data/kafka-access.yaml`: the Job that gives the cluster's Kafka its topics and ACLs.

Generated from the same table as the local stack's (`learnflow.mesh.policy` through
`learnflow.mesh.kafka_security.wanted_grants`), so a topic or a grant added there reaches the
cluster too; `render_k8s --check` fails when this file drifted. The Job logs in as the `admin`
super user (password from the Secret `learnflow-kafka-users`), creates every topic if missing
and adds every ACL; it removes nothing (an ACL dropped from the policy is removed by hand with
`kafka-acls.sh --remove`).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import yaml

from learnflow.mesh import kafka_security, policy

OUT = Path("k8s/data/kafka-access.yaml")
COMPOSE_OUT = Path("compose/kafka/access.sh")
COMPOSE_BOOTSTRAP = "kafka:9092"
NAMESPACE = "learnflow"
BOOTSTRAP = f"kafka.{NAMESPACE}.svc.cluster.local:9092"
IMAGE = "apache/kafka:3.9.1"
HEADER = (
    "# GENERATED from learnflow/mesh/policy.py by "
    "`python -m learnflow.deploy.render_k8s --write`.\n"
    "# Do not edit: change the policy and re-run (tests fail on drift).\n"
)
LABELS = {"app.kubernetes.io/name": "kafka-access", "app.kubernetes.io/part-of": "learnflow"}


def script(bootstrap: str = BOOTSTRAP) -> str:
    """The shell script that creates every topic and adds every ACL (as `admin`)."""
    lines = [
        "set -eu",
        "cat > /tmp/admin.properties <<EOF",
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanism=SCRAM-SHA-512",
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="admin" password="$PW_ADMIN";',
        "EOF",
        f"B={bootstrap}",
        'C="--bootstrap-server $B --command-config /tmp/admin.properties"',
        "# topics (clients may not create them: auto.create.topics.enable=false)",
    ]
    for topic in sorted(policy.all_topics()):
        lines.append(
            f"/opt/kafka/bin/kafka-topics.sh $C --create --if-not-exists --topic {topic} "
            f"--partitions {kafka_security.PARTITIONS} --replication-factor 1"
        )
    lines.append("# ACLs: each app writes what it produces and reads what it subscribes to")
    grouped: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for grant in sorted(kafka_security.wanted_grants()):
        key = (grant.principal, grant.operation, grant.resource_type, grant.pattern)
        grouped[key].append(grant.name)
    flags = {"TOPIC": "--topic", "GROUP": "--group"}
    for (principal, operation, resource, pattern), names in sorted(grouped.items()):
        targets = " ".join(f"{flags[resource]} '{n}'" for n in names)
        lines.append(
            f"/opt/kafka/bin/kafka-acls.sh $C --add --allow-principal {principal} "
            f"--operation {operation.capitalize()} --resource-pattern-type {pattern.lower()} "
            f"{targets}"
        )
    return "\n".join(lines) + "\n"


def manifest() -> str:
    security = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "kafka-access", "labels": dict(LABELS)},
        "spec": {
            "backoffLimit": 20,  # the broker may still be starting: retry
            "ttlSecondsAfterFinished": 3600,  # re-apply after that to run it again
            "template": {
                "metadata": {"labels": dict(LABELS)},
                "spec": {
                    "restartPolicy": "OnFailure",
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 1000,
                        "runAsGroup": 1000,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": "kafka-access",
                            "image": IMAGE,
                            "imagePullPolicy": "IfNotPresent",
                            "command": ["/bin/bash", "/etc/kafka-access/access.sh"],
                            "env": [
                                {
                                    "name": "PW_ADMIN",
                                    "valueFrom": {
                                        "secretKeyRef": {
                                            "name": "learnflow-kafka-users",
                                            "key": "admin",
                                        }
                                    },
                                },
                                {"name": "LOG_DIR", "value": "/tmp/kafka-logs"},
                                {"name": "KAFKA_HEAP_OPTS", "value": "-Xms64m -Xmx256m"},
                            ],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "256Mi"},
                                "limits": {"cpu": "1", "memory": "512Mi"},
                            },
                            "securityContext": security,
                            "volumeMounts": [
                                {
                                    "name": "script",
                                    "mountPath": "/etc/kafka-access",
                                    "readOnly": True,
                                },
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "script", "configMap": {"name": "kafka-access"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                    ],
                },
            },
        },
    }
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "kafka-access", "labels": dict(LABELS)},
        "data": {"access.sh": script()},
    }
    policy_doc = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "kafka-access"},
        "spec": {
            "podSelector": {"matchLabels": dict(LABELS)},
            "policyTypes": ["Ingress", "Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "podSelector": {
                                "matchLabels": {
                                    "app.kubernetes.io/name": "kafka",
                                    "app.kubernetes.io/part-of": "learnflow",
                                }
                            }
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": 9092}],
                }
            ],
        },
    }
    docs = [config_map, job, policy_doc]
    return HEADER + yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, width=100)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the script) as literal blocks, readable in the manifest."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def compose_script() -> str:
    """The same script for Docker Compose (compose/kafka/access.sh, run by `kafka-access`)."""
    return HEADER + script(COMPOSE_BOOTSTRAP)


def _outputs() -> dict[Path, str]:
    return {OUT: manifest(), COMPOSE_OUT: compose_script()}


def drift(root: Path) -> list[str]:
    problems = []
    for out, text in _outputs().items():
        path = root / out
        if not path.is_file():
            problems.append(f"{out} is missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{out} differs from learnflow/mesh/policy.py")
    return problems


def write(root: Path) -> list[Path]:
    changed = []
    for out, text in _outputs().items():
        path = root / out
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(path)
    return changed
