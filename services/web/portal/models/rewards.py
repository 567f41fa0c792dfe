"""What a student has earned: achievements (once each) and an append-only EXP ledger.

Both tables carry a unique key that makes awarding idempotent: recording the same grade
result twice, or passing the same lab twice, inserts nothing the second time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, TenantOwned, UtcDateTime, utc_now


class AchievementAward(TenantOwned, Base):
    """An achievement a user holds, with the submission that earned it."""

    __tablename__ = "achievement_awards"
    __table_args__ = (UniqueConstraint("user_id", "achievement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    achievement_id: Mapped[str] = mapped_column(String(100))
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL")
    )
    awarded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class ExpEntry(TenantOwned, Base):
    """One line of the EXP ledger; `source_key` says what earned it, once per user."""

    __tablename__ = "exp_entries"
    __table_args__ = (UniqueConstraint("user_id", "source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int]
    source_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
