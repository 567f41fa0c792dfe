"""Questions to A.D.A. and her answers: the history a student sees, and the school's count."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, JsonDocument, TenantOwned, UtcDateTime, utc_now


class AdaConsultation(TenantOwned, Base):
    """One question and its answer; `engine` says who answered, `note` any fallback."""

    __tablename__ = "ada_consultations"
    __table_args__ = (
        Index(None, "tenant_id", "user_id", "created_at"),
        CheckConstraint("engine IN ('offline', 'endpoint')", name="engine"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(String(100))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    engine: Mapped[str] = mapped_column(String(20))
    # The steps the answer drew on, as [{"step_id": ..., "title": ...}], in rank order.
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument, default=list)
    # The submission whose facts went into the answer, if any.
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL")
    )
    # Why the school's endpoint was not used although it is on ("timed out", ...).
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
