"""A student's ungraded run of a lab's code ("Run before you submit"), from queued to finished.

Not a submission: it is never graded, never counted as an attempt and never rewarded. It
keeps the code (the lab page's editor holds the code of the run on show, so nothing typed
is lost) and what the student saw: how it ended, the output and the main measurements.
Rows are the rate limit's memory too; a student's runs older than a day are pruned.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, JsonDocument, TenantOwned, UtcDateTime, utc_now


class RunStatus(StrEnum):
    """Where a run is; only `finished` is final."""

    QUEUED = "queued"
    FINISHED = "finished"


class LabRun(TenantOwned, Base):
    """One "Run" of a lab's code, and what the grader saw of it once recorded."""

    __tablename__ = "lab_runs"
    __table_args__ = (
        # The rate limit counts a student's latest runs.
        Index(None, "tenant_id", "user_id", "created_at"),
        CheckConstraint("status IN ('queued', 'finished')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(String(100))
    lab_id: Mapped[str] = mapped_column(String(100))
    # Run as written: bidirectional controls are kept (see portal.bidi).
    code: Mapped[str] = mapped_column(Text, info={"verbatim": True})
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.QUEUED.value)
    outcome: Mapped[str | None] = mapped_column(String(40))  # one of contract.RUN_OUTCOMES
    message: Mapped[str | None] = mapped_column(Text)
    output: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    # A list of {name, label, value, unit, text}: JSONB keeps no key order, a list does.
    measurements: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonDocument)
    times: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def is_final(self) -> bool:
        """Whether nothing more will happen to it."""
        return self.status == RunStatus.FINISHED
