"""Login throttling: per account and per client address, with exponential backoff.

Each key (`account:<email>`, `address:<ip>`) may fail a few times for free; after that every
failure locks it for twice as long as the last (1 s, 2 s, 4 s … up to 15 min; all settings).
While a key is locked, logins with it are refused with 429 + Retry-After *before* the password
is checked — so guessing goes no faster, and the answer does not tell whether a password was
right. An attempt is counted *before* its password is checked (one short statement per key), so
fifty guesses sent at once meet the lock after the free ones instead of all being checked; a
successful login takes its attempt back and clears its account's count (not its address's: one's
own account must not reset the counter of guesses at others). Failures are forgotten after 15
minutes. No database connection is held while a password is checked.

The client's address is the TCP peer's, unless that peer is a configured reverse proxy
(`LEARNFLOW_TRUSTED_PROXIES`, e.g. Kong), whose X-Forwarded-For then names it; a request that
came through the app's own Dapr sidecar (the web app's BFF, the only app allowed to call triage)
carries the address the BFF vouches for in `x-learnflow-client-address`, if any. A forged
X-Forwarded-For from anyone else is ignored.
"""

from __future__ import annotations

import hmac
import ipaddress
import math

from fastapi import Request

from learnflow.db.pool import Conn
from learnflow.db.repos import limits
from learnflow.errors import RateLimited
from learnflow.settings import Settings

CLIENT_ADDRESS_HEADER = "x-learnflow-client-address"


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_address(request: Request, settings: Settings) -> str | None:
    """The address a login attempt comes from, or None when nobody trustworthy says."""
    token = settings.app_api_token
    sent = request.headers.get("dapr-api-token", "").encode()
    if token is not None and hmac.compare_digest(sent, token.get_secret_value().encode()):
        vouched = request.headers.get(CLIENT_ADDRESS_HEADER, "").strip()
        return vouched if _is_address(vouched) else None
    peer = request.client.host if request.client else None
    if peer is not None and peer in settings.trusted_proxies:
        hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
        for hop in reversed([h for h in hops if h]):
            if hop not in settings.trusted_proxies:
                return hop if _is_address(hop) else None
    return peer


def _keys(email: str, address: str | None) -> list[str]:
    keys = [f"account:{email.strip().lower()}"]
    if address is not None:
        keys.append(f"address:{address}")
    return keys


async def refuse_if_locked(conn: Conn, *, email: str, address: str | None) -> None:
    wait = await limits.login_locked_for(conn, keys=_keys(email, address))
    if wait > 0:
        _refuse(wait)


def _refuse(wait: float) -> None:
    raise RateLimited(
        f"Too many failed logins for this account or from your address: try again in "
        f"{math.ceil(wait)} s",
        retry_after_s=math.ceil(wait),
    )


async def begin_attempt(conn: Conn, *, email: str, address: str | None, settings: Settings) -> None:
    """Count this attempt against its account and address; `RateLimited` if either is locked."""
    await refuse_if_locked(conn, email=email, address=address)
    account, *by_address = _keys(email, address)
    common = {
        "base_s": settings.login_backoff_base_s,
        "max_s": settings.login_backoff_max_s,
        "forget_after_s": settings.login_forget_after_s,
    }
    frees = [settings.login_free_failures_per_account] + [
        settings.login_free_failures_per_address for _ in by_address
    ]
    for key, free in zip([account, *by_address], frees, strict=True):
        counted = await limits.count_login_attempt(conn, key=key, free=free, **common)
        if counted is None:  # locked by a concurrent attempt since the check above
            _refuse(await limits.login_locked_for(conn, keys=[key]) or 1)
    await limits.forget_stale_login_failures(conn, forget_after_s=settings.login_forget_after_s)


async def record_success(conn: Conn, *, email: str, address: str | None) -> None:
    """The password was right: forget the account's count; take this attempt back from the
    address's."""
    account, *by_address = _keys(email, address)
    await limits.forget_login_failures(conn, key=account)
    for key in by_address:
        await limits.take_back_login_attempt(conn, key=key)
