"""`learnflow up | down | status`: the whole mesh as background processes on this machine.

Start order: PostgreSQL, Kafka and Dapr Sentry (the mTLS certificate authority); Dapr placement
and scheduler; the database schema; then every app with its daprd sidecar (mTLS on, each with its
own Sentry token and access-control Configuration). `up` returns once everything answers its
health check, and stops whatever it started if anything fails, so a failed `up` never leaves half
a stack behind.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

from learnflow.errors import SetupError
from learnflow.mesh import kafka_security, services
from learnflow.mesh.processes import ProcessTable, Recorded
from learnflow.mesh.toolchain import Progress, Toolchain, check_disk, ensure_toolchain
from learnflow.mesh.topology import PUBLIC_APP, WEB_APP, AppSpec, Topology, topology
from learnflow.mesh.trust import CONTROL_PLANE_IDS, Trust, ensure_trust
from learnflow.settings import REPO_ROOT, Settings

INFRA = ("postgres", "kafka", "sentry", "placement", "scheduler")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code < 300
    except httpx.HTTPError:
        return False


def _pg_ready(topo: Topology, run_secrets: services.RunSecrets) -> bool:
    import psycopg

    try:
        with psycopg.connect(
            services.superuser_conninfo(topo, run_secrets), connect_timeout=2
        ) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


@dataclass(frozen=True)
class Check:
    name: str
    ready: Callable[[], bool]


class Stack:
    def __init__(self, settings: Settings, progress: Progress) -> None:
        self.settings = settings
        self.progress = progress
        self.topo = topology(settings)
        self.run_dir = settings.run_dir
        self.table = ProcessTable(self.run_dir)

    # --- what each process is -----------------------------------------------------------------
    def _checks(self, run_secrets: services.RunSecrets) -> dict[str, Check]:
        t = self.topo
        checks = {
            "postgres": Check("postgres", lambda: _pg_ready(t, run_secrets)),
            "kafka": Check("kafka", lambda: _port_open(t.kafka_port)),
            "placement": Check(
                "placement",
                lambda: _http_ok(f"http://127.0.0.1:{t.placement_healthz_port}/healthz"),
            ),
            "scheduler": Check(
                "scheduler",
                lambda: _http_ok(f"http://127.0.0.1:{t.scheduler_healthz_port}/healthz"),
            ),
            "sentry": Check(
                "sentry",
                lambda: _http_ok(f"http://127.0.0.1:{t.sentry_healthz_port}/healthz"),
            ),
        }
        for spec in t.apps:
            checks[spec.app_id] = Check(
                spec.app_id, partial(_http_ok, f"http://127.0.0.1:{spec.app_port}/healthz")
            )
            checks[f"{spec.app_id}-dapr"] = Check(
                f"{spec.app_id}-dapr",
                partial(_http_ok, f"http://127.0.0.1:{spec.dapr_http_port}/v1.0/healthz"),
            )
        return checks

    def app_env(self, spec: AppSpec, run_secrets: services.RunSecrets) -> dict[str, str]:
        if services.is_next_app(spec):
            # the web app gets only what its BFF needs: no database URL, no JWT key
            return {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": os.environ.get("HOME", "/tmp"),
                "NODE_ENV": "production",
                "NEXT_TELEMETRY_DISABLED": "1",
                "PORT": str(spec.app_port),
                "DAPR_HTTP_PORT": str(spec.dapr_http_port),
                "DAPR_API_TOKEN": run_secrets.dapr_token(spec.app_id),
                # event deliveries from its sidecar carry it (app/dapr/events checks it)
                "APP_API_TOKEN": run_secrets.app_token(spec.app_id),
            }
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env.update(
            {
                "APP_ID": spec.app_id,
                "APP_PORT": str(spec.app_port),
                "DAPR_HTTP_PORT": str(spec.dapr_http_port),
                "DAPR_GRPC_PORT": str(spec.dapr_grpc_port),
                "APP_API_TOKEN": run_secrets.app_token(spec.app_id),
                "DAPR_API_TOKEN": run_secrets.dapr_token(spec.app_id),
                "LEARNFLOW_DATABASE_URL": services.app_conninfo(self.topo, run_secrets),
                "LEARNFLOW_JWT_SECRET": run_secrets.jwt_secret,
                "LEARNFLOW_RUN_DIR": str(self.run_dir),
                "LEARNFLOW_CACHE_DIR": str(self.settings.cache_dir),
                "LEARNFLOW_PORT_OFFSET": str(self.settings.port_offset),
                "PYTHONUNBUFFERED": "1",
            }
        )
        # model endpoint, sandbox, workflow timing and abuse-limit settings pass through
        for key, value in os.environ.items():
            if key.startswith(
                ("LEARNFLOW_LLM_", "LEARNFLOW_SANDBOX_", "LEARNFLOW_WORKFLOW_", "LEARNFLOW_LIMIT_")
            ):
                env[key] = value
        return env

    def trust(self) -> Trust:
        """This stack's CA and Sentry tokens (created on first use, reused after)."""
        identities = [s.app_id for s in self.topo.apps] + list(CONTROL_PLANE_IDS)
        return ensure_trust(self.run_dir, identities)

    def control_plane_env(
        self, base: dict[str, str], identity: str, trust: Trust
    ) -> dict[str, str]:
        return {**base, "DAPR_SENTRY_TOKEN_FILE": str(trust.token_file(identity))}

    def sidecar_env(
        self, spec: AppSpec, run_secrets: services.RunSecrets, trust: Trust
    ) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "DAPR_HOST_IP": "127.0.0.1",
            # mTLS: trust only this stack's root; prove to Sentry that this sidecar is the app
            "DAPR_TRUST_ANCHORS": trust.trust_anchors(),
            "DAPR_SENTRY_TOKEN_FILE": str(trust.token_file(spec.app_id)),
            # this app's own tokens: its sidecar serves no other app's
            "APP_API_TOKEN": run_secrets.app_token(spec.app_id),
            "DAPR_API_TOKEN": run_secrets.dapr_token(spec.app_id),
            "LEARNFLOW_SECRET_DAPR_PG_CONN": services.app_conninfo(self.topo, run_secrets),
            # this app's own Kafka credential (components/pubsub.yaml)
            "LEARNFLOW_SIDECAR_KAFKA_PASSWORD": run_secrets.kafka_passwords[spec.app_id],
        }

    # --- up -----------------------------------------------------------------------------------
    def running(self) -> list[Recorded]:
        return [r for r in self.table.recorded() if r.alive()]

    def _wait(self, names: list[str], checks: dict[str, Check], timeout_s: float) -> None:
        pending = list(names)
        deadline = time.monotonic() + timeout_s
        while pending:
            for name in list(pending):
                record = self.table.get(name)
                if record is not None and not record.alive():
                    raise SetupError(
                        f"{name} exited during start-up; last lines of {record.log}:\n"
                        + _tail(Path(record.log))
                    )
                if checks[name].ready():
                    pending.remove(name)
                    self.progress(f"{name} is ready")
            if pending and time.monotonic() > deadline:
                logs = ", ".join(str(self.table.log_path(n)) for n in pending)
                raise SetupError(
                    f"{', '.join(pending)} did not become healthy within {timeout_s:.0f} s; "
                    f"see {logs}"
                )
            if pending:
                time.sleep(0.2)

    def _preflight(self) -> None:
        check_disk(self.run_dir, 1024**3)
        taken = [
            f"{name} ({port})"
            for name, port in self.topo.all_ports().items()
            if not _port_free(port)
        ]
        if taken:
            raise SetupError(
                f"ports already in use by another program: {', '.join(taken)}; stop it, or "
                "run a second stack with LEARNFLOW_PORT_OFFSET=<n> (e.g. 2000)"
            )

    def up(self, tools: Toolchain | None = None) -> bool:
        """Start everything; returns False if it was already running (nothing done)."""
        alive = self.running()
        if alive:
            run_secrets = services.RunSecrets.load_or_create(self.run_dir)
            checks = self._checks(run_secrets)
            names = {r.name for r in alive}
            if names >= set(checks) and all(c.ready() for c in checks.values()):
                self.progress("the LearnFlow stack is already up")
                return False
            self.progress("a previous stack is partly running; stopping it first")
            self.down()
        tools = tools or ensure_toolchain(self.settings.cache_dir, self.progress)
        self._preflight()
        run_secrets = services.RunSecrets.load_or_create(self.run_dir)
        checks = self._checks(run_secrets)
        try:
            self._start_all(tools, run_secrets, checks)
        except BaseException:
            self.progress("start-up failed; stopping everything that was started")
            self.down(quiet=True)
            raise
        return True

    def _start_all(
        self, tools: Toolchain, run_secrets: services.RunSecrets, checks: dict[str, Check]
    ) -> None:
        t = self.topo
        base_env = {
            k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "JAVA_HOME", "TZ")
        }
        self.progress(
            f"starting PostgreSQL on 127.0.0.1:{t.postgres_port} and Kafka on "
            f"127.0.0.1:{t.kafka_port}"
        )
        data = services.ensure_pg_cluster(self.run_dir, tools, run_secrets)
        self.table.start("postgres", services.postgres_command(data, t, tools), env=base_env)
        props = services.ensure_kafka_storage(self.run_dir, t, tools, run_secrets)
        self.table.start("kafka", services.kafka_command(self.run_dir, props, tools), env=base_env)
        trust = self.trust()
        self.table.start("sentry", services.sentry_command(t, tools, trust), env=base_env)
        self._wait(["sentry"], checks, 60)
        self.table.start(
            "placement",
            services.placement_command(t, tools, trust),
            env=self.control_plane_env(base_env, "dapr-placement", trust),
        )
        self.table.start(
            "scheduler",
            services.scheduler_command(self.run_dir, t, tools, trust),
            env=self.control_plane_env(base_env, "dapr-scheduler", trust),
        )
        self._wait(["postgres"], checks, 60)
        services.provision_database(t, run_secrets)
        self._migrate(run_secrets)
        self._wait(["kafka", "placement", "scheduler"], checks, 120)
        self._sync_kafka(run_secrets)
        resources = services.render_resources(self.run_dir, t)
        self.progress(
            "starting the apps and their Dapr sidecars: " + ", ".join(s.app_id for s in t.apps)
        )
        for spec in t.apps:
            self.table.start(
                spec.app_id,
                services.app_command(spec),
                env=self.app_env(spec, run_secrets),
                cwd=REPO_ROOT,
            )
            self.table.start(
                f"{spec.app_id}-dapr",
                services.daprd_command(spec, t, tools, resources),
                env=self.sidecar_env(spec, run_secrets, trust),
                cwd=self.run_dir,
            )
        names = [s.app_id for s in t.apps] + [f"{s.app_id}-dapr" for s in t.apps]
        self._wait(names, checks, 180)

    def _sync_kafka(self, run_secrets: services.RunSecrets) -> None:
        changes = kafka_security.sync_access(
            f"127.0.0.1:{self.topo.kafka_port}", run_secrets.kafka_passwords
        )
        self.progress(
            "Kafka topics and ACLs are in place ("
            + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in changes.items())
            + ")"
        )

    def _migrate(self, run_secrets: services.RunSecrets) -> None:
        try:
            from learnflow.db.migrations import migrate_sync
        except ImportError:
            return
        self.progress("applying database migrations")
        migrate_sync(services.app_conninfo(self.topo, run_secrets))

    # --- one app at a time (fault tests) -------------------------------------------------------
    def stop_app(self, app_id: str, *, sig: int = signal.SIGTERM, grace_s: float = 8) -> None:
        """Stop an app and its daprd (sidecar first); `sig=SIGKILL` to simulate a crash."""
        self.topo.app(app_id)  # KeyError for an unknown app
        for name in (f"{app_id}-dapr", app_id):
            record = self.table.get(name)
            if record is not None:
                self.table.stop(record, sig=sig, grace_s=grace_s)

    def start_app(self, app_id: str, *, timeout_s: float = 120) -> None:
        """Start an app and its daprd again (as `up` does) and wait until both are healthy."""
        spec = self.topo.app(app_id)
        run_secrets = services.RunSecrets.load_or_create(self.run_dir)
        tools = ensure_toolchain(self.settings.cache_dir, self.progress)
        resources = self.run_dir / "components"
        if not (resources / services.app_config_name(app_id)).is_file():
            resources = services.render_resources(self.run_dir, self.topo)
        for name in (app_id, f"{app_id}-dapr"):
            record = self.table.get(name)
            if record is not None and record.alive():
                raise SetupError(f"{name} is already running (pid {record.pid}); stop it first")
        self.table.start(
            app_id, services.app_command(spec), env=self.app_env(spec, run_secrets), cwd=REPO_ROOT
        )
        self.table.start(
            f"{app_id}-dapr",
            services.daprd_command(spec, self.topo, tools, resources),
            env=self.sidecar_env(spec, run_secrets, self.trust()),
            cwd=self.run_dir,
        )
        self._wait([app_id, f"{app_id}-dapr"], self._checks(run_secrets), timeout_s)

    # --- down / status ------------------------------------------------------------------------
    def down(self, *, quiet: bool = False) -> int:
        records = {r.name: r for r in self.table.recorded()}
        order = [f"{s.app_id}-dapr" for s in self.topo.apps] + [s.app_id for s in self.topo.apps]
        order += ["scheduler", "placement", "sentry", "kafka", "postgres"]
        order += [n for n in records if n not in order]
        stopped = 0
        for name in order:
            record = records.get(name)
            if record is None:
                continue
            if record.alive():
                stopped += 1
                if not quiet:
                    self.progress(f"stopping {name}")
            # postgres: SIGINT is its "fast" shutdown (disconnect clients, checkpoint, exit)
            sig = signal.SIGINT if name == "postgres" else signal.SIGTERM
            self.table.stop(record, sig=sig, grace_s=20 if name in INFRA else 8)
        return stopped

    def status(self) -> list[dict[str, object]]:
        run_secrets = services.RunSecrets.load_or_create(self.run_dir)
        checks = self._checks(run_secrets)
        rows: list[dict[str, object]] = []
        for name, check in checks.items():
            record = self.table.get(name)
            alive = record is not None and record.alive()
            rows.append(
                {
                    "name": name,
                    "pid": record.pid if record else None,
                    "running": alive,
                    "healthy": alive and check.ready(),
                    "log": str(self.table.log_path(name)),
                }
            )
        return rows

    def endpoints(self) -> dict[str, str]:
        public = self.topo.app(PUBLIC_APP)
        web = self.topo.app(WEB_APP)
        logins = self.run_dir / "demo-logins.json"
        return {
            "web app": f"http://127.0.0.1:{web.app_port}",
            "demo logins (generated)": str(logins),
            "public API (triage)": f"http://127.0.0.1:{public.app_port}",
            "postgres": f"127.0.0.1:{self.topo.postgres_port} (db {services.PG_DATABASE})",
            "kafka": f"127.0.0.1:{self.topo.kafka_port}",
            "logs": str(self.table.log_dir),
        }


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def print_rows(rows: list[dict[str, object]]) -> None:
    for row in rows:
        state = "healthy" if row["healthy"] else ("running" if row["running"] else "stopped")
        print(
            f"{row['name']:<22} {state:<8} pid={row['pid'] or '-':<8} {row['log']}", file=sys.stdout
        )
