"""Login throttling: a temporary lockout after repeated failures, per email and per address.

Every login attempt is recorded (`LoginAttempt`). An email with too many failures within
the window since its last success is refused, right password or not, until enough of those
failures are older than the window; so is a remote address with too many failures for any
emails. The email is the one typed, so unknown emails are throttled exactly like known
ones and a 429 tells nothing about which accounts exist.

A refused attempt is not recorded: it never reached the password check, and counting it
would let anyone keep an account locked for ever by knocking, and fill the table.
Functions take the session and `now`, so tests move the clock instead of sleeping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.auth.service import InvalidCredentials, authenticate
from portal.models import LoginAttempt, School, User

# Rows older than this are deleted whenever an attempt is recorded: far beyond any window.
KEEP_ATTEMPTS_FOR = timedelta(days=1)


@dataclass(frozen=True)
class LoginLimits:
    """How many failures are allowed within how long."""

    max_failures_per_account: int  # failures of one email since its last success
    max_failures_per_address: int  # failures from one remote address, any emails
    window: timedelta  # how far back failures count, and so how long a lockout lasts

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LoginLimits:
        """The limits of the app's LOGIN_* settings."""
        return cls(
            max_failures_per_account=int(config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
            max_failures_per_address=int(config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
            window=timedelta(minutes=int(config["LOGIN_LOCKOUT_MINUTES"])),
        )


class TooManyAttempts(Exception):
    """Logins for this email or from this address are refused for `retry_after` more."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"retry after {retry_after}")
        self.retry_after = retry_after

    @property
    def seconds(self) -> int:
        """Whole seconds to wait (at least one), for the Retry-After header."""
        return max(1, math.ceil(self.retry_after.total_seconds()))

    @property
    def minutes(self) -> int:
        """Whole minutes to wait (at least one), for the message."""
        return max(1, math.ceil(self.seconds / 60))


def normalise_email(email: str) -> str:
    """The email as attempts are recorded and counted: trimmed and lower-cased."""
    return email.strip().lower()


def log_in_with_password(
    session: Session,
    school: School,
    email: str,
    password: str,
    *,
    remote_addr: str,
    limits: LoginLimits,
    now: datetime,
) -> User:
    """The account of a correct login, unless throttled; records the attempt.

    Raises TooManyAttempts (before any password check) or InvalidCredentials.
    """
    email = normalise_email(email)
    check_not_throttled(session, school, email, remote_addr, limits, now)
    try:
        user = authenticate(session, school, email, password)
    except InvalidCredentials:
        record_attempt(session, school, email, remote_addr, succeeded=False, now=now)
        raise
    record_attempt(session, school, email, remote_addr, succeeded=True, now=now)
    return user


def check_not_throttled(
    session: Session,
    school: School,
    email: str,
    remote_addr: str,
    limits: LoginLimits,
    now: datetime,
) -> None:
    """Raise TooManyAttempts if the email or the address has failed too often lately."""
    email = normalise_email(email)
    since = now - limits.window
    last_success = session.scalar(
        select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.tenant_id == school.id,
            LoginAttempt.email == email,
            LoginAttempt.succeeded.is_(True),
        )
    )
    account_since = max(since, last_success) if last_success else since
    waits = [
        _wait_for(
            session,
            _failures(school, account_since).where(LoginAttempt.email == email),
            limits.max_failures_per_account,
            limits.window,
            now,
        ),
        _wait_for(
            session,
            _failures(school, since).where(LoginAttempt.remote_addr == remote_addr),
            limits.max_failures_per_address,
            limits.window,
            now,
        ),
    ]
    longest = max((wait for wait in waits if wait is not None), default=None)
    if longest is not None:
        raise TooManyAttempts(longest)


def _failures(school: School, since: datetime):
    return (
        select(LoginAttempt.created_at)
        .where(
            LoginAttempt.tenant_id == school.id,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.created_at > since,
        )
        .order_by(LoginAttempt.created_at.desc())
    )


def _wait_for(
    session: Session, failures, limit: int, window: timedelta, now: datetime
) -> timedelta | None:
    """How long until fewer than `limit` of these failures are within the window."""
    # The limit-th most recent failure is the one that must age out first.
    times = session.scalars(failures.limit(limit)).all()
    if len(times) < limit:
        return None
    return max(times[-1] + window - now, timedelta(seconds=1))


def record_attempt(
    session: Session,
    school: School,
    email: str,
    remote_addr: str,
    *,
    succeeded: bool,
    now: datetime,
) -> None:
    """Store one attempt and drop the school's attempts too old to matter (committed)."""
    session.add(
        LoginAttempt(
            tenant_id=school.id,
            email=normalise_email(email)[:254],
            remote_addr=remote_addr[:64],
            succeeded=succeeded,
            created_at=now,
        )
    )
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.tenant_id == school.id, LoginAttempt.created_at < now - KEEP_ATTEMPTS_FOR
        )
    )
    session.commit()


def clear_failures(session: Session, school: School, email: str) -> None:
    """Forget the email's failed attempts (not committed): its owner proved who they are."""
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.tenant_id == school.id,
            LoginAttempt.email == normalise_email(email),
            LoginAttempt.succeeded.is_(False),
        )
    )
