"""`learnflow up | down | status`: the whole mesh as background processes on this machine.

Start order: PostgreSQL, Kafka and Dapr Sentry (the mTLS certificate authority); Dapr placement
and scheduler; the database schema; then every app with its daprd sidecar (mTLS on, each with its
own Sentry token and access-control Configuration); then the watchdog
(`learnflow.mesh.watchdog`), which restarts any of them that dies. `up` returns once everything
answers its health check. On a fresh start it stops whatever it started if anything fails, so a
failed `up` never leaves half a stack behind; on a stack that is partly running it repairs
instead: what is alive stays, what died is cleaned up (the rest of its process group killed, a
killed PostgreSQL's stale lock files removed) and started again.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

from learnflow.errors import SetupError
from learnflow.mesh import kafka_security, model_server, services
from learnflow.mesh.processes import ProcessTable, Recorded
from learnflow.mesh.supervisor import Supervision, describe_restarts
from learnflow.mesh.toolchain import Progress, Toolchain, check_disk, ensure_toolchain
from learnflow.mesh.topology import PUBLIC_APP, WEB_APP, AppSpec, Topology, topology
from learnflow.mesh.traces import traces_path
from learnflow.mesh.trust import CONTROL_PLANE_IDS, Trust, ensure_trust
from learnflow.settings import REPO_ROOT, Settings

TRACE_COLLECTOR = "trace-collector"
# the trace collector first: every sidecar exports its spans to it from its start
INFRA = (TRACE_COLLECTOR, "postgres", "kafka", "sentry", "placement", "scheduler")
WATCHDOG = "watchdog"
#: llama.cpp's server with the local model; part of the stack only with LEARNFLOW_LLM=local
MODEL_SERVER = "model-server"
#: the HTTPEndpoint (components/model-endpoint.yaml) the agents reach it by, through daprd
MODEL_ENDPOINT = "llm"
#: Settings in the environment of `up` that reach the Python apps.
PASSED_SETTINGS = (
    "LEARNFLOW_LLM_",
    "LEARNFLOW_SANDBOX_",
    "LEARNFLOW_WORKFLOW_",
    "LEARNFLOW_LIMIT_",
    "LEARNFLOW_LOGIN_",
    "LEARNFLOW_LOG_",  # LEARNFLOW_LOG_FORMAT=text: readable logs (learnflow.logs)
)


def stack_settings(defaults: Mapping[str, str]) -> dict[str, str]:
    """`defaults` as one stack's `app_settings`, a value set in the environment winning.

    For stacks that need their own settings (a test stack's short workflow timers): handing them
    to the stack instead of writing them to `os.environ` keeps them from leaking into another
    stack started later by the same process."""
    return {key: os.environ.get(key, value) for key, value in defaults.items()}


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


def _http_ok(url: str, token: str | None = None) -> bool:
    headers = {"dapr-api-token": token} if token else None
    try:
        return httpx.get(url, timeout=1.0, headers=headers).status_code < 300
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


@dataclass(frozen=True)
class Launch:
    """What starting any process of the stack needs, resolved once per `up` or watchdog."""

    tools: Toolchain
    secrets: services.RunSecrets
    resources: Path
    base_env: dict[str, str]
    trust: Trust  # this stack's CA and Sentry tokens (`Stack.trust`)


class Stack:
    def __init__(
        self,
        settings: Settings,
        progress: Progress,
        *,
        without: Iterable[str] = (),
        app_settings: Mapping[str, str] | None = None,
    ) -> None:
        """`without`: app ids this stack leaves out (e.g. the web app, for the chaos drills);
        `app_settings`: `LEARNFLOW_*` settings for this stack's apps on top of the environment's
        (e.g. the chaos drills' rate limits), kept by its watchdog too."""
        self.settings = settings
        self.app_settings = dict(app_settings or {})
        self.progress = progress
        self.topo = topology(settings)
        self.apps = tuple(s for s in self.topo.apps if s.app_id not in set(without))
        self.run_dir = settings.run_dir
        self.table = ProcessTable(self.run_dir)
        self.supervision = Supervision(self.run_dir)

    # --- what each process is -----------------------------------------------------------------
    def names(self) -> list[str]:
        """Every process of the stack, in start order (the watchdog comes last)."""
        return [
            *self.infra,
            *(s.app_id for s in self.apps),
            *(f"{s.app_id}-dapr" for s in self.apps),
        ]

    @property
    def infra(self) -> tuple[str, ...]:
        """The processes that are not apps: INFRA, and the model server when it is local."""
        return (*INFRA, MODEL_SERVER) if self.local_model else INFRA

    @property
    def local_model(self) -> bool:
        """Asked for (LEARNFLOW_LLM=local), or running: `make status`/`make down` without
        LLM=local still see a model server `make up LLM=local` started."""
        return self.settings.llm == "local" or self.table.get(MODEL_SERVER) is not None

    @staticmethod
    def prerequisites(name: str) -> tuple[str, ...]:
        """What must answer before `name` can start: daprd exits at start when it cannot reach
        Kafka or PostgreSQL (its pubsub and state store components) or Sentry (its mTLS
        certificate), placement and scheduler need Sentry too, and the Python apps migrate or
        open their database at start."""
        if name.endswith("-dapr"):
            return ("postgres", "kafka", "sentry")
        if name in ("placement", "scheduler"):
            return ("sentry",)  # they get their mTLS certificate from it at start
        if name in INFRA or name in (WATCHDOG, WEB_APP, MODEL_SERVER):
            return ()
        return ("postgres",)

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
            TRACE_COLLECTOR: Check(
                TRACE_COLLECTOR,
                lambda: _http_ok(f"http://127.0.0.1:{t.trace_collector_port}/healthz"),
            ),
        }
        if self.local_model:
            checks[MODEL_SERVER] = Check(
                MODEL_SERVER, lambda: _http_ok(f"http://127.0.0.1:{t.model_server_port}/v1/models")
            )
        for spec in self.apps:
            checks[spec.app_id] = Check(
                spec.app_id, partial(_http_ok, f"http://127.0.0.1:{spec.app_port}/healthz")
            )
            # ready = its app answers through it *by app id*: the name resolution works too (a
            # daprd whose resolver failed to start answers its own healthz all the same)
            checks[f"{spec.app_id}-dapr"] = Check(
                f"{spec.app_id}-dapr",
                partial(
                    _http_ok,
                    f"http://127.0.0.1:{spec.dapr_http_port}/v1.0/invoke/{spec.app_id}"
                    "/method/healthz",
                    run_secrets.dapr_token(spec.app_id),
                ),
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
        for key, value in {**os.environ, **self.app_settings}.items():
            if key.startswith(PASSED_SETTINGS):
                env[key] = value
        if self.local_model:
            env.update(self.local_model_env(spec))
        return env

    def local_model_env(self, spec: AppSpec) -> dict[str, str]:
        """The local model as the app's model: reached through its own daprd (the HTTPEndpoint
        `llm`, under the Resiliency policy), retrieve-then-write (a 135M model cannot drive
        tools, learnflow.llm.grounded)."""
        return {
            "LEARNFLOW_LLM_BASE_URL": f"http://127.0.0.1:{spec.dapr_http_port}/v1.0/invoke/"
            f"{MODEL_ENDPOINT}/method/v1",
            "LEARNFLOW_LLM_THROUGH_SIDECAR": "true",
            "LEARNFLOW_LLM_MODEL": model_server.SMOLLM2.alias,
            "LEARNFLOW_LLM_TOOL_CALLS": "false",
        }

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

    def _log_settings(self) -> dict[str, str]:
        """`LEARNFLOW_LOG_*` from `up`'s environment and this stack's settings."""
        merged = {**os.environ, **self.app_settings}
        return {k: v for k, v in merged.items() if k.startswith("LEARNFLOW_LOG_")}

    def watchdog_env(self) -> dict[str, str]:
        """The watchdog runs this stack's code with this stack's settings and the environment
        `up` had (apps it restarts get the same pass-through settings)."""
        env = {**os.environ, **self.app_settings}
        env.update(
            {
                "LEARNFLOW_LLM": self.settings.llm,
                "LEARNFLOW_RUN_DIR": str(self.run_dir),
                "LEARNFLOW_PORT_OFFSET": str(self.settings.port_offset),
                "LEARNFLOW_CACHE_DIR": str(self.settings.cache_dir),
                "LEARNFLOW_WATCHDOG_WITHOUT": ",".join(
                    s.app_id for s in self.topo.apps if s not in self.apps
                ),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    # --- starting one process -----------------------------------------------------------------
    def launch_context(self, tools: Toolchain | None = None, *, render: bool = False) -> Launch:
        """Everything `spawn` needs; the toolchain `up` resolved is kept in the run dir, so the
        watchdog and `start_app` never look for (or build) tools again. `render` copies
        components/ for this stack afresh (a fresh `up`); otherwise the last copy is used."""
        saved = self.supervision.dir / "toolchain.json"
        if tools is None and saved.is_file():
            raw = json.loads(saved.read_text())
            tools = Toolchain(**{k: Path(v) if v else None for k, v in raw.items()})  # type: ignore[arg-type]
        if tools is None:
            tools = ensure_toolchain(self.settings.cache_dir, self.progress)
        self.supervision.dir.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps({k: str(v) if v else None for k, v in tools.__dict__.items()}))
        resources = self.run_dir / "components"
        configs = [resources / services.app_config_name(s.app_id) for s in self.topo.apps]
        if render or not all(c.is_file() for c in configs):
            resources = services.render_resources(self.run_dir, self.topo)
        base_env = {
            k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "JAVA_HOME", "TZ")
        }
        secrets = services.RunSecrets.load_or_create(self.run_dir)
        return Launch(tools, secrets, resources, base_env, self.trust())

    def spawn(self, name: str, launch: Launch) -> Recorded:
        """Start process `name` of the stack (as `up` does); the caller waits for its health."""
        t, tools = self.topo, launch.tools
        if name == "postgres":
            data = services.ensure_pg_cluster(self.run_dir, tools, launch.secrets)
            for lock in services.clear_stale_pg_locks(data, t):
                self.progress(f"removed the stale lock file {lock.name} of a killed PostgreSQL")
            return self.table.start(
                "postgres",
                services.postgres_command(data, t, tools),
                env=launch.base_env,
                user=services.postgres_user(),
            )
        if name == "kafka":
            props = services.ensure_kafka_storage(self.run_dir, t, tools, launch.secrets)
            command = services.kafka_command(self.run_dir, props, tools)
            return self.table.start("kafka", command, env=launch.base_env)
        if name == "sentry":
            command = services.sentry_command(t, tools, launch.trust)
            return self.table.start("sentry", command, env=launch.base_env)
        if name == "placement":
            return self.table.start(
                "placement",
                services.placement_command(t, tools, launch.trust),
                env=self.control_plane_env(launch.base_env, "dapr-placement", launch.trust),
            )
        if name == "scheduler":
            return self.table.start(
                "scheduler",
                services.scheduler_command(self.run_dir, t, tools, launch.trust),
                env=self.control_plane_env(launch.base_env, "dapr-scheduler", launch.trust),
            )
        if name == TRACE_COLLECTOR:
            command = services.trace_collector_command(t, traces_path(self.run_dir))
            env = {**launch.base_env, **self._log_settings(), "PYTHONUNBUFFERED": "1"}
            return self.table.start(TRACE_COLLECTOR, command, env=env, cwd=REPO_ROOT)
        if name == MODEL_SERVER:
            server = model_server.ensure_model_server(self.settings.cache_dir, self.progress)
            command = model_server.server_command(server, t.model_server_port)
            return self.table.start(MODEL_SERVER, command, env=launch.base_env, cwd=self.run_dir)
        if name == WATCHDOG:
            command = [sys.executable, "-m", "learnflow.mesh.watchdog"]
            return self.table.start(WATCHDOG, command, env=self.watchdog_env(), cwd=REPO_ROOT)
        app_id = name.removesuffix("-dapr")
        spec = self.topo.app(app_id)
        if name.endswith("-dapr"):
            return self.table.start(
                name,
                services.daprd_command(spec, t, tools, launch.resources),
                env=self.sidecar_env(spec, launch.secrets, launch.trust),
                cwd=self.run_dir,
            )
        return self.table.start(
            name, services.app_command(spec), env=self.app_env(spec, launch.secrets), cwd=REPO_ROOT
        )

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
        left_out = {s.app_id for s in self.topo.apps if s not in self.apps}
        taken = [
            f"{name} ({port})"
            for name, port in self.topo.all_ports().items()
            if name not in left_out and not any(name.startswith(f"{a}-dapr") for a in left_out)
            if not _port_free(port)
        ]
        if taken:
            raise SetupError(
                f"ports already in use by another program: {', '.join(taken)}; stop it, or "
                "run a second stack with LEARNFLOW_PORT_OFFSET=<n> (e.g. 2000)"
            )

    def up(self, tools: Toolchain | None = None) -> bool:
        """Start everything; returns False if it was already running (nothing done).

        A stack that is partly running (a process died, the watchdog is gone), or whose
        processes were all killed, is repaired."""
        if self.table.recorded():
            return self._repair(tools)
        tools = tools or ensure_toolchain(self.settings.cache_dir, self.progress)
        if self.local_model:  # built before anything starts: a cold build takes minutes
            model_server.ensure_model_server(self.settings.cache_dir, self.progress)
        self._preflight()
        self.supervision.forget()
        launch = self.launch_context(tools, render=True)
        checks = self._checks(launch.secrets)
        try:
            self._start_all(launch, checks)
        except BaseException:
            self.progress("start-up failed; stopping everything that was started")
            self.down(quiet=True)
            raise
        return True

    def _start_all(self, launch: Launch, checks: dict[str, Check]) -> None:
        t = self.topo
        self.progress(
            f"starting PostgreSQL on 127.0.0.1:{t.postgres_port} and Kafka on "
            f"127.0.0.1:{t.kafka_port}"
        )
        for name in (TRACE_COLLECTOR, "postgres", "kafka", "sentry"):
            self.spawn(name, launch)
        if self.local_model:  # loads its model while the rest starts
            self.progress(f"starting the local model server on 127.0.0.1:{t.model_server_port}")
            self.spawn(MODEL_SERVER, launch)
        self._wait(["sentry"], checks, 60)  # placement and scheduler get their certificate
        for name in ("placement", "scheduler"):
            self.spawn(name, launch)
        self._wait(["postgres"], checks, 60)
        services.provision_database(t, launch.secrets)
        self._migrate(launch.secrets)
        self._wait(["kafka", "placement", "scheduler", TRACE_COLLECTOR], checks, 120)
        self._sync_kafka(launch.secrets)
        self.progress(
            "starting the apps and their Dapr sidecars: " + ", ".join(s.app_id for s in self.apps)
        )
        apps = [n for n in self.names() if n not in self.infra]
        sidecars = [n for n in apps if n.endswith("-dapr")]
        for name in apps:
            if name not in sidecars:
                self.spawn(name, launch)
        # the first sidecar creates the name-resolution database alone: daprds migrating a new
        # SQLite file at once can fail with SQLITE_BUSY, and daprd then runs on unregistered
        self.spawn(sidecars[0], launch)
        self._wait(sidecars[:1], checks, 120)
        for name in sidecars[1:]:
            self.spawn(name, launch)
        self._wait([*apps, *([MODEL_SERVER] if self.local_model else [])], checks, 180)
        self.spawn(WATCHDOG, launch)
        self.progress("the watchdog is watching (it restarts any process that dies)")

    def _repair(self, tools: Toolchain | None) -> bool:
        launch = self.launch_context(tools)
        checks = self._checks(launch.secrets)
        started: list[str] = []
        for name in [*self.names(), WATCHDOG]:
            # nothing starts before what it needs answers
            self._wait([n for n in self.prerequisites(name) if n in started], checks, 120)
            with self.supervision.locked():
                record = self.table.get(name)
                if record is not None and record.alive():
                    continue
                self.supervision.release(name)
                if record is not None:
                    left = self.table.kill_group(record)
                    if left:
                        self.progress(f"{name} had died; stopped what was left of it (pids {left})")
                if not started:
                    self.progress("the stack is partly running; starting what is missing")
                self.spawn(name, launch)
                started.append(name)
            if name == "postgres":
                self._wait(["postgres"], checks, 60)
                self._migrate(launch.secrets)
            if name == "kafka":  # a fresh Kafka storage has no topics or ACLs yet
                self._wait(["kafka"], checks, 120)
                self._sync_kafka(launch.secrets)
        if not started and all(c.ready() for c in checks.values()):
            self.progress("the LearnFlow stack is already up")
            return False
        self._wait([n for n in self.names() if n in checks], checks, 180)
        return True

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

    # --- one process at a time (fault tests, drills) -------------------------------------------
    def hold(self, name: str) -> None:
        """Keep the watchdog from restarting `name` (it is being stopped on purpose)."""
        with self.supervision.locked():
            self.supervision.hold(name)

    def release(self, name: str) -> None:
        """Let the watchdog restart `name` again if it is down."""
        with self.supervision.locked():
            self.supervision.release(name)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> Recorded:
        """Send `sig` to process `name` alone (a crash: its group is the watchdog's to clean)."""
        record = self.table.get(name)
        if record is None or not record.alive():
            raise SetupError(f"{name} is not running")
        os.kill(record.pid, sig)
        return record

    def stop_app(self, app_id: str, *, sig: int = signal.SIGTERM, grace_s: float = 8) -> None:
        """Stop an app and its daprd (sidecar first); `sig=SIGKILL` to simulate a crash. The
        watchdog leaves both down until `start_app`."""
        self.topo.app(app_id)  # KeyError for an unknown app
        for name in (f"{app_id}-dapr", app_id):
            self.hold(name)
            record = self.table.get(name)
            if record is not None:
                self.table.stop(record, sig=sig, grace_s=grace_s)

    def start_app(self, app_id: str, *, timeout_s: float = 120) -> None:
        """Start an app and its daprd again (as `up` does) and wait until both are healthy."""
        self.topo.app(app_id)
        launch = self.launch_context()
        names = [app_id, f"{app_id}-dapr"]
        for name in names:
            record = self.table.get(name)
            if record is not None and record.alive():
                raise SetupError(f"{name} is already running (pid {record.pid}); stop it first")
        for name in names:
            with self.supervision.locked():
                self.spawn(name, launch)
                self.supervision.release(name)
        self._wait(names, self._checks(launch.secrets), timeout_s)

    # --- down / status ------------------------------------------------------------------------
    def down(self, *, quiet: bool = False) -> int:
        records = {r.name: r for r in self.table.recorded()}
        order = [WATCHDOG]  # first, or it would restart what is being stopped
        order += [f"{s.app_id}-dapr" for s in self.topo.apps] + [s.app_id for s in self.topo.apps]
        order += [MODEL_SERVER, "scheduler", "placement", "sentry", "kafka", "postgres"]
        order += [TRACE_COLLECTOR]
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
        self.supervision.forget()
        return stopped

    def status(self) -> list[dict[str, object]]:
        run_secrets = services.RunSecrets.load_or_create(self.run_dir)
        checks = self._checks(run_secrets)
        restarts = self.supervision.restarts()
        held = set(self.supervision.held_names())
        rows: list[dict[str, object]] = []
        for name, check in [*checks.items(), (WATCHDOG, Check(WATCHDOG, lambda: True))]:
            record = self.table.get(name)
            alive = record is not None and record.alive()
            history = restarts.get(name)
            rows.append(
                {
                    "name": name,
                    "pid": record.pid if record else None,
                    "running": alive,
                    "healthy": alive and check.ready(),
                    "held": name in held,
                    "restarts": history.count if history else 0,
                    "supervision": describe_restarts(history),
                    "log": str(self.table.log_path(name)),
                }
            )
        return rows

    def outbox_backlog(self) -> dict[str, tuple[int, float]] | None:
        """app -> (events queued and not yet published, age of the oldest in seconds); None
        when the database cannot be asked. Non-zero while Kafka is away."""
        import psycopg

        run_secrets = services.RunSecrets.load_or_create(self.run_dir)
        try:
            with psycopg.connect(
                services.app_conninfo(self.topo, run_secrets), connect_timeout=2
            ) as conn:
                rows = conn.execute(
                    "select app_id, count(*), extract(epoch from now() - min(created_at))"
                    " from event_outbox where published_at is null and failed_at is null"
                    " group by app_id order by app_id"
                ).fetchall()
        except psycopg.Error:
            return None
        return {app: (int(count), float(age)) for app, count, age in rows}

    def dead_letter_counts(self) -> dict[str, int] | None:
        """Dead-letter topic -> events the watcher recorded there (debrief, `dead_letters`);
        None when the database cannot be asked (or predates the table)."""
        import psycopg

        from learnflow.db.repos.dead_letters import COUNTS_SQL

        run_secrets = services.RunSecrets.load_or_create(self.run_dir)
        try:
            with psycopg.connect(
                services.app_conninfo(self.topo, run_secrets), connect_timeout=2
            ) as conn:
                rows = conn.execute(COUNTS_SQL).fetchall()
        except psycopg.Error:
            return None
        return {topic: int(count) for topic, count in rows}

    def endpoints(self) -> dict[str, str]:
        public = self.topo.app(PUBLIC_APP)
        web = self.topo.app(WEB_APP)
        logins = self.run_dir / "demo-logins.json"
        found = {
            "web app": f"http://127.0.0.1:{web.app_port}",
            "demo logins (generated)": str(logins),
            "public API (triage)": f"http://127.0.0.1:{public.app_port}",
            "postgres": f"127.0.0.1:{self.topo.postgres_port} (db {services.PG_DATABASE})",
            "kafka": f"127.0.0.1:{self.topo.kafka_port}",
            "logs": str(self.table.log_dir),
            "traces (`learnflow trace <trace id>`)": str(traces_path(self.run_dir)),
        }
        if self.local_model:
            found["local model (OpenAI API)"] = (
                f"http://127.0.0.1:{self.topo.model_server_port}/v1 "
                f"({model_server.SMOLLM2.alias}; `learnflow ask --llm local`)"
            )
        return found


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def print_backlog(backlog: dict[str, tuple[int, float]] | None) -> None:
    if backlog is None:
        print("outbox: unknown (the database does not answer)", file=sys.stdout)
    elif not backlog:
        print("outbox: every event is published", file=sys.stdout)
    else:
        waiting = ", ".join(
            f"{app} {count} (oldest {age:.0f} s)" for app, (count, age) in backlog.items()
        )
        print(f"outbox: events waiting to be published: {waiting}", file=sys.stdout)


def print_dead_letters(counts: dict[str, int] | None) -> None:
    if counts is None:
        print("dead letters: unknown (the database does not answer)", file=sys.stdout)
    elif not counts:
        print("dead letters: none", file=sys.stdout)
    else:
        listed = ", ".join(f"{topic} {count}" for topic, count in counts.items())
        print(
            f"dead letters: {sum(counts.values())} event(s): {listed} "
            "(see `learnflow dlq list`, `learnflow dlq replay`)",
            file=sys.stdout,
        )


def print_rows(rows: list[dict[str, object]]) -> None:
    for row in rows:
        state = "healthy" if row["healthy"] else ("running" if row["running"] else "stopped")
        if row.get("held") and not row["running"]:
            state = "held"
        note = f"  {row['supervision']}" if row.get("supervision") else ""
        print(
            f"{row['name']:<22} {state:<8} pid={row['pid'] or '-':<8} {row['log']}{note}",
            file=sys.stdout,
        )
