"""Password hashing with argon2id (argon2-cffi's RFC 9106 defaults)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from learnflow.errors import InvalidInput

MIN_PASSWORD_CHARS = 8
_hasher = PasswordHasher()


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD_CHARS} characters")


def generate_password() -> str:
    """A random password (16 URL-safe characters, ~96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    """An argon2id hash (salted; includes its parameters)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches; False (never an exception) for malformed hashes."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
