"""A student's attempt at a code lab, from queued to graded."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, JsonDocument, TenantOwned, UtcDateTime, utc_now


class SubmissionStatus(StrEnum):
    """Where a submission is; only `graded` is final."""

    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"


IN_FLIGHT_STATUSES = (SubmissionStatus.QUEUED.value, SubmissionStatus.RUNNING.value)


class Submission(TenantOwned, Base):
    """The code as submitted, and the grader's answer once it is recorded."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index(None, "tenant_id", "user_id", "lab_id"),
        # The dashboard lists a school's submissions newest first.
        Index(None, "tenant_id", "created_at"),
        # The stale-submission sweep looks for old in-flight rows.
        Index(None, "status", "created_at"),
        CheckConstraint("status IN ('queued', 'running', 'graded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(String(100))
    lab_id: Mapped[str] = mapped_column(String(100))
    # Run as written: bidirectional controls are kept (see portal.bidi).
    code: Mapped[str] = mapped_column(Text, info={"verbatim": True})
    entrypoint: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=SubmissionStatus.QUEUED.value)
    verdict: Mapped[str | None] = mapped_column(String(40))
    score: Mapped[float | None]
    gradable: Mapped[bool | None]
    feedback: Mapped[str | None] = mapped_column(Text)
    checks: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonDocument)
    output: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    measurements: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    times: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    # What the grader says to show (GradeResult version 2): {"findings", "diagnoses",
    # "charts"}; None for a result of an older grader, which carried none of them.
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    graded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def is_final(self) -> bool:
        """Whether nothing more will happen to it."""
        return self.status == SubmissionStatus.GRADED
