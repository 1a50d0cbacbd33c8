"""The chaos drills' tools: a stack of their own, learners using the public API, kills, and the
checks that nothing acknowledged was lost (shared by `make test`'s drills and `make chaos`).

What a drill observes is only what a user or an operator can: HTTP answers of triage's public
API (status, Retry-After, message), rows in PostgreSQL (the outbox, dedupe records, alerts),
process records and the watchdog's restart history. Every wait polls observable state.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import shutil
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import psycopg
from confluent_kafka import Consumer, TopicPartition

from learnflow.auth.tokens import issue_token
from learnflow.db.models import Role
from learnflow.mesh import kafka_security, services
from learnflow.mesh.processes import Recorded, group_members
from learnflow.mesh.stack import Stack, stack_settings
from learnflow.settings import REPO_ROOT, Settings
from tests.diagnostics import notable_log_lines

# Workflow durations in seconds (a stuck timer the drills can wait out), as the integration
# tests use them; the stack passes LEARNFLOW_WORKFLOW_* to the apps.
WORKFLOW_SETTINGS = {
    "LEARNFLOW_WORKFLOW_STUCK_AFTER_S": "4",
    "LEARNFLOW_WORKFLOW_RETRY_MAX_ATTEMPTS": "5",
    "LEARNFLOW_WORKFLOW_RETRY_FIRST_INTERVAL_S": "0.5",
    "LEARNFLOW_WORKFLOW_RETRY_MAX_INTERVAL_S": "2",
}
# The drills' learners act every quarter second (to time recoveries closely), far above the
# per-learner rate limits at triage; a 429 in a drill would hide what the outage did.
RATE_LIMITS = {
    f"LEARNFLOW_LIMIT_{action}_{kind}": "600"
    for action in ("CHAT", "RUN", "SUBMIT")
    for kind in ("BURST", "PER_MINUTE")
}
WITHOUT = ("frontend",)  # the web app has drills of its own (tests/frontend); not killed here
#: Topics debrief's progress consumer applies (deduped in processed_events).
APPLIED_TOPICS = ("code.executed", "exercise.graded", "learning.routed")
CONSUMER = "debrief-progress"

EXERCISE = "data-structures.squares"
# a wrong answer that fails every hidden test with a TypeError (list + int)
WRONG = "def squares(numbers):\n    return [n * n for n in numbers] + 1  # try {n}\n"
RIGHT = "def squares(numbers):\n    return [n * n for n in numbers]  # try {n}\n"
QUESTION = "How do for loops work in Python?"


def chaos_offset() -> int:
    """Its own ports: LEARNFLOW_TEST_CHAOS_PORT_OFFSET, else 20 above the integration stack's
    (CI: 1020), clear of every other stack's."""
    explicit = os.environ.get("LEARNFLOW_TEST_CHAOS_PORT_OFFSET")
    if explicit:
        return int(explicit)
    return int(os.environ.get("LEARNFLOW_TEST_PORT_OFFSET", "1000")) + 20


def progress(message: str) -> None:
    print(f"[chaos] {message}", file=sys.stderr, flush=True)


# --- the stack -------------------------------------------------------------------------------


@dataclass
class Chaos:
    """The drills' own stack (no web app), with the watchdog `up` leaves running."""

    stack: Stack
    secrets: services.RunSecrets

    @classmethod
    def start(
        cls, run_dir_name: str = "chaos", *, fresh: bool = True, offset: int | None = None
    ) -> Chaos:
        """A fresh stack (whatever a previous run left is stopped and deleted); `fresh=False`
        reuses one that is up (`up` repairs it), for a developer re-running one drill."""
        run_dir = REPO_ROOT / ".run" / os.environ.get("LEARNFLOW_TEST_CHAOS_RUN_DIR", run_dir_name)
        stack = Stack(
            Settings(run_dir=run_dir, port_offset=chaos_offset() if offset is None else offset),
            progress,
            without=WITHOUT,
            app_settings={**stack_settings(WORKFLOW_SETTINGS), **RATE_LIMITS},
        )
        if fresh:
            stack.down(quiet=True)  # a previous run killed mid-way
            shutil.rmtree(run_dir, ignore_errors=True)
        stack.up()
        return cls(stack, services.RunSecrets.load_or_create(run_dir))

    def stop(self) -> None:
        self.stack.down(quiet=True)

    @property
    def conninfo(self) -> str:
        return services.app_conninfo(self.stack.topo, self.secrets)

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.stack.topo.app('triage').app_port}"

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.conninfo, connect_timeout=5) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description is not None else []

    # --- health -----------------------------------------------------------------------------
    def unhealthy(self) -> list[str]:
        return [str(row["name"]) for row in self.stack.status() if not row["healthy"]]

    async def healthy(self, timeout_s: float = 120) -> None:
        """Wait until every process answers its health check (the stack is whole again)."""
        await until(lambda: not self.unhealthy(), timeout_s, "every process healthy", self)

    def dead_letters(self) -> dict[str, int]:
        """How many messages each dead-letter topic (`<topic>.dlq`) holds, read as Kafka's `ops`
        user (it reads every topic and writes none)."""
        config = kafka_security.client_config(
            f"127.0.0.1:{self.stack.topo.kafka_port}",
            kafka_security.OPS_USER,
            self.secrets.kafka_passwords[kafka_security.OPS_USER],
        )
        consumer = Consumer({**config, "group.id": f"chaos-dlq-{uuid.uuid4()}"})
        try:
            topics = consumer.list_topics(timeout=10).topics
            counts = {}
            for name, meta in sorted(topics.items()):
                if name.endswith(".dlq"):
                    marks = [
                        consumer.get_watermark_offsets(TopicPartition(name, p), timeout=10)
                        for p in meta.partitions
                    ]
                    counts[name] = sum(high - low for low, high in marks)
            return counts
        finally:
            consumer.close()

    def restarts(self, name: str) -> int:
        history = self.stack.supervision.restarts().get(name)
        return history.count if history else 0

    # --- killing --------------------------------------------------------------------------
    def kill(self, name: str) -> Recorded:
        """SIGKILL `name` (the process `up` recorded, alone: the watchdog cleans its group)."""
        record = self.stack.kill(name, signal.SIGKILL)
        progress(f"SIGKILL {name} (pid {record.pid})")
        return record

    async def restarted(self, name: str, killed: Recorded, timeout_s: float = 120) -> float:
        """Seconds until the watchdog has `name` running again and healthy; checks that
        nothing of the killed process's group was left behind."""
        started = time.monotonic()
        checks = self.stack._checks(self.secrets)

        def back() -> bool:
            record = self.stack.table.get(name)
            if record is None or record.pid == killed.pid or not record.alive():
                return False
            return checks[name].ready()

        await until(back, timeout_s, f"the watchdog to restart {name}", self)
        assert group_members(killed.pid) == [], f"{name} left processes behind"
        return time.monotonic() - started

    # --- people ---------------------------------------------------------------------------
    def person(self, role: Role) -> Person:
        email = f"{role.value}-{uuid.uuid4().hex[:10]}@chaos.learnflow.dev"
        ((user_id,),) = self.sql(
            "insert into users (email, display_name, role, password_hash)"
            " values (%s, %s, %s, 'not-a-login') returning id",
            email,
            f"Chaos {role.value}",
            role.value,
        )
        token = issue_token(
            user_id=user_id, role=role, settings=Settings(jwt_secret=self.secrets.jwt_secret)
        )
        return Person(user_id, token)

    def classroom(self) -> tuple[Person, Person]:
        """A teacher and one student in a class of their own."""
        teacher, student = self.person(Role.TEACHER), self.person(Role.STUDENT)
        ((class_id,),) = self.sql(
            "insert into classes (name, teacher_id) values (%s, %s) returning id",
            f"Chaos {uuid.uuid4().hex[:6]}",
            teacher.id,
        )
        self.sql(
            "insert into enrollments (class_id, student_id) values (%s, %s)", class_id, student.id
        )
        return teacher, student

    # --- what was published and applied ----------------------------------------------------
    def pending_outbox(self) -> int:
        return int(
            self.sql(
                "select count(*) from event_outbox where published_at is null and failed_at is null"
            )[0][0]
        )

    def ledger(self, user: UUID) -> Ledger:
        """The user's events: queued, published, and applied by debrief (once each)."""
        rows = self.sql(
            "select o.id, o.topic, o.published_at is not null, p.event_id is not null"
            " from event_outbox o left join processed_events p"
            "   on p.event_id = o.id and p.consumer = %s"
            " where o.payload->>'user_id' = %s",
            CONSUMER,
            str(user),
        )
        ledger = Ledger()
        for event_id, topic, published, applied in rows:
            ledger.queued[topic] += 1
            if published:
                ledger.published[topic] += 1
            if applied:
                ledger.applied[topic] += 1
            elif published and topic in APPLIED_TOPICS:
                ledger.unapplied.append(event_id)
        return ledger

    async def converged(self, user: UUID, timeout_s: float = 120) -> Ledger:
        """Wait until every event of the user is published and each one debrief consumes is
        applied; returns the ledger."""

        def done() -> Ledger | NotYet:
            ledger = self.ledger(user)
            backlog = self.stack.outbox_backlog()
            if backlog or not ledger.complete:
                return NotYet(f"outbox backlog {backlog}; {ledger}")
            return ledger

        return await until(done, timeout_s, "every event published and applied", self)


@dataclass(frozen=True)
class NotYet:
    """A probe's "not yet", saying why (what `until` reports if it never comes)."""

    why: str

    def __bool__(self) -> bool:
        return False


@dataclass
class Ledger:
    queued: Counter[str] = field(default_factory=Counter)
    published: Counter[str] = field(default_factory=Counter)
    applied: Counter[str] = field(default_factory=Counter)
    unapplied: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.queued == self.published and not self.unapplied

    def summary(self) -> dict[str, int]:
        return {
            "published": sum(self.published.values()),
            "applied": sum(self.applied.values()),
            "consumed_topics_published": sum(self.published[t] for t in APPLIED_TOPICS),
        }


async def until(
    probe: Callable[[], Any], timeout_s: float, what: str, chaos: Chaos | None = None
) -> Any:
    """Poll `probe` until it returns something truthy (observable state, never a fixed sleep).

    `probe` may be a coroutine function, or a plain function (run in a thread: it may block on
    HTTP or SQL while the learners go on working)."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            if inspect.iscoroutinefunction(probe):
                last = await probe()
            else:
                last = await asyncio.to_thread(probe)
                if inspect.isawaitable(last):
                    last = await last
        except (OSError, psycopg.Error, httpx.HTTPError) as exc:  # what we poll may be down
            last = exc
        if last and not isinstance(last, Exception):
            return last
        await asyncio.sleep(0.2)
    unhealthy = chaos.unhealthy() if chaos is not None else []
    logged = notable_log_lines(chaos.stack.run_dir) if chaos is not None else ""
    raise AssertionError(
        f"timed out after {timeout_s:.0f} s waiting for {what}; last: {last!r}; "
        f"unhealthy: {unhealthy}\nthe stack's warnings and errors:\n{logged}"
    )


# --- learners --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: UUID
    token: str


@dataclass
class Answer:
    """What a learner saw for one action."""

    kind: str  # chat | submit | run
    status: int  # 0: no answer at all (connection refused: triage itself was down)
    at: float
    body: dict[str, Any] = field(default_factory=dict)
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.body.get("unavailable")

    @property
    def degraded(self) -> bool:
        return self.status == 200 and bool(self.body.get("unavailable"))

    @property
    def seen(self) -> str:
        """How the learner saw it, in one short phrase (for the drills' report)."""
        if self.status == 0:
            return "no answer (connection refused)"
        if self.degraded:
            return f"degraded answer naming {', '.join(self.body['unavailable'])}"
        if self.status == 200:
            return "normal answer"
        return f"{self.status} Retry-After {self.retry_after}: {self.body.get('message', '')}"

    @property
    def acceptable(self) -> bool:
        """A normal answer, a degraded one, a 503 that says when to retry, or (triage itself
        down) no answer — never a 500/502 or an internal message."""
        if self.status in (0, 200):
            return True
        return (
            self.status == 503 and self.retry_after is not None and bool(self.body.get("message"))
        )


class Learner:
    """A student using triage's public API (what the web app's BFF calls)."""

    def __init__(self, chaos: Chaos, http: httpx.AsyncClient, person: Person) -> None:
        self.chaos, self.http, self.person = chaos, http, person
        self.answers: list[Answer] = []
        self.graded: list[str] = []  # submission ids acknowledged with a grade
        self.tries = 0

    async def _post(self, kind: str, path: str, body: dict[str, Any]) -> Answer:
        headers = {"authorization": f"Bearer {self.person.token}"}
        try:
            response = await self.http.post(
                f"{self.chaos.public_url}{path}", json=body, headers=headers
            )
        except httpx.TransportError:
            answer = Answer(kind, 0, time.monotonic())
        else:
            try:
                payload = response.json()
            except ValueError:
                payload = {"text": response.text[:200]}
            answer = Answer(
                kind,
                response.status_code,
                time.monotonic(),
                payload if isinstance(payload, dict) else {"body": payload},
                response.headers.get("retry-after"),
            )
        self.answers.append(answer)
        return answer

    async def chat(self, message: str = QUESTION) -> Answer:
        return await self._post("chat", "/chat", {"message": message})

    async def submit(self, *, right: bool = False) -> Answer:
        self.tries += 1
        code = (RIGHT if right else WRONG).format(n=self.tries)  # each try a new submission
        answer = await self._post("submit", f"/exercises/{EXERCISE}/submit", {"code": code})
        if answer.status == 200:
            self.graded.append(answer.body["submission_id"])
        return answer

    async def run(self, code: str = "print(sum(range(10)))") -> Answer:
        return await self._post("run", "/code/run", {"code": code})

    async def work(self, stop: asyncio.Event) -> None:
        """Chat, submit and run in turn until `stop` (what a learner does all day)."""
        actions = (self.chat, self.submit, self.run)
        turn = 0
        while not stop.is_set():
            await actions[turn % len(actions)]()
            turn += 1
            await asyncio.sleep(0.25)

    def saw(self, since: float = 0.0) -> dict[str, int]:
        """How many answers of each kind the learner saw (after `since`)."""
        return dict(Counter(f"{a.kind}: {a.seen}" for a in self.answers if a.at >= since))


def grade_problems(chaos: Chaos, learner: Learner) -> list[str]:
    """What is wrong with the learner's grades once everything converged (nothing, normally).

    Every grade the learner saw is applied by debrief; each applied grade is applied once (one
    attempt row per submission); none is invented (no more than were submitted). A grade may be
    applied that the learner never saw: the answer was lost on the way back (a sidecar died
    after the tutor had queued it); the learner's retry of the same code is the same submission
    and counts once."""
    rows = chaos.sql(
        "select o.payload->>'submission_id' from event_outbox o join processed_events p"
        " on p.event_id = o.id and p.consumer = %s"
        " where o.topic = 'exercise.graded' and o.payload->>'user_id' = %s",
        CONSUMER,
        str(learner.person.id),
    )
    applied = {row[0] for row in rows}
    attempts = chaos.sql(
        "select count(*) from exercise_attempts where student_id = %s", learner.person.id
    )[0][0]
    problems = []
    if missing := set(learner.graded) - applied:
        problems.append(f"{len(missing)} acknowledged grade(s) never applied: {sorted(missing)}")
    if attempts != len(applied):
        problems.append(f"{len(applied)} graded submissions applied as {attempts} attempts")
    if len(applied) > learner.tries:
        problems.append(f"{len(applied)} grades applied for {learner.tries} submissions sent")
    return problems


def first_ok_after(learner: Learner, kind: str, since: float) -> float | None:
    return next(
        (a.at - since for a in learner.answers if a.kind == kind and a.at >= since and a.ok), None
    )


# --- the drills' report ----------------------------------------------------------------------


@dataclass
class DrillReport:
    killed: str
    learner_saw: dict[str, int]
    recovery_s: float
    published: int
    applied: int
    checks: list[str]
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"killed {self.killed}: recovered in {self.recovery_s:.1f} s; events published "
            f"{self.published} / applied {self.applied}; learner saw {self.learner_saw}"
        )


def record(report: DrillReport, run_dir: Path) -> None:
    """Append the drill's report to `<run_dir>/drills.jsonl` and print it."""
    progress(report.line())
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / "drills.jsonl").open("a") as handle:
        handle.write(json.dumps(asdict(report)) + "\n")
