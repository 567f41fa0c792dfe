"""A person with an account at one school."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from portal.models.base import Base, TenantOwned, UtcDateTime, utc_now


class Role(StrEnum):
    """What a user may do; access rules name these through decorators."""

    STUDENT = "student"
    INSTRUCTOR = "instructor"
    SCHOOL_ADMIN = "school_admin"
    PLATFORM_ADMIN = "platform_admin"


class User(TenantOwned, Base):
    """An account; the same email may exist at two schools as two accounts."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        CheckConstraint(
            "role IN ('student', 'instructor', 'school_admin', 'platform_admin')", name="role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=Role.STUDENT.value)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    # Set by a moderator: no posts, comments or reactions on the Holo-Net until then.
    posting_suspended_until: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @validates("email")
    def _lower_case_email(self, _key: str, email: str) -> str:
        # Emails are compared case-insensitively; storing them lower-case keeps the
        # unique constraint honest on both backends.
        return email.strip().lower()
