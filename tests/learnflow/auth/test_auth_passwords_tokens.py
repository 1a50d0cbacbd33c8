"""argon2 password hashing and JWT issue/verify."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import jwt
import pytest

from learnflow.auth.passwords import (
    check_password_policy,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from learnflow.auth.tokens import ALGORITHM, issue_token, verify_token
from learnflow.db.models import Role
from learnflow.errors import ConfigurationError, InvalidInput, NotAuthenticated
from learnflow.settings import Settings

SECRET = "test-secret-long-enough-even-for-hs512-" + "0123456789" * 3
SETTINGS = Settings(_env_file=None, jwt_secret=SECRET, jwt_ttl_s=900)


# --- passwords ----------------------------------------------------------------------------------


def test_hash_and_verify() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse battery" not in hashed
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "correct horse batterY")
    assert not needs_rehash(hashed)


def test_hashes_are_salted() -> None:
    assert hash_password("same password") != hash_password("same password")


@pytest.mark.parametrize("stored", ["", "plaintext", "$argon2id$v=19$broken"])
def test_a_malformed_hash_never_verifies_and_never_raises(stored: str) -> None:
    assert verify_password(stored, "anything") is False
    assert needs_rehash(stored)


def test_generated_passwords_are_random_and_pass_the_policy() -> None:
    passwords = {generate_password() for _ in range(20)}
    assert len(passwords) == 20
    for password in passwords:
        check_password_policy(password)


@pytest.mark.parametrize(("password", "ok"), [("", False), ("1234567", False), ("12345678", True)])
def test_password_policy(password: str, ok: bool) -> None:
    if ok:
        check_password_policy(password)
    else:
        with pytest.raises(InvalidInput, match="at least 8 characters"):
            check_password_policy(password)


# --- tokens ---------------------------------------------------------------------------------------


def test_a_token_carries_iss_sub_role_iat_exp_jti() -> None:
    user_id = uuid4()
    now = datetime.now(UTC).replace(microsecond=0)
    token = issue_token(user_id=user_id, role=Role.TEACHER, now=now, settings=SETTINGS)

    claims = jwt.decode(token, SECRET, algorithms=[ALGORITHM])
    assert set(claims) == {"iss", "sub", "role", "iat", "exp", "jti"}
    assert claims["iss"] == "learnflow"  # the gateway matches its credential on it
    assert claims["sub"] == str(user_id) and claims["role"] == "teacher"
    assert claims["exp"] - claims["iat"] == 900  # LEARNFLOW_JWT_TTL_S

    principal = verify_token(token, settings=SETTINGS)
    assert principal.user_id == user_id and principal.role is Role.TEACHER
    assert principal.token_id == claims["jti"]
    assert principal.expires_at - principal.issued_at == timedelta(seconds=900)


def test_every_token_has_its_own_id() -> None:
    user_id = uuid4()
    tokens = {issue_token(user_id=user_id, role=Role.STUDENT, settings=SETTINGS) for _ in range(5)}
    ids = {verify_token(t, settings=SETTINGS).token_id for t in tokens}
    assert len(ids) == 5


def _forge(claims: dict[str, object], secret: str = SECRET, algorithm: str = ALGORITHM) -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def _claims(**overrides: object) -> dict[str, object]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, object] = {
        "iss": "learnflow",
        "sub": str(uuid4()),
        "role": "student",
        "iat": now,
        # long enough to outlive a full test run: these tokens are made at collection time
        "exp": now + 24 * 3600,
        "jti": "abc",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


LONG_AGO = datetime.now(UTC) - timedelta(hours=2)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        pytest.param(None, "Missing access token", id="missing"),
        pytest.param("", "Missing access token", id="empty"),
        pytest.param("not-a-jwt", "not a well-formed JWT", id="garbage"),
        pytest.param(
            issue_token(user_id=uuid4(), role=Role.STUDENT, now=LONG_AGO, settings=SETTINGS),
            "has expired",
            id="expired",
        ),
        pytest.param(
            _forge(_claims(), secret="another-secret-that-is-long-enough-0123456789"),
            "signature does not match",
            id="wrong-secret",
        ),
        pytest.param(_forge(_claims(exp=None)), "no 'exp' claim", id="no-exp"),
        pytest.param(_forge(_claims(iss=None)), "no 'iss' claim", id="no-iss"),
        pytest.param(_forge(_claims(iss="someone-else")), "Invalid access token", id="bad-iss"),
        pytest.param(_forge(_claims(jti=None)), "no 'jti' claim", id="no-jti"),
        pytest.param(_forge(_claims(role=None)), "no 'role' claim", id="no-role"),
        pytest.param(_forge(_claims(sub=None)), "no 'sub' claim", id="no-sub"),
        pytest.param(_forge(_claims(role="superuser")), "not a LearnFlow user", id="bad-role"),
        pytest.param(_forge(_claims(sub="maya")), "not a LearnFlow user", id="bad-sub"),
        pytest.param(
            _forge(_claims(iat=int(datetime.now(UTC).timestamp()) + 3600)),
            "dated in the future",
            id="issued-in-the-future",
        ),
        pytest.param(
            _forge(_claims(), secret=SECRET, algorithm="HS512"),
            "Invalid access token",
            id="other-algorithm",
        ),
    ],
)
def test_bad_tokens_are_rejected_with_a_clear_message(token: str | None, message: str) -> None:
    with pytest.raises(NotAuthenticated, match=message) as caught:
        verify_token(token, settings=SETTINGS)
    assert "POST /auth/login" in caught.value.message
    assert caught.value.status_code == 401


def test_the_none_algorithm_is_refused() -> None:
    unsigned = jwt.encode(_claims(), None, algorithm="none")  # type: ignore[arg-type]
    with pytest.raises(NotAuthenticated):
        verify_token(unsigned, settings=SETTINGS)


@pytest.mark.parametrize(
    ("secret", "message"),
    [(None, "LEARNFLOW_JWT_SECRET is not set"), ("short", "too short")],
)
def test_a_missing_or_weak_secret_is_a_configuration_error(
    secret: str | None, message: str
) -> None:
    settings = Settings(_env_file=None, jwt_secret=secret)
    with pytest.raises(ConfigurationError, match=message):
        issue_token(user_id=uuid4(), role=Role.STUDENT, settings=settings)
    with pytest.raises(ConfigurationError, match=message):
        verify_token("x.y.z", settings=settings)
