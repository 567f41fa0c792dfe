"""Student groups (class sections such as "Year 10 B") and who is in them.

A group belongs to one school; its name is unique there (case-insensitively: the service
compares folded names, the unique constraint is the backstop for exact repeats). A
student may be in several groups at once (a class section and a club, say), so
membership is a row of its own, unique per group and student. Deleting a group or a
student deletes their memberships, never anyone's work.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, TenantOwned, UtcDateTime, utc_now

GROUP_NAME_MAX = 80


class StudentGroup(TenantOwned, Base):
    """A named set of a school's students, for filtering the gradebook."""

    __tablename__ = "student_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(GROUP_NAME_MAX))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class GroupMember(TenantOwned, Base):
    """One student in one group."""

    __tablename__ = "group_members"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint's index serves "the members of a group"; `user_id`'s serves
    # "the groups of a student" and the cascade when an account is deleted.
    group_id: Mapped[int] = mapped_column(ForeignKey("student_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
