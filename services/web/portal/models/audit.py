"""The audit log: who did what to whom, for every staff action that changes something."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, JsonDocument, TenantOwned, UtcDateTime, utc_now


class AuditEvent(TenantOwned, Base):
    """One action; `actor_id` is empty for the command line. Never updated or deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A dotted verb: "user.role_changed", "premium.granted", "password.reset_issued".
    action: Mapped[str] = mapped_column(String(60))
    # What it was done to, as "kind:id" ("user:12"), for filtering.
    target: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
