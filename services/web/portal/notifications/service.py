"""Creating notifications; every feature that tells a user something calls `notify`.

A notification is plain text and a link inside the school's site. It is added to the
caller's session and committed with the change it announces, so a rolled-back action
never leaves a notification behind.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.access import is_safe_next
from portal.models import Notification, Role, User

MAX_MESSAGE = 300
# Who hears about what needs the staff's attention (error reports): the people who run
# the school's courses, not the platform's operators.
SCHOOL_STAFF_ROLES = (Role.INSTRUCTOR.value, Role.SCHOOL_ADMIN.value)


def notify(session: Session, user: User, kind: str, message: str, link: str = "") -> Notification:
    """Tell `user` about something (`kind`: "reply", "reaction", "achievement", ...).

    `message` is shown as text (escaped), cut to fit; `link` must be a path on this site.
    """
    if link and not is_safe_next(link):
        raise ValueError(f"a notification links inside the site, not to {link!r}")
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    notification = Notification(
        tenant_id=user.tenant_id, user_id=user.id, kind=kind, message=message, link=link
    )
    session.add(notification)
    return notification


def notify_school_staff(
    session: Session, tenant_id: int, kind: str, message: str, link: str = ""
) -> list[Notification]:
    """Tell every active instructor and school admin of the school `tenant_id`."""
    staff = session.scalars(
        select(User)
        .where(
            User.tenant_id == tenant_id,
            User.is_active.is_(True),
            User.role.in_(SCHOOL_STAFF_ROLES),
        )
        .order_by(User.id)
    )
    return [notify(session, member, kind, message, link) for member in staff]
