"""In-flight leases, failed-login counters and revoked tokens (migration 0009).

(The rate buckets moved to the `RateLimitBucket` Dapr actor, triage_agent.bucket_actor; the
`rate_buckets` table of migration 0009 is no longer written.)

Every function is one statement (or two) that PostgreSQL runs atomically, so concurrent requests
on any number of replicas never both take the last token or the last slot.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from uuid import UUID

from learnflow.db.pool import Conn
from learnflow.db.repos._rows import fetch_value


async def acquire_lease(
    conn: Conn, *, user_id: UUID, kind: str, slots: int, ttl_s: float
) -> UUID | None:
    """One of `slots` slots of `kind` for this user (a free or expired one), or None."""
    lease = uuid.uuid4()
    for slot in range(slots):
        got = await fetch_value(
            conn,
            """
            insert into work_leases as w (user_id, kind, slot, lease_id, expires_at)
            values (%(user)s, %(kind)s, %(slot)s, %(lease)s,
                    now() + %(ttl)s * interval '1 second')
            on conflict (user_id, kind, slot) do update
               set lease_id = excluded.lease_id, expires_at = excluded.expires_at
             where w.expires_at < now()
            returning lease_id
            """,
            {"user": user_id, "kind": kind, "slot": slot, "lease": lease, "ttl": ttl_s},
        )
        if got is not None:
            return lease
    return None


async def lease_wait_s(conn: Conn, *, user_id: UUID, kind: str) -> float:
    """Seconds until the first of this user's leases of `kind` expires (an upper bound)."""
    soonest = await fetch_value(
        conn,
        "select extract(epoch from min(expires_at) - now()) from work_leases"
        " where user_id = %s and kind = %s",
        (user_id, kind),
    )
    return max(float(soonest or 1), 1.0)


async def release_lease(conn: Conn, *, lease_id: UUID) -> None:
    await conn.execute("delete from work_leases where lease_id = %s", (lease_id,))


# --- login throttling --------------------------------------------------------------------------
async def login_locked_for(conn: Conn, *, keys: list[str]) -> float:
    """Seconds until every one of `keys` may try to log in again (0 when none is locked)."""
    wait = await fetch_value(
        conn,
        "select max(extract(epoch from locked_until - now())) from login_failures"
        " where key = any(%s) and locked_until > now()",
        (keys,),
    )
    return math.ceil(float(wait)) if wait is not None else 0.0


async def count_login_attempt(
    conn: Conn, *, key: str, free: int, base_s: float, max_s: float, forget_after_s: float
) -> int | None:
    """Count an attempt against `key` before its password is checked (so concurrent guesses
    cannot all slip through), unless `key` is locked: then None. Past `free` attempts the key
    is locked for an exponential backoff (base_s, 2 * base_s, ... up to max_s); this attempt
    still goes on. Attempts older than `forget_after_s` are forgotten. A successful login takes
    its attempt back (`forget_login_failures` / `take_back_login_attempt`)."""
    count = await fetch_value(
        conn,
        """
        insert into login_failures as f (key, failures, last_failure, locked_until)
        values (%(key)s, 1, now(), null)
        on conflict (key) do update
           set failures = case when f.last_failure < now() - %(forget)s * interval '1 second'
                               then 1 else f.failures + 1 end,
               last_failure = now()
         where f.locked_until is null or f.locked_until <= now()
        returning failures
        """,
        {"key": key, "forget": forget_after_s},
    )
    if count is None:
        return None
    failures = int(count)
    if failures > free:
        backoff = min(base_s * 2 ** (failures - free - 1), max_s)
        await conn.execute(
            "update login_failures set locked_until = now() + %s * interval '1 second'"
            " where key = %s",
            (backoff, key),
        )
    return failures


async def take_back_login_attempt(conn: Conn, *, key: str) -> None:
    await conn.execute(
        "update login_failures set failures = greatest(failures - 1, 0) where key = %s", (key,)
    )


async def forget_stale_login_failures(conn: Conn, *, forget_after_s: float) -> None:
    await conn.execute(
        "delete from login_failures where last_failure < now() - %s * interval '1 second'"
        " and (locked_until is null or locked_until < now())",
        (forget_after_s,),
    )


async def forget_login_failures(conn: Conn, *, key: str) -> None:
    await conn.execute("delete from login_failures where key = %s", (key,))


# --- revoked tokens ----------------------------------------------------------------------------
async def revoke_token(conn: Conn, *, token_id: str, user_id: UUID, expires_at: datetime) -> None:
    await conn.execute(
        "insert into revoked_tokens (token_id, user_id, expires_at) values (%s, %s, %s)"
        " on conflict (token_id) do nothing",
        (token_id, user_id, expires_at),
    )
    await conn.execute("delete from revoked_tokens where expires_at < now() - interval '1 hour'")


async def is_token_revoked(conn: Conn, *, token_id: str) -> bool:
    found = await fetch_value(conn, "select 1 from revoked_tokens where token_id = %s", (token_id,))
    return found is not None
