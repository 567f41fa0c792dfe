"""The tenant: a school, with its own users, submissions and rewards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UtcDateTime, utc_now

DEFAULT_SCHOOL_SLUG = "default"


class School(Base):
    """A school; `slug` is the first label of its host name (school-a.example.org)."""

    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
