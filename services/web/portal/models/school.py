"""The tenant: a school, with its own users, submissions and rewards, and its settings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, LargeBinary, String, Text, false, true
from sqlalchemy.orm import Mapped, deferred, mapped_column

from portal.models.base import Base, UtcDateTime, utc_now

DEFAULT_SCHOOL_SLUG = "default"
DEFAULT_BRAND_COLOUR = "#3b5bdb"


class SignupPolicy(StrEnum):
    """Who may create an account at a school from the sign-up page."""

    OPEN = "open"  # anyone
    INVITE = "invite"  # anyone who knows the school's invite code
    EMAIL_DOMAIN = "email_domain"  # anyone with an email address at the school's domain
    CLOSED = "closed"  # nobody: admins create the accounts


class School(Base):
    """A school; `slug` is the first label of its host name (school-a.example.org).

    `domain` is an optional host name of its own (courses.school-a.edu) that reaches the
    school without the platform's naming scheme.
    """

    __tablename__ = "schools"
    __table_args__ = (
        CheckConstraint(
            "signup_policy IN ('open', 'invite', 'email_domain', 'closed')", name="signup_policy"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str | None] = mapped_column(String(253), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    # Branding: shown in the header of every page of the school.
    brand_colour: Mapped[str] = mapped_column(
        String(7), default=DEFAULT_BRAND_COLOUR, server_default=DEFAULT_BRAND_COLOUR
    )
    logo_type: Mapped[str | None] = mapped_column(String(40))
    # Deferred: only the logo route reads the bytes, not every query of a school.
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    # Sign-up policy and its parameter (the invite code or the email domain).
    signup_policy: Mapped[str] = mapped_column(
        String(20), default=SignupPolicy.OPEN.value, server_default=SignupPolicy.OPEN.value
    )
    signup_invite_code: Mapped[str | None] = mapped_column(String(100))
    signup_email_domain: Mapped[str | None] = mapped_column(String(253))
    # What a student without premium is told about getting it at this school.
    premium_info: Mapped[str | None] = mapped_column(Text)
    # "Consult A.D.A." through an OpenAI-compatible chat endpoint instead of the offline
    # engine: only when the school turns it on. The key never leaves the server.
    ada_endpoint_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    ada_endpoint_url: Mapped[str | None] = mapped_column(String(500))
    ada_endpoint_model: Mapped[str | None] = mapped_column(String(100))
    ada_endpoint_key: Mapped[str | None] = mapped_column(String(500))
