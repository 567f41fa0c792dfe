"""Password reset tokens: random, single use, expiring, stored only as a hash.

Whoever holds the link may set the account's password once before it expires; issuing a
new token does not void older ones, but using any token voids every other one of the
account. A token is used by one conditional UPDATE, so two requests racing with the same
link cannot both set a password. A successful reset also lifts the account's login
lockout: its owner has just proved who they are.

Tokens travel in a link's query string (`/auth/reset?token=...`), never in its path,
because access logs commonly print the path.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.auth import throttle
from portal.auth.service import find_user_by_email
from portal.models import PasswordResetToken, School, User, utc_now
from portal.security import hash_password

TOKEN_LIFETIME = timedelta(hours=24)
# "Forgot your password?" sends at most this many links per account per hour, so the
# form cannot be used to flood someone's mailbox.
MAX_REQUESTS_PER_HOUR = 3


class InvalidResetToken(Exception):
    """The token is unknown, used or expired; deliberately not told apart."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_reset_token(
    session: Session,
    user: User,
    issued_by: User | None,
    lifetime: timedelta = TOKEN_LIFETIME,
    *,
    now: datetime | None = None,
) -> str:
    """A new token for `user` (added to the session, not committed); only this copy exists.

    `issued_by` is the user themself (forgot password), an admin, or None (the CLI).
    """
    now = now or utc_now()
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            tenant_id=user.tenant_id,
            user_id=user.id,
            token_hash=_digest(token),
            issued_by_id=issued_by.id if issued_by else None,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def request_reset(
    session: Session, school: School, email: str, *, now: datetime | None = None
) -> tuple[User, str] | None:
    """A token for the account with `email` at `school` (committed), or None.

    None when there is no such active account, or when it was sent MAX_REQUESTS_PER_HOUR
    links in the last hour; the caller answers the same either way.
    """
    now = now or utc_now()
    user = find_user_by_email(session, school, email)
    if user is None or not user.is_active:
        return None
    recent = session.scalar(
        select(func.count(PasswordResetToken.id)).where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.issued_by_id == user.id,
            PasswordResetToken.created_at > now - timedelta(hours=1),
        )
    )
    if recent >= MAX_REQUESTS_PER_HOUR:
        return None
    token = issue_reset_token(session, user, issued_by=user, now=now)
    session.commit()
    return user, token


def user_for_token(session: Session, token: str, *, now: datetime | None = None) -> User:
    """The account a live token resets; raises InvalidResetToken."""
    now = now or utc_now()
    row = session.scalars(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(token))
    ).one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidResetToken()
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise InvalidResetToken()
    return user


def reset_password(
    session: Session, token: str, new_password: str, *, now: datetime | None = None
) -> User:
    """Set the password of the token's account, void all its tokens, lift its lockout.

    Committed. Raises InvalidResetToken, also when another request used the token first.
    """
    now = now or utc_now()
    user = user_for_token(session, token, now=now)
    claimed = session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.token_hash == _digest(token),
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        session.rollback()
        raise InvalidResetToken()
    user.password_hash = hash_password(new_password)
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    school = session.get(School, user.tenant_id)
    throttle.clear_failures(session, school, user.email)
    session.commit()
    return user
