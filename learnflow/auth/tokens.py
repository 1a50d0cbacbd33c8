"""Short-lived access tokens: HS256 JWTs with `sub` (user id), `role`, `iat`, `exp`, `jti`.

The secret is `LEARNFLOW_JWT_SECRET` (at least 32 bytes), the lifetime `LEARNFLOW_JWT_TTL_S`;
both come in the caller's `Settings` (an app's are `app.state.settings`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
from pydantic import BaseModel, ConfigDict

from learnflow.db.models import Role
from learnflow.errors import ConfigurationError, NotAuthenticated
from learnflow.settings import Settings

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
LEEWAY_S = 5  # tolerated clock skew between the apps that issue and verify tokens
_LOGIN_HINT = "log in again (POST /auth/login) and send `Authorization: Bearer <token>`"


class Principal(BaseModel):
    """Who is calling, as proven by a verified token."""

    model_config = ConfigDict(frozen=True)

    user_id: UUID
    role: Role
    token_id: str
    issued_at: datetime
    expires_at: datetime


def _secret(settings: Settings) -> str:
    secret = settings.jwt_secret
    if secret is None or not secret.get_secret_value():
        raise ConfigurationError(
            "LEARNFLOW_JWT_SECRET is not set: set it to 32+ random bytes, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`, the same in every app"
        )
    value = secret.get_secret_value()
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"LEARNFLOW_JWT_SECRET is too short ({len(value.encode())} bytes): use at least "
            f"{MIN_SECRET_BYTES}, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    return value


ISSUER = "learnflow"


def issue_token(
    *,
    user_id: UUID,
    role: Role,
    ttl_s: int | None = None,
    now: datetime | None = None,
    settings: Settings,
) -> str:
    """A signed token for this user; `ttl_s` defaults to `settings.jwt_ttl_s`."""
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    lifetime = timedelta(seconds=settings.jwt_ttl_s if ttl_s is None else ttl_s)
    claims = {
        # the API gateway (Kong's jwt plugin) finds the signing credential by this claim
        "iss": ISSUER,
        "sub": str(user_id),
        "role": Role(role).value,
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, _secret(settings), algorithm=ALGORITHM)


def verify_token(token: str | None, *, settings: Settings) -> Principal:
    """The principal of a valid token, or `NotAuthenticated` saying what is wrong with it."""
    if not token or not token.strip():
        raise NotAuthenticated(f"Missing access token: {_LOGIN_HINT}")
    try:
        claims = jwt.decode(
            token.strip(),
            _secret(settings),
            algorithms=[ALGORITHM],
            options={"require": ["iss", "sub", "role", "iat", "exp", "jti"]},
            issuer=ISSUER,
            leeway=LEEWAY_S,
        )
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated(f"Your access token has expired: {_LOGIN_HINT}") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise NotAuthenticated(
            f"Invalid access token: it has no {exc.claim!r} claim; {_LOGIN_HINT}"
        ) from exc
    except jwt.InvalidSignatureError as exc:
        raise NotAuthenticated(
            f"Invalid access token: its signature does not match (not issued by this LearnFlow, "
            f"or tampered with); {_LOGIN_HINT}"
        ) from exc
    except jwt.ImmatureSignatureError as exc:
        raise NotAuthenticated(
            f"Invalid access token: it is dated in the future; {_LOGIN_HINT}"
        ) from exc
    except jwt.DecodeError as exc:
        raise NotAuthenticated(
            f"Invalid access token: not a well-formed JWT; {_LOGIN_HINT}"
        ) from exc
    except jwt.InvalidTokenError as exc:
        raise NotAuthenticated(f"Invalid access token ({exc}); {_LOGIN_HINT}") from exc
    try:
        return Principal(
            user_id=UUID(str(claims["sub"])),
            role=Role(claims["role"]),
            token_id=str(claims["jti"]),
            issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except (ValueError, TypeError) as exc:
        raise NotAuthenticated(
            f"Invalid access token: its subject or role is not a LearnFlow user; {_LOGIN_HINT}"
        ) from exc
