"""A student's progress through a course: questions answered and steps completed.

Rows are keyed by the ids of the content (course, step, question), which are stable, so
rewording a question never loses anyone's progress. Both tables are tenant-owned.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, TenantOwned, UtcDateTime, utc_now


class QuestionProgress(TenantOwned, Base):
    """How a student fared with one quick question: attempts, and when it was solved."""

    __tablename__ = "question_progress"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(String(100))
    question_id: Mapped[str] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(default=0)
    solved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Solved with the very first attempt (some achievements reward that).
    first_try: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class StepCompletion(TenantOwned, Base):
    """A step a student has completed (its questions solved, its labs passed)."""

    __tablename__ = "step_completions"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[str] = mapped_column(String(100))
    step_id: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
