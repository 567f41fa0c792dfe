"""What guards an account: login attempts (for throttling) and password reset tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, TenantOwned, UtcDateTime, utc_now


class LoginAttempt(TenantOwned, Base):
    """One try at logging in; recent failures throttle the email and the address.

    The email is stored as typed (lower-cased) even when no account has it, so guessing
    at unknown emails is throttled like guessing at known ones.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index(None, "tenant_id", "email", "created_at"),
        Index(None, "tenant_id", "remote_addr", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class PasswordResetToken(TenantOwned, Base):
    """A single-use, expiring token to set a new password; only its hash is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Who asked: the user (forgot password), an admin, or the CLI (empty).
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
