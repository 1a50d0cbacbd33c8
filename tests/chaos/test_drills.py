"""Chaos drills on the real stack: each SIGKILLs one process while learners work, then checks
what the learner saw and that nothing acknowledged was lost.

Every drill: the watchdog restarts the killed process (its whole group cleaned up); every answer
the learner got was a normal one, a degraded one naming what was unavailable, or a 503 with
Retry-After and a plain message (never a 500/502); every submission acknowledged with a grade
has its events published and applied by debrief exactly once, and nothing else was (published
= applied, counted per drill in `.run/chaos/drills.jsonl`). Waits are on observable state.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest

from learnflow.workflows.ops import Target, WorkflowAdmin
from tests.chaos.harness import (
    Answer,
    Chaos,
    DrillReport,
    Learner,
    Person,
    first_ok_after,
    grade_problems,
    record,
    until,
)

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

# what each kind of learner action needs, besides triage, its sidecar and the database
NEEDS = {"chat": {"concepts"}, "submit": {"tutor", "code-runner"}, "run": {"code-runner"}}


def _needs(kind: str, killed: str) -> bool:
    app = killed.removesuffix("-dapr")
    return app in ("triage", "postgres") or app in NEEDS[kind]


async def _get(chaos: Chaos, http: httpx.AsyncClient, who: Person, path: str) -> Any:
    response = await http.get(
        f"{chaos.public_url}{path}", headers={"authorization": f"Bearer {who.token}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def _check_answers(answers: Iterable[Answer], killed: str) -> None:
    for answer in answers:
        assert answer.acceptable, f"the learner saw {answer.status}: {answer.body}"
        if answer.status == 0:
            assert killed in ("triage", "triage-dapr") or answer.kind == "run", answer
        if not _needs(answer.kind, killed):  # one app's outage never spills onto the others
            assert answer.ok, f"{answer.kind} failed while only {killed} was down: {answer}"


def _check_acknowledged_applied(chaos: Chaos, learner: Learner) -> None:
    """Every grade the learner saw was applied, once; none was invented (`grade_problems`)."""
    assert grade_problems(chaos, learner) == []


async def kill_while_learners_work(chaos: Chaos, http: httpx.AsyncClient, name: str) -> None:
    """The drill for any app or sidecar: a learner chats, submits and runs while `name` dies."""
    restarts_before = chaos.restarts(name)
    dead_letters_before = await asyncio.to_thread(chaos.dead_letters)
    _, student = chaos.classroom()
    learner = Learner(chaos, http, student)
    stop = asyncio.Event()
    working = asyncio.create_task(learner.work(stop))
    try:
        await until(
            lambda: all(any(a.ok and a.kind == kind for a in learner.answers) for kind in NEEDS),
            60,
            "the learner working normally (a normal answer to each kind of action)",
            chaos,
        )
        killed = chaos.kill(name)
        killed_at = time.monotonic()
        restart_s = await chaos.restarted(name, killed)

        def back_to_normal() -> bool:
            return all(first_ok_after(learner, kind, killed_at) is not None for kind in NEEDS)

        await until(lambda: back_to_normal(), 90, "every action to work again", chaos)
    finally:
        stop.set()
        await working
    ledger = await chaos.converged(student.id)

    _check_answers(learner.answers, name)
    _check_acknowledged_applied(chaos, learner)
    # a message on its way to the app that died waited for it: none was dead-lettered (with a
    # delivery retry shorter than a restart, killing debrief sent learning.response to its DLQ)
    assert await asyncio.to_thread(chaos.dead_letters) == dead_letters_before
    assert chaos.restarts(name) == restarts_before + 1
    recovery = max(first_ok_after(learner, kind, killed_at) or 0.0 for kind in NEEDS)
    counts = ledger.summary()
    record(
        DrillReport(
            killed=name,
            learner_saw=learner.saw(since=killed_at),
            recovery_s=round(recovery, 1),
            published=counts["published"],
            applied=counts["applied"],
            checks=[
                "watchdog restarted it, no process of its group left",
                "every answer normal, degraded (naming it) or 503 + Retry-After",
                "actions not needing it never failed",
                "every acknowledged grade applied, once; none invented",
                "no event dead-lettered",
            ],
            extra={"restart_s": round(restart_s, 1), "ledger": counts},
        ),
        chaos.stack.run_dir,
    )


@pytest.mark.parametrize("app", ["concepts", "tutor", "debrief", "code-runner", "triage"])
async def test_an_app_killed_mid_work(chaos: Chaos, http: httpx.AsyncClient, app: str) -> None:
    await kill_while_learners_work(chaos, http, app)


@pytest.mark.parametrize("app", ["triage", "concepts", "tutor", "debrief", "code-runner"])
async def test_a_sidecar_killed_mid_work(chaos: Chaos, http: httpx.AsyncClient, app: str) -> None:
    await kill_while_learners_work(chaos, http, f"{app}-dapr")


async def test_postgres_killed_mid_work(chaos: Chaos, http: httpx.AsyncClient) -> None:
    await kill_while_learners_work(chaos, http, "postgres")


async def test_kafka_down_for_a_while_learners_keep_working_and_alerts_arrive_once(
    chaos: Chaos, http: httpx.AsyncClient
) -> None:
    """Kafka is killed and kept down (held) while a student submits three wrong answers with
    the same error, chats and runs code: every action is answered and graded as usual, the
    events wait in the outboxes, and once Kafka is back the teacher gets one alert.

    The outage lasts LEARNFLOW_CHAOS_KAFKA_OUTAGE_S (8 s in `make test`; minutes by hand)."""
    outage_s = float(os.environ.get("LEARNFLOW_CHAOS_KAFKA_OUTAGE_S", "8"))
    teacher, student = chaos.classroom()
    learner = Learner(chaos, http, student)
    chaos.stack.hold("kafka")
    killed = chaos.kill("kafka")
    killed_at = time.monotonic()
    try:
        for _ in range(3):
            graded = await learner.submit()
            assert graded.status == 200, graded.body
            assert graded.body["passed"] is False
        assert (await learner.chat()).ok
        assert (await learner.run()).ok
        during = chaos.ledger(student.id)
        assert during.queued["exercise.graded"] == 3
        assert during.published["exercise.graded"] == 0  # nothing could go out
        backlog = chaos.stack.outbox_backlog()  # what `make status` tells the operator
        assert backlog is not None and backlog["tutor"][0] >= 6, backlog
        assert await _get(chaos, http, teacher, "/alerts") == []
        await asyncio.sleep(max(0.0, outage_s - (time.monotonic() - killed_at)))  # the outage
    finally:
        chaos.stack.release("kafka")
    released_at = time.monotonic()
    restart_s = await chaos.restarted("kafka", killed)

    async def one_alert() -> Any:
        alerts = await _get(chaos, http, teacher, "/alerts")
        return alerts if alerts else None

    alerts = await until(one_alert, 120, "the teacher's alert", chaos)
    alert_s = time.monotonic() - released_at
    ledger = await chaos.converged(student.id)

    assert [a["trigger"] for a in alerts] == ["repeated_error"]
    assert chaos.sql("select count(*) from struggle_alerts where student_id = %s", student.id) == [
        (1,)
    ]
    assert ledger.published["struggle.detected"] == 1  # announced once
    assert all(answer.ok for answer in learner.answers)
    _check_acknowledged_applied(chaos, learner)
    counts = ledger.summary()
    record(
        DrillReport(
            killed=f"kafka (kept down {outage_s:.0f} s)",
            learner_saw=learner.saw(),
            recovery_s=round(alert_s, 1),
            published=counts["published"],
            applied=counts["applied"],
            checks=[
                "3 submissions graded, chat and run answered while Kafka was down",
                "events waited in the outboxes (0 published during the outage)",
                "one repeated_error alert after Kafka returned, announced once",
                "every acknowledged grade applied, once; none invented",
            ],
            extra={"restart_s": round(restart_s, 1), "ledger": counts},
        ),
        chaos.stack.run_dir,
    )


def _sandboxes_of(pid: int) -> list[int]:
    """Live bubblewrap processes started by `pid` (a code-runner's sandboxes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        except (OSError, ValueError):
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if comm == "bwrap" and fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


async def test_code_runner_killed_mid_run(chaos: Chaos, http: httpx.AsyncClient) -> None:
    _, student = chaos.classroom()
    learner = Learner(chaos, http, student)
    runner = chaos.stack.table.get("code-runner")
    assert runner is not None
    running = asyncio.create_task(learner.run("while True:\n    pass\n"))
    sandboxes = await until(lambda: _sandboxes_of(runner.pid), 30, "the run's sandbox", chaos)
    killed = chaos.kill("code-runner")
    killed_at = time.monotonic()

    answer = await running
    restart_s = await chaos.restarted("code-runner", killed)

    async def runs_again() -> Answer | None:
        again = await learner.run()
        return again if again.ok else None

    again = await until(runs_again, 60, "runs to work again", chaos)

    assert answer.status == 503 and answer.retry_after is not None, answer
    assert answer.body["message"].startswith("Running code is unavailable right now")
    await until(  # bwrap's --die-with-parent: the sandbox went with the runner
        lambda: not any(_alive(p) for p in sandboxes),
        10,
        "the sandbox to die with the runner",
        chaos,
    )
    assert again.body["stdout"] == "45\n"
    assert all(a.acceptable for a in learner.answers)
    ledger = await chaos.converged(student.id)
    counts = ledger.summary()
    record(
        DrillReport(
            killed="code-runner (mid-run)",
            learner_saw=learner.saw(),
            recovery_s=round(again.at - killed_at, 1),
            published=counts["published"],
            applied=counts["applied"],
            checks=[
                "the run in flight answered 503 + Retry-After in plain words",
                f"its sandbox ({len(sandboxes)} bwrap) died with the runner",
                "the next run worked once the watchdog restarted it",
            ],
            extra={"restart_s": round(restart_s, 1)},
        ),
        chaos.stack.run_dir,
    )


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


# --- the control plane: sessions pause, their timers fire late, never lost ------------------------


async def _session(chaos: Chaos, http: httpx.AsyncClient, who: Person) -> str:
    response = await http.post(
        f"{chaos.public_url}/sessions",
        json={"mode": "practice", "topic": "data-structures"},
        headers={"authorization": f"Bearer {who.token}"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["session_id"])


async def _send(
    chaos: Chaos, http: httpx.AsyncClient, who: Person, session_id: str, **event: Any
) -> httpx.Response:
    return await http.post(
        f"{chaos.public_url}/sessions/{session_id}/events",
        json=event,
        headers={"authorization": f"Bearer {who.token}"},
    )


@pytest.mark.parametrize("plane", ["placement", "scheduler"])
async def test_control_plane_down_sessions_pause_and_timers_fire_late(
    chaos: Chaos, http: httpx.AsyncClient, plane: str
) -> None:
    """A failing run opens an exercise: with no run on it for 4 s the session's durable "stuck"
    timer fires. The control-plane process is killed and kept down past that deadline while the
    learner goes on chatting in the session: the timer cannot fire, and fires once it is back;
    every message the session acknowledged (202) is in its tally."""
    _, student = chaos.classroom()
    session_id = await _session(chaos, http, student)
    opened = await _send(
        chaos,
        http,
        student,
        session_id,
        kind="code_run",
        exercise_id="data-structures.squares",
        passed=False,
        error_type="TypeError",
    )
    assert opened.status_code == 202, opened.text
    due = time.monotonic() + 4  # LEARNFLOW_WORKFLOW_STUCK_AFTER_S in the drills

    def armed() -> Any:
        """The workflow has taken the run's turn (it shows the open exercise in its own status,
        saved with the turn's timer). A control plane killed during a session's very first
        turns can leave the instance FAILED: a separate defect, in the closing note of
        2026-12-02, that this drill does not cover."""
        target = Target(
            "127.0.0.1",
            chaos.stack.topo.app("triage").dapr_grpc_port,
            chaos.secrets.dapr_token("triage"),
        )
        with WorkflowAdmin(target) as ops:
            own = ops.get(f"session-{session_id}").custom_status
        return isinstance(own, dict) and own.get("current_exercise") == "data-structures.squares"

    await until(armed, 30, "the workflow to take the run's turn", chaos)
    chaos.stack.hold(plane)
    killed = chaos.kill(plane)
    killed_at = time.monotonic()
    during: list[int] = []
    try:
        while time.monotonic() < due + 2:  # past the deadline, the learner keeps going
            response = await _send(
                chaos, http, student, session_id, kind="message", text="what is a loop?"
            )
            during.append(response.status_code)
            assert response.status_code in (202, 503), response.text
            if response.status_code == 503:
                assert response.headers["retry-after"], response.text
            await asyncio.sleep(0.5)
        assert chaos.sql(
            "select count(*) from struggle_alerts where student_id = %s", student.id
        ) == [(0,)], "the timer fired without its control plane"
    finally:
        chaos.stack.release(plane)
    restart_s = await chaos.restarted(plane, killed)

    def fired() -> Any:
        rows = chaos.sql("select trigger from struggle_alerts where student_id = %s", student.id)
        return rows or None

    rows = await until(fired, 120, "the stuck timer to fire", chaos)
    late_s = time.monotonic() - due
    assert rows == [("stuck_on_exercise",)]

    async def tallied() -> Any:
        response = await http.get(
            f"{chaos.public_url}/sessions/{session_id}",
            headers={"authorization": f"Bearer {student.token}"},
        )
        tally = response.json()["status"]["tally"] if response.status_code == 200 else None
        return tally if tally and tally["messages"] == during.count(202) else None

    await until(tallied, 60, "every acknowledged message in the session's tally", chaos)
    recovery = time.monotonic() - killed_at
    record(
        DrillReport(
            killed=f"{plane} (kept down past a timer)",
            learner_saw={f"session event: HTTP {code}": during.count(code) for code in set(during)},
            recovery_s=round(recovery, 1),
            published=0,
            applied=0,
            checks=[
                "the stuck timer did not fire while it was down",
                f"it fired {late_s:.1f} s after its deadline, once",
                "every message the session acknowledged (202) is in its tally",
            ],
            extra={"restart_s": round(restart_s, 1), "timer_late_s": round(late_s, 1)},
        ),
        chaos.stack.run_dir,
    )


# --- the supervisor itself -----------------------------------------------------------------------


async def test_up_repairs_a_half_dead_stack(chaos: Chaos, http: httpx.AsyncClient) -> None:
    """The watchdog is killed first, then PostgreSQL and a sidecar: nothing restarts them, and
    `up` (what `make up` runs) repairs the stack instead of failing on the dead server's lock
    files: what is alive stays, what died is started again. (Kafka is left out: its drill
    restarts it, and it is the slowest to start.)"""
    alive_before = {name: chaos.stack.table.get(name) for name in ("triage", "tutor", "placement")}
    killed = [chaos.kill(name) for name in ("watchdog", "postgres", "concepts-dapr")]
    for dead in killed:
        await until(lambda dead=dead: not dead.alive(), 10, f"{dead.name} to die", chaos)
    lock = chaos.stack.run_dir / "postgres" / "data" / "postmaster.pid"
    assert await asyncio.to_thread(lock.exists)  # the killed server's lock file is still there
    started = time.monotonic()

    repaired = await asyncio.to_thread(chaos.stack.up)

    took = time.monotonic() - started
    assert repaired is True
    assert not chaos.unhealthy()
    for name, alive in alive_before.items():  # what was alive was left alone
        assert chaos.stack.table.get(name) == alive
    for dead in killed:
        again = chaos.stack.table.get(dead.name)
        assert again is not None and again.pid != dead.pid and again.alive()
    _, student = chaos.classroom()
    learner = Learner(chaos, http, student)
    assert (await learner.submit()).ok
    record(
        DrillReport(
            killed="watchdog, then postgres and concepts-dapr (make up repairs)",
            learner_saw={},
            recovery_s=round(took, 1),
            published=0,
            applied=0,
            checks=[
                "a killed PostgreSQL's stale postmaster.pid did not stop `up`",
                "only the dead processes were started again; the watchdog is back",
                "a submission is graded right after",
            ],
        ),
        chaos.stack.run_dir,
    )
