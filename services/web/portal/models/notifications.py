"""In-app notifications: replies, reactions, unlocked achievements, reports for staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, TenantOwned, UtcDateTime, utc_now


class Notification(TenantOwned, Base):
    """Something a user should see; unread until `read_at`. The text is plain, escaped."""

    __tablename__ = "notifications"
    __table_args__ = (Index(None, "tenant_id", "user_id", "read_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # "reply", "comment", "reaction", "achievement", "error_report", "moderation".
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(String(300))
    # A path inside the school's site ("/feed/posts/12#comment-3"), never another host.
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
