"""CSRF protection for every form, and password hashing with argon2.

Hashing parameters come from a named argon2-cffi profile (config PASSWORD_HASH_PROFILE),
so production uses the RFC 9106 recommendation and tests a cheap profile. Hashes made
with older parameters are upgraded at the next successful login.
"""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Turn on CSRF checks for every POST and set up the password hasher."""
    csrf.init_app(app)
    parameters = getattr(profiles, app.config["PASSWORD_HASH_PROFILE"])
    hasher = PasswordHasher.from_parameters(parameters)
    app.extensions["password_hasher"] = hasher
    # Verified against when an email is unknown, so that case takes as long as a
    # wrong password and the timing does not tell which emails have accounts.
    app.extensions["password_decoy_hash"] = hasher.hash("decoy password, never matches")


def _hasher() -> PasswordHasher:
    return current_app.extensions["password_hasher"]


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, with a fresh salt."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash, spend the same time and say no."""
    if password_hash is None:
        password_hash = current_app.extensions["password_decoy_hash"]
        _matches(password_hash, password)
        return False
    return _matches(password_hash, password)


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the current ones."""
    return _hasher().check_needs_rehash(password_hash)
