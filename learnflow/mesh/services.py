"""Command lines and one-time set-up for each infrastructure process of the mesh."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from learnflow.errors import SetupError
from learnflow.mesh import kafka_security
from learnflow.mesh.policy import app_configuration
from learnflow.mesh.toolchain import Toolchain
from learnflow.mesh.topology import AppSpec, Topology
from learnflow.mesh.trust import CONTROL_PLANE_TRUST_DOMAIN, Trust
from learnflow.settings import REPO_ROOT

PG_DATABASE = "learnflow"
PG_APP_ROLE = "learnflow"


# --- secrets of one run dir --------------------------------------------------------------------
@dataclass(frozen=True)
class RunSecrets:
    """Generated once per run dir, stored 0600 in `<run_dir>/secrets.json`, never logged. A
    secret added to LearnFlow later is generated into an existing file on its first load."""

    pg_superuser_password: str
    pg_app_password: str
    jwt_secret: str
    app_api_token: str
    dapr_api_token: str
    # one SASL/SCRAM password per Kafka user (learnflow.mesh.kafka_security.USERS)
    kafka_passwords: dict[str, str] = field(default_factory=dict)

    # Each app has its own pair of API tokens, derived from the stack's two: a process that
    # learns one app's token (the code runner's, say) can use that app's sidecar and nothing
    # else — not triage's sidecar to invoke or publish as triage.
    def dapr_token(self, app_id: str) -> str:
        """The token `app_id` sends to its own daprd (DAPR_API_TOKEN)."""
        return _derive(self.dapr_api_token, app_id)

    def app_token(self, app_id: str) -> str:
        """The token `app_id`'s daprd sends to the app (APP_API_TOKEN)."""
        return _derive(self.app_api_token, app_id)

    @classmethod
    def load_or_create(cls, run_dir: Path) -> RunSecrets:
        path = run_dir / "secrets.json"
        data = json.loads(path.read_text()) if path.is_file() else {}
        changed = False
        for name in (f.name for f in fields(cls) if f.name != "kafka_passwords"):
            if name not in data:
                data[name], changed = secrets.token_urlsafe(32), True
        kafka = data.setdefault("kafka_passwords", {})
        for user in kafka_security.USERS:
            if user not in kafka:
                kafka[user], changed = secrets.token_urlsafe(32), True
        if changed:
            run_dir.mkdir(parents=True, exist_ok=True)
            kafka_security.write_private(path, json.dumps(data))
        return cls(**data)


def _derive(secret: str, app_id: str) -> str:
    return hmac.new(secret.encode(), f"learnflow/{app_id}".encode(), hashlib.sha256).hexdigest()


def app_conninfo(topo: Topology, run_secrets: RunSecrets) -> str:
    return (
        f"host=127.0.0.1 port={topo.postgres_port} dbname={PG_DATABASE} user={PG_APP_ROLE} "
        f"password={run_secrets.pg_app_password} sslmode=disable"
    )


def superuser_conninfo(topo: Topology, run_secrets: RunSecrets, dbname: str = "postgres") -> str:
    return (
        f"host=127.0.0.1 port={topo.postgres_port} dbname={dbname} user=postgres "
        f"password={run_secrets.pg_superuser_password} sslmode=disable"
    )


# --- PostgreSQL --------------------------------------------------------------------------------
def _as_postgres_user() -> list[str]:
    """initdb/postgres refuse to run as root: run them as the `postgres` OS user then."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise SetupError(
            "running as root but there is no `postgres` OS user for the database server; "
            "install the postgresql package (it creates one) or run as a normal user"
        ) from exc
    return ["runuser", "-u", "postgres", "--"]


def _give_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)


def ensure_pg_cluster(run_dir: Path, tools: Toolchain, run_secrets: RunSecrets) -> Path:
    data = run_dir / "postgres" / "data"
    if (data / "PG_VERSION").is_file():
        return data
    data.parent.mkdir(parents=True, exist_ok=True)
    _give_to_postgres(data.parent)
    pwfile = data.parent / ".pwfile"
    fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(run_secrets.pg_superuser_password + "\n")
    _give_to_postgres(pwfile)
    try:
        result = subprocess.run(
            [
                *_as_postgres_user(),
                str(tools.pg_bin / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        raise SetupError(f"initdb failed: {result.stderr.strip().splitlines()[-1:]}")
    return data


def postgres_user() -> str | None:
    """The account the server runs as: `postgres` when we are root (it refuses root), else us.
    `ProcessTable.start(user=...)` switches to it directly, so the recorded pid is the
    postmaster itself (no `runuser` wrapper that could die and leave it orphaned)."""
    prefix = _as_postgres_user()
    return prefix[2] if prefix else None


def _is_our_postmaster(pid: int, data: Path) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return (
        bool(argv)
        and Path(argv[0].decode(errors="replace")).name == "postgres"
        and (str(data).encode() in argv)
    )


def clear_stale_pg_locks(data: Path, topo: Topology) -> list[Path]:
    """Remove the lock files a killed postmaster left behind; returns the ones removed.

    PostgreSQL removes a stale `postmaster.pid` itself only when the pid in it is free; when a
    killed server's pid was reused by another process it refuses to start ("lock file
    postmaster.pid already exists"). A lock whose pid is not a postgres serving this data
    directory is stale. A live one is left alone: the caller stops that server first.
    """
    socket_lock = data.parent / "socket" / f".s.PGSQL.{topo.postgres_port}.lock"
    removed: list[Path] = []
    for lock in (data / "postmaster.pid", socket_lock):
        try:
            first = lock.read_text().split("\n", 1)[0].strip()
        except OSError:
            continue
        pid = int(first) if first.lstrip("-").isdigit() else 0
        if pid and _is_our_postmaster(abs(pid), data):  # negative: single-user mode
            continue
        lock.unlink(missing_ok=True)
        removed.append(lock)
    return removed


def postgres_command(data: Path, topo: Topology, tools: Toolchain) -> list[str]:
    socket_dir = data.parent / "socket"
    socket_dir.mkdir(exist_ok=True)
    _give_to_postgres(socket_dir)
    return [
        str(tools.pg_bin / "postgres"),
        "-D",
        str(data),
        "-p",
        str(topo.postgres_port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        f"unix_socket_directories={socket_dir}",
        "-c",
        "max_connections=200",
        "-c",
        "shared_buffers=128MB",
        "-c",
        "fsync=on",
    ]


def provision_database(topo: Topology, run_secrets: RunSecrets) -> None:
    """Create the app role and database (idempotent)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(superuser_conninfo(topo, run_secrets), autocommit=True) as conn:
        role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (PG_APP_ROLE,)).fetchone()
        if role is None:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(PG_APP_ROLE), sql.Literal(run_secrets.pg_app_password)
                )
            )
        db = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)).fetchone()
        if db is None:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(PG_DATABASE), sql.Identifier(PG_APP_ROLE)
                )
            )


# --- Kafka -------------------------------------------------------------------------------------
def ensure_kafka_storage(
    run_dir: Path, topo: Topology, tools: Toolchain, run_secrets: RunSecrets
) -> Path:
    """Write server.properties (SASL + ACLs) and format the storage once, with every SCRAM user.

    Storage formatted before Kafka had authentication (no `sasl.format` marker) is formatted
    again: its events are dropped (PostgreSQL holds every durable effect), its users created."""
    root = run_dir / "kafka"
    data = root / "data"
    props = root / "server.properties"
    marker = root / "sasl.format"
    root.mkdir(parents=True, exist_ok=True)
    passwords = run_secrets.kafka_passwords
    kafka_security.write_private(
        props,
        kafka_security.server_properties(
            data=data,
            port=topo.kafka_port,
            controller_port=topo.kafka_controller_port,
            passwords=passwords,
        ),
    )
    (root / "log4j.properties").write_text(
        "log4j.rootLogger=INFO, stdout\n"
        "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
        "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
        "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
        "log4j.logger.org.apache.kafka=WARN\n"
        "log4j.logger.kafka.coordinator=WARN\n"
    )
    if (data / "meta.properties").is_file() and not marker.is_file():
        shutil.rmtree(data)
    if not (data / "meta.properties").is_file():
        # passwords go in an argument file (0600), never on a command line others can read
        argfile = root / ".format.args"
        arguments = [
            "-cp",
            f"{tools.kafka_libs}/*",
            "kafka.tools.StorageTool",
            *kafka_security.format_arguments(kafka_cluster_id(), props, passwords),
        ]
        kafka_security.write_private(argfile, "\n".join(_argfile_quote(a) for a in arguments))
        try:
            result = subprocess.run(
                ["java", f"@{argfile}"], capture_output=True, text=True, check=False
            )
        finally:
            argfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise SetupError(
                f"formatting Kafka storage failed: {(result.stdout + result.stderr)[-300:]}"
            )
        marker.write_text(",".join(kafka_security.SCRAM_USERS) + "\n")
    return props


def _argfile_quote(argument: str) -> str:
    """One argument of a java @argfile (double quotes keep `[`, `=`, `*` and spaces literal)."""
    return '"' + argument.replace("\\", "\\\\").replace('"', '\\"') + '"'


def kafka_cluster_id() -> str:
    """A new KRaft cluster id: 16 random bytes in URL-safe base64, never starting with "-"
    (as Kafka's own `Uuid.randomUuid` avoids: command-line tools take it for an option)."""
    import base64

    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def kafka_command(run_dir: Path, props: Path, tools: Toolchain) -> list[str]:
    return [
        "java",
        "-Xms256m",
        "-Xmx512m",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j.configuration=file:{run_dir / 'kafka' / 'log4j.properties'}",
        "-cp",
        f"{tools.kafka_libs}/*",
        "kafka.Kafka",
        str(props),
    ]


# --- Dapr control plane and sidecars -----------------------------------------------------------
def _control_plane_tls(topo: Topology, trust: Trust) -> list[str]:
    """mTLS for placement and the scheduler: certificates from this stack's Sentry."""
    return [
        "--tls-enabled",
        "--trust-domain",
        CONTROL_PLANE_TRUST_DOMAIN,
        "--trust-anchors-file",
        str(trust.ca_cert),
        "--sentry-address",
        f"127.0.0.1:{topo.sentry_port}",
        "--mode",
        "standalone",
    ]


def sentry_command(topo: Topology, tools: Toolchain, trust: Trust) -> list[str]:
    """Dapr Sentry, the mesh's certificate authority (issuer from `trust`, JWKS validator)."""
    return [
        str(tools.dapr("sentry")),
        "--issuer-credentials",
        str(trust.issuer_dir),
        "--config",
        str(trust.sentry_config),
        "--trust-domain",
        CONTROL_PLANE_TRUST_DOMAIN,
        "--port",
        str(topo.sentry_port),
        "--listen-address",
        "127.0.0.1",
        "--healthz-port",
        str(topo.sentry_healthz_port),
        # (dapr 1.18's healthz server binds every interface whatever this says; see the note
        # in tests/security/test_mesh_mtls.py)
        "--healthz-listen-address",
        "127.0.0.1",
        # its metrics exporter, too, ignores --metrics-listen-address: no metrics from Sentry
        "--enable-metrics=false",
        "--mode",
        "standalone",
    ]


def placement_command(topo: Topology, tools: Toolchain, trust: Trust) -> list[str]:
    return [
        str(tools.dapr("placement")),
        *_control_plane_tls(topo, trust),
        "--port",
        str(topo.placement_port),
        "--healthz-port",
        str(topo.placement_healthz_port),
        "--healthz-listen-address",
        "127.0.0.1",
        "--metrics-port",
        str(topo.placement_metrics_port),
        "--metrics-listen-address",
        "127.0.0.1",
        "--listen-address",
        "127.0.0.1",
        # its raft listener defaults to 127.0.0.1:8201 whatever the offset: two stacks would clash
        "--id",
        "dapr-placement-0",
        "--initial-cluster",
        f"dapr-placement-0=127.0.0.1:{topo.placement_raft_port}",
    ]


def scheduler_command(run_dir: Path, topo: Topology, tools: Toolchain, trust: Trust) -> list[str]:
    etcd = run_dir / "scheduler" / "etcd"
    etcd.mkdir(parents=True, exist_ok=True)
    return [
        str(tools.dapr("scheduler")),
        *_control_plane_tls(topo, trust),
        # where it writes its own certificate (default /tmp/...: shared by every stack)
        "--identity-directory-write",
        str(run_dir / "scheduler" / "identity"),
        "--port",
        str(topo.scheduler_port),
        "--listen-address",
        "127.0.0.1",
        "--healthz-port",
        str(topo.scheduler_healthz_port),
        "--healthz-listen-address",
        "127.0.0.1",
        "--metrics-port",
        str(topo.scheduler_metrics_port),
        "--metrics-listen-address",
        "127.0.0.1",
        "--etcd-data-dir",
        str(etcd),
        "--etcd-client-port",
        str(topo.scheduler_etcd_client_port),
        "--etcd-client-listen-address",
        "127.0.0.1",
        "--etcd-initial-cluster",
        f"dapr-scheduler-server-0=http://127.0.0.1:{topo.scheduler_etcd_peer_port}",
        "--id",
        "dapr-scheduler-server-0",
        "--override-broadcast-host-port",
        f"127.0.0.1:{topo.scheduler_port}",
    ]


def render_resources(run_dir: Path, topo: Topology) -> Path:
    """Copy components/ for this stack, with this stack's ports and file paths, and write each
    app's own Configuration (`config-<app>.yaml`: the shared one plus who may invoke it)."""
    src = REPO_ROOT / "components"
    out = run_dir / "components"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for path in sorted(src.glob("*.yaml")):
        text = path.read_text()
        text = text.replace("127.0.0.1:29092", f"127.0.0.1:{topo.kafka_port}")
        text = text.replace("127.0.0.1:19418", f"127.0.0.1:{topo.trace_collector_port}")
        text = text.replace("127.0.0.1:18089", f"127.0.0.1:{topo.model_server_port}")
        text = text.replace(".run/dev/nameresolution.db", str(run_dir / "nameresolution.db"))
        (out / path.name).write_text(text)
    shared = yaml.safe_load((out / "config.yaml").read_text())
    for spec in topo.apps:
        config = app_configuration(shared, spec.app_id)
        (out / app_config_name(spec.app_id)).write_text(yaml.safe_dump(config, sort_keys=False))
    return out


def app_config_name(app_id: str) -> str:
    return f"config-{app_id}.yaml"


def daprd_command(spec: AppSpec, topo: Topology, tools: Toolchain, resources: Path) -> list[str]:
    return [
        str(tools.dapr("daprd")),
        "--app-id",
        spec.app_id,
        "--app-port",
        str(spec.app_port),
        "--app-protocol",
        "http",
        "--app-channel-address",
        "127.0.0.1",
        "--dapr-http-port",
        str(spec.dapr_http_port),
        "--dapr-grpc-port",
        str(spec.dapr_grpc_port),
        "--dapr-internal-grpc-port",
        str(spec.dapr_internal_grpc_port),
        "--dapr-listen-addresses",
        "127.0.0.1",
        "--dapr-internal-grpc-listen-address",
        "127.0.0.1",
        "--metrics-port",
        str(spec.dapr_metrics_port),
        "--metrics-listen-address",
        "127.0.0.1",
        # mTLS between sidecars and to placement/scheduler, certificates from Sentry; the
        # trust anchors and this app's Sentry token come in the environment (Stack.sidecar_env)
        "--enable-mtls",
        "--sentry-address",
        f"127.0.0.1:{topo.sentry_port}",
        "--resources-path",
        str(resources),
        "--config",
        str(resources / app_config_name(spec.app_id)),
        "--placement-host-address",
        f"127.0.0.1:{topo.placement_port}",
        "--scheduler-host-address",
        f"127.0.0.1:{topo.scheduler_port}",
        "--enable-app-health-check",
        "--app-health-check-path",
        "/healthz",
        "--app-health-probe-interval",
        "3",
        "--log-level",
        "info",
        "--mode",
        "standalone",
    ]


def trace_collector_command(topo: Topology, out: Path) -> list[str]:
    """The stack's trace collector (learnflow.mesh.collector), run by this interpreter."""
    return [
        sys.executable,
        "-m",
        "learnflow.mesh.collector",
        "--port",
        str(topo.trace_collector_port),
        "--out",
        str(out),
    ]


def is_next_app(spec: AppSpec) -> bool:
    return spec.asgi.startswith("next:")


def app_command(spec: AppSpec) -> list[str]:
    if is_next_app(spec):  # a production build served by `next start <dir>` (cwd: repo root)
        folder = REPO_ROOT / spec.asgi.removeprefix("next:")
        return [
            shutil.which("node") or "node",
            str(folder / "node_modules/next/dist/bin/next"),
            "start",
            str(folder),
            "-p",
            str(spec.app_port),
            "-H",
            "127.0.0.1",
        ]
    return [
        sys.executable,  # the project's .venv interpreter that runs the supervisor
        "-m",
        "uvicorn",
        spec.asgi,
        "--host",
        "127.0.0.1",
        "--port",
        str(spec.app_port),
        "--no-access-log",
        # uvicorn believes X-Forwarded-For from 127.0.0.1 by default, and every client here is
        # local: a forged header would become the client's address (learnflow.auth.throttle
        # decides whom to believe, with LEARNFLOW_TRUSTED_PROXIES)
        "--no-proxy-headers",
        "--timeout-graceful-shutdown",
        "5",
    ]
