"""The demo logins `seed-demo` creates for `make run`, whose passwords the README prints.

They are fine on a developer's machine and a hole anywhere else, so production refuses to
serve while any of them is active (`portal.production`), and `deactivate-demo` turns them
off for good.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Role, User

DEMO_ACCOUNTS = (
    ("student@example.org", "Demo Student", "student-demo-pass", Role.STUDENT),
    ("instructor@example.org", "Demo Instructor", "instructor-demo-pass", Role.INSTRUCTOR),
    ("admin@example.org", "Demo Admin", "admin-demo-pass", Role.SCHOOL_ADMIN),
    ("platform@example.org", "Demo Operator", "platform-demo-pass", Role.PLATFORM_ADMIN),
)
DEMO_EMAILS = tuple(email for email, _name, _password, _role in DEMO_ACCOUNTS)
# A class with the demo student in it, for the groups pages and the gradebook's filter.
DEMO_GROUP_NAME = "Demo class"
DEMO_GROUP_MEMBER = "student@example.org"


def active_demo_accounts(session: Session) -> list[User]:
    """Every active account, at any school, with a demo login's email (an unscoped session)."""
    return list(
        session.scalars(
            select(User)
            .where(User.email.in_(DEMO_EMAILS), User.is_active.is_(True))
            .order_by(User.tenant_id, User.email)
        )
    )
