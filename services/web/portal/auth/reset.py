"""Password reset tokens: random, single use, expiring, stored only as a hash.

Whoever holds the link may set the account's password once before it expires; issuing a
new token does not void older ones, but using any token voids every other one of the
account, and so does a successful reset of its password by any route.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.models import PasswordResetToken, User, utc_now
from portal.security import hash_password

TOKEN_LIFETIME = timedelta(hours=24)


class InvalidResetToken(Exception):
    """The token is unknown, used or expired; deliberately not told apart."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_reset_token(
    session: Session, user: User, issued_by: User | None, lifetime: timedelta = TOKEN_LIFETIME
) -> str:
    """A new token for `user` (added to the session, not committed); only this copy exists."""
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            tenant_id=user.tenant_id,
            user_id=user.id,
            token_hash=_digest(token),
            issued_by_id=issued_by.id if issued_by else None,
            expires_at=utc_now() + lifetime,
        )
    )
    return token


def user_for_token(session: Session, token: str) -> User:
    """The account a live token resets; raises InvalidResetToken."""
    row = session.scalars(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(token))
    ).one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utc_now():
        raise InvalidResetToken()
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise InvalidResetToken()
    return user


def reset_password(session: Session, token: str, new_password: str) -> User:
    """Set the password of the token's account and void all its tokens (committed)."""
    user = user_for_token(session, token)
    user.password_hash = hash_password(new_password)
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utc_now())
    )
    session.commit()
    return user
