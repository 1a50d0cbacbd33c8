"""Each student's struggle-rule state (`learnflow.progress.struggle.ActivityState`), stored in
PostgreSQL table `struggle_states` so that it changes in the same transaction as the event that
fed it (dedupe row, submissions, alerts, outbox): a redelivered event can never feed it twice.

`lock()` takes the student's row `for update`, so events of one student are applied one at a
time even when several topics deliver at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from psycopg.types.json import Jsonb
from pydantic import ValidationError

from learnflow.db.pool import Conn
from learnflow.progress.struggle import ActivityState

log = logging.getLogger("debrief.struggle")
MAX_RECENT_SUBMISSIONS = 200


@dataclass
class StoredState:
    student_id: UUID
    state: ActivityState
    recent_submissions: list[str] = field(default_factory=list)

    def seen(self, submission_id: str | None) -> bool:
        return submission_id is not None and submission_id in self.recent_submissions

    def remember(self, submission_id: str | None) -> None:
        if submission_id is not None and submission_id not in self.recent_submissions:
            self.recent_submissions = [*self.recent_submissions, submission_id][
                -MAX_RECENT_SUBMISSIONS:
            ]


def _fresh(student_id: UUID) -> ActivityState:
    return ActivityState(student_id=str(student_id))


def _parse(student_id: UUID, raw: object) -> ActivityState:
    try:
        return ActivityState.model_validate(raw)
    except ValidationError as exc:
        log.warning("struggle state of %s is unreadable (%s); starting afresh", student_id, exc)
        return _fresh(student_id)


async def lock(conn: Conn, *, student_id: UUID) -> StoredState:
    """The student's state, row-locked until the caller's transaction ends (created if new)."""
    await conn.execute(
        "insert into struggle_states (student_id, state) values (%s, %s)"
        " on conflict (student_id) do nothing",
        (student_id, Jsonb(_fresh(student_id).model_dump(mode="json"))),
    )
    cur = await conn.execute(
        "select state, recent_submissions from struggle_states where student_id = %s for update",
        (student_id,),
    )
    row = await cur.fetchone()
    if row is None:  # pragma: no cover - inserted above, users rows cascade only on delete
        raise RuntimeError(f"struggle state of {student_id} vanished")
    return StoredState(student_id, _parse(student_id, row[0]), list(row[1] or []))


async def try_lock(conn: Conn, *, student_id: UUID) -> StoredState | None:
    """Like `lock`, but None when another transaction holds the row (the ticker skips it)."""
    cur = await conn.execute(
        "select state, recent_submissions from struggle_states where student_id = %s"
        " for update skip locked",
        (student_id,),
    )
    row = await cur.fetchone()
    if row is None:
        return None
    return StoredState(student_id, _parse(student_id, row[0]), list(row[1] or []))


async def save(conn: Conn, stored: StoredState) -> None:
    await conn.execute(
        "update struggle_states set state = %s, recent_submissions = %s,"
        " last_activity_at = %s, updated_at = now() where student_id = %s",
        (
            Jsonb(stored.state.model_dump(mode="json")),
            stored.recent_submissions,
            stored.state.last_activity_at,
            stored.student_id,
        ),
    )


async def recently_active(conn: Conn, *, now: datetime, window: timedelta) -> list[UUID]:
    """Students with activity within `window` before `now` (the "stuck" check looks at them)."""
    cur = await conn.execute(
        "select student_id from struggle_states where last_activity_at >= %s"
        " order by last_activity_at",
        (now - window,),
    )
    return [student_id for (student_id,) in await cur.fetchall()]
