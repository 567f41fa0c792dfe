"""Premium entitlements, the codes that grant them, and each redemption.

An entitlement is one grant: to the whole school (a licence, `user_id` empty) or to one
user, for every course (`course_id` empty) or one course, until a date or for good. Each
row says who granted it, how and why, so the tables are the audit trail; a revocation
stamps `revoked_at` instead of deleting anything.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, TenantOwned, UtcDateTime, utc_now


class GrantSource(StrEnum):
    """How an entitlement came to be."""

    ADMIN = "admin"  # an admin granted it to a user (dashboard or CLI)
    LICENCE = "licence"  # a school-wide licence
    CODE = "code"  # the user redeemed a premium code


class Entitlement(TenantOwned, Base):
    """Access to premium features for a user, or for everyone at the school."""

    __tablename__ = "entitlements"
    __table_args__ = (CheckConstraint("source IN ('admin', 'licence', 'code')", name="source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))
    code_id: Mapped[int | None] = mapped_column(ForeignKey("premium_codes.id", ondelete="SET NULL"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PremiumCode(TenantOwned, Base):
    """A code a student redeems for premium; `max_uses` people may redeem it."""

    __tablename__ = "premium_codes"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    course_id: Mapped[str | None] = mapped_column(String(100))
    max_uses: Mapped[int] = mapped_column(default=1)
    uses: Mapped[int] = mapped_column(default=0)
    # The premium a redemption grants lasts until this date; after it the code is void.
    until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CodeRedemption(TenantOwned, Base):
    """One user's redemption of one code; a user redeems a given code once."""

    __tablename__ = "code_redemptions"
    __table_args__ = (UniqueConstraint("code_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("premium_codes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    entitlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("entitlements.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
